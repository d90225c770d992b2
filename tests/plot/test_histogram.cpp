// Histogram overlay: binning, % positive and the threshold's page position.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/histogram.hpp"
#include "text_boxes.hpp"

namespace cytopipe::plot {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(BinCounts, HalfOpenBinsWithTheTopInTheLastBin) {
  const std::vector<double> values{0, 0.5, 1, 1.5, 2, 2.5, -0.1, kNaN};
  EXPECT_EQ(bin_counts(values, 0, 2, 2), (std::vector<double>{2, 3}));  // [0,1): 0, 0.5; [1,2]: 1, 1.5, 2
  EXPECT_EQ(bin_counts(values, 0, 2, 4), (std::vector<double>{1, 1, 1, 2}));
  EXPECT_THROW(bin_counts(values, 1, 1, 4), Error);
  EXPECT_THROW(bin_counts(values, 0, 1, 0), Error);
}

TEST(PercentAbove, CountsFiniteValuesStrictlyAbove) {
  std::vector<double> values;
  for (int i = 1; i <= 100; ++i) values.push_back(i);
  EXPECT_DOUBLE_EQ(percent_above(values, 90), 10);   // 91..100
  EXPECT_DOUBLE_EQ(percent_above(values, 90.5), 10);
  EXPECT_DOUBLE_EQ(percent_above(values, 0), 100);
  values.push_back(kNaN);                            // ignored, not counted as negative
  EXPECT_DOUBLE_EQ(percent_above(values, 90), 10);
  EXPECT_TRUE(std::isnan(percent_above(std::vector<double>{kNaN}, 0)));
}

HistogramFigure bcma_vs_isotype() {
  HistogramFigure spec;
  spec.title = "MM1S, 50 nM";
  spec.x_title = "BCMA";
  HistogramSeries stain{"BCMA", {}, std::nullopt, true}, isotype{"Isotype", {}, std::nullopt, false};
  for (int i = 1; i <= 100; ++i) stain.values.push_back(i - 0.5);           // 0.5 .. 99.5
  for (int i = 1; i <= 50; ++i) isotype.values.push_back(i * 0.5 - 0.25);  // 0.25 .. 24.75
  spec.series = {stain, isotype};
  spec.threshold = 80;
  spec.x_min = 0;
  spec.x_max = 100;
  spec.bins = 10;
  return spec;
}

TEST(HistogramFigure, PrintsPercentPositivePerSeries) {
  const Figure figure = histogram_figure(bcma_vs_isotype());
  const auto labels = figure.find<Text>("percent-positive");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0]->text, "BCMA+ 20.0 %");    // 80.5 .. 99.5: 20 of 100
  EXPECT_EQ(labels[1]->text, "Isotype+ 0.0 %");  // all below 25
  EXPECT_EQ(figure.find<Polyline>("histogram").size(), 2u);
  const auto legend = figure.find<Text>("legend-label");
  ASSERT_EQ(legend.size(), 2u);
  EXPECT_EQ(legend[1]->text, "Isotype");
}

