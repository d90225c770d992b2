// The population tree: editing, lookup, topological order and structural validation.
#include "cytopipe/gating/strategy.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <unordered_map>

#include "cytopipe/overloaded.hpp"
#include "gating/dimension_channels.hpp"
#include "gating/linear_algebra.hpp"
#include "gating/population_lookup.hpp"

namespace cytopipe::gating {
namespace {

Error gate_error(const GateNode& node, const std::string& message) {
  ErrorContext context = node.origin;
  context.where = "gate '" + node.id + "'";
  return Error(message, std::move(context));
}

// Calls f(name, quadrant) for each population a gate node defines: the node itself (quadrant -1),
// or for a quadrant gate each of its quadrants (the gate id then only names the gate).
template <class F>
void for_each_population(const GateNode& node, F&& f) {
  auto itself = [&](const auto&) { f(node.id, -1); };
  std::visit(Overloaded{
                 [&](const RectangleGate& g) { itself(g); },
                 [&](const PolygonGate& g) { itself(g); },
                 [&](const EllipsoidGate& g) { itself(g); },
                 [&](const BooleanGate& g) { itself(g); },
                 [&](const QuadrantGate& g) {
                   for (std::size_t i = 0; i < g.quadrants.size(); ++i)
                     f(g.quadrants[i].name, static_cast<int>(i));
                 },
             },
             node.gate);
}

// The population names a gate node defines.
std::vector<std::string> names_of(const GateNode& node) {
  std::vector<std::string> out;
  for_each_population(node, [&](const std::string& name, int) { out.push_back(name); });
  return out;
}

void check_interval(const GateNode& node, const Interval& interval, std::size_t d) {
  if ((interval.min && std::isnan(*interval.min)) || (interval.max && std::isnan(*interval.max)))
    throw gate_error(node, "dimension " + std::to_string(d + 1) + " has a NaN bound");
  if (interval.min && interval.max && *interval.min > *interval.max)
    throw gate_error(node, "dimension " + std::to_string(d + 1) + " has min " +
                               std::to_string(*interval.min) + " > max " +
                               std::to_string(*interval.max));
}

void check_dimension(const GatingStrategy& s, const GateNode& node, const Dimension& d) {
  if (d.ratio) {
    if (d.ratio->numerator.empty() || d.ratio->denominator.empty())
      throw gate_error(node, "ratio dimension needs a numerator and a denominator channel");
  } else if (d.channel.empty()) {
    throw gate_error(node, "a dimension names no channel");
  }
  if (d.compensation != kUncompensated && d.compensation != kFileCompensation &&
      !s.matrices().contains(d.compensation))
    throw gate_error(node, "dimension " + d.label() + " refers to unknown compensation '" +
                               d.compensation + "'");
  if (d.scale.bound_min > d.scale.bound_max)
    throw gate_error(node, "dimension " + d.label() + " has boundMin > boundMax");
}

void check_rectangle(const GateNode& node, const RectangleGate& g) {
  if (g.dimensions.empty()) throw gate_error(node, "a range/rectangle gate needs a dimension");
  if (g.intervals.size() != g.dimensions.size())
    throw gate_error(node, "needs one interval per dimension (" +
                               std::to_string(g.dimensions.size()) + " dimensions, " +
                               std::to_string(g.intervals.size()) + " intervals)");
  for (std::size_t i = 0; i < g.intervals.size(); ++i) check_interval(node, g.intervals[i], i);
}

void check_polygon(const GateNode& node, const PolygonGate& g) {
  if (g.vertices.size() < 3)
    throw gate_error(node, "a polygon needs at least 3 vertices, this one has " +
                               std::to_string(g.vertices.size()));
  for (const auto& v : g.vertices)
    if (!std::isfinite(v[0]) || !std::isfinite(v[1]))
      throw gate_error(node, "a polygon vertex is not a finite number");
}

void check_ellipsoid(const GateNode& node, const EllipsoidGate& g) {
  const std::size_t n = g.dimensions.size();
  if (n == 0) throw gate_error(node, "an ellipsoid needs at least one dimension");
  if (g.mean.size() != n)
    throw gate_error(node, "mean has " + std::to_string(g.mean.size()) + " coordinates for " +
                               std::to_string(n) + " dimensions");
  if (g.covariance.size() != n * n)
    throw gate_error(node, "covariance matrix must be " + std::to_string(n) + " x " +
                               std::to_string(n));
  if (!(g.distance_square > 0)) throw gate_error(node, "distance square must be > 0");
  if (!invert_matrix(g.covariance, n))
    throw gate_error(node, "the covariance matrix is singular (not invertible)");
}

void check_quadrant(const GateNode& node, const QuadrantGate& g) {
  if (g.dividers.empty()) throw gate_error(node, "a quadrant gate needs dividers");
  if (g.quadrants.empty()) throw gate_error(node, "a quadrant gate needs quadrants");
  std::set<std::string> ids;
  for (const auto& d : g.dividers) {
    if (!ids.insert(d.id).second) throw gate_error(node, "divider '" + d.id + "' is defined twice");
    if (d.values.empty()) throw gate_error(node, "divider '" + d.id + "' has no value");
    if (!std::is_sorted(d.values.begin(), d.values.end()))
      throw gate_error(node, "divider '" + d.id + "' values are not ascending");
  }
  for (const auto& quadrant : g.quadrants) {
    if (quadrant.positions.empty())
      throw gate_error(node, "quadrant '" + quadrant.name + "' has no position");
    for (const auto& pos : quadrant.positions)
      if (!ids.contains(pos.divider))
        throw gate_error(node, "quadrant '" + quadrant.name + "' refers to unknown divider '" +
                                   pos.divider + "'");
  }
}

void check_boolean(const GateNode& node, const BooleanGate& g) {
  if (g.operands.empty()) throw gate_error(node, "a boolean gate needs operands");
  if (g.op == BooleanGate::Op::Not && g.operands.size() != 1)
    throw gate_error(node, "a 'not' gate takes exactly one operand");
  if (g.op != BooleanGate::Op::Not && g.operands.size() < 2)
    throw gate_error(node, "an '" + std::string(to_string(g.op)) +
                               "' gate needs at least two operands");
  for (const auto& o : g.operands)
    if (o.population == node.id)
      throw gate_error(node, "a boolean gate cannot refer to itself");
}

void check_gate(const GatingStrategy& s, const GateNode& node) {
  for (const Dimension* d : dimensions_of(node.gate)) check_dimension(s, node, *d);
  std::visit(Overloaded{[&](const RectangleGate& g) { check_rectangle(node, g); },
                       [&](const PolygonGate& g) { check_polygon(node, g); },
                       [&](const EllipsoidGate& g) { check_ellipsoid(node, g); },
                       [&](const QuadrantGate& g) { check_quadrant(node, g); },
                       [&](const BooleanGate& g) { check_boolean(node, g); }},
             node.gate);
}

}  // namespace

void GatingStrategy::add(GateNode node) {
  if (node.id.empty()) throw Error("a gate needs an id", node.origin);
  // Compared in place, without a set of every name per call: a FlowJo workspace's samples add
  // thousands of gates (the set was 7 % of gating 100 files with their workspace).
  auto taken = [&](const std::string& n) {
    for (const auto& g : gates_) {
      bool used = g.id == n;
      for_each_population(g, [&](const std::string& name, int) { used = used || name == n; });
      if (used) return true;
    }
    return false;
  };
  auto mine = names_of(node);
  if (std::holds_alternative<QuadrantGate>(node.gate)) mine.push_back(node.id);
  for (const auto& n : mine)
    if (taken(n)) throw gate_error(node, "the name '" + n + "' is already used by another gate or population");
  gates_.push_back(std::move(node));
}

void GatingStrategy::replace(std::string_view id, Gate gate) {
  for (auto& g : gates_)
    if (g.id == id) {
      g.gate = std::move(gate);
      g.finder.reset();  // a finder's gate, once placed, is a fixed gate
      return;
    }
  throw Error("no gate named '" + std::string(id) + "' to replace");
}

bool GatingStrategy::has_finders() const {
  return std::any_of(gates_.begin(), gates_.end(), [](const GateNode& g) { return g.finder.has_value(); });
}

void GatingStrategy::add_or_replace(GateNode node) {
  for (auto& g : gates_)
    if (g.id == node.id) {
      g.parent = std::move(node.parent);
      g.gate = std::move(node.gate);
      g.finder = std::move(node.finder);
      return;
    }
  add(std::move(node));
}

void GatingStrategy::set_interval(std::string_view id, std::size_t dimension, Interval interval) {
  for (auto& g : gates_)
    if (g.id == id) {
      auto* r = std::get_if<RectangleGate>(&g.gate);
      if (!r) throw gate_error(g, "is a " + std::string(gate_kind(g.gate)) + " gate, not a range");
      if (dimension >= r->intervals.size())
        throw gate_error(g, "has no dimension " + std::to_string(dimension + 1));
      check_interval(g, interval, dimension);
      r->intervals[dimension] = interval;
      return;
    }
  throw Error("no gate named '" + std::string(id) + "'");
}

void GatingStrategy::remove(std::string_view id) {
  // Collect the gate and all gates below any of its populations.
  std::set<std::string> doomed_pops;
  std::set<std::string> doomed_gates;
  const GateNode* root = find_gate(id);
  if (!root) throw Error("no gate named '" + std::string(id) + "' to remove");
  doomed_gates.insert(root->id);
  for (auto& n : names_of(*root)) doomed_pops.insert(n);
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& g : gates_)
      if (!doomed_gates.contains(g.id) && doomed_pops.contains(g.parent)) {
        doomed_gates.insert(g.id);
        for (auto& n : names_of(g)) doomed_pops.insert(n);
        changed = true;
      }
  }
  std::erase_if(gates_, [&](const GateNode& g) { return doomed_gates.contains(g.id); });
}

