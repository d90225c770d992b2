#pragma once
// What `cytopipe validate` and `cytopipe run --dry-run` print: the samples and their factors,
// the populations, threshold gates and read-outs of a pipeline.
#include <ostream>

#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/samples.hpp"

namespace cytopipe::pipeline {

void print_plan(std::ostream& out, const Config& config, const gating::GatingStrategy& strategy,
                const SampleSet& samples);

}  // namespace cytopipe::pipeline
