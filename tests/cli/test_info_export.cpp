// `cytopipe info` and `cytopipe export`, run as the built binary: exit codes, messages, output.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

namespace {

using cytopipe::test::CliResult;

std::string slurp(const std::filesystem::path& path) { return cytopipe::test::read_text_file(path); }

std::filesystem::path scratch_dir() {
  return std::filesystem::temp_directory_path() /
         (std::string("cytopipe_cli_info_export_") + std::to_string(::getpid()));
}

CliResult run(const std::vector<std::string>& args) {
  return cytopipe::test::run_cytopipe(args, scratch_dir());
}

class InfoExport : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(scratch_dir()); }
};

TEST_F(InfoExport, InfoJsonDescribesTheFile) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/FlowIO_AccuriC6Plus.fcs");
  auto r = run({"info", fcs.string(), "--json", "--keywords"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto all = nlohmann::json::parse(r.out);
  ASSERT_EQ(all.size(), 1u);
  const auto& j = all[0];
  EXPECT_EQ(j["version"], "FCS3.1");
  EXPECT_EQ(j["events"], 1589);  // $TOT in the manifest
  EXPECT_EQ(j["channels"].size(), 14u);
  EXPECT_EQ(j["channels"][2]["name"], "FL1-A");
  EXPECT_EQ(j["channels"][2]["marker"], "FITC-A");
  EXPECT_EQ(j["channels"][2]["bits"], 32);
  EXPECT_EQ(j["spillover"]["keyword"], "$SPILLOVER");
  EXPECT_DOUBLE_EQ(j["spillover"]["matrix"][0][1].get<double>(), 0.1203);
  bool found = false;
  for (const auto& kw : j["keywords"]) found = found || kw[0] == "$CYT";
  EXPECT_TRUE(found);
}

TEST_F(InfoExport, InfoTextTableAndNoticesOnStderr) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/cytoflow_FACE-MultiDataset4.fcs");
  auto r = run({"info", fcs.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("data sets   4"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("4 data sets"), std::string::npos) << r.err;
  auto second = run({"info", fcs.string(), "--dataset", "2", "--json"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(nlohmann::json::parse(second.out)[0]["dataset"], 2);
}

TEST_F(InfoExport, ExportCsvMatchesTheReader) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/FlowKit_FlowIOWriter.fcs");
  auto r = run({"export", fcs.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  auto sample = cytopipe::fcs::read_fcs(fcs);
  EXPECT_EQ(header, sample.channels[0].name + "," + sample.channels[1].name);
  char expected[64];
  std::snprintf(expected, sizeof expected, "%.9g,%.9g", sample.events.column(0)[0], sample.events.column(1)[0]);
  EXPECT_EQ(first, expected);
  const auto rows = static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
  EXPECT_EQ(rows, 1 + sample.event_count());  // header + one row per event
}

TEST_F(InfoExport, ExportChannelsToCsvFileAndFcs) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/fcsparser_Fortessa.fcs");
  const auto csv = scratch_dir() / "out.csv";
  auto r = run({"export", fcs.string(), "--channels", "FITC-A,Time", "-o", csv.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  auto text = slurp(csv);
  EXPECT_EQ(text.substr(0, text.find('\n')), "FITC-A,Time");

  const auto out = scratch_dir() / "out.fcs";
  r = run({"export", fcs.string(), "--channels", "FITC-A,Time", "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto original = cytopipe::fcs::read_fcs(fcs);
  auto written = cytopipe::fcs::read_fcs(out);
  ASSERT_EQ(written.channels.size(), 2u);
  EXPECT_EQ(written.version, "FCS3.1");
  auto a = original.values("FITC-A"), b = written.values("FITC-A");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t e = 0; e < a.size(); ++e) ASSERT_EQ(a[e], b[e]);
  ASSERT_TRUE(written.spillover);
  EXPECT_EQ(written.spillover->detectors, std::vector<std::string>{"FITC-A"});
}

TEST_F(InfoExport, BadInputExitsOneNamingFileAndFault) {
  CYTOPIPE_SHARED_OR_SKIP(corrupted, "fcs_corpus/fcsparser_Corrupted.fcs");
  auto r = run({"info", corrupted.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(corrupted.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not FCS"), std::string::npos) << r.err;

  CYTOPIPE_SHARED_OR_SKIP(truncated, "fcs_corpus/fcsparser_CytekAurora-TruncatedHeader.fcs");
  r = run({"export", truncated.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("past the end of the file"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  CYTOPIPE_SHARED_OR_SKIP(good, "fcs_corpus/fcsparser_Fortessa.fcs");
  r = run({"export", good.string(), "--channels", "CD3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("FITC-A"), std::string::npos) << "lists the channels present: " << r.err;

  r = run({"info", (scratch_dir() / "absent.fcs").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("absent.fcs"), std::string::npos) << r.err;
}

TEST_F(InfoExport, OffsetsOptionForcesOneSide) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/cytoflow_FACE-HeaderDataOffsetWrong.fcs");
  auto automatic = run({"info", fcs.string()});
  EXPECT_EQ(automatic.code, 0) << automatic.err;
  EXPECT_NE(automatic.err.find("used the TEXT pair"), std::string::npos) << automatic.err;
  auto header = run({"export", fcs.string(), "--offsets", "header"});
  EXPECT_EQ(header.code, 1);
  EXPECT_NE(header.err.find("$TOT"), std::string::npos) << header.err;
}

TEST_F(InfoExport, UsageErrorsExitTwo) {
  EXPECT_EQ(run({"info"}).code, 2);
  EXPECT_EQ(run({"export"}).code, 2);
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/fcsparser_Fortessa.fcs");
  EXPECT_EQ(run({"export", fcs.string(), "--offsets", "sideways"}).code, 2);
  EXPECT_EQ(run({"export", fcs.string(), "--dataset", "0"}).code, 2);
  auto r = run({"export", fcs.string(), "-o", (scratch_dir() / "out.xlsx").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(".csv or .fcs"), std::string::npos) << r.err;
}

}  // namespace

// Compensated events exported to FCS carry no spillover keyword, so no reader compensates them a
// second time; the matrix applied stays on record under a name no reader applies.
TEST_F(InfoExport, CompensatedExportDropsTheSpilloverKeyword) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/fcsparser_Fortessa.fcs");
  ASSERT_TRUE(cytopipe::fcs::read_fcs(fcs).spillover);
  const auto out = scratch_dir() / "comp.fcs";
  auto r = run({"export", fcs.string(), "--compensate=file", "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto written = cytopipe::fcs::read_fcs(out);
  EXPECT_FALSE(written.spillover);
  for (const char* name : {"$SPILLOVER", "SPILL", "SPILLOVER", "$SPILL"}) EXPECT_FALSE(written.keywords.contains(name)) << name;
  EXPECT_TRUE(written.keywords.contains("CYTOPIPE_APPLIED_SPILLOVER"));
  r = run({"export", out.string(), "--compensate=file", "-o", (scratch_dir() / "twice.fcs").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no spillover to compensate with"), std::string::npos) << r.err;
}
