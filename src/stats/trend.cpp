#include "cytopipe/stats/trend.hpp"

#include <cmath>
#include <algorithm>
#include <set>

#include "stats/common.hpp"

namespace cytopipe::stats {

TestResult linear_trend(std::span<const double> dose, std::span<const double> response,
                        const TrendOptions& options) {
  TestResult r;
  const bool log_scale = options.scale == DoseScale::log10;
  r.test = log_scale ? "linear trend on log10 dose" : "linear trend on dose";
  r.statistic_name = "t";
  if (dose.size() != response.size()) {
    r.message = "dose and response differ in length";
    return r;
  }
  std::vector<double> x, y;
  std::size_t excluded = 0;
  for (std::size_t i = 0; i < dose.size(); ++i) {
    if (!std::isfinite(dose[i]) || !std::isfinite(response[i])) {
      r.message = "a dose or response is NaN or infinite";
      return r;
    }
    double d = dose[i];
    if (log_scale) {
      if (options.zero == ZeroDose::offset) d += options.zero_offset;
      if (d <= 0) {
        if (options.zero == ZeroDose::offset) {
          r.message = "a dose plus the offset is not positive";
          return r;
        }
        ++excluded;
        continue;
      }
      d = std::log10(d);
    }
    x.push_back(d);
    y.push_back(response[i]);
  }
  if (log_scale)
    r.method = options.zero == ZeroDose::offset
                   ? "log10(dose + " + std::to_string(options.zero_offset) + ")"
                   : "doses <= 0 excluded (" + std::to_string(excluded) + " observations)";
  r.groups = {{"observations", x.size()}};
  if (std::set<double>(x.begin(), x.end()).size() < 2) {
    r.message = "needs at least 2 distinct doses";
    return r;
  }
  if (x.size() < 3) {
    r.message = "needs at least 3 observations";
    return r;
  }
  const double n = static_cast<double>(x.size());
  const double xm = detail::mean(x), ym = detail::mean(y);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - xm) * (x[i] - xm);
    sxy += (x[i] - xm) * (y[i] - ym);
    syy += (y[i] - ym) * (y[i] - ym);
  }
  if (syy <= 0) {
    r.message = "all responses are equal";
    return r;
  }
  const double slope = sxy / sxx, intercept = ym - slope * xm;
  double rss = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = y[i] - intercept - slope * x[i];
    rss += e * e;
  }
  const double df = n - 2;
  if (rss <= 1e-28 * syy) {
    r.message = "the responses lie exactly on a line (zero residual variance)";
    return r;
  }
  const double s2 = rss / df;
  const double q = detail::t_quantile(0.975, df);
  auto parameter = [&](const char* name, double estimate, double se) {
    Parameter p{name, estimate, se, estimate - q * se, estimate + q * se, estimate / se, kNaN};
    p.p = detail::t_two_sided(p.statistic, df);
    return p;
  };
  r.parameters = {parameter("intercept", intercept, std::sqrt(s2 * (1 / n + xm * xm / sxx))),
                  parameter("slope", slope, std::sqrt(s2 / sxx))};
  r.parameters.push_back({"r_squared", 1 - rss / syy, kNaN, kNaN, kNaN, kNaN, kNaN});
  r.statistic = r.parameters[1].statistic;
  r.df1 = df;
  r.p = r.parameters[1].p;
  return r;
}

namespace {

// Exact null distribution of JT without ties: JT is the sum over groups i of the Mann-Whitney
// count of group i against all later groups pooled, and under H0 these counts are independent
// (the ranks within group i and the later groups carry no information about the ranks among the
// later groups), so the distribution is their convolution. Element s is P(JT = s).
std::vector<double> jt_null_pmf(std::span<const Group> groups) {
  std::vector<double> pmf = {1.0};
  std::size_t later = detail::total_n(groups);
  for (std::size_t i = 0; i + 1 < groups.size(); ++i) {
    const std::size_t m = groups[i].values.size();
    later -= m;
    const auto u = detail::mann_whitney_pmf(m, later);
    std::vector<double> next(pmf.size() + u.size() - 1, 0.0);
    for (std::size_t a = 0; a < pmf.size(); ++a)
      for (std::size_t b = 0; b < u.size(); ++b) next[a + b] += pmf[a] * u[b];
    pmf = std::move(next);
  }
  return pmf;
}

}  // namespace

