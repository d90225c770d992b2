// Gate finders on constructed data: the cut a finder places against where the populations were
// drawn (independent of the finder's code), the YAML form, and degenerate input (all equal, 10
// events, a channel of zeros, one peak, NaN values): a clear Error or the documented fallback.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/gating_set.hpp"
#include "cytopipe/gating/finder.hpp"
#include "cytopipe/gating/io.hpp"

namespace {

using namespace cytopipe;
using namespace cytopipe::gating;

// A plain channel dimension (the other members keep their defaults).
Dimension on_channel(std::string channel) {
  Dimension d;
  d.channel = std::move(channel);
  return d;
}

FinderSpec one_d(FinderMethod method, Keep keep = Keep::Above) {
  FinderSpec s;
  s.method = method;
  s.keep = keep;
  s.dimensions = {on_channel("X")};
  return s;
}

FoundGate run(const FinderSpec& spec, const std::vector<double>& x) {
  std::vector<std::span<const double>> v = {x};
  return find_gate(spec, v, "test");
}
FoundGate run2(const FinderSpec& spec, const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<std::span<const double>> v = {x, y};
  return find_gate(spec, v, "test");
}

double cut_of(const FoundGate& g) {
  const auto& r = std::get<RectangleGate>(g.gate);
  return r.intervals[0].min ? *r.intervals[0].min : *r.intervals[0].max;
}

// Two normal populations: n1 at m1 and n2 at m2, sd 1 each.
std::vector<double> bimodal(std::size_t n1, double m1, std::size_t n2, double m2, unsigned seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> a(m1, 1), b(m2, 1);
  std::vector<double> x;
  for (std::size_t i = 0; i < n1; ++i) x.push_back(a(rng));
  for (std::size_t i = 0; i < n2; ++i) x.push_back(b(rng));
  return x;
}

TEST(FinderValley, CutsBetweenTwoPopulationsNearTheDensityMinimum) {
  // Equal populations at 0 and 8 (sd 1): the mixture's density minimum is at 4.
  const auto x = bimodal(5000, 0, 5000, 8);
  const auto g = run(one_d(FinderMethod::Valley), x);
  EXPECT_NEAR(cut_of(g), 4.0, 0.35);
  ASSERT_TRUE(g.report.valley);
  EXPECT_TRUE(g.report.fallback.empty());
  ASSERT_GE(g.report.peaks.size(), 2u);
  EXPECT_NEAR(std::min(g.report.peaks[0], g.report.peaks[1]), 0.0, 0.3);
  EXPECT_NEAR(std::max(g.report.peaks[0], g.report.peaks[1]), 8.0, 0.3);
  // keep: above -> [cut, +inf)
  EXPECT_TRUE(std::get<RectangleGate>(g.gate).intervals[0].min.has_value());
}

TEST(FinderValley, UnequalPopulationsMoveTheCutTowardTheSmallerOne) {
  // 90 % at 0, 10 % at 8 (sd 1): density minimum where 0.9 phi(x) = 0.1 phi(x - 8) ... solved:
  // x = 4 + ln(9) / 8 = 4.275 (both densities equal there; the minimum of the sum is close).
  const auto x = bimodal(9000, 0, 1000, 8);
  const auto g = run(one_d(FinderMethod::Valley, Keep::Below), x);
  EXPECT_NEAR(cut_of(g), 4.0 + std::log(9.0) / 8.0, 0.5);
  EXPECT_TRUE(std::get<RectangleGate>(g.gate).intervals[0].max.has_value());
}

TEST(FinderValley, ThreePeaksTakeTheDeepestValley) {
  // Small broad population at 0, two close ones at 10 and 13: the cut separates 0 from the rest.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> a(0, 1.5), b(10, 1), c(13, 1);
  std::vector<double> x;
  for (int i = 0; i < 800; ++i) x.push_back(a(rng));
  for (int i = 0; i < 4000; ++i) x.push_back(b(rng));
  for (int i = 0; i < 4000; ++i) x.push_back(c(rng));
  const auto g = run(one_d(FinderMethod::Valley), x);
  EXPECT_GT(cut_of(g), 3.0);
  EXPECT_LT(cut_of(g), 7.5);
}

TEST(FinderValley, RangeRestrictsWhereTheValleyIsSought) {
  const auto x = bimodal(5000, 0, 5000, 8);
  auto spec = one_d(FinderMethod::Valley);
  spec.range_min = 5.5;
  spec.range_max = 7.0;
  const auto g = run(spec, x);
  EXPECT_GE(cut_of(g), 5.5);
  EXPECT_LE(cut_of(g), 7.0);
}

TEST(FinderValley, OnePeakAppliesTheStatedFallbackAndSaysSo) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> a(10, 2);
  std::vector<double> x;
  for (int i = 0; i < 5000; ++i) x.push_back(a(rng));
  auto spec = one_d(FinderMethod::Valley, Keep::Below);
  spec.sds = 3;
  auto g = run(spec, x);
  // Negative by default: cut 3 robust SDs (2 each) above the peak at 10 (the KDE's mode of 5000
  // normal values is itself off by a few tenths).
  EXPECT_NEAR(cut_of(g), 16.0, 1.0);
  EXPECT_NE(g.report.fallback.find("one peak"), std::string::npos) << g.report.fallback;
  EXPECT_FALSE(g.report.valley);
  // negative_below decides the side: a peak at 10 above the level 5 is the positive one.
  spec.negative_below = 5;
  g = run(spec, x);
  EXPECT_NEAR(cut_of(g), 4.0, 1.0);
  EXPECT_NE(g.report.fallback.find("positive"), std::string::npos);
}

