#pragma once
// The simulation design: instrument, cell types and the four experiments, as read from a design
// YAML (sample_fcs/design.yaml documents every key). Every number the simulator uses is here.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cytopipe::sim {

// The eight fluorescence detectors, in $Pn order, and the marker each carries.
inline constexpr std::size_t kFluorescence = 8;
inline constexpr std::array<std::string_view, kFluorescence> kDetectors = {
    "FITC-A", "PE-A", "PerCP-Cy5-5-A", "PE-Cy7-A", "APC-A", "APC-Cy7-A", "BV421-A", "BV510-A"};
inline constexpr std::array<std::string_view, kFluorescence> kMarkers = {
    "CAR", "BCMA", "CD4", "CD8", "CD3", "Viability", "CTV", "CD45"};
enum Marker : std::size_t { CAR = 0, BCMA, CD4, CD8, CD3, Viability, CTV, CD45 };
// The marker index of a name in kMarkers, if any.
std::optional<std::size_t> marker_index(std::string_view name);

struct LogNormal {
  double median = 1;
  double sdlog = 0;
  double mean() const;  // median * exp(sdlog^2 / 2)
};

enum class InstrumentStyle { FacsDiva, FacsCalibur };

struct Instrument {
  InstrumentStyle style = InstrumentStyle::FacsDiva;
  std::string cytometer = "FACSCanto II";
  double range = 262144;           // $PnR of every channel (FACSDiva style)
  double events_per_second = 1000;
  double timestep = 0.01;          // $TIMESTEP, seconds per Time unit
  double electronic_noise_sd = 40; // additive detector noise, channel units
  double photon_noise = 2.0;       // signal-dependent noise: sd = photon_noise * sqrt(signal)
  double height_ratio_fsc = 0.85;  // FSC-H / FSC-A for single particles
  double height_ratio_ssc = 0.90;
  double height_cv = 0.04;
  // Row i = how fluorochrome i (the marker of detector i) spills into each detector.
  std::array<std::array<double, kFluorescence>, kFluorescence> spillover{};
  std::array<double, kFluorescence> voltages{};  // $PnV
  // FACSCalibur style: decades of the log amplifiers and the ADC resolution.
  double calibur_decades = 4;
  int calibur_resolution = 1024;
  // How a plate comes off another instrument (defaults: as sample_fcs/). file_names: "tube"
  // (bcma_MM1S_25nM_r1.fcs) or "opaque" (Specimen_001_A01_001.fcs: the identity only in TUBE NAME);
  // tube_names: "file" (the file's stem) or "words" ("MM1S 25nM R1", "MM1S 0.1 µM isotype R1");
  // tube_volume_ul: with it, $VOL (nL) = the volume acquired from a tube of that many µL (the bead
  // events' share of the tube's beads; tubes without beads: 50,000 cells per tube).
  std::string file_names = "tube";
  std::string tube_names = "file";
  std::optional<double> tube_volume_ul;
};

struct MarkerProfile {
  LogNormal negative;
  LogNormal positive;
  double positive_pct = 0;            // % drawn from the positive component
  std::optional<std::size_t> exclusive_with;  // negative whenever this (earlier) marker is positive
};

struct CellType {
  std::string name;
  LogNormal fsc, ssc;  // area signals of live single cells
  std::array<MarkerProfile, kFluorescence> markers{};
};

struct Particles {
  LogNormal debris_fsc{8000, 0.6}, debris_ssc{6000, 0.7};
  LogNormal debris_fluorescence{150, 0.8};  // every detector
  double debris_viability_pct = 30;         // % of debris taking up the dead-cell dye brightly
  LogNormal debris_dye_bright{8000, 0.7};
  double dead_fsc_factor = 0.65;
  double dead_ssc_factor = 1.15;
  LogNormal bead_fsc{25000, 0.05}, bead_ssc{90000, 0.05};
  LogNormal bead_fluorescence{40000, 0.05};  // in every fluorochrome
  double doublet_height_factor = 1.08;       // FSC-H of a doublet relative to its taller cell
};

// Settings every experiment shares.
struct ExperimentCommon {
  bool enabled = true;
  std::size_t events = 4000;
  std::size_t replicates = 3;
  std::vector<double> doses;          // nM (Fig. 3 experiments)
  double debris_pct = 8;              // % of events
  double doublet_pct = 4;             // % of cell events
  double replicate_sd_pct = 2;        // per-file SD of every percentage, in points
  double mfi_sdlog = 0.06;            // per-file SD of positive medians, on the log scale
};

