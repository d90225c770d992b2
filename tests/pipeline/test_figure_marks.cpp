// The stars above the dose groups are the p values of stats.csv read through the significance
// scale: stats.csv is written and read back as `cytopipe plot dose --stats` reads it, and each
// star is checked against the label computed here from that row's adjusted p.
#include <gtest/gtest.h>

#include <sstream>

#include "cytopipe/plot/dose.hpp"
#include "cytopipe/stats/analysis.hpp"
#include "cytopipe/stats/table.hpp"

namespace cytopipe {
namespace {

TEST(FigureMarks, StarsMatchTheAdjustedPValuesOfStatsCsv) {
  stats::Observations data;
  data.source = "test";
  // Dose effects of several sizes over a common noise, so the labels differ between groups.
  const std::vector<std::pair<std::string, std::vector<double>>> groups = {
      {"0", {10.0, 11.0, 12.0}}, {"25", {11.0, 12.5, 13.0}}, {"50", {14.0, 15.5, 16.0}}, {"100", {30.0, 31.0, 29.5}}};
  for (const auto& [g, values] : groups)
    for (double v : values) data.values.push_back(v), data.groups.push_back(g);
  stats::AnalysisSpec spec;
  spec.value = "bcma_pos_pct";
  spec.group = "dose_nM";
  spec.tests = {stats::TestKind::dunnett};
  std::ostringstream csv;
  stats::write_rows_csv(csv, stats::run_analysis(data, spec));
  const auto rows = stats::read_rows(stats::parse_csv(csv.str(), "stats.csv"));

  plot::DosePanel panel;
  panel.groups = {"0", "25", "50", "100"};
  plot::DoseSeries series;
  for (const auto& [g, values] : groups) series.values.push_back(values);
  panel.series.push_back(series);
  plot::mark_groups(panel, stats::marks_against_control(rows, "all", "0"));
  plot::DoseFigure figure_spec;
  figure_spec.panels.push_back(panel);
  const plot::Figure figure = plot::dose_figure(figure_spec);

  // The default scale (stats::SignificanceScale): *** below 0.0001, ** below 0.01, * below 0.05, else ns.
  auto label = [](double p) { return p < 0.0001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : "ns"; };
  std::map<std::string, std::string> expected;
  for (const auto& r : rows)
    if (r.test == "Dunnett" && r.reference == "0") expected[r.group] = label(std::isnan(r.p_adjusted) ? r.p : r.p_adjusted);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_NE(expected["25"], expected["100"]);  // the data give different labels
  const auto stars = figure.find<plot::Text>("star");
  ASSERT_EQ(stars.size(), 3u);
  // Stars are laid out in group order, above groups 25, 50, 100.
  EXPECT_EQ(stars[0]->text, expected["25"]);
  EXPECT_EQ(stars[1]->text, expected["50"]);
  EXPECT_EQ(stars[2]->text, expected["100"]);
}

}  // namespace
}  // namespace cytopipe