// A log amplifier's negative cells (a FACSCalibur's CD3 on tumour cells): a right-skewed signal
// recorded no lower than 1, its lower side squeezed against that floor. Every event is negative,
// so the one-peak cut must lie above nearly all of them; measured on the short lower side (4 of
// its SDs) it fell inside the long upper side and called about a tenth of them positive.
TEST(FinderValley, OnePeakCutOffBelowByTheInstrumentsFloorIsMeasuredAbove) {
  std::mt19937_64 rng(5);
  std::gamma_distribution<double> signal(2.5, 5.5);  // median about 12, 5th percentile about 3
  std::vector<double> x;
  for (int i = 0; i < 2000; ++i) x.push_back(std::max(1.0, signal(rng)));
  auto spec = one_d(FinderMethod::Valley);
  spec.min_peak = 0.05;
  const auto g = run(spec, x);
  const double above = static_cast<double>(std::count_if(x.begin(), x.end(), [&](double v) { return v >= cut_of(g); }));
  EXPECT_LT(above / static_cast<double>(x.size()), 0.01) << "cut " << cut_of(g) << ": " << g.report.fallback;
  EXPECT_NE(g.report.fallback.find("cut off below by the data's floor 1"), std::string::npos) << g.report.fallback;
  // The same cells compensated on another instrument spread around zero (no floor above it): the
  // lower side is the peak's, measured as before (cut 4 of its SDs, 3 each, above the peak at 0;
  // the KDE's mode is itself off by a few tenths, which moves the lower side's median distance).
  std::normal_distribution<double> centred(0, 3);
  std::vector<double> y;
  for (int i = 0; i < 5000; ++i) y.push_back(centred(rng));
  const auto h = run(spec, y);
  EXPECT_NEAR(cut_of(h), 12.0, 2.5);
  EXPECT_EQ(h.report.fallback.find("cut off"), std::string::npos) << h.report.fallback;
}

// Two populations on a floored axis (every value above zero; the negatives a box whose lower edge
// is within 3 of its SDs): the positives, 40 % of the events, are a population, not the
// negatives' tail, so the cut lies between them.
TEST(FinderValley, ASecondPopulationAboveAFlooredPeakIsKept) {
  std::vector<double> x;
  for (int i = 0; i < 600; ++i) x.push_back(60 + 80.0 * i / 600);
  for (int i = 0; i < 400; ++i) x.push_back(1900 + 200.0 * i / 400);
  const auto g = run(one_d(FinderMethod::Valley), x);
  EXPECT_GT(cut_of(g), 140);
  EXPECT_LT(cut_of(g), 1900);
  EXPECT_TRUE(g.report.valley);
}

