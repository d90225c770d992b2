#pragma once
// Design traps that are valid YAML but give a number that does not mean what it says. Found from
// the config and the sample list alone (no event is read), for validate, run and the report.
#include <string>
#include <vector>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/samples.hpp"

namespace cytopipe::pipeline {

// A threshold gate placed on control samples that its read-outs then measure (CAR+ at the 99th
// percentile of NT, percent(CAR+ of tcells) read on NT): there the value is fixed by the
// percentile, not measured. One message per (gate, read-out), at the read-out's file:line:column.
struct DesignWarning {
  Location at;          // the read-out's expression in the config
  std::string message;  // without the location (the report quotes the read-out by name)
  std::string located() const {
    return at.file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " + message;
  }
};

std::vector<DesignWarning> threshold_control_warnings(const Config& config, const SampleSet& samples);

// A group of an analysis (per stratum) with fewer samples than the design's largest group: a
// replicate lost to a misspelled row or a missing file shows here, not only as a smaller n.
// One message per small group, at the analysis' file:line:column.
std::vector<DesignWarning> small_group_warnings(const Config& config, const SampleSet& samples);

// Both of the above: what validate, run and the report warn about.
std::vector<DesignWarning> design_warnings(const Config& config, const SampleSet& samples);

}  // namespace cytopipe::pipeline
