// Dose-response layout: counts of marks, data-to-page positions and significance placement,
// checked against positions derived from the axis line and hand-computed axis ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/dose.hpp"

namespace cytopipe::plot {
namespace {

// Two cell lines, four doses, triplicates: the shape of one Fig. 3 read-out.
DoseFigure fig3_like() {
  DoseFigure spec;
  spec.title = "BCMA expression rate";
  spec.y_title = "BCMA+ (%)";
  for (const char* line : {"MM1S", "U266"}) {
    DosePanel panel;
    panel.title = line;
    panel.groups = {"0", "25", "50", "100"};
    panel.series.push_back({"", {{41.2, 43.5, 40.1}, {52.3, 55.0, 50.9}, {61.5, 63.2, 60.0}, {74.1, 71.8, 76.3}}, {}});
    panel.marks = {{1, std::nullopt, 0, "*"}, {2, std::nullopt, 0, "**"}, {3, std::nullopt, 0, "***"}};
    spec.panels.push_back(panel);
  }
  return spec;
}

std::vector<std::string> texts(const Figure& figure, const std::string& role) {
  std::vector<std::string> out;
  for (const Text* t : figure.find<Text>(role)) out.push_back(t->text);
  return out;
}

TEST(DoseFigure, DrawsOneMarkPerReplicateGroupAndLabel) {
  const Figure figure = dose_figure(fig3_like());
  EXPECT_EQ(figure.find<Circle>("point").size(), 2u * 4 * 3);
  EXPECT_EQ(figure.find<Rect>("bar").size(), 2u * 4);
  EXPECT_EQ(texts(figure, "x-tick-label"),
            (std::vector<std::string>{"0", "25", "50", "100", "0", "25", "50", "100"}));
  // Data span 0 (bar baseline) .. 76.3: steps of 20 up to 80, worked out by hand.
  EXPECT_EQ(texts(figure, "y-tick-label"),
            (std::vector<std::string>{"0", "20", "40", "60", "80", "0", "20", "40", "60", "80"}));
  EXPECT_EQ(texts(figure, "star"), (std::vector<std::string>{"*", "**", "***", "*", "**", "***"}));
  EXPECT_EQ(texts(figure, "panel-title"), (std::vector<std::string>{"MM1S", "U266"}));
  EXPECT_EQ(texts(figure, "y-title").size(), 1u);  // shared y axis: titled once
  EXPECT_EQ(texts(figure, "title"), (std::vector<std::string>{"BCMA expression rate"}));
  EXPECT_TRUE(figure.find<Text>("legend-label").empty());  // one unnamed series: no legend
  // Error bars: a whisker and two caps per group.
  EXPECT_EQ(figure.find<Line>("error-bar").size(), 2u * 4 * 3);
}

TEST(DoseFigure, PointsAndBarsSitAtTheirValuesOnTheYAxis) {
  const DoseFigure spec = fig3_like();
  const Figure figure = dose_figure(spec);
  const auto axes = figure.find<Line>("y-axis");
  ASSERT_EQ(axes.size(), 2u);
  // The axis runs from 0 (bottom, larger y) to 80 (top).
  const double bottom = axes[0]->from.y, top = axes[0]->to.y;
  ASSERT_GT(bottom, top);
  EXPECT_NEAR(bottom - top, spec.panel_height, 1e-9);
  auto page_y = [&](double v) { return bottom - v / 80.0 * (bottom - top); };

  std::multiset<double> expected_y, drawn_y;
  for (const auto& group : spec.panels[0].series[0].values)
    for (double v : group) expected_y.insert(std::round(page_y(v) * 1e6) / 1e6);
  const auto points = figure.find<Circle>("point");
  for (std::size_t i = 0; i < 12; ++i) drawn_y.insert(std::round(points[i]->centre.y * 1e6) / 1e6);
  EXPECT_EQ(drawn_y, expected_y);

  const auto bars = figure.find<Rect>("bar");
  const double means[] = {(41.2 + 43.5 + 40.1) / 3, (52.3 + 55.0 + 50.9) / 3, (61.5 + 63.2 + 60.0) / 3,
                          (74.1 + 71.8 + 76.3) / 3};
  for (int g = 0; g < 4; ++g) {
    EXPECT_NEAR(bars[g]->y, page_y(means[g]), 1e-9) << "bar " << g;
    EXPECT_NEAR(bars[g]->y + bars[g]->height, bottom, 1e-9) << "bar " << g << " stands on 0";
  }
  // Groups left to right in dose order, points of a group around its bar.
  for (int g = 0; g < 4; ++g) {
    if (g > 0) {
      EXPECT_GT(bars[g]->x, bars[g - 1]->x + bars[g - 1]->width);
    }
    for (int r = 0; r < 3; ++r) {
      const double x = points[g * 3 + r]->centre.x;
      EXPECT_GE(x, bars[g]->x);
      EXPECT_LE(x, bars[g]->x + bars[g]->width);
    }
  }
}

TEST(DoseFigure, FacetsSitSideBySideWithoutOverlap) {
  const Figure figure = dose_figure(fig3_like());
  const auto points = figure.find<Circle>("point");
  double right_of_first = -1, left_of_second = 1e9;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i < 12) {
      right_of_first = std::max(right_of_first, points[i]->centre.x + points[i]->radius);
    } else {
      left_of_second = std::min(left_of_second, points[i]->centre.x - points[i]->radius);
    }
  }
  const auto second_axis = figure.find<Line>("y-axis")[1];
  EXPECT_LT(right_of_first, second_axis->from.x);
  EXPECT_LT(second_axis->from.x, left_of_second);
  // The second panel's tick labels end left of its axis and right of the first panel's data.
  for (const Text* label : figure.find<Text>("y-tick-label")) {
    if (label->at.x > second_axis->from.x - 20) {
      EXPECT_GT(label->at.x, right_of_first);
    }
  }
  EXPECT_GT(figure.width, left_of_second);
}