TEST(HistogramFigure, ThresholdAndStepsSitWhereTheAxisSays) {
  const HistogramFigure spec = bcma_vs_isotype();
  const Figure figure = histogram_figure(spec);
  const Line* x_axis = figure.find<Line>("x-axis")[0];
  const Line* y_axis = figure.find<Line>("y-axis")[0];
  const double x0 = x_axis->from.x, x1 = x_axis->to.x;  // data 0 .. 100
  const auto threshold = figure.find<Line>("threshold");
  ASSERT_EQ(threshold.size(), 1u);
  EXPECT_NEAR(threshold[0]->from.x, x0 + 0.8 * (x1 - x0), 1e-9);
  // Normalised to the mode: every bin of the even stain holds 10 events = 100 % of max, so
  // its steps all sit at the top tick (100), i.e. the top of the y axis.
  const Polyline* stain = figure.find<Polyline>("histogram")[0];
  const double top = std::min(y_axis->from.y, y_axis->to.y);
  for (std::size_t i = 1; i + 1 < stain->points.size(); ++i) EXPECT_NEAR(stain->points[i].y, top, 1e-9);
  // The isotype (0.25 .. 24.75 by 0.5) puts 20 values in each of bins 0 and 1 and 10 in bin 2:
  // heights 100, 100 and 50 % of max.
  const Polyline* iso = figure.find<Polyline>("histogram")[1];
  const double bottom = std::max(y_axis->from.y, y_axis->to.y);
  auto height_pct = [&](std::size_t point) { return (bottom - iso->points[point].y) / (bottom - top) * 100; };
  EXPECT_NEAR(height_pct(1), 100, 1e-9);  // bin 0 left corner
  EXPECT_NEAR(height_pct(3), 100, 1e-9);  // bin 1
  EXPECT_NEAR(height_pct(5), 50, 1e-9);   // bin 2
  EXPECT_NEAR(height_pct(7), 0, 1e-9);    // bin 3
}

TEST(HistogramFigure, CustomTicksForTransformedAxes) {
  HistogramFigure spec = bcma_vs_isotype();
  spec.x_ticks = {{0, "0"}, {50, "10^3"}, {100, "10^4"}, {150, "outside"}};
  const Figure figure = histogram_figure(spec);
  std::vector<std::string> labels;
  for (const Text* t : figure.find<Text>("x-tick-label")) labels.push_back(t->text);
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "10^3", "10^4"}));
}

TEST(HistogramFigure, MinorTicksAreShortAndUnlabelled) {
  HistogramFigure spec = bcma_vs_isotype();
  spec.x_ticks = {{0, "0"}, {25, "", true}, {50, "10^3"}, {75, "", true}};
  const Figure figure = histogram_figure(spec);
  const auto majors = figure.find<Line>("x-tick");
  const auto minors = figure.find<Line>("x-tick-minor");
  ASSERT_EQ(majors.size(), 2u);
  ASSERT_EQ(minors.size(), 2u);
  EXPECT_EQ(figure.find<Text>("x-tick-label").size(), 2u);
  const Line* x_axis = figure.find<Line>("x-axis")[0];
  const double x0 = x_axis->from.x, x1 = x_axis->to.x;  // data 0 .. 100
  EXPECT_NEAR(minors[0]->from.x, x0 + 0.25 * (x1 - x0), 1e-9);
  EXPECT_NEAR(minors[1]->from.x, x0 + 0.75 * (x1 - x0), 1e-9);
  EXPECT_LT(std::abs(minors[0]->to.y - minors[0]->from.y), std::abs(majors[0]->to.y - majors[0]->from.y));
}

TEST(HistogramFigure, BadInputGivesClearErrors) {
  EXPECT_THROW(histogram_figure(HistogramFigure{}), Error);
  HistogramFigure nan_only = bcma_vs_isotype();
  nan_only.series[1].values = {kNaN, kNaN};
  try {
    histogram_figure(nan_only);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'Isotype' has no finite values"), std::string::npos) << e.what();
  }
  HistogramFigure reversed = bcma_vs_isotype();
  reversed.x_min = 10;
  reversed.x_max = 10;
  EXPECT_THROW(histogram_figure(reversed), Error);
  HistogramFigure no_bins = bcma_vs_isotype();
  no_bins.bins = -1;
  EXPECT_THROW(histogram_figure(no_bins), Error);
}

