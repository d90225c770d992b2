// Gate semantics on hand-made events: Gating-ML 2.0 edge rules, hierarchy, booleans, quadrants,
// and agreement of the parallel bitset engine with a plain per-event evaluation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <tuple>

#include "cytopipe/gating/gating.hpp"
#include "gating/synthetic.hpp"

namespace {

using namespace cytopipe::gating;
using cytopipe::gating::test::make_sample;

Dimension dim(std::string channel) {
  Dimension d;
  d.channel = std::move(channel);
  return d;
}

std::vector<int> members(const GatingResults& r, const std::string& pop) {
  std::vector<int> out;
  const auto& m = r.at(pop).members;
  for (std::size_t e = 0; e < m.events(); ++e) out.push_back(m.test(e) ? 1 : 0);
  return out;
}

// n events of x ~ N(0,1), y = x/2 + N(0,1), z = exp(N(0,1)) (a partial last word when n is not a
// multiple of 64).
struct ThreeChannels {
  std::vector<double> x, y, z;
  cytopipe::fcs::Sample sample;
};
ThreeChannels three_channels(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  ThreeChannels t;
  t.x.resize(n);
  t.y.resize(n);
  t.z.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    t.x[i] = g(rng);
    t.y[i] = 0.5 * t.x[i] + g(rng);
    t.z[i] = std::exp(g(rng));
  }
  t.sample = make_sample({{"x", t.x}, {"y", t.y}, {"z", t.z}});
  return t;
}

TEST(RangeGate, MinInclusiveMaxExclusiveOpenSides) {
  const auto sample = make_sample({{"A", {0.999, 1, 1.5, 2, 2.001}}});
  GatingStrategy s;
  s.add({"closed", "", RectangleGate{{dim("A")}, {Interval{1.0, 2.0}}}, {}});
  s.add({"above", "", RectangleGate{{dim("A")}, {Interval{1.0, std::nullopt}}}, {}});
  s.add({"below", "", RectangleGate{{dim("A")}, {Interval{std::nullopt, 2.0}}}, {}});
  const auto r = gate_sample(s, sample);
  EXPECT_EQ(members(r, "closed"), (std::vector<int>{0, 1, 1, 0, 0}));
  EXPECT_EQ(members(r, "above"), (std::vector<int>{0, 1, 1, 1, 1}));
  EXPECT_EQ(members(r, "below"), (std::vector<int>{1, 1, 1, 0, 0}));
  EXPECT_EQ(r.count("closed"), 2u);
}

TEST(PolygonGate, EventsOnEdgesAndVerticesAreInside) {
  // Rectangle (0,0)-(4,2): centre, the four edges, a vertex, and two points just outside.
  const auto sample = make_sample({{"x", {2, 0, 4, 2, 2, 4, 5, 2}}, {"y", {1, 1, 1, 0, 2, 2, 1, 2.0001}}});
  GatingStrategy s;
  s.add({"square", "", PolygonGate{{dim("x"), dim("y")}, {{0, 0}, {4, 0}, {4, 2}, {0, 2}}}, {}});
  const auto r = gate_sample(s, sample);
  EXPECT_EQ(members(r, "square"), (std::vector<int>{1, 1, 1, 1, 1, 1, 0, 0}));
}

TEST(PolygonGate, BowTieInteriorByEvenOdd) {
  // Bow tie (0,0)->(2,2)->(2,0)->(0,2): two triangles meeting at (1,1).
  const auto sample = make_sample({{"x", {0.2, 1.8, 1.0, 1.0, 0.5, 1.5}}, {"y", {1.0, 1.0, 0.2, 1.8, 0.1, 1.9}}});
  GatingStrategy s;
  s.add({"bt", "", PolygonGate{{dim("x"), dim("y")}, {{0, 0}, {2, 2}, {2, 0}, {0, 2}}}, {}});
  const auto r = gate_sample(s, sample);
  // Left and right lobes are inside; top and bottom wedges are outside.
  EXPECT_EQ(members(r, "bt"), (std::vector<int>{1, 1, 0, 0, 0, 0}));
}

