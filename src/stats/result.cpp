#include "cytopipe/stats/result.hpp"

#include <algorithm>

#include "cytopipe/stats/group.hpp"

namespace cytopipe::stats {

std::string to_string(Alternative alternative) {
  switch (alternative) {
    case Alternative::greater: return "greater";
    case Alternative::less: return "less";
    default: return "two-sided";
  }
}

std::string SignificanceScale::label(double p) const {
  if (std::isnan(p)) return {};
  auto sorted = thresholds;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [limit, mark] : sorted)
    if (p < limit) return mark;
  return not_significant;
}

void label_significance(TestResult& result, const SignificanceScale& scale) {
  result.significance = scale.label(result.p);
  for (auto& c : result.comparisons)
    c.significance = scale.label(std::isnan(c.p_adjusted) ? c.p_raw : c.p_adjusted);
  for (auto& t : result.terms) t.significance = scale.label(t.p);
}

std::vector<GroupSize> group_sizes(std::span<const Group> groups) {
  std::vector<GroupSize> out;
  for (const auto& g : groups) out.push_back({g.label, g.values.size()});
  return out;
}

std::string check_groups(std::span<const Group> groups, std::size_t min_groups,
                         std::size_t min_n) {
  if (groups.size() < min_groups)
    return "needs at least " + std::to_string(min_groups) + " groups, got " +
           std::to_string(groups.size());
  for (const auto& g : groups) {
    for (double v : g.values)
      if (!std::isfinite(v)) return "group '" + g.label + "' contains a NaN or infinite value";
    if (g.values.size() < min_n)
      return "group '" + g.label + "' has n = " + std::to_string(g.values.size()) +
             " (needs at least " + std::to_string(min_n) + ")";
  }
  return {};
}

}  // namespace cytopipe::stats
