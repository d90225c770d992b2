// Logicle and hyperlog against independent computations: their "data from scale" functions are
// explicit biexponentials, so evaluating the Gating-ML 2.0 formulas in long double (constants
// included, d found by bisection) gives an oracle for the root our solver and fast path find.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "cytopipe/transform/transform.hpp"

namespace ct = cytopipe::transform;
using ld = long double;

namespace {

// Gating-ML 2.0 logicle / hyperlog, straight from the specification's formulas, in long double.
struct Oracle {
  bool logicle = true;
  ld a = 0, b = 0, c = 0, d = 0, f = 0, x1 = 0;

  static Oracle make(bool logicle, ld T, ld W, ld M, ld A) {
    Oracle o;
    o.logicle = logicle;
    const ld ln10 = std::log(ld{10});
    const ld w = W / (M + A), x2 = A / (M + A);
    o.x1 = x2 + w;
    const ld x0 = x2 + 2 * w;
    o.b = (M + A) * ln10;
    if (logicle) {
      // 2 (ln d - ln b) + w (b + d) = 0 on (0, b], by bisection.
      ld lo = 0, hi = o.b;
      if (w > 0)
        for (int i = 0; i < 200; ++i) {
          const ld mid = (lo + hi) / 2;
          (2 * (std::log(mid) - std::log(o.b)) + w * (o.b + mid) < 0 ? lo : hi) = mid;
        }
      o.d = w > 0 ? (lo + hi) / 2 : o.b;
      const ld ca = std::exp(x0 * (o.b + o.d));
      const ld mfa = std::exp(o.b * o.x1) - ca / std::exp(o.d * o.x1);
      o.a = T / ((std::exp(o.b) - mfa) - ca / std::exp(o.d));
      o.c = ca * o.a;
      o.f = -mfa * o.a;
    } else {
      const ld ca = std::exp(o.b * x0) / w;
      const ld fa = std::exp(o.b * o.x1) + ca * o.x1;
      o.a = T / (std::exp(o.b) + ca - fa);
      o.c = ca * o.a;
      o.f = fa * o.a;
    }
    return o;
  }
  // The right-branch formula, reflected below x1 as the specification defines.
  ld data(ld y) const {
    if (y < x1) return -data(2 * x1 - y);
    return logicle ? a * std::exp(b * y) - c * std::exp(-d * y) + f
                   : a * std::exp(b * y) + c * y - f;
  }
  ld slope(ld y) const {
    if (y < x1) return slope(2 * x1 - y);
    return logicle ? a * b * std::exp(b * y) + c * d * std::exp(-d * y)
                   : a * b * std::exp(b * y) + c;
  }
  // The root of data(y) = x by bisection (data is increasing).
  ld scale(ld x) const {
    ld lo = -10, hi = 10;
    for (int i = 0; i < 200; ++i) {
      const ld mid = (lo + hi) / 2;
      (data(mid) < x ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
  }
};

struct Case {
  bool logicle;
  double T, W, M, A;
};

// Parameter sets of the Gating-ML 2.0 spec tables and of shared/gatingml_ref's gates*.xml.
const std::vector<Case> kCases = {
    {true, 1000, 1, 4, 0},       {true, 1000, 1, 4, 1},        {true, 1000, 0, 4, 1},
    {true, 10000, 0.5, 4.5, 0},  {true, 10000, 1, 4, 0.5},     {true, 262144, 0.5, 4.5, 0},
    {true, 262144, 1, 4, 0},     {true, 262144, 0.3, 4.2, 0.5}, {true, 300000, 1, 5, 0.3},
    {true, 10000, 0.7, 4.5, 0},  {true, 262144, 1, 5, 0.5},    {true, 262144, 0.5, 4.5, -0.5},
    {false, 1000, 1, 4, 0},      {false, 10000, 1, 4.5, 0},    {false, 262144, 0.5, 4.5, 0},
    {false, 262144, 1, 4, 0},    {false, 262144, 0.3, 4.2, 0.5}, {false, 250000, 0.1, 4, 0},
    {false, 262144, 1, 5, 0.5},
};

ct::Transform make(const Case& c) {
  if (c.logicle) return ct::Transform(ct::Logicle{c.T, c.W, c.M, c.A});
  return ct::Transform(ct::Hyperlog{c.T, c.W, c.M, c.A});
}

// Relative error with a floor: near the scale's zero crossing (a negative data value when
// x1 > 0) |y| -> 0 and any absolute error, even an ulp of x1, is unbounded relative to |y|.
double rel(ld got, ld want, ld floor) {
  return static_cast<double>(std::abs(got - want) / std::max(std::abs(want), floor));
}

}  // namespace

TEST(Oracles, ExactSolverMatchesLongDoubleDefinition) {
  for (const Case& c : kCases) {
    const ct::Transform t = make(c);
    const Oracle o = Oracle::make(c.logicle, c.T, c.W, c.M, c.A);
    double worst_exact = 0, worst_fast = 0;
    std::vector<double> xs, ys;
    // A dense grid in the scale domain from far below zero to far beyond T (y = 1).
    for (int i = 0; i <= 20000; ++i) {
      const ld y = -1.5L + 3.5L * i / 20000;
      const double x = static_cast<double>(o.data(y));
      if (!std::isfinite(x)) continue;
      // The root for the double x actually passed in (x was rounded), one Newton step from y.
      xs.push_back(x);
      ys.push_back(static_cast<double>(y + (x - o.data(y)) / o.slope(y)));
    }
    std::vector<double> fast(xs.size());
    t.apply(xs, fast);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      worst_exact = std::max(worst_exact, rel(t.apply(xs[i]), ys[i], 1e-6L));
      worst_fast = std::max(worst_fast, rel(fast[i], ys[i], 1e-6L));
    }
    // Exact: ulp level (an ulp of x1 is ~1e-17, i.e. ~1e-11 of the 1e-6 floor).
    EXPECT_LE(worst_exact, 1e-11) << t.to_string();
    EXPECT_LE(worst_fast, 1e-9) << t.to_string();
    std::printf("  %-40s exact %.3g  fast %.3g\n", t.to_string().c_str(), worst_exact, worst_fast);
  }
}

TEST(Oracles, HyperlogSpecTableEntryAtThree) {
  // The root of EH(y) = 3 for Hyperlog(1000, 1, 4, 0), by bisection in long double: the spec's
  // table prints 0.309091 (see test_published_values); the root is 0.3090918...
  const Oracle o = Oracle::make(false, 1000, 1, 4, 0);
  const ld root = o.scale(3);
  EXPECT_NEAR(static_cast<double>(root), 0.30909185, 1e-8);
  EXPECT_NEAR(ct::Transform(ct::Hyperlog{1000, 1, 4, 0}).apply(3), static_cast<double>(root),
              1e-15);
}

TEST(Oracles, RoundTripsOnDenseGrids) {
  // x -> f(x) -> f^-1 for |x| from 1e-6 T to 1e6 T, both signs, for every transform kind.
  std::vector<ct::Transform> transforms;
  for (const Case& c : kCases) transforms.push_back(make(c));
  transforms.emplace_back(ct::Fasinh{262144, 4.5, 0});
  transforms.emplace_back(ct::Fasinh{10000, 4, 1});
  transforms.emplace_back(ct::Flin{10000, 500});
  transforms.emplace_back(ct::ArcsinhCofactor{150});
  transforms.emplace_back(ct::FlowJoBiex{262144, -10, 4.5, 0});
  for (const ct::Transform& t : transforms) {
    const double T = 262144;
    std::vector<double> x;
    for (int i = 0; i <= 24000; ++i) {
      const double u = T * std::pow(10.0, -6 + 12.0 * i / 24000);
      x.push_back(u);
      x.push_back(-u);
    }
    std::vector<double> y(x.size()), back(x.size());
    t.apply(x, y);
    t.inverse(y, back);
    double worst_scalar = 0, worst_bulk = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      worst_scalar = std::max(worst_scalar, std::abs(t.inverse(t.apply(x[i])) - x[i]) / std::abs(x[i]));
      worst_bulk = std::max(worst_bulk, std::abs(back[i] - x[i]) / std::abs(x[i]));
    }
    EXPECT_LE(worst_scalar, 1e-9) << t.to_string();
    EXPECT_LE(worst_bulk, 1e-9) << t.to_string();
  }
  // flog and log10 are defined for x > 0 only (log10 also floors): round trip above the floor.
  for (const ct::Transform& t : {ct::Transform(ct::Flog{10000, 5}), ct::Transform(ct::Log10{1})}) {
    for (int i = 0; i <= 1000; ++i) {
      const double x = std::pow(10.0, 12.0 * i / 1000);
      EXPECT_NEAR(t.inverse(t.apply(x)), x, 1e-12 * x) << t.to_string();
    }
  }
}

