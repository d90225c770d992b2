// Population statistics against values worked out by hand and against a sort-based reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>

#include "cytopipe/gating/statistics.hpp"
#include "gating/ulps.hpp"

namespace {

using namespace cytopipe::gating;

TEST(Statistics, OneToTenByHand) {
  std::vector<double> v(10);
  std::iota(v.begin(), v.end(), 1.0);
  StatisticsOptions o;
  o.percentiles = {0, 25, 100};
  const auto s = value_statistics(v, o);
  EXPECT_EQ(s.count, 10u);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_NEAR(s.sd, std::sqrt(55.0 / 6.0), 1e-12);  // sum of squares 82.5 over 9
  EXPECT_NEAR(s.cv, 100 * std::sqrt(55.0 / 6.0) / 5.5, 1e-10);
  // Geometric mean of 1..10 = (10!)^(1/10).
  EXPECT_NEAR(s.geometric_mean, std::pow(3628800.0, 0.1), 1e-10);
  EXPECT_EQ(s.geometric_mean_excluded, 0u);
  ASSERT_EQ(s.percentiles.size(), 3u);
  EXPECT_DOUBLE_EQ(s.percentiles[0].second, 1.0);
  EXPECT_DOUBLE_EQ(s.percentiles[1].second, 3.25);  // type 7: 1 + 0.25 * 9 = 3.25th value
  EXPECT_DOUBLE_EQ(s.percentiles[2].second, 10.0);
  // Robust SD = (P84.13 - P15.87) / 2 with type-7 interpolation: h = 9p.
  const double p84 = 1 + 9 * 0.8413, p16 = 1 + 9 * 0.1587;
  EXPECT_NEAR(s.robust_sd, 0.5 * (p84 - p16), 1e-12);
  EXPECT_NEAR(s.robust_cv, 100 * 0.5 * (p84 - p16) / 5.5, 1e-10);
}

TEST(Statistics, GeometricMeanExcludesNonPositiveAndSaysHowMany) {
  const auto s = value_statistics({-5, 0, 2, 8});
  EXPECT_DOUBLE_EQ(s.geometric_mean, 4.0);
  EXPECT_EQ(s.geometric_mean_excluded, 2u);
}

TEST(Statistics, ModeIsTheFullestBin) {
  std::vector<double> v = {0, 10, 7.1, 7.2, 7.3, 1, 2};
  StatisticsOptions o;
  o.mode_bins = 10;  // bins of width 1 over [0, 10]
  EXPECT_DOUBLE_EQ(value_statistics(v, o).mode, 7.5);
}

TEST(Statistics, EmptyPopulationIsNaNNotACrash) {
  const auto s = value_statistics({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_TRUE(std::isnan(s.mean));
  EXPECT_TRUE(std::isnan(s.median));
  EXPECT_TRUE(std::isnan(s.sd));
  const auto one = value_statistics({3});
  EXPECT_DOUBLE_EQ(one.median, 3);
  EXPECT_TRUE(std::isnan(one.sd));
}

TEST(Statistics, SelectionMatchesFullSortOnRandomData) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> d(3, 1);
  std::vector<double> v(100003);
  for (auto& x : v) x = d(rng);
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  auto type7 = [&](double p) {
    const double h = (sorted.size() - 1) * p / 100;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    return lo + 1 < sorted.size() ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
  };
  StatisticsOptions o;
  o.percentiles = {1, 5, 33.3, 50, 99.9};
  const auto s = value_statistics(v, o);
  EXPECT_DOUBLE_EQ(s.median, type7(50));
  for (const auto& [p, value] : s.percentiles) EXPECT_DOUBLE_EQ(value, type7(p)) << p;
}

// percentile() narrows by radix passes on large inputs: every rank, on data built to stress it
// (heavy ties, negatives and zeros, one crowded exponent, a lone value past a crowded bin),
// must equal the sorted reference exactly.
TEST(Statistics, PercentileIsExactAgainstSortOnHardInputs) {
  std::mt19937_64 rng(5);
  std::vector<std::vector<double>> inputs;
  {
    std::vector<double> v(50000);  // few distinct values: long runs of ties
    std::uniform_int_distribution<int> small(-3, 3);
    for (auto& x : v) x = small(rng) * 0.5;
    inputs.push_back(v);
  }
  {
    std::vector<double> v(40001);  // all within [1024, 1025): one exponent, narrow mantissas
    std::uniform_real_distribution<double> u(1024, 1025);
    for (auto& x : v) x = u(rng);
    inputs.push_back(v);
  }
  {
    std::vector<double> v(30000);  // signed, spanning many decades, with exact zeros
    std::normal_distribution<double> z(0, 1);
    for (auto& x : v) x = (rng() % 10 == 0) ? 0.0 : std::sinh(6 * z(rng));
    inputs.push_back(v);
  }
  {
    std::vector<double> v(20000, 7.0);  // one value repeated, then a single larger one
    v.back() = 7.0000000000000009;
    inputs.push_back(v);
  }
  {
    std::vector<double> v(10000, 1.0);  // two values: the middle ranks sit on the boundary
    std::fill(v.begin() + 5000, v.end(), 2.0);
    std::shuffle(v.begin(), v.end(), rng);
    inputs.push_back(v);
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::vector<double> sorted = inputs[i];
    std::sort(sorted.begin(), sorted.end());
    const double n = static_cast<double>(sorted.size());
    for (double p : {0.0, 0.001, 1.0, 15.87, 25.0, 49.999, 50.0, 50.001, 50.01, 84.13, 99.0, 99.999, 100.0}) {
      const double h = (n - 1) * p / 100;
      const auto lo = static_cast<std::size_t>(std::floor(h));
      const double want = lo + 1 < sorted.size() && h != static_cast<double>(lo)
                              ? sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo])
                              : sorted[lo];
      std::vector<double> work = inputs[i];
      EXPECT_EQ(percentile(work, p), want) << "input " << i << ", " << p << " %";
    }
  }
}

