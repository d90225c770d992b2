// Evaluating a strategy on one sample. Each gate is tested only on words of events where its
// parent has members; results are 64-event bitset words; booleans are word-wise logic.
#include "cytopipe/gating/evaluate.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <unordered_map>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include "gating/columns.hpp"
#include "gating/linear_algebra.hpp"

namespace cytopipe::gating {
namespace {

constexpr std::size_t kWordsPerBlock = 256;  // 16384 events per parallel task

template <class Body>
void for_word_blocks(std::size_t words, bool parallel, const Body& body) {
  if (!parallel || words < 2 * kWordsPerBlock) {
    body(std::size_t{0}, words);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, words, kWordsPerBlock),
                    [&](const tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end()); });
}

// out = word_bits(first, count) AND parent, for each 64-event word the parent touches (count is
// 64 but for the last word); words without parent members are 0 and never tested.
template <class WordBits>
void evaluate_words(const Membership& parent, Membership& out, bool parallel, const WordBits& word_bits) {
  const std::size_t n = parent.events();
  const auto pw = parent.words();
  auto ow = out.words();
  for_word_blocks(pw.size(), parallel, [&](std::size_t begin, std::size_t end) {
    for (std::size_t w = begin; w < end; ++w) {
      const std::uint64_t mask = pw[w];
      if (mask == 0) {
        ow[w] = 0;
        continue;
      }
      const std::size_t first = w * 64;
      ow[w] = word_bits(first, std::min<std::size_t>(64, n - first)) & mask;
    }
  });
}

// The bits of events first .. first + count - 1 under a per-event test.
template <class Test>
std::uint64_t test_bits(std::size_t first, std::size_t count, const Test& test) {
  std::uint64_t bits = 0;
  for (std::size_t j = 0; j < count; ++j) bits |= static_cast<std::uint64_t>(test(first + j)) << j;
  return bits;
}

// out = test(events) AND parent; `test` is a lambda (inlined: no virtual call per event).
template <class Test>
void evaluate(const Membership& parent, Membership& out, bool parallel, const Test& test) {
  evaluate_words(parent, out, parallel,
                 [&](std::size_t first, std::size_t count) { return test_bits(first, count, test); });
}

struct Bound {
  const double* values;
  double lo, hi;  // lo inclusive, hi exclusive; infinities for open sides
};

#if defined(__SSE2__)
// AVX2 kernels are chosen at run time; CYTOPIPE_NO_AVX2 forces SSE2 (tests run the compliance
// suite on both).
bool use_avx2() {
  static const bool use = __builtin_cpu_supports("avx2") && std::getenv("CYTOPIPE_NO_AVX2") == nullptr;
  return use;
}

