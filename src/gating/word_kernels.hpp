#pragma once
// The inner loops of gating. Each writes the bitset words [begin, end) of its output
// population(s): 64 events per word, tested only where the parent has members (other words are
// 0). Full words go to SSE2 or AVX2 forms (chosen at run time; CYTOPIPE_NO_AVX2 forces SSE2)
// that make the same decisions, bit for bit, as the scalar form used for a partial last word.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/gate.hpp"

namespace cytopipe::gating::detail {

// One dimension of a range/rectangle test: lo <= v < hi (infinities for open sides; NaN is
// outside).
struct Bound {
  const double* values;
  double lo, hi;
};

// out = AND of `bounds` (at most a few; any number works) over the parent's members.
void box_words(std::span<const Bound> bounds, const Membership& parent, Membership& out, std::size_t begin,
               std::size_t end);

// Several populations over one parent, each the AND of some of `tests` (terms[k] lists the
// tests of out[k]): every test is made once per word and each column read once per word, so
// a quadrant gate's quadrants and sibling ranges cost about one pass. At most kMaxSharedTests.
inline constexpr std::size_t kMaxSharedTests = 16;
void conjunction_words(std::span<const Bound> tests, const std::vector<std::vector<std::size_t>>& terms,
                       const Membership& parent, std::span<Membership* const> out, std::size_t begin,
                       std::size_t end);

// A polygon prepared for the even-odd test with Gating-ML's edge rule (events exactly on an
// edge are inside).
struct PolygonEdges {
  struct Edge {
    double x0, y0, x1, y1, dxdy;
    double xlo, xhi, ylo, yhi;
  };
  std::vector<Edge> edges;
  std::vector<double> horizontal_y;  // y of each horizontal edge
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
  double near_x = 0;  // see polygon_edges()
  // Polygons with many edges (contours) are also split into horizontal bands: band b lists every
  // edge whose [ylo, yhi] meets it, so an event tests only the edges of its own band (see
  // polygon_edges()). Empty: every event tests every edge.
  std::vector<std::uint32_t> band_start;  // bands + 1 offsets into band_edges
  std::vector<std::uint32_t> band_edges;  // indices into edges
  double band_scale = 0;                  // band of y: floor((y - ymin) * band_scale), at most bands - 1
};
// Polygons with at least this many edges are banded (below it, testing all edges in SIMD is
// as fast).
inline constexpr std::size_t kBandedPolygonEdges = 64;
PolygonEdges polygon_edges(const std::vector<std::array<double, 2>>& vertices,
                           std::size_t banded_from = kBandedPolygonEdges);
void polygon_words(const PolygonEdges& polygon, const double* xs, const double* ys, const Membership& parent,
                   Membership& out, std::size_t begin, std::size_t end);

// An ellipsoid as its quadratic form: (x - mean)' q (x - mean) <= limit.
struct EllipsoidForm {
  std::size_t dimensions = 0;
  std::vector<double> q;  // the inverse covariance, row-major
  std::vector<double> mean;
  double limit = 0;
};
inline constexpr std::size_t kMaxEllipsoidDimensions = 32;
void ellipsoid_words(const EllipsoidForm& form, std::span<const double* const> columns, const Membership& parent,
                     Membership& out, std::size_t begin, std::size_t end);

// Word-wise and / or / not over the operands' final memberships (complemented where marked).
void boolean_words(const BooleanGate& gate, std::span<const Membership* const> operands, const Membership& parent,
                   Membership& out, std::size_t begin, std::size_t end);

// Set bits of w[0, n) (POPCNT chosen at run time).
std::size_t popcount_words(const std::uint64_t* w, std::size_t n);

}  // namespace cytopipe::gating::detail
