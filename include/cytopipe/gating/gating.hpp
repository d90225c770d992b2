#pragma once
// The gating stage: gates, strategies, YAML / Gating-ML I/O, evaluation, statistics.
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/gate.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "cytopipe/gating/strategy.hpp"