TEST(DoseFigure, StarsSitAboveTheirGroupsData) {
  const Figure figure = dose_figure(fig3_like());
  const auto points = figure.find<Circle>("point");
  const auto bars = figure.find<Rect>("bar");
  const auto stars = figure.find<Text>("star");
  for (int s = 0; s < 3; ++s) {
    const int g = s + 1;  // marks on groups 1..3 of the first panel
    const double centre = bars[g]->x + bars[g]->width / 2;
    EXPECT_NEAR(stars[s]->at.x, centre, 1e-9);
    EXPECT_EQ(stars[s]->baseline, Baseline::Bottom);
    for (int r = 0; r < 3; ++r) EXPECT_LT(stars[s]->at.y, points[g * 3 + r]->centre.y - points[g * 3 + r]->radius);
    EXPECT_GT(stars[s]->at.y, 0);  // inside the figure
  }
}

TEST(DoseFigure, BracketsStackWithoutCrossing) {
  DoseFigure spec = fig3_like();
  spec.panels.resize(1);
  spec.panels[0].marks = {{3, 0, 0, "***"}, {1, 0, 0, "ns"}, {2, 0, 0, "**"}};
  const Figure figure = dose_figure(spec);
  const auto brackets = figure.find<Polyline>("bracket");
  ASSERT_EQ(brackets.size(), 3u);
  // Narrowest first: 0-1, then 0-2, then 0-3, each strictly higher (smaller y) than the last.
  auto level = [](const Polyline* p) { return p->points[1].y; };
  auto width = [](const Polyline* p) { return p->points[2].x - p->points[1].x; };
  EXPECT_LT(width(brackets[0]), width(brackets[1]));
  EXPECT_LT(width(brackets[1]), width(brackets[2]));
  EXPECT_LT(level(brackets[1]), level(brackets[0]) - 5);
  EXPECT_LT(level(brackets[2]), level(brackets[1]) - 5);
  // Every bracket clears the data of the groups it spans.
  const auto points = figure.find<Circle>("point");
  for (const Polyline* b : brackets) {
    for (const Circle* p : points) {
      if (p->centre.x >= b->points[1].x && p->centre.x <= b->points[2].x) {
        EXPECT_LT(level(b), p->centre.y - p->radius);
      }
    }
  }
  EXPECT_EQ(texts(figure, "bracket-label"), (std::vector<std::string>{"ns", "**", "***"}));
  for (const Text* t : figure.find<Text>("bracket-label")) EXPECT_GT(t->at.y, 0);
}

