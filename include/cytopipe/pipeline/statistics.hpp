#pragma once
// Per-population statistics of one channel's values, and the percentile used to place
// control-derived thresholds. Values are gathered into a caller-owned buffer so the hot path does
// not allocate per population.
#include <cstdint>
#include <span>
#include <vector>

#include "cytopipe/pipeline/readout.hpp"

namespace cytopipe::pipeline {

// R's quantile type 7 (linear interpolation between order statistics), p in [0, 100].
// Reorders `values`; NaN when empty.
double percentile(std::vector<double>& values, double p);

// The statistic over `values` (reordered for median/rsd). NaN when empty; geomean over the
// positive values only (NaN when none); sd/cv need two values.
double compute_statistic(Statistic statistic, std::vector<double>& values);

// Copies values[i] for which member[i] != 0 into `out` (cleared first).
void gather(std::span<const double> values, std::span<const std::uint8_t> member, std::vector<double>& out);

}  // namespace cytopipe::pipeline