// The vector kernels test exact edge membership only for events flagged near an edge: events
// exactly on horizontal, vertical and sloped edges, one ulp off them, at vertices, and random
// ones, in full 64-event words, must get the decisions of the definition (even-odd inside, or a
// zero cross product within the edge's box), written out here independently of the engine.
TEST(PolygonGate, VectorKernelsDecideEdgeEventsAsTheDefinition) {
  const std::vector<std::array<double, 2>> poly = {{0, 0}, {4096, 0}, {4096, 1000}, {6144, 3000}, {1024, 3000}, {0, 1500}};
  std::vector<double> x, y;
  auto add = [&](double px, double py) {
    x.push_back(px);
    y.push_back(py);
  };
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-500, 6700);
  for (std::size_t i = 0; i < poly.size(); ++i) {
    const auto& a = poly[i];
    const auto& b = poly[(i + 1) % poly.size()];
    for (int k = 0; k <= 64; ++k) {  // on the edge (exact where the arithmetic allows), and beside it
      const double t = k / 64.0;
      const double px = a[0] + t * (b[0] - a[0]), py = a[1] + t * (b[1] - a[1]);
      add(px, py);
      add(std::nextafter(px, -1e9), py);
      add(std::nextafter(px, 1e9), py);
      add(px, std::nextafter(py, -1e9));
      add(px, std::nextafter(py, 1e9));
    }
  }
  while (x.size() % 64 != 0 || x.size() < 4096) add(u(rng), u(rng) * 0.5);
  const auto sample = make_sample({{"x", x}, {"y", y}});
  GatingStrategy s;
  s.add({"p", "", PolygonGate{{dim("x"), dim("y")}, poly}, {}});
  const auto r = gate_sample(s, sample);
  std::size_t on_edges = 0;
  for (std::size_t e = 0; e < x.size(); ++e) {
    const double px = x[e], py = y[e];
    bool inside = false, on_edge = false;
    for (std::size_t i = 0; i < poly.size(); ++i) {
      const auto& a = poly[i];
      const auto& b = poly[(i + 1) % poly.size()];
      if ((a[1] > py) != (b[1] > py)) {
        const double dxdy = (b[0] - a[0]) / (b[1] - a[1]);
        if (px < a[0] + (py - a[1]) * dxdy) inside = !inside;
      }
      if (py >= std::min(a[1], b[1]) && py <= std::max(a[1], b[1]) && px >= std::min(a[0], b[0]) &&
          px <= std::max(a[0], b[0]) && (b[0] - a[0]) * (py - a[1]) == (b[1] - a[1]) * (px - a[0]))
        on_edge = true;
    }
    on_edges += on_edge;
    ASSERT_EQ(r.at("p").members.test(e), inside || on_edge) << "event " << e << " (" << px << ", " << py << ")";
  }
  EXPECT_GT(on_edges, 300u);  // the edge events really are on the edges
}

TEST(EllipsoidGate, DistanceSquareIsInclusive) {
  // Circle of radius 2 (covariance 4 I, distance 1): (2,0) is exactly on the boundary.
  const auto sample = make_sample({{"x", {0, 2, 2.0001, 1.4, -1.5}}, {"y", {0, 0, 0, 1.4, -1.4}}});
  GatingStrategy s;
  s.add({"circle", "", EllipsoidGate{{dim("x"), dim("y")}, {0, 0}, {4, 0, 0, 4}, 1}, {}});
  const auto r = gate_sample(s, sample);
  EXPECT_EQ(members(r, "circle"), (std::vector<int>{1, 1, 0, 1, 0}));
}

