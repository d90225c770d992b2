// The two shipped pipelines on the simulated tubes of sample_fcs/: every read-out that has a
// ground-truth value in sample_fcs/truth.csv (labels of the simulated events) must be within the
// stated tolerance. The worst error per quantity is printed. The same pipelines and strategies,
// unchanged (their gates are finders placed on each file), on the committed design simulated
// with instrument shifts (scatter and fluorescence voltages -25 %/+30 %, a dimmer or brighter
// dead-cell dye) and on the FACSCalibur-style set of sample_fcs/facscalibur, against those sets'
// own truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/output.hpp"
#include "support/shared_data.hpp"
#include "tiny_batch.hpp"

using namespace cytopipe::pipeline;
using namespace cytopipe::pipeline::test;

namespace {

// |estimate - truth| <= absolute + relative * |truth|. Gate-based estimates differ from the labels
// by what the gates misclassify (tails of neighbouring populations, ~1 % of the control above
// its 99th percentile) and by detector noise; the tolerances are a few times those effects.
struct Tolerance {
  double absolute = 0;
  double relative = 0;
};
const std::map<std::string, Tolerance> kTolerance = {
    {"singlet_pct", {2.0, 0}},       {"viability_pct", {2.0, 0}},      {"cd3_pct", {2.0, 0}},
    {"car_pos_pct_of_cd3", {2.5, 0}}, {"bcma_pos_pct", {4.0, 0}},      {"bcma_mean", {0, 0.05}},
    {"target_viability_pct", {2.5, 0}}, {"live_targets_abs", {0, 0.06}}, {"specific_lysis_pct", {3.0, 0}},
    {"killing_pct", {4.0, 0}},
};
Tolerance tolerance_for(const std::string& quantity) {
  if (auto it = kTolerance.find(quantity); it != kTolerance.end()) return it->second;
  if (quantity.rfind("mean_", 0) == 0) return {60, 0.05};  // compensated means, noise ~35 units
  return {0, 0};
}

using Table = std::map<std::string, std::map<std::string, std::string>>;  // file -> column -> cell

Table read_csv_table(const std::filesystem::path& file) {
  std::istringstream in(read_text(file));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string cell; std::getline(hs, cell, ',');) header.push_back(cell);
  Table rows;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(ls, cell, ',');) cells.push_back(cell);
    cells.resize(header.size());
    for (std::size_t i = 1; i < header.size(); ++i) rows[cells[0]][header[i]] = cells[i];
  }
  return rows;
}

// Runs `config_file` and compares its read-outs with `truth_file` (quantities in `skip` left out).
void check_run(const std::string& pipeline, const std::filesystem::path& config_file, const std::filesystem::path& truth_file,
               const std::vector<std::string>& required, const std::vector<std::string>& skip = {}) {
  TempDir dir;
  const auto config = load_config(config_file);
  RunOptions options;
  options.progress = false;
  options.threads = 2;
  options.output_dir = dir.path();
  const auto result = run_pipeline(config, options);
  for (const auto& f : result.failures) ADD_FAILURE() << f.file << " [" << f.stage << "] " << f.reason;

  const auto readouts = read_csv_table(dir / "readouts.csv");
  std::istringstream truth(read_text(truth_file));
  std::string line;
  std::getline(truth, line);
  struct Worst {
    double error = 0;
    std::string file;
    std::size_t n = 0;
  };
  std::map<std::string, Worst> worst;
  while (std::getline(truth, line)) {
    std::stringstream ls(line);
    std::string file, quantity, value;
    std::getline(ls, file, ',');
    std::getline(ls, quantity, ',');
    std::getline(ls, value, ',');
    auto row = readouts.find(file);
    if (row == readouts.end()) continue;
    if (std::find(skip.begin(), skip.end(), quantity) != skip.end()) continue;
    auto cell = row->second.find(quantity);
    if (cell == row->second.end() || cell->second.empty()) continue;
    const double expected = std::stod(value), got = std::stod(cell->second);
    const auto tol = tolerance_for(quantity);
    const double allowed = tol.absolute + tol.relative * std::abs(expected);
    EXPECT_LE(std::abs(got - expected), allowed) << pipeline << ": " << file << " " << quantity << " = " << got
                                                 << ", truth " << expected;
    auto& w = worst[quantity];
    ++w.n;
    if (std::abs(got - expected) >= w.error) w = {std::abs(got - expected), file, w.n};
  }
  for (const auto& q : required) EXPECT_GT(worst[q].n, 0u) << pipeline << ": no comparison for " << q;
  for (const auto& [q, w] : worst)
    std::cout << "[truth] " << pipeline << " " << q << ": n=" << w.n << " worst |error| = " << w.error << " ("
              << w.file << "), tolerance " << tolerance_for(q).absolute << " + " << tolerance_for(q).relative
              << " * |truth|\n";
}

