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
}  // namespace

FastTable::FastTable(const Biexponential& exact) : exact_(exact) {
  const int e_top = std::ilogb(exact.top());
  const int e_lo = std::max(e_top - kOctavesBelowT, -1021);
  const int e_hi = std::min(e_top + kOctavesAboveT, 1023);
  u_lo_ = std::ldexp(1.0, e_lo);
  u_hi_ = std::ldexp(1.0, e_hi);
  base_ = std::bit_cast<std::uint64_t>(u_lo_) >> kShift;
  const std::size_t bins = (std::bit_cast<std::uint64_t>(u_hi_) >> kShift) - base_;

  struct Node {
    double u, value, first, second;  // δ and its derivatives in u
  };
  // Columns u, δ, δ', δ'' at every bin edge (huge-page storage, as coefficients_).
  fcs::EventMatrix edges(bins + 1, 4);
  for (std::size_t k = 0; k <= bins; ++k) {
    const double u = std::bit_cast<double>((base_ + k) << kShift);
    const double delta = exact.delta(u);
    const double g1 = exact.g1(delta);
    const double g2 = exact.g2(delta);
    edges.column(0)[k] = u;
    edges.column(1)[k] = delta;
    edges.column(2)[k] = 1 / g1;
    edges.column(3)[k] = -g2 / (g1 * g1 * g1);
  }
  const auto node = [&](std::size_t k) {
    return Node{edges.column(0)[k], edges.column(1)[k], edges.column(2)[k], edges.column(3)[k]};
  };

  coefficients_ = fcs::EventMatrix(bins * 6, 1);
  for (std::size_t k = 0; k < bins; ++k) {
    const Node n0 = node(k);
    const Node n1 = node(k + 1);
    const long double h = static_cast<long double>(n1.u) - n0.u;
    const long double p0 = n0.value, p1 = n1.value;
    const long double d0 = h * n0.first, d1 = h * n1.first;
    const long double s0 = h * h * n0.second, s1 = h * h * n1.second;
    // p(t) = Σ c_i t^i with p, p', p'' matching at t = 0 and t = 1.
    const long double rest = p1 - p0 - d0 - s0 / 2;  // c3 + c4 + c5
    const long double slope = d1 - d0 - s0;          // 3 c3 + 4 c4 + 5 c5
    const long double bend = s1 - s0;                // 6 c3 + 12 c4 + 20 c5
    double* c = coefficients_.data() + k * 6;
    c[0] = static_cast<double>(p0);
    c[1] = static_cast<double>(d0);
    c[2] = static_cast<double>(s0 / 2);
    c[3] = static_cast<double>(10 * rest - 4 * slope + bend / 2);
    c[4] = static_cast<double>(-15 * rest + 7 * slope - bend);
    c[5] = static_cast<double>(6 * rest - 3 * slope + bend / 2);
  }

  const double g1 = exact.g1(0);
  const double g2 = exact.g2(0);
  taylor1_ = 1 / g1;
  taylor2_ = -g2 / (2 * g1 * g1 * g1);
}

void FastTable::scale(std::span<const double> in, std::span<double> out) const {
#ifdef CYTOPIPE_FAST_TABLE_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2") && std::getenv("CYTOPIPE_NO_AVX2") == nullptr;
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
#else
void FastTable::scale_avx2(const double* in, double* out, std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i) out[i] = scale(in[i]);
}
#endif

}  // namespace cytopipe::transform::detail
