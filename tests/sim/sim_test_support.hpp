#pragma once
// Helpers for the simulator tests: the committed design, and an independent matrix inverse to
// compensate with (so the tests do not reuse the code they check).
#include <array>
#include <cmath>
#include <filesystem>
#include <utility>
#include <vector>

#include "cytopipe/sim/design.hpp"

namespace cytopipe::sim::test {

inline std::filesystem::path repo() { return CYTOPIPE_SOURCE_DIR; }
inline Design committed_design() { return load_design(repo() / "sample_fcs" / "design.yaml"); }

// Inverse by Gaussian elimination on an augmented matrix (row-major n x 2n).
inline std::vector<std::vector<double>> invert(std::vector<std::vector<double>> a) {
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i) {
    a[i].resize(2 * n, 0.0);
    a[i][n + i] = 1.0;
  }
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t best = c;
    for (std::size_t r = c; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[best][c])) best = r;
    std::swap(a[c], a[best]);
    const double p = a[c][c];
    for (auto& v : a[c]) v /= p;
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (std::size_t k = 0; k < 2 * n; ++k) a[r][k] -= f * a[c][k];
    }
  }
  std::vector<std::vector<double>> inv(n, std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) inv[i][j] = a[i][n + j];
  return inv;
}

inline double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

}  // namespace cytopipe::sim::test