void check_pipeline(const std::string& pipeline, const std::vector<std::string>& required) {
  const auto root = cytopipe::test::source_dir();
  const auto truth_file = root / "sample_fcs" / "truth.csv";
  if (!std::filesystem::exists(truth_file)) GTEST_SKIP() << "sample_fcs/truth.csv not generated yet";
  check_run(pipeline, root / "pipelines" / (pipeline + ".yaml"), truth_file, required);
}

// The shipped pipeline's text with its inputs in `folder` (files and sample sheet), the shipped
// strategy (unchanged), and `compensation` as given.
std::filesystem::path config_for(const TempDir& dir, const std::string& pipeline, const std::filesystem::path& folder,
                                 const std::string& compensation = "file") {
  const auto root = cytopipe::test::source_dir();
  std::string text = read_text(root / "pipelines" / (pipeline + ".yaml"));
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  };
  replace_all("../sample_fcs/", folder.string() + "/");
  replace_all("../gating/", (root / "gating").string() + "/");
  replace_all("compensation: file", "compensation: " + compensation);
  const auto file = dir / (pipeline + ".yaml");
  write_text(file, text);
  return file;
}

// The committed design with an instrument shift, simulated into `folder` (files, sheet, truth).
void simulate_shifted(const std::filesystem::path& folder, const cytopipe::sim::InstrumentShift& shift) {
  auto design = cytopipe::sim::load_design(cytopipe::test::source_dir() / "sample_fcs" / "design.yaml");
  cytopipe::sim::shift_instrument(design, shift);
  cytopipe::sim::OutputOptions options;
  options.threads = 2;
  cytopipe::sim::write_simulation(design, folder, options);
}

const std::vector<std::string> kFig3Required = {"viability_pct", "car_pos_pct_of_cd3", "bcma_pos_pct", "bcma_mean",
                                                "target_viability_pct", "specific_lysis_pct", "live_targets_abs",
                                                "killing_pct"};
const std::vector<std::string> kCarRequired = {"viability_pct", "cd3_pct", "car_pos_pct_of_cd3"};

void check_shifted(const cytopipe::sim::InstrumentShift& shift, const std::vector<std::string>& skip) {
  TempDir data;
  simulate_shifted(data.path(), shift);
  TempDir configs;
  check_run("fig3_selinexor", config_for(configs, "fig3_selinexor", data.path()), data / "truth.csv", kFig3Required, skip);
  check_run("car_kinetics", config_for(configs, "car_kinetics", data.path()), data / "truth.csv", kCarRequired, skip);
}

}  // namespace

// The same strategies, unchanged, on another instrument's day: the finder gates follow the
// populations, the counting beads too, so the bead-counted read-outs (live_targets_abs,
// killing_pct) are checked under scatter shifts as well.
TEST(TruthShifted, ScatterVoltageDown25Percent) { check_shifted({0.75, 1, 1}, {}); }
TEST(TruthShifted, ScatterVoltageUp30Percent) { check_shifted({1.3, 1, 1}, {}); }
TEST(TruthShifted, FluorescenceVoltagesDown25Percent) { check_shifted({1, 0.75, 1}, {}); }
TEST(TruthShifted, FluorescenceVoltagesUp30Percent) { check_shifted({1, 1.3, 1}, {}); }
TEST(TruthShifted, DimmerViabilityDye) { check_shifted({1, 1, 0.6}, {}); }
TEST(TruthShifted, BrighterViabilityDye) { check_shifted({1, 1, 1.6}, {}); }

