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

struct PooledNode {
  std::size_t gate = 0;  // index into the strategy's gates
  Selector control;
  // group key -> pooled columns (one per dimension) and its files
  struct Pool {
    std::vector<std::vector<double>> columns;
    std::vector<std::string> files;
    std::size_t members = 0;  // files planned
  };
  std::map<std::string, Pool> pools;
};

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

void place_pooled_finders(Plan& plan, RunResult& result, const RunOptions& options, const RunSetup& setup) {
  if (plan.frozen_run) return;
  if (auto unknown = unknown_pool_factors(plan.strategy, result.samples.factor_names); !unknown.empty())
    throw std::move(unknown.front());
  const Config& config = *plan.config;
  const auto& samples = result.samples.samples;
  std::vector<PooledNode> nodes;
  const auto& gates = plan.strategy.gates();
  for (std::size_t g = 0; g < gates.size(); ++g) {
    if (!gates[g].finder || !gating::pooled(*gates[g].finder)) continue;
    if (under_pooled(plan.strategy, gates[g].parent))
      throw Error("gate '" + gates[g].id + "': a pooled finder under another pooled finder is not supported (place the "
                  "upper one per file, or fix it)", gates[g].origin);
    PooledNode node;
    node.gate = g;
    node.control.conditions = gates[g].finder->control;
    nodes.push_back(std::move(node));
  }
  if (nodes.empty()) return;

  // Which files each pool reads.
  std::vector<std::vector<std::size_t>> serves(samples.size());  // sample -> node indices
  for (std::size_t n = 0; n < nodes.size(); ++n)
    for (std::size_t i = 0; i < samples.size(); ++i) {
      if (!nodes[n].control.empty() && !samples[i].matches(nodes[n].control)) continue;
      serves[i].push_back(n);
      ++nodes[n].pools[group_key(samples[i], gates[nodes[n].gate].finder->pool)].members;
    }
  std::vector<std::size_t> members;
  for (std::size_t i = 0; i < samples.size(); ++i)
    if (!serves[i].empty()) members.push_back(i);

  const gating::GatingStrategy part = without_pooled(plan.strategy);
  struct Read {
    std::optional<Failure> failure;
    std::vector<std::pair<std::size_t, std::vector<std::vector<double>>>> values;  // node -> columns
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
          for (const std::size_t n : serves[i]) {
            const gating::GateNode& node = gates[nodes[n].gate];
            const gating::FinderSpec& spec = *node.finder;
            const gating::PopulationResult* parent = node.parent.empty() ? nullptr : gated.find(node.parent);
            if (!node.parent.empty() && !parent)
              throw StageError("gate", Error("pooled gate '" + node.id + "': no parent population '" + node.parent + "'",
                                             {entry.path.string(), "", 0, 0}));
            const std::size_t count = parent ? parent->count : sample.event_count();
            std::size_t stride = 1;
            if (spec.method != gating::FinderMethod::ControlPercentile) {
              const std::size_t share =
                  kPoolEvents / std::max<std::size_t>(1, nodes[n].pools[group_key(entry, spec.pool)].members);
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
            out.values.emplace_back(n, std::move(columns));
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
          result.failures.push_back(*read.failure);
          return !options.fail_fast;
        }
        for (auto& [n, columns] : read.values) {
          auto& pool = nodes[n].pools[group_key(entry, gates[nodes[n].gate].finder->pool)];
          if (pool.columns.empty()) pool.columns.resize(columns.size());
          for (std::size_t d = 0; d < columns.size(); ++d)
            pool.columns[d].insert(pool.columns[d].end(), columns[d].begin(), columns[d].end());
          pool.files.push_back(entry.name);
        }
        return true;
      });

  // Place each group's gate; every sample of the group gets it.
  plan.pooled.assign(samples.size(), {});
  for (auto& node : nodes) {
    const gating::GateNode& g = gates[node.gate];
    const gating::FinderSpec& spec = *g.finder;
    std::map<std::string, std::variant<Plan::PooledGate, std::string>> placed;
    for (auto& [key, pool] : node.pools) {
      const std::string label = "gate '" + g.id + "' (find: " + std::string(gating::to_string(spec.method)) +
                                ", pooled over " + group_text(key) + ")";
      try {
        if (pool.files.empty()) throw Error(label + ": none of its " + std::to_string(pool.members) + " files could be read");
        std::vector<std::span<const double>> spans(pool.columns.begin(), pool.columns.end());
        gating::FoundGate found = gating::find_gate(spec, spans, label);
        found.report.gate = g.id;
        found.report.parent = g.parent;
        found.report.pooled_files = pool.files.size();
        placed.emplace(key, Plan::PooledGate{g.id, std::move(found.gate), std::move(found.report)});
      } catch (const Error& e) {
        placed.emplace(key, std::string(e.what()));
      }
      std::vector<std::vector<double>>().swap(pool.columns);
    }
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const std::string key = group_key(samples[i], spec.pool);
      const auto it = placed.find(key);
      auto& mine = plan.pooled[i];
      if (it == placed.end()) {
        if (mine.problem.empty())
          mine.problem = "gate '" + g.id + "' (find: " + std::string(gating::to_string(spec.method)) + ", pooled): no " +
                         (node.control.empty() ? std::string("file") : "control file (" + describe(node.control) + ")") +
                         " with " + group_text(key);
      } else if (const auto* p = std::get_if<Plan::PooledGate>(&it->second)) {
        mine.gates.push_back(*p);
      } else if (mine.problem.empty()) {
        mine.problem = std::get<std::string>(it->second);
      }
    }
  }
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
