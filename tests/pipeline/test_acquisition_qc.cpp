// Acquisition QC in a run, on tubes simulated with a clog and a detector shift whose events are
// labelled (sim::EventLabels::fault): the flagged events match the labels, readouts.csv states the
// verdicts, the shifted tube's BCMA read-outs return to the truth once its bad stretch is removed,
// and read-outs on few events are named (warnings.csv, low_count).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/output.hpp"
#include "cytopipe/sim/simulate.hpp"
#include "cytopipe/transform/acquisition_qc.hpp"
#include "support/shared_data.hpp"
#include "tiny_batch.hpp"

namespace pl = cytopipe::pipeline;
namespace sim = cytopipe::sim;
namespace ct = cytopipe::transform;
using cytopipe::pipeline::test::read_text;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;

namespace {

constexpr const char* kClogged = "bcma_MM1S_25nM_r1.fcs";
constexpr const char* kShifted = "bcma_U266_100nM_r2.fcs";

// The sample_fcs design, tumour tubes only, 20000 events each (25 s at 800/s), one tube clogged
// from 8 to 11 s and one with PE-A (BCMA) 1.8 x brighter from 15 to 20 s.
sim::Design faulty_design() {
  auto design = sim::load_design(cytopipe::test::source_dir() / "sample_fcs" / "design.yaml");
  sim::restrict_experiments(design, {"tumour_bcma"});
  sim::scale_design(design, 20000, std::nullopt);
  sim::AcquisitionFault clog;
  clog.file = kClogged;
  clog.kind = sim::AcquisitionFault::Kind::Clog;
  clog.from = 8;
  clog.to = 11;
  clog.rate = 0.02;
  sim::AcquisitionFault shift;
  shift.file = kShifted;
  shift.kind = sim::AcquisitionFault::Kind::Shift;
  shift.detector = 1;  // PE-A
  shift.from = 15;
  shift.to = 20;
  shift.factor = 1.8;
  design.acquisition_faults = {clog, shift};
  return design;
}

const sim::Tube& tube_named(const std::vector<sim::Tube>& tubes, const std::string& file) {
  for (const auto& t : tubes)
    if (t.file == file) return t;
  throw std::runtime_error("no tube " + file);
}

using Table = std::map<std::string, std::map<std::string, std::string>>;  // file -> column -> cell

// readouts.csv (cells may be quoted: the QC reason holds commas).
Table read_readouts(const std::filesystem::path& file) {
  std::istringstream in(read_text(file));
  auto split = [](const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (c == '"') {
        if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
          cells.back() += '"';
          ++i;
        } else {
          quoted = !quoted;
        }
      } else if (c == ',' && !quoted) {
        cells.emplace_back();
      } else {
        cells.back() += c;
      }
    }
    return cells;
  };
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  Table rows;
  while (std::getline(in, line)) {
    auto cells = split(line);
    cells.resize(header.size());
    for (std::size_t i = 1; i < header.size(); ++i) rows[cells[0]][header[i]] = cells[i];
  }
  return rows;
}

double truth_of(const sim::Truth& truth, const std::string& quantity) {
  for (const auto& [q, v] : truth)
    if (q == quantity) return v;
  return std::nan("");
}

std::string pipeline_text(const std::filesystem::path& data, const std::string& qc, const std::string& out) {
  const auto root = cytopipe::test::source_dir();
  return "name: qc_test\n"
         "inputs:\n  files: " + (data / "*.fcs").string() + "\n  sample_sheet: " + (data / "samples.csv").string() +
         "\n  factors: [experiment, cell_line, dose_nM, role]\n"
         "panel:\n  markers: {CAR: FITC-A, BCMA: PE-A, CD4: PerCP-Cy5-5-A, CD8: PE-Cy7-A, CD3: APC-A, Viability: APC-Cy7-A,"
         " CTV: BV421-A, CD45: BV510-A}\n"
         "compensation: file\n"
         "gating:\n  strategy: " + (root / "gating" / "fig3_selinexor.yaml").string() + "\n"
         "  thresholds:\n    - {name: BCMA+, parent: tumour_live, channel: BCMA, percentile: 98, control: {role: isotype},"
         " match: [cell_line, dose_nM]}\n"
         "readouts:\n  viability_pct: viability(live of singlets)\n  bcma_pos_pct: percent(BCMA+ of tumour_live)\n"
         "  bcma_mean: mean(BCMA, tumour_live)\n"
         "outputs: {directory: " + out + ", plots: false, report: true}\n" + qc;
}

}  // namespace

