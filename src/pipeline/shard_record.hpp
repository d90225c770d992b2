#pragma once
// What the sharded passes leave for the next: thresholds.json (pass 1) and shard.json (pass 2),
// as JSON whose numbers read back to the same doubles (NaN and infinities as strings), so a merge
// computes from them exactly what the whole run computes from its own outcomes.
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "cytopipe/pipeline/shard.hpp"
#include "pipeline/analyse.hpp"
#include "pipeline/input_hashes.hpp"

namespace cytopipe::pipeline::detail {

using Json = nlohmann::ordered_json;

inline constexpr const char* kThresholdsFile = "thresholds.json";
inline constexpr const char* kShardFile = "shard.json";
// A shard's gating sheets: sheets/FILE.json per sample (sheet_record.hpp).
inline constexpr const char* kSheetsFolder = "sheets";
inline std::filesystem::path sheet_file(const std::string& sample_name) {
  return std::filesystem::path(kSheetsFolder) / (sample_name + ".json");
}
// 2: thresholds.json holds one part of the control groups (run --thresholds-only --control-group).
// 3: ... and of the pooled finders' groups, with the files it read.
inline constexpr int kRecordFormat = 3;

// A sample's path as records hold it: absolute, so passes run from other folders agree.
std::string record_path(const std::filesystem::path& file);

Json number_json(double value);
double number_of(const Json& value);

Json failure_json(const Failure& failure);
Failure failure_of(const Json& json);

std::optional<FileIdentity> identity_of(const Json& json);

// One sample's outcome and input hash.
Json outcome_json(const SampleEntry& entry, const SampleOutcome& outcome, const InputHash& hash);
void read_outcome(const Json& json, SampleOutcome& outcome, InputHash& hash);

// The thresholds pass 1 placed and the problems it met, as pass 2 and the merge use them.
struct PlacedThresholds {
  std::vector<std::size_t> gate;             // config.gating.thresholds index of each threshold
  std::vector<ResolvedThreshold> thresholds;
  // Pooled finders' gates, one per pool group (pooled_finders.hpp), in the run's order: the gate
  // placed on the group's pooled events, or why there is none.
  struct Pooled {
    std::string gate;  // the finder's gate id
    std::string key;   // the group's key
    std::variant<Plan::PooledGate, std::string> placed;
  };
  std::vector<Pooled> pooled;
  // The pool members' failures, then the controls', then the groups', as a whole run lists them.
  std::vector<Failure> failures;
};
// What a finder saw, as records hold it (shard.json's samples, pass 1's pool groups).
Json finder_report_json(const gating::FinderReport& report);
gating::FinderReport finder_report_of(const Json& json);
// A pool group's gate or problem, as placed_json lists it.
Json pooled_json(const PlacedThresholds::Pooled& pooled);
PlacedThresholds::Pooled pooled_of(const Json& json);
Json placed_json(const Config& config, const PlacedThresholds& placed);
// One placed threshold (of gate `gate_name`), as placed_json lists it.
Json threshold_json(const std::string& gate_name, const ResolvedThreshold& threshold);
ResolvedThreshold threshold_of(const Json& json);
PlacedThresholds read_placed(const Config& config, const Json& json, const std::string& source);
// plan.thresholds from them (for plan_sample_gates), and plan.pooled for `samples` (a pool group
// the record lacks is a problem of its samples, never a gate left unplaced).
void apply(const PlacedThresholds& placed, Plan& plan, const SampleSet& samples);

// What identifies the config a pass ran: its hash, the strategy's and the sample sheet's, and the
// cytopipe version. Two passes of one sharded run have equal fingerprints.
Json fingerprint(const Config& config);

// A JSON file read whole; Error naming the file when it is missing or not JSON.
Json read_record_json(const std::filesystem::path& file);
// A record file read as JSON; Error naming the file when it is missing or not a record of `kind`.
Json read_record(const std::filesystem::path& file, const std::string& kind);

// Whether a file still holds the bytes recorded (`sha256`, hashed with `identity` by a pass that
// started at `started_ns`): unchanged identity long enough before, else hashed again.
bool unchanged(const std::filesystem::path& file, const std::string& sha256, const std::optional<FileIdentity>& identity,
               std::int64_t started_ns);

}  // namespace cytopipe::pipeline::detail