// One full 64-event word of a range/rectangle test, four events per AVX compare: the same
// ordered comparisons as the SSE2 and scalar forms.
template <std::size_t N>
__attribute__((target("avx2"))) std::uint64_t box_word_avx2(const std::array<Bound, N>& b, std::size_t first) {
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
#endif

// Full 64-event words of a range/rectangle test, two events per SSE2 compare (four with AVX2);
// the same comparisons as the scalar form (ordered compares: NaN is outside, as there).
template <std::size_t N>
void evaluate_box_words(const std::array<Bound, N>& b, const Membership& parent, Membership& out,
                        bool parallel) {
  const auto test = [&b](std::size_t e) {
    bool in = true;
    for (std::size_t k = 0; k < N; ++k) {
      const double v = b[k].values[e];
      in &= (v >= b[k].lo) & (v < b[k].hi);
    }
    return in;
  };
#if defined(__SSE2__)
  const bool avx2 = use_avx2();
#endif
  evaluate_words(parent, out, parallel, [&](std::size_t first, std::size_t count) {
#if defined(__SSE2__)
    if (count == 64 && avx2) return box_word_avx2(b, first);
    if (count == 64) {
      std::uint64_t bits = 0;
      for (std::size_t i = 0; i < 64; i += 2) {
        __m128d in = _mm_castsi128_pd(_mm_set1_epi32(-1));
        for (std::size_t k = 0; k < N; ++k) {
          const __m128d v = _mm_loadu_pd(b[k].values + first + i);
          in = _mm_and_pd(in, _mm_and_pd(_mm_cmpge_pd(v, _mm_set1_pd(b[k].lo)),
                                         _mm_cmplt_pd(v, _mm_set1_pd(b[k].hi))));
        }
        bits |= static_cast<std::uint64_t>(_mm_movemask_pd(in)) << i;
      }
      return bits;
    }
#endif
    return test_bits(first, count, test);
  });
}

void evaluate_box(const std::vector<Bound>& bounds, const Membership& parent, Membership& out,
                  bool parallel) {
  if (bounds.size() == 1) {
    evaluate_box_words(std::array<Bound, 1>{bounds[0]}, parent, out, parallel);
    return;
  }
  if (bounds.size() == 2) {
    evaluate_box_words(std::array<Bound, 2>{bounds[0], bounds[1]}, parent, out, parallel);
    return;
  }
  evaluate(parent, out, parallel, [&bounds](std::size_t e) {
    bool in = true;
    for (const Bound& b : bounds) {
      const double v = b.values[e];
      in &= (v >= b.lo) & (v < b.hi);
    }
    return in;
  });
}

// Closed-open interval [lo, hi); a missing bound is open. Gating-ML rule: a missing max means no
// upper limit, so +inf is excluded only for the value +inf itself, which never occurs in data.
Bound to_bound(const double* values, const Interval& interval) {
  return {values, interval.min ? *interval.min : -std::numeric_limits<double>::infinity(),
          interval.max ? *interval.max : std::numeric_limits<double>::infinity()};
}

// Range and quadrant tests on a scaled dimension compare the raw values with the thresholds
// mapped back through the scale, instead of scaling every event: for a scale S that is
// non-decreasing and defined on all reals, S(x) >= t  <=>  x >= r(t), where r(t) is the
// smallest double with S(r) >= t. r(t) is found by bisection over doubles on S itself (not
// through the inverse), so the decision is the same, event for event, as scaling first.
bool monotone_everywhere(const transform::Transform& t) {
  const auto& p = t.params();
  return std::holds_alternative<transform::Identity>(p) || std::holds_alternative<transform::Flin>(p) ||
         std::holds_alternative<transform::Fasinh>(p) || std::holds_alternative<transform::Logicle>(p) ||
         std::holds_alternative<transform::Hyperlog>(p) ||
         std::holds_alternative<transform::ArcsinhCofactor>(p);
}

std::optional<double> raw_threshold(const Scale& scale, double t) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  // The bulk form, exactly as scaled columns are computed (it may differ from the scalar form
  // in the last bits).
  auto S = [&](double x) {
    double in[1] = {x}, out[1];
    scale.transform.apply(std::span<const double>(in), std::span<double>(out));
    return std::clamp(out[0], scale.bound_min, scale.bound_max);
  };
  const double lo_end = -1e300, hi_end = 1e300;
  const double s_lo = S(lo_end), s_hi = S(hi_end);
  if (std::isnan(s_lo) || std::isnan(s_hi) || s_lo > s_hi) return std::nullopt;
  if (s_lo >= t) return -inf;   // every value passes
  if (!(s_hi >= t)) return inf;  // none does
  // Bracket around the inverse's estimate, then bisect down to adjacent doubles.
  double guess = scale.transform.inverse(std::clamp(t, scale.bound_min, scale.bound_max));
  if (!std::isfinite(guess)) guess = 0;
  double step = std::max(1.0, std::abs(guess)) * 1e-9;
  double a = guess, b = guess;
  for (int i = 0; S(a) >= t; ++i) {
    a = std::max(lo_end, guess - step);
    step *= 4;
    if (i > 400 || a == lo_end) { a = lo_end; break; }
  }
  step = std::max(1.0, std::abs(guess)) * 1e-9;
  for (int i = 0; !(S(b) >= t); ++i) {
    b = std::min(hi_end, guess + step);
    step *= 4;
    if (i > 400 || b == hi_end) { b = hi_end; break; }
  }
  if (S(a) >= t || !(S(b) >= t)) return std::nullopt;
  for (int i = 0; i < 2200 && std::nextafter(a, inf) < b; ++i) {
    double m = a / 2 + b / 2;
    if (!(m > a && m < b)) m = std::nextafter(a, inf);
    if (S(m) >= t) b = m;
    else a = m;
  }
  if (std::nextafter(a, inf) < b) return std::nullopt;
  return b;
}

