// validate's one pass (check_pipeline): every trap of a new user's own folder is listed at once,
// each naming the file and the fault, before any event is read.
#include <gtest/gtest.h>

#include "cytopipe/pipeline/check.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "tiny_batch.hpp"

namespace cytopipe::pipeline {
namespace {

using test::TempDir;
using test::Tube;
using test::write_text;
using test::write_tube;

constexpr const char* kConfig = R"(name: traps
inputs:
  files: data/*.fcs
  sample_sheet: data/sheet.csv
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
readouts:
  viability: viability(live of cells)
  bcma: median(BCMA, live)
  bcma_x: median(BMCA, live)
analysis:
  - readout: viability
    group: dose_nM
    tests: []
)";

// a0_r1, a0_r2, a10_r1, a10_r2 and c (no V-A channel); the sheet misspells a10_r2.
std::filesystem::path trap_folder(const TempDir& dir, const std::string& extra_config = "") {
  std::filesystem::create_directories(dir / "data");
  Tube t;
  t.live_marker = test::ramp(20);
  for (const char* name : {"a0_r1", "a0_r2", "a10_r1", "a10_r2"}) write_tube(dir / "data" / (std::string(name) + ".fcs"), t);
  Tube no_viability = t;
  no_viability.with_viability_channel = false;
  write_tube(dir / "data" / "c.fcs", no_viability);
  write_text(dir / "data" / "sheet.csv",
             "file,dose_nM\na0_r1.fcs,0\na0_r2.fcs,0\na10_r1.fcs,10\na10_r2x.fcs,10\nc.fcs,0\n");
  write_text(dir / "strategy.yaml", test::kTinyStrategy);
  write_text(dir / "p.yaml", kConfig + extra_config);
  return dir / "p.yaml";
}

std::string all_text(const std::vector<Error>& errors) {
  std::string out;
  for (const auto& e : errors) out += std::string(e.what()) + "\n";
  return out;
}

TEST(InputCheck, EveryTrapIsListedInOnePassNamingFileAndFault) {
  TempDir dir;
  const auto config = load_config(trap_folder(dir));
  const auto check = check_pipeline(config);
  const std::string text = all_text(check.errors);
  ASSERT_EQ(check.errors.size(), 4u) << text;
  // The misspelled row: at the sheet's line 5, column 1, with the file it should name.
  EXPECT_NE(text.find((dir / "data" / "sheet.csv").string() + ":5:1: file: row 'a10_r2x.fcs' matches no FCS file"),
            std::string::npos) << text;
  EXPECT_NE(text.find("(did you mean 'a10_r2.fcs'?)"), std::string::npos) << text;
  // ... and the file left without a row.
  EXPECT_NE(text.find((dir / "data" / "a10_r2.fcs").string() + ": file a10_r2.fcs has no row in the sample sheet"),
            std::string::npos) << text;
  // The panel channel missing from one file: which file, what it has, the close name.
  EXPECT_NE(text.find("panel.Viability: channel 'V-A' (used by panel.Viability) is not in 1 of"), std::string::npos) << text;
  EXPECT_NE(text.find("c.fcs has ($PnN ($PnS)): FSC-A, SSC-A, M-A (did you mean 'M-A'?)"), std::string::npos) << text;
  // The read-out's misspelled marker, at the read-out's line:column, with the marker meant.
  EXPECT_NE(text.find("p.yaml:13:11: readouts.bcma_x: channel or marker 'BMCA' (used by read-out 'bcma_x') is not in 4 of 4"),
            std::string::npos) << text;
  EXPECT_NE(text.find("(did you mean 'BCMA'?)"), std::string::npos) << text;
}

TEST(InputCheck, UnmatchedWarnListsRowFileAndTheSmallerGroup) {
  TempDir dir;
  auto config = load_config(trap_folder(dir));
  config.inputs.unmatched_warn = true;  // as --allow-unmatched
  const auto check = check_pipeline(config);
  std::string warnings;
  for (const auto& w : check.warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("row 'a10_r2x.fcs' matches no FCS file"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("file a10_r2.fcs has no row"), std::string::npos) << warnings;
  // dose 10 lost a replicate: n = 1 against 3 at dose 0, named with its file.
  EXPECT_NE(warnings.find("group dose_nM = 10 has n = 1 where the design's largest group has n = 3 (a10_r1.fcs)"),
            std::string::npos) << warnings;
  EXPECT_EQ(check.samples->samples.size(), 4u);
}

TEST(InputCheck, UnmatchedWarnFromTheConfigKey) {
  TempDir dir;
  const auto file = trap_folder(dir);
  auto text = test::read_text(file);
  text.replace(text.find("  sample_sheet:"), 0, "  unmatched: warn\n");
  write_text(file, text);
  EXPECT_TRUE(load_config(file).inputs.unmatched_warn);
  text.replace(text.find("unmatched: warn"), 15, "unmatched: maybe");
  write_text(file, text);
  try {
    load_config(file);
    FAIL() << "accepted unmatched: maybe";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("p.yaml:4:14: inputs.unmatched: expected 'error' or 'warn'"), std::string::npos) << e.what();
  }
}

TEST(InputCheck, AFolderThatMatchesHasNoProblem) {
  TempDir dir;
  trap_folder(dir);
  std::filesystem::remove(dir / "data" / "c.fcs");
  write_text(dir / "data" / "sheet.csv", "file,dose_nM\na0_r1.fcs,0\na0_r2.fcs,0\na10_r1.fcs,10\na10_r2.fcs,10\n");
  auto text = test::read_text(dir / "p.yaml");
  text.erase(text.find("  bcma_x:"), std::string("  bcma_x: median(BMCA, live)\n").size());
  write_text(dir / "p.yaml", text);
  const auto check = check_pipeline(load_config(dir / "p.yaml"));
  EXPECT_TRUE(check.ok()) << all_text(check.errors);
  EXPECT_TRUE(check.warnings.empty());
}

// A finder's pool: and control: factors are sample-sheet factors: a typo would put every file in
// one pool (or select no control) without a word. validate lists each, at the gate's line, with
// the closest factor and the factors the samples have (run refuses the same, b89caa9).
TEST(InputCheck, AFindersUnknownPoolOrControlFactorIsListedAtTheGatesLine) {
  TempDir dir;
  const auto file = trap_folder(dir);
  std::filesystem::remove(dir / "data" / "c.fcs");
  write_text(dir / "data" / "sheet.csv", "file,dose_nM\na0_r1.fcs,0\na0_r2.fcs,0\na10_r1.fcs,10\na10_r2.fcs,10\n");
  auto text = test::read_text(file);
  text.erase(text.find("  bcma_x:"), std::string("  bcma_x: median(BMCA, live)\n").size());
  write_text(file, text);
  // Line 17: the pooled valley (pool: a misspelled dose_nM); line 22: a control_percentile whose
  // control: names a factor the sheet does not have, and whose match: is right.
  write_text(dir / "strategy.yaml", std::string(test::kTinyStrategy) + R"(  - id: pos
    parent: live
    find: valley
    dimension: BCMA
    pool: dose_mM
  - id: iso_pos
    parent: live
    find: control_percentile
    dimension: BCMA
    percentile: 99
    control: {role: isotype}
    match: [dose_nM]
)");
  const auto check = check_pipeline(load_config(file));
  const std::string text_all = all_text(check.errors);
  ASSERT_EQ(check.errors.size(), 2u) << text_all;
  const std::string strategy = (dir / "strategy.yaml").string();
  EXPECT_NE(text_all.find(strategy + ":17:5: gate 'pos': unknown factor 'dose_mM' (did you mean 'dose_nM'?) "
                                     "(the samples have: dose_nM)"),
            std::string::npos) << text_all;
  EXPECT_NE(text_all.find(strategy + ":22:5: gate 'iso_pos': unknown factor 'role'"), std::string::npos) << text_all;
  // The same strategy with the factors spelled right has no problem.
  text = test::read_text(dir / "strategy.yaml");
  text.replace(text.find("dose_mM"), 7, "dose_nM");
  text.replace(text.find("{role: isotype}"), 15, "{dose_nM: 0}");
  write_text(dir / "strategy.yaml", text);
  const auto fixed = check_pipeline(load_config(file));
  EXPECT_TRUE(fixed.ok()) << all_text(fixed.errors);
}

}  // namespace
}  // namespace cytopipe::pipeline
