// From a tube of the design to the populations it contains, with per-file variation.
#include "sim/mixture.hpp"

#include <algorithm>
#include <cmath>

#include "cytopipe/error.hpp"

namespace cytopipe::sim::detail {

namespace {

// A percentage with replicate variation; 0 and 100 are exact design facts and stay.
double vary_pct(Rng& rng, double pct, double sd) {
  if (pct <= 0 || pct >= 100 || sd <= 0) return pct;
  return std::clamp(pct + sd * rng.normal(), 0.1, 99.9);
}

Component component(const CellType& type, CellRole role, double weight, double viability_pct) {
  Component c;
  c.role = role;
  c.fsc = type.fsc;
  c.ssc = type.ssc;
  c.weight = weight;
  c.viability = viability_pct / 100;
  c.markers = type.markers;
  for (auto& m : c.markers) m.positive_pct /= 100;  // fraction from here on
  return c;
}

// Every positive median moves by this file's staining variation.
void vary_staining(Component& c, Rng& rng, double sdlog) {
  for (auto& m : c.markers) m.positive.median *= std::exp(sdlog * rng.normal());
}

// BCMA: the positive median that makes the mean over live cells `mean` at `pos_pct` % positive.
void set_bcma(Component& c, double pos_pct, double mean) {
  auto& m = c.markers[BCMA];
  m.positive_pct = pos_pct / 100;
  if (pos_pct <= 0) return;
  const double p = pos_pct / 100;
  const double positive_mean = (mean - (1 - p) * m.negative.mean()) / p;
  m.positive.median = positive_mean / std::exp(0.5 * m.positive.sdlog * m.positive.sdlog);
}

std::size_t dose_level(const std::vector<double>& doses, const Tube& tube) {
  for (std::size_t i = 0; i < doses.size(); ++i)
    if (tube.dose_nM && doses[i] == *tube.dose_nM) return i;
  throw Error("tube has a dose the design does not list", {tube.file, "dose_nM", 0, 0});
}

template <class Line>
const Line& find_line(const std::vector<Line>& lines, const Tube& tube) {
  for (const auto& l : lines)
    if (l.name == tube.cell_line) return l;
  throw Error("tube has a cell line the design does not list", {tube.file, "cell_line", 0, 0});
}

double debris_weight(double debris_pct, double cells) { return cells * debris_pct / (100 - debris_pct); }

}  // namespace

Mixture resolve_mixture(const Design& design, const Tube& tube, Rng& rng) {
  Mixture mix;
  if (tube.experiment == "tcell_viability") {
    const auto& x = design.tcell_viability;
    const auto& line = find_line(x.lines, tube);
    const std::size_t level = dose_level(x.common.doses, tube);
    const double sd = x.common.replicate_sd_pct;
    auto c = component(design.cell_type(line.cell_type), CellRole::TCell, 1,
                       vary_pct(rng, line.viability_pct[level], sd));
    c.markers[CAR].positive_pct = vary_pct(rng, line.car_pos_pct, sd) / 100;
    vary_staining(c, rng, x.common.mfi_sdlog);
    mix.cells.push_back(c);
    mix.debris_weight = debris_weight(x.common.debris_pct, 1);
    mix.doublet_fraction = x.common.doublet_pct / 100;
    mix.source = line.name;
  } else if (tube.experiment == "tumour_bcma") {
    const auto& x = design.tumour_bcma;
    const auto& line = find_line(x.lines, tube);
    const std::size_t level = dose_level(x.common.doses, tube);
    const double sd = x.common.replicate_sd_pct;
    auto c = component(design.cell_type(line.cell_type), CellRole::Tumour, 1,
                       vary_pct(rng, line.viability_pct[level], sd));
    const double pos = vary_pct(rng, line.bcma_pos_pct[level], sd);
    set_bcma(c, pos, line.bcma_mean[level]);
    vary_staining(c, rng, x.common.mfi_sdlog);
    if (tube.role == "isotype") {
      c.markers[BCMA].positive_pct = 0;
      c.markers[BCMA].negative = x.isotype;
    }
    mix.cells.push_back(c);
    mix.debris_weight = debris_weight(x.common.debris_pct, 1);
    mix.doublet_fraction = x.common.doublet_pct / 100;
    mix.source = line.name;
  } else if (tube.experiment == "coculture") {
    const auto& x = design.coculture;
    const auto& line = find_line(x.lines, tube);
    const std::size_t level = dose_level(x.common.doses, tube);
    const double sd = x.common.replicate_sd_pct;
    const double viable = vary_pct(rng, line.target_viability_pct[level], sd) / 100;
    const bool with_effectors = tube.role == "sample";
    const double killed = with_effectors ? vary_pct(rng, line.killing_pct[level], sd) / 100 : 0;
    const double targets = x.targets_per_tube;
    // Killed targets stay as dye-bright dead cells or break up into debris.
    const double live = targets * viable * (1 - killed);
    const double dead = targets * (1 - viable) + targets * viable * killed * x.killed_dead_pct / 100;
    const double fragments = targets * viable * killed * (1 - x.killed_dead_pct / 100);
    auto t = component(design.cell_type(line.cell_type), CellRole::Tumour, live + dead,
                       100 * live / (live + dead));
    t.markers[CTV].positive_pct = 1;  // pre-loaded with CellTrace Violet
    set_bcma(t, vary_pct(rng, line.bcma_pos_pct[level], sd), line.bcma_mean[level]);
    vary_staining(t, rng, x.common.mfi_sdlog);
    mix.cells.push_back(t);
    double cells = live + dead;
    if (with_effectors) {
      const double effectors = x.et_ratio * targets;
      auto e = component(design.cell_type(x.effector_cell_type), CellRole::TCell, effectors,
                         vary_pct(rng, x.effector_viability_pct, sd));
      e.markers[CAR].positive_pct = vary_pct(rng, x.effector_car_pos_pct, sd) / 100;
      e.markers[CTV].positive_pct = 0;
      vary_staining(e, rng, x.common.mfi_sdlog);
      mix.cells.push_back(e);
      cells += effectors;
    }
    mix.debris_weight = debris_weight(x.common.debris_pct, cells) + fragments;
    mix.bead_weight = x.beads_per_tube;
    mix.doublet_fraction = x.common.doublet_pct / 100;
    mix.source = line.name + (with_effectors ? " + CAR-T" : "");
  } else if (tube.experiment == "car_kinetics") {
    const auto& x = design.car_kinetics;
    const double sd = x.common.replicate_sd_pct;
    double car = 0, cd3 = 0, viability = 0;
    if (tube.tissue == "pleural_effusion") {
      const auto& pe = *x.pleural_effusion;
      car = pe.car_pos_pct;
      cd3 = pe.cd3_pct;
      viability = pe.viability_pct;
    } else {
      const Patient* patient = nullptr;
      for (const auto& p : x.patients)
        if (p.name == tube.patient) patient = &p;
      if (!patient) throw Error("tube has a patient the design does not list", {tube.file, "patient", 0, 0});
      std::size_t level = x.days.size();
      for (std::size_t i = 0; i < x.days.size(); ++i)
        if (tube.day && x.days[i] == *tube.day) level = i;
      if (level == x.days.size()) throw Error("tube has a day the design does not list", {tube.file, "day", 0, 0});
      car = patient->car_pos_pct[level];
      cd3 = patient->cd3_pct;
      viability = patient->viability_pct;
    }
    car = vary_pct(rng, car, sd);
    cd3 = vary_pct(rng, cd3, sd);
    viability = vary_pct(rng, viability, sd);
    auto t = component(design.cell_type(x.t_cell_type), CellRole::TCell, cd3, viability);
    t.markers[CAR].positive_pct = car / 100;
    vary_staining(t, rng, x.common.mfi_sdlog);
    auto o = component(design.cell_type(x.other_cell_type), CellRole::Other, 100 - cd3, viability);
    vary_staining(o, rng, x.common.mfi_sdlog);
    mix.cells.push_back(t);
    mix.cells.push_back(o);
    mix.debris_weight = debris_weight(x.common.debris_pct, 100);
    mix.doublet_fraction = x.common.doublet_pct / 100;
    mix.source = tube.patient + (tube.tissue == "pleural_effusion" ? " pleural effusion" : " PB") +
                 " day " + std::to_string(tube.day.value_or(0));
  } else {
    throw Error("unknown experiment '" + tube.experiment + "'", {tube.file, "experiment", 0, 0});
  }
  return mix;
}

}  // namespace cytopipe::sim::detail
