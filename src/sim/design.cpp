// Parsing and validating the simulation design YAML.
#include "cytopipe/sim/design.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "cytopipe/error.hpp"
#include "cytopipe/input_file.hpp"
#include "sim/yaml_reader.hpp"

namespace cytopipe::sim {

using detail::YamlReader;

std::optional<std::size_t> marker_index(std::string_view name) {
  for (std::size_t m = 0; m < kFluorescence; ++m)
    if (kMarkers[m] == name) return m;
  return std::nullopt;
}

double LogNormal::mean() const { return median * std::exp(0.5 * sdlog * sdlog); }

const CellType& Design::cell_type(std::string_view name) const {
  for (const auto& type : cell_types)
    if (type.name == name) return type;
  throw Error("unknown cell type '" + std::string(name) + "'", {source, "cell_types", 0, 0});
}

namespace {

std::size_t detector_index(const YamlReader& at, const std::string& name) {
  for (std::size_t d = 0; d < kFluorescence; ++d)
    if (kDetectors[d] == name) return d;
  std::string list;
  for (auto d : kDetectors) list += (list.empty() ? "" : ", ") + std::string(d);
  at.fail("unknown detector '" + name + "' (the instrument has: " + list + ")");
}

// [median, sdlog]
LogNormal lognormal(const YamlReader& r) {
  if (r.size() != 2) r.fail("expected [median, sdlog]");
  return {r.element(0).positive(), r.element(1).number_in(0, 5)};
}

// A percentage that may be given once (every dose) or once per dose.
std::vector<double> per_level(const YamlReader& r, std::size_t levels, double lo, double hi,
                              std::string_view what) {
  if (r.node().IsScalar()) return std::vector<double>(levels, r.number_in(lo, hi));
  return r.numbers(lo, hi, levels, what);
}

void read_instrument(const YamlReader& r, Instrument& in) {
  r.only_keys({"style", "cytometer", "range", "events_per_second", "timestep",
               "electronic_noise_sd", "photon_noise", "height_ratio", "voltages", "spillover",
               "calibur", "file_names", "tube_names", "tube_volume_ul"});
  if (auto c = r.optional_child("file_names")) {
    in.file_names = c->text();
    if (in.file_names != "tube" && in.file_names != "opaque") c->fail("expected tube or opaque, found '" + in.file_names + "'");
  }
  if (auto c = r.optional_child("tube_names")) {
    in.tube_names = c->text();
    if (in.tube_names != "file" && in.tube_names != "words") c->fail("expected file or words, found '" + in.tube_names + "'");
  }
  if (auto c = r.optional_child("tube_volume_ul")) in.tube_volume_ul = c->number_in(1, 1e6);
  if (auto s = r.optional_child("style")) {
    const auto style = s->text();
    if (style == "facsdiva") in.style = InstrumentStyle::FacsDiva;
    else if (style == "facscalibur") in.style = InstrumentStyle::FacsCalibur;
    else s->fail("unknown style '" + style + "' (expected facsdiva or facscalibur)");
  }
  if (auto c = r.optional_child("cytometer")) in.cytometer = c->text();
  if (auto c = r.optional_child("range")) in.range = c->number_in(1024, 1e9);
  if (auto c = r.optional_child("events_per_second")) in.events_per_second = c->positive();
  if (auto c = r.optional_child("timestep")) in.timestep = c->positive();
  if (auto c = r.optional_child("electronic_noise_sd")) in.electronic_noise_sd = c->number_in(0, 1e5);
  if (auto c = r.optional_child("photon_noise")) in.photon_noise = c->number_in(0, 100);
  if (auto h = r.optional_child("height_ratio")) {
    h->only_keys({"fsc", "ssc", "cv"});
    if (auto c = h->optional_child("fsc")) in.height_ratio_fsc = c->number_in(0.1, 1.5);
    if (auto c = h->optional_child("ssc")) in.height_ratio_ssc = c->number_in(0.1, 1.5);
    if (auto c = h->optional_child("cv")) in.height_cv = c->number_in(0, 1);
  }
  in.voltages.fill(500);
  if (auto v = r.optional_child("voltages"))
    for (const auto& name : v->keys()) in.voltages[detector_index(*v, name)] = v->child(name).positive();
  for (std::size_t i = 0; i < kFluorescence; ++i) {
    in.spillover[i].fill(0);
    in.spillover[i][i] = 1;
  }
  const auto spill = r.child("spillover");
  for (const auto& from : spill.keys()) {
    const auto row = spill.child(from);
    const std::size_t i = detector_index(spill, from);
    for (const auto& to : row.keys()) {
      const std::size_t j = detector_index(row, to);
      if (i == j) row.child(to).fail("the diagonal is 1 by definition; leave it out");
      in.spillover[i][j] = row.child(to).number_in(0, 2);
    }
  }
  if (auto c = r.optional_child("calibur")) {
    c->only_keys({"decades", "resolution"});
    if (auto d = c->optional_child("decades")) in.calibur_decades = d->number_in(1, 6);
    if (auto d = c->optional_child("resolution"))
      in.calibur_resolution = static_cast<int>(d->count(256));
    if (in.calibur_resolution > 65536) c->child("resolution").fail("at most 65536 (16-bit storage)");
  }
}

void read_particles(const YamlReader& r, Particles& p) {
  r.only_keys({"debris", "dead", "beads", "doublet_height_factor"});
  if (auto d = r.optional_child("debris")) {
    d->only_keys({"fsc", "ssc", "fluorescence", "viability_dye_pct", "viability_dye"});
    if (auto c = d->optional_child("fluorescence")) p.debris_fluorescence = lognormal(*c);
    if (auto c = d->optional_child("viability_dye")) p.debris_dye_bright = lognormal(*c);
    if (auto c = d->optional_child("fsc")) p.debris_fsc = lognormal(*c);
    if (auto c = d->optional_child("ssc")) p.debris_ssc = lognormal(*c);
    if (auto c = d->optional_child("viability_dye_pct")) p.debris_viability_pct = c->number_in(0, 100);
  }
  if (auto d = r.optional_child("dead")) {
    d->only_keys({"fsc_factor", "ssc_factor"});
    if (auto c = d->optional_child("fsc_factor")) p.dead_fsc_factor = c->number_in(0.05, 2);
    if (auto c = d->optional_child("ssc_factor")) p.dead_ssc_factor = c->number_in(0.05, 5);
  }
  if (auto b = r.optional_child("beads")) {
    b->only_keys({"fsc", "ssc", "fluorescence"});
    if (auto c = b->optional_child("fsc")) p.bead_fsc = lognormal(*c);
    if (auto c = b->optional_child("ssc")) p.bead_ssc = lognormal(*c);
    if (auto c = b->optional_child("fluorescence")) p.bead_fluorescence = lognormal(*c);
  }
  if (auto c = r.optional_child("doublet_height_factor")) p.doublet_height_factor = c->number_in(0.5, 2);
}

CellType read_cell_type(const YamlReader& r, const std::string& name) {
  r.only_keys({"fsc", "ssc", "autofluorescence", "markers"});
  CellType type;
  type.name = name;
  type.fsc = lognormal(r.child("fsc"));
  type.ssc = lognormal(r.child("ssc"));
  const LogNormal autofluorescence = lognormal(r.child("autofluorescence"));
  for (auto& m : type.markers) m = {autofluorescence, autofluorescence, 0, std::nullopt};
  if (auto markers = r.optional_child("markers")) {
    for (const auto& marker : markers->keys()) {
      const auto entry = markers->child(marker);
      const auto m = marker_index(marker);
      if (!m) {
        std::string list;
        for (auto k : kMarkers) list += (list.empty() ? "" : ", ") + std::string(k);
        entry.fail("unknown marker '" + marker + "' (the panel has: " + list + ")");
      }
      entry.only_keys({"negative", "positive", "positive_pct", "exclusive_with"});
      auto& profile = type.markers[*m];
      if (auto c = entry.optional_child("negative")) profile.negative = lognormal(*c);
      if (auto c = entry.optional_child("positive")) profile.positive = lognormal(*c);
      if (auto c = entry.optional_child("positive_pct")) profile.positive_pct = c->number_in(0, 100);
      if (auto c = entry.optional_child("exclusive_with")) {
        const auto other = marker_index(c->text());
        if (!other || *other >= *m)
          c->fail("must name a marker earlier in the panel (CAR, BCMA, CD4, CD8, CD3, Viability, CTV, CD45)");
        profile.exclusive_with = other;
      }
    }
  }
  return type;
}

void read_common(const YamlReader& r, ExperimentCommon& c, bool with_doses) {
  c.enabled = true;
  if (auto e = r.optional_child("enabled")) c.enabled = e->boolean();
  c.events = r.child("events").count(10);
  if (auto e = r.optional_child("replicates")) c.replicates = e->count(1);
  if (with_doses) c.doses = r.child("doses").numbers(0, 1e9);
  if (auto e = r.optional_child("debris_pct")) c.debris_pct = e->number_in(0, 90);
  if (auto e = r.optional_child("doublet_pct")) c.doublet_pct = e->number_in(0, 50);
  if (auto e = r.optional_child("replicate_sd_pct")) c.replicate_sd_pct = e->number_in(0, 50);
  if (auto e = r.optional_child("mfi_sdlog")) c.mfi_sdlog = e->number_in(0, 2);
}

#define CYTOPIPE_COMMON_KEYS \
  "enabled", "events", "replicates", "doses", "debris_pct", "doublet_pct", "replicate_sd_pct", "mfi_sdlog"

void check_cell_type(const Design& d, const YamlReader& at) {
  const auto name = at.text();
  for (const auto& t : d.cell_types)
    if (t.name == name) return;
  at.fail("unknown cell type '" + name + "' (not under cell_types)");
}

void read_tcell(const YamlReader& r, Design& d) {
  r.only_keys({CYTOPIPE_COMMON_KEYS, "lines"});
  auto& x = d.tcell_viability;
  read_common(r, x.common, true);
  const auto lines = r.child("lines");
  for (const auto& name : lines.keys()) {
    const auto l = lines.child(name);
    l.only_keys({"cell_type", "viability_pct", "car_pos_pct"});
    TcellLine line;
    line.name = name;
    check_cell_type(d, l.child("cell_type"));
    line.cell_type = l.child("cell_type").text();
    line.viability_pct = per_level(l.child("viability_pct"), x.common.doses.size(), 0, 100, "one per dose");
    line.car_pos_pct = l.child("car_pos_pct").number_in(0, 100);
    x.lines.push_back(std::move(line));
  }
}

// The positive median that gives a population mean of `target` with `pos_pct` % positives.
void check_reachable_mean(const YamlReader& at, double target, double pos_pct, const LogNormal& negative) {
  const double p = pos_pct / 100;
  if (p <= 0) {
    if (std::abs(target - negative.mean()) > 0.25 * negative.mean())
      at.fail("with 0 % positive cells the mean is the negative component's mean (" +
              std::to_string(negative.mean()) + ")");
    return;
  }
  const double positive_mean = (target - (1 - p) * negative.mean()) / p;
  if (positive_mean < 1.5 * negative.mean())
    at.fail("mean " + std::to_string(target) + " is too low for " + std::to_string(pos_pct) +
            " % positives: the positive component would not be brighter than the negative");
}

void read_tumour(const YamlReader& r, Design& d) {
  r.only_keys({CYTOPIPE_COMMON_KEYS, "lines", "isotype"});
  auto& x = d.tumour_bcma;
  read_common(r, x.common, true);
  if (auto c = r.optional_child("isotype")) x.isotype = lognormal(*c);
  const auto lines = r.child("lines");
  const std::size_t n = x.common.doses.size();
  for (const auto& name : lines.keys()) {
    const auto l = lines.child(name);
    l.only_keys({"cell_type", "viability_pct", "bcma_pos_pct", "bcma_mean"});
    TumourLine line;
    line.name = name;
    check_cell_type(d, l.child("cell_type"));
    line.cell_type = l.child("cell_type").text();
    line.viability_pct = per_level(l.child("viability_pct"), n, 0, 100, "one per dose");
    line.bcma_pos_pct = per_level(l.child("bcma_pos_pct"), n, 0, 100, "one per dose");
    line.bcma_mean = per_level(l.child("bcma_mean"), n, 1, 1e7, "one per dose");
    const auto& negative = d.cell_type(line.cell_type).markers[BCMA].negative;
    for (std::size_t i = 0; i < n; ++i)
      check_reachable_mean(l.child("bcma_mean"), line.bcma_mean[i], line.bcma_pos_pct[i], negative);
    x.lines.push_back(std::move(line));
  }
}

void read_coculture(const YamlReader& r, Design& d) {
  r.only_keys({CYTOPIPE_COMMON_KEYS, "lines", "effector_cell_type", "effector_viability_pct",
               "effector_car_pos_pct", "et_ratio", "targets_per_tube", "beads_per_tube",
               "killed_dead_pct"});
  auto& x = d.coculture;
  read_common(r, x.common, true);
  if (auto c = r.optional_child("effector_cell_type")) {
    check_cell_type(d, *c);
    x.effector_cell_type = c->text();
  }
  if (auto c = r.optional_child("effector_viability_pct")) x.effector_viability_pct = c->number_in(0, 100);
  if (auto c = r.optional_child("effector_car_pos_pct")) x.effector_car_pos_pct = c->number_in(0, 100);
  if (auto c = r.optional_child("et_ratio")) x.et_ratio = c->number_in(0, 1000);
  if (auto c = r.optional_child("targets_per_tube")) x.targets_per_tube = c->positive();
  if (auto c = r.optional_child("beads_per_tube")) x.beads_per_tube = c->positive();
  if (auto c = r.optional_child("killed_dead_pct")) x.killed_dead_pct = c->number_in(0, 100);
  const auto lines = r.child("lines");
  const std::size_t n = x.common.doses.size();
  for (const auto& name : lines.keys()) {
    const auto l = lines.child(name);
    l.only_keys({"cell_type", "target_viability_pct", "killing_pct", "bcma_pos_pct", "bcma_mean"});
    CocultureLine line;
    line.name = name;
    check_cell_type(d, l.child("cell_type"));
    line.cell_type = l.child("cell_type").text();
    line.target_viability_pct = per_level(l.child("target_viability_pct"), n, 0, 100, "one per dose");
    line.killing_pct = per_level(l.child("killing_pct"), n, 0, 100, "one per dose");
    line.bcma_pos_pct = per_level(l.child("bcma_pos_pct"), n, 0, 100, "one per dose");
    line.bcma_mean = per_level(l.child("bcma_mean"), n, 1, 1e7, "one per dose");
    const auto& negative = d.cell_type(line.cell_type).markers[BCMA].negative;
    for (std::size_t i = 0; i < n; ++i)
      check_reachable_mean(l.child("bcma_mean"), line.bcma_mean[i], line.bcma_pos_pct[i], negative);
    x.lines.push_back(std::move(line));
  }
}

void read_kinetics(const YamlReader& r, Design& d) {
  r.only_keys({CYTOPIPE_COMMON_KEYS, "days", "t_cell_type", "other_cell_type", "patients",
               "pleural_effusion"});
  auto& x = d.car_kinetics;
  read_common(r, x.common, false);
  if (r.has("doses")) r.child("doses").fail("car_kinetics has days, not doses");
  for (double day : r.child("days").numbers(0, 10000)) {
    if (day != std::floor(day)) r.child("days").fail("days must be whole numbers");
    x.days.push_back(static_cast<int>(day));
  }
  if (auto c = r.optional_child("t_cell_type")) {
    check_cell_type(d, *c);
    x.t_cell_type = c->text();
  }
  if (auto c = r.optional_child("other_cell_type")) {
    check_cell_type(d, *c);
    x.other_cell_type = c->text();
  }
  const auto patients = r.child("patients");
  for (const auto& name : patients.keys()) {
    const auto p = patients.child(name);
    p.only_keys({"car_pos_pct", "cd3_pct", "viability_pct"});
    Patient patient;
    patient.name = name;
    patient.car_pos_pct = p.child("car_pos_pct").numbers(0, 100, x.days.size(), "one per day");
    if (auto c = p.optional_child("cd3_pct")) patient.cd3_pct = c->number_in(0, 100);
    if (auto c = p.optional_child("viability_pct")) patient.viability_pct = c->number_in(0, 100);
    x.patients.push_back(std::move(patient));
  }
  if (auto c = r.optional_child("pleural_effusion")) {
    c->only_keys({"patient", "day", "car_pos_pct", "cd3_pct", "viability_pct"});
    PleuralEffusion pe;
    pe.patient = c->child("patient").text();
    bool known = false;
    for (const auto& p : x.patients) known = known || p.name == pe.patient;
    if (!known) c->child("patient").fail("unknown patient '" + pe.patient + "'");
    pe.day = static_cast<int>(c->child("day").count(0));
    pe.car_pos_pct = c->child("car_pos_pct").number_in(0, 100);
    if (auto e = c->optional_child("cd3_pct")) pe.cd3_pct = e->number_in(0, 100);
    if (auto e = c->optional_child("viability_pct")) pe.viability_pct = e->number_in(0, 100);
    x.pleural_effusion = pe;
  }
}

int parse_time(const YamlReader& r) {
  const auto text = r.text();
  int h = 0, m = 0, s = 0;
  char c1 = 0, c2 = 0;
  std::istringstream in(text);
  if (!(in >> h >> c1 >> m >> c2 >> s) || c1 != ':' || c2 != ':' || h < 0 || h > 23 || m < 0 ||
      m > 59 || s < 0 || s > 59)
    r.fail("expected a time HH:MM:SS, got '" + text + "'");
  return h * 3600 + m * 60 + s;
}

void check_date(const YamlReader& r) {
  static constexpr std::string_view months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  const auto text = r.text();
  bool ok = text.size() == 11 && text[2] == '-' && text[6] == '-';
  if (ok) {
    bool month = false;
    for (auto m : months) month = month || text.substr(3, 3) == m;
    ok = month && std::isdigit(static_cast<unsigned char>(text[0])) &&
         std::isdigit(static_cast<unsigned char>(text[1]));
    for (std::size_t i = 7; i < 11; ++i) ok = ok && std::isdigit(static_cast<unsigned char>(text[i]));
  }
  if (!ok) r.fail("expected a date DD-MMM-YYYY (e.g. 11-JUN-2024), got '" + text + "'");
}

// acquisition_faults: {FILE: [{clog: {from, to, rate}} | {shift: {detector, from, to, factor}}, ...]}
void read_faults(const YamlReader& r, Design& d) {
  for (const auto& file : r.keys()) {
    const auto list = r.child(file);
    if (!list.node().IsSequence()) list.fail("expected a list of faults ({clog: ...} or {shift: ...})");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto item = list.element(i);
      item.only_keys({"clog", "shift"});
      if (item.keys().size() != 1) item.fail("expected one of clog or shift");
      AcquisitionFault f;
      f.file = file;
      if (auto c = item.optional_child("clog")) {
        c->only_keys({"from", "to", "rate"});
        f.kind = AcquisitionFault::Kind::Clog;
        f.from = c->child("from").number_in(0, 1e6);
        f.to = c->child("to").number_in(0, 1e6);
        if (auto rate = c->optional_child("rate")) f.rate = rate->number_in(1e-6, 1);
      } else {
        const auto sh = item.child("shift");
        sh.only_keys({"detector", "from", "to", "factor"});
        f.kind = AcquisitionFault::Kind::Shift;
        f.detector = detector_index(sh.child("detector"), sh.child("detector").text());
        f.from = sh.child("from").number_in(0, 1e6);
        f.to = sh.child("to").number_in(0, 1e6);
        f.factor = sh.child("factor").number_in(1e-3, 1e3);
      }
      if (!(f.to > f.from)) item.fail("'to' must be after 'from'");
      d.acquisition_faults.push_back(f);
    }
  }
}

}  // namespace

