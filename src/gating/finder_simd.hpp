#pragma once
// The finders' per-event loops two values at a time with SSE2 (every x86-64 has it), where the
// compiler leaves them scalar (a comparison of doubles counted in an integer is not vectorised
// without newer instruction sets), eight at a time with AVX-512 where the CPU has it
// (CYTOPIPE_NO_AVX512 in the environment keeps SSE2); plain loops elsewhere and for the last
// values. Counts, bins and selections only: no floating-point sum is reordered, so the results
// are the same on every path.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CYTOPIPE_FINDER_AVX512 1
#endif

namespace cytopipe::gating::detail {

#if defined(__SSE2__)
inline std::size_t lane_sum(__m128i v) {
  return static_cast<std::size_t>(_mm_cvtsi128_si64(v)) + static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)));
}
#endif

// How many of the n values are NaN or infinite (x - x is 0 for a finite x, NaN otherwise).
inline std::size_t count_not_finite(const double* v, std::size_t n) {
  std::size_t i = 0, count = 0;
#if defined(__SSE2__)
  __m128i a = _mm_setzero_si128(), b = _mm_setzero_si128();
  for (; i + 4 <= n; i += 4) {
    const __m128d x = _mm_loadu_pd(v + i), y = _mm_loadu_pd(v + i + 2);
    const __m128d dx = _mm_sub_pd(x, x), dy = _mm_sub_pd(y, y);
    a = _mm_sub_epi64(a, _mm_castpd_si128(_mm_cmpunord_pd(dx, dx)));  // a true compare is -1
    b = _mm_sub_epi64(b, _mm_castpd_si128(_mm_cmpunord_pd(dy, dy)));
  }
  count = lane_sum(_mm_add_epi64(a, b));
#endif
  for (; i < n; ++i) count += !(v[i] - v[i] == 0);
  return count;
}

#if defined(CYTOPIPE_FINDER_AVX512)
inline bool finder_avx512() {
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("popcnt") &&
                             std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  return avx512;
}

// bracket_chunk's first m / 8 x 8 values (its contract below); returns how many it took. Each
// range's values are compressed into the low lanes of a register and stored whole (the buffer
// has room: at most size[g] + m values are written), size[g] advanced by how many were inside.
template <std::size_t G>
__attribute__((target("avx512f,popcnt"))) std::size_t bracket_chunk_avx512(
    const double* v, const std::uint64_t* use, std::size_t m, const double* lo, const double* hi, std::size_t& count,
    std::size_t& not_finite, std::size_t* below, double* const* out, std::size_t* size, int side, double bound) {
  const __m512d bound8 = _mm512_set1_pd(bound);
  __m512d lo8[G], hi8[G];
  for (std::size_t g = 0; g < G; ++g) {
    lo8[g] = _mm512_set1_pd(lo[g]);
    hi8[g] = _mm512_set1_pd(hi[g]);
  }
  std::size_t k = 0, counted = 0, bad = 0, under[G] = {};
  for (; k + 8 <= m; k += 8) {
    const __m512d x = _mm512_loadu_pd(v + k);
    const __mmask8 c = use ? _mm512_test_epi64_mask(_mm512_loadu_si512(use + k), _mm512_set1_epi64(1))
                       : side < 0 ? _mm512_cmp_pd_mask(x, bound8, _CMP_LE_OQ)
                       : side > 0 ? _mm512_cmp_pd_mask(x, bound8, _CMP_GE_OQ)
                                  : __mmask8(0xFF);
    counted += static_cast<std::size_t>(_mm_popcnt_u32(c));
    const __m512d d = _mm512_sub_pd(x, x);
    bad += static_cast<std::size_t>(_mm_popcnt_u32(_mm512_mask_cmp_pd_mask(c, d, d, _CMP_UNORD_Q)));
    for (std::size_t g = 0; g < G; ++g) {
      const __mmask8 lt = _mm512_mask_cmp_pd_mask(c, x, lo8[g], _CMP_LT_OQ);
      under[g] += static_cast<std::size_t>(_mm_popcnt_u32(lt));
      const __mmask8 ge = _mm512_mask_cmp_pd_mask(c, x, lo8[g], _CMP_GE_OQ);
      const __mmask8 in = _mm512_mask_cmp_pd_mask(ge, x, hi8[g], _CMP_LE_OQ);
      _mm512_storeu_pd(out[g] + size[g], _mm512_maskz_compress_pd(in, x));
      size[g] += static_cast<std::size_t>(_mm_popcnt_u32(in));
    }
  }
  count += counted;
  not_finite += bad;
  for (std::size_t g = 0; g < G; ++g) below[g] += under[g];
  return k;
}
#endif

