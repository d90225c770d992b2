// No overlapping or clipped labels with long names or 12 groups: every text mark's box (Cairo's
// extents of the drawn font) stays on the canvas and clear of every other text.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cytopipe/plot/density.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/dose_response.hpp"
#include "cytopipe/plot/histogram.hpp"
#include "cytopipe/plot/time_course.hpp"
#include "text_boxes.hpp"

namespace cytopipe::plot {
namespace {

inline std::string joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n  " + p;
  return out;
}

DoseFigure twelve_groups(const std::vector<std::string>& names, const std::string& panel_title) {
  DoseFigure spec;
  spec.title = "Fig. 3i: count-based killing of bortezomib-resistant multiple myeloma targets by BCMA CAR-T cells";
  spec.x_title = "Selinexor pre-treatment of the target cells before co-culture (nM)";
  spec.y_title = "Count-based killing of CTV+ live tumour cells relative to target-only tubes (%)";
  for (const char* line : {"MM1S", "U266"}) {
    DosePanel panel;
    panel.title = panel_title + " " + line;
    panel.groups = names;
    DoseSeries series;
    for (std::size_t g = 0; g < names.size(); ++g)
      series.values.push_back({10.0 + 5 * g, 12.0 + 5 * g, 11.0 + 5 * g});
    panel.series.push_back(series);
    for (std::size_t g = 1; g < names.size(); ++g) panel.marks.push_back({g, std::nullopt, 0, g % 3 ? "***" : "ns"});
    spec.panels.push_back(panel);
  }
  return spec;
}

TEST(LabelLayout, DosePanelWithTwelveShortGroups) {
  std::vector<std::string> names;
  for (int g = 0; g < 12; ++g) names.push_back(std::to_string(g == 0 ? 0 : 1 << g));
  const auto problems = test::label_problems(dose_figure(twelve_groups(names, "Cells")));
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(LabelLayout, DosePanelWithTwelveLongGroupNames) {
  std::vector<std::string> names;
  for (int g = 0; g < 12; ++g)
    names.push_back("selinexor " + std::to_string(g * 25) + " nM + dexamethasone " + std::to_string(g) + " µM");
  const auto problems = test::label_problems(
      dose_figure(twelve_groups(names, "Bortezomib-resistant multiple myeloma line with a very long name")));
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(LabelLayout, HistogramWithLongSeriesAndGateNames) {
  HistogramFigure spec;
  spec.title = "BCMA in live CTV+ tumour cells of every co-culture tube at the highest selinexor dose";
  spec.x_title = "BCMA (PE-A), logicle(T=262144, W=0.5, M=4.5, A=0) display scale";
  for (int s = 0; s < 12; ++s) {
    HistogramSeries series;
    series.name = "Selinexor pre-treatment " + std::to_string(s * 25) + " nM, replicate " + std::to_string(s % 3 + 1);
    for (int i = 0; i < 400; ++i) series.values.push_back(std::sin(i * 0.37 + s) * 0.2 + 0.5 + 0.01 * s);
    series.threshold = 0.55 + 0.005 * s;
    series.filled = false;
    spec.series.push_back(std::move(series));
  }
  spec.positive_label = "BCMA+ of live tumour cells";
  spec.gates.push_back({0.55, std::nullopt, "BCMA-positive live CTV+ tumour cells (above the isotype's 98th percentile)", 42.0});
  const auto problems = test::label_problems(histogram_figure(spec));
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(LabelLayout, DensityWithLongGateAndAxisNames) {
  DensityFigure spec;
  std::vector<double> x, y;
  for (int i = 0; i < 2000; ++i) {
    x.push_back(50000 + 30000 * std::sin(i * 0.7));
    y.push_back(40000 + 20000 * std::cos(i * 1.3));
  }
  spec.x = x;
  spec.y = y;
  spec.title = "Live singlet lymphocytes of patient P12 on day 28 after CAR-T infusion (peripheral blood)";
  spec.x_title = "Forward scatter area (FSC-A), linear, instrument units";
  spec.y_title = "Side scatter area (SSC-A), linear, instrument units";
  spec.gates.push_back({PolygonOutline{{{30000, 25000}, {70000, 25000}, {70000, 55000}, {30000, 55000}}},
                        "Lymphocytes excluding debris and doublets (FSC-A x SSC-A polygon)", 61.3, std::nullopt});
  spec.gates.push_back({RectangleOutline{25000, 40000, 20000, 35000},
                        "Monocytes and granulocytes by side scatter (rectangle gate)", 12.5, std::nullopt});
  spec.size = 120;
  const Figure figure = density_figure(spec);
  const auto problems = test::label_problems(figure);
  EXPECT_TRUE(problems.empty()) << joined(problems);
  // Both names are too long for a 120-point plot: each is shortened there and given in full below.
  const auto labels = figure.find<Text>("gate-label");
  const auto notes = figure.find<Text>("gate-name-note");
  ASSERT_EQ(labels.size(), 2u);
  ASSERT_EQ(notes.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_NE(labels[i]->text.find("\u2026"), std::string::npos) << labels[i]->text;
    EXPECT_EQ(notes[i]->text, labels[i]->text + " = " + spec.gates[i].label +
                                  (i == 0 ? " 61.3 %" : " 12.5 %")) << notes[i]->text;
  }
}

}  // namespace
}  // namespace cytopipe::plot

namespace cytopipe::plot {
namespace {

TEST(LabelLayout, TimeCourseWithTwelveLongNamedSubjects) {
  TimeCourseFigure spec;
  spec.title = "CAR+ of CD3+ T cells in peripheral blood after infusion";
  spec.x_title = "Day after infusion of the CAR-T product (d)";
  spec.y_title = "CAR+ of CD3+ T cells in peripheral blood (%)";
  spec.x_unit = "d";
  spec.y_unit = "%";
  for (int p = 0; p < 12; ++p) {
    TimeCourseLine line;
    line.name = "Patient " + std::to_string(p + 1) + " (relapsed/refractory multiple myeloma, cohort B)";
    for (int day : {0, 4, 7, 10, 14, 21, 28}) line.points.push_back({double(day), 5.0 + p + (day == 7 + p % 3 * 7 ? 40 : day % 5)});
    spec.lines.push_back(std::move(line));
  }
  const auto problems = test::label_problems(time_course_figure(spec));
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST(LabelLayout, DoseResponseWithoutFitsSaysSoWithinTheCanvas) {
  DoseResponseFigure spec;
  spec.title = "Count-based killing";
  spec.x_title = "Selinexor (nM)";
  spec.y_title = "Killing (%)";
  for (const char* line : {"MM1S", "U266", "RPMI-8226 bortezomib-resistant subclone"})
    spec.series.push_back({line, {{0, 10}, {25, 20}, {50, 30}, {100, 40}}, std::nullopt,
                           "too few distinct input values to fit a four-parameter logistic"});
  const auto problems = test::label_problems(dose_response_figure(spec));
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

}  // namespace
}  // namespace cytopipe::plot
