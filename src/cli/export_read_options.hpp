#pragma once
// Reading options shared by `info` and `export`: --dataset N (1-based) and --offsets.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "cytopipe/fcs/reader.hpp"

namespace cytopipe::cli {

struct FcsReadFlags {
  std::size_t dataset = 1;       // 1-based, as users count data sets
  std::string offsets = "auto";  // auto | header | text
  std::string max_memory;        // "" = the reader's default; else bytes with K/M/G/T (binary)

  void add_to(CLI::App& app);
  fcs::ReadOptions options() const;
};

// "4096", "512M", "2G", "1TiB"... as bytes (binary multiples), or nullopt.
std::optional<std::uint64_t> parse_size(const std::string& text);

// Prints the sample's notices on stderr ("cytopipe: notice: FILE: ...").
void print_notices(const fcs::Sample& sample);

}  // namespace cytopipe::cli