Design parse_design(std::string_view yaml_text, std::string_view source_name) {
  const std::string source(source_name);
  yaml::Reader reader(source);
  const YAML::Node root = reader.load(std::string(yaml_text));
  const YamlReader r(root, "", reader);
  if (!root.IsMap()) {
    detail::section(reader, [&] { r.fail("a design is a YAML mapping (seed, instrument, cell_types, experiments)"); });
    reader.throw_if_errors();
  }
  r.only_keys({"seed", "date", "start_time", "seconds_between_tubes", "instrument", "particles",
               "cell_types", "experiments", "acquisition_faults"});
  Design d;
  d.source = source;
  const auto section = [&](auto&& read) { detail::section(reader, read); };
  section([&] {
    const auto seed = r.child("seed");
    const double v = seed.number_in(0, 9007199254740992.0);
    if (v != std::floor(v)) seed.fail("expected a whole number");
    d.seed = static_cast<std::uint64_t>(v);
  });
  section([&] {
    if (auto c = r.optional_child("date")) {
      check_date(*c);
      d.date = c->text();
    }
  });
  section([&] {
    if (auto c = r.optional_child("start_time")) d.start_seconds = parse_time(*c);
  });
  section([&] {
    if (auto c = r.optional_child("seconds_between_tubes")) d.seconds_between_tubes = c->number_in(0, 86400);
  });
  section([&] { read_instrument(r.child("instrument"), d.instrument); });
  section([&] {
    if (auto c = r.optional_child("particles")) read_particles(*c, d.particles);
  });
  section([&] {
    const auto types = r.child("cell_types");
    for (const auto& name : types.keys())
      section([&] { d.cell_types.push_back(read_cell_type(types.child(name), name)); });
  });

  d.tcell_viability.common.enabled = false;
  d.tumour_bcma.common.enabled = false;
  d.coculture.common.enabled = false;
  d.car_kinetics.common.enabled = false;
  section([&] {
    const auto ex = r.child("experiments");
    ex.only_keys({"tcell_viability", "tumour_bcma", "coculture", "car_kinetics"});
    section([&] {
      if (auto c = ex.optional_child("tcell_viability")) read_tcell(*c, d);
    });
    section([&] {
      if (auto c = ex.optional_child("tumour_bcma")) read_tumour(*c, d);
    });
    section([&] {
      if (auto c = ex.optional_child("coculture")) read_coculture(*c, d);
    });
    section([&] {
      if (auto c = ex.optional_child("car_kinetics")) read_kinetics(*c, d);
    });
  });
  section([&] {
    if (auto c = r.optional_child("acquisition_faults")) read_faults(*c, d);
  });
  reader.throw_if_errors();
  return d;
}

