// Gating's word kernels (see word_kernels.hpp).
#include "gating/word_kernels.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace cytopipe::gating::detail {
namespace {

// out[w] = word_bits(first, count) & parent[w] for the words in [begin, end) (count is 64 but
// for the last word); words without parent members are 0 and never tested.
template <class WordBits>
void evaluate_words(const Membership& parent, Membership& out, std::size_t begin, std::size_t end,
                    const WordBits& word_bits) {
  const std::size_t n = parent.events();
  const auto pw = parent.words();
  auto ow = out.words();
  for (std::size_t w = begin; w < end; ++w) {
    const std::uint64_t mask = pw[w];
    if (mask == 0) {
      ow[w] = 0;
      continue;
    }
    const std::size_t first = w * 64;
    ow[w] = word_bits(first, std::min<std::size_t>(64, n - first)) & mask;
  }
}

// The bits of events first .. first + count - 1 under a per-event test.
template <class Test>
std::uint64_t test_bits(std::size_t first, std::size_t count, const Test& test) {
  std::uint64_t bits = 0;
  for (std::size_t j = 0; j < count; ++j) bits |= static_cast<std::uint64_t>(test(first + j)) << j;
  return bits;
}

#if defined(__SSE2__)
bool use_avx2() {
  static const bool use = __builtin_cpu_supports("avx2") && std::getenv("CYTOPIPE_NO_AVX2") == nullptr;
  return use;
}

// One full word of a range/rectangle test, four events per AVX compare.
template <std::size_t N>
__attribute__((target("avx2"))) std::uint64_t box_word_avx2(const Bound* b, std::size_t first) {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < 64; i += 4) {
    __m256d in = _mm256_castsi256_pd(_mm256_set1_epi32(-1));
    for (std::size_t k = 0; k < N; ++k) {
      const __m256d v = _mm256_loadu_pd(b[k].values + first + i);
      in = _mm256_and_pd(in, _mm256_and_pd(_mm256_cmp_pd(v, _mm256_set1_pd(b[k].lo), _CMP_GE_OQ),
                                           _mm256_cmp_pd(v, _mm256_set1_pd(b[k].hi), _CMP_LT_OQ)));
    }
    bits |= static_cast<std::uint64_t>(_mm256_movemask_pd(in)) << i;
  }
  return bits;
}

// The same, two events per SSE2 compare.
template <std::size_t N>
std::uint64_t box_word_sse2(const Bound* b, std::size_t first) {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < 64; i += 2) {
    __m128d in = _mm_castsi128_pd(_mm_set1_epi32(-1));
    for (std::size_t k = 0; k < N; ++k) {
      const __m128d v = _mm_loadu_pd(b[k].values + first + i);
      in = _mm_and_pd(in, _mm_and_pd(_mm_cmpge_pd(v, _mm_set1_pd(b[k].lo)), _mm_cmplt_pd(v, _mm_set1_pd(b[k].hi))));
    }
    bits |= static_cast<std::uint64_t>(_mm_movemask_pd(in)) << i;
  }
  return bits;
}
#endif

// The scalar test of N (or, with N = 0, `count`) bounds: the same ordered comparisons.
std::uint64_t box_bits(const Bound* b, std::size_t nb, std::size_t first, std::size_t count) {
  return test_bits(first, count, [&](std::size_t e) {
    bool in = true;
    for (std::size_t k = 0; k < nb; ++k) {
      const double v = b[k].values[e];
      in &= (v >= b[k].lo) & (v < b[k].hi);
    }
    return in;
  });
}

// One word of an N-bound box test, by the widest form the CPU has.
template <std::size_t N>
std::uint64_t box_word(const Bound* b, std::size_t first, std::size_t count) {
#if defined(__SSE2__)
  if (count == 64) return use_avx2() ? box_word_avx2<N>(b, first) : box_word_sse2<N>(b, first);
#endif
  return box_bits(b, N, first, count);
}

