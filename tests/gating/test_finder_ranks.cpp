// The finders' bucketed order statistics (gating/finder_ranks): the value at every rank asked is
// the one std::nth_element leaves there (bit for bit), the quantiles those of a sorted copy by
// R's type-7 definition, and every input where that could fail is declined, not answered.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "cytopipe/gating/finder.hpp"
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

namespace cytopipe::gating {
namespace {

// A plain channel dimension (the other members keep their defaults).
Dimension on_channel(std::string channel) {
  Dimension d;
  d.channel = std::move(channel);
  return d;
}

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

// The singlets finder's definition computed by sorting (R type-7 medians throughout): the 20
// equal-count bins of the central 90 % by area, their area and height medians, the Theil-Sen line
// through them, the band's centre and robust SD of height / fitted line.
PolygonGate reference_singlets(const std::vector<double>& a, const std::vector<double>& h, double width) {
  const auto median = [](std::vector<double> v) { return detail::quantile7(v, 0.5); };
  const auto sorted_median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const double at = (static_cast<double>(v.size()) - 1) * 0.5;
    const auto k = static_cast<std::size_t>(std::floor(at));
    return k + 1 >= v.size() ? v[k] : v[k] + (at - static_cast<double>(k)) * (v[k + 1] - v[k]);
  };
  std::vector<std::size_t> order(a.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return a[x] < a[y]; });
  const std::size_t n = a.size(), first = n / 20, last = n - n / 20;
  std::vector<double> xs, ys;
  for (std::size_t b = 0; b < 20; ++b) {
    std::vector<double> ba, bh;
    for (std::size_t k = first + (last - first) * b / 20; k < first + (last - first) * (b + 1) / 20; ++k) {
      ba.push_back(a[order[k]]);
      bh.push_back(h[order[k]]);
    }
    xs.push_back(sorted_median(ba));
    ys.push_back(sorted_median(bh));
  }
  std::vector<double> slopes, offsets;
  for (std::size_t i = 0; i < xs.size(); ++i)
    for (std::size_t j = i + 1; j < xs.size(); ++j)
      if (xs[j] > xs[i]) slopes.push_back((ys[j] - ys[i]) / (xs[j] - xs[i]));
  const double slope = sorted_median(slopes);
  for (std::size_t i = 0; i < xs.size(); ++i) offsets.push_back(ys[i] - slope * xs[i]);
  const double intercept = sorted_median(offsets);
  std::vector<double> ratios;
  for (std::size_t i = 0; i < n; ++i)
    if (const double fitted = intercept + slope * a[i]; fitted > 0) ratios.push_back(h[i] / fitted);
  const double centre = sorted_median(ratios);
  for (double& r : ratios) r = std::abs(r - centre);
  const double sd = 1.4826 * median(ratios);
  double area_max = 0.0;
  for (const double v : a) area_max = std::max(area_max, v);
  const double lo = std::max(centre - width * sd, 0.0), hi = centre + width * sd;
  const double apex = -intercept / slope, reach = std::max(area_max * 1.5, apex + 1);
  const double top = intercept + slope * reach;
  PolygonGate g;
  g.vertices = {{apex, 0}, {reach, top * lo}, {reach, top * hi}};
  return g;
}

TEST(FinderRanks, SingletsBandIsItsDefinitionComputedBySorting) {
  // Continuous areas (the bins found by their boundary values), areas rounded to whole channels
  // (ties across the bin boundaries: sorted instead), and a file with zero areas at a boundary
  // (the selection declines: partitioned instead); below and above the bucketed selection's minimum.
  for (const std::size_t n : {300u, 5000u, 27000u}) {
    for (const int kind : {0, 1, 2}) {
      std::mt19937_64 rng(n + static_cast<std::size_t>(kind));
      std::lognormal_distribution<double> area(std::log(60000), 0.3);
      std::normal_distribution<double> ratio(0.85, 0.03), doublet(0.46, 0.03);
      std::bernoulli_distribution is_doublet(0.06);
      std::vector<double> a(n), h(n);
      for (std::size_t i = 0; i < n; ++i) {
        a[i] = is_doublet(rng) ? 2 * area(rng) : area(rng);
        if (kind == 1) a[i] = std::round(a[i] / 50) * 50;
        h[i] = a[i] * (a[i] > 100000 ? doublet(rng) : ratio(rng));
      }
      if (kind == 2)
        for (std::size_t i = 0; i < n / 10; ++i) a[i] = 0, h[i] = 10 * static_cast<double>(i % 7);
      FinderSpec spec;
      spec.method = FinderMethod::Singlets;
      spec.dimensions = {on_channel("FSC-A"), on_channel("FSC-H")};
      const std::span<const double> cols[] = {a, h};
      const auto found = find_gate(spec, cols, "singlets");
      const auto& p = std::get<PolygonGate>(found.gate);
      const PolygonGate expected = reference_singlets(a, h, spec.width);
      ASSERT_EQ(p.vertices.size(), 3u);
      for (std::size_t v = 0; v < 3; ++v)
        for (std::size_t c = 0; c < 2; ++c)
          EXPECT_EQ(bits(p.vertices[v][c]), bits(expected.vertices[v][c])) << "n " << n << " kind " << kind << " vertex " << v;
    }
  }
}

}  // namespace
}  // namespace cytopipe::gating

