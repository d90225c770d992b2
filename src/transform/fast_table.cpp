// Building the fast table: exact δ, δ', δ'' at every bin edge, one quintic Hermite per bin.
#include "transform/fast_table.hpp"

#include <algorithm>
#include <cmath>

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
  std::vector<Node> nodes(bins + 1);
  for (std::size_t k = 0; k <= bins; ++k) {
    const double u = std::bit_cast<double>((base_ + k) << kShift);
    const double delta = exact.delta(u);
    const double g1 = exact.g1(delta);
    const double g2 = exact.g2(delta);
    nodes[k] = {u, delta, 1 / g1, -g2 / (g1 * g1 * g1)};
  }

  coefficients_.resize(bins * 6);
  for (std::size_t k = 0; k < bins; ++k) {
    const Node& n0 = nodes[k];
    const Node& n1 = nodes[k + 1];
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

}  // namespace cytopipe::transform::detail