TEST(QuadrantGate, FourQuadrantsPartitionAndDividerBelongsAbove) {
  const auto sample = make_sample({{"a", {-1, 1, -1, 1, 0, 0}}, {"b", {-1, -1, 1, 1, 0, -5}}});
  QuadrantGate q;
  q.dividers = {{"A", dim("a"), {0}}, {"B", dim("b"), {0}}};
  q.quadrants = {{"a-b-", {{"A", -1}, {"B", -1}}}, {"a+b-", {{"A", 1}, {"B", -1}}},
                 {"a-b+", {{"A", -1}, {"B", 1}}}, {"a+b+", {{"A", 1}, {"B", 1}}}};
  GatingStrategy s;
  s.add({"Q", "", q, {}});
  const auto r = gate_sample(s, sample);
  EXPECT_EQ(members(r, "a-b-"), (std::vector<int>{1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(members(r, "a+b-"), (std::vector<int>{0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(members(r, "a-b+"), (std::vector<int>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(members(r, "a+b+"), (std::vector<int>{0, 0, 0, 1, 1, 0}));
  std::size_t total = 0;
  for (const char* p : {"a-b-", "a+b-", "a-b+", "a+b+"}) total += r.count(p);
  EXPECT_EQ(total, sample.event_count());
}

TEST(Hierarchy, ChildrenOnlyWithinParentAndPaths) {
  const auto sample = make_sample({{"FSC", {10, 50, 60, 70, 80}}, {"Live", {0, 5, 0, 5, 5}}});
  GatingStrategy s;
  s.add({"cells", "", RectangleGate{{dim("FSC")}, {Interval{40.0, std::nullopt}}}, {}});
  s.add({"live", "cells", RectangleGate{{dim("Live")}, {Interval{std::nullopt, 1.0}}}, {}});
  s.add({"dead", "cells", BooleanGate{BooleanGate::Op::Not, {{"live", false}}}, {}});
  s.add({"live_or_small", "", BooleanGate{BooleanGate::Op::Or, {{"live", false}, {"cells", true}}}, {}});
  const auto r = gate_sample(s, sample);
  EXPECT_EQ(members(r, "live"), (std::vector<int>{0, 0, 1, 0, 0}));  // event 0 is not a cell
  EXPECT_EQ(members(r, "dead"), (std::vector<int>{0, 1, 0, 1, 1}));  // not live, within cells
  EXPECT_EQ(members(r, "live_or_small"), (std::vector<int>{1, 0, 1, 0, 0}));
  EXPECT_EQ(r.at("live").path, "/cells/live");
  EXPECT_EQ(r.at("/cells/dead").name, "dead");
  EXPECT_EQ(r.parent_count("live"), 4u);
  EXPECT_EQ(s.path("dead"), "/cells/dead");
  EXPECT_EQ(s.find_population("cells/live")->name, "live");
}

TEST(Evaluation, ParallelBitsetsMatchPlainPerEventEvaluation) {
  // 300,001 events (not a multiple of 64) of three channels; a tree of every gate kind.
  const std::size_t n = 300001;
  const auto data = three_channels(n, 7);
  const auto& [x, y, z, sample] = data;
  GatingStrategy s;
  const std::vector<std::array<double, 2>> poly = {{-2, -2}, {2, -1}, {1.5, 2}, {-1, 1.5}, {0, 0.3}};
  s.add({"p", "", PolygonGate{{dim("x"), dim("y")}, poly}, {}});
  s.add({"r", "p", RectangleGate{{dim("z")}, {Interval{0.5, 3.0}}}, {}});
  s.add({"e", "r", EllipsoidGate{{dim("x"), dim("y")}, {0.2, 0.1}, {1.0, 0.3, 0.3, 0.8}, 1.5}, {}});
  s.add({"b", "", BooleanGate{BooleanGate::Op::And, {{"p", false}, {"e", true}}}, {}});

  GateOptions serial;
  serial.parallel = false;
  const auto par = gate_sample(s, sample);
  const auto ser = gate_sample(s, sample, serial);

  // Plain evaluation, independent of the engine.
  auto in_poly = [&](double px, double py) {
    bool in = false;
    for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
      const auto& a = poly[i];
      const auto& b = poly[j];
      if ((a[1] > py) != (b[1] > py) && px < (b[0] - a[0]) * (py - a[1]) / (b[1] - a[1]) + a[0]) in = !in;
    }
    return in;
  };
  std::size_t np = 0, nr = 0, ne = 0, nb = 0;
  const double det = 1.0 * 0.8 - 0.3 * 0.3;
  for (std::size_t i = 0; i < n; ++i) {
    const bool p = in_poly(x[i], y[i]);
    const bool r = p && z[i] >= 0.5 && z[i] < 3.0;
    const double dx = x[i] - 0.2, dy = y[i] - 0.1;
    const bool e = r && (0.8 * dx * dx - 0.6 * dx * dy + 1.0 * dy * dy) / det <= 1.5;
    const bool b = p && !e;
    np += p;
    nr += r;
    ne += e;
    nb += b;
    ASSERT_EQ(par.at("p").members.test(i), p) << i;
    ASSERT_EQ(par.at("r").members.test(i), r) << i;
    ASSERT_EQ(par.at("e").members.test(i), e) << i;
    ASSERT_EQ(par.at("b").members.test(i), b) << i;
  }
  EXPECT_EQ(par.count("p"), np);
  EXPECT_EQ(par.count("r"), nr);
  EXPECT_EQ(par.count("e"), ne);
  EXPECT_EQ(par.count("b"), nb);
  EXPECT_GT(ne, 1000u);
  for (std::size_t i = 0; i < par.populations().size(); ++i)
    EXPECT_TRUE(par.populations()[i].members == ser.populations()[i].members);
}

// Sibling range/rectangle gates are evaluated together in one pass (up to 16 distinct tests a
// pass, shared tests made once): many siblings, repeated and overlapping intervals, open sides,
// NaN values and a partial last word, each checked against its own per-event definition.
TEST(Evaluation, SiblingRectanglesEvaluatedTogetherMatchEachDefinition) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g(0, 1);
  const std::size_t n = 70001;
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = i % 997 == 0 ? std::nan("") : g(rng);
    y[i] = std::round(4 * g(rng)) / 4;  // ties on the interval ends
  }
  const auto sample = make_sample({{"x", x}, {"y", y}});
  struct Box {
    std::optional<double> xlo, xhi, ylo, yhi;
  };
  std::vector<Box> boxes;
  for (int k = 0; k < 14; ++k) {
    const double a = -1.5 + 0.25 * k;
    boxes.push_back({a, a + 1, std::nullopt, std::nullopt});      // x only
    boxes.push_back({std::nullopt, a, -0.5, 0.5});                // x open below, y closed
    boxes.push_back({a, std::nullopt, std::nullopt, a});          // both one-sided
  }
  boxes.push_back(boxes[0]);  // an exact duplicate shares every test
  GatingStrategy s;
  s.add({"root", "", RectangleGate{{dim("y")}, {Interval{-100.0, 100.0}}}, {}});
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    RectangleGate r;
    if (boxes[b].xlo || boxes[b].xhi) {
      r.dimensions.push_back(dim("x"));
      r.intervals.push_back(Interval{boxes[b].xlo, boxes[b].xhi});
    }
    if (boxes[b].ylo || boxes[b].yhi) {
      r.dimensions.push_back(dim("y"));
      r.intervals.push_back(Interval{boxes[b].ylo, boxes[b].yhi});
    }
    s.add({"b" + std::to_string(b), "root", r, {}});
  }
  const auto res = gate_sample(s, sample);
  for (std::size_t b = 0; b < boxes.size(); ++b) {
    const auto& box = boxes[b];
    const auto& m = res.at("b" + std::to_string(b)).members;
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const bool in_root = y[i] >= -100 && y[i] < 100;
      auto within = [](double v, std::optional<double> lo, std::optional<double> hi) {
        return (lo ? v >= *lo : !std::isnan(v)) && (hi ? v < *hi : !std::isnan(v));
      };
      bool in = in_root;
      if (box.xlo || box.xhi) in = in && within(x[i], box.xlo, box.xhi);
      if (box.ylo || box.yhi) in = in && within(y[i], box.ylo, box.yhi);
      count += in;
      ASSERT_EQ(m.test(i), in) << "b" << b << " event " << i;
    }
    EXPECT_EQ(res.count("b" + std::to_string(b)), count);
  }
}

// A rectangle of more distinct range tests than one shared pass takes (16) is tested on its own:
// 18 intervals over three channels, against the definition.
TEST(Evaluation, RectangleOfManyDimensionsMatchesItsDefinition) {
  const std::size_t n = 20011;
  const auto data = three_channels(n, 5);
  RectangleGate r;
  std::vector<std::tuple<const std::vector<double>*, double, double>> tests;
  for (int k = 0; k < 6; ++k)
    for (const auto& [name, values] : {std::pair{"x", &data.x}, std::pair{"y", &data.y}, std::pair{"z", &data.z}}) {
      const double lo = -3.0 + 0.05 * k, hi = 3.0 - 0.05 * k;
      r.dimensions.push_back(dim(name));
      r.intervals.push_back(Interval{lo, hi});
      tests.emplace_back(values, lo, hi);
    }
  GatingStrategy s;
  s.add({"box", "", r, {}});
  const auto res = gate_sample(s, data.sample);
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bool in = true;
    for (const auto& [values, lo, hi] : tests) in = in && (*values)[i] >= lo && (*values)[i] < hi;
    count += in;
    ASSERT_EQ(res.at("box").members.test(i), in) << i;
  }
  EXPECT_EQ(res.count("box"), count);
  EXPECT_GT(count, n / 4);
}

// GatingRun (gating while a file is decoded): runs of whole words handed over in any order give
// gate_sample's results, population by population; ill-formed runs are errors; strategies on
// compensated dimensions are reported as unable to gate this way.
TEST(Evaluation, GatingRunInAnyOrderEqualsGateSample) {
  const std::size_t n = 200003;
  const auto data = three_channels(n, 12);
  const auto& sample = data.sample;
  std::mt19937_64 rng(12);
  GatingStrategy s;
  s.add({"p", "", PolygonGate{{dim("x"), dim("y")}, {{-2, -2}, {2, -1}, {1.5, 2}, {-1, 1.5}}}, {}});
  Dimension scaled = dim("z");
  scaled.scale.transform = cytopipe::transform::Transform::parse("logicle(T=1000,W=0.5,M=4.5,A=0)");
  Dimension ratio;
  ratio.ratio = Ratio{"zx", "z", "x", 1, 0, 0};
  s.add({"r", "p", RectangleGate{{scaled}, {Interval{0.4, std::nullopt}}}, {}});
  s.add({"q", "p", RectangleGate{{ratio}, {Interval{-1.0, 1.0}}}, {}});
  s.add({"e", "r", EllipsoidGate{{dim("x"), dim("y")}, {0.2, 0.1}, {1.0, 0.3, 0.3, 0.8}, 1.5}, {}});
  s.add({"b", "", BooleanGate{BooleanGate::Op::And, {{"p", false}, {"e", true}}}, {}});
  ASSERT_TRUE(gates_while_decoding(s));

  const auto whole = gate_sample(s, sample);
  GatingRun run(s, sample);
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t first = 0; first < n;) {
    const std::size_t count = std::min<std::size_t>(n - first, 64 * (1 + rng() % 300));
    runs.emplace_back(first, count);
    first += count;
  }
  std::shuffle(runs.begin(), runs.end(), rng);
  EXPECT_THROW(run.evaluate(32, 64), cytopipe::Error);       // not on a word
  EXPECT_THROW(run.evaluate(0, 100), cytopipe::Error);       // not whole words
  EXPECT_THROW(run.evaluate(n - 3, 64), cytopipe::Error);    // past the end
  for (const auto& [first, count] : runs) run.evaluate(first, count);
  const auto streamed = run.finish();
  ASSERT_EQ(streamed.populations().size(), whole.populations().size());
  for (std::size_t i = 0; i < whole.populations().size(); ++i) {
    EXPECT_TRUE(streamed.populations()[i].members == whole.populations()[i].members) << whole.populations()[i].name;
    EXPECT_EQ(streamed.populations()[i].count, whole.populations()[i].count) << whole.populations()[i].name;
  }
  EXPECT_GT(whole.count("e"), 1000u);
  EXPECT_GT(whole.count("q"), 1000u);

  GatingStrategy compensated;
  Dimension c = dim("x");
  c.compensation = std::string(kFileCompensation);
  compensated.add({"c", "", RectangleGate{{c}, {Interval{0.0, std::nullopt}}}, {}});
  EXPECT_FALSE(gates_while_decoding(compensated));
}

TEST(Evaluation, EmptySampleGivesEmptyPopulations) {
  const auto sample = make_sample({{"A", {}}});
  GatingStrategy s;
  s.add({"a", "", RectangleGate{{dim("A")}, {Interval{0.0, 1.0}}}, {}});
  const auto r = gate_sample(s, sample);
  EXPECT_EQ(r.events(), 0u);
  EXPECT_EQ(r.count("a"), 0u);
}

TEST(Editing, ThresholdGateCanBeAddedReplacedAndSerialised) {
  const auto sample = make_sample({{"FSC", {10, 50, 60, 70}}, {"CD3", {1, 200, 900, 5000}}});
  GatingStrategy s;
  s.add({"cells", "", RectangleGate{{dim("FSC")}, {Interval{40.0, std::nullopt}}}, {}});
  Dimension cd3 = dim("CD3");
  cd3.scale.transform = cytopipe::transform::Transform(cytopipe::transform::ArcsinhCofactor{150});
  s.add_or_replace({"CD3+", "cells", RectangleGate{{cd3}, {Interval{std::asinh(500.0 / 150), std::nullopt}}}, {}});
  EXPECT_EQ(gate_sample(s, sample).count("CD3+"), 2u);
  s.set_interval("CD3+", 0, Interval{std::asinh(100.0 / 150), std::nullopt});
  EXPECT_EQ(gate_sample(s, sample).count("CD3+"), 3u);
  // Round trip through YAML keeps the edit.
  const auto again = parse_strategy_yaml(to_yaml(s));
  EXPECT_EQ(gate_sample(again, sample).count("CD3+"), 3u);
  EXPECT_EQ(to_yaml(again), to_yaml(s));
  s.remove("cells");
  EXPECT_TRUE(s.gates().empty());
}

TEST(Columns, TransformedAndRatioDimensionValues) {
  const auto sample = make_sample({{"A", {1, 10, 100}}, {"B", {2, 4, 8}}});
  GatingStrategy s;
  Dimension r;
  r.ratio = Ratio{"rat", "A", "B", 2, 0, 0, -cytopipe::gating::kUnbounded, 20};
  const auto v = dimension_values(s, sample, r);
  EXPECT_DOUBLE_EQ(v[0], 1.0);   // 2 * 1 / 2
  EXPECT_DOUBLE_EQ(v[1], 5.0);   // 2 * 10 / 4
  EXPECT_DOUBLE_EQ(v[2], 20.0);  // 25 clamped to boundMax 20
  Dimension f = dim("A");
  f.scale.transform = cytopipe::transform::Transform(cytopipe::transform::Flog{100, 2});
  const auto w = dimension_values(s, sample, f);
  EXPECT_DOUBLE_EQ(w[2], 1.0);  // 1/2 log10(100/100) + 1
  EXPECT_DOUBLE_EQ(w[1], 0.5);
}

TEST(Compensation, NamedMatrixUnmixesSpilledValues) {
  // True signals (a, b) spill: detector1 = a + 0.1 b, detector2 = 0.2 a + b.
  const std::vector<double> a = {100, 0, 50}, b = {0, 100, 20};
  std::vector<double> d1, d2;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d1.push_back(a[i] + 0.1 * b[i]);
    d2.push_back(0.2 * a[i] + b[i]);
  }
  const auto sample = make_sample({{"D1", d1}, {"D2", d2}});
  GatingStrategy s;
  SpectrumMatrix m;
  m.spectrum.fluorochromes = {"FA", "FB"};
  m.spectrum.detectors = {"D1", "D2"};
  m.spectrum.values = {1, 0.2, 0.1, 1};  // row i = how fluorochrome i spills into each detector
  s.add_matrix("M", m);
  Dimension fa = dim("FA");
  fa.compensation = "M";
  Dimension fb = dim("FB");
  fb.compensation = "M";
  const auto va = dimension_values(s, sample, fa);
  const auto vb = dimension_values(s, sample, fb);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(va[i], a[i], 1e-9);
    EXPECT_NEAR(vb[i], b[i], 1e-9);
  }
}

}  // namespace