// A population not in every file (counting beads): with fewer events in the parent than
// absent_below the gate holds none and says so; with enough it is placed as usual; the YAML
// form keeps it, and a 2-D finder refuses it.
TEST(FinderValley, AbsentBelowPlacesAnEmptyGateAndSaysSo) {
  auto spec = one_d(FinderMethod::Valley);
  spec.absent_below = 50;
  std::vector<double> few = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
  const auto g = run(spec, few);
  for (double v : few) EXPECT_FALSE(std::get<RectangleGate>(g.gate).intervals[0].contains(v)) << v;
  EXPECT_NE(g.report.fallback.find("absent: 10 events in the parent, fewer than absent_below (50)"), std::string::npos)
      << g.report.fallback;
  const auto none = run(spec, {});
  EXPECT_NE(none.report.fallback.find("absent: 0 events"), std::string::npos);
  const auto x = bimodal(500, 0, 500, 8);
  const auto placed = run(spec, x);
  EXPECT_NEAR(cut_of(placed), 4.0, 0.5);
  EXPECT_TRUE(placed.report.fallback.empty());
  const auto strategy = parse_strategy_yaml(R"(gates:
  - id: beads
    find: valley
    dimension: FSC-A
    absent_below: 50
)");
  EXPECT_EQ(strategy.gates()[0].finder->absent_below, 50u);
  EXPECT_EQ(parse_strategy_yaml(to_yaml(strategy)).gates()[0].finder->absent_below, 50u);
  try {
    parse_strategy_yaml(R"(gates:
  - id: c
    find: cells
    dimensions: [FSC-A, SSC-A]
    absent_below: 50
)");
    ADD_FAILURE() << "a 2-D finder took absent_below";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent_below is for 1-D finders"), std::string::npos) << e.what();
  }
}

TEST(FinderTail, CutsAtTheStatedRobustSdsFromThePeak) {
  // 95 % normal(0, 1) and 5 % far out at 20: the tail cut at 3 SDs lands near 3.
  const auto x = bimodal(9500, 0, 500, 20);
  auto spec = one_d(FinderMethod::Tail);
  spec.sds = 3;
  const auto g = run(spec, x);
  EXPECT_NEAR(cut_of(g), 3.0, 0.25);
}

TEST(FinderQuantile, CutIsTheType7QuantileOfTheValues) {
  std::vector<double> x;
  for (int i = 1; i <= 1001; ++i) x.push_back(i);  // quantile p: 1 + 1000 p
  auto spec = one_d(FinderMethod::Quantile);
  spec.quantile = 0.9;
  EXPECT_DOUBLE_EQ(cut_of(run(spec, x)), 901.0);
}

TEST(FinderEllipse, FindsTheMeanAndCovarianceOfTheChosenPeak) {
  // A tight population at (100, 50) with sd (4, 2) and correlation 0, beside a broad one.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> x1(100, 4), y1(50, 2), x2(30, 10), y2(120, 10);
  std::vector<double> x, y;
  for (int i = 0; i < 4000; ++i) {
    x.push_back(x1(rng));
    y.push_back(y1(rng));
  }
  for (int i = 0; i < 4000; ++i) {
    x.push_back(x2(rng));
    y.push_back(y2(rng));
  }
  FinderSpec spec;
  spec.method = FinderMethod::Ellipse;
  spec.dimensions = {on_channel("X"), on_channel("Y")};
  spec.near = std::vector<double>{90, 60};
  const auto g = run2(spec, x, y);
  const auto& e = std::get<EllipsoidGate>(g.gate);
  EXPECT_NEAR(e.mean[0], 100, 0.5);
  EXPECT_NEAR(e.mean[1], 50, 0.3);
  EXPECT_NEAR(std::sqrt(e.covariance[0]), 4, 0.4);
  EXPECT_NEAR(std::sqrt(e.covariance[3]), 2, 0.2);
  EXPECT_DOUBLE_EQ(e.distance_square, 9.0);
}

// Two balls of radius 1 in `dims` dimensions, events spread evenly (uniformly) in each: `first`
// events around (100, 110, 120, ...), `second` around a point 40 further on every axis, in random
// order. Each ball lies well within 3 of the ellipse's SDs of its own centre (its radius is at
// most 2.7 of its SDs per axis), far from the other: an ellipse on a ball settles on its exact
// mean and covariance. The counts used (130,003 in all) span several of the finder's blocks of
// 16384 events and end in a partial row of its four lanes.
constexpr double kSecondBall = 40;
std::vector<std::vector<double>> two_balls(std::size_t dims, std::size_t first, std::size_t second) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> columns(dims);
  std::vector<bool> in_first(first + second, false);
  std::fill(in_first.begin(), in_first.begin() + static_cast<std::ptrdiff_t>(first), true);
  std::shuffle(in_first.begin(), in_first.end(), rng);
  for (const bool in : in_first) {
    std::vector<double> v(dims);
    double norm = 0;
    for (double& c : v) {
      c = n01(rng);
      norm += c * c;
    }
    const double radius = std::pow(u(rng), 1.0 / static_cast<double>(dims)) / std::sqrt(norm);
    for (std::size_t d = 0; d < dims; ++d)
      columns[d].push_back(100 + 10 * static_cast<double>(d) + (in ? 0 : kSecondBall) + radius * v[d]);
  }
  return columns;
}