using Edge = PolygonEdges::Edge;
struct BoundingBox {
  double xmin, xmax, ymin, ymax;
};

// What the vector kernels need besides the edges. The exact on-edge test (a zero cross product
// within the edge's box) costs more than the crossing test, and almost no event is on an edge,
// so the kernels first flag events *near* an edge and run the exact test only where a flagged
// event is not already inside. Near: |x - xe| <= near_x, where xe = x0 + (y - y0) * dxdy is the
// crossing test's own intercept. For an event exactly on a non-horizontal edge, x and xe agree
// to a few ulps of the polygon's largest |x| (both come from the same rounded differences), so
// near_x = 1e-9 x that is a safe over-approximation. Horizontal edges (dxdy = 0, never crossed)
// are flagged by y == y0 instead.
struct PolygonShape {
  const Edge* edges;
  std::size_t count;
  const double* horizontal_y;
  std::size_t horizontals;
  BoundingBox box;
  double near_x;
};

#if defined(__SSE2__)
// One full 64-event word of a polygon test, two events per SSE2 operation, branch-free but for
// skipping pairs outside the bounding box and the rare exact on-edge test. The same comparisons
// and arithmetic as the scalar test in polygon_words (so the same decisions, event for event).
std::uint64_t polygon_word_sse2(const PolygonShape& p, const double* xs, const double* ys) {
  const BoundingBox& box = p.box;
  const __m128d sign = _mm_set1_pd(-0.0);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < 64; i += 2) {
    const __m128d x = _mm_loadu_pd(xs + i);
    const __m128d y = _mm_loadu_pd(ys + i);
    const __m128d inbox = _mm_and_pd(_mm_and_pd(_mm_cmpge_pd(x, _mm_set1_pd(box.xmin)), _mm_cmple_pd(x, _mm_set1_pd(box.xmax))),
                                     _mm_and_pd(_mm_cmpge_pd(y, _mm_set1_pd(box.ymin)), _mm_cmple_pd(y, _mm_set1_pd(box.ymax))));
    if (_mm_movemask_pd(inbox) == 0) continue;
    __m128d inside = _mm_setzero_pd();
    __m128d near = _mm_setzero_pd();
    for (std::size_t k = 0; k < p.count; ++k) {
      const Edge& ed = p.edges[k];
      const __m128d y0 = _mm_set1_pd(ed.y0);
      const __m128d dy = _mm_sub_pd(y, y0);
      // (y0 > y) != (y1 > y)  and  x < x0 + (y - y0) * dxdy
      const __m128d crosses = _mm_xor_pd(_mm_cmpgt_pd(y0, y), _mm_cmpgt_pd(_mm_set1_pd(ed.y1), y));
      const __m128d xe = _mm_add_pd(_mm_set1_pd(ed.x0), _mm_mul_pd(dy, _mm_set1_pd(ed.dxdy)));
      inside = _mm_xor_pd(inside, _mm_and_pd(crosses, _mm_cmplt_pd(x, xe)));
      near = _mm_or_pd(near, _mm_cmple_pd(_mm_andnot_pd(sign, _mm_sub_pd(x, xe)), _mm_set1_pd(p.near_x)));
    }
    for (std::size_t h = 0; h < p.horizontals; ++h) near = _mm_or_pd(near, _mm_cmpeq_pd(y, _mm_set1_pd(p.horizontal_y[h])));
    __m128d result = _mm_and_pd(inbox, inside);
    if (_mm_movemask_pd(_mm_andnot_pd(inside, _mm_and_pd(inbox, near)))) {
      __m128d on_edge = _mm_setzero_pd();
      for (std::size_t k = 0; k < p.count; ++k) {
        const Edge& ed = p.edges[k];
        // within the edge's box and (x1 - x0) * (y - y0) == (y1 - y0) * (x - x0)
        const __m128d in_edge_box =
            _mm_and_pd(_mm_and_pd(_mm_cmpge_pd(y, _mm_set1_pd(ed.ylo)), _mm_cmple_pd(y, _mm_set1_pd(ed.yhi))),
                       _mm_and_pd(_mm_cmpge_pd(x, _mm_set1_pd(ed.xlo)), _mm_cmple_pd(x, _mm_set1_pd(ed.xhi))));
        const __m128d collinear = _mm_cmpeq_pd(_mm_mul_pd(_mm_set1_pd(ed.x1 - ed.x0), _mm_sub_pd(y, _mm_set1_pd(ed.y0))),
                                               _mm_mul_pd(_mm_set1_pd(ed.y1 - ed.y0), _mm_sub_pd(x, _mm_set1_pd(ed.x0))));
        on_edge = _mm_or_pd(on_edge, _mm_and_pd(in_edge_box, collinear));
      }
      result = _mm_or_pd(result, _mm_and_pd(inbox, on_edge));
    }
    bits |= static_cast<std::uint64_t>(_mm_movemask_pd(result)) << i;
  }
  return bits;
}

