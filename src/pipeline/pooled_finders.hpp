#pragma once
// Finders placed on the pooled events of a group of files (`pool:` factors, or control_percentile's
// `control:` files by `match:`): a pass over the member files before the samples are analysed;
// each file of a group then gets the group's gate as a fixed gate.
#include <cstddef>
#include <string>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/gating/finder.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "pipeline/analyse.hpp"
#include "pipeline/run_steps.hpp"

namespace cytopipe::pipeline::detail {

// Every finder's pool:/match: or control: factor that is not one of `known` (the samples'
// factors): one Error per factor, at the gate's file:line, with the closest known factor and the
// factors there are. `validate` lists them all; a run refuses the first before reading a file.
std::vector<Error> unknown_pool_factors(const gating::GatingStrategy& strategy, const std::vector<std::string>& known);

// Places every pooled finder of plan.strategy, per group, into plan.pooled (per sample: the
// gates of its groups, or why it has none). Nothing to do for a strategy without pooled finders
// or in a frozen run. A pooled finder whose ancestors include another pooled finder is an Error.
void place_pooled_finders(Plan& plan, RunResult& result, const RunOptions& options, const RunSetup& setup);

// `strategy` with sample `index`'s pooled gates in place (a StageError "gate" when a group could
// not place one); `reports` (optional) gets what those finders saw.
gating::GatingStrategy with_pooled_gates(const Plan& plan, std::size_t index, gating::GatingStrategy strategy,
                                         std::vector<gating::FinderReport>* reports = nullptr);

}  // namespace cytopipe::pipeline::detail
