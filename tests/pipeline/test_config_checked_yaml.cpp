// What the checked YAML reader refuses in a pipeline config (issue 20): a non-finite number
// where a finite one is expected, and a key written twice, each with file:line:column, and
// reported together with the config's other problems.
#include <gtest/gtest.h>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "tiny_batch.hpp"

namespace {

using cytopipe::Error;
using cytopipe::pipeline::load_config;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;

std::string error_of(const TempDir& dir, const std::string& text) {
  std::filesystem::create_directories(dir / "data");
  write_text(dir / "sheet.csv", "file,group,role\n");
  write_text(dir / "strategy.yaml", cytopipe::pipeline::test::kTinyStrategy);
  write_text(dir / "p.yaml", text);
  try {
    load_config(dir / "p.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const char* kConfig = R"(name: tiny
inputs:
  files: data/*.fcs
  sample_sheet: sheet.csv
compensation: none
gating:
  strategy: strategy.yaml
  thresholds:
    - name: M+
      parent: live
      channel: M-A
      percentile: nan
      control: {role: isotype}
readouts:
  singlet_pct: percent(live of cells)
  other: percent(dead of cells)
  singlet_pct: percent(dead of cells)
outputs:
  significance: {"*": inf}
)";

TEST(ConfigCheckedYaml, NanInfAndDuplicateKeysAreLocatedErrorsReportedTogether) {
  const TempDir dir;
  const auto message = error_of(dir, kConfig);
  EXPECT_NE(message.find("p.yaml:12:19: gating.thresholds[0].percentile: expected a finite number, found 'nan'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("p.yaml:17:3: singlet_pct: key 'singlet_pct' is written twice in the same map"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("p.yaml:19:23: outputs.significance.*: expected a finite number, found 'inf'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(3 problems)"), std::string::npos) << message;
}

TEST(ConfigCheckedYaml, FinitePercentileIsAccepted) {
  const TempDir dir;
  std::string text = kConfig;
  text.replace(text.find("percentile: nan"), 15, "percentile: 98");
  text.replace(text.find("  singlet_pct: percent(dead of cells)\n"), 38, "");
  text.replace(text.find("inf}"), 3, "0.05");
  EXPECT_EQ(error_of(dir, text), "no error");
}

// A read-out map without 'expression' (fuzz_pipeline_config mutated it to 'expressio~') is a
// located error, not yaml-cpp's InvalidNode escaping the reader.
TEST(ConfigCheckedYaml, ReadoutWithoutExpressionIsALocatedError) {
  const TempDir dir;
  std::string text = kConfig;
  text.replace(text.find("percentile: nan"), 15, "percentile: 98");
  text.replace(text.find("  singlet_pct: percent(dead of cells)\n"), 38,
               "  lysis:\n    expressio~: percent(dead of cells)\n");
  text.replace(text.find("inf}"), 3, "0.05");
  const auto message = error_of(dir, text);
  EXPECT_NE(message.find("p.yaml:18:5: readouts.lysis.expressio~: unknown key 'expressio~' (did you mean 'expression'?)"), std::string::npos) << message;
  EXPECT_NE(message.find("p.yaml:18:5: readouts.lysis: missing key 'expression'"), std::string::npos) << message;
  EXPECT_NE(message.find("(2 problems)"), std::string::npos) << message;
}

}  // namespace

// One statistic, one name: `cytopipe gate`'s robust_sd / robust_cv are aliases of rsd / rcv.

TEST(StatisticNames, RobustSdIsAnAliasOfRsd) {
  using cytopipe::pipeline::parse_statistic;
  using cytopipe::pipeline::Statistic;
  EXPECT_EQ(parse_statistic("robust_sd"), Statistic::RobustSd);
  EXPECT_EQ(parse_statistic("robust_cv"), Statistic::RobustCv);
  EXPECT_EQ(parse_statistic("rsd"), Statistic::RobustSd);
  EXPECT_EQ(cytopipe::pipeline::to_string(Statistic::RobustSd), "rsd");
  EXPECT_FALSE(parse_statistic("robust_mad").has_value());
}