TestResult jonckheere_terpstra(std::span<const Group> groups, Alternative alternative) {
  TestResult r;
  r.test = "Jonckheere-Terpstra";
  r.statistic_name = "JT";
  r.alternative = alternative;
  r.groups = group_sizes(groups);
  if (r.message = check_groups(groups, 2, 1); !r.message.empty()) return r;
  if (detail::all_equal(groups)) {
    r.message = "all values are equal";
    return r;
  }
  // JT = sum over ordered group pairs i < j of #(x_i < x_j) + #(x_i == x_j) / 2.
  double jt = 0;
  for (std::size_t i = 0; i < groups.size(); ++i)
    for (std::size_t j = i + 1; j < groups.size(); ++j)
      for (double a : groups[i].values)
        for (double b : groups[j].values) jt += a < b ? 1.0 : (a == b ? 0.5 : 0.0);
  const auto all = detail::pooled(groups);
  const double n = static_cast<double>(all.size());
  double sum_n2 = 0, group_term = 0, group_2 = 0, group_3 = 0;
  for (const auto& g : groups) {
    const double m = static_cast<double>(g.values.size());
    sum_n2 += m * m;
    group_term += m * (m - 1) * (2 * m + 5);
    group_3 += m * (m - 1) * (m - 2);
    group_2 += m * (m - 1);
  }
  // Tie groups of the pooled sample.
  std::vector<double> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  double tie_term = 0, tie_3 = 0, tie_2 = 0;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[i]) ++j;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * (t - 1) * (2 * t + 5);
    tie_3 += t * (t - 1) * (t - 2);
    tie_2 += t * (t - 1);
    i = j + 1;
  }
  const double mean = (n * n - sum_n2) / 4;
  const double variance = (n * (n - 1) * (2 * n + 5) - group_term - tie_term) / 72 +
                          group_3 * tie_3 / (36 * n * (n - 1) * (n - 2)) +
                          group_2 * tie_2 / (8 * n * (n - 1));
  if (!(variance > 0)) {
    r.message = "JT statistic has zero variance";
    return r;
  }
  r.statistic = jt;
  const double z = (jt - mean) / std::sqrt(variance);
  r.parameters = {{"z", z, kNaN, kNaN, kNaN, z, kNaN, "z"}};
  // Exact as clinfun::jonckheere.test: without ties up to 100 observations (the distribution has
  // at most N^2 / 2 + 1 points, so this stays cheap); two-sided = twice the smaller tail.
  const bool ties = tie_2 > 0;
  if (!ties && all.size() <= kJtExactMaxN) {
    r.method = "exact permutation distribution (no ties, N <= 100)";
    const auto pmf = jt_null_pmf(groups);
    const auto at = static_cast<std::size_t>(jt);  // an integer without ties
    double lower = 0, upper = 0;  // P(JT <= jt), P(JT >= jt), each summed from its own tail
    for (std::size_t s = 0; s <= at; ++s) lower += pmf[s];
    for (std::size_t s = at; s < pmf.size(); ++s) upper += pmf[s];
    switch (alternative) {
      case Alternative::greater: r.p = std::min(1.0, upper); break;
      case Alternative::less: r.p = std::min(1.0, lower); break;
      default: r.p = std::min(1.0, 2 * std::min(lower, upper));
    }
    return r;
  }
  r.method = std::string("normal approximation, ties-corrected variance, no continuity correction (") +
             (ties ? "ties" : "N > 100") + ")";
  switch (alternative) {
    case Alternative::greater: r.p = detail::norm_upper(z); break;
    case Alternative::less: r.p = detail::norm_cdf(z); break;
    default: r.p = std::min(1.0, 2 * detail::norm_upper(std::fabs(z)));
  }
  return r;
}

}  // namespace cytopipe::stats
