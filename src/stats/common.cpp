#include "stats/common.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>

namespace cytopipe::stats::detail {

namespace bm = boost::math;

double mean(std::span<const double> x) {
  if (x.empty()) return kNaN;
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double variance(std::span<const double> x) {
  if (x.size() < 2) return kNaN;
  const double m = mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return ss / static_cast<double>(x.size() - 1);
}

double median(std::span<const double> x) {
  if (x.empty()) return kNaN;
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

std::vector<double> ranks(std::span<const double> x) {
  const std::size_t n = x.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return x[a] < x[b]; });
  std::vector<double> r(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && x[order[j + 1]] == x[order[i]]) ++j;
    const double mid = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = mid;
    i = j + 1;
  }
  return r;
}

double tie_sum(std::span<const double> x) {
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  double sum = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    while (j + 1 < s.size() && s[j + 1] == s[i]) ++j;
    const double t = static_cast<double>(j - i + 1);
    sum += t * t * t - t;
    i = j + 1;
  }
  return sum;
}

std::vector<double> mann_whitney_pmf(std::size_t m, std::size_t n) {
  // Counts of rank subsets by dynamic programming over the pooled ranks: the item at position t,
  // chosen as x number j + 1, has t - j y values below it. Only additions of positive counts, so
  // the counts keep full relative precision (C(100, 50) ~ 1e29 is still far from overflow).
  const std::size_t max_u = m * n;
  std::vector<std::vector<double>> ways(m + 1, std::vector<double>(max_u + 1, 0.0));
  ways[0][0] = 1;
  for (std::size_t t = 0; t < m + n; ++t)
    for (std::size_t j = std::min(m, t + 1); j >= 1; --j) {
      const std::size_t below = t - (j - 1);  // y values before this item
      if (below > n) continue;
      for (std::size_t s = max_u; s + 1 > below; --s) ways[j][s] += ways[j - 1][s - below];
    }
  std::vector<double> pmf = std::move(ways[m]);
  double total = 0;
  for (double w : pmf) total += w;
  for (double& w : pmf) w /= total;
  return pmf;
}

std::vector<double> pooled(std::span<const Group> groups) {
  std::vector<double> all;
  for (const auto& g : groups) all.insert(all.end(), g.values.begin(), g.values.end());
  return all;
}

std::size_t total_n(std::span<const Group> groups) {
  std::size_t n = 0;
  for (const auto& g : groups) n += g.values.size();
  return n;
}

double t_upper(double t, double df) {
  if (!(df > 0) || std::isnan(t)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  return bm::cdf(bm::complement(bm::students_t(df), t));
}

double t_two_sided(double t, double df) {
  const double u = t_upper(std::fabs(t), df);
  return std::isnan(u) ? kNaN : std::min(1.0, 2 * u);
}

double t_quantile(double p, double df) {
  if (!(df > 0) || !(p > 0 && p < 1)) return kNaN;
  return bm::quantile(bm::students_t(df), p);
}

double f_upper(double f, double df1, double df2) {
  if (!(df1 > 0) || !(df2 > 0) || std::isnan(f) || f < 0) return kNaN;
  if (std::isinf(f)) return 0.0;
  return bm::cdf(bm::complement(bm::fisher_f(df1, df2), f));
}

double chisq_upper(double x, double df) {
  if (!(df > 0) || std::isnan(x) || x < 0) return kNaN;
  if (std::isinf(x)) return 0.0;
  return bm::cdf(bm::complement(bm::chi_squared(df), x));
}

double norm_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double norm_upper(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }
double norm_quantile(double p) {
  if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : (p == 1 ? INFINITY : kNaN);
  return bm::quantile(bm::normal(), p);
}

double t_p(double t, double df, Alternative alternative) {
  switch (alternative) {
    case Alternative::greater: return t_upper(t, df);
    case Alternative::less: return t_upper(-t, df);
    default: return t_two_sided(t, df);
  }
}

Comparison comparison(const std::string& group, const std::string& reference) {
  Comparison c;
  c.group = group;
  c.reference = reference;
  c.label = group + " - " + reference;
  return c;
}

Comparison mean_difference(const Group& group, const Group& reference) {
  Comparison c = comparison(group.label, reference.label);
  c.estimate = mean(group.values) - mean(reference.values);
  return c;
}

bool all_equal(std::span<const Group> groups) {
  bool first = true;
  double v0 = 0;
  for (const auto& g : groups)
    for (double v : g.values) {
      if (first) { v0 = v; first = false; }
      else if (v != v0) return false;
    }
  return true;
}

Pooled pooled_variance(std::span<const Group> groups) {
  Pooled p;
  if (p.problem = check_groups(groups, 2, 2); !p.problem.empty()) return p;
  if (detail::all_equal(groups)) {
    p.problem = "all values are equal";
    return p;
  }
  double ss = 0;
  for (const auto& g : groups) {
    const double m = detail::mean(g.values);
    for (double v : g.values) ss += (v - m) * (v - m);
  }
  p.df = static_cast<double>(detail::total_n(groups) - groups.size());
  if (ss <= 0) {
    p.problem = "zero variance within every group";
    return p;
  }
  p.mse = ss / p.df;
  return p;
}

void adjust_comparisons(std::vector<Comparison>& comparisons, Adjustment adjustment) {
  std::vector<double> raw;
  raw.reserve(comparisons.size());
  for (const auto& c : comparisons) raw.push_back(c.p_raw);
  const auto adjusted = adjust_p(raw, adjustment);
  for (std::size_t i = 0; i < adjusted.size(); ++i) comparisons[i].p_adjusted = adjusted[i];
}

}  // namespace cytopipe::stats::detail
