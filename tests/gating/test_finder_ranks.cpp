// The finders' bucketed order statistics (gating/finder_ranks): the value at every rank asked is
// the one std::nth_element leaves there (bit for bit), the quantiles those of a sorted copy by
// R's type-7 definition, and every input where that could fail is declined, not answered.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gating/finder_density.hpp"
#include "gating/finder_ranks.hpp"

namespace cytopipe::gating::detail {
namespace {

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

// Value sets of the shapes the finders see: peaks on a log or logicle axis, heavy ties (values
// from a 10-bit instrument), a far outlier squeezing every other value into one bucket, negative
// values, a two-level set.
std::vector<std::vector<double>> value_sets() {
  std::mt19937_64 rng(15);
  std::vector<std::vector<double>> sets;
  for (const std::size_t n : {2048u, 2049u, 5000u, 27351u, 32767u}) {
    std::normal_distribution<double> a(4.6, 0.15), b(3.9, 0.3);
    std::bernoulli_distribution debris(0.1);
    std::vector<double> bimodal(n), ties(n), outlier(n), negative(n), two(n);
    for (std::size_t i = 0; i < n; ++i) {
      bimodal[i] = debris(rng) ? b(rng) : a(rng);
      ties[i] = std::round(a(rng) * 20) / 20;
      outlier[i] = a(rng);
      negative[i] = -std::abs(b(rng)) + 1.5;
      two[i] = i % 3 ? 0.25 : 0.75;
    }
    outlier[n / 2] = 1e12;
    for (auto* v : {&bimodal, &ties, &outlier, &negative, &two}) sets.push_back(std::move(*v));
  }
  return sets;
}

double reference_quantile7(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * p;
  const auto k = static_cast<std::size_t>(std::floor(h));
  if (k + 1 >= v.size()) return v[k];
  return v[k] + (h - static_cast<double>(k)) * (v[k + 1] - v[k]);
}

TEST(FinderRanks, EveryRankIsTheValueNthElementLeavesThere) {
  for (const auto& values : value_sets()) {
    const std::size_t n = values.size();
    const std::vector<std::size_t> ranks = {0, 1, n / 1000, n / 4, n / 4 + 1, n / 2, 3 * n / 4, n - 2, n - 1};
    std::vector<double> found(ranks.size());
    ASSERT_TRUE(select_ranks(values, ranks, found)) << n;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      std::vector<double> copy = values;
      std::nth_element(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(ranks[i]), copy.end());
      EXPECT_EQ(bits(found[i]), bits(copy[ranks[i]])) << "n " << n << " rank " << ranks[i];
    }
  }
}

TEST(FinderRanks, QuantilesAreTypeSevenOfTheSortedValues) {
  const double ps[] = {0, 0.001, 0.25, 0.5, 0.75, 0.999, 1};
  for (const auto& values : value_sets()) {
    std::vector<double> q(std::size(ps));
    ASSERT_TRUE(rank_quantiles(values, ps, q));
    for (std::size_t i = 0; i < std::size(ps); ++i) {
      const double expected = reference_quantile7(values, ps[i]);
      EXPECT_EQ(bits(q[i]), bits(expected)) << "n " << values.size() << " p " << ps[i];
      std::vector<double> copy = values;
      EXPECT_EQ(bits(quantile7(copy, ps[i])), bits(expected));
    }
  }
}

TEST(FinderRanks, DeclinesWhereNthElementCouldAnswerOtherwise) {
  std::vector<double> values(4096);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i % 97) - 40;
  const std::size_t median[] = {values.size() / 2};
  double out[1];
  ASSERT_TRUE(select_ranks(values, median, out));
  // A zero at the rank: which of -0 and +0 nth_element leaves there is its own choice.
  std::vector<double> zeros = values;
  for (std::size_t i = 0; i < zeros.size(); i += 2) zeros[i] = i % 4 ? -0.0 : 0.0;
  EXPECT_FALSE(select_ranks(zeros, median, out));
  // NaN and infinity have no rank the buckets could give.
  for (const double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()}) {
    std::vector<double> v = values;
    v[1234] = bad;
    EXPECT_FALSE(select_ranks(v, median, out)) << bad;
  }
  // A range wider than the largest double: no bucket width.
  std::vector<double> wide = values;
  wide[0] = -1e308;
  wide[1] = 1e308;
  EXPECT_FALSE(select_ranks(wide, median, out));
  // Too few values to pay, a rank out of range: left to the caller.
  EXPECT_FALSE(select_ranks(std::span(values).first(kRankMinimum - 1), median, out));
  const std::size_t beyond[] = {values.size()};
  EXPECT_FALSE(select_ranks(values, beyond, out));
  // All equal: that value at every rank (not zero).
  const std::vector<double> same(3000, 2.5);
  ASSERT_TRUE(select_ranks(same, median, out));
  EXPECT_EQ(out[0], 2.5);
  // And quantile7 still answers where the buckets decline, as nth_element does.
  std::vector<double> copy = zeros;
  EXPECT_EQ(quantile7(copy, 0.5), reference_quantile7(zeros, 0.5));
}

}  // namespace
}  // namespace cytopipe::gating::detail
