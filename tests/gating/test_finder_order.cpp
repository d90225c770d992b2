// The finders' bucketed order of a large column (gating/finder_order.hpp): every rank, count and
// quantile it gives is checked against a full sort of the same values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gating/finder_density.hpp"
#include "gating/finder_order.hpp"

namespace {

using cytopipe::gating::detail::ValueOrder;

// Ranks spread over the whole range, both ends and the quartiles' neighbourhoods included.
std::vector<std::size_t> probe_ranks(std::size_t n) {
  std::vector<std::size_t> ranks = {0, 1, n / 1000, n / 4, n / 4 + 1, n / 2, n / 2 + 1, 3 * n / 4, n - 2, n - 1};
  for (std::size_t k = 7; k < n; k += n / 37) ranks.push_back(k);
  return ranks;
}

void expect_as_sorted(const std::vector<double>& values) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  ValueOrder order(values);
  ASSERT_TRUE(order.exact());
  ASSERT_EQ(order.count(), values.size());
  const std::size_t n = values.size();
  // Ranks asked in a scrambled order (splits made by one question serve the next).
  std::vector<std::size_t> ranks = probe_ranks(n);
  std::shuffle(ranks.begin(), ranks.end(), std::mt19937(5));
  for (std::size_t k : ranks) EXPECT_EQ(order.at(k), sorted[k]) << "rank " << k;
  for (std::size_t k : probe_ranks(n)) {
    const double v = sorted[k];
    const auto at_most = static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
    const auto below = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
    EXPECT_EQ(order.count_at_most(v), at_most) << v;
    EXPECT_EQ(order.count_below(v), below) << v;
    const double between = std::nextafter(v, std::numeric_limits<double>::infinity());
    EXPECT_EQ(order.count_at_most(between),
              static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), between) - sorted.begin()));
  }
  for (double p : {0.0, 0.001, 0.25, 0.5, 0.75, 0.999, 1.0}) {
    const double h = (static_cast<double>(n) - 1) * p;
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double want = k + 1 < n ? sorted[k] + (h - static_cast<double>(k)) * (sorted[k + 1] - sorted[k]) : sorted[k];
    EXPECT_EQ(order.quantile(p), want) << p;
  }
}

