#pragma once
// The steps of a run, shared by the whole run (run.cpp), its sharded passes (shard.cpp) and the
// merge of the shards (merge.cpp), so all three compute and write the same tables the same way.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <ostream>
#include <vector>

#include "pipeline/analyse.hpp"
#include "pipeline/input_hashes.hpp"
#include "pipeline/outputs.hpp"

namespace cytopipe::pipeline::detail {

using Clock = std::chrono::steady_clock;
inline double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Where progress goes and how many files are worked on at once.
struct RunSetup {
  std::ostream* log = nullptr;
  bool terminal = false;
  int threads = 1;
  std::size_t in_flight = 1;
};
RunSetup run_setup(const RunOptions& options);

// The samples that serve as a control of some threshold gate (indices into `samples`).
std::vector<std::size_t> control_samples(const Config& config, const SampleSet& samples);

// A control group: the controls one threshold gate pools for one group key (the match factors'
// levels), which get one threshold.
struct ControlGroup {
  std::size_t gate = 0;               // config.gating.thresholds index
  std::string key;                    // group_key over the gate's match factors
  std::vector<std::size_t> controls;  // sample indices, ascending
};
// Every control group of the config over `samples`, in the order a run lists its thresholds (by
// gate, then by key).
std::vector<ControlGroup> control_groups(const Config& config, const SampleSet& samples);

// What placing some control groups gave.
struct PlacedGroups {
  // Controls that could not be measured, in sample order (each once).
  std::vector<Failure> control_failures;
  struct Group {
    std::optional<ResolvedThreshold> threshold;  // none: no control measured, or all empty
    std::vector<Failure> failures;               // the group's controls had an empty parent population
  };
  std::vector<Group> groups;  // one per selected group, in the order given
  std::size_t events = 0;     // events of the controls read
  bool stopped_early = false; // options.fail_fast stopped at a failed control
  std::map<std::size_t, PlacedFinders> placed_finders;  // sample index -> finders placed on that control
};
// Reads each control of the `selected` groups once and places their thresholds. A control is
// measured for every gate it serves, so whether it fails does not depend on the groups asked for
// (a group placed alone gets the threshold it gets in the whole run).
PlacedGroups place_control_groups(const Plan& plan, const SampleSet& samples, const std::vector<ControlGroup>& groups,
                                  const std::vector<std::size_t>& selected, const RunOptions& options,
                                  const RunSetup& setup);

// Pass 1: every control group placed (plan.thresholds, result.thresholds); problems go to
// result.failures (the controls' first, then the groups').
void resolve_thresholds(Plan& plan, RunResult& result, const RunOptions& options, const RunSetup& setup);

// Pass 2 over the samples `selected` (indices, ascending): each outcome and input hash into
// `outcomes[i]` / `hashes[i]`; events, failures and problems into `result` in sample order.
// `done`, if given, sees each outcome first, in sample order (a shard writes its sheet out).
void analyse_samples(const Plan& plan, RunResult& result, const std::vector<std::size_t>& selected,
                     const RunOptions& options, const RunSetup& setup, std::vector<SampleOutcome>& outcomes,
                     std::vector<InputHash>& hashes,
                     const std::function<void(std::size_t sample, SampleOutcome& outcome)>& done = {});

// Read-outs (they need every sample: controls are other samples), then every table, figure, the
// report, failures.csv and run.json into `dir`.
void write_outputs(const Plan& plan, const std::vector<SampleOutcome>& outcomes, RunResult& result,
                   const std::filesystem::path& dir, Timings& timings, Clock::time_point t0,
                   const std::vector<InputHash>& hashes, std::int64_t started_unix_ns);

std::int64_t unix_ns(std::chrono::system_clock::time_point t);

}  // namespace cytopipe::pipeline::detail
