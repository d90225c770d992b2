// A new user's own plate (issue 14), through exactly the README's "Your own experiment" steps: a
// plate exported by another instrument (opaque file names, the identity only in TUBE NAME as
// words, doses in nM and µM, $VOL) -> init -> validate -> the README's edit -> run. The sheet
// init infers is compared with the simulator's, the read-outs with the simulator's truth.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <unistd.h>

#include "support/cli_run.hpp"
#include "cytopipe/base/csv.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::test::run_cytopipe;

struct Table {
  std::vector<std::string> header;
  std::map<std::string, std::vector<std::string>> rows;  // by the first column
  std::string at(const std::string& key, const std::string& column) const {
    const auto c = std::find(header.begin(), header.end(), column);
    const auto r = rows.find(key);
    if (c == header.end() || r == rows.end()) return "<missing>";
    return r->second[static_cast<std::size_t>(c - header.begin())];
  }
};

Table read_table(const fs::path& file) {
  const auto doc = cytopipe::csv::parse(cytopipe::test::read_text_file(file), file.string());
  Table t;
  t.header = doc.header;
  for (const auto& row : doc.rows) t.rows[row.front()] = row;
  return t;
}

class TempFolder {
 public:
  TempFolder() : path_(fs::temp_directory_path() / ("cytopipe_own_experiment_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(OwnExperiment, InitRecoversTheSheetValidatesAndRunsWithinTruth) {
  TempFolder dir;
  const fs::path root = cytopipe::test::source_dir();
  const fs::path plate = dir.path() / "plate", mine = dir.path() / "myexp";
  const fs::path scratch = dir.path() / "scratch";
  // README step 0: the plate (the tests create it; a user has their own folder).
  auto r = run_cytopipe({"simulate", (root / "sample_fcs" / "design.yaml").string(), "-o", plate.string(),
                         "--experiments", "tumour_bcma,coculture", "--file-names", "opaque", "--tube-names", "words",
                         "--tube-volume", "200", "--cytometer", "Attune NxT", "-q"},
                        scratch);
  ASSERT_EQ(r.code, 0) << r.err;
  // Step 1: init.
  r = run_cytopipe({"init", plate.string(), "-o", mine.string()}, scratch);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("sample identity read from the keyword TUBE NAME"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$VOL (acquired volume) in 80 of 80 files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("marker ($PnS) of PE-A: 'BCMA'; 'IgG1 isotype' in"), std::string::npos) << r.out;

  // The sheet: every factor the tube names state, exactly as the simulator's own sheet has it.
  const Table truth_sheet = read_table(plate / "samples.csv");
  const Table sheet = read_table(mine / "samples.csv");
  ASSERT_EQ(sheet.rows.size(), truth_sheet.rows.size());
  std::map<std::string, std::string> experiment_of_name;
  for (const auto& [file, row] : truth_sheet.rows) {
    SCOPED_TRACE(file);
    for (const char* factor : {"cell_line", "dose_nM", "replicate", "role"})
      EXPECT_EQ(sheet.at(file, factor), truth_sheet.at(file, factor)) << factor;
    const bool effectors = truth_sheet.at(file, "experiment") == "coculture" && truth_sheet.at(file, "role") == "sample";
    EXPECT_EQ(sheet.at(file, "effector"), effectors ? "CAR-T" : "");
    // EXPERIMENT NAME varies between files with few values: a factor, one name per experiment.
    auto [it, added] = experiment_of_name.emplace(sheet.at(file, "experiment_name"), truth_sheet.at(file, "experiment"));
    EXPECT_EQ(it->second, truth_sheet.at(file, "experiment"));
  }
  EXPECT_EQ(experiment_of_name.size(), 2u);

  // Step 2: init's pipeline validates as written.
  r = run_cytopipe({"validate", (mine / "pipeline.yaml").string()}, scratch);
  ASSERT_EQ(r.code, 0) << r.err << r.out;

  // Step 3: the README's edit: the gates drawn for this plate (the plate is Fig. 3's design, so
  // its strategy fits), then validate and run.
  fs::copy_file(root / "gating" / "fig3_selinexor.yaml", mine / "gating.yaml", fs::copy_options::overwrite_existing);
  r = run_cytopipe({"validate", (mine / "pipeline.yaml").string()}, scratch);
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  r = run_cytopipe({"run", "-q", (mine / "pipeline.yaml").string()}, scratch);
  ASSERT_EQ(r.code, 0) << r.err << r.out;

  // The read-outs against the simulator's truth (tolerances of tests/pipeline/test_truth.cpp).
  const Table readouts = read_table(mine / "results" / "readouts.csv");
  std::map<std::string, std::map<std::string, double>> truth;
  {
    const auto doc = cytopipe::csv::parse(cytopipe::test::read_text_file(plate / "truth.csv"), "truth.csv");
    for (const auto& row : doc.rows) truth[row[0]][row[1]] = std::stod(row[2]);
  }
  struct Check {
    const char* readout;
    const char* quantity;
    double absolute, relative, scale;  // |readout - scale * truth| <= absolute + relative * |truth|
  };
  const Check checks[] = {{"viability_pct", "viability_pct", 2.0, 0, 1},
                          {"bcma_pos_pct", "bcma_pos_pct", 4.0, 0, 1},
                          {"bcma_mean", "bcma_mean", 0, 0.05, 1},
                          {"target_viability_pct", "target_viability_pct", 2.5, 0, 1},
                          {"specific_lysis_pct", "specific_lysis_pct", 3.0, 0, 1},
                          {"killing_pct", "killing_pct", 4.0, 0, 1},
                          // live targets per µL of the 200 µL tube = absolute live targets / 200
                          {"live_targets_per_uL", "live_targets_abs", 0, 0.06, 1.0 / 200}};
  for (const auto& c : checks) {
    std::size_t compared = 0;
    for (const auto& [file, row] : readouts.rows) {
      const auto value = readouts.at(file, c.readout);
      const auto t = truth[file].find(c.quantity);
      if (value.empty() || value == "<missing>" || t == truth[file].end()) continue;
      const double expected = c.scale * t->second;
      EXPECT_NEAR(std::stod(value), expected, c.absolute + c.relative * std::abs(expected)) << c.readout << " " << file;
      ++compared;
    }
    EXPECT_GE(compared, 12u) << c.readout;
  }
}

// A folder with one broken export among readable ones: init names the broken file and what is
// wrong with it, writes the sheet for the rest, and does not stop; a folder of only broken
// files is an error naming one.
TEST(OwnExperiment, InitListsAnUnreadableFileAndGoesOn) {
  TempFolder dir;
  const fs::path root = cytopipe::test::source_dir();
  const fs::path plate = dir.path() / "plate", mine = dir.path() / "myexp", scratch = dir.path() / "scratch";
  fs::create_directories(plate);
  fs::copy_file(root / "sample_fcs" / "bcma_MM1S_0nM_r1.fcs", plate / "bcma_MM1S_0nM_r1.fcs");
  { std::ofstream(plate / "broken.fcs") << "FCS3.1    not a header"; }
  auto r = run_cytopipe({"init", plate.string(), "-o", mine.string()}, scratch);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("unreadable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("broken.fcs"), std::string::npos) << r.out;
  const Table sheet = read_table(mine / "samples.csv");
  EXPECT_EQ(sheet.rows.size(), 1u);

  fs::remove(plate / "bcma_MM1S_0nM_r1.fcs");
  r = run_cytopipe({"init", plate.string(), "-o", (dir.path() / "other").string()}, scratch);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("broken.fcs"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.path() / "other" / "samples.csv"));
}

}  // namespace
