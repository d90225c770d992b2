// Natural logs by libmvec's vector log, loaded at first use (see vector_log.hpp).
#include "gating/vector_log.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

#if defined(__x86_64__) && defined(__linux__)
#include <dlfcn.h>
#include <immintrin.h>
#define CYTOPIPE_VECTOR_LOG 1
#endif

namespace cytopipe::gating::detail {
namespace {

void scalar_logs(std::span<const double> x, std::span<double> out) {
  for (std::size_t i = 0; i < x.size(); ++i)
    out[i] = std::isfinite(x[i]) && x[i] > 0 ? std::log(x[i]) : 0.0;
}

#ifdef CYTOPIPE_VECTOR_LOG
// libmvec's entry points by the x86-64 vector function ABI names: 8 lanes for AVX-512, 4 for AVX2.
using Log8 = __m512d (*)(__m512d);
using Log4 = __m256d (*)(__m256d);

struct VectorLog {
  Log8 log8 = nullptr;
  Log4 log4 = nullptr;
};

const VectorLog& vector_log() {
  static const VectorLog loaded = [] {
    VectorLog v;
    const bool avx512 = __builtin_cpu_supports("avx512f") && std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      std::getenv("CYTOPIPE_NO_AVX2") == nullptr;
    if (!avx512 && !avx2) return v;
    // Kept loaded for the process's life (never closed: its functions may be called until exit).
    void* library = ::dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) return v;
    if (avx512) v.log8 = reinterpret_cast<Log8>(::dlsym(library, "_ZGVeN8v_log"));
    if (avx2) v.log4 = reinterpret_cast<Log4>(::dlsym(library, "_ZGVdN4v_log"));
    return v;
  }();
  return loaded;
}

// Lanes that are not finite and positive take log(1) and are then zeroed; the last few values by
// a masked load (1 in the lanes past the end), so no lane reads past x.
__attribute__((target("avx512f"))) void logs_avx512(Log8 log8, std::span<const double> x, std::span<double> out) {
  const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
  const __m512d infinity = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < x.size(); i += 8) {
    const std::size_t left = x.size() - i;
    const auto lanes = static_cast<__mmask8>(left >= 8 ? 0xFF : (1u << left) - 1);
    const __m512d v = _mm512_mask_loadu_pd(one, lanes, x.data() + i);
    const __mmask8 logged = _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ) & _mm512_cmp_pd_mask(v, infinity, _CMP_LT_OQ);
    const __m512d y = log8(_mm512_mask_blend_pd(logged, one, v));
    _mm512_mask_storeu_pd(out.data() + i, lanes, _mm512_maskz_mov_pd(logged, y));
  }
}

__attribute__((target("avx2,fma"))) void logs_avx2(Log4 log4, std::span<const double> x, std::span<double> out) {
  const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
  const __m256d infinity = _mm256_set1_pd(std::numeric_limits<double>::infinity());
  std::size_t i = 0;
  for (; i + 4 <= x.size(); i += 4) {
    const __m256d v = _mm256_loadu_pd(x.data() + i);
    const __m256d logged =
        _mm256_and_pd(_mm256_cmp_pd(v, zero, _CMP_GT_OQ), _mm256_cmp_pd(v, infinity, _CMP_LT_OQ));
    const __m256d y = log4(_mm256_blendv_pd(one, v, logged));
    _mm256_storeu_pd(out.data() + i, _mm256_and_pd(y, logged));
  }
  scalar_logs(x.subspan(i), out.subspan(i));
}
#endif

}  // namespace

void logs_of_positive(std::span<const double> x, std::span<double> out) {
#ifdef CYTOPIPE_VECTOR_LOG
  const VectorLog& v = vector_log();
  if (v.log8) return logs_avx512(v.log8, x, out);
  if (v.log4) return logs_avx2(v.log4, x, out);
#endif
  scalar_logs(x, out);
}

}  // namespace cytopipe::gating::detail