TEST(DoseFigure, SeveralSeriesGetColoursAndALegend) {
  DoseFigure spec = fig3_like();
  for (auto& panel : spec.panels) {
    panel.series.push_back(panel.series[0]);
    panel.series[0].name = "CAR-T";
    panel.series[1].name = "NT";
  }
  spec.summary = DoseSummary::MeanSd;
  const Figure figure = dose_figure(spec);
  EXPECT_EQ(texts(figure, "legend-label"), (std::vector<std::string>{"CAR-T", "NT"}));
  EXPECT_TRUE(figure.find<Rect>("bar").empty());
  EXPECT_EQ(figure.find<Line>("mean-line").size(), 2u * 2 * 4);
  std::set<std::tuple<double, double, double>> colours;
  for (const Circle* c : figure.find<Circle>("point")) colours.insert({c->fill.r, c->fill.g, c->fill.b});
  EXPECT_EQ(colours.size(), 2u);
  // The legend is right of every data point.
  double rightmost = 0;
  for (const Circle* c : figure.find<Circle>("point")) rightmost = std::max(rightmost, c->centre.x);
  for (const Rect* r : figure.find<Rect>("legend-swatch")) EXPECT_GT(r->x, rightmost);
}

TEST(DoseFigure, FixedYRangeIsHonoured) {
  DoseFigure spec = fig3_like();
  spec.y_min = 0;
  spec.y_max = 120;
  const Figure figure = dose_figure(spec);
  // 0..120 in at most 5 intervals: a step of 20 needs 6, so 50 (ticks beyond 120 are dropped).
  EXPECT_EQ(texts(figure, "y-tick-label"), (std::vector<std::string>{"0", "50", "100", "0", "50", "100"}));
  // The axis still spans 0..120: the first replicate (41.2) sits 41.2/120 of the way up.
  const Line* axis = figure.find<Line>("y-axis")[0];
  const Circle* first = figure.find<Circle>("point")[0];
  EXPECT_NEAR(first->centre.y, axis->from.y - 41.2 / 120 * (axis->from.y - axis->to.y), 1e-9);
}

