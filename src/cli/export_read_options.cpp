#include "cli/export_read_options.hpp"

#include <cctype>
#include <charconv>
#include <iostream>
#include <limits>
#include <string_view>

namespace cytopipe::cli {

void FcsReadFlags::add_to(CLI::App& app) {
  app.add_option("--dataset", dataset, "Data set to read in a $NEXTDATA chain (1 = first)")
      ->check(CLI::PositiveNumber);
  app.add_option("--offsets", offsets,
                 "Which data offsets to trust when HEADER and TEXT disagree: auto (the pair that "
                 "fits $TOT), header or text")
      ->check(CLI::IsMember({"auto", "header", "text"}));
  app.add_option("--max-memory", max_memory,
                 "Refuse a file whose decoded events would take more than this (bytes; K, M, G, T = "
                 "binary multiples; default half of physical memory)")
      ->check([](const std::string& v) { return parse_size(v) ? std::string() : "not a size: " + v; });
}

std::optional<std::uint64_t> parse_size(const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit.size() == 3 && unit.substr(1) == "iB") unit.remove_suffix(2);  // KiB, MiB, ...
  else if (unit.size() == 2 && unit[1] == 'B') unit.remove_suffix(1);    // KB, MB, ... (binary here too)
  int shift = 0;
  if (unit.empty()) shift = 0;
  else if (unit.size() == 1 && std::string_view("KkMmGgTt").find(unit[0]) != std::string_view::npos)
    shift = 10 * (1 + static_cast<int>(std::string_view("KMGT").find(static_cast<char>(std::toupper(unit[0])))));
  else return std::nullopt;
  if (value > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
  return value << shift;
}

fcs::ReadOptions FcsReadFlags::options() const {
  fcs::ReadOptions options;
  options.dataset = dataset - 1;
  options.offsets = offsets == "header" ? fcs::OffsetPolicy::Header
                    : offsets == "text" ? fcs::OffsetPolicy::Text
                                        : fcs::OffsetPolicy::Auto;
  if (!max_memory.empty()) options.max_memory = *parse_size(max_memory);
  return options;
}

void print_notices(const fcs::Sample& sample) {
  for (const auto& notice : sample.notices)
    std::cerr << "cytopipe: notice: " << sample.source << ": " << notice << '\n';
}

}  // namespace cytopipe::cli
