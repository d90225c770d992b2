#pragma once
// Running the built `cytopipe` binary from a test: exit code, stdout and stderr captured apart.
#include <filesystem>
#include <string>
#include <vector>

namespace cytopipe::test {

struct CliResult {
  int code = -1;    // the exit status; -1 when the process did not exit normally (a crash)
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `cytopipe args...` (each argument shell-quoted), capturing stdout and stderr through
// files in `scratch` (created if missing).
CliResult run_cytopipe(const std::vector<std::string>& args, const std::filesystem::path& scratch);

std::string read_text_file(const std::filesystem::path& path);

}  // namespace cytopipe::test
