// The per-channel statistics of pipelines are gating's (gating::statistic): checked against values
// worked out by hand, and bit for bit against gating::value_statistics, the definition `cytopipe
// gate` reports, so a pipeline's median / rsd means exactly what the gating tables mean.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cytopipe/gating/statistics.hpp"

using cytopipe::gating::Statistic;
using cytopipe::gating::statistic;

TEST(Statistics, HandWorkedValues) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(statistic(Statistic::Median, v), 2.5);  // even count: mean of middle two
  v = {4, 1, 3, 2, 100};
  EXPECT_DOUBLE_EQ(statistic(Statistic::Median, v), 3);
  v = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(statistic(Statistic::Mean, v), 5);
  // sum of squares 32 over n - 1 = 7
  EXPECT_DOUBLE_EQ(statistic(Statistic::Sd, v), std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(statistic(Statistic::Cv, v), 100 * std::sqrt(32.0 / 7.0) / 5);
  // Geometric mean of the positive values only: sqrt(1 * 100), the -5 and 0 are left out.
  v = {1, -5, 100, 0};
  EXPECT_NEAR(statistic(Statistic::GeometricMean, v), 10, 1e-12);
  // FlowJo robust SD = (P84.13 - P15.87) / 2, R type 7. Values 0..100 (n = 101): the p-th
  // percentile is p itself, so robust SD = (84.13 - 15.87) / 2 = 34.13 and robust CV =
  // 100 * 34.13 / 50.
  v.clear();
  for (int i = 100; i >= 0; --i) v.push_back(i);
  EXPECT_NEAR(statistic(Statistic::RobustSd, v), 34.13, 1e-12);
  EXPECT_NEAR(statistic(Statistic::RobustCv, v), 100 * 34.13 / 50, 1e-12);
  // Non-finite values are left out (median of 1, 2, 3).
  v = {std::numeric_limits<double>::quiet_NaN(), 3, std::numeric_limits<double>::infinity(), 1, 2};
  EXPECT_DOUBLE_EQ(statistic(Statistic::Median, v), 2);
  EXPECT_DOUBLE_EQ(statistic(Statistic::Mean, v), 2);
  v = {};
  EXPECT_TRUE(std::isnan(statistic(Statistic::Mean, v)));
  EXPECT_TRUE(std::isnan(statistic(Statistic::Median, v)));
  v = {3};
  EXPECT_TRUE(std::isnan(statistic(Statistic::Sd, v)));
  EXPECT_TRUE(std::isnan(statistic(Statistic::Cv, v)));
}

TEST(Statistics, EqualToValueStatisticsBitForBit) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> marker(6, 1.2);
  std::normal_distribution<double> noise(0, 200);
  for (std::size_t n : {0, 1, 2, 3, 10, 101, 1000, 65537}) {
    std::vector<double> values(n);
    for (std::size_t i = 0; i < n; ++i) values[i] = marker(rng) + noise(rng);  // some negative
    if (n > 10) {
      values[3] = std::numeric_limits<double>::quiet_NaN();
      values[7] = -std::numeric_limits<double>::infinity();
    }
    const auto all = cytopipe::gating::value_statistics(values);
    // One buffer through every statistic in the pipeline's order: sums first, then selections.
    std::vector<double> buffer = values;
    auto same = [&](Statistic s, double expected) {
      const double got = statistic(s, buffer);
      if (std::isnan(expected)) EXPECT_TRUE(std::isnan(got)) << "n=" << n;
      else EXPECT_EQ(got, expected) << "n=" << n << " statistic " << static_cast<int>(s);
    };
    same(Statistic::Mean, all.mean);
    same(Statistic::Sd, all.sd);
    same(Statistic::Cv, all.cv);
    same(Statistic::GeometricMean, all.geometric_mean);
    same(Statistic::Median, all.median);
    same(Statistic::RobustSd, all.robust_sd);
    same(Statistic::RobustCv, all.robust_cv);
    // The selections permuted the buffer, nothing was lost or duplicated.
    std::vector<double> a = values, b = buffer;
    auto key = [](double x) { return std::isnan(x) ? std::numeric_limits<double>::max() : x; };
    std::sort(a.begin(), a.end(), [&](double x, double y) { return key(x) < key(y); });
    std::sort(b.begin(), b.end(), [&](double x, double y) { return key(x) < key(y); });
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(key(a[i]), key(b[i]));
  }
}