namespace cytopipe::gating::detail {
namespace {

// Silverman's bandwidth as the KDE defines it, from a sorted copy and the SD added up in order:
// 0.9 x min(SD, IQR / 1.34) x n^-0.2 (x adjust 1).
double reference_bandwidth(const std::vector<double>& v) {
  const auto q = [&](double p) {
    std::vector<double> s = v;
    std::sort(s.begin(), s.end());
    const double h = (static_cast<double>(s.size()) - 1) * p;
    const auto k = static_cast<std::size_t>(std::floor(h));
    return k + 1 >= s.size() ? s[k] : s[k] + (h - static_cast<double>(k)) * (s[k + 1] - s[k]);
  };
  const double iqr = (q(0.75) - q(0.25)) / 1.34;
  double mean = 0;
  for (const double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (const double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  return 0.9 * (iqr > 0 ? std::min(sd, iqr) : sd) * std::pow(static_cast<double>(v.size()), -0.2);
}

TEST(FinderRanks, KernelDensityBandwidthIsSilvermansWhicheverSpreadIsSmaller) {
  // One peak and two close peaks (the SD is the smaller: summed in order), a skewed tail and a
  // far minority (the IQR's is: the SD's running estimate settles it); sizes around the
  // bucketed and the radix selections.
  std::mt19937_64 rng(21);
  for (const std::size_t n : {700u, 9000u, 30000u}) {
    std::normal_distribution<double> a(0.35, 0.05), b(0.75, 0.04);
    std::exponential_distribution<double> tail(8);
    std::bernoulli_distribution second(0.3);
    std::bernoulli_distribution far(0.12);
    std::vector<double> one(n), two(n), skew(n), minority(n);
    for (std::size_t i = 0; i < n; ++i) {
      one[i] = a(rng);
      two[i] = second(rng) ? b(rng) : a(rng);
      skew[i] = 0.2 + tail(rng);
      minority[i] = far(rng) ? 3 + b(rng) : a(rng);
    }
    for (const auto* v : {&one, &two, &skew, &minority}) {
      const Density d = kernel_density(*v, 1.0, "test");
      EXPECT_EQ(bits(d.bandwidth), bits(reference_bandwidth(*v))) << n;
    }
  }
}

TEST(FinderRanks, KernelDensityBandwidthOfManyBlocksIsTheSameOnOneThreadAndNearTheExactSd) {
  // Two close peaks (the SD is the smaller spread) in more values than one block of the SD's sums:
  // the blocks are added in parallel, in a fixed order, so the bits do not depend on the threads;
  // the value is the exact one's (long double) up to the sums' rounding.
  std::mt19937_64 rng(23);
  std::normal_distribution<double> a(0.35, 0.05), b(0.75, 0.04);
  std::bernoulli_distribution second(0.3);
  std::vector<double> v(200'003);
  for (double& x : v) x = second(rng) ? b(rng) : a(rng);
  const Density many = kernel_density(v, 1.0, "test");
  Density one;
  {
    const tbb::global_control single(tbb::global_control::max_allowed_parallelism, 1);
    one = kernel_density(v, 1.0, "test");
  }
  EXPECT_EQ(bits(many.bandwidth), bits(one.bandwidth));
  long double mean = 0, ss = 0;
  for (const double x : v) mean += x;
  mean /= static_cast<long double>(v.size());
  for (const double x : v) ss += (x - mean) * (x - mean);
  const auto sd = static_cast<double>(std::sqrt(ss / static_cast<long double>(v.size() - 1)));
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const auto q = [&](double p) {
    const double h = (static_cast<double>(sorted.size()) - 1) * p;
    const auto k = static_cast<std::size_t>(std::floor(h));
    return sorted[k] + (h - static_cast<double>(k)) * (sorted[k + 1] - sorted[k]);
  };
  const double iqr = (q(0.75) - q(0.25)) / 1.34;
  ASSERT_LT(sd, iqr);
  EXPECT_NEAR(many.bandwidth, 0.9 * sd * std::pow(static_cast<double>(v.size()), -0.2), 1e-13 * many.bandwidth);
}

}  // namespace
}  // namespace cytopipe::gating::detail