// The bound for one dimension of a range/rectangle/quadrant test, on raw values when the scale
// allows it (see raw_threshold), else on the scaled column.
Bound make_bound(ColumnCache& cache, const Dimension& d, const Interval& interval,
                 const Membership& parent) {
  if (!d.ratio && !d.scale.is_identity() && monotone_everywhere(d.scale.transform)) {
    const auto lo = interval.min ? raw_threshold(d.scale, *interval.min)
                                 : std::optional<double>(-std::numeric_limits<double>::infinity());
    const auto hi = interval.max ? raw_threshold(d.scale, *interval.max)
                                 : std::optional<double>(std::numeric_limits<double>::infinity());
    if (lo && hi) {
      Dimension raw = d;
      raw.scale = Scale{};
      return {cache.get(raw, &parent).data(), *lo, *hi};
    }
  }
  return to_bound(cache.get(d, &parent).data(), interval);
}

struct Edge {
  double x0, y0, x1, y1, dxdy;
  double xlo, xhi, ylo, yhi;
};
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
  const double* horizontal_y;  // y of each horizontal edge
  std::size_t horizontals;
  BoundingBox box;
  double near_x;
};

#if defined(__SSE2__)
// One full 64-event word of a polygon test, two events per SSE2 operation, branch-free but for
// skipping pairs outside the bounding box and the rare exact on-edge test. The same comparisons
// and arithmetic as the scalar test in evaluate_polygon (so the same decisions, event for event).
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

void evaluate_polygon(const PolygonGate& g, const double* xs, const double* ys,
                      const Membership& parent, Membership& out, bool parallel) {
  // Even-odd rule: an event is inside when a ray towards +x crosses an odd number of edges
  // (edges half-open in y, so a ray through a vertex counts once). Events exactly on an edge
  // are inside, as the Gating-ML compliance results expect; "exactly" is decided by an exact
  // zero cross product within the edge's bounding box.
  std::vector<Edge> edges;
  const auto& v = g.vertices;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& a = v[i];
    const auto& b = v[(i + 1) % v.size()];
    const double dxdy = a[1] == b[1] ? 0.0 : (b[0] - a[0]) / (b[1] - a[1]);
    edges.push_back({a[0], a[1], b[0], b[1], dxdy, std::min(a[0], b[0]), std::max(a[0], b[0]),
                     std::min(a[1], b[1]), std::max(a[1], b[1])});
  }
  const Edge* e0 = edges.data();
  const std::size_t ne = edges.size();
  double xmin = v[0][0], xmax = v[0][0], ymin = v[0][1], ymax = v[0][1];
  for (const auto& p : v) {
    xmin = std::min(xmin, p[0]);
    xmax = std::max(xmax, p[0]);
    ymin = std::min(ymin, p[1]);
    ymax = std::max(ymax, p[1]);
  }
  // The per-event test, for partial words.
  auto test = [=](std::size_t e) {
    const double x = xs[e], y = ys[e];
    // Outside the bounding box (or NaN): no edge can matter.
    if (!(x >= xmin && x <= xmax && y >= ymin && y <= ymax)) return false;
    bool inside = false;
    bool on_edge = false;
    for (std::size_t k = 0; k < ne; ++k) {
      const Edge& ed = e0[k];
      if ((ed.y0 > y) != (ed.y1 > y)) inside ^= (x < ed.x0 + (y - ed.y0) * ed.dxdy);
      if (y >= ed.ylo && y <= ed.yhi && x >= ed.xlo && x <= ed.xhi)
        on_edge |= (ed.x1 - ed.x0) * (y - ed.y0) == (ed.y1 - ed.y0) * (x - ed.x0);
    }
    return inside || on_edge;
  };
  // Full words go to the SSE2/AVX2 kernels above (the same decisions as `test`).
  std::vector<double> horizontal_y;
  for (const Edge& ed : edges)
    if (ed.y0 == ed.y1) horizontal_y.push_back(ed.y0);
  const PolygonShape shape{e0, ne, horizontal_y.data(), horizontal_y.size(), BoundingBox{xmin, xmax, ymin, ymax},
                           1e-9 * std::max(std::abs(xmin), std::abs(xmax)) + 1e-300};
