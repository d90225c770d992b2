// Each gate finder against the simulator's per-event true classes: on simulated tubes of the
// committed design (sample_fcs/design.yaml) and of the same design with instrument shifts
// (scatter and fluorescence voltages -25 %/+30 %, a dimmer or brighter dead-cell dye), the
// population a finder places must hold >= 97 % of the events truly of its class (recall), and
// >= 97 % of its events must be of that class (precision), both counted within its parent.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/simulate.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe;
using sim::EventClass;

// The finders of the shipped strategies (gating/fig3_selinexor.yaml) on detector names, plus the
// tail and ellipse finders on populations that have no valley.
constexpr const char* kStrategy = R"yaml(
gates:
  - id: scatter
    find: valley
    dimension: {channel: FSC-A, transform: "log10(floor=1)"}
    keep: above
    adjust: 2
  - id: main
    find: cells
    dimensions: [FSC-A, SSC-A]
  - id: singlets
    parent: scatter
    find: singlets
    dimensions: [FSC-A, FSC-H]
  - id: live
    parent: singlets
    find: valley
    dimension: {channel: APC-Cy7-A, transform: "logicle(T=262144,W=0.5,M=4.5,A=0)"}
    keep: below
  - id: dead_tail
    parent: singlets
    find: tail
    dimension: {channel: APC-Cy7-A, transform: "logicle(T=262144,W=0.5,M=4.5,A=0)"}
    keep: above
    sds: 3
  - id: tcells
    parent: live
    find: valley
    dimension: {channel: APC-A, transform: "logicle(T=262144,W=0.5,M=4.5,A=0)"}
    keep: above
    negative_below: 2000
  - id: targets
    parent: singlets
    find: valley
    dimension: {channel: BV421-A, transform: "logicle(T=262144,W=0.5,M=4.5,A=0)"}
    keep: above
    negative_below: 2000
)yaml";
// Counting beads (co-culture tubes; elsewhere there is no bead peak, which is an Error).
constexpr const char* kBeads = R"yaml(
gates:
  - id: beads_found
    find: ellipse
    dimensions: [FSC-A, SSC-A]
    near: [32000, 150000]
    distance: 4
)yaml";
// The shipped strategies' counting beads (gating/fig3_selinexor.yaml, car_kinetics.yaml), scored
// in every tube (where there are none, every event it holds counts against its precision).
constexpr const char* kShippedBeads = R"yaml(
  - id: bead_scatter
    type: range
    dimension: {ratio: {numerator: SSC-A, denominator: FSC-A}}
    min: 3.5
  - id: beads
    parent: bead_scatter
    find: valley
    dimension: {channel: FSC-A, transform: "log10(floor=1)"}
    keep: above
    single_peak: positive
    min_peak: 0.05
    sds: 6
    absent_below: 50
)yaml";

struct Score {
  std::size_t truth = 0, found = 0, both = 0;
  double precision() const { return found ? static_cast<double>(both) / static_cast<double>(found) : 1.0; }
  double recall() const { return truth ? static_cast<double>(both) / static_cast<double>(truth) : 1.0; }
};

struct Shift {
  const char* name;
  sim::InstrumentShift shift;
};
const Shift kShifts[] = {
    {"none", {}},
    {"scatter x0.75", {0.75, 1, 1}},
    {"scatter x1.3", {1.3, 1, 1}},
    {"fluorescence x0.75", {1, 0.75, 1}},
    {"fluorescence x1.3", {1, 1.3, 1}},
    {"dye x0.6", {1, 1, 0.6}},
    {"dye x1.6", {1, 1, 1.6}},
};

// Which tubes each finder is scored on (populations present there), which events it is scored
// on (within its parent: the events the finder separates, so an error of an earlier gate is
// counted once, at that gate), and its true class.
using Labels = sim::EventLabels;
struct Check {
  const char* population;
  std::function<bool(const sim::Tube&)> applies;
  std::function<bool(const Labels&, std::size_t)> scored;
  std::function<bool(const Labels&, std::size_t)> truth;
};

bool is_cell(const Labels& l, std::size_t i) { return l.cls[i] == EventClass::Live || l.cls[i] == EventClass::Dead; }
bool any_cell(const Labels& l, std::size_t i) { return is_cell(l, i) || l.cls[i] == EventClass::Doublet; }
bool every(const Labels&, std::size_t) { return true; }
bool always(const sim::Tube&) { return true; }
bool coculture(const sim::Tube& t) { return t.experiment == "coculture"; }

const std::vector<Check>& checks() {
  static const std::vector<Check> all = {
      // Debris out (beads have a gate of their own).
      {"scatter", always, [](const Labels& l, std::size_t i) { return l.cls[i] != EventClass::Bead; },
       [](const Labels& l, std::size_t i) { return l.cls[i] != EventClass::Debris; }},
      // The main population: single cells, live or dead (debris, beads and doublets out).
      {"main", always, every, is_cell},
      {"beads_found", coculture, every, [](const Labels& l, std::size_t i) { return l.cls[i] == EventClass::Bead; }},
      {"beads", always, every, [](const Labels& l, std::size_t i) { return l.cls[i] == EventClass::Bead; }},
      {"singlets", always, any_cell, is_cell},
      {"live", always, is_cell, [](const Labels& l, std::size_t i) { return l.cls[i] == EventClass::Live; }},
      {"dead_tail", always, is_cell, [](const Labels& l, std::size_t i) { return l.cls[i] == EventClass::Dead; }},
      {"tcells", always, is_cell, [](const Labels& l, std::size_t i) { return l.is_positive(i, sim::CD3); }},
      {"targets", coculture, is_cell, [](const Labels& l, std::size_t i) { return l.role[i] == sim::CellRole::Tumour; }},
  };
  return all;
}

