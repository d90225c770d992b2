#include "pipeline/pooled_finders.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "cytopipe/base/yaml_reader.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/gating_set.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "pipeline/prepare.hpp"

namespace cytopipe::pipeline::detail {
namespace {

// At most this many events per group enter a pooled finder (each file's share evenly strided):
// a 96-well plate of 1M-event files is not held in memory. control_percentile pools every event,
// as the pipeline's control thresholds always have.
constexpr std::size_t kPoolEvents = 2'000'000;

// The strategy without its pooled finders and what depends on them.
gating::GatingStrategy without_pooled(const gating::GatingStrategy& strategy) {
  std::set<std::string> doomed;
  gating::GatingStrategy part;
  part.name = strategy.name;
  for (const auto& [id, m] : strategy.matrices()) part.add_matrix(id, m);
  std::set<std::size_t> doomed_gates;
  const auto& gates = strategy.gates();
  for (const auto& p : strategy.populations()) {
    const gating::GateNode& node = gates[p.gate];
    bool out = (node.finder && gating::pooled(*node.finder)) || doomed.contains(p.parent);
    if (const auto* b = std::get_if<gating::BooleanGate>(&node.gate))
      for (const auto& o : b->operands) out = out || doomed.contains(o.population);
    if (out) {
      doomed.insert(p.name);
      doomed_gates.insert(p.gate);
    }
  }
  for (std::size_t g = 0; g < gates.size(); ++g)
    if (!doomed_gates.contains(g)) part.add(gates[g]);
  return part;
}

// Whether population `name` lies below a pooled finder (walking parents).
bool under_pooled(const gating::GatingStrategy& strategy, std::string name) {
  const auto& gates = strategy.gates();
  for (int guard = 0; !name.empty() && guard < 10000; ++guard) {
    const gating::GateNode* node = nullptr;
    for (const auto& p : strategy.populations())
      if (p.name == name) node = &gates[p.gate];
    if (!node) return false;
    if (node->finder && gating::pooled(*node->finder)) return true;
    name = node->parent;
  }
  return false;
}

std::string group_text(const std::string& key) { return key.empty() ? std::string("all files") : key; }

}  // namespace

std::vector<Error> unknown_pool_factors(const gating::GatingStrategy& strategy,
                                        const std::vector<std::string>& known) {
  std::vector<Error> errors;
  for (const auto& node : strategy.gates()) {
    if (!node.finder) continue;
    // A factor the samples do not have would put every file in one pool (or select no control)
    // without a word: refused, as the config's own factors are refused.
    std::vector<std::string> factors = node.finder->pool;
    for (const auto& [factor, levels] : node.finder->control) factors.push_back(factor);
    for (const std::string& factor : factors) {
      if (std::find(known.begin(), known.end(), factor) != known.end()) continue;
      std::string message = "gate '" + node.id + "': unknown factor '" + factor + "'";
      if (const auto guess = yaml::closest_name(factor, known); !guess.empty()) message += " (did you mean '" + guess + "'?)";
      std::string names;
      for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
      errors.emplace_back(message + " (the samples have: " + names + ")", node.origin);
    }
  }
  return errors;
}

std::vector<PoolGroup> pool_groups(const gating::GatingStrategy& strategy, const SampleSet& samples) {
  std::vector<PoolGroup> groups;
  const auto& gates = strategy.gates();
  for (std::size_t g = 0; g < gates.size(); ++g) {
    if (!gates[g].finder || !gating::pooled(*gates[g].finder)) continue;
    Selector control;
    control.conditions = gates[g].finder->control;
    std::map<std::string, std::vector<std::size_t>> by_key;  // keys in the order a run places them
    for (std::size_t i = 0; i < samples.samples.size(); ++i)
      if (control.empty() || samples.samples[i].matches(control))
        by_key[group_key(samples.samples[i], gates[g].finder->pool)].push_back(i);
    for (auto& [key, members] : by_key) groups.push_back({g, key, std::move(members)});
  }
  return groups;
}

std::vector<std::size_t> pool_groups_of(const gating::GatingStrategy& strategy, const SampleSet& samples,
                                        const std::vector<PoolGroup>& groups, const std::vector<std::size_t>& files) {
  std::set<std::size_t> needed;
  for (const auto i : files)
    for (std::size_t u = 0; u < groups.size(); ++u)
      if (groups[u].key == group_key(samples.samples[i], strategy.gates()[groups[u].gate].finder->pool)) needed.insert(u);
  return {needed.begin(), needed.end()};
}

PlacedPools place_pool_groups(const Plan& plan, const SampleSet& sample_set, const std::vector<PoolGroup>& groups,
                              const std::vector<std::size_t>& selected, const RunOptions& options,
                              const RunSetup& setup) {
  const Config& config = *plan.config;
  const auto& samples = sample_set.samples;
  const auto& gates = plan.strategy.gates();
  for (const auto& group : groups)
    if (under_pooled(plan.strategy, gates[group.gate].parent))
      throw Error("gate '" + gates[group.gate].id + "': a pooled finder under another pooled finder is not supported "
                  "(place the upper one per file, or fix it)", gates[group.gate].origin);
  PlacedPools placed;
  placed.groups.resize(selected.size());
  // Per file read: every group it is a member of (whether it fails does not depend on the groups
  // asked for), and where its values go among those asked for (-1: not asked for).
  std::map<std::size_t, std::vector<std::pair<std::size_t, std::ptrdiff_t>>> serves;
  for (std::size_t s = 0; s < selected.size(); ++s)
    for (const auto i : groups.at(selected[s]).members) serves.try_emplace(i);
  for (std::size_t u = 0; u < groups.size(); ++u)
    for (const auto i : groups[u].members)
      if (const auto it = serves.find(i); it != serves.end()) it->second.emplace_back(u, -1);
  for (std::size_t s = 0; s < selected.size(); ++s)
    for (const auto i : groups[selected[s]].members)
      for (auto& [u, slot] : serves.at(i))
        if (u == selected[s]) slot = static_cast<std::ptrdiff_t>(s);
  std::vector<std::size_t> members;
  for (const auto& [i, units] : serves) members.push_back(i);

  struct Pool {
    std::vector<std::vector<double>> columns;
    std::vector<std::string> files;
  };
  std::vector<Pool> pools(selected.size());
  const gating::GatingStrategy part = without_pooled(plan.strategy);
  struct Read {
    std::optional<Failure> failure;
    std::vector<std::pair<std::size_t, std::vector<std::vector<double>>>> values;  // slot -> columns
  };
  gating::stream_samples<Read>(
      members.size(), setup.in_flight,
      [&](std::size_t k) {
        const std::size_t i = members[k];
        const SampleEntry& entry = samples[i];
        Read out;
        try {
          fcs::Sample sample = prepare_sample(config, entry, plan.matrix, nullptr, plan.parallel_within_file);
          acquisition_qc(config, sample, entry);
          gating::GatingResults gated;
          try {
            gated = gating::place_gates(part, sample).results;
          } catch (const Error& e) {
            throw StageError("gate", Error(e.message(), {entry.path.string(), e.context().where, 0, 0}));
          }
          for (const auto& [u, slot] : serves.at(i)) {
            const gating::GateNode& node = gates[groups[u].gate];
            const gating::FinderSpec& spec = *node.finder;
            const gating::PopulationResult* parent = node.parent.empty() ? nullptr : gated.find(node.parent);
            if (!node.parent.empty() && !parent)
              throw StageError("gate", Error("pooled gate '" + node.id + "': no parent population '" + node.parent + "'",
                                             {entry.path.string(), "", 0, 0}));
            const std::size_t count = parent ? parent->count : sample.event_count();
            std::size_t stride = 1;
            if (spec.method != gating::FinderMethod::ControlPercentile) {
              const std::size_t share = kPoolEvents / std::max<std::size_t>(1, groups[u].members.size());
              stride = std::max<std::size_t>(1, (count + share - 1) / std::max<std::size_t>(share, 1));
            }
            std::vector<std::vector<double>> columns;
            std::vector<double> gathered;
            for (const auto& d : spec.dimensions) {
              std::vector<double> all = gating::dimension_values(part, sample, d);
              if (parent) {
                gathered.resize(parent->count);
                gating::gather(all, parent->members, gathered);
                all.swap(gathered);
              }
              if (stride > 1) {
                std::size_t w = 0;
                for (std::size_t r = 0; r < all.size(); r += stride) all[w++] = all[r];
                all.resize(w);
              }
              columns.push_back(std::move(all));
            }
            if (slot >= 0) out.values.emplace_back(static_cast<std::size_t>(slot), std::move(columns));
          }
        } catch (const StageError& e) {
          out.failure = Failure{entry.name, e.stage(), e.what()};
        } catch (const Error& e) {
          out.failure = Failure{entry.name, "gate", e.what()};
        }
        return out;
      },
      [&](std::size_t k, Read&& read) {
        const SampleEntry& entry = samples[members[k]];
        if (read.failure) {
          placed.failures.push_back(*read.failure);
          if (options.fail_fast) placed.stopped_early = true;
          return !options.fail_fast;
        }
        for (auto& [s, columns] : read.values) {
          auto& pool = pools[s];
          if (pool.columns.empty()) pool.columns.resize(columns.size());
          for (std::size_t d = 0; d < columns.size(); ++d)
            pool.columns[d].insert(pool.columns[d].end(), columns[d].begin(), columns[d].end());
          pool.files.push_back(entry.name);
        }
        return true;
      });

  // Place each group's gate.
  for (std::size_t s = 0; s < selected.size(); ++s) {
    const PoolGroup& group = groups[selected[s]];
    const gating::GateNode& g = gates[group.gate];
    const gating::FinderSpec& spec = *g.finder;
    auto& pool = pools[s];
    const std::string label = "gate '" + g.id + "' (find: " + std::string(gating::to_string(spec.method)) +
                              ", pooled over " + group_text(group.key) + ")";
    try {
      if (pool.files.empty())
        throw Error(label + ": none of its " + std::to_string(group.members.size()) + " files could be read");
      std::vector<std::span<const double>> spans(pool.columns.begin(), pool.columns.end());
      gating::FoundGate found = gating::find_gate(spec, spans, label);
      found.report.gate = g.id;
      found.report.parent = g.parent;
      found.report.pooled_files = pool.files.size();
      placed.groups[s] = Plan::PooledGate{g.id, std::move(found.gate), std::move(found.report)};
    } catch (const Error& e) {
      placed.groups[s] = std::string(e.what());
    }
    std::vector<std::vector<double>>().swap(pool.columns);
  }
  return placed;
}

void assign_pooled(Plan& plan, const SampleSet& sample_set, const std::vector<PoolGroup>& groups,
                   const std::vector<std::optional<PlacedPool>>& placed) {
  const auto& samples = sample_set.samples;
  const auto& gates = plan.strategy.gates();
  plan.pooled.assign(samples.size(), {});
  // Per pooled finder, in the strategy's order: each sample gets its group's gate (files that are
  // not members, e.g. not a control: file, get it by their key too).
  for (std::size_t g = 0; g < gates.size(); ++g) {
    if (!gates[g].finder || !gating::pooled(*gates[g].finder)) continue;
    const gating::FinderSpec& spec = *gates[g].finder;
    std::map<std::string, std::size_t> unit_of;
    for (std::size_t u = 0; u < groups.size(); ++u)
      if (groups[u].gate == g) unit_of.emplace(groups[u].key, u);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const std::string key = group_key(samples[i], spec.pool);
      const auto it = unit_of.find(key);
      auto& mine = plan.pooled[i];
      if (it == unit_of.end()) {
        if (mine.problem.empty())
          mine.problem = "gate '" + gates[g].id + "' (find: " + std::string(gating::to_string(spec.method)) +
                         ", pooled): no " +
                         (spec.control.empty() ? std::string("file")
                                               : "control file (" + describe(Selector{spec.control, {}}) + ")") +
                         " with " + group_text(key);
        continue;
      }
      const auto& p = placed.at(it->second);
      if (!p) continue;  // not placed here: this sample is not gated in this pass
      if (const auto* gate = std::get_if<Plan::PooledGate>(&*p)) {
        mine.gates.push_back(*gate);
      } else if (mine.problem.empty()) {
        mine.problem = std::get<std::string>(*p);
      }
    }
  }
}