// Populations of 64 to 4095 values select within key bins fitted to their range instead of
// nth_element on all of them: bit for bit the value nth_element (and min_element for the next
// rank) gives on the same input, for ties, one crowded octave, negatives, -0 alone, +0 alone,
// -0 with +0 together (where only nth_element's choice is the old answer, so it is kept), and
// inputs whose fitted bin holds most values (split again by finer key bits).
TEST(Statistics, SmallPercentilesEqualNthElementToTheBit) {
  std::mt19937_64 rng(64);
  std::normal_distribution<double> z(0, 1);
  const auto old_way = [](std::vector<double> v, double p) {
    const double h = (static_cast<double>(v.size()) - 1) * p / 100;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
    const double a = v[lo];
    if (lo + 1 >= v.size() || h == static_cast<double>(lo)) return a;
    const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
    return a + (h - static_cast<double>(lo)) * (b - a);
  };
  const auto bits = [](double x) { return std::bit_cast<std::uint64_t>(x); };
  for (std::size_t n : {std::size_t{64}, std::size_t{65}, std::size_t{1000}, std::size_t{4095}}) {
    for (int kind = 0; kind < 9; ++kind) {
      std::vector<double> v(n);
      for (auto& x : v) {
        switch (kind) {
          case 0: x = std::round(3 * z(rng)) / 2; break;              // ties
          case 1: x = 1024 + std::ldexp(static_cast<double>(rng() % 64), -40); break;  // one octave, 64 values
          case 2: x = std::sinh(5 * z(rng)); break;                   // signed, many decades
          case 3: x = rng() % 4 ? std::fabs(z(rng)) : -0.0; break;    // -0 alone
          case 4: x = rng() % 4 ? -std::fabs(z(rng)) : 0.0; break;    // +0 alone
          case 5: x = rng() % 3 == 0 ? 0.0 : rng() % 2 ? -0.0 : z(rng); break;  // both zeros
          case 6: x = 300 + 150 * z(rng); break;  // compensated-like: a few negatives, most in one fitted bin
          case 7: x = 1 + std::ldexp(static_cast<double>(rng() % 4096), -52); break;  // 4096 neighbouring doubles
          default: x = std::round(std::ldexp(z(rng), 20));  // integers, ties, both signs
        }
      }
      if (kind == 7) v[n / 2] = -1e300;  // one far outlier: its neighbours share a bin down to the last key bits
      for (double p : {0.0, 2.5, 15.87, 50.0, 62.5, 84.13, 99.0, 100.0}) {
        std::vector<double> work = v;
        EXPECT_EQ(bits(percentile(work, p)), bits(old_way(v, p))) << n << " values, kind " << kind << ", " << p << " %";
      }
    }
  }
}