// A few tubes of every experiment: extreme and middle doses, both lines.
std::vector<sim::Tube> chosen_tubes(const sim::Design& design) {
  std::vector<sim::Tube> out;
  for (const auto& t : sim::plan_tubes(design)) {
    const std::string& f = t.file;
    if (f == "tcell_CAR-T_0nM_r1.fcs" || f == "tcell_NT_100nM_r2.fcs" || f == "bcma_MM1S_50nM_r1.fcs" ||
        f == "bcma_U266_100nM_r3.fcs" || f == "cocult_MM1S_0nM_r1.fcs" || f == "cocult_U266_100nM_r2.fcs" ||
        f == "cocult_MM1S_25nM_target-only_r1.fcs" || f == "car_P1_day14.fcs" || f == "car_P2_day00.fcs" ||
        f == "car_P1_day14_pleural_effusion.fcs")
      out.push_back(t);
  }
  return out;
}

TEST(FinderLabels, EveryFinderMeetsPrecisionAndRecallOnPlainAndShiftedInstruments) {
  const auto root = cytopipe::test::source_dir();
  const sim::Design committed = sim::load_design(root / "sample_fcs" / "design.yaml");
  const gating::GatingStrategy strategy =
      gating::parse_strategy_yaml(std::string(kStrategy) + kShippedBeads, "finder_labels");
  const gating::GatingStrategy beads = gating::parse_strategy_yaml(kBeads, "finder_beads");
  std::map<std::string, std::map<std::string, Score>> table;  // finder -> shift -> pooled score
  for (const auto& shift : kShifts) {
    sim::Design design = committed;
    sim::shift_instrument(design, shift.shift);
    const auto tubes = chosen_tubes(design);
    ASSERT_EQ(tubes.size(), 10u);
    for (const auto& tube : tubes) {
      sim::SimulatedSample simulated = sim::simulate_tube(design, tube);
      fcs::Sample& sample = simulated.sample;
      ASSERT_TRUE(sample.spillover);
      transform::Compensation(*sample.spillover).apply_in_place(sample);
      gating::PlacedGates placed, placed_beads;
      try {
        placed = gating::place_gates(strategy, sample);
        if (coculture(tube)) placed_beads = gating::place_gates(beads, sample);
      } catch (const Error& e) {
        ADD_FAILURE() << shift.name << " " << tube.file << ": " << e.what();
        continue;
      }
      const auto& labels = simulated.labels;
      for (const auto& check : checks()) {
        if (!check.applies(tube)) continue;
        const auto& results = std::string(check.population) == "beads_found" ? placed_beads.results : placed.results;
        const auto& pop = results.at(check.population);
        // The counting beads are scored over every event (their parent, the events of bead-like
        // scatter ratio, is part of how they are found).
        const bool whole_file = std::string(check.population) == "beads";
        const gating::PopulationResult* parent = pop.parent.empty() || whole_file ? nullptr : &results.at(pop.parent);
        Score s;
        for (std::size_t i = 0; i < labels.cls.size(); ++i) {
          if ((parent && !parent->members.test(i)) || !check.scored(labels, i)) continue;
          const bool t = check.truth(labels, i), f = pop.members.test(i);
          s.truth += t;
          s.found += f;
          s.both += t && f;
        }
        auto& pooled = table[check.population][shift.name];
        pooled.truth += s.truth;
        pooled.found += s.found;
        pooled.both += s.both;
        // Per file a floor of 95 % (the 2-D cells contour keeps 95.6-96.3 % of the single cells of
        // the blood tubes, whose T cells and other cells make two scatter clouds), where the class
        // is not a handful of events; the 97 % bar is on each finder's pooled count per shift.
        if (s.truth >= 100) {
          EXPECT_GE(s.recall(), 0.95) << check.population << " " << shift.name << " " << tube.file << " precision "
                                      << s.precision() << " truth " << s.truth << " found " << s.found;
          EXPECT_GE(s.precision(), 0.95) << check.population << " " << shift.name << " " << tube.file << " recall "
                                         << s.recall() << " truth " << s.truth << " found " << s.found;
        }
      }
    }
  }
  for (const auto& [finder, shifts] : table)
    for (const auto& [shift, s] : shifts) {
      std::printf("[finder] %-12s %-20s precision %.4f recall %.4f (truth %zu, found %zu)\n", finder.c_str(),
                  shift.c_str(), s.precision(), s.recall(), s.truth, s.found);
      EXPECT_GE(s.precision(), 0.97) << finder << " " << shift;
      EXPECT_GE(s.recall(), 0.97) << finder << " " << shift;
    }
}

}  // namespace
