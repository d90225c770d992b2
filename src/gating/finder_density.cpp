#include "gating/finder_density.hpp"

#include <algorithm>
#include <cmath>

#include "cytopipe/error.hpp"

namespace cytopipe::gating::detail {

double quantile7(std::vector<double>& values, double p) {
  const double h = (static_cast<double>(values.size()) - 1) * std::clamp(p, 0.0, 1.0);
  const auto k = static_cast<std::size_t>(std::floor(h));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  const double lower = values[k];
  if (k + 1 >= values.size()) return lower;
  const double upper = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(k) + 1, values.end());
  return lower + (h - static_cast<double>(k)) * (upper - lower);
}

std::size_t Density::index_of(double x) const {
  const double i = std::round((x - lo) / step);
  if (!(i > 0)) return 0;
  return std::min(static_cast<std::size_t>(i), density.size() - 1);
}

Density kernel_density(std::span<const double> values, double adjust, const std::string& label, std::size_t grid) {
  const std::size_t n = values.size();
  std::vector<double> sorted(values.begin(), values.end());
  const double q001 = quantile7(sorted, 0.001), q999 = quantile7(sorted, 0.999);
  const double q25 = quantile7(sorted, 0.25), q75 = quantile7(sorted, 0.75);
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(n);
  double ss = 0;
  for (double v : values) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / static_cast<double>(n > 1 ? n - 1 : 1));
  const double iqr = (q75 - q25) / 1.34;
  const double spread = iqr > 0 ? std::min(sd, iqr) : sd;
  if (!(spread > 0) || !(q999 > q001))
    throw Error(label + ": all " + std::to_string(n) + " values are (nearly) equal (" + std::to_string(q001) +
                "): no density to place a gate on");
  Density d;
  d.bandwidth = 0.9 * spread * std::pow(static_cast<double>(n), -0.2) * adjust;
  const double lo = q001 - 3 * d.bandwidth, hi = q999 + 3 * d.bandwidth;
  d.lo = lo;
  d.step = (hi - lo) / static_cast<double>(grid - 1);
  // Linear binning: each value split between its two neighbouring grid points.
  std::vector<double> counts(grid, 0.0);
  for (double v : values) {
    const double pos = (v - lo) / d.step;
    if (!(pos >= 0) || pos > static_cast<double>(grid - 1)) continue;
    const auto i = static_cast<std::size_t>(pos);
    const double frac = pos - static_cast<double>(i);
    counts[i] += 1 - frac;
    if (i + 1 < grid) counts[i + 1] += frac;
  }
  const double h = d.bandwidth / d.step;  // bandwidth in grid steps
  const auto reach = static_cast<std::ptrdiff_t>(std::ceil(4 * h));
  std::vector<double> kernel(static_cast<std::size_t>(2 * reach + 1));
  for (std::ptrdiff_t k = -reach; k <= reach; ++k)
    kernel[static_cast<std::size_t>(k + reach)] = std::exp(-0.5 * (static_cast<double>(k) / h) * (static_cast<double>(k) / h));
  d.density.assign(grid, 0.0);
  for (std::size_t i = 0; i < grid; ++i) {
    if (counts[i] == 0) continue;
    const auto c = static_cast<std::ptrdiff_t>(i);
    for (std::ptrdiff_t k = std::max(-reach, -c); k <= reach && c + k < static_cast<std::ptrdiff_t>(grid); ++k)
      d.density[static_cast<std::size_t>(c + k)] += counts[i] * kernel[static_cast<std::size_t>(k + reach)];
  }
  return d;
}

std::vector<std::size_t> density_peaks(const Density& d, double min_peak) {
  const auto& f = d.density;
  const double top = *std::max_element(f.begin(), f.end());
  std::vector<std::size_t> maxima;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const bool left = i == 0 || f[i] > f[i - 1];
    const bool right = i + 1 == f.size() || f[i] >= f[i + 1];
    if (left && right && f[i] >= min_peak * top && f[i] > 0) maxima.push_back(i);
  }
  std::sort(maxima.begin(), maxima.end(), [&](std::size_t a, std::size_t b) { return f[a] > f[b]; });
  std::vector<std::size_t> kept;
  for (std::size_t m : maxima) {
    bool distinct = true;
    for (std::size_t k : kept) {
      const auto [a, b] = std::minmax(m, k);
      const double dip = *std::min_element(f.begin() + static_cast<std::ptrdiff_t>(a), f.begin() + static_cast<std::ptrdiff_t>(b) + 1);
      if (dip > 0.8 * f[m]) distinct = false;
    }
    if (distinct) kept.push_back(m);
  }
  return kept;
}

double one_sided_sd(std::span<const double> values, double centre, bool below, std::vector<double>& scratch) {
  scratch.clear();
  for (double v : values)
    if (below ? v <= centre : v >= centre) scratch.push_back(std::abs(v - centre));
  if (scratch.empty()) return 0;
  return 1.4826 * quantile7(scratch, 0.5);
}

}  // namespace cytopipe::gating::detail
