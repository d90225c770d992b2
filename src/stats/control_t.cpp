// t-tests of each group against the control with the adjustment over the control family only.
#include <cmath>

#include "cytopipe/stats/posthoc.hpp"
#include "cytopipe/stats/ttest.hpp"
#include "stats/common.hpp"

namespace cytopipe::stats {

TestResult t_vs_control(std::span<const Group> groups, std::size_t control, Adjustment adjustment,
                        bool pooled_sd) {
  TestResult r;
  r.test = pooled_sd ? "t-tests vs control (pooled SD)" : "Welch t-tests vs control";
  r.statistic_name = "t";
  r.groups = group_sizes(groups);
  r.method = pooled_sd ? "SD pooled over all " + std::to_string(groups.size()) +
                             " groups; adjusted over the " +
                             std::to_string(groups.empty() ? 0 : groups.size() - 1) +
                             " comparisons with the control"
                       : "Welch per pair; adjusted over the " +
                             std::to_string(groups.empty() ? 0 : groups.size() - 1) +
                             " comparisons with the control";
  if (control >= groups.size()) {
    r.message = "no control group";
    return r;
  }
  if (auto problem = check_groups(groups, 2, 2); !problem.empty()) {
    r.message = problem;
    return r;
  }
  double mse = kNaN, df = kNaN;
  if (pooled_sd) {
    const detail::Pooled pooled = detail::pooled_variance(groups);
    if (!pooled.problem.empty()) {
      r.message = pooled.problem;
      return r;
    }
    mse = pooled.mse, df = pooled.df;
  }
  const Group& ref = groups[control];
  const double n_ref = static_cast<double>(ref.values.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g == control) continue;
    Comparison c = detail::mean_difference(groups[g], ref);
    if (pooled_sd) {
      const double n = static_cast<double>(groups[g].values.size());
      const double se = std::sqrt(mse * (1 / n + 1 / n_ref));
      c.statistic = c.estimate / se;
      c.df = df;
      c.p_raw = detail::t_two_sided(c.statistic, df);
      const double q = detail::t_quantile(0.975, df);
      c.ci_low = c.estimate - q * se;
      c.ci_high = c.estimate + q * se;
    } else {
      const TestResult t = t_test(groups[g], ref, false);
      c.statistic = t.statistic;
      c.df = t.df1;
      c.p_raw = t.p;  // NaN (left out of the adjustment) when the pair is degenerate
      if (!t.comparisons.empty()) c.ci_low = t.comparisons[0].ci_low, c.ci_high = t.comparisons[0].ci_high;
    }
    c.adjustment = to_string(adjustment);
    r.comparisons.push_back(c);
  }
  detail::adjust_comparisons(r.comparisons, adjustment);
  return r;
}

}  // namespace cytopipe::stats