TEST(FinderOrder, RanksAndCountsAreThoseOfASort) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  // Two peaks on a log-like axis: a few buckets hold most values and are split.
  std::vector<double> bimodal(300'000);
  for (double& v : bimodal) v = u(rng) < 0.6 ? 8.5 + 0.6 * n01(rng) : 3 + 0.6 * n01(rng);
  expect_as_sorted(bimodal);
  // Both signs around zero, +0 among them (no -0).
  std::vector<double> signs(100'000);
  for (double& v : signs) v = u(rng) < 0.01 ? 0.0 : 1e3 * n01(rng);
  expect_as_sorted(signs);
  // Integer values (a 10-bit ADC): buckets of many equal values that no split can divide.
  std::vector<double> integers(200'000);
  for (double& v : integers) v = std::round(std::clamp(200 + 40 * n01(rng), 0.0, 1023.0));
  expect_as_sorted(integers);
  // Every value in one narrow bucket, split down to the last level.
  std::vector<double> narrow(120'000);
  for (double& v : narrow) v = 1000 + 1e-9 * u(rng);
  expect_as_sorted(narrow);
}

TEST(FinderOrder, NotExactWithNaNInfinityOrBothZeros) {
  std::vector<double> values(50'000, 1.0);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i % 977);
  EXPECT_TRUE(ValueOrder(values).exact());
  auto with = [&](double bad) {
    std::vector<double> v = values;
    v[123] = bad;
    return v;
  };
  EXPECT_FALSE(ValueOrder(with(std::nan(""))).exact());
  EXPECT_FALSE(ValueOrder(with(-std::numeric_limits<double>::infinity())).exact());
  EXPECT_FALSE(ValueOrder(with(std::numeric_limits<double>::infinity())).exact());
  EXPECT_FALSE(ValueOrder(with(-0.0)).exact());  // values hold +0 (i % 977 == 0)
}

// The side's median distance from the order's ranks equals the one from the distances themselves.
TEST(FinderOrder, OneSidedSdAsFromTheDistances) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01(0, 1);
  std::vector<double> values(150'000);
  for (double& v : values) v = std::round((4 + 0.7 * n01(rng)) * 64) / 64;  // ties at the centre too
  ValueOrder order(values);
  ASSERT_TRUE(order.exact());
  for (double centre : {4.0, 4.0 + 1.0 / 128, 2.5, 7.0, -100.0, 100.0}) {
    for (bool below : {true, false}) {
      std::vector<double> d;
      for (double v : values)
        if (below ? v <= centre : v >= centre) d.push_back(std::abs(v - centre));
      double want = 0;
      if (!d.empty()) {
        std::sort(d.begin(), d.end());
        const double h = (static_cast<double>(d.size()) - 1) * 0.5;
        const auto k = static_cast<std::size_t>(std::floor(h));
        want = 1.4826 * (k + 1 < d.size() ? d[k] + (h - static_cast<double>(k)) * (d[k + 1] - d[k]) : d[k]);
      }
      EXPECT_EQ(cytopipe::gating::detail::one_sided_sd(values, centre, below, &order), want)
          << centre << (below ? " below" : " above");
      EXPECT_EQ(cytopipe::gating::detail::one_sided_sd(values, centre, below), want) << centre;
    }
  }
}

}  // namespace

namespace {

// The KDE from the order (its quartiles; its moments settling the SD against the IQR) is the KDE
// from the values, bit for bit: where the SD is below the IQR's, above it, and within a rounding
// of it (a uniform sample's SD is 1.0143 x its IQR / 1.34).
TEST(FinderOrder, KernelDensityAsWithoutTheOrder) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> sets(4, std::vector<double>(200'000));
  for (std::size_t i = 0; i < sets[0].size(); ++i) {
    sets[0][i] = u(rng) < 0.6 ? 8.5 + 0.6 * n01(rng) : 3 + 0.6 * n01(rng);  // SD < IQR / 1.34
    sets[1][i] = u(rng) < 0.2 ? 9 + 0.5 * n01(rng) : 4 + 0.5 * n01(rng);    // SD > IQR / 1.34
    sets[2][i] = 1e6 + u(rng);                                               // SD ~ IQR / 1.34
    sets[3][i] = 5 + n01(rng);
  }
  for (const auto& values : sets) {
    ValueOrder order(values);
    ASSERT_TRUE(order.exact());
    const auto a = cytopipe::gating::detail::kernel_density(values, 1.0, "test", 512, &order);
    const auto b = cytopipe::gating::detail::kernel_density(values, 1.0, "test");
    EXPECT_EQ(a.lo, b.lo);
    EXPECT_EQ(a.step, b.step);
    EXPECT_EQ(a.bandwidth, b.bandwidth);
    EXPECT_EQ(a.density, b.density);
  }
}

}  // namespace

namespace {

// One bracketed pass gives the type-7 quantiles of the counted values as a sort does, or nothing.
TEST(FinderBracketed, QuantilesAreThoseOfASortOrNothing) {
  using cytopipe::gating::detail::bracketed_quantiles;
  std::mt19937_64 rng(23);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> values(400'000);
  for (double& v : values) v = u(rng) < 0.6 ? 8.5 + 0.6 * n01(rng) : 3 + 0.6 * n01(rng);
  // Every third value left out (as the singlets band leaves out events below the line's zero).
  const auto counted = [&](std::size_t i, double& v) {
    v = values[i];
    return i % 3 != 0;
  };
  std::vector<double> kept;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (i % 3 != 0) kept.push_back(values[i]);
  std::sort(kept.begin(), kept.end());
  const auto type7 = [&](double p) {
    const double h = (static_cast<double>(kept.size()) - 1) * p;
    const auto k = static_cast<std::size_t>(std::floor(h));
    return k + 1 < kept.size() ? kept[k] + (h - static_cast<double>(k)) * (kept[k + 1] - kept[k]) : kept[k];
  };
  for (double p : {0.0, 0.001, 0.3, 0.5, 0.995, 1.0}) {
    const double ps[] = {p};
    std::size_t count = 0;
    const auto q = bracketed_quantiles(values.size(), counted, ps, &count);
    ASSERT_TRUE(q.has_value()) << p;  // i.i.d. values: the sample brackets every rank
    EXPECT_EQ(count, kept.size());
    EXPECT_EQ(q->at(0), type7(p)) << p;
  }
  // A file sorted by value: the strided sample still brackets the ranks.
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const auto all = [&](std::size_t i, double& v) {
    v = sorted[i];
    return true;
  };
  const double half[] = {0.5};
  if (const auto q = bracketed_quantiles(sorted.size(), all, half)) {
    const double h = (static_cast<double>(sorted.size()) - 1) * 0.5;
    const auto k = static_cast<std::size_t>(std::floor(h));
    EXPECT_EQ(q->at(0), sorted[k] + (h - static_cast<double>(k)) * (sorted[k + 1] - sorted[k]));
  }
  // A periodic file whose stride-aligned events are all outliers: the sample misleads, and the
  // answer is nothing rather than a wrong value.
  std::vector<double> periodic(262'144, 1.0);
  for (std::size_t i = 0; i < periodic.size(); ++i) periodic[i] = 1.0 + static_cast<double>(i % 97) * 1e-3;
  for (std::size_t i = 16; i < periodic.size(); i += 32) periodic[i] = 1e6 + static_cast<double>(i);
  const auto periodic_value = [&](std::size_t i, double& v) {
    v = periodic[i];
    return true;
  };
  const auto q = bracketed_quantiles(periodic.size(), periodic_value, half);
  if (q) {
    std::vector<double> s = periodic;
    std::sort(s.begin(), s.end());
    const std::size_t k = (s.size() - 1) / 2;
    EXPECT_EQ(q->at(0), s[k] + 0.5 * (s[k + 1] - s[k]));
  }
  // Not finite, or a zero found: nothing.
  std::vector<double> bad = values;
  bad[777] = std::nan("");
  const auto bad_value = [&](std::size_t i, double& v) {
    v = bad[i];
    return true;
  };
  EXPECT_FALSE(bracketed_quantiles(bad.size(), bad_value, half).has_value());
  std::vector<double> zeros(100'000, 0.0);
  for (std::size_t i = 0; i < zeros.size(); i += 2) zeros[i] = 1;
  const auto zero_value = [&](std::size_t i, double& v) {
    v = zeros[i];
    return true;
  };
  const double low[] = {0.2};
  EXPECT_FALSE(bracketed_quantiles(zeros.size(), zero_value, low).has_value());
}

}  // namespace
