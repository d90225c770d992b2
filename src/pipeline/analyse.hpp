#pragma once
// What the runner does with one file: gate it with the strategy (plus the threshold gates of its
// group) and compute the statistics the read-outs and populations.csv need.
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/transform/compensation.hpp"

namespace cytopipe::pipeline::detail {

struct Plan {
  const Config* config = nullptr;
  gating::GatingStrategy strategy;          // as loaded (no threshold gates)
  std::optional<transform::Compensation> matrix;
  std::vector<Expression> readouts;         // parsed, in config order
  // Channel statistics per population the read-outs need.
  std::map<std::string, std::set<std::pair<std::string, Statistic>>> needed;
  std::vector<std::string> table_channels;  // populations.csv per-channel statistics ...
  std::vector<Statistic> table_statistics;  // ... for every population
  bool table_count = true, table_percent_parent = true, table_percent_total = true;
  // Resolved thresholds: gate index -> group key (match levels joined) -> threshold.
  std::vector<std::map<std::string, ResolvedThreshold>> thresholds;
};

Plan make_plan(const Config& config, gating::GatingStrategy strategy);

// "role=isotype, experiment=a|b", for messages.
std::string describe(const Selector& selector);

// The group key of a sample for threshold gate / read-out matching.
std::string group_key(const SampleEntry& sample, const std::vector<std::string>& factors);

struct PopulationRow {
  std::string population;
  std::string parent;
  std::string statistic;
  std::string channel;
  double value = 0;
};

struct SampleOutcome {
  bool analysed = false;
  std::optional<Failure> failure;      // set when not analysed
  std::vector<Failure> problems;       // analysed, but e.g. a threshold had no control
  SampleValues values;
  std::vector<PopulationRow> rows;
  std::size_t events = 0;
};

// Reads, gates and measures one sample. Never throws for a bad file: the outcome says why.
SampleOutcome analyse_sample(const Plan& plan, const SampleEntry& entry);

// Pass 1: the parent-population values of every threshold gate this control sample serves.
struct ControlOutcome {
  std::optional<Failure> failure;
  std::vector<std::pair<std::size_t, std::vector<double>>> values;  // gate index -> values
  std::size_t events = 0;
};
ControlOutcome measure_control(const Plan& plan, const SampleEntry& entry,
                               const std::vector<std::size_t>& gates);

}  // namespace cytopipe::pipeline::detail