#if defined(__SSE2__)
  const bool avx2 = use_avx2();
#endif
  evaluate_words(parent, out, parallel, [&](std::size_t first, std::size_t count) -> std::uint64_t {
#if defined(__SSE2__)
    if (count == 64)
      return avx2 ? polygon_word_avx2(shape, xs + first, ys + first)
                  : polygon_word_sse2(shape, xs + first, ys + first);
#endif
    return test_bits(first, count, test);
  });
}

void evaluate_ellipsoid(const EllipsoidGate& g, const std::vector<const double*>& cols,
                        const Membership& parent, Membership& out, bool parallel) {
  const std::size_t n = g.dimensions.size();
  const auto inv = invert_matrix(g.covariance, n);
  if (!inv) throw Error("the covariance matrix is singular");
  const std::vector<double> q = *inv;
  const std::vector<double> mean = g.mean;
  const double limit = g.distance_square;
  if (n == 2) {
    const double a = q[0], b = q[1] + q[2], c = q[3];
    const double* xs = cols[0];
    const double* ys = cols[1];
    const double mx = mean[0], my = mean[1];
    evaluate(parent, out, parallel, [=](std::size_t e) {
      const double dx = xs[e] - mx, dy = ys[e] - my;
      return a * dx * dx + b * dx * dy + c * dy * dy <= limit;
    });
    return;
  }
  constexpr std::size_t kMax = 32;
  if (n > kMax) throw Error("ellipsoid gates support at most 32 dimensions");
  evaluate(parent, out, parallel, [&](std::size_t e) {
    std::array<double, kMax> d;
    for (std::size_t i = 0; i < n; ++i) d[i] = cols[i][e] - mean[i];
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
      double row = 0;
      for (std::size_t j = 0; j < n; ++j) row += q[i * n + j] * d[j];
      s += d[i] * row;
    }
    return s <= limit;
  });
}

// The segment of a divider holding `location`: [values[k-1], values[k]).
Interval segment(const Divider& divider, double location) {
  const auto& v = divider.values;
  const std::size_t k = static_cast<std::size_t>(
      std::upper_bound(v.begin(), v.end(), location) - v.begin());
  Interval out;
  if (k > 0) out.min = v[k - 1];
  if (k < v.size()) out.max = v[k];
  return out;
}