TEST(FinderEllipse, SettlesOnTheExactMeanAndCovarianceOfTheBallItFinds) {
  for (const std::size_t dims : {1u, 2u, 3u, 5u}) {
    SCOPED_TRACE("dimensions " + std::to_string(dims));
    // 40 % in the first ball: each axis's quartiles lie in different balls, so the start (each
    // axis's KDE bandwidth, or two bins of the 2-D histogram) already takes in a whole ball.
    const auto columns = two_balls(dims, 52'001, 78'002);
    FinderSpec spec;
    spec.method = FinderMethod::Ellipse;
    std::vector<std::span<const double>> values;
    std::vector<double> centre;
    for (std::size_t d = 0; d < dims; ++d) {
      spec.dimensions.push_back(on_channel("X" + std::to_string(d)));
      values.push_back(columns[d]);
      centre.push_back(100 + 10 * static_cast<double>(d));
    }
    if (dims != 2) spec.near = centre;  // 2-D: the histogram's highest peak (the second ball)
    const auto g = find_gate(spec, values, "test");
    const auto& e = std::get<EllipsoidGate>(g.gate);
    const bool second = e.mean[0] > centre[0] + kSecondBall / 2;
    EXPECT_EQ(second, dims == 2);
    // That ball's moments in long double, independently of the finder's sums.
    std::vector<long double> mean(dims, 0), cross(dims * dims, 0);
    std::size_t count = 0;
    for (std::size_t i = 0; i < columns[0].size(); ++i) {
      if ((columns[0][i] > centre[0] + kSecondBall / 2) != second) continue;
      ++count;
      for (std::size_t a = 0; a < dims; ++a) {
        mean[a] += columns[a][i];
        for (std::size_t b = 0; b < dims; ++b) cross[a * dims + b] += static_cast<long double>(columns[a][i]) * columns[b][i];
      }
    }
    ASSERT_EQ(count, second ? 78'002u : 52'001u);
    for (auto& m : mean) m /= static_cast<long double>(count);
    // A normal's variance within the cut (3 SDs), per dimension: what the finder divides by.
    const double r2 = 9, ex = std::exp(-0.5 * r2);
    const double factor = dims == 1 ? 1 - 2 * 3 * (ex / std::sqrt(2 * M_PI)) / std::erf(3 / std::sqrt(2.0))
                                    : (1 - ex * (1 + 0.5 * r2)) / (1 - ex);
    for (std::size_t a = 0; a < dims; ++a) {
      EXPECT_NEAR(e.mean[a], static_cast<double>(mean[a]), 1e-12 * e.mean[a]) << a;
      for (std::size_t b = 0; b < dims; ++b) {
        const double cov = static_cast<double>((cross[a * dims + b] / static_cast<long double>(count) - mean[a] * mean[b]) / factor);
        // The finder's sums are of the values themselves (not of their distances from the mean):
        // its covariance carries their rounding, about 1e-16 x mean^2 (here < 1e-11) absolute.
        EXPECT_NEAR(e.covariance[a * dims + b], cov, 1e-9) << a << "," << b;
      }
    }
  }
}

TEST(FinderEllipse, SameGateOnOneThreadAsOnMany) {
  // Its sums are added in fixed blocks of events whatever the threads: bit for bit the same.
  const auto columns = two_balls(2, 100'003, 30'000);
  FinderSpec spec;
  spec.method = FinderMethod::Ellipse;
  spec.dimensions = {on_channel("X"), on_channel("Y")};
  const auto many = std::get<EllipsoidGate>(run2(spec, columns[0], columns[1]).gate);
  const tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  const auto single = std::get<EllipsoidGate>(run2(spec, columns[0], columns[1]).gate);
  EXPECT_EQ(many.mean, single.mean);
  EXPECT_EQ(many.covariance, single.covariance);
}