// The same with four events per AVX operation, for CPUs that have AVX2 (chosen at run time).
// No FMA: the products and sums round exactly as in the SSE2 and scalar forms.
__attribute__((target("avx2"))) std::uint64_t polygon_word_avx2(const PolygonShape& p, const double* xs,
                                                                const double* ys) {
  const BoundingBox& box = p.box;
  const __m256d sign = _mm256_set1_pd(-0.0);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < 64; i += 4) {
    const __m256d x = _mm256_loadu_pd(xs + i);
    const __m256d y = _mm256_loadu_pd(ys + i);
    const __m256d inbox =
        _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(x, _mm256_set1_pd(box.xmin), _CMP_GE_OQ),
                                    _mm256_cmp_pd(x, _mm256_set1_pd(box.xmax), _CMP_LE_OQ)),
                      _mm256_and_pd(_mm256_cmp_pd(y, _mm256_set1_pd(box.ymin), _CMP_GE_OQ),
                                    _mm256_cmp_pd(y, _mm256_set1_pd(box.ymax), _CMP_LE_OQ)));
    if (_mm256_movemask_pd(inbox) == 0) continue;
    __m256d inside = _mm256_setzero_pd();
    __m256d near = _mm256_setzero_pd();
    for (std::size_t k = 0; k < p.count; ++k) {
      const Edge& ed = p.edges[k];
      const __m256d y0 = _mm256_set1_pd(ed.y0);
      const __m256d dy = _mm256_sub_pd(y, y0);
      const __m256d crosses = _mm256_xor_pd(_mm256_cmp_pd(y0, y, _CMP_GT_OQ),
                                            _mm256_cmp_pd(_mm256_set1_pd(ed.y1), y, _CMP_GT_OQ));
      const __m256d xe = _mm256_add_pd(_mm256_set1_pd(ed.x0), _mm256_mul_pd(dy, _mm256_set1_pd(ed.dxdy)));
      inside = _mm256_xor_pd(inside, _mm256_and_pd(crosses, _mm256_cmp_pd(x, xe, _CMP_LT_OQ)));
      near = _mm256_or_pd(near, _mm256_cmp_pd(_mm256_andnot_pd(sign, _mm256_sub_pd(x, xe)),
                                              _mm256_set1_pd(p.near_x), _CMP_LE_OQ));
    }
    for (std::size_t h = 0; h < p.horizontals; ++h)
      near = _mm256_or_pd(near, _mm256_cmp_pd(y, _mm256_set1_pd(p.horizontal_y[h]), _CMP_EQ_OQ));
    __m256d result = _mm256_and_pd(inbox, inside);
    if (_mm256_movemask_pd(_mm256_andnot_pd(inside, _mm256_and_pd(inbox, near)))) {
      __m256d on_edge = _mm256_setzero_pd();
      for (std::size_t k = 0; k < p.count; ++k) {
        const Edge& ed = p.edges[k];
        const __m256d in_edge_box =
            _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(y, _mm256_set1_pd(ed.ylo), _CMP_GE_OQ),
                                        _mm256_cmp_pd(y, _mm256_set1_pd(ed.yhi), _CMP_LE_OQ)),
                          _mm256_and_pd(_mm256_cmp_pd(x, _mm256_set1_pd(ed.xlo), _CMP_GE_OQ),
                                        _mm256_cmp_pd(x, _mm256_set1_pd(ed.xhi), _CMP_LE_OQ)));
        const __m256d collinear =
            _mm256_cmp_pd(_mm256_mul_pd(_mm256_set1_pd(ed.x1 - ed.x0), _mm256_sub_pd(y, _mm256_set1_pd(ed.y0))),
                          _mm256_mul_pd(_mm256_set1_pd(ed.y1 - ed.y0), _mm256_sub_pd(x, _mm256_set1_pd(ed.x0))),
                          _CMP_EQ_OQ);
        on_edge = _mm256_or_pd(on_edge, _mm256_and_pd(in_edge_box, collinear));
      }
      result = _mm256_or_pd(result, _mm256_and_pd(inbox, on_edge));
    }
    bits |= static_cast<std::uint64_t>(_mm256_movemask_pd(result)) << i;
  }
  return bits;
}
#endif


}  // namespace