const GateNode* GatingStrategy::find_gate(std::string_view id) const {
  for (const auto& g : gates_)
    if (g.id == id) return &g;
  return nullptr;
}

void GatingStrategy::add_matrix(std::string id, SpectrumMatrix matrix) {
  const auto& s = matrix.spectrum;
  if (id.empty() || id == kUncompensated || id == kFileCompensation)
    throw Error("a compensation matrix needs an id other than 'uncompensated' and 'FCS'");
  const std::size_t rows = matrix.inverted_already ? s.detectors.size() : s.fluorochromes.size();
  const std::size_t cols = matrix.inverted_already ? s.fluorochromes.size() : s.detectors.size();
  if (rows == 0 || cols == 0 || s.values.size() != rows * cols)
    throw Error("compensation matrix has " + std::to_string(s.values.size()) + " values for " +
                    std::to_string(rows) + " x " + std::to_string(cols),
                ErrorContext{"", "matrix '" + id + "'", 0, 0});
  matrices_[std::move(id)] = std::move(matrix);
}

std::vector<Population> GatingStrategy::populations() const {
  // Every population with the gate that defines it.
  std::vector<Population> all;
  std::unordered_map<std::string, std::size_t> by_name;
  for (std::size_t g = 0; g < gates_.size(); ++g) {
    const auto& node = gates_[g];
    for_each_population(node, [&](const std::string& name, int quadrant) {
      all.push_back({name, node.parent, g, quadrant});
    });
  }
  for (std::size_t i = 0; i < all.size(); ++i)
    if (!by_name.emplace(all[i].name, i).second)
      throw gate_error(gates_[all[i].gate], "population '" + all[i].name + "' is defined twice");

  // Depth-first topological order over "parent" and "boolean operand" edges.
  std::vector<int> state(all.size(), 0);  // 0 new, 1 in progress, 2 done
  std::vector<Population> ordered;
  ordered.reserve(all.size());
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i] == 2) return;
    const GateNode& node = gates_[all[i].gate];
    if (state[i] == 1)
      throw gate_error(node, "population '" + all[i].name + "' depends on itself (a cycle of " +
                                 "parents or boolean operands)");
    state[i] = 1;
    if (!all[i].parent.empty()) {
      auto it = by_name.find(all[i].parent);
      if (it == by_name.end())
        throw gate_error(node, "parent population '" + all[i].parent + "' does not exist");
      visit(it->second);
    }
    if (const auto* b = std::get_if<BooleanGate>(&node.gate))
      for (const auto& o : b->operands) {
        if (o.population == node.id) throw gate_error(node, "a boolean gate cannot refer to itself");
        auto it = by_name.find(o.population);
        if (it == by_name.end())
          throw gate_error(node, "refers to population '" + o.population + "', which does not exist");
        visit(it->second);
      }
    state[i] = 2;
    ordered.push_back(all[i]);
  };
  for (std::size_t i = 0; i < all.size(); ++i) visit(i);
  return ordered;
}

