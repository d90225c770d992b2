#include "cytopipe/stats/ttest.hpp"

#include <cmath>

#include "stats/common.hpp"

namespace cytopipe::stats {

TestResult t_test(const Group& a, const Group& b, bool equal_variance, Alternative alternative,
                  double confidence) {
  TestResult r;
  r.test = equal_variance ? "Student t-test" : "Welch t-test";
  r.statistic_name = "t";
  r.alternative = alternative;
  const Group pair[] = {a, b};
  r.groups = group_sizes(pair);
  if (r.message = check_groups(pair, 2, 2); !r.message.empty()) return r;
  const double na = static_cast<double>(a.values.size()), nb = static_cast<double>(b.values.size());
  const double va = detail::variance(a.values), vb = detail::variance(b.values);
  const double diff = detail::mean(a.values) - detail::mean(b.values);
  double se = 0;
  if (equal_variance) {
    r.df1 = na + nb - 2;
    const double pooled = ((na - 1) * va + (nb - 1) * vb) / r.df1;
    se = std::sqrt(pooled * (1 / na + 1 / nb));
  } else {
    const double qa = va / na, qb = vb / nb;
    se = std::sqrt(qa + qb);
    r.df1 = (qa + qb) * (qa + qb) / (qa * qa / (na - 1) + qb * qb / (nb - 1));
  }
  if (!(se > 0)) {
    r.message = "zero variance in both groups";
    return r;
  }
  r.statistic = diff / se;
  r.p = detail::t_p(r.statistic, r.df1, alternative);
  Comparison c = detail::comparison(a.label, b.label);
  c.estimate = diff;
  c.statistic = r.statistic;
  c.df = r.df1;
  c.p_raw = r.p;
  c.adjustment = "none";
  if (alternative == Alternative::two_sided) {
    const double h = detail::t_quantile(0.5 + confidence / 2, r.df1) * se;
    c.ci_low = diff - h, c.ci_high = diff + h;
  } else if (alternative == Alternative::greater) {
    c.ci_low = diff - detail::t_quantile(confidence, r.df1) * se, c.ci_high = INFINITY;
  } else {
    c.ci_low = -INFINITY, c.ci_high = diff + detail::t_quantile(confidence, r.df1) * se;
  }
  r.comparisons.push_back(c);
  return r;
}

}  // namespace cytopipe::stats
