// Nice ticks, tick text and the data-to-page mapping, against hand-derived expectations.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/scale.hpp"

namespace cytopipe::plot {
namespace {

void expect_ticks(double lo, double hi, int max_intervals, std::vector<double> expected) {
  const auto ticks = nice_ticks(lo, hi, max_intervals);
  ASSERT_EQ(ticks.size(), expected.size()) << lo << ".." << hi;
  for (std::size_t i = 0; i < ticks.size(); ++i) EXPECT_DOUBLE_EQ(ticks[i], expected[i]) << "tick " << i;
}

// Each expectation worked by hand: the smallest 1/2/5 x 10^k step whose multiples enclosing the
// range need at most max_intervals intervals.
TEST(NiceTicks, PercentRangeUsesStepTwenty) { expect_ticks(0, 100, 5, {0, 20, 40, 60, 80, 100}); }
TEST(NiceTicks, RoundsTheTopUpToAStep) { expect_ticks(0, 87.3, 5, {0, 20, 40, 60, 80, 100}); }
TEST(NiceTicks, StartsBelowTheLowEnd) { expect_ticks(41, 76.3, 5, {40, 50, 60, 70, 80}); }
TEST(NiceTicks, NegativeRange) { expect_ticks(-3.7, 12.1, 4, {-5, 0, 5, 10, 15}); }
TEST(NiceTicks, DecimalStepsAreExactDecimals) {
  // 0.6 must be the double nearest 0.6, not 3 * 0.2 = 0.6000000000000001.
  const auto ticks = nice_ticks(0.12, 0.93, 5);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_EQ(ticks[3], 0.6);
  EXPECT_EQ(ticks[5], 1.0);
}
TEST(NiceTicks, SingleValueIsWidened) {
  expect_ticks(5, 5, 5, {4.5, 5, 5.5});
  expect_ticks(0, 0, 5, {-1, -0.5, 0, 0.5, 1});
}
TEST(NiceTicks, LargeInstrumentRange) { expect_ticks(0, 262144, 5, {0, 1e5, 2e5, 3e5}); }
TEST(NiceTicks, BadRangesThrow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(nice_ticks(nan, 1), Error);
  EXPECT_THROW(nice_ticks(0, inf), Error);
  EXPECT_THROW(nice_ticks(2, 1), Error);
  EXPECT_THROW(nice_ticks(0, 1, 0), Error);
}

// Properties for random ranges, checked independently of how the step is searched for.
TEST(NiceTicks, RandomRangesAreCoveredByTheSmallestNiceStep) {
  std::mt19937 rng(20261122);
  std::uniform_real_distribution<double> exponent(-4, 6), unit(0, 1);
  auto is_nice = [](double step) {
    const double k = std::floor(std::log10(step) + 1e-9);
    const double m = step / std::pow(10.0, k);
    return std::abs(m - 1) < 1e-9 || std::abs(m - 2) < 1e-9 || std::abs(m - 5) < 1e-9;
  };
  for (int trial = 0; trial < 500; ++trial) {
    const double scale = std::pow(10.0, exponent(rng));
    const double lo = (unit(rng) - 0.5) * scale, hi = lo + unit(rng) * scale + scale * 1e-3;
    const int max_intervals = 2 + trial % 8;
    const auto ticks = nice_ticks(lo, hi, max_intervals);
    ASSERT_GE(ticks.size(), 2u);
    const double step = ticks[1] - ticks[0];
    EXPECT_TRUE(is_nice(step)) << step;
    EXPECT_LE(ticks.front(), lo);
    EXPECT_GE(ticks.back(), hi);
    EXPECT_LE(static_cast<int>(ticks.size()) - 1, max_intervals);
    EXPECT_GT(ticks.front() + step, lo);  // no wasted interval at either end
    EXPECT_LT(ticks.back() - step, hi);
    // The next smaller nice step would need more intervals than allowed.
    const double m = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    const double smaller = step * (std::abs(m - 1) < 1e-9 ? 0.5 : std::abs(m - 2) < 1e-9 ? 0.5 : 0.4);
    const double intervals = std::ceil(hi / smaller - 1e-9) - std::floor(lo / smaller + 1e-9);
    EXPECT_GT(intervals, max_intervals) << lo << ".." << hi << " step " << step;
  }
}

TEST(FormatTick, UsesTheDecimalsTheStepNeeds) {
  EXPECT_EQ(format_tick(100, 20), "100");
  EXPECT_EQ(format_tick(0.2, 0.2), "0.2");
  EXPECT_EQ(format_tick(1.0, 0.2), "1.0");
  EXPECT_EQ(format_tick(0.05, 0.05), "0.05");
  EXPECT_EQ(format_tick(2.5, 0.5), "2.5");
  EXPECT_EQ(format_tick(-5, 5), "-5");
  EXPECT_EQ(format_tick(1.5e6, 5e5), "1.5e+06");
}
TEST(FormatTick, NeverPrintsMinusZero) {
  EXPECT_EQ(format_tick(-0.0, 1), "0");
  EXPECT_EQ(format_tick(-1e-17, 0.1), "0");
  EXPECT_EQ(format_tick(0.1 + 0.2 - 0.3, 0.1), "0");
}

TEST(LinearScale, MapsAndInvertsWithYGrowingDown) {
  const LinearScale y(0, 80, 170, 10);  // data 0..80 onto page 170 (bottom) .. 10 (top)
  EXPECT_DOUBLE_EQ(y(0), 170);
  EXPECT_DOUBLE_EQ(y(80), 10);
  EXPECT_DOUBLE_EQ(y(20), 130);           // 170 - 20/80 * 160
  EXPECT_DOUBLE_EQ(y(100), -30);          // extrapolates
  EXPECT_DOUBLE_EQ(y.invert(90), 40);
  EXPECT_THROW(LinearScale(1, 1, 0, 10), Error);
  EXPECT_THROW(LinearScale(0, std::numeric_limits<double>::infinity(), 0, 10), Error);
}

}  // namespace
}  // namespace cytopipe::plot

