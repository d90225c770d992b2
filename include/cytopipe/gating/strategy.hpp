#pragma once
// A gating strategy: a tree of named populations, each defined by a gate applied to its parent's
// events. Editable (the pipeline adds threshold gates computed from controls) and serialisable.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/finder.hpp"
#include "cytopipe/gating/gate.hpp"

namespace cytopipe::gating {

// One gate of the strategy. Its populations are `id` itself, or for a quadrant gate the names of
// its quadrants (the gate id then only names the gate). `parent` is a population name; empty
// means all events.
struct GateNode {
  std::string id;
  std::string parent;
  Gate gate;
  ErrorContext origin;  // file and line it was read from (for messages); empty when built in code
  // Set for a gate placed from each sample's data (`find:` in YAML): `gate` is then a
  // placeholder of the right shape until place_gates places it.
  std::optional<FinderSpec> finder{};
  // FlowJo's exclusion gate (eventsInside="0"): the population is the parent's events outside
  // the gate.
  bool exclude = false;
};

// A named compensation (Gating-ML spectrumMatrix): rows = fluorochromes (the compensated
// outputs' names), columns = detectors. Non-square matrices unmix by least squares.
struct SpectrumMatrix {
  fcs::Spillover spectrum;
  // Gating-ML matrix-inverted-already: `spectrum.values` is then the detectors x fluorochromes
  // matrix that multiplies the raw row vector directly (no inversion).
  bool inverted_already = false;
  bool operator==(const SpectrumMatrix& o) const {
    return spectrum.fluorochromes == o.spectrum.fluorochromes &&
           spectrum.detectors == o.spectrum.detectors && spectrum.values == o.spectrum.values &&
           inverted_already == o.inverted_already;
  }
};

// A population of the tree (derived from the gate nodes).
struct Population {
  std::string name;
  std::string parent;        // empty = root (all events)
  std::size_t gate = 0;      // index into GatingStrategy::gates()
  int quadrant = -1;         // index into the quadrant gate's quadrants, or -1
};

class GatingStrategy {
 public:
  GatingStrategy() = default;

  // Adds a gate under `node.parent` (which may be added later; validate() checks it). A name
  // already used by another population is an Error naming it.
  void add(GateNode node);
  // Room for `gates` gates, so that adding them moves none added before (a GateNode is large).
  void reserve(std::size_t gates) { gates_.reserve(gates); }
  // Replaces the gate of an existing node (same id), keeping its parent.
  void replace(std::string_view id, Gate gate);
  // Adds `node`, or replaces the gate (and parent) of the node with the same id.
  void add_or_replace(GateNode node);
  // Sets the interval of dimension `dimension` of a range/rectangle gate.
  void set_interval(std::string_view id, std::size_t dimension, Interval interval);
  // Removes a gate and every population below it.
  void remove(std::string_view id);

  const std::vector<GateNode>& gates() const noexcept { return gates_; }
  const GateNode* find_gate(std::string_view id) const;
  // Every population, parents before children (topological order; booleans after their
  // operands). Throws like validate() if the tree is broken.
  std::vector<Population> populations() const;
  // A population by its unique name, its absolute path ("/cells/singlets/live") or the tail of
  // its path ("singlets/live", "cells/singlets/live"); nullopt when none. A reference that
  // matches several (a name with '/' in it also reads as a path) is an Error listing them.
  std::optional<Population> find_population(std::string_view name_or_path) const;
  // As find_population, and none is an Error listing the candidates (the same name at other
  // paths, else every population's path).
  Population population(std::string_view name_or_path) const;
  // "/cells/singlets/live": the population's ancestors and itself.
  std::string path(std::string_view population) const;

  // Named compensation matrices (Gating-ML spectrumMatrix), referenced by Dimension::compensation.
  const std::map<std::string, SpectrumMatrix>& matrices() const noexcept { return matrices_; }
  void add_matrix(std::string id, SpectrumMatrix matrix);

  // Structural checks: unique names, known parents and boolean operands, no cycles, no boolean
  // gate referring to itself, polygons >= 3 vertices, ellipsoid covariance n x n and invertible,
  // intervals min <= max, quadrant positions naming dividers, compensation refs known.
  // Errors name the gate (and its origin file/line).
  void validate() const;
  // validate()'s checks reporting every problem, not only the first: each gate's own checks,
  // then the tree's (names, parents, operands, cycles). validate() throws the first of these.
  std::vector<Error> problems() const;
  // Additionally checks that every dimension can be computed from this sample (channels and
  // compensation outputs exist). "FCS" on a file without a spillover leaves values
  // uncompensated, as the Gating-ML compliance suite expects. Errors name the gate and channel.
  void check_sample(const fcs::Sample& sample) const;
  // Whether any gate is still to be placed by a finder.
  bool has_finders() const;

  std::string name;          // optional title (YAML `name:`)
  std::string description;

 private:
  std::vector<GateNode> gates_;
  std::map<std::string, SpectrumMatrix> matrices_;
};

}  // namespace cytopipe::gating