// Per event: the bins QC flags hold the clogged / shifted events and few others.
TEST(AcquisitionQcSimulated, FlaggedEventsMatchTheLabels) {
  const auto design = faulty_design();
  const auto tubes = sim::plan_tubes(design);
  for (const char* file : {kClogged, kShifted}) {
    const auto simulated = sim::simulate_tube(design, tube_named(tubes, file));
    ct::QcOptions options;
    options.channels = {"FSC-A", "SSC-A", "PE-A", "APC-Cy7-A"};
    const auto qc = ct::check_acquisition(simulated.sample, options);
    ASSERT_EQ(qc.verdict, ct::QcVerdict::Flagged) << file << ": " << qc.reason;
    std::size_t bad = 0, good = 0, bad_flagged = 0, good_flagged = 0;
    for (auto f : simulated.labels.fault) (f ? bad : good)++;
    for (const auto& bin : qc.bins)
      for (std::size_t i = bin.first_event; bin.flagged() && i < bin.first_event + bin.events; ++i)
        (simulated.labels.fault[i] ? bad_flagged : good_flagged)++;
    ASSERT_GT(bad, 20u) << file;
    EXPECT_GE(static_cast<double>(bad_flagged), 0.95 * static_cast<double>(bad)) << file << ": " << qc.reason;
    EXPECT_LE(static_cast<double>(good_flagged), 0.02 * static_cast<double>(good)) << file << ": " << qc.reason;
  }
  // A tube without faults passes.
  const auto clean = sim::simulate_tube(design, tube_named(tubes, "bcma_MM1S_25nM_r2.fcs"));
  ct::QcOptions options;
  options.channels = {"FSC-A", "SSC-A", "PE-A", "APC-Cy7-A"};
  const auto qc = ct::check_acquisition(clean.sample, options);
  EXPECT_EQ(qc.verdict, ct::QcVerdict::Pass) << qc.reason;
}