bool has_pooled_finders(const gating::GatingStrategy& strategy) {
  for (const auto& node : strategy.gates())
    if (node.finder && gating::pooled(*node.finder)) return true;
  return false;
}

void place_pooled_finders(Plan& plan, RunResult& result, const RunOptions& options, const RunSetup& setup) {
  if (plan.frozen_run) return;
  if (auto unknown = unknown_pool_factors(plan.strategy, result.samples.factor_names); !unknown.empty())
    throw std::move(unknown.front());
  if (!has_pooled_finders(plan.strategy)) return;
  const auto groups = pool_groups(plan.strategy, result.samples);
  std::vector<std::size_t> all(groups.size());
  for (std::size_t u = 0; u < all.size(); ++u) all[u] = u;
  PlacedPools placed = place_pool_groups(plan, result.samples, groups, all, options, setup);
  result.failures.insert(result.failures.end(), placed.failures.begin(), placed.failures.end());
  std::vector<std::optional<PlacedPool>> by_group(placed.groups.begin(), placed.groups.end());
  assign_pooled(plan, result.samples, groups, by_group);
}

gating::GatingStrategy with_pooled_gates(const Plan& plan, std::size_t index, gating::GatingStrategy strategy,
                                         std::vector<gating::FinderReport>* reports) {
  if (plan.pooled.empty()) return strategy;
  const auto& mine = plan.pooled.at(index);
  if (!mine.problem.empty()) throw StageError("gate", Error(mine.problem));
  for (const auto& p : mine.gates) {
    strategy.replace(p.id, p.gate);
    if (reports) reports->push_back(p.report);
  }
  return strategy;
}

}  // namespace cytopipe::pipeline::detail