// Per-series thresholds (one placed per group on its controls): a dashed line in the series'
// colour at the threshold's page position, the % positive in the legend.
TEST(HistogramFigure, SeriesThresholdsSitAtThePlacedThresholdWithPercentInTheLegend) {
  HistogramFigure spec = bcma_vs_isotype();
  spec.threshold.reset();
  spec.positive_label = "BCMA+";
  spec.series[0].threshold = 62.5;  // 63 .. 99.5 of 0.5 .. 99.5 above: 37 of 100
  spec.series[1].threshold = 20;
  spec.series[1].percent_positive = 12.34;  // the gate's exact %, printed as given
  const Figure figure = histogram_figure(spec);
  const Line* x_axis = figure.find<Line>("x-axis")[0];
  const double x0 = x_axis->from.x, x1 = x_axis->to.x;  // data 0 .. 100
  const auto lines = figure.find<Line>("threshold");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NEAR(lines[0]->from.x, x0 + 0.625 * (x1 - x0), 1e-9);
  EXPECT_NEAR(lines[1]->from.x, x0 + 0.20 * (x1 - x0), 1e-9);
  EXPECT_EQ(lines[0]->stroke.colour, series_palette()[0]);
  EXPECT_FALSE(lines[0]->stroke.dash.empty());
  const auto legend = figure.find<Text>("legend-label");
  ASSERT_EQ(legend.size(), 2u);
  EXPECT_EQ(legend[0]->text, "BCMA: BCMA+ 37.0 %");
  EXPECT_EQ(legend[1]->text, "Isotype: BCMA+ 12.3 %");
}

// Freedman-Diaconis: 1000 values uniform on 0..100 have an IQR of 50, so the width is
// 2 * 50 / 10 = 10 and 100 / 10 = 10 bins, raised to the 40 that keeps a bimodal marker's shape;
// 125000 such values give width 2 * 50 / 50 = 2 and 50 bins (51 where the sample IQR falls a hair
// short of 50).
TEST(FreedmanDiaconis, BinsFromTheInterquartileRange) {
  std::vector<double> v;
  for (int i = 0; i < 1000; ++i) v.push_back(100.0 * (i + 0.5) / 1000);
  EXPECT_EQ(freedman_diaconis_bins(v, 0, 100), 40);
  std::vector<double> many;
  for (int i = 0; i < 125000; ++i) many.push_back(100.0 * (i + 0.5) / 125000);
  EXPECT_NEAR(freedman_diaconis_bins(many, 0, 100), 50, 1);
  EXPECT_EQ(freedman_diaconis_bins(std::vector<double>(50, 3.0), 0, 100), 64);  // IQR 0
}

// The bins against the rule computed directly: sorted values, R's type 7 quartiles, width
// 2 IQR / cbrt(n), clamped to 40..200; shuffled values with ties and some outside the range, at
// every size from 4 to 300 and a few larger, so each quartile's k and k+1 fall everywhere.
TEST(FreedmanDiaconis, BinsAreTheRuleOnSortedValues) {
  std::mt19937 random(7);
  std::exponential_distribution<double> spread(0.05);
  for (std::size_t n = 4; n <= 1500; n += (n < 300 ? 1 : 397)) {
    std::vector<double> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(std::round(spread(random) * 4) / 4 + 100);  // ties
    v.push_back(-5);  // outside [lo, hi]: left out
    v.push_back(5000);
    const double lo = 100, hi = 1000;  // 40..200 bins over these sizes, not one clamp
    std::vector<double> sorted;
    for (double x : v)
      if (x >= lo && x <= hi) sorted.push_back(x);
    std::sort(sorted.begin(), sorted.end());
    const auto quartile = [&](double q) {
      const double h = q * static_cast<double>(sorted.size() - 1);
      const auto k = static_cast<std::size_t>(h);
      return k + 1 < sorted.size() ? sorted[k] + (h - static_cast<double>(k)) * (sorted[k + 1] - sorted[k]) : sorted[k];
    };
    const double iqr = quartile(0.75) - quartile(0.25);
    const int expected =
        sorted.size() < 4 ? 40
        : !(iqr > 0)      ? 64
                          : static_cast<int>(std::clamp(std::ceil((hi - lo) / (2 * iqr / std::cbrt(static_cast<double>(sorted.size())))), 40.0, 200.0));
    std::shuffle(v.begin(), v.end(), random);
    EXPECT_EQ(freedman_diaconis_bins(v, lo, hi), expected) << n;
  }
}