void box_words(std::span<const Bound> bounds, const Membership& parent, Membership& out, std::size_t begin,
               std::size_t end) {
  const Bound* b = bounds.data();
  switch (bounds.size()) {
    case 1:
      evaluate_words(parent, out, begin, end, [b](std::size_t first, std::size_t count) { return box_word<1>(b, first, count); });
      return;
    case 2:
      evaluate_words(parent, out, begin, end, [b](std::size_t first, std::size_t count) { return box_word<2>(b, first, count); });
      return;
    default:
      evaluate_words(parent, out, begin, end,
                     [b, nb = bounds.size()](std::size_t first, std::size_t count) { return box_bits(b, nb, first, count); });
  }
}

namespace {

// The loop of conjunction_words around a one-test word function; always inlined, so that in the
// AVX2 form below the whole loop, tests included, is AVX2 code without a call per test.
template <class TestWord>
__attribute__((always_inline)) inline void conjunction_loop(std::span<const Bound> tests,
                                                            const std::vector<std::vector<std::size_t>>& terms,
                                                            const Membership& parent, std::span<Membership* const> out,
                                                            std::size_t begin, std::size_t end, const TestWord& test_word) {
  const std::size_t n = parent.events();
  const auto pw = parent.words();
  const std::size_t nt = std::min(tests.size(), kMaxSharedTests);
  std::array<std::uint64_t, kMaxSharedTests> bits{};
  for (std::size_t w = begin; w < end; ++w) {
    const std::uint64_t mask = pw[w];
    if (mask == 0) {
      for (Membership* m : out) m->words()[w] = 0;
      continue;
    }
    const std::size_t first = w * 64;
    const std::size_t count = std::min<std::size_t>(64, n - first);
    for (std::size_t t = 0; t < nt; ++t) bits[t] = test_word(&tests[t], first, count);
    for (std::size_t k = 0; k < out.size(); ++k) {
      std::uint64_t acc = mask;
      for (std::size_t t : terms[k]) acc &= bits[t];
      out[k]->words()[w] = acc;
    }
  }
}

#if defined(__SSE2__)
__attribute__((target("avx2"))) void conjunction_words_avx2(std::span<const Bound> tests,
                                                            const std::vector<std::vector<std::size_t>>& terms,
                                                            const Membership& parent, std::span<Membership* const> out,
                                                            std::size_t begin, std::size_t end) {
  conjunction_loop(tests, terms, parent, out, begin, end, [](const Bound* b, std::size_t first, std::size_t count) {
    return count == 64 ? box_word_avx2<1>(b, first) : box_bits(b, 1, first, count);
  });
}
#endif

}  // namespace

