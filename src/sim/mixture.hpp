#pragma once
// What one tube contains: weighted cell components (with this file's random effects already
// drawn), debris and beads. The event generator samples from it.
#include <array>
#include <vector>

#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/rng.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace cytopipe::sim::detail {

struct Component {
  CellRole role = CellRole::Other;
  LogNormal fsc, ssc;
  double weight = 0;     // relative particle count
  double viability = 1;  // fraction alive
  std::array<MarkerProfile, kFluorescence> markers{};  // positive_pct as a fraction 0..1 here
};

struct Mixture {
  std::vector<Component> cells;
  double debris_weight = 0;  // relative to the same particle counts as the cells' weights
  double bead_weight = 0;
  double doublet_fraction = 0;  // of cell events
  std::string source;           // $SRC
};

// Draws this tube's random effects (from its own stream) and resolves the design's numbers.
Mixture resolve_mixture(const Design& design, const Tube& tube, Rng& rng);

}  // namespace cytopipe::sim::detail
