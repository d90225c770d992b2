// Ground truth from the events' labels: what a perfect gate would find in each file.
#include <cmath>
#include <map>

#include "cytopipe/error.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace cytopipe::sim {

namespace {

double pct(std::size_t part, std::size_t whole) {
  return whole == 0 ? std::nan("") : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

bool single(EventClass c) { return c == EventClass::Live || c == EventClass::Dead; }

}  // namespace

Truth file_truth(const SimulatedSample& simulated, const Tube& tube) {
  const auto& labels = simulated.labels;
  const std::size_t n = labels.cls.size();
  std::size_t debris = 0, beads = 0, doublets = 0, singles = 0, live = 0;
  std::size_t live_cd3 = 0, live_cd3_car = 0, tumour_live = 0, tumour_bcma = 0, tumour_single = 0;
  double bcma_sum = 0;
  std::array<double, kFluorescence> sums{};
  const auto& fl = simulated.fluorescence;
  for (std::size_t i = 0; i < n; ++i) {
    const EventClass c = labels.cls[i];
    if (c == EventClass::Debris) ++debris;
    if (c == EventClass::Bead) ++beads;
    if (c == EventClass::Doublet) ++doublets;
    if (!single(c)) continue;
    ++singles;
    const bool tumour = labels.role[i] == CellRole::Tumour;
    if (tumour) ++tumour_single;
    if (c != EventClass::Live) continue;
    ++live;
    for (std::size_t m = 0; m < kFluorescence; ++m) sums[m] += fl.column(m)[i];
    if (labels.is_positive(i, CD3)) {
      ++live_cd3;
      if (labels.is_positive(i, CAR)) ++live_cd3_car;
    }
    if (tumour) {
      ++tumour_live;
      if (labels.is_positive(i, BCMA)) ++tumour_bcma;
      bcma_sum += fl.column(BCMA)[i];
    }
  }

  Truth t;
  const double total = static_cast<double>(n);
  t.emplace_back("events", total);
  t.emplace_back("frac_debris", static_cast<double>(debris) / total);
  t.emplace_back("frac_beads", static_cast<double>(beads) / total);
  t.emplace_back("frac_doublet", static_cast<double>(doublets) / total);
  t.emplace_back("singlet_pct", pct(singles, singles + doublets));
  t.emplace_back("viability_pct", pct(live, singles));
  t.emplace_back("cd3_pct", pct(live_cd3, live));
  if (live_cd3 > 0) t.emplace_back("car_pos_pct_of_cd3", pct(live_cd3_car, live_cd3));
  if (tumour_live > 0) {
    t.emplace_back("bcma_pos_pct", pct(tumour_bcma, tumour_live));
    t.emplace_back("bcma_mean", bcma_sum / static_cast<double>(tumour_live));
  }
  if (tube.experiment == "coculture") {
    t.emplace_back("target_viability_pct", pct(tumour_live, tumour_single));
    if (beads == 0)
      throw Error("no bead events: too few events to count targets absolutely", {tube.file, "beads", 0, 0});
    t.emplace_back("live_targets_abs",
                   static_cast<double>(tumour_live) * tube.beads.value_or(0) / static_cast<double>(beads));
  }
  for (std::size_t m = 0; m < kFluorescence; ++m)
    if (live > 0) t.emplace_back("mean_" + std::string(kDetectors[m]), sums[m] / static_cast<double>(live));
  // Only for tubes with acquisition_faults: % of events acquired during a clog or shift.
  std::size_t faulty = 0;
  for (auto f : labels.fault) faulty += f != 0;
  if (faulty) t.emplace_back("qc_fault_pct", pct(faulty, n));
  return t;
}

namespace {

std::optional<double> lookup(const Truth& truth, std::string_view quantity) {
  for (const auto& [q, v] : truth)
    if (q == quantity) return v;
  return std::nullopt;
}

}  // namespace

void add_cytotoxicity(const std::vector<Tube>& tubes, std::vector<Truth>& truths) {
  // Control means per (line, dose): dead % of targets and absolute live targets.
  struct Control {
    double dead = 0, live_abs = 0;
    int n = 0;
  };
  std::map<std::pair<std::string, double>, Control> controls;
  for (std::size_t i = 0; i < tubes.size(); ++i) {
    if (tubes[i].experiment != "coculture" || tubes[i].role != "target-only") continue;
    auto& c = controls[{tubes[i].cell_line, tubes[i].dose_nM.value_or(0)}];
    c.dead += 100 - lookup(truths[i], "target_viability_pct").value_or(std::nan(""));
    c.live_abs += lookup(truths[i], "live_targets_abs").value_or(std::nan(""));
    ++c.n;
  }
  for (std::size_t i = 0; i < tubes.size(); ++i) {
    if (tubes[i].experiment != "coculture" || tubes[i].role != "sample") continue;
    const auto it = controls.find({tubes[i].cell_line, tubes[i].dose_nM.value_or(0)});
    if (it == controls.end()) continue;
    const double d0 = it->second.dead / it->second.n;
    const double a0 = it->second.live_abs / it->second.n;
    const double d = 100 - lookup(truths[i], "target_viability_pct").value_or(std::nan(""));
    const double a = lookup(truths[i], "live_targets_abs").value_or(std::nan(""));
    truths[i].emplace_back("specific_lysis_pct", 100 * (d - d0) / (100 - d0));
    truths[i].emplace_back("killing_pct", 100 * (1 - a / a0));
  }
}

}  // namespace cytopipe::sim
