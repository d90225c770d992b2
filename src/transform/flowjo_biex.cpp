// FlowJo's biex table. With w = log10(-width) the width in decades, FlowJo keeps `pos - w/2`
// decades above the linear region and `neg + w/2` below, puts the zero at a whole channel z and
// then stretches the positive decades so that z is exact. Above z the data value at channel c is
//   minimum * (exp(c/n * P) - s * exp(-c/n * N)) - (the same at z),   n = channels + 1,
// where P = ln10 * decades, minimum = maxRange / exp(P), N solves the logicle width condition
// 2 (ln N - ln P) + w' (P + N) = 0 with w' = w / (2 decades), and s = exp((P + N)(w' + e/decades))
// (e = the negative decades). Below z the table mirrors itself: value(c) = -value(2z - c).
#include "cytopipe/transform/flowjo_biex.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "cytopipe/error.hpp"

namespace cytopipe::transform {

FlowJoBiexTable::FlowJoBiexTable(double max_range, double width, double positive_decades,
                                 double negative_decades, std::size_t channels)
    : channels_(channels) {
  if (!(std::isfinite(max_range) && max_range > 0) || !(std::isfinite(width) && width <= -1) ||
      !(std::isfinite(positive_decades) && positive_decades > 0) || !std::isfinite(negative_decades) ||
      channels < 2)
    throw Error("FlowJo biex: maxRange > 0, width <= -1, pos > 0, finite neg and at least 2 channels are needed");
  const double w = std::log10(-width);
  double decades = positive_decades - w / 2;
  const double extra = std::max(negative_decades, 0.0) + w / 2;
  if (!(decades > 0)) throw Error("FlowJo biex: pos must exceed half the width's decades");
  const double r = static_cast<double>(channels);
  zero_ = static_cast<std::size_t>(std::floor(extra * r / (extra + decades)));
  zero_ = std::min(zero_, channels / 2);
  if (zero_ > 0) decades = extra * r / static_cast<double>(zero_);
  const double wn = w / (2 * decades);
  positive_range_ = std::numbers::ln10 * decades;
  minimum_ = max_range / std::exp(positive_range_);
  // N in (0, P]: g(N) = 2 (ln N - ln P) + wn (P + N) rises with N; bisection to full precision.
  const double P = positive_range_;
  auto g = [&](double n) { return 2 * (std::log(n) - std::log(P)) + wn * (P + n); };
  double lo = P * 1e-300, hi = P;
  if (g(hi) < 0) hi = P;  // wn = 0: N = P
  for (int i = 0; i < 2000 && hi - lo > 0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (g(mid) > 0 ? hi : lo) = mid;
  }
  negative_range_ = 0.5 * (lo + hi);
  negative_scale_ = std::exp((P + negative_range_) * (wn + extra / decades));
  offset_ = branch(static_cast<double>(zero_));
  values_.resize(channels + 1);
  for (std::size_t c = 0; c <= channels; ++c) values_[c] = data(static_cast<double>(c));
}

double FlowJoBiexTable::branch(double c) const {
  const double n = static_cast<double>(channels_ + 1);
  return std::exp(c / n * positive_range_) - negative_scale_ * std::exp(-c / n * negative_range_);
}

double FlowJoBiexTable::data(double c) const {
  const double z = static_cast<double>(zero_);
  if (c >= z) return minimum_ * (branch(c) - offset_);
  return -minimum_ * (branch(2 * z - c) - offset_);
}

double FlowJoBiexTable::channel(double x) const {
  if (std::isnan(x)) return x;
  const auto& v = values_;
  if (x >= v.front() && x <= v.back()) {
    const auto it = std::upper_bound(v.begin(), v.end(), x);
    if (it == v.end()) return static_cast<double>(channels_);
    const auto j = static_cast<std::size_t>(it - v.begin());  // v[j-1] <= x < v[j]
    return static_cast<double>(j - 1) + (x - v[j - 1]) / (v[j] - v[j - 1]);
  }
  // Beyond the table: widen a bracket, then bisect the continuous function.
  double lo = 0, hi = static_cast<double>(channels_);
  if (x > v.back()) {
    while (data(hi) < x && hi < 1e9) { lo = hi; hi *= 2; }
  } else {
    lo = -static_cast<double>(channels_);
    while (data(lo) > x && lo > -1e9) { hi = lo; lo *= 2; }
  }
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    (data(mid) < x ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace cytopipe::transform
