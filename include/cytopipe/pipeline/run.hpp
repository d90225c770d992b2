#pragma once
// Running a pipeline over its samples: control-derived thresholds first, then every sample through
// read -> compensate -> panel -> gate -> statistics in a bounded TBB pipeline, then read-outs,
// dose-response statistics, tables, plots and the report.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/pipeline/samples.hpp"

namespace cytopipe::pipeline {

struct RunOptions {
  int threads = 0;                   // 0 = all hardware threads
  std::size_t files_in_flight = 0;   // 0 = as many as threads
  bool fail_fast = false;            // stop at the first failed file
  bool progress = true;              // a bar on a terminal, plain lines otherwise
  bool hash_inputs = true;           // SHA-256 of every input in run.json (of the bytes decoded)
  // Carry a hash over from the output folder's previous run.json when the file is unchanged
  // since (same size, inode, device, mtime and ctime, last changed > 1 s before that run).
  bool reuse_hashes = true;
  std::optional<std::filesystem::path> output_dir;  // overrides outputs.directory
  std::ostream* log = nullptr;       // progress and notices (nullptr: std::cerr)
  // A previous run's gates_resolved.yaml: every file is gated with the strategy placed for it
  // there (finder gates and thresholds fixed as they were), no finder runs again.
  std::optional<std::filesystem::path> frozen_gates;
};

// A problem with one sample: the file could not be analysed, or one of its read-outs could not be
// computed. Listed in failures.csv.
struct Failure {
  std::string file;
  std::string stage;    // read, panel, compensate, gate, threshold, readout
  std::string reason;
};

// A control-derived threshold as resolved for one group of samples.
struct ResolvedThreshold {
  std::string gate;                          // ThresholdGate::name
  std::vector<std::pair<std::string, std::string>> group;  // match factor -> level
  std::vector<std::string> controls;         // control files pooled
  std::size_t control_events = 0;            // events of the parent population pooled
  double value = 0;                          // channel value; events above are positive
};

// A sample's acquisition QC as readouts.csv states it (configs with a qc: section).
struct QcSummary {
  std::string verdict;                       // pass, flagged, fail, not checked; empty: no QC ran
  double removed_pct = 0;                    // % of the file's events removed before gating
  std::string reason;
};

struct ReadoutRow {
  const SampleEntry* sample = nullptr;
  std::vector<double> values;                // one per config.readouts; NaN = not computed
  std::optional<QcSummary> qc;               // set when the config has a qc: section
};

struct RunResult {
  std::filesystem::path output_dir;
  SampleSet samples;
  std::vector<Failure> failures;
  // Not failures (the value is given, the exit code stays 0): read-outs whose denominator is
  // below min_events (stage low_count), files QC flagged, failed or could not check (stage qc).
  // Listed in warnings.csv (written only when there are any), the run summary and the report.
  std::vector<Failure> warnings;
  std::vector<ResolvedThreshold> thresholds;
  std::vector<ReadoutRow> readouts;
  std::vector<std::string> written;          // output files, relative to output_dir
  std::vector<std::string> summary_lines;    // key read-outs per group, for the console
  std::size_t files_failed = 0;              // samples that could not be analysed at all
  std::size_t events = 0;
  double seconds = 0;
  bool stopped_early = false;                // --fail-fast hit a failure
  // Whether this run's set replaced the output folder's. A run stopped early by --fail-fast
  // leaves a previous set as it was (its own set is published only into an empty folder).
  bool published = false;
};

// The populations a config can refer to: the strategy's and the threshold gates'. Errors (with
// the YAML location) for references to undefined populations or a threshold parent that is not a
// strategy population; for strategies that compensate themselves while the pipeline does too.
gating::GatingStrategy load_checked_strategy(const Config& config);
// The config's strategy as written (a strategy file, or a FlowJo workspace's group), unchecked.
gating::GatingStrategy load_config_strategy(const Config& config);
// Those problems of a loaded strategy, every one (load_checked_strategy throws them as one).
std::vector<Error> strategy_problems(const Config& config, const gating::GatingStrategy& strategy);

// Where the outputs go: --output, else outputs.directory (relative to the config's folder), else
// results/<name> under the current directory.
std::filesystem::path output_directory(const Config& config, const RunOptions& options);

// Runs everything and writes the outputs as one set (see docs/pipeline-config.md, "Outputs"): the
// output folder is locked for the run and gets the new set in one step, or keeps the old one.
// Errors for problems that make the whole run meaningless (config, no samples, unwritable output
// folder, another run holding it); per-file problems end up in RunResult::failures.
RunResult run_pipeline(const Config& config, const RunOptions& options = {});

}  // namespace cytopipe::pipeline