// The fused path (one histogram for all percentiles, per-channel logs shared by populations)
// against the one-statistic-at-a-time functions, which keep their own passes, and against a
// full sort: equal to the bit, on large and small populations with non-finite values, zeros,
// -0, negatives and ties.
TEST(Statistics, FusedPopulationStatisticsEqualOneAtATimeToTheBit) {
  std::mt19937_64 rng(21);
  std::normal_distribution<double> z(0, 1);
  for (std::size_t events : {std::size_t{300}, std::size_t{9000}, std::size_t{70001}}) {
    std::vector<double> values(events);
    for (auto& x : values) {
      const auto r = rng() % 50;
      x = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -0.0 : r == 3 ? 0.0 : r < 10 ? std::round(z(rng)) : 1000 * std::exp(z(rng)) - 50;
    }
    Membership members(events);
    for (std::size_t e = 0; e < events; ++e)
      if (rng() % 3) members.set(e);
    StatisticsOptions o;
    o.percentiles = {0, 1, 15.87, 50, 62.5, 99, 100};
    const auto logs = log_values(values);
    const auto with_logs = population_statistics(values, logs, members, events, events, o);
    const auto plain = population_statistics(values, members, events, events, o);
    std::vector<double> member = select(values, members);
    std::vector<double> finite;
    for (double x : member)
      if (std::isfinite(x)) finite.push_back(x);
    auto one = [&](Statistic st) {
      std::vector<double> work = member;
      return statistic(st, work);
    };
    const auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); };
    for (const auto* s : {&with_logs, &plain}) {
      SCOPED_TRACE(events);
      EXPECT_EQ(s->count, members.count());
      EXPECT_TRUE(same(s->mean, one(Statistic::Mean))) << s->mean;
      EXPECT_TRUE(same(s->sd, one(Statistic::Sd))) << s->sd;
      EXPECT_TRUE(same(s->cv, one(Statistic::Cv))) << s->cv;
      EXPECT_TRUE(same(s->geometric_mean, one(Statistic::GeometricMean))) << s->geometric_mean;
      EXPECT_TRUE(same(s->median, one(Statistic::Median))) << s->median;
      EXPECT_TRUE(same(s->robust_sd, one(Statistic::RobustSd))) << s->robust_sd;
      EXPECT_TRUE(same(s->robust_cv, one(Statistic::RobustCv))) << s->robust_cv;
      EXPECT_EQ(s->geometric_mean_excluded,
                static_cast<std::size_t>(std::count_if(finite.begin(), finite.end(), [](double x) { return x <= 0; })));
      std::vector<double> sorted = finite;
      std::sort(sorted.begin(), sorted.end());
      const double n = static_cast<double>(sorted.size());
      ASSERT_EQ(s->percentiles.size(), o.percentiles.size());
      for (const auto& [p, value] : s->percentiles) {
        const double h = (n - 1) * p / 100;
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const double want = lo + 1 < sorted.size() && h != static_cast<double>(lo)
                                ? sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo])
                                : sorted[lo];
        EXPECT_EQ(value, want) << p;
      }
    }
    EXPECT_EQ(with_logs.mode, plain.mode);
  }
}

// A population crowded into one key bin (1/16 of an octave; here 60,000 values within
// [1024, 1040), with ties) is narrowed by a second key histogram before selection: every
// percentile still the sorted reference's, exactly, through population_statistics.
TEST(Statistics, CrowdedPopulationPercentilesAreExact) {
  std::mt19937_64 rng(8192);
  std::vector<double> values(60000);
  for (auto& x : values) x = rng() % 5 ? 1024 + std::ldexp(static_cast<double>(rng() % (1u << 20)), -16) : 1030.5;
  Membership everyone(values.size());
  for (std::size_t e = 0; e < values.size(); ++e) everyone.set(e);
  StatisticsOptions o;
  o.percentiles = {0.5, 5, 15.87, 25, 50, 75, 84.13, 95, 99.5};
  const auto s = population_statistics(values, log_values(values), everyone, values.size(), values.size(), o);
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const auto type7 = [&](double p) {
    const double h = (static_cast<double>(sorted.size()) - 1) * p / 100;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    return h == static_cast<double>(lo) ? sorted[lo] : sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
  };
  EXPECT_EQ(s.median, type7(50));
  EXPECT_EQ(s.robust_sd, 0.5 * (type7(84.13) - type7(15.87)));
  for (const auto& [p, value] : s.percentiles) EXPECT_EQ(value, type7(p)) << p;
}

// The masked one-pass path (population_statistics: compaction, min/max, the mean's four partial
// sums, the log sum and the key histogram in one pass over the members) against
// value_statistics on the gathered values (compaction, then each sum in its own pass): every
// field to the bit, for counts of each remainder mod 4 (the mean's tail), populations of 4096+
// members with fewer than 4096 finite values (histogram made, small selection used), and
// all-NaN ones.
TEST(Statistics, MaskedPassEqualsGatheredValueStatisticsToTheBit) {
  std::mt19937_64 rng(2121);
  std::lognormal_distribution<double> spread(5, 2);
  const auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); };
  for (std::size_t events : {std::size_t{64}, std::size_t{4100}, std::size_t{9001}, std::size_t{9002}, std::size_t{9003},
                             std::size_t{65536}, std::size_t{70003}}) {
    for (int nan_share : {0, 1, 60, 100}) {  // percent of values that are NaN
      std::vector<double> values(events);
      for (auto& x : values) {
        const auto r = static_cast<int>(rng() % 100);
        x = r < nan_share ? NAN : (rng() % 7 == 0 ? -1.0 : 1.0) * spread(rng);
      }
      Membership members(events);
      for (std::size_t e = 0; e < events; ++e)
        if (rng() % 8) members.set(e);
      StatisticsOptions o;
      o.percentiles = {2.5, 50, 97.5};
      const auto logs = log_values(values);
      const auto fast = population_statistics(values, logs, members, events, events, o);
      const auto no_logs = population_statistics(values, members, events, events, o);
      const auto want = value_statistics(select(values, members), o);
      SCOPED_TRACE(std::to_string(events) + " events, " + std::to_string(nan_share) + "% NaN");
      for (const auto* s : {&fast, &no_logs}) {
        EXPECT_EQ(s->count, members.count());
        EXPECT_TRUE(same(s->mean, want.mean)) << s->mean << " " << want.mean;
        EXPECT_TRUE(same(s->sd, want.sd)) << s->sd << " " << want.sd;
        EXPECT_TRUE(same(s->cv, want.cv));
        EXPECT_TRUE(same(s->geometric_mean, want.geometric_mean)) << s->geometric_mean << " " << want.geometric_mean;
        EXPECT_EQ(s->geometric_mean_excluded, want.geometric_mean_excluded);
        EXPECT_TRUE(same(s->mode, want.mode)) << s->mode << " " << want.mode;
        EXPECT_TRUE(same(s->median, want.median));
        EXPECT_TRUE(same(s->robust_sd, want.robust_sd));
        EXPECT_TRUE(same(s->robust_cv, want.robust_cv));
        ASSERT_EQ(s->percentiles.size(), want.percentiles.size());
        for (std::size_t i = 0; i < want.percentiles.size(); ++i)
          EXPECT_TRUE(same(s->percentiles[i].second, want.percentiles[i].second)) << want.percentiles[i].first;
      }
    }
  }
}