// Several populations over one parent in one pass over the parent's words, each an AND of
// range tests: every distinct test is made once per word (the same comparisons as testing each
// population as a rectangle), and each column is read while its words are in cache. Used for a
// quadrant gate's quadrants and for sibling range/rectangle gates.
constexpr std::size_t kMaxSharedTests = 16;
void evaluate_conjunctions(const std::vector<Bound>& tests, const std::vector<std::vector<std::size_t>>& terms,
                           const Membership& parent, std::vector<Membership>& out, bool parallel) {
  const std::size_t n = parent.events();
  const auto pw = parent.words();
  const std::size_t nt = tests.size();
#if defined(__SSE2__)
  const bool avx2 = use_avx2();
#endif
  for_word_blocks(pw.size(), parallel, [&](std::size_t begin, std::size_t end) {
    std::array<std::uint64_t, kMaxSharedTests> bits{};
    for (std::size_t w = begin; w < end; ++w) {
      const std::uint64_t mask = pw[w];
      if (mask == 0) {
        for (auto& m : out) m.words()[w] = 0;
        continue;
      }
      const std::size_t first = w * 64;
      const std::size_t count = std::min<std::size_t>(64, n - first);
      for (std::size_t t = 0; t < nt; ++t) {
        const std::array<Bound, 1> b{tests[t]};
#if defined(__SSE2__)
        if (count == 64 && avx2) {
          bits[t] = box_word_avx2(b, first);
          continue;
        }
#endif
        bits[t] = test_bits(first, count, [&b](std::size_t e) {
          const double v = b[0].values[e];
          return (v >= b[0].lo) & (v < b[0].hi);
        });
      }
      for (std::size_t q = 0; q < out.size(); ++q) {
        std::uint64_t acc = mask;
        for (std::size_t t : terms[q]) acc &= bits[t];
        out[q].words()[w] = acc;
      }
    }
  });
}

// The rectangle gate of population `first`, and with it the rectangle gates of its later
// siblings (same parent), in one pass: `out` gets the first's membership, `early` the siblings'
// (by population index). A sibling whose bounds cannot be prepared is left out, to fail later
// under its own name.
void evaluate_rectangle_siblings(const GatingStrategy& strategy, const std::vector<Population>& pops,
                                 std::size_t first, const RectangleGate& gate, ColumnCache& cache,
                                 const Membership& parent, bool parallel, Membership& out,
                                 std::unordered_map<std::size_t, Membership>& early) {
  std::vector<Bound> tests;
  std::vector<std::vector<std::size_t>> terms;
  std::vector<std::size_t> members;  // population indices, `first` first
  auto find_test = [&](const Bound& b) {
    return static_cast<std::size_t>(std::find_if(tests.begin(), tests.end(), [&](const Bound& t) {
                                      return t.values == b.values && t.lo == b.lo && t.hi == b.hi;
                                    }) - tests.begin());
  };
  auto add = [&](const RectangleGate& g, std::size_t population) {
    std::vector<Bound> bounds;
    for (std::size_t d = 0; d < g.dimensions.size(); ++d)
      bounds.push_back(make_bound(cache, g.dimensions[d], g.intervals[d], parent));
    std::size_t fresh = 0;
    for (const Bound& b : bounds) fresh += find_test(b) == tests.size();
    if (tests.size() + fresh > kMaxSharedTests) return false;
    std::vector<std::size_t> term;
    for (const Bound& b : bounds) {
      const std::size_t at = find_test(b);
      if (at == tests.size()) tests.push_back(b);
      term.push_back(at);
    }
    terms.push_back(std::move(term));
    members.push_back(population);
    return true;
  };
  if (!add(gate, first)) {  // more dimensions than one pass takes: the plain rectangle test
    std::vector<Bound> bounds;
    for (std::size_t d = 0; d < gate.dimensions.size(); ++d)
      bounds.push_back(make_bound(cache, gate.dimensions[d], gate.intervals[d], parent));
    evaluate_box(bounds, parent, out, parallel);
    return;
  }
  for (std::size_t j = first + 1; j < pops.size(); ++j) {
    if (pops[j].parent != pops[first].parent || early.count(j)) continue;
    const auto* g = std::get_if<RectangleGate>(&strategy.gates()[pops[j].gate].gate);
    if (!g) continue;
    try {
      add(*g, j);
    } catch (const Error&) {
      // evaluated (and reported) on its own turn
    }
  }
  std::vector<Membership> results;
  for (std::size_t k = 0; k < members.size(); ++k) results.emplace_back(parent.events());
  if (members.size() == 1 && tests.size() <= 2) {
    evaluate_box(tests, parent, results[0], parallel);  // the plain kernel: no sharing to gain
  } else {
    evaluate_conjunctions(tests, terms, parent, results, parallel);
  }
  out = std::move(results[0]);
  for (std::size_t k = 1; k < members.size(); ++k) early.emplace(members[k], std::move(results[k]));
}

