// Config validation: every problem is reported with the YAML file, line and column, before any
// FCS file is read.
#include <gtest/gtest.h>

#include "cytopipe/pipeline/config.hpp"
#include "tiny_batch.hpp"

using cytopipe::Error;
using cytopipe::pipeline::CompensationSource;
using cytopipe::pipeline::load_config;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;

namespace {

// A folder holding an (empty) data folder, a sheet and a strategy, so file checks pass.
struct Fixture {
  TempDir dir;
  Fixture() {
    std::filesystem::create_directories(dir / "data");
    write_text(dir / "sheet.csv", "file,group\n");
    write_text(dir / "strategy.yaml", cytopipe::pipeline::test::kTinyStrategy);
  }
  std::filesystem::path config(const std::string& text) {
    write_text(dir / "p.yaml", text);
    return dir / "p.yaml";
  }
};

const char* kValid = R"(name: tiny
inputs:
  files: data/*.fcs
  sample_sheet: sheet.csv
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
readouts:
  viability: viability(live of cells)
  mfi: median(BCMA, live)
analysis:
  - readout: viability
    group: group
    tests: [anova]
)";

std::string error_text(const std::filesystem::path& file) {
  try {
    load_config(file);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, ReadsAValidConfig) {
  Fixture f;
  const auto c = load_config(f.config(kValid));
  EXPECT_EQ(c.name, "tiny");
  EXPECT_EQ(c.compensation.source, CompensationSource::None);
  ASSERT_EQ(c.panel.markers.size(), 2u);
  EXPECT_EQ(c.panel.markers[1].first, "BCMA");
  EXPECT_EQ(c.panel.markers[1].second, "M-A");
  ASSERT_EQ(c.readouts.size(), 2u);
  EXPECT_EQ(c.readouts[1].expression, "median(BCMA, live)");
  EXPECT_EQ(c.readouts[1].expression_at.line, 12);
  EXPECT_EQ(c.readouts[1].expression_at.column, 8);
  // Parsed once, when read: later stages use the tree, not the text.
  EXPECT_EQ(c.readouts[1].parsed.kind, cytopipe::pipeline::Expression::Kind::Channel);
  EXPECT_EQ(c.readouts[1].parsed.channel, "BCMA");
  EXPECT_EQ(c.readouts[1].parsed.population, "live");
  EXPECT_EQ(c.readouts[0].parsed.kind, cytopipe::pipeline::Expression::Kind::Percent);
  ASSERT_EQ(c.analyses.size(), 1u);
  EXPECT_EQ(c.analyses[0].name, "viability");
  EXPECT_TRUE(c.outputs.directory.empty());
}

TEST(Config, TransformsAreParsedOnceIntoObjects) {
  Fixture f;
  const auto c = load_config(f.config(std::string(kValid) + "transforms:\n  BCMA: asinh(cofactor=150)\n"));
  ASSERT_EQ(c.transforms.size(), 1u);
  EXPECT_EQ(c.transforms[0].spec, "asinh(cofactor=150)");
  const auto* params = std::get_if<cytopipe::transform::ArcsinhCofactor>(&c.transforms[0].transform.params());
  ASSERT_NE(params, nullptr);
  EXPECT_EQ(params->cofactor, 150.0);
  const auto message = error_text(f.config(std::string(kValid) + "transforms:\n  BCMA: asinh(cofactr=150)\n"));
  EXPECT_NE(message.find("p.yaml:18:9: transforms.BCMA:"), std::string::npos) << message;
}

TEST(Config, UnknownKeySuggestsTheClosestWithLineAndColumn) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("sample_sheet"), 12, "sampel_sheet");
  const auto message = error_text(f.config(text));
  EXPECT_NE(message.find("p.yaml:4:3: inputs.sampel_sheet: unknown key 'sampel_sheet' (did you mean 'sample_sheet'?)"),
            std::string::npos)
      << message;
}

TEST(Config, WrongTypesAndMissingFilesAreAllListed) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("strategy.yaml"), 13, "nowhere.yaml");
  text += "outputs:\n  plots: maybe\n  statistics: [count, medain]\n";
  const auto message = error_text(f.config(text));
  EXPECT_NE(message.find("p.yaml:9:13: gating.strategy: gating strategy not found"), std::string::npos) << message;
  EXPECT_NE(message.find("p.yaml:18:10: outputs.plots: expected true or false, found 'maybe'"), std::string::npos) << message;
  EXPECT_NE(message.find("p.yaml:19:23: outputs.statistics: unknown statistic 'medain' (did you mean 'median'?)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(3 problems)"), std::string::npos) << message;
}

TEST(Config, UndefinedReadoutInAnalysis) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("  - readout: viability"), 22, "  - readout: viabilty");
  const auto message = error_text(f.config(text));
  EXPECT_NE(message.find("p.yaml:14:14: analysis[0].readout: undefined read-out 'viabilty' (did you mean 'viability'?)"),
            std::string::npos)
      << message;
}

TEST(Config, TestsAndAdjustmentAreCheckedWhenRead) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("tests: [anova]"), 14, "tests: [anova, Tukey, anovva]\n    adjustment: hlom");
  const auto message = error_text(f.config(text));
  EXPECT_NE(message.find("p.yaml:16:27: analysis[0].tests: unknown test 'anovva' (did you mean 'anova'?; known: "
                         "anova, welch, kruskal, dunnett,"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("p.yaml:17:17: analysis[0].adjustment: unknown p-value adjustment 'hlom' (did you "
                         "mean 'holm'?; known: none, holm, bonferroni, BH, fdr, benjamini-hochberg)"),
            std::string::npos)
      << message;

  text = kValid;
  text.replace(text.find("tests: [anova]"), 14, "tests: [anova, Tukey]\n    adjustment: fdr");
  const auto c = load_config(f.config(text));
  ASSERT_EQ(c.analyses.size(), 1u);
  EXPECT_EQ(c.analyses[0].tests,
            (std::vector{cytopipe::stats::TestKind::anova, cytopipe::stats::TestKind::tukey}));
  EXPECT_EQ(c.analyses[0].adjustment, cytopipe::stats::Adjustment::bh);
}

TEST(Config, MalformedExpressionPointsIntoTheExpression) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("median(BCMA, live)"), 18, "medain(BCMA, live)");
  auto message = error_text(f.config(text));
  EXPECT_NE(message.find("p.yaml:12:8: readouts.mfi: unknown function 'medain'"), std::string::npos) << message;

  text = kValid;
  text.replace(text.find("viability(live of cells)"), 24, "percent(live of cells, x)");
  message = error_text(f.config(text));
  EXPECT_NE(message.find("p.yaml:11:21: readouts.viability: 'percent' takes 'POP of PARENT'"), std::string::npos)
      << message;
}

TEST(Config, ControlReadoutsNeedAControl) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("  mfi: median(BCMA, live)"), 25, "  lysis: specific_lysis(percent(dead of cells))");
  const auto message = error_text(f.config(text));
  EXPECT_NE(message.find("readouts.lysis: 'specific_lysis' needs 'control'"), std::string::npos) << message;
}

TEST(Config, NotYamlAndMissingFile) {
  Fixture f;
  auto message = error_text(f.config("inputs: [unclosed\n"));
  EXPECT_NE(message.find("p.yaml:"), std::string::npos) << message;
  EXPECT_NE(message.find("not valid YAML"), std::string::npos) << message;
  EXPECT_THROW(load_config(f.dir / "absent.yaml"), Error);
  message = error_text(f.config("- a list\n"));
  EXPECT_NE(message.find("must be a YAML map"), std::string::npos) << message;
}

TEST(Config, ThresholdGateChecks) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("  strategy: strategy.yaml\n"), 26,
               "  strategy: strategy.yaml\n  thresholds:\n    - name: M+\n      parent: live\n"
               "      channel: BCMA\n      percentile: 100\n");
  const auto message = error_text(f.config(text));
  EXPECT_NE(message.find("gating.thresholds[0].percentile: must lie strictly between 0 and 100"), std::string::npos)
      << message;
  EXPECT_NE(message.find("gating.thresholds[0]: missing key 'control'"), std::string::npos) << message;
}

// Read-outs carry a description and a unit, factors a label and a unit: the figures' axis titles.
TEST(Config, ReadoutUnitsAndFactorLabelsTitleTheAxes) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("  viability: viability(live of cells)\n"), 38,
               "  viability:\n    expression: viability(live of cells)\n"
               "    description: Viability of live tumour cells\n    unit: \"%\"\n");
  text += "factors:\n  group: {label: Selinexor, unit: nM}\n  line: {label: Cell line}\n";
  const auto c = load_config(f.config(text));
  EXPECT_EQ(c.readouts[0].unit, "%");
  EXPECT_EQ(cytopipe::pipeline::readout_title(c, "viability"), "Viability of live tumour cells (%)");
  EXPECT_EQ(cytopipe::pipeline::readout_title(c, "mfi"), "mfi");  // no description: the name
  EXPECT_EQ(cytopipe::pipeline::factor_title(c, "group"), "Selinexor (nM)");
  EXPECT_EQ(cytopipe::pipeline::factor_title(c, "line"), "Cell line");
  EXPECT_EQ(cytopipe::pipeline::factor_title(c, "day"), "day");
  const auto message = error_text(f.config(std::string(kValid) + "factors:\n  group: {lable: Selinexor}\n"));
  EXPECT_NE(message.find("p.yaml:18:11: factors.group.lable: unknown key 'lable' (did you mean 'label'?)"), std::string::npos)
      << message;
}

TEST(Config, AnalysisFigureKindErrorBarsAndAlsoShow) {
  Fixture f;
  std::string text = kValid;
  text.replace(text.find("    tests: [anova]\n"), 19,
               "    tests: [anova]\n    figure: time-course\n    error_bars: sem\n    also_show: tissue\n");
  const auto c = load_config(f.config(text));
  EXPECT_EQ(c.analyses[0].figure, cytopipe::pipeline::AnalysisFigure::TimeCourse);
  EXPECT_TRUE(c.analyses[0].error_bars_sem);
  EXPECT_EQ(c.analyses[0].also_show, "tissue");
  std::string bad = kValid;
  bad.replace(bad.find("    tests: [anova]\n"), 19, "    tests: [anova]\n    figure: bars\n    error_bars: se\n");
  const auto message = error_text(f.config(bad));
  EXPECT_NE(message.find("p.yaml:17:13: analysis[0].figure: expected dose or time-course, found 'bars'"), std::string::npos) << message;
  EXPECT_NE(message.find("expected sd or sem, found 'se'"), std::string::npos) << message;
}