namespace {
// Each population with its path, for detail::find_population.
struct Located {
  std::vector<Population> populations;
  std::vector<std::string> paths;
  std::vector<detail::PopulationEntry> entries;
};
Located locate(std::vector<Population> populations) {
  Located out;
  out.populations = std::move(populations);
  std::unordered_map<std::string, std::string> path_of;  // parents come first
  for (const auto& p : out.populations) {
    std::string path = (p.parent.empty() ? std::string() : path_of.at(p.parent)) + "/" + p.name;
    path_of[p.name] = path;
    out.paths.push_back(std::move(path));
  }
  for (std::size_t i = 0; i < out.populations.size(); ++i)
    out.entries.push_back({out.populations[i].name, out.populations[i].parent, out.paths[i]});
  return out;
}
}  // namespace

std::optional<Population> GatingStrategy::find_population(std::string_view name_or_path) const {
  const Located all = locate(populations());
  const auto i = detail::find_population(all.entries, name_or_path);
  if (!i) return std::nullopt;
  return all.populations[*i];
}

Population GatingStrategy::population(std::string_view name_or_path) const {
  const Located all = locate(populations());
  return all.populations[detail::population_index(all.entries, name_or_path)];
}

std::string GatingStrategy::path(std::string_view population) const {
  std::unordered_map<std::string, std::string> parent_of;
  for (const auto& g : gates_)
    for (auto& n : names_of(g)) parent_of[n] = g.parent;
  std::string out;
  std::string current(population);
  for (std::size_t depth = 0; !current.empty(); ++depth) {
    auto it = parent_of.find(current);
    if (it == parent_of.end())
      throw Error("no population named '" + current + "'");
    if (depth > parent_of.size()) throw Error("population '" + std::string(population) + "' has a cycle of parents");
    out = "/" + current + out;
    current = it->second;
  }
  return out;
}

