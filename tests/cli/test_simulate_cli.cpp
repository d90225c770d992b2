// `cytopipe simulate`, run as the built binary: files, sample sheet, determinism, located errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "support/cli_run.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::test::read_text_file;
using cytopipe::test::run_cytopipe;

class SimulateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cytopipe_cli_simulate_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string design() { return (fs::path(CYTOPIPE_SOURCE_DIR) / "sample_fcs" / "design.yaml").string(); }

  fs::path dir_;
};

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream ls(line);
    while (std::getline(ls, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

TEST_F(SimulateCli, WritesEveryPlannedFileWithTheRequestedEventsAndSheet) {
  const auto out = dir_ / "kinetics";
  const auto r = run_cytopipe({"simulate", design(), "-o", out.string(), "--experiments", "car_kinetics",
                               "--events", "700", "--replicates", "1", "--quiet"},
                              dir_);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto sheet = csv_rows(read_text_file(out / "samples.csv"));
  ASSERT_GT(sheet.size(), 1u);
  ASSERT_EQ(sheet[0][0], "file");
  // The design: 2 patients x 9 days after infusion, plus one pleural-effusion sample.
  EXPECT_EQ(sheet.size() - 1, 2u * 9 + 1);
  std::set<std::string> patients;
  for (std::size_t i = 1; i < sheet.size(); ++i) {
    const fs::path file = out / sheet[i][0];
    ASSERT_TRUE(fs::exists(file)) << file;
    const auto sample = cytopipe::fcs::read_fcs(file);
    EXPECT_EQ(sample.event_count(), 700u) << file;
    EXPECT_TRUE(sample.find_channel("APC-A").has_value()) << file;
    patients.insert(sheet[i][6]);
  }
  EXPECT_EQ(patients, (std::set<std::string>{"P1", "P2"}));
  // Ground truth beside the files: every file has its event count recorded.
  const auto truth = csv_rows(read_text_file(out / "truth.csv"));
  std::size_t event_rows = 0;
  for (const auto& row : truth)
    if (row.size() == 3 && row[1] == "events") {
      EXPECT_EQ(row[2], "700") << row[0];
      ++event_rows;
    }
  EXPECT_EQ(event_rows, sheet.size() - 1);
}

TEST_F(SimulateCli, SameSeedGivesTheSameBytesAndAnotherSeedDoesNot) {
  const std::vector<std::string> common = {"--experiments", "tumour_bcma", "--events", "300",
                                           "--replicates", "1", "--quiet"};
  auto args = [&](const std::string& out, const std::string& seed) {
    std::vector<std::string> a = {"simulate", design(), "-o", (dir_ / out).string(), "--seed", seed};
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  ASSERT_EQ(run_cytopipe(args("a", "7"), dir_).code, 0);
  ASSERT_EQ(run_cytopipe(args("b", "7"), dir_).code, 0);
  ASSERT_EQ(run_cytopipe(args("c", "8"), dir_).code, 0);
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "a")) {
    if (entry.path().extension() != ".fcs") continue;
    const auto name = entry.path().filename();
    const std::string a = read_text_file(entry.path());
    EXPECT_EQ(a, read_text_file(dir_ / "b" / name)) << name;
    EXPECT_NE(a, read_text_file(dir_ / "c" / name)) << name;
    ++compared;
  }
  EXPECT_GT(compared, 0u);
}

TEST_F(SimulateCli, BadDesignNamesFileLineAndKeyAndUsageErrorsExitTwo) {
  std::ifstream in(design());
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const auto at = yaml.find("\nseed:");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, 6, "\nsed:");  // a misspelt top-level key
  const auto bad = dir_ / "bad_design.yaml";
  std::ofstream(bad) << yaml;
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(yaml.begin(), yaml.begin() + at + 1, '\n'));

  const auto r = run_cytopipe({"simulate", bad.string(), "-o", (dir_ / "out").string()}, dir_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad_design.yaml:" + std::to_string(line) + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("seed"), std::string::npos) << r.err;  // what was expected
  EXPECT_FALSE(fs::exists(dir_ / "out" / "samples.csv"));

  EXPECT_EQ(run_cytopipe({"simulate", design()}, dir_).code, 2);  // no -o
  const auto missing = run_cytopipe({"simulate", (dir_ / "nope.yaml").string(), "-o", (dir_ / "o").string()}, dir_);
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("nope.yaml"), std::string::npos) << missing.err;
}

}  // namespace