using cytopipe::gating::test::ulps_apart;

// The table path (every population on every channel, a sweep per channel in chunks, the sums of
// different populations interleaved or, for overlapping populations, made per atom and combined,
// vector bins and candidates) against population_statistics one population and channel at a
// time: every field to the bit but the sums' (mean, SD, CV, geometric mean), which a different
// order of long double additions, and the geometric mean's vector log (within an ulp of
// std::log), may move by a few units in the last place (up to 16 seen, for the geometric mean
// of a constant: exp turns the log mean's last bit into several), on
// channels with NaN, +-inf,
// -0/+0, negative values, ties crowded into one key bin, a constant, a range too wide for the
// mode's vector bins (+-1e308) and no positive value; for nested, disjoint, empty, small (<4096),
// mostly-NaN (4096+ members, fewer finite) and full populations; events spanning several chunks
// with a partial last word. ctest runs it again with CYTOPIPE_NO_AVX512=1.
TEST(Statistics, TableEqualsOnePopulationAtATime) {
  std::mt19937_64 rng(2626);
  std::lognormal_distribution<double> spread(6, 2);
  std::normal_distribution<double> z;
  const std::size_t events = 70003;
  std::vector<std::vector<double>> channels(9, std::vector<double>(events));
  for (std::size_t e = 0; e < events; ++e) {
    const auto r = rng() % 100;
    // Squares near DBL_MAX: their sum passes the double range (a long double holds it).
    channels[8][e] = (rng() % 2 ? 1.2e154 : -1.2e154) * (1 + 1e-3 * z(rng));
    channels[0][e] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : r == 3 ? -0.0 : r == 4 ? 0.0 : spread(rng);
    channels[1][e] = 200 * z(rng) - 30;                                                  // negatives and positives
    channels[2][e] = rng() % 4 ? 1024 + std::ldexp(static_cast<double>(rng() % 4096), -12) : 1030.5;  // one key bin
    channels[3][e] = 42.0;                                                               // constant
    channels[4][e] = r < 2 ? (r ? 1e308 : -1e308) : z(rng);                              // mode bins by the scalar path
    channels[5][e] = -spread(rng);                                                       // no logs
    channels[6][e] = e % 3 ? NAN : static_cast<double>(rng() % 50);                       // mostly NaN, ties
    channels[7][e] = std::round(1000 * z(rng)) / 8;
  }
  std::vector<Membership> populations;
  const auto add = [&](auto rule) {
    Membership m(events);
    for (std::size_t e = 0; e < events; ++e)
      if (rule(e)) m.set(e);
    populations.push_back(std::move(m));
  };
  add([](std::size_t) { return true; });
  add([&](std::size_t) { return rng() % 3 != 0; });
  add([&](std::size_t e) { return populations[1].test(e) && rng() % 2; });  // nested
  add([&](std::size_t e) { return !populations[1].test(e); });              // disjoint
  add([](std::size_t) { return false; });                                   // empty
  add([](std::size_t e) { return e % 29 == 0; });                           // small: 2414 members
  add([](std::size_t e) { return e % 3 != 0 && e < 9000; });                // 6000 members, none finite on channel 6
  add([](std::size_t e) { return e >= events - 5000; });                    // ends in the partial last word
  StatisticsOptions o;
  o.percentiles = {0, 1, 5, 15.87, 50, 62.5, 95, 99.9, 100};
  std::vector<std::span<const double>> columns(channels.begin(), channels.end());
  std::vector<const Membership*> members;
  std::vector<std::size_t> parents;
  for (const auto& m : populations) {
    members.push_back(&m);
    parents.push_back(events - 7);
  }
  const auto table = population_statistics_table(columns, members, parents, events, o);
  ASSERT_EQ(table.size(), populations.size() * channels.size());
  const auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); };
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const auto logs = log_values(channels[c]);
    for (std::size_t p = 0; p < populations.size(); ++p) {
      SCOPED_TRACE("channel " + std::to_string(c) + ", population " + std::to_string(p));
      const auto want = population_statistics(channels[c], logs, populations[p], parents[p], events, o);
      const auto& s = table[p * channels.size() + c];
      EXPECT_EQ(s.count, want.count);
      EXPECT_TRUE(same(s.percent_parent, want.percent_parent));
      EXPECT_TRUE(same(s.percent_total, want.percent_total));
      EXPECT_LE(ulps_apart(s.mean, want.mean), 2u) << s.mean << " " << want.mean;
      EXPECT_LE(ulps_apart(s.sd, want.sd), 4u) << s.sd << " " << want.sd;
      EXPECT_LE(ulps_apart(s.cv, want.cv), 8u) << s.cv << " " << want.cv;
      // The geometric mean is exp of the mean log, rounded to double first: half an ulp of a
      // mean log near 355 (values near 1e154) is 128 ulps of the geometric mean, so its bound
      // scales with |log|: 64 ulps per unit of it, and at least 64.
      const double log_size = std::max(1.0, std::abs(std::log(std::abs(want.geometric_mean))));
      EXPECT_LE(static_cast<double>(ulps_apart(s.geometric_mean, want.geometric_mean)), 64 * log_size)
          << s.geometric_mean << " " << want.geometric_mean;
      EXPECT_EQ(s.geometric_mean_excluded, want.geometric_mean_excluded);
      EXPECT_TRUE(same(s.mode, want.mode)) << s.mode << " " << want.mode;
      EXPECT_TRUE(same(s.median, want.median)) << s.median << " " << want.median;
      EXPECT_TRUE(same(s.robust_sd, want.robust_sd));
      EXPECT_TRUE(same(s.robust_cv, want.robust_cv));
      ASSERT_EQ(s.percentiles.size(), want.percentiles.size());
      for (std::size_t i = 0; i < want.percentiles.size(); ++i)
        EXPECT_TRUE(same(s.percentiles[i].second, want.percentiles[i].second))
            << want.percentiles[i].first << ": " << s.percentiles[i].second << " " << want.percentiles[i].second;
    }
  }
  // Again, channels in the reverse order: what a thread's buffers kept from earlier channels
  // (histograms, candidate slots) changes nothing.
  std::vector<std::span<const double>> reversed(columns.rbegin(), columns.rend());
  const auto again = population_statistics_table(reversed, members, parents, events, o);
  for (std::size_t c = 0; c < channels.size(); ++c)
    for (std::size_t p = 0; p < populations.size(); ++p) {
      const auto& s = again[p * channels.size() + (channels.size() - 1 - c)];
      const auto& first = table[p * channels.size() + c];
      EXPECT_TRUE(same(s.median, first.median) && same(s.sd, first.sd) && same(s.mode, first.mode) &&
                  same(s.percentiles.back().second, first.percentiles.back().second))
          << "channel " << c << ", population " << p;
    }
  // One value per event on every channel, and a parent count per population.
  std::vector<double> short_column(events - 1);
  std::vector<std::span<const double>> bad = {short_column};
  EXPECT_THROW(population_statistics_table(bad, members, parents, events, o), cytopipe::Error);
  EXPECT_THROW(population_statistics_table(columns, members, std::span<const std::size_t>(parents).first(1), events, o),
               cytopipe::Error);
}

