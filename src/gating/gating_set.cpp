// One strategy over many samples: per-sample gates, control-derived thresholds, bounded gating
// over files.
#include "cytopipe/gating/gating_set.hpp"

#include <tbb/task_arena.h>

#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/statistics.hpp"

namespace cytopipe::gating {

std::vector<double> ControlThreshold::control_values(const fcs::Sample& control, const GatingResults& gated) const {
  const std::span<const double> values = control.values(channel);
  const PopulationResult& members = gated.at(parent);
  std::vector<double> out(members.count);
  gather(values, members.members, out);
  return out;
}

FinderSpec ControlThreshold::finder() const {
  FinderSpec spec;
  spec.method = FinderMethod::ControlPercentile;
  Dimension dimension;
  dimension.channel = channel;
  spec.dimensions = {std::move(dimension)};
  spec.percentile = percentile;
  spec.min_events = 1;  // any control event: the pipeline has always placed on what there is
  return spec;
}

double ControlThreshold::place(std::vector<double>& pooled) const {
  if (pooled.empty())
    throw Error("threshold gate '" + name + "': parent population '" + parent + "' has no events in the controls");
  // The control_percentile finder: one code path for thresholds and strategy finders.
  const std::span<const double> column(pooled);
  return *find_gate(finder(), std::span(&column, 1), "threshold gate '" + name + "'").report.cut;
}

GateNode ControlThreshold::gate(double value) const {
  RectangleGate range;
  Dimension dimension;
  dimension.channel = channel;
  range.dimensions.push_back(std::move(dimension));
  range.intervals.push_back(Interval{value, std::nullopt});
  GateNode node;
  node.id = name;
  node.parent = parent;
  node.gate = std::move(range);
  return node;
}

std::size_t in_flight_for(std::size_t requested) {
  if (requested > 0) return requested;
  return static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
}

GatingSet::GatingSet(GatingStrategy strategy, std::size_t samples)
    : strategy_(std::move(strategy)), sample_gates_(samples) {}

void GatingSet::add_sample_gate(std::size_t sample, GateNode gate) {
  if (sample >= size())
    throw Error("no sample " + std::to_string(sample) + " in a gating set of " + std::to_string(size()));
  sample_gates_[sample].push_back(std::move(gate));
}

const std::vector<GateNode>& GatingSet::sample_gates(std::size_t sample) const { return sample_gates_.at(sample); }

GatingStrategy GatingSet::strategy_for(std::size_t sample) const {
  GatingStrategy out = strategy_;
  for (const auto& gate : sample_gates_.at(sample)) out.add(gate);
  return out;
}

void GatingSet::gate(std::size_t in_flight, bool parallel_within_sample,
                     const std::function<fcs::Sample(std::size_t)>& load,
                     const std::function<bool(std::size_t, Gated&&)>& consume) const {
  GateOptions options;
  options.parallel = parallel_within_sample;
  stream<Gated>(
      in_flight,
      [&](std::size_t i) {
        Gated out{load(i), {}};
        // A sample without gates of its own is gated with the shared strategy itself (no copy);
        // finders are placed on each sample first.
        if (sample_gates_[i].empty()) out.results = gate_with_finders(strategy_, out.sample, options);
        else out.results = gate_with_finders(strategy_for(i), out.sample, options);
        return out;
      },
      consume);
}

}  // namespace cytopipe::gating