TEST(FinderSinglets, BandFollowsTheDiagonalAndLeavesDoubletsOut) {
  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> area(std::log(60000), 0.15);
  std::normal_distribution<double> ratio(0.85, 0.03), doublet(0.46, 0.03);
  std::vector<double> a, h;
  for (int i = 0; i < 5000; ++i) {
    a.push_back(area(rng));
    h.push_back(a.back() * ratio(rng));
  }
  for (int i = 0; i < 300; ++i) {
    a.push_back(2 * area(rng));
    h.push_back(a.back() * doublet(rng));
  }
  FinderSpec spec;
  spec.method = FinderMethod::Singlets;
  spec.dimensions = {on_channel("FSC-A"), on_channel("FSC-H")};
  const auto g = run2(spec, a, h);
  EXPECT_NEAR(g.report.slope, 0.85, 0.005);
  const auto& p = std::get<PolygonGate>(g.gate);
  ASSERT_EQ(p.vertices.size(), 3u);
  // The band's edges: slope +- width x robust SD (5 x 0.03 = 0.15), well clear of 0.46.
  const double lower = p.vertices[1][1] / p.vertices[1][0], upper = p.vertices[2][1] / p.vertices[2][0];
  EXPECT_NEAR(lower, 0.70, 0.02);
  EXPECT_NEAR(upper, 1.00, 0.02);
}

TEST(FinderSinglets, AHeightBaselineOffsetIsFollowed) {
  // An instrument whose height has a baseline: height = 2000 + 0.25 x area (as the corpus's
  // Fortessa). A band of height/area ratios through the origin would cut the small cells off.
  std::mt19937_64 rng(17);
  std::lognormal_distribution<double> area(std::log(20000), 0.6);
  std::normal_distribution<double> noise(1.0, 0.03), doublet(0.55, 0.03);
  std::vector<double> a, h;
  std::size_t singles = 0, doublets = 0;
  for (int i = 0; i < 5000; ++i) {
    a.push_back(area(rng));
    h.push_back((2000 + 0.25 * a.back()) * noise(rng));
    ++singles;
  }
  for (int i = 0; i < 400; ++i) {
    a.push_back(2 * area(rng));
    h.push_back((2000 + 0.25 * a.back()) * doublet(rng));
    ++doublets;
  }
  FinderSpec spec;
  spec.method = FinderMethod::Singlets;
  spec.dimensions = {on_channel("FSC-A"), on_channel("FSC-H")};
  const auto g = run2(spec, a, h);
  EXPECT_NEAR(g.report.slope, 0.25, 0.01);
  EXPECT_NEAR(g.report.intercept, 2000, 150);
  const auto& p = std::get<PolygonGate>(g.gate);
  std::size_t kept_single = 0, kept_doublet = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Even-odd crossing test (independent of the gating kernels).
    bool inside = false;
    for (std::size_t k = 0, j = p.vertices.size() - 1; k < p.vertices.size(); j = k++) {
      const auto &u = p.vertices[k], &v = p.vertices[j];
      if ((u[1] > h[i]) != (v[1] > h[i]) && a[i] < (v[0] - u[0]) * (h[i] - u[1]) / (v[1] - u[1]) + u[0]) inside = !inside;
    }
    if (!inside) continue;
    (i < singles ? kept_single : kept_doublet) += 1;
  }
  EXPECT_GE(kept_single, singles * 97 / 100);
  EXPECT_LE(kept_doublet, doublets * 3 / 100);
}

TEST(FinderCells, OutlinesTheDominantPopulationNotTheTallerSmallOne) {
  // Cells: broad, 80 % of events; beads: tight and taller but 10 %; debris: 10 % near 0.
  std::mt19937_64 rng(21);
  std::normal_distribution<double> cx(60, 6), cy(25, 5), bx(30, 0.8), by(150, 3);
  std::exponential_distribution<double> debris(0.3);
  std::vector<double> x, y;
  for (int i = 0; i < 8000; ++i) {
    x.push_back(cx(rng));
    y.push_back(cy(rng));
  }
  for (int i = 0; i < 1000; ++i) {
    x.push_back(bx(rng));
    y.push_back(by(rng));
  }
  for (int i = 0; i < 1000; ++i) {
    x.push_back(debris(rng));
    y.push_back(debris(rng));
  }
  FinderSpec spec;
  spec.method = FinderMethod::Cells;
  spec.dimensions = {on_channel("FSC-A"), on_channel("SSC-A")};
  const auto g = run2(spec, x, y);
  EXPECT_NEAR(g.report.centre_x, 60, 3);
  EXPECT_NEAR(g.report.centre_y, 25, 3);
  const auto& p = std::get<PolygonGate>(g.gate);
  EXPECT_GE(p.vertices.size(), 3u);
  for (const auto& v : p.vertices) EXPECT_LT(v[1], 100) << "the outline reaches the beads";
}