// Float32 columns (ChannelValues::floats, as `gate --stats` keeps a file's float channels) give
// the results of double columns holding the same values, every field to the bit: overlapping
// populations (atoms) and disjoint ones, small populations (the plain path, from values gathered
// in the sweeps), populations with fewer than 4096 finite values, zeros of both signs at the
// extremes (their signs looked up in event order), NaN and infinities; float and double
// columns mixed in one table.
TEST(Statistics, FloatColumnsGiveTheDoubleColumnsResultsToTheBit) {
  std::mt19937_64 rng(3131);
  std::lognormal_distribution<float> spread(5, 2);
  std::normal_distribution<float> z;
  const std::size_t events = 70003;
  std::vector<std::vector<float>> floats(6, std::vector<float>(events));
  for (std::size_t e = 0; e < events; ++e) {
    const auto r = rng() % 100;
    floats[0][e] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : r == 3 ? -0.0f : r == 4 ? 0.0f : spread(rng);
    floats[1][e] = 300 * z(rng) - 20;
    floats[2][e] = rng() % 2 ? -0.0f : 0.0f;  // zeros only: both extremes a zero
    floats[3][e] = 17.25f;
    floats[4][e] = e % 3 ? NAN : static_cast<float>(rng() % 50);
    floats[5][e] = static_cast<float>(rng() % 1024);  // a 10-bit integer channel
  }
  std::vector<std::vector<double>> doubles(floats.size());
  for (std::size_t c = 0; c < floats.size(); ++c) doubles[c].assign(floats[c].begin(), floats[c].end());
  const auto population_sets = [&] {
    std::vector<std::vector<Membership>> sets(2);
    const auto add = [&](std::vector<Membership>& set, auto rule) {
      Membership m(events);
      for (std::size_t e = 0; e < events; ++e)
        if (rule(e)) m.set(e);
      set.push_back(std::move(m));
    };
    auto& overlapping = sets[0];
    add(overlapping, [](std::size_t) { return true; });
    add(overlapping, [&](std::size_t) { return rng() % 3 != 0; });
    add(overlapping, [&](std::size_t e) { return overlapping[1].test(e) && rng() % 2; });
    add(overlapping, [&](std::size_t e) { return !overlapping[1].test(e); });
    add(overlapping, [](std::size_t e) { return e % 29 == 0; });               // small
    add(overlapping, [](std::size_t e) { return e % 3 != 0 && e < 9000; });    // no finite value on channel 4
    add(overlapping, [&](std::size_t e) { return e >= events - 5000; });        // the partial last word
    auto& disjoint = sets[1];
    add(disjoint, [](std::size_t e) { return e % 2 == 0 && e < 40000; });
    add(disjoint, [](std::size_t e) { return e % 2 == 1; });
    add(disjoint, [](std::size_t e) { return e % 2 == 0 && e >= 40000 && e % 7 == 0; });  // small
    add(disjoint, [](std::size_t) { return false; });                                      // empty
    return sets;
  }();
  StatisticsOptions o;
  o.percentiles = {0, 2.5, 15.87, 50, 84.13, 99, 100};
  const auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); };
  for (std::size_t set = 0; set < population_sets.size(); ++set) {
    const auto& populations = population_sets[set];
    std::vector<const Membership*> members;
    std::vector<std::size_t> parents;
    for (const auto& m : populations) {
      members.push_back(&m);
      parents.push_back(events);
    }
    std::vector<std::span<const double>> columns(doubles.begin(), doubles.end());
    const auto want = population_statistics_table(columns, members, parents, events, o);
    // Floats on every channel, then floats and doubles alternating.
    for (int mix = 0; mix < 2; ++mix) {
      std::vector<ChannelValues> values(floats.size());
      for (std::size_t c = 0; c < floats.size(); ++c)
        if (mix == 0 || c % 2 == 0) values[c].floats = floats[c];
        else values[c].doubles = doubles[c];
      const auto got = population_statistics_table(values, members, parents, events, o);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE("set " + std::to_string(set) + ", mix " + std::to_string(mix) + ", population " +
                     std::to_string(i / floats.size()) + ", channel " + std::to_string(i % floats.size()));
        const auto& g = got[i];
        const auto& w = want[i];
        EXPECT_EQ(g.count, w.count);
        EXPECT_EQ(g.geometric_mean_excluded, w.geometric_mean_excluded);
        for (auto field : {&PopulationStatistics::percent_parent, &PopulationStatistics::percent_total,
                           &PopulationStatistics::mean, &PopulationStatistics::median,
                           &PopulationStatistics::geometric_mean, &PopulationStatistics::mode, &PopulationStatistics::sd,
                           &PopulationStatistics::cv, &PopulationStatistics::robust_sd, &PopulationStatistics::robust_cv})
          EXPECT_TRUE(same(g.*field, w.*field)) << g.*field << " " << w.*field;
        ASSERT_EQ(g.percentiles.size(), w.percentiles.size());
        for (std::size_t k = 0; k < w.percentiles.size(); ++k)
          EXPECT_TRUE(same(g.percentiles[k].second, w.percentiles[k].second)) << w.percentiles[k].first;
      }
    }
  }
  // One value per event on every channel.
  std::vector<float> short_column(events - 1);
  std::vector<ChannelValues> bad(1);
  bad[0].floats = short_column;
  std::vector<const Membership*> one = {&population_sets[0][0]};
  std::vector<std::size_t> parent = {events};
  EXPECT_THROW(population_statistics_table(bad, one, parent, events, o), cytopipe::Error);
}