// Every quadrant of `g` over `parent`, in g.quadrants order.
std::vector<Membership> evaluate_quadrant_gate(const QuadrantGate& g, ColumnCache& cache, const Membership& parent,
                                               bool parallel) {
  std::vector<std::pair<std::size_t, std::size_t>> keys;  // (divider, segment) of each test
  std::vector<Bound> tests;
  std::vector<std::vector<std::size_t>> terms(g.quadrants.size());
  for (std::size_t q = 0; q < g.quadrants.size(); ++q)
    for (const auto& pos : g.quadrants[q].positions) {
      const auto div = static_cast<std::size_t>(
          std::find_if(g.dividers.begin(), g.dividers.end(), [&](const Divider& d) { return d.id == pos.divider; }) -
          g.dividers.begin());
      const Divider& divider = g.dividers[div];
      const auto seg = static_cast<std::size_t>(
          std::upper_bound(divider.values.begin(), divider.values.end(), pos.location) - divider.values.begin());
      const std::pair<std::size_t, std::size_t> key{div, seg};
      auto at = static_cast<std::size_t>(std::find(keys.begin(), keys.end(), key) - keys.begin());
      if (at == keys.size()) {
        keys.push_back(key);
        tests.push_back(make_bound(cache, divider.dimension, segment(divider, pos.location), parent));
      }
      terms[q].push_back(at);
    }
  std::vector<Membership> out;
  for (std::size_t q = 0; q < g.quadrants.size(); ++q) out.emplace_back(parent.events());
  if (tests.size() <= kMaxSharedTests) {
    evaluate_conjunctions(tests, terms, parent, out, parallel);
  } else {  // unusually many dividers: one rectangle test per quadrant
    for (std::size_t q = 0; q < g.quadrants.size(); ++q) {
      std::vector<Bound> bounds;
      for (std::size_t t : terms[q]) bounds.push_back(tests[t]);
      evaluate_box(bounds, parent, out[q], parallel);
    }
  }
  return out;
}

void combine_boolean(const BooleanGate& g, const std::vector<const Membership*>& operands,
                     const Membership& parent, Membership& out, bool parallel) {
  const std::size_t n = parent.events();
  const auto pw = parent.words();
  auto ow = out.words();
  const std::uint64_t last_mask =
      (n % 64 == 0) ? ~std::uint64_t{0} : ((std::uint64_t{1} << (n % 64)) - 1);
  for_word_blocks(pw.size(), parallel, [&](std::size_t begin, std::size_t end) {
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
  });
}

// Set bits of words[begin, end). The portable build has no POPCNT instruction (std::popcount
// becomes a libgcc call per word), so the hardware form is chosen at run time.
#if defined(__x86_64__) && !defined(__POPCNT__)
__attribute__((target("popcnt"))) std::size_t popcount_popcnt(const std::uint64_t* w, std::size_t n) {
  std::size_t c = 0;
  for (std::size_t i = 0; i < n; ++i) c += static_cast<std::size_t>(__builtin_popcountll(w[i]));
  return c;
}
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

std::size_t popcount(const Membership& m, bool parallel) {
  const auto w = m.words();
  if (!parallel || w.size() < 4 * kWordsPerBlock) return popcount_words(w.data(), w.size());
  return tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, w.size(), 4 * kWordsPerBlock), std::size_t{0},
      [&](const tbb::blocked_range<std::size_t>& r, std::size_t c) {
        return c + popcount_words(w.data() + r.begin(), r.size());
      },
      std::plus<>());
}

}  // namespace

namespace {

// Recycled word storage for Membership (see evaluate.hpp). Bounded in entries and bytes; small
// bitsets are not worth a lock and go straight to the heap.
class WordPool {
 public:
  static constexpr std::size_t kMinWords = 1024;  // 65536 events
  static constexpr std::size_t kEntries = 256;
  static constexpr std::size_t kBytes = std::size_t{64} << 20;

