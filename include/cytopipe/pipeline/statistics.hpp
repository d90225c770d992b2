#pragma once
// The per-channel statistics read-outs and populations.csv ask for, computed only when asked
// (gating::population_statistics computes every statistic at once, too slow for the batch path).
// Thresholds use gating::percentile.
#include <cstdint>
#include <span>
#include <vector>

#include "cytopipe/pipeline/readout.hpp"

namespace cytopipe::pipeline {

// The statistic over `values` (reordered for median/rsd). NaN when empty; geomean over the
// positive values only (NaN when none); sd/cv need two values.
double compute_statistic(Statistic statistic, std::vector<double>& values);

}  // namespace cytopipe::pipeline
