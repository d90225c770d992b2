#include "gating/linear_algebra.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace cytopipe::gating {

std::optional<std::vector<double>> invert_matrix(const std::vector<double>& a, std::size_t n) {
  if (a.size() != n * n || n == 0) return std::nullopt;
  std::vector<double> m = a;
  std::vector<double> inv(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) inv[i * n + i] = 1;
  double scale = 0;
  for (double v : a) {
    if (!std::isfinite(v)) return std::nullopt;
    scale = std::max(scale, std::abs(v));
  }
  if (scale == 0) return std::nullopt;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r)
      if (std::abs(m[r * n + col]) > std::abs(m[pivot * n + col])) pivot = r;
    if (std::abs(m[pivot * n + col]) <= 1e-12 * scale) return std::nullopt;
    if (pivot != col)
      for (std::size_t c = 0; c < n; ++c) {
        std::swap(m[pivot * n + c], m[col * n + c]);
        std::swap(inv[pivot * n + c], inv[col * n + c]);
      }
    const double p = m[col * n + col];
    for (std::size_t c = 0; c < n; ++c) {
      m[col * n + c] /= p;
      inv[col * n + c] /= p;
    }
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = m[r * n + col];
      if (f == 0) continue;
      for (std::size_t c = 0; c < n; ++c) {
        m[r * n + c] -= f * m[col * n + c];
        inv[r * n + c] -= f * inv[col * n + c];
      }
    }
  }
  return inv;
}

}  // namespace cytopipe::gating