// --- degenerate input ------------------------------------------------------------------------

void expect_error_mentioning(const FinderSpec& spec, const std::vector<std::vector<double>>& columns,
                             const std::string& words) {
  std::vector<std::span<const double>> v(columns.begin(), columns.end());
  try {
    find_gate(spec, v, "gate 'g'");
    FAIL() << "no error; expected one mentioning '" << words << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gate 'g'"), std::string::npos) << e.what();
  }
}

FinderSpec spec_of(FinderMethod m) {
  FinderSpec s;
  s.method = m;
  if (m == FinderMethod::Cells || m == FinderMethod::Singlets || m == FinderMethod::Ellipse)
    s.dimensions = {on_channel("A"), on_channel("B")};
  else
    s.dimensions = {on_channel("A")};
  return s;
}

const FinderMethod kAll[] = {FinderMethod::Valley, FinderMethod::Tail, FinderMethod::Cells, FinderMethod::Singlets,
                             FinderMethod::Ellipse};

TEST(FinderDegenerate, AllEventsEqualIsAnErrorSayingSo) {
  for (auto m : kAll) {
    SCOPED_TRACE(std::string(to_string(m)));
    const auto spec = spec_of(m);
    std::vector<std::vector<double>> cols(spec.dimensions.size(), std::vector<double>(1000, 5.0));
    expect_error_mentioning(spec, cols, m == FinderMethod::Singlets ? "same" : "equal");
  }
}

TEST(FinderDegenerate, TenEventsAreTooFewForEveryFinder) {
  for (auto m : kAll) {
    SCOPED_TRACE(std::string(to_string(m)));
    const auto spec = spec_of(m);
    std::vector<std::vector<double>> cols(spec.dimensions.size());
    for (auto& c : cols)
      for (int i = 0; i < 10; ++i) c.push_back(i);
    expect_error_mentioning(spec, cols, "10 events");
  }
}

TEST(FinderDegenerate, AChannelOfZerosIsAnError) {
  for (auto m : kAll) {
    SCOPED_TRACE(std::string(to_string(m)));
    const auto spec = spec_of(m);
    std::vector<std::vector<double>> cols(spec.dimensions.size(), bimodal(500, 0, 500, 8));
    cols[0].assign(cols[0].size(), 0.0);
    std::vector<std::span<const double>> v(cols.begin(), cols.end());
    EXPECT_THROW(find_gate(spec, v, "gate 'g'"), Error);
  }
}

TEST(FinderDegenerate, NaNValuesAreIgnoredAndCounted) {
  auto x = bimodal(5000, 0, 5000, 8);
  for (std::size_t i = 0; i < x.size(); i += 10) x[i] = std::nan("");
  const auto g = run(one_d(FinderMethod::Valley), x);
  EXPECT_EQ(g.report.ignored, 1000u);
  EXPECT_EQ(g.report.events, 9000u);
  EXPECT_NEAR(cut_of(g), 4.0, 0.4);
  // All NaN: too few finite events, said so.
  std::vector<double> all_nan(1000, std::nan(""));
  expect_error_mentioning(one_d(FinderMethod::Valley), {all_nan}, "1000 NaN/infinite ignored");
}

// --- in a strategy ---------------------------------------------------------------------------

fcs::Sample sample_with(const std::vector<std::pair<std::string, std::vector<double>>>& columns) {
  fcs::Sample s;
  s.source = "constructed.fcs";
  const std::size_t n = columns.front().second.size();
  s.events = fcs::EventMatrix(n, columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    fcs::Channel ch;
    ch.name = columns[c].first;
    s.channels.push_back(ch);
    auto col = s.events.column(c);
    std::copy(columns[c].second.begin(), columns[c].second.end(), col.begin());
  }
  return s;
}

