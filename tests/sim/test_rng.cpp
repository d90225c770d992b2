#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cytopipe/sim/rng.hpp"

namespace cytopipe::sim {
namespace {

TEST(SimRng, SameSeedSameStreamAndDifferentSeedsDiffer) {
  Rng a(42), b(42), c(43);
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differ += x != c.next();
  }
  EXPECT_GT(differ, 990);
}

TEST(SimRng, DerivedStreamsDependOnNameAndSeed) {
  EXPECT_EQ(Rng::derive(7, "a.fcs"), Rng::derive(7, "a.fcs"));
  EXPECT_NE(Rng::derive(7, "a.fcs"), Rng::derive(7, "b.fcs"));
  EXPECT_NE(Rng::derive(7, "a.fcs"), Rng::derive(8, "a.fcs"));
}

TEST(SimRng, UniformStaysInUnitIntervalWithUniformMoments) {
  Rng r(1);
  const int n = 200000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum2 / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);
}

TEST(SimRng, NormalHasStandardMomentsAndTails) {
  Rng r(2);
  const int n = 200000;
  double sum = 0, sum2 = 0;
  int beyond2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    sum += z;
    sum2 += z * z;
    beyond2 += std::fabs(z) > 1.959964;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.015);
  EXPECT_NEAR(static_cast<double>(beyond2) / n, 0.05, 0.003);  // two-sided 5 % tail
}

TEST(SimRng, LognormalMedianIsTheMedian) {
  Rng r(3);
  std::vector<double> v(50001);
  for (auto& x : v) x = r.lognormal(1000, 0.5);
  std::nth_element(v.begin(), v.begin() + 25000, v.end());
  EXPECT_NEAR(v[25000], 1000, 15);
}

}  // namespace
}  // namespace cytopipe::sim