namespace {

// Range and quadrant tests on scaled dimensions compare raw values with thresholds mapped back
// through the scale; the decisions must equal scaling every event and comparing, also for
// events within a few ulps of a threshold.
TEST(ScaledThresholds, SameDecisionsAsScalingEveryEvent) {
  using cytopipe::transform::Transform;
  const std::vector<std::string> scales = {"logicle(T=262144,W=0.5,M=4.5,A=0)",
                                           "hyperlog(T=10000,W=1,M=4.5,A=0)",
                                           "fasinh(T=1000,M=4,A=1)", "flin(T=1000,A=50)"};
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-0.1, 1.0);
  for (const auto& spec : scales) {
    SCOPED_TRACE(spec);
    Dimension d = dim("A");
    d.scale.transform = Transform::parse(spec);
    std::vector<double> thresholds;
    for (int i = 0; i < 20; ++i) thresholds.push_back(u(rng));
    std::vector<double> values;
    for (double t : thresholds) {
      double x = d.scale.transform.inverse(t);
      for (int k = 0; k < 6; ++k) x = std::nextafter(x, -INFINITY);
      for (int k = 0; k < 12; ++k) {
        values.push_back(x);
        x = std::nextafter(x, INFINITY);
      }
    }
    for (int i = 0; i < 2000; ++i) values.push_back(d.scale.transform.inverse(u(rng)));
    const auto sample = make_sample({{"A", values}});
    GatingStrategy s;
    for (std::size_t i = 0; i + 1 < thresholds.size(); i += 2) {
      const double lo = std::min(thresholds[i], thresholds[i + 1]);
      const double hi = std::max(thresholds[i], thresholds[i + 1]);
      s.add({"r" + std::to_string(i), "", RectangleGate{{d}, {Interval{lo, hi}}}, {}});
    }
    const auto r = gate_sample(s, sample);
    const auto scaled = dimension_values(s, sample, d);
    for (const auto& node : s.gates()) {
      const auto& iv = std::get<RectangleGate>(node.gate).intervals[0];
      const auto& m = r.at(node.id).members;
      for (std::size_t e = 0; e < values.size(); ++e)
        ASSERT_EQ(m.test(e), iv.contains(scaled[e])) << node.id << " event " << e << " value " << values[e];
    }
  }
}

}  // namespace
