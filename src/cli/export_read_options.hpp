#pragma once
// Reading options shared by `info` and `export`: --dataset N (1-based) and --offsets.
#include <CLI/CLI.hpp>

#include <string>

#include "cytopipe/fcs/reader.hpp"

namespace cytopipe::cli {

struct FcsReadFlags {
  std::size_t dataset = 1;       // 1-based, as users count data sets
  std::string offsets = "auto";  // auto | header | text

  void add_to(CLI::App& app);
  fcs::ReadOptions options() const;
};

// Prints the sample's notices on stderr ("cytopipe: notice: FILE: ...").
void print_notices(const fcs::Sample& sample);

}  // namespace cytopipe::cli
