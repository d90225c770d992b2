#include "cytopipe/stats/nonparametric.hpp"

#include <algorithm>
#include <cmath>

#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

// Mean rank of each group over the pooled sample.
std::vector<double> mean_ranks(std::span<const Group> groups, const std::vector<double>& rank) {
  std::vector<double> out;
  std::size_t at = 0;
  for (const auto& g : groups) {
    double sum = 0;
    for (std::size_t i = 0; i < g.values.size(); ++i) sum += rank[at++];
    out.push_back(sum / static_cast<double>(g.values.size()));
  }
  return out;
}

// P(U <= u) of the Mann-Whitney U for sizes m, n without ties.
double exact_u_cdf(double u, std::size_t m, std::size_t n) {
  if (u < 0) return 0.0;
  if (u >= static_cast<double>(m * n)) return 1.0;
  const auto pmf = detail::mann_whitney_pmf(m, n);
  double cum = 0;
  for (std::size_t s = 0; s < pmf.size() && static_cast<double>(s) <= u; ++s) cum += pmf[s];
  return cum;
}

}  // namespace

TestResult kruskal_wallis(std::span<const Group> groups) {
  TestResult r;
  r.test = "Kruskal-Wallis";
  r.statistic_name = "H";
  r.method = "chi-squared approximation, tie-corrected";
  r.groups = group_sizes(groups);
  if (r.message = check_groups(groups, 2, 2); !r.message.empty()) return r;
  if (detail::all_equal(groups)) {
    r.message = "all values are equal";
    return r;
  }
  const auto all = detail::pooled(groups);
  const auto rank = detail::ranks(all);
  const auto mr = mean_ranks(groups, rank);
  const double n = static_cast<double>(all.size());
  double h = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const double d = mr[i] - (n + 1) / 2;
    h += static_cast<double>(groups[i].values.size()) * d * d;
  }
  h *= 12 / (n * (n + 1));
  h /= 1 - detail::tie_sum(all) / (n * n * n - n);
  r.statistic = h;
  r.df1 = static_cast<double>(groups.size() - 1);
  r.p = detail::chisq_upper(h, r.df1);
  return r;
}

TestResult mann_whitney(const Group& a, const Group& b, Alternative alternative) {
  TestResult r;
  r.test = "Mann-Whitney";
  r.statistic_name = "W";
  r.alternative = alternative;
  const Group pair[] = {a, b};
  r.groups = group_sizes(pair);
  if (r.message = check_groups(pair, 2, 1); !r.message.empty()) return r;
  if (detail::all_equal(pair)) {
    r.message = "all values are equal";
    return r;
  }
  const auto all = detail::pooled(pair);
  const auto rank = detail::ranks(all);
  const std::size_t m = a.values.size(), n = b.values.size();
  double rank_sum = 0;
  for (std::size_t i = 0; i < m; ++i) rank_sum += rank[i];
  const double w = rank_sum - static_cast<double>(m * (m + 1)) / 2;
  r.statistic = w;
  const double ties = detail::tie_sum(all);
  const double dm = static_cast<double>(m), dn = static_cast<double>(n);
  // As R's wilcox.test: exact when both samples are below 50 and nothing is tied.
  if (m < 50 && n < 50 && ties == 0) {
    r.method = "exact";
    const double upper = 1 - exact_u_cdf(w - 1, m, n);  // P(W >= w)
    const double lower = exact_u_cdf(w, m, n);          // P(W <= w)
    switch (alternative) {
      case Alternative::greater: r.p = upper; break;
      case Alternative::less: r.p = lower; break;
      default:
        r.p = std::min(1.0, 2 * (w > dm * dn / 2 ? upper : lower));
    }
  } else {
    r.method = "normal approximation, tie-corrected, with continuity correction";
    const double z0 = w - dm * dn / 2;
    const double sigma =
        std::sqrt(dm * dn / 12 * ((dm + dn + 1) - ties / ((dm + dn) * (dm + dn - 1))));
    double correction = 0;
    switch (alternative) {
      case Alternative::greater: correction = 0.5; break;
      case Alternative::less: correction = -0.5; break;
      default: correction = z0 > 0 ? 0.5 : (z0 < 0 ? -0.5 : 0.0);
    }
    const double z = (z0 - correction) / sigma;
    switch (alternative) {
      case Alternative::greater: r.p = detail::norm_upper(z); break;
      case Alternative::less: r.p = detail::norm_cdf(z); break;
      default: r.p = std::min(1.0, 2 * std::min(detail::norm_cdf(z), detail::norm_upper(z)));
    }
  }
  return r;
}

TestResult dunn(std::span<const Group> groups, Adjustment adjustment, std::size_t control) {
  TestResult r;
  r.test = "Dunn";
  r.statistic_name = "z";
  r.method = "z on mean ranks over all groups, tie-corrected";
  r.groups = group_sizes(groups);
  if (r.message = check_groups(groups, 2, 2); !r.message.empty()) return r;
  if (detail::all_equal(groups)) {
    r.message = "all values are equal";
    return r;
  }
  const auto all = detail::pooled(groups);
  const auto mr = mean_ranks(groups, detail::ranks(all));
  const double n = static_cast<double>(all.size());
  const double scale = n * (n + 1) / 12 - detail::tie_sum(all) / (12 * (n - 1));
  auto compare = [&](std::size_t g, std::size_t ref) {
    Comparison c = detail::comparison(groups[g].label, groups[ref].label);
    c.estimate = mr[g] - mr[ref];
    const double se = std::sqrt(scale * (1.0 / static_cast<double>(groups[g].values.size()) +
                                         1.0 / static_cast<double>(groups[ref].values.size())));
    c.statistic = c.estimate / se;
    c.p_raw = 2 * detail::norm_upper(std::fabs(c.statistic));
    c.adjustment = to_string(adjustment);
    r.comparisons.push_back(c);
  };
  if (control < groups.size()) {
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (g != control) compare(g, control);
  } else {
    for (std::size_t i = 0; i < groups.size(); ++i)
      for (std::size_t j = i + 1; j < groups.size(); ++j) compare(j, i);
  }
  detail::adjust_comparisons(r.comparisons, adjustment);
  return r;
}

}  // namespace cytopipe::stats