// A run with qc: the verdict columns, the removed share against the truth, and the shifted
// tube's BCMA back within the truth tolerance of tests/pipeline/test_truth.cpp (5 %) only when the
// bad stretch is removed.
TEST(AcquisitionQcSimulated, RunRemovesTheBadStretchesBeforeGating) {
  TempDir dir;
  const auto design = faulty_design();
  sim::write_simulation(design, dir / "data");
  const auto tubes = sim::plan_tubes(design);
  const auto shifted_truth = sim::file_truth(sim::simulate_tube(design, tube_named(tubes, kShifted)), tube_named(tubes, kShifted));

  auto run = [&](const std::string& qc, const std::string& name) {
    write_text(dir / (name + ".yaml"), pipeline_text(dir / "data", qc, (dir / name).string()));
    pl::RunOptions options;
    options.progress = false;
    options.threads = 2;
    const auto result = pl::run_pipeline(pl::load_config(dir / (name + ".yaml")), options);
    for (const auto& f : result.failures) ADD_FAILURE() << f.file << " [" << f.stage << "] " << f.reason;
    return result;
  };
  const auto with_qc = run("qc:\n  channels: [FSC-A, SSC-A, BCMA, Viability]\n  remove: true\n", "with_qc");
  const auto rows = read_readouts(dir / "with_qc" / "readouts.csv");
  ASSERT_EQ(rows.size(), tubes.size());
  for (const auto& [file, row] : rows) {
    const auto& t = tube_named(tubes, file);
    const auto truth = sim::file_truth(sim::simulate_tube(design, t), t);
    const double fault_pct = truth_of(truth, "qc_fault_pct");
    const double removed = std::stod(row.at("qc_removed_pct"));
    if (std::isnan(fault_pct)) {
      EXPECT_EQ(row.at("qc_verdict"), "pass") << file << ": " << row.at("qc_reason");
      EXPECT_EQ(removed, 0) << file;
      continue;
    }
    EXPECT_EQ(row.at("qc_verdict"), "flagged") << file;
    EXPECT_FALSE(row.at("qc_reason").empty()) << file;
    // At least 95 % of the bad events and at most 2 % of the good ones.
    EXPECT_GE(removed, 0.95 * fault_pct) << file;
    EXPECT_LE(removed - fault_pct, 2.0) << file;
  }
  const double truth_mean = truth_of(shifted_truth, "bcma_mean");
  const double cleaned = std::stod(rows.at(kShifted).at("bcma_mean"));
  EXPECT_NEAR(cleaned, truth_mean, 0.05 * truth_mean);
  // The QC warnings name the two tubes.
  std::size_t qc_warnings = 0;
  for (const auto& w : with_qc.warnings) qc_warnings += w.stage == "qc";
  EXPECT_EQ(qc_warnings, 2u);
  EXPECT_NE(read_text(dir / "with_qc" / "report.html").find("Acquisition QC"), std::string::npos);

  // Without removal the shifted stretch (a fifth of the tube, 1.8 x brighter) pulls the mean up
  // by about 16 %: outside the tolerance. Flagged, nothing removed.
  run("qc:\n  channels: [FSC-A, SSC-A, BCMA, Viability]\n  remove: false\n", "kept");
  const auto kept = read_readouts(dir / "kept" / "readouts.csv");
  EXPECT_GT(std::stod(kept.at(kShifted).at("bcma_mean")), 1.08 * truth_mean);
  EXPECT_EQ(kept.at(kShifted).at("qc_verdict"), "flagged");
  EXPECT_EQ(kept.at(kShifted).at("qc_removed_pct"), "0");

  // No qc: section: no QC columns, the table as before.
  run("", "plain");
  const auto header = read_text(dir / "plain" / "readouts.csv").substr(0, read_text(dir / "plain" / "readouts.csv").find('\n'));
  EXPECT_EQ(header.find("qc_"), std::string::npos) << header;
}

// The config's qc: section and min_events: defaults, values, and located errors.
TEST(AcquisitionQcConfig, SectionIsReadAndChecked) {
  TempDir dir;
  write_text(dir / "s.yaml", "gates: []\n");
  const std::string head = "inputs: {files: " + dir.path().string() + "}\ngating: {strategy: " + (dir / "s.yaml").string() + "}\n";
  auto config = pl::parse_config(head, dir / "p.yaml");
  EXPECT_FALSE(config.qc.present);
  EXPECT_EQ(config.min_events, 50u);
  config = pl::parse_config(head + "min_events: 200\nqc:\n  bin_seconds: 0.5\n  rate_threshold: 5\n  channels: [CD3]\n  remove: false\n"
                                   "  max_flagged_pct: 30\n",
                            dir / "p.yaml");
  EXPECT_TRUE(config.qc.present);
  EXPECT_TRUE(config.qc.enabled);
  EXPECT_FALSE(config.qc.remove);
  EXPECT_EQ(config.min_events, 200u);
  EXPECT_EQ(config.qc.options.bin_seconds, 0.5);
  EXPECT_EQ(config.qc.options.rate_threshold, 5);
  EXPECT_EQ(config.qc.options.channels, std::vector<std::string>{"CD3"});
  EXPECT_DOUBLE_EQ(config.qc.options.max_flagged_fraction, 0.3);
  try {
    pl::parse_config(head + "qc:\n  bins: 0\n  rate_treshold: 3\n  drift_threshold: -1\n", dir / "p.yaml");
    ADD_FAILURE() << "expected an error";
  } catch (const cytopipe::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("qc.bins"), std::string::npos) << what;
    EXPECT_NE(what.find("rate_treshold"), std::string::npos) << what;
    EXPECT_NE(what.find("qc.drift_threshold"), std::string::npos) << what;
  }
}
