// Channels and TEXT keywords as FACSDiva writes them, derived from the design (never the clock).
#include "sim/fcs_metadata.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace cytopipe::sim::detail {

std::string clock_text(double seconds) {
  const long total = static_cast<long>(std::floor(seconds)) % 86400;
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02ld:%02ld:%02ld", total / 3600, (total / 60) % 60, total % 60);
  return buffer;
}

std::string number_text(double value) {
  char buffer[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string spillover_text(const Instrument& instrument) {
  std::string text = std::to_string(kFluorescence);
  for (auto d : kDetectors) text += "," + std::string(d);
  for (const auto& row : instrument.spillover)
    for (double v : row) text += "," + number_text(v);
  return text;
}

namespace {

std::string well_id(std::size_t well) {
  // 96-well plate, row-major: A01..A12, B01, ...
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%c%02zu", static_cast<char>('A' + (well / 12) % 8), well % 12 + 1);
  return buffer;
}

const char* experiment_title(const std::string& experiment) {
  if (experiment == "tcell_viability") return "Fig3ab T-cell viability with selinexor";
  if (experiment == "tumour_bcma") return "Fig3c-g tumour viability and BCMA";
  if (experiment == "coculture") return "Fig3hi CAR-T co-culture cytotoxicity";
  return "Fig2bc CAR kinetics";
}

std::string tube_name(const Tube& tube) {
  if (!tube.tube_name.empty()) return tube.tube_name;
  std::string name = tube.file.substr(0, tube.file.size() - 4);  // without ".fcs"
  return name;
}

}  // namespace

fcs::Sample facsdiva_sample(const Design& design, const Tube& tube, const std::string& source,
                            std::size_t events) {
  const Instrument& in = design.instrument;
  fcs::Sample s;
  s.source = tube.file;
  s.version = "FCS3.1";
  s.datatype = fcs::DataType::Float;
  s.events = fcs::EventMatrix(events, kChannels);

  static constexpr const char* scatter[] = {"FSC-A", "FSC-H", "SSC-A", "SSC-H"};
  auto add_channel = [&](std::string name, std::string marker, std::optional<double> voltage) {
    fcs::Channel c;
    c.index = static_cast<int>(s.channels.size()) + 1;
    c.name = std::move(name);
    c.marker = std::move(marker);
    c.bits = 32;
    c.range = in.range;
    c.gain = 1.0;
    c.voltage = voltage;
    s.channels.push_back(std::move(c));
  };
  for (std::size_t i = 0; i < 4; ++i) add_channel(scatter[i], "", i < 2 ? 350.0 : 420.0);
  for (std::size_t d = 0; d < kFluorescence; ++d) {
    std::string marker(kMarkers[d]);
    if (d == BCMA && tube.role == "isotype") marker = "IgG1 isotype";
    add_channel(std::string(kDetectors[d]), marker, in.voltages[d]);
  }
  add_channel("Time", "", std::nullopt);

  fcs::Spillover spill;
  spill.keyword = "$SPILLOVER";
  for (auto d : kDetectors) spill.detectors.emplace_back(d);
  spill.fluorochromes = spill.detectors;
  for (const auto& row : in.spillover)
    for (double v : row) spill.values.push_back(v);
  s.spillover = spill;

  auto& k = s.keywords;
  k.set("$BYTEORD", "1,2,3,4");
  k.set("$DATATYPE", "F");
  k.set("$MODE", "L");
  k.set("$NEXTDATA", "0");
  k.set("$PAR", std::to_string(kChannels));
  k.set("$TOT", std::to_string(events));
  k.set("$CYT", in.cytometer);
  k.set("$DATE", design.date);
  k.set("$BTIM", clock_text(tube.start_seconds));
  k.set("$ETIM", clock_text(tube.start_seconds));
  k.set("$SRC", source);
  k.set("$FIL", tube.file);
  k.set("$SYS", "cytopipe simulate");
  k.set("$TIMESTEP", number_text(in.timestep));
  k.set("$WELLID", well_id(tube.well));
  k.set("TUBE NAME", tube_name(tube));
  k.set("EXPERIMENT NAME", experiment_title(tube.experiment));
  k.set("CREATOR", "cytopipe simulate (simulated data, seed " + std::to_string(design.seed) + ")");
  k.set("$SPILLOVER", spillover_text(in));
  for (const auto& c : s.channels) {
    const std::string n = "$P" + std::to_string(c.index);
    k.set(n + "N", c.name);
    if (!c.marker.empty()) k.set(n + "S", c.marker);
    k.set(n + "B", "32");
    k.set(n + "E", "0,0");
    k.set(n + "R", number_text(c.range));
    k.set(n + "G", "1");
    if (c.voltage) k.set(n + "V", number_text(*c.voltage));
  }
  return s;
}

void finish_metadata(fcs::Sample& sample, const Design&, const Tube& tube, double seconds) {
  sample.keywords.set("$ETIM", clock_text(tube.start_seconds + seconds));
}

}  // namespace cytopipe::sim::detail