void conjunction_words(std::span<const Bound> tests, const std::vector<std::vector<std::size_t>>& terms,
                       const Membership& parent, std::span<Membership* const> out, std::size_t begin,
                       std::size_t end) {
#if defined(__SSE2__)
  if (use_avx2()) {
    conjunction_words_avx2(tests, terms, parent, out, begin, end);
    return;
  }
#endif
  conjunction_loop(tests, terms, parent, out, begin, end,
                   [](const Bound* b, std::size_t first, std::size_t count) { return box_word<1>(b, first, count); });
}

namespace {

// The band of y (ymin <= y, not NaN). Monotone in y: (y - ymin) and the product round
// monotonically, so ylo <= y <= yhi gives band(ylo) <= band(y) <= band(yhi), and an edge filed
// under bands band(ylo) .. band(yhi) is in the band of every event its y-range contains. Those
// are the only edges that can matter to an event: a crossing needs ylo <= y < yhi and the
// on-edge test ylo <= y <= yhi. The others add nothing to the parity (xor) or the on-edge flag
// (or), so testing a band's edges decides exactly as testing all of them.
inline std::size_t band_of(double y, double ymin, double scale, std::size_t bands) {
  const double t = (y - ymin) * scale;
  return t < static_cast<double>(bands) ? static_cast<std::size_t>(t) : bands - 1;
}

// Files the edges under bands. About one band per edge, so a contour's band holds a few edges;
// where long edges would make the lists too long (more than 16 entries per edge), fewer, wider
// bands. A polygon whose edges all span its height gains nothing, and loses nothing but memory.
void band_edges(PolygonEdges& p) {
  const double height = p.ymax - p.ymin;
  std::size_t bands = p.edges.size();
  double scale = 0;
  for (;; bands = std::max<std::size_t>(1, bands / 2)) {
    scale = bands > 1 && height > 0 ? static_cast<double>(bands) / height : 0;
    if (!std::isfinite(scale)) scale = 0;
    if (scale == 0) bands = 1;
    std::size_t entries = 0;
    for (const auto& ed : p.edges)
      entries += band_of(ed.yhi, p.ymin, scale, bands) - band_of(ed.ylo, p.ymin, scale, bands) + 1;
    if (bands == 1 || entries <= 16 * p.edges.size()) break;
  }
  p.band_scale = scale;
  p.band_start.assign(bands + 1, 0);
  for (const auto& ed : p.edges)
    for (std::size_t b = band_of(ed.ylo, p.ymin, scale, bands), last = band_of(ed.yhi, p.ymin, scale, bands);
         b <= last; ++b)
      ++p.band_start[b + 1];
  for (std::size_t b = 0; b < bands; ++b) p.band_start[b + 1] += p.band_start[b];
  p.band_edges.resize(p.band_start[bands]);
  std::vector<std::uint32_t> next(p.band_start.begin(), p.band_start.end() - 1);
  for (std::size_t k = 0; k < p.edges.size(); ++k) {
    const auto& ed = p.edges[k];
    for (std::size_t b = band_of(ed.ylo, p.ymin, scale, bands), last = band_of(ed.yhi, p.ymin, scale, bands);
         b <= last; ++b)
      p.band_edges[next[b]++] = static_cast<std::uint32_t>(k);
  }
}

}  // namespace