std::vector<Error> GatingStrategy::problems() const {
  std::vector<Error> found;
  for (const auto& g : gates_) {
    try {
      check_gate(*this, g);
    } catch (const Error& e) {
      found.push_back(e);
    }
  }
  try {
    (void)populations();  // names, parents, operands, cycles
  } catch (const Error& e) {
    found.push_back(e);
  }
  return found;
}

void GatingStrategy::validate() const {
  if (const auto found = problems(); !found.empty()) throw found.front();
}

void GatingStrategy::check_sample(const fcs::Sample& sample) const {
  // Matrices whose every detector the sample has: looked up at the first dimension compensated by
  // each (a FlowJo sample's matrix of a dozen detectors compensates most of its dimensions: a
  // lookup per dimension was ~400 channel searches per file), which is where a missing one is
  // named, as before.
  std::vector<const SpectrumMatrix*> found;
  auto has_channel = [&](const std::string& compensation, const std::string& name) {
    if (compensation != kUncompensated) {
      if (auto it = matrices_.find(compensation); it != matrices_.end()) {
        const auto& f = it->second.spectrum.fluorochromes;
        if (std::find(f.begin(), f.end(), name) != f.end()) return true;
      }
    }
    return sample.find_channel(name).has_value();
  };
  for (const auto& g : gates_) {
    for (const Dimension* d : dimensions_of(g.gate)) {
      for_each_channel(*d, [&](const std::string& n) {
        if (!has_channel(d->compensation, n)) {
          // A marker name ($PnS) is not a channel name: a pipeline's panel: maps markers to
          // channels (and compensates first); said so, since the file does show the marker.
          std::string marker_of;
          for (const auto& c : sample.channels)
            if (c.marker == n) marker_of = c.name;
          throw gate_error(g, "channel '" + n + "' is not in " + sample.source + " (it has: " + sample.channel_list() +
                                  ")" +
                                  (marker_of.empty() ? std::string()
                                                     : "; '" + n + "' is the marker ($PnS) of " + marker_of +
                                                           ": gates name channels by $PnN, or by the markers a "
                                                           "pipeline's panel: gives them (cytopipe run)"));
        }
      });
    }
    for (const Dimension* d : dimensions_of(g.gate)) {
      const auto it = matrices_.find(d->compensation);
      if (it == matrices_.end() || std::find(found.begin(), found.end(), &it->second) != found.end()) continue;
      for (const auto& det : it->second.spectrum.detectors)
        if (!sample.find_channel(det))
          throw gate_error(g, "compensation '" + d->compensation + "' needs detector '" + det +
                                  "', which is not in " + sample.source);
      found.push_back(&it->second);
    }
  }
}

}  // namespace cytopipe::gating