// The FACSCalibur-style set (FCS 2.0, 10-bit log-amplified fluorescence, hardware compensation):
// the Fig. 3 strategy unchanged; only the config says there is no spillover to apply. Every
// read-out with a truth is checked, cd3_pct too (tumour tubes only, truth 0): the log scale
// records nothing below 1, so the CD3-negative peak is squeezed against that floor, and the
// valley finder measures its spread on its upper side (it cut inside it at 2-15 % before).
TEST(TruthShifted, FacsCaliburStyleSet) {
  const auto root = cytopipe::test::source_dir();
  const auto folder = root / "sample_fcs" / "facscalibur";
  if (!std::filesystem::exists(folder / "truth.csv")) GTEST_SKIP() << "sample_fcs/facscalibur not generated";
  TempDir configs;
  check_run("fig3_selinexor (FACSCalibur)", config_for(configs, "fig3_selinexor", folder, "none"), folder / "truth.csv",
            {"viability_pct", "bcma_pos_pct", "bcma_mean", "singlet_pct", "cd3_pct"});
}

// A frozen rerun (every gate as placed by the first run) gives identical populations and read-outs.
TEST(FrozenGates, RerunWithTheRecordedGatesGivesIdenticalPopulations) {
  const auto root = cytopipe::test::source_dir();
  const auto config = load_config(root / "pipelines" / "car_kinetics.yaml");
  TempDir first, second;
  RunOptions options;
  options.progress = false;
  options.threads = 2;
  options.output_dir = first.path();
  const auto a = run_pipeline(config, options);
  ASSERT_TRUE(a.failures.empty());
  const std::string resolved = read_text(first / "gates_resolved.yaml");
  ASSERT_NE(resolved.find("\nplaced:"), std::string::npos) << "the finder gates are not recorded";
  options.output_dir = second.path();
  options.frozen_gates = first / "gates_resolved.yaml";
  const auto b = run_pipeline(config, options);
  ASSERT_TRUE(b.failures.empty());
  // The same populations; what the finders saw (finder_* rows) only in the run that placed them.
  auto split = [](const std::string& table, bool finder_rows) {
    std::istringstream in(table);
    std::string line, kept;
    while (std::getline(in, line))
      if ((line.find(",finder_") != std::string::npos) == finder_rows) kept += line + "\n";
    return kept;
  };
  const std::string placed_table = read_text(first / "populations.csv");
  EXPECT_EQ(split(placed_table, false), read_text(second / "populations.csv"));
  EXPECT_EQ(split(read_text(second / "populations.csv"), true), "");
  // Each finder row's fraction kept is the gate's percent of parent in the same table.
  std::map<std::string, double> percent, fraction;  // "file|population" -> value
  std::istringstream rows(placed_table);
  std::string line;
  std::getline(rows, line);
  while (std::getline(rows, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) f.push_back(cell);
    if (f.size() < 6) continue;
    const std::string key = f[0] + "|" + f[1];
    if (f[3] == "percent_parent") percent[key] = std::stod(f[5]);
    if (f[3] == "finder_fraction") fraction[key] = std::stod(f[5]);
  }
  ASSERT_FALSE(fraction.empty()) << "no finder rows in populations.csv";
  for (const auto& [key, kept] : fraction) {
    ASSERT_TRUE(percent.contains(key)) << key;
    EXPECT_NEAR(kept, percent[key] / 100, 1e-9) << key;
  }
  EXPECT_EQ(read_text(first / "readouts.csv"), read_text(second / "readouts.csv"));
  // A frozen file without the placed gates is refused with the reason.
  TempDir bad;
  write_text(bad / "gates_resolved.yaml", "strategy: x\n");
  options.frozen_gates = bad / "gates_resolved.yaml";
  options.output_dir = bad / "out";
  EXPECT_THROW(run_pipeline(config, options), cytopipe::Error);
}

TEST(Truth, Fig3SelinexorReadoutsMatchTheSimulation) {
  check_pipeline("fig3_selinexor", {"viability_pct", "car_pos_pct_of_cd3", "bcma_pos_pct", "bcma_mean",
                                    "target_viability_pct", "live_targets_abs", "specific_lysis_pct", "killing_pct"});
}

TEST(Truth, CarKineticsReadoutsMatchTheSimulation) {
  check_pipeline("car_kinetics", {"viability_pct", "cd3_pct", "car_pos_pct_of_cd3", "mean_FITC-A", "mean_APC-A"});
}
