#pragma once
// Locating ../shared (the read-only reference data beside the checkout).
// On CI (CI=true) a missing file is a failure; in a user's clone without shared/ the test is
// skipped with a message saying so.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace cytopipe::test {

std::filesystem::path source_dir();
std::filesystem::path shared_dir();
bool running_on_ci();

// The absolute path of shared/<relative>, or an empty path when it is missing (after recording
// a skip or failure via GoogleTest). Use through CYTOPIPE_SHARED_OR_SKIP.
std::filesystem::path shared_file_or_report(const std::string& relative);

}  // namespace cytopipe::test

// Binds `var` to ../shared/<relative>, or skips (user clone) / fails (CI) the current test.
#define CYTOPIPE_SHARED_OR_SKIP(var, relative)                                  \
  const std::filesystem::path var = ::cytopipe::test::shared_file_or_report(relative); \
  if (var.empty()) return