  static WordPool* instance() noexcept {
    static WordPool pool;
    return alive_ ? &pool : nullptr;  // null during and after static destruction
  }
  // `words` zeroed words, recycled when the pool has a block of about that size.
  std::vector<std::uint64_t> take(std::size_t words) {
    std::vector<std::uint64_t> found;
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = free_.size(); i-- > 0;) {
        const std::size_t cap = free_[i].capacity();
        if (cap >= words && cap - words <= words / 4) {
          found = std::move(free_[i]);
          free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
          bytes_ -= cap * sizeof(std::uint64_t);
          break;
        }
      }
    }
    found.assign(words, 0);
    return found;
  }
  void give(std::vector<std::uint64_t>&& words) noexcept {
    const std::size_t bytes = words.capacity() * sizeof(std::uint64_t);
    std::lock_guard lock(mutex_);
    if (free_.size() >= kEntries || bytes_ + bytes > kBytes) return;  // freed by the caller
    free_.push_back(std::move(words));  // capacity reserved: never allocates
    bytes_ += bytes;
  }

 private:
  WordPool() {
    free_.reserve(kEntries);
    alive_ = true;
  }
  ~WordPool() { alive_ = false; }
  static inline bool alive_ = false;
  std::mutex mutex_;
  std::vector<std::vector<std::uint64_t>> free_;
  std::size_t bytes_ = 0;
};

std::vector<std::uint64_t> zeroed_words(std::size_t words) {
  if (words >= WordPool::kMinWords)
    if (auto* pool = WordPool::instance()) return pool->take(words);
  return std::vector<std::uint64_t>(words, 0);
}

void recycle(std::vector<std::uint64_t>& words) noexcept {
  if (words.capacity() < WordPool::kMinWords) return;
  if (auto* pool = WordPool::instance()) pool->give(std::move(words));
}

}  // namespace

Membership::Membership(const Membership& other) : events_(other.events_), words_(zeroed_words(other.words_.size())) {
  std::copy(other.words_.begin(), other.words_.end(), words_.begin());
}