// Even-odd rule: an event is inside when a ray towards +x crosses an odd number of edges (edges
// half-open in y, so a ray through a vertex counts once). Events exactly on an edge are inside,
// as the Gating-ML compliance results expect; "exactly" is an exact zero cross product within
// the edge's bounding box. The vector kernels flag events near an edge first (see PolygonShape)
// and make that exact test only for them.
PolygonEdges polygon_edges(const std::vector<std::array<double, 2>>& v, std::size_t banded_from) {
  PolygonEdges p;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& a = v[i];
    const auto& b = v[(i + 1) % v.size()];
    const double dxdy = a[1] == b[1] ? 0.0 : (b[0] - a[0]) / (b[1] - a[1]);
    p.edges.push_back({a[0], a[1], b[0], b[1], dxdy, std::min(a[0], b[0]), std::max(a[0], b[0]),
                       std::min(a[1], b[1]), std::max(a[1], b[1])});
    if (a[1] == b[1]) p.horizontal_y.push_back(a[1]);
  }
  if (!v.empty()) {
    p.xmin = p.xmax = v[0][0];
    p.ymin = p.ymax = v[0][1];
  }
  for (const auto& q : v) {
    p.xmin = std::min(p.xmin, q[0]);
    p.xmax = std::max(p.xmax, q[0]);
    p.ymin = std::min(p.ymin, q[1]);
    p.ymax = std::max(p.ymax, q[1]);
  }
  p.near_x = 1e-9 * std::max(std::abs(p.xmin), std::abs(p.xmax)) + 1e-300;
  if (p.edges.size() >= std::max<std::size_t>(banded_from, 1) && p.edges.size() < (std::size_t{1} << 26))
    band_edges(p);
  return p;
}

void polygon_words(const PolygonEdges& p, const double* xs, const double* ys, const Membership& parent,
                   Membership& out, std::size_t begin, std::size_t end) {
  const Edge* e0 = p.edges.data();
  const std::size_t ne = p.edges.size();
  const double xmin = p.xmin, xmax = p.xmax, ymin = p.ymin, ymax = p.ymax;
  // The per-event test, for partial words (the definition the vector kernels reproduce).
  // One edge's part of the test: its crossing (parity) and whether the event lies on it.
  auto edge_test = [](const Edge& ed, double x, double y, bool& inside, bool& on_edge) {
    if ((ed.y0 > y) != (ed.y1 > y)) inside ^= (x < ed.x0 + (y - ed.y0) * ed.dxdy);
    if (y >= ed.ylo && y <= ed.yhi && x >= ed.xlo && x <= ed.xhi)
      on_edge |= (ed.x1 - ed.x0) * (y - ed.y0) == (ed.y1 - ed.y0) * (x - ed.x0);
  };
  auto test = [=](std::size_t e) {
    const double x = xs[e], y = ys[e];
    // Outside the bounding box (or NaN): no edge can matter.
    if (!(x >= xmin && x <= xmax && y >= ymin && y <= ymax)) return false;
    bool inside = false;
    bool on_edge = false;
    for (std::size_t k = 0; k < ne; ++k) edge_test(e0[k], x, y, inside, on_edge);
    return inside || on_edge;
  };
  if (!p.band_start.empty()) {  // many edges: each event tests the edges of its band only
    const std::uint32_t* starts = p.band_start.data();
    const std::uint32_t* listed = p.band_edges.data();
    const std::size_t bands = p.band_start.size() - 1;
    const double scale = p.band_scale;
    auto banded = [=](std::size_t e) {
      const double x = xs[e], y = ys[e];
      if (!(x >= xmin && x <= xmax && y >= ymin && y <= ymax)) return false;
      const std::size_t b = band_of(y, ymin, scale, bands);
      bool inside = false;
      bool on_edge = false;
      for (std::uint32_t k = starts[b]; k < starts[b + 1]; ++k) edge_test(e0[listed[k]], x, y, inside, on_edge);
      return inside || on_edge;
    };
    evaluate_words(parent, out, begin, end,
                   [&](std::size_t first, std::size_t count) { return test_bits(first, count, banded); });
    return;
  }
#if defined(__SSE2__)
  const PolygonShape shape{e0, ne, p.horizontal_y.data(), p.horizontal_y.size(), BoundingBox{xmin, xmax, ymin, ymax},
                           p.near_x};
  const bool avx2 = use_avx2();
#endif
  evaluate_words(parent, out, begin, end, [&](std::size_t first, std::size_t count) -> std::uint64_t {
#if defined(__SSE2__)
    if (count == 64)
      return avx2 ? polygon_word_avx2(shape, xs + first, ys + first) : polygon_word_sse2(shape, xs + first, ys + first);
#endif
    return test_bits(first, count, test);
  });
}

