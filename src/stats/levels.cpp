#include "cytopipe/stats/levels.hpp"

#include <algorithm>
#include <cmath>

#include "cytopipe/stats/table.hpp"

namespace cytopipe::stats {

bool is_numeric_level(const std::string& level) {
  const auto v = parse_number(level);
  return v && !std::isnan(*v);
}

std::vector<std::string> ordered_levels(std::span<const std::string> labels) {
  std::vector<std::string> unique;
  for (const auto& l : labels)
    if (std::find(unique.begin(), unique.end(), l) == unique.end()) unique.push_back(l);
  if (std::all_of(unique.begin(), unique.end(), is_numeric_level))
    std::stable_sort(unique.begin(), unique.end(), [](const std::string& a, const std::string& b) {
      return *parse_number(a) < *parse_number(b);
    });
  return unique;
}

}  // namespace cytopipe::stats