TEST(FinderStrategy, YamlFindersArePlacedInTreeOrderAndWrittenBack) {
  const std::string yaml = R"yaml(
gates:
  - id: pos
    find: valley
    dimension: X
    keep: above
  - id: high
    parent: pos
    find: quantile
    dimension: Y
    keep: above
    quantile: 0.75
)yaml";
  const auto strategy = parse_strategy_yaml(yaml, "t.yaml");
  EXPECT_TRUE(strategy.has_finders());
  // Written back with every parameter, read again: the same finders.
  const auto again = parse_strategy_yaml(to_yaml(strategy), "again.yaml");
  ASSERT_TRUE(again.find_gate("pos")->finder);
  EXPECT_EQ(*again.find_gate("pos")->finder, *strategy.find_gate("pos")->finder);
  EXPECT_EQ(*again.find_gate("high")->finder, *strategy.find_gate("high")->finder);
  EXPECT_THROW(to_gatingml(strategy), Error);

  auto x = bimodal(4000, 0, 4000, 8);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<double>(i % 100);
  const auto sample = sample_with({{"X", x}, {"Y", y}});
  const auto placed = place_gates(strategy, sample);
  EXPECT_FALSE(placed.strategy.has_finders());
  ASSERT_EQ(placed.reports.size(), 2u);
  // Independent count: events of the upper population (drawn second) above the found cut.
  const double cut = *placed.reports[0].cut;
  std::size_t above = 0;
  for (double v : x) above += v >= cut;
  EXPECT_EQ(placed.results.count("pos"), above);
  EXPECT_NEAR(placed.reports[0].fraction, 0.5, 0.01);
  // The quantile of the parent's Y: 25 % of 'pos' kept.
  EXPECT_NEAR(placed.reports[1].fraction, 0.25, 0.02);
  // The placed strategy is an ordinary one: written and read back, it gates the same.
  const auto fixed = parse_strategy_yaml(to_yaml(placed.strategy), "fixed.yaml");
  const auto regated = gate_sample(fixed, sample);
  EXPECT_EQ(regated.at("pos").members, placed.results.at("pos").members);
  EXPECT_EQ(regated.at("high").members, placed.results.at("high").members);
  // Gating with the unplaced strategy itself is refused, naming the finder's gate and where it
  // was read (its placeholder would count every event without a word); gate_with_finders and a
  // GatingSet place the finders first.
  try {
    (void)gate_sample(strategy, sample);
    ADD_FAILURE() << "gate_sample gated a strategy with unplaced finders";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gate 'pos' (find: valley) is placed from each sample's data"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.context().file, "t.yaml");
  }
  EXPECT_EQ(gate_with_finders(strategy, sample).at("pos").members, placed.results.at("pos").members);
  const GatingSet set(strategy, 1);
  std::size_t consumed = 0;
  set.gate(
      1, false, [&](std::size_t) { return sample_with({{"X", x}, {"Y", y}}); },
      [&](std::size_t, GatingSet::Gated&& g) {
        EXPECT_EQ(g.results.at("high").members, placed.results.at("high").members);
        return ++consumed > 0;
      });
  EXPECT_EQ(consumed, 1u);
}

TEST(FinderStrategy, BadFinderYamlIsALocatedError) {
  const auto expect_error = [](const std::string& yaml, const std::string& words) {
    try {
      parse_strategy_yaml(yaml, "bad.yaml");
      FAIL() << "accepted: " << yaml;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.yaml"), std::string::npos) << e.what();
    }
  };
  expect_error("gates:\n  - id: a\n    find: mystery\n    dimension: X\n", "unknown finder");
  expect_error("gates:\n  - id: a\n    find: valley\n", "needs 'dimension'");
  expect_error("gates:\n  - id: a\n    find: valley\n    dimension: X\n    keep: left\n", "keep must be");
  expect_error("gates:\n  - id: a\n    find: cells\n    dimensions: [X]\n", "exactly 2 dimensions");
  expect_error("gates:\n  - id: a\n    find: quantile\n    dimension: X\n    quantile: 2\n", "within 0..1");
  expect_error("gates:\n  - id: a\n    find: valley\n    dimension: X\n    contour: 0.1\n", "unknown key 'contour'");
}

}  // namespace