Membership& Membership::operator=(const Membership& other) {
  if (this != &other) {
    Membership copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Membership& Membership::operator=(Membership&& other) noexcept {
  if (this != &other) {
    recycle(words_);
    events_ = other.events_;
    words_ = std::move(other.words_);
    other.events_ = 0;
    other.words_.clear();
  }
  return *this;
}

Membership::~Membership() { recycle(words_); }

Membership::Membership(std::size_t events, bool all) : events_(events), words_(zeroed_words((events + 63) / 64)) {
  if (all && events > 0) {
    std::fill(words_.begin(), words_.end(), ~std::uint64_t{0});
    if (events % 64) words_.back() = (std::uint64_t{1} << (events % 64)) - 1;
  }
}

std::size_t Membership::count() const noexcept { return popcount_words(words_.data(), words_.size()); }

std::vector<std::uint8_t> Membership::to_flags() const {
  std::vector<std::uint8_t> out(events_);
  for (std::size_t i = 0; i < events_; ++i) out[i] = test(i) ? 1 : 0;
  return out;
}

const PopulationResult* GatingResults::find(std::string_view name_or_path) const {
  for (const auto& p : populations_)
    if (p.name == name_or_path || p.path == name_or_path) return &p;
  // A path without the leading slash, or with a trailing one.
  std::string key(name_or_path);
  while (!key.empty() && key.back() == '/') key.pop_back();
  if (!key.empty() && key.front() != '/') key.insert(key.begin(), '/');
  for (const auto& p : populations_)
    if (p.path == key) return &p;
  return nullptr;
}

const PopulationResult& GatingResults::at(std::string_view name_or_path) const {
  if (const auto* p = find(name_or_path)) return *p;
  std::string have;
  for (const auto& p : populations_) have += (have.empty() ? "" : ", ") + p.name;
  throw Error("no population '" + std::string(name_or_path) + "' (populations: " + have + ")");
}

std::size_t GatingResults::parent_count(std::string_view name_or_path) const {
  const auto& p = at(name_or_path);
  return p.parent.empty() ? events_ : at(p.parent).count;
}

GatingResults gate_sample(const GatingStrategy& strategy, const fcs::Sample& sample,
                          const GateOptions& options) {
  strategy.validate();
  strategy.check_sample(sample);
  const auto pops = strategy.populations();
  const std::size_t n = sample.event_count();
  const bool parallel = options.parallel;

  GatingResults results;
  results.events_ = n;
  results.populations_.reserve(pops.size());
  std::unordered_map<std::string, std::size_t> index;
  const Membership everyone(n, true);
  ColumnCache cache(strategy, sample, parallel);
  std::unordered_map<std::size_t, std::vector<Membership>> quadrants;  // gate index -> all quadrants

  std::unordered_map<std::size_t, Membership> siblings;  // population index -> computed early
  for (std::size_t i = 0; i < pops.size(); ++i) {
    const Population& pop = pops[i];
    const GateNode& node = strategy.gates()[pop.gate];
    const Membership& parent =
        pop.parent.empty() ? everyone : results.populations_[index.at(pop.parent)].members;
    PopulationResult r;
    r.name = pop.name;
    r.parent = pop.parent;
    r.path = (pop.parent.empty() ? std::string() : results.populations_[index.at(pop.parent)].path) +
             "/" + pop.name;
    r.members = Membership(n);
    try {
      if (auto done = siblings.find(i); done != siblings.end()) {
        r.members = std::move(done->second);  // computed with an earlier sibling
        siblings.erase(done);
      } else if (const auto* g = std::get_if<RectangleGate>(&node.gate)) {
        evaluate_rectangle_siblings(strategy, pops, i, *g, cache, parent, parallel, r.members, siblings);
      } else if (const auto* g = std::get_if<QuadrantGate>(&node.gate)) {
        // The first of the gate's populations computes every quadrant (they share a parent).
        auto& done = quadrants[pop.gate];
        if (done.empty()) done = evaluate_quadrant_gate(*g, cache, parent, parallel);
        r.members = std::move(done[static_cast<std::size_t>(pop.quadrant)]);
      } else if (const auto* g = std::get_if<PolygonGate>(&node.gate)) {
        evaluate_polygon(*g, cache.get(g->dimensions[0], &parent).data(), cache.get(g->dimensions[1], &parent).data(),
                         parent, r.members, parallel);
      } else if (const auto* g = std::get_if<EllipsoidGate>(&node.gate)) {
        std::vector<const double*> cols;
        for (const auto& d : g->dimensions) cols.push_back(cache.get(d, &parent).data());
        evaluate_ellipsoid(*g, cols, parent, r.members, parallel);
      } else if (const auto* g = std::get_if<BooleanGate>(&node.gate)) {
        std::vector<const Membership*> operands;
        for (const auto& o : g->operands)
          operands.push_back(&results.populations_[index.at(o.population)].members);
        combine_boolean(*g, operands, parent, r.members, parallel);
      }
    } catch (const Error& e) {
      if (!e.context().where.empty()) throw;
      ErrorContext context = node.origin;
      if (context.file.empty()) context.file = sample.source;
      context.where = "gate '" + node.id + "'";
      throw Error(e.message() + " (sample " + sample.source + ")", std::move(context));
    }
    r.count = popcount(r.members, parallel);
    index.emplace(r.name, results.populations_.size());
    results.populations_.push_back(std::move(r));
  }
  return results;
}

std::vector<double> dimension_values(const GatingStrategy& strategy, const fcs::Sample& sample,
                                     const Dimension& dimension) {
  ColumnCache cache(strategy, sample);
  const auto v = cache.get(dimension);
  return {v.begin(), v.end()};
}

}  // namespace cytopipe::gating