// Adds the sum of the n values less `shift` and the sum of their squares to `sum` and `sum2`
// (in no set order: for estimates with a rounding bound only), and lowers `low` to their minimum.
inline void add_moments(const double* v, std::size_t n, double shift, double& sum, double& sum2, double& low) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128d s = _mm_set1_pd(shift);
  __m128d a = _mm_setzero_pd(), b = _mm_setzero_pd(), a2 = _mm_setzero_pd(), b2 = _mm_setzero_pd();
  __m128d m = _mm_set1_pd(low);
  for (; i + 4 <= n; i += 4) {
    const __m128d x = _mm_loadu_pd(v + i), y = _mm_loadu_pd(v + i + 2);
    const __m128d dx = _mm_sub_pd(x, s), dy = _mm_sub_pd(y, s);
    a = _mm_add_pd(a, dx);
    b = _mm_add_pd(b, dy);
    a2 = _mm_add_pd(a2, _mm_mul_pd(dx, dx));
    b2 = _mm_add_pd(b2, _mm_mul_pd(dy, dy));
    m = _mm_min_pd(m, _mm_min_pd(x, y));
  }
  double lanes[2];
  _mm_storeu_pd(lanes, _mm_add_pd(a, b));
  sum += lanes[0] + lanes[1];
  _mm_storeu_pd(lanes, _mm_add_pd(a2, b2));
  sum2 += lanes[0] + lanes[1];
  _mm_storeu_pd(lanes, m);
  low = lanes[0] < lanes[1] ? lanes[0] : lanes[1];
#endif
  for (; i < n; ++i) {
    const double d = v[i] - shift;
    sum += d;
    sum2 += d * d;
    low = v[i] < low ? v[i] : low;
  }
}

// The largest of `start` and the n values, as `m = m < v ? v : m` gives it from m = start, in
// independent lanes: the same value unless it is a zero (a lane may keep the other zero).
inline double largest_of(const double* v, std::size_t n, double start) {
  std::size_t i = 0;
  double m = start;
#if defined(__SSE2__)
  __m128d a = _mm_set1_pd(start), b = a, c = a, d = a;
  for (; i + 8 <= n; i += 8) {  // MAXPD(x, m) is x > m ? x : m
    a = _mm_max_pd(_mm_loadu_pd(v + i), a);
    b = _mm_max_pd(_mm_loadu_pd(v + i + 2), b);
    c = _mm_max_pd(_mm_loadu_pd(v + i + 4), c);
    d = _mm_max_pd(_mm_loadu_pd(v + i + 6), d);
  }
  double lanes[8];
  _mm_storeu_pd(lanes, a);
  _mm_storeu_pd(lanes + 2, b);
  _mm_storeu_pd(lanes + 4, c);
  _mm_storeu_pd(lanes + 6, d);
  for (const double l : lanes) m = m < l ? l : m;
#endif
  for (; i < n; ++i) m = m < v[i] ? v[i] : m;
  return m;
}

// One chunk of a bracketed selection's pass over G value ranges [lo[g], hi[g]]: of the m values
// whose `use` is all ones (counted; 0: left out; null: counted by `side`: 0 every value, -1
// those <= bound, +1 those >= bound), adds how many there are to
// `count`, how many are not finite to `not_finite` and how many are below lo[g] to below[g], and
// appends each one within [lo[g], hi[g]] to out[g] at size[g] (a well predicted branch: a range
// holds a few per cent of the values at most).
template <std::size_t G>
void bracket_chunk(const double* v, const std::uint64_t* use, std::size_t m, const double* lo, const double* hi,
                   std::size_t& count, std::size_t& not_finite, std::size_t* below, double* const* out,
                   std::size_t* size, int side = 0, double bound = 0) {
  std::size_t k = 0;
#if defined(CYTOPIPE_FINDER_AVX512)
  if (finder_avx512()) k = bracket_chunk_avx512<G>(v, use, m, lo, hi, count, not_finite, below, out, size, side, bound);
#endif
#if defined(__SSE2__)
  __m128i counted = _mm_setzero_si128(), bad = _mm_setzero_si128(), under[G];
  __m128d lo2[G], hi2[G];
  for (std::size_t g = 0; g < G; ++g) {
    under[g] = _mm_setzero_si128();
    lo2[g] = _mm_set1_pd(lo[g]);
    hi2[g] = _mm_set1_pd(hi[g]);
  }
  const __m128d all = _mm_castsi128_pd(_mm_set1_epi64x(-1));
  for (; k + 2 <= m; k += 2) {
    const __m128d x = _mm_loadu_pd(v + k);
    const __m128d c = use ? _mm_loadu_pd(reinterpret_cast<const double*>(use + k))
                      : side < 0 ? _mm_cmple_pd(x, _mm_set1_pd(bound))
                      : side > 0 ? _mm_cmpge_pd(x, _mm_set1_pd(bound))
                                 : all;
    counted = _mm_sub_epi64(counted, _mm_castpd_si128(c));
    const __m128d d = _mm_sub_pd(x, x);
    bad = _mm_sub_epi64(bad, _mm_castpd_si128(_mm_and_pd(_mm_cmpunord_pd(d, d), c)));
    for (std::size_t g = 0; g < G; ++g) {
      const __m128d lt = _mm_cmplt_pd(x, lo2[g]);
      under[g] = _mm_sub_epi64(under[g], _mm_castpd_si128(_mm_and_pd(lt, c)));
      const __m128d in = _mm_and_pd(_mm_andnot_pd(lt, _mm_cmple_pd(x, hi2[g])), c);
      if (const int bits = _mm_movemask_pd(in)) {
        if (bits & 1) out[g][size[g]++] = v[k];
        if (bits & 2) out[g][size[g]++] = v[k + 1];
      }
    }
  }
  count += lane_sum(counted);
  not_finite += lane_sum(bad);
  for (std::size_t g = 0; g < G; ++g) below[g] += lane_sum(under[g]);
#endif
  for (; k < m; ++k) {
    const double x = v[k];
    const std::size_t c = use ? use[k] & 1 : side < 0 ? x <= bound : side > 0 ? x >= bound : 1;
    count += c;
    not_finite += c & static_cast<std::size_t>(!(x - x == 0));
    for (std::size_t g = 0; g < G; ++g) {
      below[g] += c & static_cast<std::size_t>(x < lo[g]);
      if (c && x >= lo[g] && x <= hi[g]) out[g][size[g]++] = x;
    }
  }
}

