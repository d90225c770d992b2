// Building the fast table: exact δ, δ', δ'' at every bin edge, one quintic Hermite per bin.
#include "transform/fast_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

// Only where the scalar form is compiled without FMA (a fused build would round differently).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__FMA__)
#include <immintrin.h>
#define CYTOPIPE_FAST_TABLE_AVX2 1
#endif

namespace cytopipe::transform::detail {

namespace {
// 40 octaves below T the scale is linear to far below an ulp of δ (the quadratic Taylor term is
// kept anyway, for hyperlog); 24 octaves (1.7e7 x) above T is past any instrument's range; the exact
// solver (which is a log1p-corrected logarithm there) takes over.
constexpr int kOctavesBelowT = 40;
constexpr int kOctavesAboveT = 24;
static_assert(kOctavesBelowT + kOctavesAboveT <= 64, "one bit per octave in FastTable::built_");
}  // namespace

FastTable::FastTable(const Biexponential& exact) : exact_(exact) {
  const int e_top = std::ilogb(exact.top());
  const int e_lo = std::max(e_top - kOctavesBelowT, -1021);
  const int e_hi = std::min(e_top + kOctavesAboveT, 1023);
  u_lo_ = std::ldexp(1.0, e_lo);
  u_hi_ = std::ldexp(1.0, e_hi);
  base_ = std::bit_cast<std::uint64_t>(u_lo_) >> kShift;
  const std::size_t bins = (std::bit_cast<std::uint64_t>(u_hi_) >> kShift) - base_;

  // Two more doubles: the AVX-512 form reads eight from a row's start.
  coefficients_ = fcs::EventMatrix(bins * 6 + 2, 1);
  coefficients_.data()[bins * 6] = coefficients_.data()[bins * 6 + 1] = 0;
  const double g1 = exact.g1(0);
  const double g2 = exact.g2(0);
  taylor1_ = 1 / g1;
  taylor2_ = -g2 / (2 * g1 * g1 * g1);
}

void FastTable::build_all() const {
  const std::size_t octaves = coefficients_.events() / 6 >> kBinsPerOctaveLog2;
  for (std::size_t o = 0; o < octaves; ++o) ensure(o);
}

void FastTable::build(std::uint64_t octave) const {
  const std::lock_guard lock(build_mutex_);
  if ((built_.load(std::memory_order_relaxed) >> octave) & 1u) return;  // built meanwhile
  constexpr std::size_t kBins = std::size_t{1} << kBinsPerOctaveLog2;
  const std::size_t first = static_cast<std::size_t>(octave) * kBins;
  struct Node {
    double u, value, first, second;  // δ and its derivatives in u
  };
  // δ, δ', δ'' at the octave's bin edges (both ends: an edge between two octaves is solved for
  // in each, to the same bits).
  std::vector<Node> edges(kBins + 1);
  for (std::size_t k = 0; k <= kBins; ++k) {
    const double u = std::bit_cast<double>((base_ + first + k) << kShift);
    const double delta = exact_.delta(u);
    const double g1 = exact_.g1(delta);
    const double g2 = exact_.g2(delta);
    edges[k] = {u, delta, 1 / g1, -g2 / (g1 * g1 * g1)};
  }
  for (std::size_t k = 0; k < kBins; ++k) {
    const Node n0 = edges[k];
    const Node n1 = edges[k + 1];
    const long double h = static_cast<long double>(n1.u) - n0.u;
    const long double p0 = n0.value, p1 = n1.value;
    const long double d0 = h * n0.first, d1 = h * n1.first;
    const long double s0 = h * h * n0.second, s1 = h * h * n1.second;
    // p(t) = Σ c_i t^i with p, p', p'' matching at t = 0 and t = 1.
    const long double rest = p1 - p0 - d0 - s0 / 2;  // c3 + c4 + c5
    const long double slope = d1 - d0 - s0;          // 3 c3 + 4 c4 + 5 c5
    const long double bend = s1 - s0;                // 6 c3 + 12 c4 + 20 c5
    double* c = coefficients_.data() + (first + k) * 6;
    c[0] = static_cast<double>(p0);
    c[1] = static_cast<double>(d0);
    c[2] = static_cast<double>(s0 / 2);
    c[3] = static_cast<double>(10 * rest - 4 * slope + bend / 2);
    c[4] = static_cast<double>(-15 * rest + 7 * slope - bend);
    c[5] = static_cast<double>(6 * rest - 3 * slope + bend / 2);
  }
  built_.fetch_or(std::uint64_t{1} << octave, std::memory_order_release);
}

void FastTable::scale(std::span<const double> in, std::span<double> out) const {
#ifdef CYTOPIPE_FAST_TABLE_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && std::getenv("CYTOPIPE_NO_AVX2") == nullptr;
  static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                             std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  if (avx512) {
    scale_avx512(in.data(), out.data(), in.size());
    return;
  }
  if (avx2) {
    scale_avx2(in.data(), out.data(), in.size());
    return;
  }
#endif
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = scale(in[i]);
}

#ifdef CYTOPIPE_FAST_TABLE_AVX2
// AVX2 without FMA: the target does not allow fusing, so every product and sum rounds as in the
// scalar form. u >= 0 always; its bits as integers order like the doubles.
__attribute__((target("avx2"))) void FastTable::scale_avx2(const double* in, double* out, std::size_t n) const {
  const double x1 = exact_.zero_point();
  const __m256d zero = _mm256_setzero_pd(), vx1 = _mm256_set1_pd(x1);
  const __m256d lo = _mm256_set1_pd(u_lo_), hi = _mm256_set1_pd(u_hi_);
  const __m256d fraction = _mm256_set1_pd(kFraction);
  const __m256i mask = _mm256_set1_epi64x(static_cast<long long>(kMask));
  const __m256i base = _mm256_set1_epi64x(static_cast<long long>(base_));
  // (bits & kMask) < 2^52 as a double: its bits under 2^52's exponent, minus 2^52 (exact).
  const __m256i two52_bits = _mm256_set1_epi64x(0x4330000000000000LL);
  const __m256d two52 = _mm256_set1_pd(4503599627370496.0);
  const double* c = coefficients_.data();
  // Lanes in an octave not built yet take the scalar form (which builds it).
  const __m256i one = _mm256_set1_epi64x(1);
  __m256i built = _mm256_set1_epi64x(static_cast<long long>(built_.load(std::memory_order_acquire)));
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(in + i);
    const __m256d positive = _mm256_cmp_pd(x, zero, _CMP_GE_OQ);  // x >= 0 (NaN: false)
    const __m256d u = _mm256_blendv_pd(_mm256_sub_pd(zero, x), x, positive);
    // On the table: u_lo <= u < u_hi (NaN fails both).
    const __m256d on = _mm256_and_pd(_mm256_cmp_pd(u, lo, _CMP_GE_OQ), _mm256_cmp_pd(u, hi, _CMP_LT_OQ));
    if (_mm256_movemask_pd(on) != 0xf) {
      for (std::size_t k = i; k < i + 4; ++k) out[k] = scale(in[k]);
      continue;
    }
    const __m256i bits = _mm256_castpd_si256(u);
    const __m256i row = _mm256_sub_epi64(_mm256_srli_epi64(bits, kShift), base);
    const __m256i ready = _mm256_and_si256(_mm256_srlv_epi64(built, _mm256_srli_epi64(row, kBinsPerOctaveLog2)), one);
    if (_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(ready, one))) != 0xf) {
      for (std::size_t k = i; k < i + 4; ++k) out[k] = scale(in[k]);
      built = _mm256_set1_epi64x(static_cast<long long>(built_.load(std::memory_order_acquire)));
      continue;
    }
    const __m256i index = _mm256_add_epi64(_mm256_slli_epi64(row, 2), _mm256_slli_epi64(row, 1));  // row * 6
    const __m256d t = _mm256_mul_pd(
        _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, mask), two52_bits)), two52), fraction);
    const __m256d c5 = _mm256_i64gather_pd(c + 5, index, 8);
    const __m256d c4 = _mm256_i64gather_pd(c + 4, index, 8);
    const __m256d c3 = _mm256_i64gather_pd(c + 3, index, 8);
    const __m256d c2 = _mm256_i64gather_pd(c + 2, index, 8);
    const __m256d c1 = _mm256_i64gather_pd(c + 1, index, 8);
    const __m256d c0 = _mm256_i64gather_pd(c + 0, index, 8);
    __m256d d = _mm256_add_pd(c4, _mm256_mul_pd(t, c5));
    d = _mm256_add_pd(c3, _mm256_mul_pd(t, d));
    d = _mm256_add_pd(c2, _mm256_mul_pd(t, d));
    d = _mm256_add_pd(c1, _mm256_mul_pd(t, d));
    d = _mm256_add_pd(c0, _mm256_mul_pd(t, d));
    _mm256_storeu_pd(out + i, _mm256_blendv_pd(_mm256_sub_pd(vx1, d), _mm256_add_pd(vx1, d), positive));
  }
  for (; i < n; ++i) out[i] = scale(in[i]);
}

