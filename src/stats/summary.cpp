#include "cytopipe/stats/summary.hpp"

#include <cmath>

#include "stats/common.hpp"

namespace cytopipe::stats {

GroupSummary summarize(const Group& group, double confidence) {
  GroupSummary s;
  s.group = group.label;
  s.n = group.values.size();
  s.confidence = confidence;
  if (s.n == 0) return s;
  // Two passes (mean, then squared deviations), the same arithmetic the dose figures draw with.
  s.mean = detail::mean(group.values);
  if (s.n < 2) return s;
  s.sd = std::sqrt(detail::variance(group.values));
  s.sem = s.sd / std::sqrt(static_cast<double>(s.n));
  const double q = detail::t_quantile(0.5 + confidence / 2, static_cast<double>(s.n - 1));
  s.ci_low = s.mean - q * s.sem;
  s.ci_high = s.mean + q * s.sem;
  return s;
}

}  // namespace cytopipe::stats