// The table's overlapping populations take their min/max, positive counts and key histograms
// from atoms (the disjoint sets of events in the same populations); a zero at either end takes
// its sign from the population's first (last) zero in event order, not from an atom's. Here the
// union's first zero is -0 in one atom and its last is +0 in another; a channel of zeros only
// (the mode is then the minimum itself, sign and all) and one of mixed values; populations
// nested, overlapping and disjoint, also too many independent ones to split (per population).
TEST(Statistics, TableFromAtomsKeepsTheSignOfZeroExtremes) {
  const std::size_t events = 30000;
  std::mt19937_64 rng(77);
  std::vector<double> zeros(events), mixed(events);
  for (std::size_t e = 0; e < events; ++e) {
    zeros[e] = e % 2 ? 0.0 : -0.0;
    mixed[e] = e % 5 == 0 ? (e % 3 ? 0.0 : -0.0) : static_cast<double>(rng() % 1000) - (e % 7 == 0 ? 0 : 500);
  }
  zeros[10] = -0.0, zeros[11] = 0.0;  // event 10 in A only, 11 in B only
  std::vector<Membership> populations;
  const auto add = [&](auto rule) {
    Membership m(events);
    for (std::size_t e = 0; e < events; ++e)
      if (rule(e)) m.set(e);
    populations.push_back(std::move(m));
  };
  add([](std::size_t e) { return e == 10 || (e > 11 && e % 3 != 0); });  // A
  add([](std::size_t e) { return e == 11 || (e > 11 && e % 3 != 1); });  // B, overlapping A
  add([&](std::size_t e) { return populations[0].test(e) || populations[1].test(e); });
  add([&](std::size_t e) { return populations[0].test(e) && populations[1].test(e); });
  add([&](std::size_t e) { return populations[0].test(e) && !populations[1].test(e); });
  add([&](std::size_t e) { return populations[2].test(e) && e > 20000; });
  for (int independent = 0; independent < 2; ++independent) {
    std::vector<Membership> pops = populations;
    if (independent)  // 2^7 combinations: too fragmented for atoms
      for (int k = 0; k < 7; ++k) {
        Membership m(events);
        for (std::size_t e = 0; e < events; ++e)
          if (rng() % 2) m.set(e);
        pops.push_back(std::move(m));
      }
    std::vector<const Membership*> members;
    std::vector<std::size_t> parents;
    for (const auto& m : pops) {
      members.push_back(&m);
      parents.push_back(events);
    }
    StatisticsOptions o;
    o.percentiles = {0, 50, 100};
    const std::vector<std::span<const double>> columns = {zeros, mixed};
    const auto table = population_statistics_table(columns, members, parents, events, o);
    const auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); };
    for (std::size_t c = 0; c < columns.size(); ++c)
      for (std::size_t p = 0; p < pops.size(); ++p) {
        SCOPED_TRACE("channel " + std::to_string(c) + ", population " + std::to_string(p));
        const auto want = population_statistics(columns[c], log_values(columns[c]), pops[p], events, events, o);
        const auto& s = table[p * columns.size() + c];
        EXPECT_TRUE(same(s.mode, want.mode)) << s.mode << " " << want.mode;
        EXPECT_TRUE(same(s.median, want.median)) << s.median << " " << want.median;
        // The sums' statistics within the last-place bounds of TableEqualsOnePopulationAtATime.
        EXPECT_LE(ulps_apart(s.mean, want.mean), 2u);
        EXPECT_LE(ulps_apart(s.sd, want.sd), 4u);
        EXPECT_LE(ulps_apart(s.geometric_mean, want.geometric_mean), 64u);
        EXPECT_EQ(s.geometric_mean_excluded, want.geometric_mean_excluded);
        for (std::size_t i = 0; i < want.percentiles.size(); ++i)
          EXPECT_TRUE(same(s.percentiles[i].second, want.percentiles[i].second)) << want.percentiles[i].first;
      }
    // The union (population 2) starts with -0: its mode on the channel of zeros is -0.
    EXPECT_TRUE(std::signbit(table[2 * columns.size()].mode));
  }
}

