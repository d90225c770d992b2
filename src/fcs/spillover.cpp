#include "fcs/spillover.hpp"

#include "fcs/text_util.hpp"

namespace cytopipe::fcs::detail {
namespace {

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    auto comma = s.find(',', start);
    fields.push_back(trim(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

}  // namespace

SpilloverParse parse_spillover(const Keywords& keywords) {
  SpilloverParse result;
  const Keywords::Entry* entry = nullptr;
  for (std::string_view name : {"SPILL", "spillover", "$SPILLOVER"}) {
    for (const auto& e : keywords.entries())
      if (iequals(e.name, name)) {
        entry = &e;
        break;
      }
    if (entry) break;
  }
  if (!entry) return result;
  auto fields = split_commas(entry->value);
  auto n = parse_uint(fields[0]);
  if (!n) {
    result.error = entry->name + ": first field '" + std::string(fields[0]) +
                   "' is not the number of channels";
    return result;
  }
  if (*n == 0) return result;  // an empty matrix: nothing to compensate
  const std::uint64_t expected = 1 + *n + *n * *n;
  if (*n > 10000 || fields.size() != expected) {
    result.error = entry->name + ": " + std::to_string(fields.size()) +
                   " fields, expected 1+n+n*n = " + std::to_string(expected) + " for n=" +
                   std::to_string(*n);
    return result;
  }
  Spillover s;
  s.keyword = entry->name;
  for (std::size_t i = 0; i < *n; ++i) s.detectors.emplace_back(fields[1 + i]);
  s.fluorochromes = s.detectors;
  s.values.reserve(*n * *n);
  for (std::size_t i = 0; i < *n * *n; ++i) {
    auto v = parse_double(fields[1 + *n + i]);
    if (!v) {
      result.error = entry->name + ": coefficient " + std::to_string(i + 1) + " '" +
                     std::string(fields[1 + *n + i]) + "' is not a number";
      return result;
    }
    s.values.push_back(*v);
  }
  result.matrix = std::move(s);
  return result;
}

std::string format_spillover(const Spillover& spillover) {
  std::string out = std::to_string(spillover.cols());
  for (const auto& d : spillover.detectors) {
    out += ',';
    out += d;
  }
  for (double v : spillover.values) {
    out += ',';
    out += format_double(v);
  }
  return out;
}

}  // namespace cytopipe::fcs::detail
