#include "cytopipe/stats/posthoc.hpp"

#include <cmath>

#include "cytopipe/stats/distributions.hpp"
#include "cytopipe/stats/p_value.hpp"
#include "cytopipe/stats/ttest.hpp"
#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

double size(const Group& g) { return static_cast<double>(g.values.size()); }

}  // namespace

TestResult dunnett(std::span<const Group> groups, std::size_t control, Alternative alternative,
                   double confidence) {
  TestResult r;
  r.test = "Dunnett";
  r.statistic_name = "t";
  r.alternative = alternative;
  r.method = "single-step, multivariate t by numerical integration";
  r.p_resolution = kIntegratedPResolution;
  r.groups = group_sizes(groups);
  if (control >= groups.size()) {
    r.message = "no control group";
    return r;
  }
  const detail::Pooled pooled = detail::pooled_variance(groups);
  if (!pooled.problem.empty()) {
    r.message = pooled.problem;
    return r;
  }
  r.df2 = pooled.df;
  const Group& ref = groups[control];
  std::vector<double> lambda;
  for (std::size_t g = 0; g < groups.size(); ++g)
    if (g != control) lambda.push_back(std::sqrt(size(groups[g]) / (size(groups[g]) + size(ref))));
  const bool two_sided = alternative == Alternative::two_sided;
  const double crit = dunnett_quantile(confidence, lambda, pooled.df, two_sided);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g == control) continue;
    Comparison c = detail::mean_difference(groups[g], ref);
    const double se = std::sqrt(pooled.mse * (1 / size(groups[g]) + 1 / size(ref)));
    c.statistic = c.estimate / se;
    c.df = pooled.df;
    switch (alternative) {
      case Alternative::greater:
        c.p_adjusted = 1 - dunnett_cdf(c.statistic, lambda, pooled.df, false);
        c.ci_low = c.estimate - crit * se, c.ci_high = INFINITY;
        break;
      case Alternative::less:
        c.p_adjusted = 1 - dunnett_cdf(-c.statistic, lambda, pooled.df, false);
        c.ci_low = -INFINITY, c.ci_high = c.estimate + crit * se;
        break;
      default:
        c.p_adjusted = 1 - dunnett_cdf(std::fabs(c.statistic), lambda, pooled.df, true);
        c.ci_low = c.estimate - crit * se, c.ci_high = c.estimate + crit * se;
    }
    c.p_adjusted = std::max(c.p_adjusted, 0.0);
    c.adjustment = "single-step (Dunnett)";
    r.comparisons.push_back(c);
  }
  return r;
}

TestResult tukey_hsd(std::span<const Group> groups, double confidence) {
  TestResult r;
  r.test = "Tukey HSD";
  r.statistic_name = "q";
  r.method = "studentized range by numerical integration";
  r.p_resolution = kIntegratedPResolution;
  r.groups = group_sizes(groups);
  const detail::Pooled pooled = detail::pooled_variance(groups);
  if (!pooled.problem.empty()) {
    r.message = pooled.problem;
    return r;
  }
  r.df2 = pooled.df;
  const int k = static_cast<int>(groups.size());
  const double crit = qtukey(confidence, k, pooled.df);
  for (std::size_t i = 0; i < groups.size(); ++i)
    for (std::size_t j = i + 1; j < groups.size(); ++j) {
      Comparison c = detail::mean_difference(groups[j], groups[i]);
      const double se = std::sqrt(pooled.mse / 2 * (1 / size(groups[i]) + 1 / size(groups[j])));
      c.statistic = std::fabs(c.estimate) / se;
      c.df = pooled.df;
      c.p_adjusted = std::max(0.0, 1 - ptukey(c.statistic, k, pooled.df));
      c.ci_low = c.estimate - crit * se;
      c.ci_high = c.estimate + crit * se;
      c.adjustment = "Tukey";
      r.comparisons.push_back(c);
    }
  return r;
}

TestResult pairwise_t(std::span<const Group> groups, Adjustment adjustment, bool pooled_sd) {
  TestResult r;
  r.test = pooled_sd ? "pairwise t-tests (pooled SD)" : "pairwise Welch t-tests";
  r.statistic_name = "t";
  r.groups = group_sizes(groups);
  const detail::Pooled pooled = detail::pooled_variance(groups);
  if (pooled_sd && !pooled.problem.empty()) {
    r.message = pooled.problem;
    return r;
  }
  if (auto problem = check_groups(groups, 2, 2); !problem.empty()) {
    r.message = problem;
    return r;
  }
  for (std::size_t i = 0; i < groups.size(); ++i)
    for (std::size_t j = i + 1; j < groups.size(); ++j) {
      Comparison c = detail::mean_difference(groups[j], groups[i]);
      if (pooled_sd) {
        const double se = std::sqrt(pooled.mse * (1 / size(groups[i]) + 1 / size(groups[j])));
        c.statistic = c.estimate / se;
        c.df = pooled.df;
        c.p_raw = detail::t_two_sided(c.statistic, c.df);
      } else {
        const TestResult t = t_test(groups[j], groups[i], false);
        c.statistic = t.statistic;
        c.df = t.df1;
        c.p_raw = t.p;  // NaN (and excluded from the adjustment) when the pair is degenerate
      }
      c.adjustment = to_string(adjustment);
      r.comparisons.push_back(c);
    }
  detail::adjust_comparisons(r.comparisons, adjustment);
  return r;
}

}  // namespace cytopipe::stats