// The table's order statistics and modes of overlapping populations (unions of four disjoint
// sets, as gates5's: their candidates are kept once per atom and ordered by sub-bins; the modes
// of populations with the same extremes counted once per atom) against the plain definitions:
// each population's finite values gathered by a loop, fully sorted (-0 before +0) and type-7
// interpolated; the mode as the centre of the first fullest of 256 bins between the event-order
// extremes (first smallest, last largest), or the minimum itself without a spread. Channels:
// spread values with NaN, +-inf and both zeros; zeros only (-0 and +0 mixed, ranks on each side
// of the sign); all equal; crowded ties in one key bin (a sub-bin of many equal values); two
// values (every population the same extremes); mostly NaN (some populations under 4096 finite
// values).
TEST(Statistics, TableOrderStatisticsAndModesFromAtomsEqualPlainDefinitions) {
  const std::size_t events = 150001;
  std::mt19937_64 rng(4242);
  std::lognormal_distribution<double> spread(4, 3);
  std::vector<std::vector<double>> channels(7, std::vector<double>(events));
  for (std::size_t e = 0; e < events; ++e) {
    const auto r = rng() % 100;
    channels[0][e] = r == 0 ? NAN : r == 1 ? INFINITY : r == 2 ? -INFINITY : r == 3 ? -0.0 : r == 4 ? 0.0
                   : (r % 3 ? 1.0 : -1.0) * spread(rng);
    channels[1][e] = rng() % 2 ? 0.0 : -0.0;
    channels[2][e] = 7.25;
    channels[3][e] = 1000 + static_cast<double>(rng() % 3) * 0x1p-40;
    channels[4][e] = rng() % 2 ? 3.0 : -3.0;
    channels[5][e] = rng() % 40 ? NAN : spread(rng);
    channels[6][e] = std::ldexp(1.0, static_cast<int>(rng() % 5)) * (1 + static_cast<double>(rng() % 1000) / 1000);
  }
  // Four disjoint sets (some events in none) and populations made of them.
  std::vector<int> set_of(events);
  for (auto& s : set_of) s = static_cast<int>(rng() % 5) - 1;  // -1: in no set
  const std::vector<std::vector<int>> unions = {{0, 1}, {1, 2}, {0, 1, 2}, {1, 2, 3}, {0, 3}, {0, 1, 2, 3}, {2}, {3, 1}};
  std::vector<Membership> populations;
  for (const auto& u : unions) {
    Membership m(events);
    for (std::size_t e = 0; e < events; ++e)
      if (std::find(u.begin(), u.end(), set_of[e]) != u.end()) m.set(e);
    populations.push_back(std::move(m));
  }
  std::vector<const Membership*> members;
  std::vector<std::size_t> parents;
  for (const auto& m : populations) {
    members.push_back(&m);
    parents.push_back(events);
  }
  StatisticsOptions o;
  o.percentiles = {0, 0.1, 1, 5, 25, 49.9, 50.1, 75, 95, 99, 99.9, 100};
  std::vector<std::span<const double>> columns(channels.begin(), channels.end());
  const auto table = population_statistics_table(columns, members, parents, events, o);
  const auto same = [](double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); };
  const auto before = [](double a, double b) { return a < b || (a == b && std::signbit(a) && !std::signbit(b)); };
  for (std::size_t c = 0; c < channels.size(); ++c)
    for (std::size_t p = 0; p < populations.size(); ++p) {
      SCOPED_TRACE("channel " + std::to_string(c) + ", population " + std::to_string(p));
      std::vector<double> v;
      for (std::size_t e = 0; e < events; ++e)
        if (populations[p].test(e) && std::isfinite(channels[c][e])) v.push_back(channels[c][e]);
      ASSERT_FALSE(v.empty());
      double lo = v[0], hi = v[0];
      for (double x : v) {
        if (x < lo) lo = x;
        if (!(x < hi)) hi = x;
      }
      double mode = lo;
      if (hi > lo) {
        const double width = (hi - lo) / 256;
        std::vector<std::size_t> bins(256, 0);
        for (double x : v) ++bins[std::min<std::size_t>(static_cast<std::size_t>((x - lo) / width), 255)];
        const auto best = static_cast<std::size_t>(std::max_element(bins.begin(), bins.end()) - bins.begin());
        mode = lo + (static_cast<double>(best) + 0.5) * width;
      }
      std::sort(v.begin(), v.end(), before);
      const auto type7 = [&](double percent) {
        const double h = (static_cast<double>(v.size()) - 1) * percent / 100.0;
        const auto lo = static_cast<std::size_t>(std::floor(h));
        if (lo + 1 >= v.size() || h == static_cast<double>(lo)) return v[lo];
        return v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
      };
      const auto& s = table[p * channels.size() + c];
      EXPECT_TRUE(same(s.mode, mode)) << s.mode << " " << mode;
      EXPECT_TRUE(same(s.median, type7(50))) << s.median << " " << type7(50);
      const double rsd = 0.5 * (type7(84.13) - type7(15.87));
      EXPECT_TRUE(same(s.robust_sd, rsd)) << s.robust_sd << " " << rsd;
      EXPECT_TRUE(same(s.robust_cv, 100.0 * rsd / type7(50)));
      ASSERT_EQ(s.percentiles.size(), o.percentiles.size());
      for (std::size_t i = 0; i < o.percentiles.size(); ++i)
        EXPECT_TRUE(same(s.percentiles[i].second, type7(o.percentiles[i])))
            << o.percentiles[i] << ": " << s.percentiles[i].second << " " << type7(o.percentiles[i]);
    }
}