TEST(DoseFigure, BadInputGivesClearErrors) {
  auto message = [](const DoseFigure& spec) {
    try {
      dose_figure(spec);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(DoseFigure{}).find("no panels"), std::string::npos);

  DoseFigure empty_group = fig3_like();
  empty_group.panels[1].series[0].values[2].clear();
  const std::string e1 = message(empty_group);
  EXPECT_NE(e1.find("U266"), std::string::npos) << e1;
  EXPECT_NE(e1.find("'50'"), std::string::npos) << e1;
  EXPECT_NE(e1.find("empty"), std::string::npos) << e1;

  DoseFigure nan = fig3_like();
  nan.panels[0].series[0].values[1][0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(message(nan).find("NaN"), std::string::npos) << message(nan);

  DoseFigure inf = fig3_like();
  inf.panels[0].series[0].values[1][0] = std::numeric_limits<double>::infinity();
  EXPECT_NE(message(inf).find("infinite"), std::string::npos);

  DoseFigure mismatch = fig3_like();
  mismatch.panels[0].series[0].values.pop_back();
  EXPECT_NE(message(mismatch).find("3 value groups for 4 dose groups"), std::string::npos) << message(mismatch);

  DoseFigure bad_mark = fig3_like();
  bad_mark.panels[0].marks.push_back({7, std::nullopt, 0, "*"});
  EXPECT_NE(message(bad_mark).find("names group 8 of 4"), std::string::npos) << message(bad_mark);

  DoseFigure self = fig3_like();
  self.panels[0].marks.push_back({2, 2, 0, "*"});
  EXPECT_NE(message(self).find("itself"), std::string::npos);

  DoseFigure no_groups = fig3_like();
  no_groups.panels[0].groups.clear();
  EXPECT_NE(message(no_groups).find("no dose groups"), std::string::npos);

  DoseFigure reversed = fig3_like();
  reversed.y_min = 10;
  reversed.y_max = 5;
  EXPECT_NE(message(reversed).find("y range is empty"), std::string::npos);
}

TEST(DoseFigure, SingleReplicateDrawsNoWhisker) {
  DoseFigure spec = fig3_like();
  spec.panels.resize(1);
  spec.panels[0].series[0].values = {{40}, {50}, {60}, {70}};
  const Figure figure = dose_figure(spec);
  EXPECT_TRUE(figure.find<Line>("error-bar").empty());
  EXPECT_EQ(figure.find<Circle>("point").size(), 4u);
}

TEST(DoseFigure, GivenSummariesAreDrawnInsteadOfRecomputed) {
  // The stats stage's rows carry the means and SDs: the bars and whiskers show those numbers.
  DoseFigure spec = fig3_like();
  spec.panels.resize(1);
  spec.y_min = 0;
  spec.y_max = 100;
  spec.panels[0].series[0].summaries = {{10, 2, 3}, {20, 0, 3}, {30, 4, 3}, {40, 1, 3}};
  const Figure figure = dose_figure(spec);
  const auto axes = figure.find<Line>("y-axis");
  const double bottom = axes[0]->from.y, top = axes[0]->to.y;
  auto page_y = [&](double v) { return bottom - v / 100.0 * (bottom - top); };
  const auto bars = figure.find<Rect>("bar");
  ASSERT_EQ(bars.size(), 4u);
  for (int g = 0; g < 4; ++g) EXPECT_NEAR(bars[g]->y, page_y(10.0 * (g + 1)), 1e-9) << g;
  // SD 0 draws no whisker: three groups with whiskers (a line and two caps each).
  EXPECT_EQ(figure.find<Line>("error-bar").size(), 3u * 3);
  spec.panels[0].series[0].summaries.pop_back();
  try {
    dose_figure(spec);
    ADD_FAILURE() << "no error for 3 summaries of 4 groups";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 group summaries for 4 dose groups"), std::string::npos) << e.what();
  }
}

TEST(MeanSd, MatchesHandComputation) {
  const MeanSd m = mean_sd({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_EQ(m.n, 8u);
  EXPECT_DOUBLE_EQ(m.mean, 5);
  EXPECT_DOUBLE_EQ(m.sd, std::sqrt(32.0 / 7));  // sum of squares 32, n - 1 = 7
  EXPECT_DOUBLE_EQ(mean_sd({3}).sd, 0);
  EXPECT_EQ(mean_sd({}).n, 0u);
}

TEST(Jitter, IsDeterministicSpreadAndBounded) {
  EXPECT_EQ(jitter_offsets(1, 5), std::vector<double>{0});
  for (std::size_t n = 2; n <= 12; ++n) {
    const auto a = jitter_offsets(n, 5), b = jitter_offsets(n, 5);
    EXPECT_EQ(a, b);
    std::set<double> distinct(a.begin(), a.end());
    EXPECT_EQ(distinct.size(), n);
    for (double v : a) {
      EXPECT_GE(v, -5);
      EXPECT_LE(v, 5);
    }
    // Spread: no two offsets closer than a fraction of the even spacing.
    std::vector<double> sorted(a);
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < n; ++i) EXPECT_GT(sorted[i] - sorted[i - 1], 10.0 / n / 4) << "n=" << n;
  }
}

}  // namespace
}  // namespace cytopipe::plot

namespace cytopipe::plot {
namespace {

// Whiskers of mean +/- SEM: half the length SD / sqrt(n), computed here from the replicates.
TEST(DoseFigure, SemWhiskersAreSdOverRootN) {
  DoseFigure spec = fig3_like();
  spec.panels.resize(1);
  spec.y_min = 0;
  spec.y_max = 100;
  spec.error_sem = true;
  const Figure figure = dose_figure(spec);
  const auto axes = figure.find<Line>("y-axis");
  const double bottom = axes[0]->from.y, top = axes[0]->to.y;
  const double per_unit = (bottom - top) / 100.0;
  const auto whiskers = figure.find<Line>("error-bar");
  ASSERT_EQ(whiskers.size(), 4u * 3);
  for (std::size_t g = 0; g < 4; ++g) {
    const auto& v = spec.panels[0].series[0].values[g];
    const double mean = (v[0] + v[1] + v[2]) / 3;
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double sem = std::sqrt(ss / 2) / std::sqrt(3.0);
    const Line* stem = whiskers[g * 3];  // the vertical line, then its caps
    EXPECT_NEAR(std::abs(stem->from.y - stem->to.y), 2 * sem * per_unit, 1e-9) << g;
  }
}

}  // namespace
}  // namespace cytopipe::plot