void ellipsoid_words(const EllipsoidForm& f, std::span<const double* const> cols, const Membership& parent,
                     Membership& out, std::size_t begin, std::size_t end) {
  const std::size_t n = f.dimensions;
  const double limit = f.limit;
  if (n == 2) {
    const double a = f.q[0], b = f.q[1] + f.q[2], c = f.q[3];
    const double* xs = cols[0];
    const double* ys = cols[1];
    const double mx = f.mean[0], my = f.mean[1];
    evaluate_words(parent, out, begin, end, [&](std::size_t first, std::size_t count) {
      return test_bits(first, count, [&](std::size_t e) {
        const double dx = xs[e] - mx, dy = ys[e] - my;
        return a * dx * dx + b * dx * dy + c * dy * dy <= limit;
      });
    });
    return;
  }
  const double* q = f.q.data();
  const double* mean = f.mean.data();
  evaluate_words(parent, out, begin, end, [&](std::size_t first, std::size_t count) {
    return test_bits(first, count, [&](std::size_t e) {
      std::array<double, kMaxEllipsoidDimensions> d;
      for (std::size_t i = 0; i < n; ++i) d[i] = cols[i][e] - mean[i];
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double row = 0;
        for (std::size_t j = 0; j < n; ++j) row += q[i * n + j] * d[j];
        s += d[i] * row;
      }
      return s <= limit;
    });
  });
}

void boolean_words(const BooleanGate& g, std::span<const Membership* const> operands, const Membership& parent,
                   Membership& out, std::size_t begin, std::size_t end) {
  const std::size_t n = parent.events();
  const auto pw = parent.words();
  auto ow = out.words();
  const std::uint64_t last_mask = (n % 64 == 0) ? ~std::uint64_t{0} : ((std::uint64_t{1} << (n % 64)) - 1);
  for (std::size_t w = begin; w < end; ++w) {
    std::uint64_t acc = g.op == BooleanGate::Op::Or ? 0 : ~std::uint64_t{0};
    for (std::size_t k = 0; k < operands.size(); ++k) {
      std::uint64_t v = operands[k]->words()[w];
      if (g.operands[k].complement) v = ~v;
      if (g.op == BooleanGate::Op::Or) acc |= v;
      else acc &= v;
    }
    if (g.op == BooleanGate::Op::Not) acc = ~acc;
    if (w + 1 == pw.size()) acc &= last_mask;
    ow[w] = acc & pw[w];
  }
}

// The portable build has no POPCNT instruction (std::popcount becomes a libgcc call per word),
// so the hardware form is chosen at run time.
#if defined(__x86_64__) && !defined(__POPCNT__)
namespace {
__attribute__((target("popcnt"))) std::size_t popcount_popcnt(const std::uint64_t* w, std::size_t n) {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += static_cast<std::size_t>(__builtin_popcountll(w[i]));
  return c;
}
}  // namespace
#endif

std::size_t popcount_words(const std::uint64_t* w, std::size_t n) {
#if defined(__x86_64__) && !defined(__POPCNT__)
  static const bool hardware = __builtin_cpu_supports("popcnt");
  if (hardware) return popcount_popcnt(w, n);
#endif
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += static_cast<std::size_t>(std::popcount(w[i]));
  return c;
}

}  // namespace cytopipe::gating::detail
