#pragma once
// Turning a design into tubes (the sample sheet) and a tube into events with their true labels.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/sim/design.hpp"

namespace cytopipe::sim {

// One row of samples.csv.
struct Tube {
  std::string file;        // relative to the output folder
  std::string tube_name;   // TUBE NAME; empty = the file's stem
  std::string experiment;  // tcell_viability, tumour_bcma, coculture, car_kinetics
  std::string cell_line;
  std::optional<double> dose_nM;
  int replicate = 0;       // 1-based; 0 = not applicable
  std::string role;        // sample, isotype, target-only
  std::string patient;
  std::optional<int> day;
  std::string tissue;
  std::optional<double> beads;
  std::size_t acquisition = 0;  // 0-based order of acquisition over the whole design
  std::size_t well = 0;         // 0-based position within its experiment ($WELLID)
  std::size_t events = 0;       // events to record
  double start_seconds = 0;     // $BTIM, seconds after midnight of the design's date
};

// Every tube of the design in acquisition order.
std::vector<Tube> plan_tubes(const Design& design);

enum class EventClass : std::uint8_t { Debris, Bead, Doublet, Dead, Live };

// What an event truly is; kept beside the FCS data, never in it.
enum class CellRole : std::uint8_t { None, TCell, Tumour, Other };
struct EventLabels {
  std::vector<EventClass> cls;
  std::vector<CellRole> role;        // of a single cell (of the first cell of a doublet)
  std::vector<std::uint8_t> positive;  // bit m set: drawn from marker m's positive component
  // Bit 1: acquired during a clog, bit 2: during a detector shift (design acquisition_faults);
  // all 0 without faults.
  std::vector<std::uint8_t> fault;
  bool is_positive(std::size_t event, std::size_t marker) const {
    return (positive[event] >> marker) & 1U;
  }
};

struct SimulatedSample {
  fcs::Sample sample;      // as written to the FCS 3.1 file (uncompensated, float32 values)
  EventLabels labels;
  // True fluorescence (before spillover and noise), column-major: kFluorescence columns.
  fcs::EventMatrix fluorescence;
};

// Simulates one tube of the design. Deterministic in (design.seed, tube.file).
SimulatedSample simulate_tube(const Design& design, const Tube& tube);

// Per-file ground truth: (quantity, value) as documented in sample_fcs/README.md, except the
// quantities that need other files (specific_lysis_pct, killing_pct: see add_cytotoxicity).
using Truth = std::vector<std::pair<std::string, double>>;
Truth file_truth(const SimulatedSample& simulated, const Tube& tube);

// Adds specific_lysis_pct and killing_pct to co-culture sample files, from the target-only files
// of the same line and dose. `truths[i]` belongs to `tubes[i]`.
void add_cytotoxicity(const std::vector<Tube>& tubes, std::vector<Truth>& truths);

}  // namespace cytopipe::sim
