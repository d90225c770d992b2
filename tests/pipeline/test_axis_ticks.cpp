// Decade ticks of transformed axes, as the report and `plot density` compute them (the scale's
// Transform composed with plot::decade_ticks), against the logicle and arcsinh scales computed
// here from their definitions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cytopipe/plot/scale.hpp"
#include "cytopipe/transform/transform.hpp"

namespace {

// Logicle from the Gating-ML 2.0 definition: the y with B(y) = x, where
// B(y) = a e^(by) - c e^(-dy) + f for y >= x1 and B(y) = -B(2 x1 - y) below it (symmetric about
// x1, the value of 0); solved by bisection (B is increasing).
double logicle_by_definition(double x, double T, double W, double M, double A) {
  if (x < 0) return 2 * (A + W) / (M + A) - logicle_by_definition(-x, T, W, M, A);
  const double w = W / (M + A), x2 = A / (M + A), x1 = x2 + w, x0 = x2 + 2 * w;
  const double b = (M + A) * std::log(10.0);
  double lo = 1e-12, hi = b;  // d solves 2 (ln d - ln b) + w (b + d) = 0, increasing in d
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (2 * (std::log(mid) - std::log(b)) + w * (b + mid) < 0 ? lo : hi) = mid;
  }
  const double d = (lo + hi) / 2;
  const double ca = std::exp(x0 * (b + d));
  const double mfa = std::exp(b * x1) - ca / std::exp(d * x1);
  const double a = T / ((std::exp(b) - mfa) - ca / std::exp(d));
  const double c = ca * a, f = -mfa * a;
  const auto B = [&](double y) { return a * std::exp(b * y) - c * std::exp(-d * y) + f; };
  double ylo = -2, yhi = 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (ylo + yhi) / 2;
    (B(mid) < x ? ylo : yhi) = mid;
  }
  return (ylo + yhi) / 2;
}

std::vector<cytopipe::plot::Tick> ticks_of(const std::string& scale, double lo, double hi) {
  const auto t = cytopipe::transform::Transform::parse(scale);
  return cytopipe::plot::decade_ticks([&](double v) { return t.apply(v); }, lo, hi, 0.06, true);
}

TEST(AxisTicks, LogicleAxisIsLabelledInDecadesWithMinorTicks) {
  const double T = 262144, W = 0.5, M = 4.5, A = 0;
  const auto ticks = ticks_of("logicle(T=262144,W=0.5,M=4.5,A=0)", 0, 1);
  std::vector<std::string> labels;
  for (const auto& t : ticks)
    if (!t.minor) labels.push_back(t.label);
  // -10² is still on this scale (at 0.009); 10¹ sits within 6 % of the axis of 0 and is
  // dropped; 10⁶ > T is off the scale.
  EXPECT_EQ(labels, (std::vector<std::string>{"-10²", "0", "10²", "10³", "10⁴", "10⁵"}));
  const std::vector<double> decades{-100, 0, 100, 1000, 10000, 100000};
  std::size_t next = 0;
  for (const auto& t : ticks) {
    if (t.minor) continue;
    EXPECT_NEAR(t.position, logicle_by_definition(decades[next], T, W, M, A), 1e-9) << t.label;
    ++next;
  }
  // Minor ticks: unlabelled, at m x 10^k; every one of 2..9 x 10^2 .. 10^4 is there, in place.
  for (int k = 2; k <= 4; ++k)
    for (int m = 2; m <= 9; ++m) {
      const double at = logicle_by_definition(m * std::pow(10.0, k), T, W, M, A);
      const bool found = std::any_of(ticks.begin(), ticks.end(), [&](const auto& t) {
        return t.minor && t.label.empty() && std::abs(t.position - at) < 1e-9;
      });
      EXPECT_TRUE(found) << m << "e" << k;
    }
  // 2 x 10^5 lies on the scale (T = 262144), 3 x 10^5 beyond it.
  const double top = logicle_by_definition(3e5, T, W, M, A);
  EXPECT_GT(top, 1);
  for (const auto& t : ticks) EXPECT_LE(t.position, 1.0);
}

TEST(AxisTicks, ArcsinhAxisShowsNegativeDecades) {
  // asinh(x / 150) over [-4, 6]: the negative decades -10² and -10³ are labelled too.
  const auto ticks = ticks_of("asinh(cofactor=150)", -4, 6);
  std::vector<std::string> labels;
  for (const auto& t : ticks)
    if (!t.minor) labels.push_back(t.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"-10³", "-10²", "0", "10²", "10³", "10⁴"}));
  for (const auto& t : ticks) {
    if (t.minor) continue;
    double value = 0;
    if (t.label != "0") {
      const bool negative = t.label[0] == '-';
      const std::string digit = t.label.substr(negative ? 3 : 2);  // after "10" (and "-")
      const int k = digit == "²" ? 2 : digit == "³" ? 3 : digit == "⁴" ? 4 : 5;
      value = (negative ? -1 : 1) * std::pow(10.0, k);
    }
    EXPECT_NEAR(t.position, std::asinh(value / 150), 1e-12) << t.label;
  }
  const auto minors = std::count_if(ticks.begin(), ticks.end(), [&](const auto& t) {
    return t.minor && std::abs(t.position - std::asinh(-500.0 / 150)) < 1e-12;
  });
  EXPECT_EQ(minors, 1);  // -5 x 10^2, between -10³ and -10²
}

}  // namespace
