#include "cytopipe/stats/assumptions.hpp"

#include <algorithm>
#include <cmath>

#include "cytopipe/stats/anova.hpp"
#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

double polynomial(std::initializer_list<double> c, double x) {
  double sum = 0, power = 1;
  for (double coefficient : c) sum += coefficient * power, power *= x;
  return sum;
}

}  // namespace

// Royston (1992, 1995): the coefficients a from normal scores with polynomial corrections for
// the two extreme pairs, and a normalising transformation of log(1 - W).
TestResult shapiro_wilk(std::span<const double> values) {
  TestResult r;
  r.test = "Shapiro-Wilk";
  r.statistic_name = "W";
  r.groups = {{"values", values.size()}};
  const std::size_t n = values.size();
  for (double v : values)
    if (!std::isfinite(v)) {
      r.message = "a value is NaN or infinite";
      return r;
    }
  if (n < 3 || n > 5000) {
    r.message = "needs 3 to 5000 values, got " + std::to_string(n);
    return r;
  }
  std::vector<double> x(values.begin(), values.end());
  std::sort(x.begin(), x.end());
  if (x.front() == x.back()) {
    r.message = "all values are equal";
    return r;
  }
  const double dn = static_cast<double>(n);
  // Antisymmetric coefficients: a[i] for i < n/2 is the (negative) weight of x[i].
  std::vector<double> a(n, 0.0);
  if (n == 3) {
    a[0] = -std::sqrt(0.5);
  } else {
    std::vector<double> m(n);
    double summ2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = detail::norm_quantile((static_cast<double>(i + 1) - 0.375) / (dn + 0.25));
      summ2 += m[i] * m[i];
    }
    const double u = 1 / std::sqrt(dn);
    const double an = m[n - 1] / std::sqrt(summ2) +
                      polynomial({0, 0.221157, -0.147981, -2.071190, 4.434685, -2.706056}, u);
    std::size_t fixed = 1;
    double phi = 0;
    if (n > 5) {
      const double an1 = m[n - 2] / std::sqrt(summ2) +
                         polynomial({0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633}, u);
      phi = (summ2 - 2 * m[n - 1] * m[n - 1] - 2 * m[n - 2] * m[n - 2]) /
            (1 - 2 * an * an - 2 * an1 * an1);
      a[1] = -an1;
      fixed = 2;
    } else {
      phi = (summ2 - 2 * m[n - 1] * m[n - 1]) / (1 - 2 * an * an);
    }
    a[0] = -an;
    for (std::size_t i = fixed; i < n / 2; ++i) a[i] = m[i] / std::sqrt(phi);
  }
  for (std::size_t i = 0; i < n / 2; ++i) a[n - 1 - i] = -a[i];
  // W as the squared correlation of a and x, written as 1 - (1 - W) for accuracy near 1.
  const double xm = detail::mean(x), am = detail::mean(a);
  double ssa = 0, ssx = 0, sax = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double da = a[i] - am, dx = (x[i] - xm) / (x.back() - x.front());
    ssa += da * da, ssx += dx * dx, sax += da * dx;
  }
  const double root = std::sqrt(ssa * ssx);
  const double w1 = (root - sax) * (root + sax) / (ssa * ssx);  // 1 - W
  const double w = 1 - w1;
  r.statistic = w;
  if (n == 3) {
    r.p = std::max(0.0, 6 / M_PI * (std::asin(std::sqrt(w)) - M_PI / 3));
    return r;
  }
  double y = std::log(w1), mu = 0, sigma = 0;
  if (n <= 11) {
    const double gamma = -2.273 + 0.459 * dn;
    if (y >= gamma) {
      r.p = 1e-99;  // as R: beyond the range of the transformation
      return r;
    }
    y = -std::log(gamma - y);
    mu = polynomial({0.5440, -0.39978, 0.025054, -6.714e-4}, dn);
    sigma = std::exp(polynomial({1.3822, -0.77857, 0.062767, -0.0020322}, dn));
  } else {
    const double ln = std::log(dn);
    mu = polynomial({-1.5861, -0.31082, -0.083751, 0.0038915}, ln);
    sigma = std::exp(polynomial({-0.4803, -0.082676, 0.0030302}, ln));
  }
  r.p = detail::norm_upper((y - mu) / sigma);
  return r;
}

std::vector<double> anova_residuals(std::span<const Group> groups) {
  std::vector<double> out;
  for (const auto& g : groups) {
    const double m = detail::mean(g.values);
    for (double v : g.values) out.push_back(v - m);
  }
  return out;
}

TestResult levene(std::span<const Group> groups, Center center) {
  std::vector<Group> deviations;
  for (const auto& g : groups) {
    const double c = center == Center::median ? detail::median(g.values) : detail::mean(g.values);
    Group d{g.label, {}};
    for (double v : g.values) d.values.push_back(std::fabs(v - c));
    deviations.push_back(std::move(d));
  }
  TestResult r = one_way_anova(deviations);
  r.test = center == Center::median ? "Brown-Forsythe" : "Levene";
  r.method = center == Center::median ? "ANOVA on absolute deviations from group medians"
                                      : "ANOVA on absolute deviations from group means";
  if (r.message == "all values are equal" || r.message == "zero variance within every group")
    r.message = "the spread is identical in every group (" + r.message + " after centring)";
  return r;
}

AutoChoice choose_family(std::span<const Group> groups, double alpha) {
  AutoChoice choice;
  choice.normality = shapiro_wilk(anova_residuals(groups));
  choice.variance = levene(groups, Center::median);
  char buffer[160];
  if (!choice.normality.ok()) {
    choice.family = Family::rank_based;
    choice.reason = "normality of residuals not testable (" + choice.normality.message + ")";
  } else if (choice.normality.p < alpha) {
    choice.family = Family::rank_based;
    std::snprintf(buffer, sizeof buffer, "Shapiro-Wilk on residuals p = %.3g < %g",
                  choice.normality.p, alpha);
    choice.reason = buffer;
  } else if (choice.variance.ok() && choice.variance.p < alpha) {
    choice.family = Family::parametric_welch;
    std::snprintf(buffer, sizeof buffer,
                  "residuals normal (Shapiro-Wilk p = %.3g) but variances differ "
                  "(Brown-Forsythe p = %.3g < %g)",
                  choice.normality.p, choice.variance.p, alpha);
    choice.reason = buffer;
  } else {
    choice.family = Family::parametric_equal_var;
    std::snprintf(buffer, sizeof buffer,
                  "residuals normal (Shapiro-Wilk p = %.3g), variances homogeneous "
                  "(Brown-Forsythe p = %.3g)",
                  choice.normality.p, choice.variance.p);
    choice.reason = buffer;
  }
  return choice;
}

}  // namespace cytopipe::stats