TEST(Oracles, FastPathErrorBoundOverWholeRange) {
  // The stated bound of the bulk (table) path: relative error <= 1e-9 with |y| floored at 1e-6,
  // over 1e-12 T .. 1e8 T of either sign, for every parameter set above; plus random values.
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(-15, 12);
  for (const Case& c : kCases) {
    const ct::Transform t = make(c);
    const double measured = t.measure_fast_error(100000, 1e-6);
    EXPECT_LE(measured, 1e-9) << t.to_string();
    std::printf("  %-40s measured fast-path error %.3g\n", t.to_string().c_str(), measured);
    std::vector<double> x(20000);
    for (double& v : x) v = (rng() & 1 ? 1 : -1) * c.T * std::pow(10.0, exponent(rng));
    std::vector<double> y(x.size());
    t.apply(x, y);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double exact = t.apply(x[i]);
      ASSERT_LE(std::abs(y[i] - exact), 1e-9 * std::max(std::abs(exact), 1e-6))
          << t.to_string() << " at x=" << x[i];
    }
  }
}

TEST(Oracles, SpecialValues) {
  const ct::Transform t(ct::Logicle{262144, 0.5, 4.5, 0});
  std::vector<double> x = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300, -1e300, 5e-324};
  std::vector<double> y(x.size());
  t.apply(x, y);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], INFINITY);
  EXPECT_EQ(y[2], -INFINITY);
  EXPECT_DOUBLE_EQ(y[3], t.apply(0.0));
  EXPECT_DOUBLE_EQ(y[3], 0.5 / 4.5);  // x1 = (A + W) / (M + A)
  EXPECT_DOUBLE_EQ(y[4], y[3]);
  EXPECT_NEAR(y[5], t.apply(1e300), 1e-15 * std::abs(y[5]));
  // Far above T (the solver's log1p-corrected logarithm): check against the oracle's B(y).
  const Oracle o = Oracle::make(true, 262144, 0.5, 4.5, 0);
  EXPECT_NEAR(static_cast<double>(o.data(y[5]) / 1e300L), 1.0, 1e-12);  // b * ulp(y)
  EXPECT_NEAR(y[6], 2 * (0.5 / 4.5) - y[5], 1e-12);                 // odd about x1
  EXPECT_DOUBLE_EQ(t.inverse(y[3]), 0.0);
}
