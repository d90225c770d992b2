#pragma once
// One-dimensional pieces the finders share: finite values, quantiles, a binned Gaussian kernel
// density estimate and its peaks. Each works on whole arrays (no per-event allocation).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cytopipe::gating::detail {

class ValueOrder;

// Type-7 quantile of `values` (may reorder them). `values` must not be empty.
double quantile7(std::vector<double>& values, double p);
double quantile7(std::span<double> values, double p);

// A kernel density estimate on an even grid: density[i] at position lo + i * step.
struct Density {
  double lo = 0, step = 1, bandwidth = 0;
  std::vector<double> density;
  std::optional<double> least;  // the smallest value, where the estimate's pass found it (not 0)
  double at(std::size_t i) const { return lo + static_cast<double>(i) * step; }
  std::size_t index_of(double x) const;
};

// Gaussian KDE with Silverman's bandwidth times `adjust`, binned on `grid` points over the
// central values (the 0.1 % tails beyond 3 bandwidths are not drawn). Throws Error naming
// `label` when the values have no spread.
// `order`, when given, holds the same values (exact()) and answers the quantiles.
Density kernel_density(std::span<const double> values, double adjust, const std::string& label,
                       std::size_t grid = 512, ValueOrder* order = nullptr);

// Indices of the density's peaks, highest first: local maxima at least `min_peak` x the highest,
// and a lower peak only when the density dips below 80 % of it between it and every higher peak
// kept (a shoulder or a noise ripple is not a second population).
std::vector<std::size_t> density_peaks(const Density& d, double min_peak);

// The smallest value (the first of equal ones, as std::min_element), in parallel on large inputs.
// `values` must not be empty.
double minimum(std::span<const double> values);

// The largest of `start` and the values, as a loop of m = std::max(m, v) from m = start gives it.
double maximum(std::span<const double> values, double start);

// 1.4826 x the median distance from `centre` of the values on one side of it (below when
// `below`): the spread of a peak measured on the side away from a tail or a second population.
double one_sided_sd(std::span<const double> values, double centre, bool below, ValueOrder* order = nullptr);

}  // namespace cytopipe::gating::detail
