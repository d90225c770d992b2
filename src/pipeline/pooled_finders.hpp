#pragma once
// Finders placed on the pooled events of a group of files (`pool:` factors, or control_percentile's
// `control:` files by `match:`): a pass over the member files before the samples are analysed;
// each file of a group then gets the group's gate as a fixed gate.
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/gating/finder.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "pipeline/analyse.hpp"
#include "pipeline/run_steps.hpp"
#include "cytopipe/pipeline/samples.hpp"

namespace cytopipe::pipeline::detail {

// Every finder's pool:/match: or control: factor that is not one of `known` (the samples'
// factors): one Error per factor, at the gate's file:line, with the closest known factor and the
// factors there are. `validate` lists them all; a run refuses the first before reading a file.
std::vector<Error> unknown_pool_factors(const gating::GatingStrategy& strategy, const std::vector<std::string>& known);

// A pool group: one pooled finder's member files with one group key (the sample's levels of its
// pool:/match: factors; for control_percentile only the control: files), which get one gate.
struct PoolGroup {
  std::size_t gate = 0;               // index into the strategy's gates
  std::string key;                    // group_key over the finder's pool factors
  std::vector<std::size_t> members;   // sample indices, ascending
};
// Every pool group of the strategy over `samples`, in the order a run places them (by gate, then
// key).
std::vector<PoolGroup> pool_groups(const gating::GatingStrategy& strategy, const SampleSet& samples);
// The groups (indices into `groups`) whose gates the samples `files` are gated with: for every
// pooled finder, the group of each file's key.
std::vector<std::size_t> pool_groups_of(const gating::GatingStrategy& strategy, const SampleSet& samples,
                                        const std::vector<PoolGroup>& groups, const std::vector<std::size_t>& files);
bool has_pooled_finders(const gating::GatingStrategy& strategy);

// A group's placed gate, or why it has none.
using PlacedPool = std::variant<Plan::PooledGate, std::string>;
struct PlacedPools {
  std::vector<Failure> failures;   // member files that could not be read or gated, in sample order
  std::vector<PlacedPool> groups;  // one per selected group, in the order given
  bool stopped_early = false;      // options.fail_fast stopped at a failed file
};
// Reads the member files of the `selected` groups once and places each group's gate on its pooled
// events. A file is checked for every group it is a member of, so whether it fails does not
// depend on the groups asked for (a group placed alone gets the gate it gets in the whole run).
PlacedPools place_pool_groups(const Plan& plan, const SampleSet& samples, const std::vector<PoolGroup>& groups,
                              const std::vector<std::size_t>& selected, const RunOptions& options,
                              const RunSetup& setup);
// plan.pooled from the placed groups (`placed[u]` for groups[u]; nullopt: not placed here, its
// samples are not gated in this pass).
void assign_pooled(Plan& plan, const SampleSet& samples, const std::vector<PoolGroup>& groups,
                   const std::vector<std::optional<PlacedPool>>& placed);

// Places every pooled finder of plan.strategy, per group, into plan.pooled (per sample: the
// gates of its groups, or why it has none). Nothing to do for a strategy without pooled finders
// or in a frozen run. A pooled finder whose ancestors include another pooled finder is an Error.
void place_pooled_finders(Plan& plan, RunResult& result, const RunOptions& options, const RunSetup& setup);

// `strategy` with sample `index`'s pooled gates in place (a StageError "gate" when a group could
// not place one); `reports` (optional) gets what those finders saw.
gating::GatingStrategy with_pooled_gates(const Plan& plan, std::size_t index, gating::GatingStrategy strategy,
                                         std::vector<gating::FinderReport>* reports = nullptr);

}  // namespace cytopipe::pipeline::detail