struct TcellLine {
  std::string name;       // cell_line column: CAR-T, NT
  std::string cell_type;  // a key of cell_types
  std::vector<double> viability_pct;  // per dose
  double car_pos_pct = 0;             // % CAR+ of CD3+
};
struct TcellViability {
  ExperimentCommon common;
  std::vector<TcellLine> lines;
};

struct TumourLine {
  std::string name;
  std::string cell_type;
  std::vector<double> viability_pct;  // per dose
  std::vector<double> bcma_pos_pct;   // per dose
  std::vector<double> bcma_mean;      // per dose: mean BCMA over live cells (both components)
};
struct TumourBcma {
  ExperimentCommon common;
  std::vector<TumourLine> lines;
  LogNormal isotype{300, 0.45};
};

struct CocultureLine {
  std::string name;
  std::string cell_type;
  std::vector<double> target_viability_pct;  // per dose, target-only tubes
  std::vector<double> killing_pct;           // per dose: % of live targets the CAR-T cells kill
  std::vector<double> bcma_pos_pct;          // per dose
  std::vector<double> bcma_mean;             // per dose
};
struct Coculture {
  ExperimentCommon common;
  std::string effector_cell_type = "CAR-T";
  double effector_viability_pct = 85;
  double effector_car_pos_pct = 55;
  double et_ratio = 2;                // effectors per target seeded
  double targets_per_tube = 50000;
  double beads_per_tube = 20000;
  double killed_dead_pct = 60;        // of killed targets still intact (dye bright); rest debris
  std::vector<CocultureLine> lines;
};

struct Patient {
  std::string name;
  std::vector<double> car_pos_pct;  // per day: % CAR+ of CD3+
  double cd3_pct = 60;              // % CD3+ of live single cells
  double viability_pct = 92;
};
struct PleuralEffusion {
  std::string patient;
  int day = 14;
  double car_pos_pct = 95;
  double cd3_pct = 85;
  double viability_pct = 88;
};
struct CarKinetics {
  ExperimentCommon common;
  std::vector<int> days;
  std::string t_cell_type = "T";
  std::string other_cell_type = "nonT";
  std::vector<Patient> patients;
  std::optional<PleuralEffusion> pleural_effusion;
};

// A disturbed acquisition of one tube (for testing acquisition QC), in seconds from the tube's
// first event. A clog: the event rate falls to `rate` x the instrument's from `from` to `to`. A
// shift: the detector's signal is multiplied by `factor` (a voltage or gain step) in that stretch.
struct AcquisitionFault {
  std::string file;                  // the tube's file name
  enum class Kind { Clog, Shift } kind = Kind::Clog;
  double from = 0, to = 0;           // seconds
  double rate = 0.02;                // Clog: fraction of the normal rate
  std::size_t detector = 0;          // Shift: index into kDetectors
  double factor = 1;                 // Shift
};

struct Design {
  std::string source;          // the design file (for messages)
  std::uint64_t seed = 1;
  std::string date = "01-JAN-2024";   // $DATE, DD-MMM-YYYY
  int start_seconds = 9 * 3600;       // $BTIM of the first tube, seconds after midnight
  double seconds_between_tubes = 60;  // idle time between acquisitions
  Instrument instrument;
  Particles particles;
  std::vector<CellType> cell_types;
  TcellViability tcell_viability;
  TumourBcma tumour_bcma;
  Coculture coculture;
  CarKinetics car_kinetics;
  std::vector<AcquisitionFault> acquisition_faults;  // none by default

  const CellType& cell_type(std::string_view name) const;  // Error if unknown
};

// Parses and validates a design. Errors name the file, the key path and its line.
Design parse_design(std::string_view yaml_text, std::string_view source_name);
Design load_design(const std::filesystem::path& file);

// Benchmark scaling: every experiment's events and/or replicates replaced.
void scale_design(Design& design, std::optional<std::size_t> events,
                  std::optional<std::size_t> replicates);

// An instrument shift (another day, another instrument): every scatter signal times `scatter`
// (FSC/SSC voltage), every fluorescence signal times `fluorescence` (detector voltages), and the
// dead-cell dye's bright component times `viability_dye` on top (a brighter or dimmer dye lot).
// Detector noise is left as it is. The identity shift leaves the design unchanged.
struct InstrumentShift {
  double scatter = 1;
  double fluorescence = 1;
  double viability_dye = 1;
};
void shift_instrument(Design& design, const InstrumentShift& shift);

// Keeps only the named experiments (tcell_viability, tumour_bcma, coculture, car_kinetics);
// an unknown or disabled name is an Error.
void restrict_experiments(Design& design, const std::vector<std::string>& names);

}  // namespace cytopipe::sim
