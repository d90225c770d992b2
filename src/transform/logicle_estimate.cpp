// Automatic logicle parameters from data (Parks, Roederer & Moore 2006, "Estimating W").
#include <algorithm>
#include <cmath>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::transform {

LogicleEstimate estimate_logicle(std::span<const double> values, double T, double M, double A) {
  std::vector<double> negatives;
  double largest = -INFINITY;
  std::size_t finite = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    ++finite;
    largest = std::max(largest, v);
    if (v < 0) negatives.push_back(v);
  }
  if (finite == 0) throw Error("logicle(auto): no finite values to estimate the parameters from");
  if (!(T > 0)) T = largest;
  if (!(T > 0))
    throw Error("logicle(auto): the largest value is " + std::to_string(largest) +
                ", so there is no positive top of scale T; give T explicitly");
  if (!(M > 0)) throw Error("logicle(auto): M must be > 0");

  LogicleEstimate out;
  out.negatives = negatives.size();
  double W = 0;
  if (!negatives.empty()) {
    // 5th percentile of the negative values (type-7 quantile, as R's default).
    std::sort(negatives.begin(), negatives.end());
    const double h = 0.05 * static_cast<double>(negatives.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, negatives.size() - 1);
    const double r = negatives[lo] + (h - static_cast<double>(lo)) * (negatives[hi] - negatives[lo]);
    out.negative_percentile = r;
    // The linear region must reach |r|: W decades below the top of the (M - W) log decades.
    W = (M - std::log10(T / std::abs(r))) / 2;
  }
  // Keep within the Gating-ML constraints: 0 <= W <= M/2 and A <= M - 2W.
  W = std::clamp(W, 0.0, std::max(0.0, std::min(M / 2, (M - A) / 2)));
  out.params = Logicle{T, W, M, A};
  return out;
}

}  // namespace cytopipe::transform
