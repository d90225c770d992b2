#pragma once
// Sharded runs, for a cluster's job array (see docs/sharded-runs.md): a threshold pass places the
// control-derived thresholds once, then each of N shard passes gates its 1/N of the samples with
// them and keeps per-sample results (counts, the statistics the read-outs and tables need, the
// report's histogram values), and a merge computes the read-outs, statistics, figures and report
// from those results: the tables of the whole run, byte for byte, without reading an event.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"

namespace cytopipe::pipeline {

// Shard `index` of `count`, counted from 1 (as Slurm numbers array tasks with --array=1-N).
struct Shard {
  std::size_t index = 1;
  std::size_t count = 1;
  bool operator==(const Shard&) const = default;
};

// "I/N" with whole numbers, 1 <= I <= N. Error naming the fault (not numbers, I = 0, I > N, N = 0)
// and the option it came from (--shard, or --control-group for a part of pass 1).
Shard parse_shard(std::string_view text, std::string_view option = "--shard");
std::string to_string(const Shard& shard);

// The shard (1..count) a sample belongs to: by a SHA-256 of its name (the file name, the key of
// every table), so it does not move when the inputs are listed in another order or other files
// are added or removed.
std::size_t shard_of(std::string_view sample_name, std::size_t count);

// What a pass did. `run` holds the pass's own samples (a shard's, or the controls).
struct PassResult {
  RunResult run;
  bool skipped = false;  // the folder already held this pass, complete, over unchanged inputs
  std::string note;      // why it was skipped
};

// Pass 1: the threshold gates' controls, each control group (a gate's controls of one group of its
// match factors) placed once, and each pooled finder's groups (the pooled events of a group's
// files) placed once. `part` K/M places every M-th group from the K-th of the run's list (control
// groups by gate, then group; then pool groups by gate, then group), so M array tasks split the
// groups; 1/1 places them all. A part whose controls are gated below a pooled finder places those
// controls' pool groups again for itself (the same gate; only their own part records them). thresholds.json
// (with run.json and failures.csv) into options.output_dir (required). With `force` false, a
// folder already holding this part over unchanged controls is left as it is.
PassResult run_threshold_pass(const Config& config, const RunOptions& options, bool force = false,
                              const Shard& part = {1, 1});

// How many groups pass 1 places over the config's current samples: its threshold gates' control
// groups and its pooled finders' groups (pool:, control:), each placed once by one part; the most
// parts worth splitting pass 1 into.
std::size_t control_group_count(const Config& config);
// Whether shards need pass 1: the config has threshold gates or its strategy pooled finders.
bool needs_threshold_pass(const Config& config);

// Pass 2: the samples of `shard`, gated with the thresholds of pass 1 (`thresholds`: its folder or
// its thresholds.json, or a folder whose subfolders hold the parts 1..M of a split pass 1; needed
// when the config has threshold gates or pooled finders); shard.json (per-sample results),
// run.json and failures.csv into options.output_dir (required). With `force` false, a folder
// already holding this shard over unchanged inputs and the same thresholds is left as it is.
PassResult run_shard(const Config& config, const Shard& shard, const std::optional<std::filesystem::path>& thresholds,
                     const RunOptions& options, bool force = false);

// Why `folder` does not hold a finished pass 1 / shard of `config` over its current inputs (empty:
// it does, and a rerun would skip it). `thresholds` as for run_shard.
std::string threshold_pass_outdated(const Config& config, const std::filesystem::path& folder,
                                    const Shard& part = {1, 1});
std::string shard_outdated(const Config& config, const Shard& shard, const std::filesystem::path& folder,
                           const std::optional<std::filesystem::path>& thresholds);

// Combines the shard folders of one config into the outputs of the whole run (options.output_dir,
// else the config's outputs.directory), published as one set like a run's. Errors naming the
// folder or sample for: a folder without a finished shard, shards of another config or another
// count, a shard given twice, missing shards (all named), a sample of the design in no shard or
// in two, a config or input changed since the shards ran.
RunResult merge_shards(const std::vector<std::filesystem::path>& shard_folders, const RunOptions& options);

}  // namespace cytopipe::pipeline