// scale_avx2 eight values at a time. Every product passes through an empty asm, so the compiler
// cannot fuse it with the add into an FMA (AVX-512 has them): each rounds as in the scalar form.
// The scalar form for lanes off the table, compiled for the default target: inlined into the
// AVX-512 function it would be fused into FMAs.
[[gnu::noinline]] static double scale_scalar(const FastTable& table, double x) { return table.scale(x); }
__attribute__((target("avx512f"), always_inline)) inline __m512d product(__m512d a, __m512d b) {
  __m512d p = _mm512_mul_pd(a, b);
  asm("" : "+v"(p));
  return p;
}
__attribute__((target("avx512f,avx512dq"))) void FastTable::scale_avx512(const double* in, double* out,
                                                                         std::size_t n) const {
  const __m512d zero = _mm512_setzero_pd(), vx1 = _mm512_set1_pd(exact_.zero_point());
  const __m512d lo = _mm512_set1_pd(u_lo_), hi = _mm512_set1_pd(u_hi_);
  const __m512d fraction = _mm512_set1_pd(kFraction);
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(kMask));
  const __m512i base = _mm512_set1_epi64(static_cast<long long>(base_));
  const __m512i two52_bits = _mm512_set1_epi64(0x4330000000000000LL);
  const __m512d two52 = _mm512_set1_pd(4503599627370496.0);
  const double* c = coefficients_.data();
  const __m512i one = _mm512_set1_epi64(1);
  __m512i built = _mm512_set1_epi64(static_cast<long long>(built_.load(std::memory_order_acquire)));
  // (The maskz forms of shifts and gathers: GCC 12 warns about the plain ones' undefined source.)
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d x = _mm512_loadu_pd(in + i);
    const __mmask8 positive = _mm512_cmp_pd_mask(x, zero, _CMP_GE_OQ);  // x >= 0 (NaN: false)
    const __m512d u = _mm512_mask_blend_pd(positive, _mm512_sub_pd(zero, x), x);
    const __mmask8 on = _mm512_cmp_pd_mask(u, lo, _CMP_GE_OQ) & _mm512_cmp_pd_mask(u, hi, _CMP_LT_OQ);
    const __m512i bits = _mm512_castpd_si512(u);
    const __m512i row = _mm512_sub_epi64(_mm512_maskz_srli_epi64(0xFF, bits, kShift), base);
    const __m512i octave = _mm512_maskz_srli_epi64(0xFF, row, kBinsPerOctaveLog2);
    const __mmask8 ready = _mm512_mask_test_epi64_mask(on, _mm512_maskz_srlv_epi64(0xFF, built, octave), one);
    if (ready != 0xff) {  // off the table, or an octave not built yet: the scalar form
      for (std::size_t k = i; k < i + 8; ++k) out[k] = scale_scalar(*this, in[k]);
      if (on == 0xff) built = _mm512_set1_epi64(static_cast<long long>(built_.load(std::memory_order_acquire)));
      continue;
    }
    const __m512i index =  // row * 6
        _mm512_add_epi64(_mm512_maskz_slli_epi64(0xFF, row, 2), _mm512_maskz_slli_epi64(0xFF, row, 1));
    const __m512d t =
        product(_mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(_mm512_and_si512(bits, mask), two52_bits)), two52),
                fraction);
    // Each lane's row of six coefficients by one load (gathers are slow on some CPUs), then
    // transposed: r[j] holds lane j's c0..c5 (and two values of the next row, unused).
    alignas(64) std::int64_t at[8];
    _mm512_store_si512(at, index);
    __m512d r[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm512_loadu_pd(c + at[j]);
    // Pairs of rows (a: 128-bit lane k holds two rows' element 2k, or 2k + 1), then four, then
    // all eight (c_k: element k of every row).
    __m512d a[8], b[8];
    for (int j = 0; j < 8; j += 2) {
      a[j] = _mm512_maskz_unpacklo_pd(0xFF, r[j], r[j + 1]);
      a[j + 1] = _mm512_maskz_unpackhi_pd(0xFF, r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4)
      for (int k = 0; k < 2; ++k) {
        b[j + 2 * k] = _mm512_maskz_shuffle_f64x2(0xFF, a[j + k], a[j + k + 2], 0x88);
        b[j + 2 * k + 1] = _mm512_maskz_shuffle_f64x2(0xFF, a[j + k], a[j + k + 2], 0xDD);
      }
    // b[0..3]: elements {0,4}, {2,6}, {1,5}, {3,7} of rows 0-3; b[4..7] the same of rows 4-7.
    const __m512d c0 = _mm512_maskz_shuffle_f64x2(0xFF, b[0], b[4], 0x88);
    const __m512d c4 = _mm512_maskz_shuffle_f64x2(0xFF, b[0], b[4], 0xDD);
    const __m512d c2 = _mm512_maskz_shuffle_f64x2(0xFF, b[1], b[5], 0x88);
    const __m512d c1 = _mm512_maskz_shuffle_f64x2(0xFF, b[2], b[6], 0x88);
    const __m512d c5 = _mm512_maskz_shuffle_f64x2(0xFF, b[2], b[6], 0xDD);
    const __m512d c3 = _mm512_maskz_shuffle_f64x2(0xFF, b[3], b[7], 0x88);
    __m512d d = _mm512_add_pd(c4, product(t, c5));
    d = _mm512_add_pd(c3, product(t, d));
    d = _mm512_add_pd(c2, product(t, d));
    d = _mm512_add_pd(c1, product(t, d));
    d = _mm512_add_pd(c0, product(t, d));
    _mm512_storeu_pd(out + i, _mm512_mask_blend_pd(positive, _mm512_sub_pd(vx1, d), _mm512_add_pd(vx1, d)));
  }
  if (i < n) scale_avx2(in + i, out + i, n - i);
}
#else
void FastTable::scale_avx512(const double* in, double* out, std::size_t n) const { scale_avx2(in, out, n); }
void FastTable::scale_avx2(const double* in, double* out, std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i) out[i] = scale(in[i]);
}
#endif

}  // namespace cytopipe::transform::detail