Design load_design(const std::filesystem::path& file) {
  return parse_design(read_input_file(file, "design file"), file.string());
}

void scale_design(Design& design, std::optional<std::size_t> events,
                  std::optional<std::size_t> replicates) {
  for (ExperimentCommon* c : {&design.tcell_viability.common, &design.tumour_bcma.common,
                              &design.coculture.common, &design.car_kinetics.common}) {
    if (events) c->events = *events;
    if (replicates) c->replicates = *replicates;
  }
}

void restrict_experiments(Design& design, const std::vector<std::string>& names) {
  const std::pair<const char*, ExperimentCommon*> all[] = {
      {"tcell_viability", &design.tcell_viability.common},
      {"tumour_bcma", &design.tumour_bcma.common},
      {"coculture", &design.coculture.common},
      {"car_kinetics", &design.car_kinetics.common}};
  for (const auto& name : names) {
    bool found = false;
    for (const auto& [known, common] : all)
      if (name == known) {
        found = true;
        if (!common->enabled) throw Error("experiment '" + name + "' is not enabled in the design", {design.source, "experiments." + name, 0, 0});
      }
    if (!found)
      throw Error("unknown experiment '" + name +
                      "' (expected tcell_viability, tumour_bcma, coculture or car_kinetics)",
                  {design.source, "experiments", 0, 0});
  }
  for (const auto& [known, common] : all) {
    bool keep = false;
    for (const auto& name : names) keep = keep || name == known;
    common->enabled = common->enabled && keep;
  }
}

}  // namespace cytopipe::sim
