// The banded polygon kernel (many-edge polygons: each event tests only the edges of its
// horizontal band) must decide every event exactly as testing all edges does: the even-odd rule
// with Gating-ML's on-edge convention, written out here independently of the engine, on random
// polygons with vertices on the band boundaries, horizontal and vertical edges, and events
// exactly on vertices and edges, one ulp beside them, and outside.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "gating/word_kernels.hpp"

namespace {

using cytopipe::gating::Membership;
using namespace cytopipe::gating::detail;
using Polygon = std::vector<std::array<double, 2>>;

// The definition: even-odd parity of crossings of a ray towards +x (edges half-open in y), or
// an exact zero cross product within an edge's box; nothing outside the bounding box or NaN.
bool reference_inside(const Polygon& poly, double px, double py) {
  double xmin = poly[0][0], xmax = xmin, ymin = poly[0][1], ymax = ymin;
  for (const auto& v : poly) {
    xmin = std::min(xmin, v[0]);
    xmax = std::max(xmax, v[0]);
    ymin = std::min(ymin, v[1]);
    ymax = std::max(ymax, v[1]);
  }
  if (!(px >= xmin && px <= xmax && py >= ymin && py <= ymax)) return false;
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
  return inside || on_edge;
}

// Events for `poly`: every vertex, points along every edge (exact where the arithmetic allows)
// and one ulp beside them, random points over the bounding box and beyond, NaNs.
void make_events(const Polygon& poly, std::mt19937_64& rng, std::vector<double>& x, std::vector<double>& y) {
  auto add = [&](double px, double py) {
    x.push_back(px);
    y.push_back(py);
  };
  for (std::size_t i = 0; i < poly.size(); ++i) {
    const auto& a = poly[i];
    const auto& b = poly[(i + 1) % poly.size()];
    add(a[0], a[1]);
    for (int k = 1; k < 4; ++k) {
      const double t = k / 4.0;
      const double px = a[0] + t * (b[0] - a[0]), py = a[1] + t * (b[1] - a[1]);
      add(px, py);
      add(std::nextafter(px, -1e300), py);
      add(std::nextafter(px, 1e300), py);
      add(px, std::nextafter(py, -1e300));
      add(px, std::nextafter(py, 1e300));
    }
  }
  std::uniform_real_distribution<double> u(-12, 112);
  std::uniform_int_distribution<int> grid(-2, 102);
  for (int i = 0; i < 3000; ++i) add(u(rng), u(rng));
  for (int i = 0; i < 2000; ++i) add(grid(rng), grid(rng));  // on grid lines, many on vertices
  add(std::nan(""), 50);
  add(50, std::nan(""));
  while (x.size() % 64 != 3) add(u(rng), u(rng));  // full words and a partial last word
}

// Decisions of polygon_words for `edges` over all events (parent: everything).
Membership decide(const PolygonEdges& edges, const std::vector<double>& x, const std::vector<double>& y) {
  const Membership all(x.size(), true);
  Membership out(x.size());
  polygon_words(edges, x.data(), y.data(), all, out, 0, all.words().size());
  return out;
}

void expect_same_as_reference(const Polygon& poly, std::mt19937_64& rng, const char* what) {
  std::vector<double> x, y;
  make_events(poly, rng, x, y);
  const PolygonEdges banded = polygon_edges(poly, 0);
  ASSERT_FALSE(banded.band_start.empty());
  const PolygonEdges plain = polygon_edges(poly, std::size_t(-1));
  ASSERT_TRUE(plain.band_start.empty());
  const Membership b = decide(banded, x, y);
  const Membership p = decide(plain, x, y);
  std::size_t in = 0, mismatches = 0;
  for (std::size_t e = 0; e < x.size(); ++e) {
    const bool expected = reference_inside(poly, x[e], y[e]);
    in += expected;
    if (b.test(e) != expected || p.test(e) != expected) {
      if (++mismatches <= 5)
        ADD_FAILURE() << what << ": event (" << x[e] << ", " << y[e] << ") expected " << expected << ", banded "
                      << b.test(e) << ", all edges " << p.test(e);
    }
  }
  EXPECT_EQ(mismatches, 0u) << what;
  EXPECT_GT(in, 0u) << what;  // the events do probe the inside
}

TEST(PolygonBands, RandomPolygonsOnAGridDecideAsTheDefinition) {
  std::mt19937_64 rng(20);
  std::uniform_int_distribution<int> coordinate(0, 100);
  for (int trial = 0; trial < 40; ++trial) {
    // Integer vertices: many on band boundaries (bands = edges over a height of 100), repeated
    // y values (horizontal edges), repeated x values (vertical edges), self-intersections.
    Polygon poly;
    const int n = 3 + trial * 5;
    for (int i = 0; i < n; ++i) poly.push_back({double(coordinate(rng)), double(coordinate(rng))});
    for (int i = 0; i + 1 < n; i += 7) poly[i + 1][1] = poly[i][1];  // horizontal edges
    for (int i = 2; i + 1 < n; i += 9) poly[i + 1][0] = poly[i][0];  // vertical edges
    expect_same_as_reference(poly, rng, ("random polygon " + std::to_string(trial)).c_str());
  }
}

TEST(PolygonBands, ContourLikePolygonsDecideAsTheDefinition) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> wobble(-3, 3);
  for (int n : {64, 500, 2000}) {  // a star-shaped contour with fractional vertices
    Polygon poly;
    for (int i = 0; i < n; ++i) {
      const double a = 2 * M_PI * i / n, r = 40 + wobble(rng);
      poly.push_back({50 + r * std::cos(a), 50 + r * std::sin(a)});
    }
    expect_same_as_reference(poly, rng, ("contour " + std::to_string(n)).c_str());
  }
  // A comb: long vertical teeth span most bands, so the bands are widened (the list cap).
  Polygon comb;
  for (int i = 0; i < 100; ++i) {
    comb.push_back({double(i), 0});
    comb.push_back({i + 0.5, 100});
  }
  comb.push_back({100, -1});
  comb.push_back({0, -1});
  const PolygonEdges edges = polygon_edges(comb, 0);
  EXPECT_LE(edges.band_edges.size(), 16 * edges.edges.size() + edges.band_start.size());
  expect_same_as_reference(comb, rng, "comb");
}

TEST(PolygonBands, FlatAndDegeneratePolygons) {
  std::mt19937_64 rng(22);
  // All vertices at one y (zero height: one band), and a tiny height that overflows the scale.
  expect_same_as_reference({{0, 5}, {10, 5}, {20, 5}, {30, 5}}, rng, "flat");
  expect_same_as_reference({{0, 0}, {100, 0}, {100, 1e-310}, {0, 1e-310}}, rng, "subnormal height");
}

}  // namespace