// A legend of 12 long series names wraps inside the figure instead of running off its edge.
TEST(HistogramFigure, LongLegendWrapsInsideTheFigure) {
  HistogramFigure spec = bcma_vs_isotype();
  spec.series.clear();
  for (int g = 0; g < 12; ++g)
    spec.series.push_back({"Selinexor pre-treatment group " + std::to_string(g), {1, 2, 3, 50.0 + g}, std::nullopt, false});
  const Figure figure = histogram_figure(spec);
  const auto labels = figure.find<Text>("legend-label");
  ASSERT_EQ(labels.size(), 12u);
  double max_y = 0, min_y = 1e9;
  for (const auto* t : labels) {
    EXPECT_LT(t->at.x + 9.0 * 0.62 * t->text.size(), figure.width + 40) << t->text;  // roughly inside
    min_y = std::min(min_y, t->at.y);
    max_y = std::max(max_y, t->at.y);
  }
  EXPECT_GT(max_y, min_y);  // more than one row
  EXPECT_LT(figure.width, 600);
}

}  // namespace
}  // namespace cytopipe::plot

namespace cytopipe::plot {
namespace {

// A gate label never sits on its own gate line (its backdrop would hide the cut): a threshold
// near either edge, and a narrow range, put the label beside the line on the roomier side.
TEST(HistogramFigure, GateLabelsStayClearOfTheirOwnLines) {
  struct Case {
    std::optional<double> min, max;
    std::string label;
  };
  for (const Case& c : {Case{95, {}, "CD3+ T cells"}, Case{{}, 4, "Viability dim"}, Case{49, 51, "narrow range"},
                        Case{2, {}, "Live"}, Case{60, {}, "BCMA+"}}) {
    HistogramFigure spec = bcma_vs_isotype();
    spec.threshold.reset();
    spec.gates = {HistogramGate{c.min, c.max, c.label, 12.5}};
    spec.width = 160;
    const Figure figure = histogram_figure(spec);
    const auto lines = figure.find<Line>("gate");
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(c.min.has_value() + c.max.has_value())) << c.label;
    const auto labels = figure.find<Text>("gate-label");
    ASSERT_EQ(labels.size(), 1u) << c.label;
    const test::TextBox box = test::box_of(*labels[0]);
    for (const Line* line : lines)
      EXPECT_TRUE(line->from.x < box.x0 || line->from.x > box.x1)
          << c.label << ": '" << labels[0]->text << "' spans x " << box.x0 << ".." << box.x1 << ", its line is at " << line->from.x;
    EXPECT_GE(box.x0, -0.5) << c.label;
    EXPECT_LE(box.x1, figure.width + 0.5) << c.label;
    if (c.min && !c.max && *c.min > 90) {
      EXPECT_LT(box.x1, lines[0]->from.x) << "room is left of a threshold near the right edge";
    }
  }
}

// The last x tick label is centred on the axis end; on a narrow panel it reached past the canvas
// (a 160-point histogram's "100" by about a point). At every width every label stays inside.
TEST(HistogramFigure, TickLabelsStayOnTheCanvasAtEveryWidth) {
  for (double width = 100; width <= 420; width += 10) {
    HistogramFigure spec = bcma_vs_isotype();
    spec.width = width;
    const Figure figure = histogram_figure(spec);
    for (const test::TextBox& box : test::text_boxes(figure)) {
      EXPECT_GE(box.x0, -0.5) << "width " << width << ": '" << box.text->text << "'";
      EXPECT_LE(box.x1, figure.width + 0.5) << "width " << width << ": '" << box.text->text << "' ends at " << box.x1
                                            << " on a canvas " << figure.width << " wide";
    }
  }
}

}  // namespace
}  // namespace cytopipe::plot
