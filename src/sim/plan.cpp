// The tubes of a design, in acquisition order: the rows of samples.csv.
#include <cmath>
#include <cstdio>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace cytopipe::sim {

namespace {

// "25" for 25 nM, "12.5" for 12.5 nM: file names carry the dose as written in the design.
std::string dose_text(double dose) { return format_number(dose, kTableNumber); }

std::string two_digits(int day) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02d", day);
  return buffer;
}

// Tubes are acquired back to back: each starts after the previous one's nominal duration
// (events / rate) plus the design's gap, so $BTIM/$ETIM follow from the design alone.
struct Planner {
  const Design& design;
  std::vector<Tube> tubes;
  std::size_t well = 0;
  std::size_t events = 0;
  double clock;
  explicit Planner(const Design& d) : design(d), clock(d.start_seconds) {}
  void start_experiment(const ExperimentCommon& common) {
    well = 0;
    events = common.events;
  }
  void add(Tube tube) {
    tube.acquisition = tubes.size();
    tube.well = well++;
    tube.events = events;
    tube.start_seconds = clock;
    clock += static_cast<double>(events) / design.instrument.events_per_second +
             design.seconds_between_tubes;
    tubes.push_back(std::move(tube));
  }
};

}  // namespace

namespace {

// "MM1S 25nM R1", "MM1S 0.1 µM isotype R1", "MM1S CAR-T 25nM R2", "MM1S 50nM target only R3":
// the words a person types into a tube name, doses of 100 nM and more in µM.
std::string words_name(const Tube& t) {
  std::string name = !t.patient.empty() ? t.patient : t.cell_line;
  if (t.experiment == "coculture" && t.role == "sample") name += " CAR-T";
  if (t.dose_nM) {
    char dose[32];
    if (*t.dose_nM >= 100) std::snprintf(dose, sizeof dose, " %g \xC2\xB5M", *t.dose_nM / 1000);
    else std::snprintf(dose, sizeof dose, " %gnM", *t.dose_nM);
    name += dose;
  }
  if (t.day) name += " day" + std::to_string(*t.day);
  if (!t.tissue.empty() && t.tissue != "peripheral_blood") name += " " + t.tissue;
  if (t.role == "isotype") name += " isotype";
  if (t.role == "target-only") name += " target only";
  if (t.replicate > 0) name += " R" + std::to_string(t.replicate);
  return name;
}

void name_tubes(const Instrument& in, std::vector<Tube>& tubes) {
  for (auto& t : tubes) {
    if (in.tube_names == "words") t.tube_name = words_name(t);
    if (in.file_names == "opaque") {
      if (t.tube_name.empty()) t.tube_name = t.file.substr(0, t.file.size() - 4);
      char file[64];
      std::snprintf(file, sizeof file, "Specimen_001_%c%02zu_%03zu.fcs", static_cast<char>('A' + (t.well / 12) % 8),
                    t.well % 12 + 1, t.acquisition + 1);
      t.file = file;
    }
  }
}

}  // namespace

std::vector<Tube> plan_tubes(const Design& design) {
  Planner plan(design);
  if (const auto& x = design.tcell_viability; x.common.enabled) {
    plan.start_experiment(x.common);
    for (const auto& line : x.lines)
      for (double dose : x.common.doses)
        for (std::size_t r = 1; r <= x.common.replicates; ++r) {
          Tube t;
          t.file = "tcell_" + line.name + "_" + dose_text(dose) + "nM_r" + std::to_string(r) + ".fcs";
          t.experiment = "tcell_viability";
          t.cell_line = line.name;
          t.dose_nM = dose;
          t.replicate = static_cast<int>(r);
          t.role = "sample";
          plan.add(std::move(t));
        }
  }
  if (const auto& x = design.tumour_bcma; x.common.enabled) {
    plan.start_experiment(x.common);
    for (const auto& line : x.lines)
      for (double dose : x.common.doses) {
        const std::string stem = "bcma_" + line.name + "_" + dose_text(dose) + "nM";
        Tube iso;
        iso.file = stem + "_isotype.fcs";
        iso.experiment = "tumour_bcma";
        iso.cell_line = line.name;
        iso.dose_nM = dose;
        iso.replicate = 1;
        iso.role = "isotype";
        plan.add(iso);
        for (std::size_t r = 1; r <= x.common.replicates; ++r) {
          Tube t = iso;
          t.file = stem + "_r" + std::to_string(r) + ".fcs";
          t.replicate = static_cast<int>(r);
          t.role = "sample";
          plan.add(std::move(t));
        }
      }
  }
  if (const auto& x = design.coculture; x.common.enabled) {
    plan.start_experiment(x.common);
    for (const auto& line : x.lines)
      for (double dose : x.common.doses)
        for (const char* role : {"target-only", "sample"})
          for (std::size_t r = 1; r <= x.common.replicates; ++r) {
            const std::string stem = "cocult_" + line.name + "_" + dose_text(dose) + "nM";
            Tube t;
            t.file = stem + (std::string(role) == "sample" ? "" : "_target-only") + "_r" +
                     std::to_string(r) + ".fcs";
            t.experiment = "coculture";
            t.cell_line = line.name;
            t.dose_nM = dose;
            t.replicate = static_cast<int>(r);
            t.role = role;
            t.beads = x.beads_per_tube;
            plan.add(std::move(t));
          }
  }
  if (const auto& x = design.car_kinetics; x.common.enabled) {
    plan.start_experiment(x.common);
    for (const auto& patient : x.patients)
      for (int day : x.days) {
        Tube t;
        t.file = "car_" + patient.name + "_day" + two_digits(day) + ".fcs";
        t.experiment = "car_kinetics";
        t.role = "sample";
        t.patient = patient.name;
        t.day = day;
        t.tissue = "peripheral_blood";
        plan.add(std::move(t));
      }
    if (x.pleural_effusion) {
      Tube t;
      t.file = "car_" + x.pleural_effusion->patient + "_day" + two_digits(x.pleural_effusion->day) +
               "_pleural_effusion.fcs";
      t.experiment = "car_kinetics";
      t.role = "sample";
      t.patient = x.pleural_effusion->patient;
      t.day = x.pleural_effusion->day;
      t.tissue = "pleural_effusion";
      plan.add(std::move(t));
    }
  }
  name_tubes(design.instrument, plan.tubes);
  return plan.tubes;
}

}  // namespace cytopipe::sim
