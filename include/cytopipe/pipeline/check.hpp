#pragma once
// Everything `validate` checks, in one pass: the strategy's populations, the sample sheet against
// the files, and every selected file's header (TEXT only, no event) against every channel or
// marker the panel, compensation, gates, thresholds, read-outs and tables use; then the design
// traps (threshold read on its own controls, groups smaller than the others). `run` refuses to
// start while there are errors.
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/samples.hpp"

namespace cytopipe::pipeline {

struct PipelineCheck {
  std::optional<gating::GatingStrategy> strategy;  // when it could be loaded
  std::optional<SampleSet> samples;                // when a sample list could be made
  std::vector<Error> errors;                       // each with file:line:column where known
  std::vector<std::string> warnings;               // located text
  bool ok() const { return errors.empty(); }
};

PipelineCheck check_pipeline(const Config& config);

// Each selected file's header against the names the config uses (part of check_pipeline). A
// file whose header cannot be read is added to `unreadable` (a run lists it in failures.csv and
// goes on with the others, so it does not stop the run).
std::vector<Error> header_problems(const Config& config, const gating::GatingStrategy& strategy,
                                   const SampleSet& samples, std::vector<std::string>& unreadable);

}  // namespace cytopipe::pipeline
