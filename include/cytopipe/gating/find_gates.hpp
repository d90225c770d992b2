#pragma once
// Placing a strategy's finder gates on one sample: each finder, in tree order, on its parent
// population's events; the result is the sample's own strategy with ordinary gates only.
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/finder.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

struct PlacedGates {
  GatingStrategy strategy;            // every finder placed (GateNode::finder unset)
  std::vector<FinderReport> reports;  // one per finder, in the order placed; fraction filled in
  GatingResults results;              // the sample gated with `strategy`
};

// Places every finder of `strategy` on `sample` and gates it. A strategy without finders is
// gated as gate_sample does. A finder that cannot place its gate (degenerate data) is an Error
// naming the gate and what it found.
PlacedGates place_gates(const GatingStrategy& strategy, const fcs::Sample& sample, const GateOptions& options = {});

// Gates `sample` with `strategy`, placing its finders first when it has any.
GatingResults gate_with_finders(const GatingStrategy& strategy, const fcs::Sample& sample,
                                const GateOptions& options = {});

}  // namespace cytopipe::gating