#if defined(CYTOPIPE_FINDER_AVX512)
// (GCC 12's own AVX-512 headers pass an undefined vector as the unused merge source of the
// conversion and rounding: -Wmaybe-uninitialized warns about it there, not about this code.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// grid_slots' first m / 8 x 8 events (its contract below), eight at a time; returns how many it
// took. `exact(k)` redoes event k by division.
template <class Exact>
__attribute__((target("avx512f"))) std::size_t grid_slots_avx512(const double* x, const double* y, std::size_t m,
                                                                 double x0, double y0, double ix, double iy, int bins,
                                                                 std::uint32_t* slot, const Exact& exact) {
  const __m512d x08 = _mm512_set1_pd(x0), y08 = _mm512_set1_pd(y0), ix8 = _mm512_set1_pd(ix), iy8 = _mm512_set1_pd(iy);
  const __m512d zero = _mm512_setzero_pd(), top = _mm512_set1_pd(bins), low = _mm512_set1_pd(-1),
                high = _mm512_set1_pd(bins + 1.0), tol = _mm512_set1_pd(1e-6);
  const __m256i width = _mm256_set1_epi32(bins), one = _mm256_set1_epi32(1);
  std::size_t k = 0;
  for (; k + 8 <= m; k += 8) {
    const __m512d qx = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(x + k), x08), ix8);
    const __m512d qy = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(y + k), y08), iy8);
    const __mmask8 in = _mm512_cmp_pd_mask(qx, zero, _CMP_GE_OQ) & _mm512_cmp_pd_mask(qx, top, _CMP_LT_OQ) &
                        _mm512_cmp_pd_mask(qy, zero, _CMP_GE_OQ) & _mm512_cmp_pd_mask(qy, top, _CMP_LT_OQ);
    // Truncated bins of the events inside (0 elsewhere, so the conversion stays in range).
    const __m256i bx = _mm512_cvttpd_epi32(_mm512_maskz_mov_pd(in, qx));
    const __m256i by = _mm512_cvttpd_epi32(_mm512_maskz_mov_pd(in, qy));
    const __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(by, width), bx), one);
    alignas(32) std::uint32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
    for (std::size_t j = 0; j < 8; ++j) slot[k + j] = (in >> j) & 1 ? lanes[j] : 0u;
    // Doubtful: within [-1, bins + 1] and 1e-6 of a whole number.
    const __mmask8 rx = _mm512_cmp_pd_mask(qx, low, _CMP_GE_OQ) & _mm512_cmp_pd_mask(qx, high, _CMP_LE_OQ);
    const __mmask8 ry = _mm512_cmp_pd_mask(qy, low, _CMP_GE_OQ) & _mm512_cmp_pd_mask(qy, high, _CMP_LE_OQ);
    const __m512d wx = _mm512_roundscale_pd(qx, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512d wy = _mm512_roundscale_pd(qy, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __mmask8 nx = _mm512_mask_cmp_pd_mask(rx, _mm512_abs_pd(_mm512_sub_pd(qx, wx)), tol, _CMP_LT_OQ);
    const __mmask8 ny = _mm512_mask_cmp_pd_mask(ry, _mm512_abs_pd(_mm512_sub_pd(qy, wy)), tol, _CMP_LT_OQ);
    if (const unsigned d = static_cast<unsigned>(nx | ny))
      for (std::size_t j = 0; j < 8; ++j)
        if ((d >> j) & 1) exact(k + j);
  }
  return k;
}
#pragma GCC diagnostic pop
#endif

