#include "cytopipe/gating/find_gates.hpp"

#include <set>

#include "cytopipe/error.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "gating/columns.hpp"
#include "gating/finder_select.hpp"

namespace cytopipe::gating {
namespace {

// The gates whose populations the finders placeable now read: each such finder's parent and,
// recursively, those populations' parents and boolean operands (a branch no finder of this
// round reads, e.g. the beads beside the cells, is not gated again every round). Empty when
// every gate is wanted or a reference does not resolve (then the caller keeps them all).
std::set<std::size_t> gates_read(const GatingStrategy& strategy, const std::set<std::string>& doomed) {
  std::set<std::size_t> read;
  std::vector<std::string> todo;
  for (const auto& node : strategy.gates())
    if (node.finder && !node.parent.empty() && !doomed.contains(node.parent)) todo.push_back(node.parent);
  std::set<std::string> seen;
  try {
    while (!todo.empty()) {
      const std::string ref = std::move(todo.back());
      todo.pop_back();
      const auto population = strategy.find_population(ref);
      if (!population) return {};
      if (!seen.insert(population->name).second) continue;
      read.insert(population->gate);
      if (!population->parent.empty()) todo.push_back(population->parent);
      if (const auto* b = std::get_if<BooleanGate>(&strategy.gates()[population->gate].gate))
        for (const auto& o : b->operands) todo.push_back(o.population);
    }
  } catch (const Error&) {
    return {};  // an ambiguous reference: gate_sample names it
  }
  return read;
}

// The strategy without the populations that depend (as children or boolean operands) on a gate
// still to be placed.
GatingStrategy placed_part(const GatingStrategy& strategy) {
  std::set<std::string> doomed;
  std::set<std::size_t> doomed_gates;
  const auto& gates = strategy.gates();
  for (const auto& p : strategy.populations()) {
    const GateNode& node = gates[p.gate];
    bool out = node.finder.has_value() || doomed.contains(p.parent);
    if (const auto* b = std::get_if<BooleanGate>(&node.gate))
      for (const auto& o : b->operands) out = out || doomed.contains(o.population);
    if (out) {
      doomed.insert(p.name);
      doomed_gates.insert(p.gate);
    }
  }
  const std::set<std::size_t> read = gates_read(strategy, doomed);
  GatingStrategy part;
  part.name = strategy.name;
  for (const auto& [id, m] : strategy.matrices()) part.add_matrix(id, m);
  for (std::size_t g = 0; g < gates.size(); ++g)
    if (!doomed_gates.contains(g) && (read.empty() || read.contains(g))) part.add(gates[g]);
  return part;
}

}  // namespace

PlacedGates place_gates(const GatingStrategy& strategy, const fcs::Sample& sample, const GateOptions& options) {
  // Every gate's channels first, so a missing one is named with its gate and line before any
  // finder reads a column.
  strategy.check_sample(sample);
  PlacedGates out;
  out.strategy = strategy;
  // One buffer per dimension, lent by the finders' pool: fresh ones were page-faulted in on every
  // file.
  struct Gathered {
    std::vector<std::vector<double>> buffers;
    ~Gathered() {
      for (auto& b : buffers) detail::ValueBuffers::shared().give(std::move(b));
    }
  } gathered;
  // One column cache for every finder of the sample: a scaled column is computed once, and only
  // for the 64-event words of the finder's parent (no transform paid for debris a finder below
  // the scatter gate never looks at).
  // The rounds' gatings and the last one share it too: a scaled column a placed gate reads (the
  // log of FSC-A of the scatter gate) is not computed again in every later round.
  ColumnCache cache(out.strategy, sample, options.parallel);
  GateOptions shared = options;
  shared.columns = &cache;
  while (out.strategy.has_finders()) {
    const GatingStrategy part = placed_part(out.strategy);
    const GatingResults partial = gate_sample(part, sample, shared);
    bool placed = false;
    // By index, not over a copy of every gate: replace() changes a gate in place, and a gate
    // placed in this round is no longer a finder when reached (it is never reached twice).
    for (std::size_t g = 0; g < out.strategy.gates().size(); ++g) {
      const GateNode& node = out.strategy.gates()[g];
      if (!node.finder) continue;
      const PopulationResult* parent = node.parent.empty() ? nullptr : partial.find(node.parent);
      if (!node.parent.empty() && !parent) continue;  // its parent waits for another finder
      const std::string label = "gate '" + node.id + "' (find: " + std::string(to_string(node.finder->method)) + ")";
      if (pooled(*node.finder))
        throw Error(label + ": placed on the pooled events of several files (pool:, control:), which a pipeline run "
                    "does (cytopipe run; a sharded run in its thresholds pass); it cannot be placed on one file alone", {sample.source, "gate '" + node.id + "'", 0, 0});
      try {
        // The parent's values of each dimension, on the dimension's scale: gathered into buffers
        // reused by every finder of the sample, or the cached column itself for the root.
        const std::size_t dims = node.finder->dimensions.size();
        while (gathered.buffers.size() < dims) gathered.buffers.push_back(detail::ValueBuffers::shared().take(0));
        std::vector<std::span<const double>> spans;
        for (std::size_t k = 0; k < dims; ++k) {
          const std::span<const double> all = cache.get(node.finder->dimensions[k], parent ? &parent->members : nullptr);
          if (parent) {
            gathered.buffers[k].resize(parent->count);
            gather(all, parent->members, gathered.buffers[k]);
            spans.emplace_back(gathered.buffers[k]);
          } else {
            spans.push_back(all);
          }
        }
        FoundGate found = find_gate(*node.finder, spans, label);
        found.report.gate = node.id;
        found.report.parent = node.parent;
        out.strategy.replace(node.id, std::move(found.gate));
        out.reports.push_back(std::move(found.report));
      } catch (const Error& e) {
        ErrorContext context = e.context();
        if (context.file.empty()) context.file = sample.source;
        if (context.where.empty()) context.where = "gate '" + node.id + "'";
        throw Error(e.message(), context);
      }
      placed = true;
    }
    if (!placed) throw Error("the finder gates' parents depend on each other: none can be placed first");
  }
  out.results = gate_sample(out.strategy, sample, shared);
  for (auto& r : out.reports) {
    const double parent = static_cast<double>(out.results.parent_count(r.gate));
    r.fraction = parent > 0 ? static_cast<double>(out.results.count(r.gate)) / parent : 0.0;
  }
  return out;
}

GatingResults gate_with_finders(const GatingStrategy& strategy, const fcs::Sample& sample, const GateOptions& options) {
  if (!strategy.has_finders()) return gate_sample(strategy, sample, options);
  return place_gates(strategy, sample, options).results;
}

}  // namespace cytopipe::gating