// gather() (AVX-512 where the CPU has it; ctest runs this again with CYTOPIPE_NO_AVX512=1):
// every member's value, in event order, for sparse, dense, full and empty words and a partial
// last word, and a clear error when the output is too small.
TEST(Statistics, GatherTakesEachMemberInEventOrder) {
  std::mt19937_64 rng(21);
  const std::size_t n = 64 * 40 + 37;
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<double>(i) + 0.25;
  for (double density : {0.0, 0.01, 0.3, 0.9, 1.0}) {
    Membership m(n);
    std::bernoulli_distribution in(density);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t word = i / 64;
      const bool forced_full = word % 7 == 3, forced_empty = word % 5 == 1;
      if (forced_full || (!forced_empty && in(rng))) m.set(i);
    }
    std::vector<double> want;
    for (std::size_t i = 0; i < n; ++i)
      if (m.test(i)) want.push_back(values[i]);
    std::vector<double> got(want.size() + 3, -1.0);
    ASSERT_EQ(gather(values, m, got), want.size()) << density;
    EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin())) << density;
    EXPECT_EQ(got[want.size()], -1.0) << "nothing written past the members";
    EXPECT_EQ(select(values, m), want);
    if (!want.empty()) {
      std::vector<double> small(want.size() - 1);
      EXPECT_THROW(gather(values, m, small), cytopipe::Error);
    }
  }
}

TEST(Statistics, PopulationPercentagesAndMembership) {
  Membership m(100);
  std::vector<double> values(100);
  for (std::size_t i = 0; i < 100; ++i) {
    values[i] = static_cast<double>(i);
    if (i % 4 == 0) m.set(i);
  }
  const auto s = population_statistics(values, m, 50, 100);
  EXPECT_EQ(s.count, 25u);
  EXPECT_DOUBLE_EQ(s.percent_parent, 50.0);
  EXPECT_DOUBLE_EQ(s.percent_total, 25.0);
  EXPECT_DOUBLE_EQ(s.mean, 48.0);    // 0, 4, ..., 96
  EXPECT_DOUBLE_EQ(s.median, 48.0);
  EXPECT_THROW(population_statistics(std::vector<double>(5), m, 1, 1), cytopipe::Error);
}

}  // namespace