// The bin of each of m events on a bins x bins grid, as
//   cx = (x - x0) / dx, cy = (y - y0) / dy; outside unless 0 <= cx, cy < bins;
//   slot = 1 + int(cy) x bins + int(cx) (0: outside)
// gives it, with a multiplication by the reciprocal instead of each division: the product lies
// within a few units in the last place of the quotient, so it has the quotient's integer part
// and side of 0 and `bins` unless it is within 1e-6 of a whole number; such events (about one in
// a million) are divided as above.
inline void grid_slots(const double* x, const double* y, std::size_t m, double x0, double y0, double dx, double dy,
                       int bins, std::uint32_t* slot) {
  const double top = bins, ix = 1 / dx, iy = 1 / dy;
  const auto exact = [&](std::size_t k) {
    const double cx = (x[k] - x0) / dx, cy = (y[k] - y0) / dy;
    const bool in = cx >= 0 && cy >= 0 && cx < top && cy < top;
    slot[k] = in ? static_cast<std::uint32_t>(static_cast<int>(cy)) * static_cast<std::uint32_t>(bins) +
                       static_cast<std::uint32_t>(static_cast<int>(cx)) + 1
                 : 0u;
  };
  std::size_t k = 0;
#if defined(__SSE2__)
  if (!(std::isfinite(ix) && std::isfinite(iy))) k = m;  // a bin too narrow for a reciprocal: divide
#if defined(CYTOPIPE_FINDER_AVX512)
  else if (finder_avx512())
    k = grid_slots_avx512(x, y, m, x0, y0, ix, iy, bins, slot, exact);
#endif
  const __m128d x02 = _mm_set1_pd(x0), y02 = _mm_set1_pd(y0), ix2 = _mm_set1_pd(ix), iy2 = _mm_set1_pd(iy);
  const __m128d zero = _mm_setzero_pd(), top2 = _mm_set1_pd(top), low = _mm_set1_pd(-1), high = _mm_set1_pd(top + 1);
  const __m128d tol = _mm_set1_pd(1e-6), sign = _mm_set1_pd(-0.0);
  const auto near_whole = [&](__m128d q) {  // within [-1, bins + 1] and 1e-6 of a whole number
    const __m128d ranged = _mm_and_pd(_mm_cmpge_pd(q, low), _mm_cmple_pd(q, high));
    const __m128d whole = _mm_cvtepi32_pd(_mm_cvtpd_epi32(_mm_and_pd(q, ranged)));
    return _mm_and_pd(ranged, _mm_cmplt_pd(_mm_andnot_pd(sign, _mm_sub_pd(q, whole)), tol));
  };
  for (; k + 2 <= m; k += 2) {
    const __m128d qx = _mm_mul_pd(_mm_sub_pd(_mm_loadu_pd(x + k), x02), ix2);
    const __m128d qy = _mm_mul_pd(_mm_sub_pd(_mm_loadu_pd(y + k), y02), iy2);
    const __m128d in = _mm_and_pd(_mm_and_pd(_mm_cmpge_pd(qx, zero), _mm_cmplt_pd(qx, top2)),
                                  _mm_and_pd(_mm_cmpge_pd(qy, zero), _mm_cmplt_pd(qy, top2)));
    // Truncated bins of the events inside (0 elsewhere, so the conversion stays in range).
    const __m128i bx = _mm_cvttpd_epi32(_mm_and_pd(qx, in)), by = _mm_cvttpd_epi32(_mm_and_pd(qy, in));
    const int inside = _mm_movemask_pd(in);
    for (std::size_t j = 0; j < 2; ++j) {
      const auto cx = static_cast<std::uint32_t>(_mm_cvtsi128_si32(j ? _mm_srli_si128(bx, 4) : bx));
      const auto cy = static_cast<std::uint32_t>(_mm_cvtsi128_si32(j ? _mm_srli_si128(by, 4) : by));
      slot[k + j] = (inside >> j) & 1 ? cy * static_cast<std::uint32_t>(bins) + cx + 1 : 0u;
    }
    if (const int doubtful = _mm_movemask_pd(_mm_or_pd(near_whole(qx), near_whole(qy)))) {
      if (doubtful & 1) exact(k);
      if (doubtful & 2) exact(k + 1);
    }
  }
#endif
  for (; k < m; ++k) exact(k);
}

}  // namespace cytopipe::gating::detail