namespace cytopipe::plot {
namespace {

TEST(DecadeTicks, LogAxisGetsOneTickPerDecade) {
  const auto ticks = decade_ticks([](double v) { return std::log10(v); }, 0.5, 5.2);
  // log10 maps 0 and negatives to -inf / NaN: only 10^1 .. 10^5 lie in [0.5, 5.2].
  ASSERT_EQ(ticks.size(), 5u);
  for (int k = 1; k <= 5; ++k) {
    EXPECT_DOUBLE_EQ(ticks[k - 1].position, k);
  }
  EXPECT_EQ(ticks[0].label, "10¹");
  EXPECT_EQ(ticks[4].label, "10⁵");
}

TEST(DecadeTicks, CrowdedTicksNearZeroAreDropped) {
  // asinh(x / 150): 0 at 0, 10 at 0.0666, 100 at 0.625, 1000 at 2.59, -10 at -0.0666, ...
  const auto ticks = decade_ticks([](double v) { return std::asinh(v / 150); }, -1, 9);
  std::vector<std::string> labels;
  for (const auto& t : ticks) labels.push_back(t.label);
  // Gap 6 % of 10 = 0.6: 10¹ and -10¹ sit within 0.07 of 0 and go; -10² (-0.625) is 0.625 away
  // from 0 and stays; 10² (0.625) likewise; 10³..10⁵ (2.59, 4.89, 7.19) fit; 10⁶ (9.49) is out.
  EXPECT_EQ(labels, (std::vector<std::string>{"-10²", "0", "10²", "10³", "10⁴", "10⁵"}));
  EXPECT_THROW(decade_ticks([](double v) { return v; }, 1, 1), Error);
}

}  // namespace
}  // namespace cytopipe::plot
