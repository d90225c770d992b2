// Numeric x/y figures (time courses, dose-response curves): positions from the axis lines.
#include <gtest/gtest.h>

#include <cmath>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/xy.hpp"

namespace cytopipe::plot {
namespace {

TEST(XyFigure, PointsMarkersAndReferenceLinesSitWhereTheAxesSay) {
  XyFigure spec;
  spec.x_title = "Day";
  spec.y_title = "CAR+ (%)";
  spec.series.push_back({"P1", {{0, 1}, {7, 22}, {14, 51}, {28, 20}}, true, true, false, std::nullopt, {}});
  spec.markers.push_back({{14, 51}, "Cmax", std::nullopt});
  spec.reference_lines.push_back({14, "Tmax"});
  spec.x_min = 0;
  spec.x_max = 28;
  spec.y_min = 0;
  spec.y_max = 60;
  const Figure figure = xy_figure(spec);
  const Line* x_axis = figure.find<Line>("x-axis")[0];
  const Line* y_axis = figure.find<Line>("y-axis")[0];
  // The x range gets 4 % of room on each side: 0 - 1.12 .. 28 + 1.12.
  const double x0 = x_axis->from.x, x1 = x_axis->to.x, lo = -1.12, hi = 29.12;
  auto px = [&](double x) { return x0 + (x - lo) / (hi - lo) * (x1 - x0); };
  const double bottom = std::max(y_axis->from.y, y_axis->to.y), top = std::min(y_axis->from.y, y_axis->to.y);
  auto py = [&](double y) { return bottom - y / 60 * (bottom - top); };
  const auto points = figure.find<Circle>("point");
  ASSERT_EQ(points.size(), 4u);
  EXPECT_NEAR(points[2]->centre.x, px(14), 1e-9);
  EXPECT_NEAR(points[2]->centre.y, py(51), 1e-9);
  const auto marker = figure.find<Circle>("marker");
  ASSERT_EQ(marker.size(), 1u);
  EXPECT_NEAR(marker[0]->centre.x, px(14), 1e-9);
  const auto ref = figure.find<Line>("reference-line");
  ASSERT_EQ(ref.size(), 1u);
  EXPECT_NEAR(ref[0]->from.x, px(14), 1e-9);
  ASSERT_EQ(figure.find<Polyline>("series-line").size(), 1u);
}

TEST(XyFigure, LogAxisPutsDecadesAtTheirLogs) {
  XyFigure spec;
  spec.log_x = true;
  spec.series.push_back({"", {{0.1, 5}, {1, 20}, {10, 60}, {100, 90}, {0, 3}}, false, true, false, std::nullopt, {}});
  const Figure figure = xy_figure(spec);
  const Line* x_axis = figure.find<Line>("x-axis")[0];
  // log10 from -1 to 2, widened by 4 % of 3 decades each side.
  const double lo = -1 - 0.12, hi = 2 + 0.12, x0 = x_axis->from.x, x1 = x_axis->to.x;
  std::map<std::string, double> ticks;
  for (const Text* t : figure.find<Text>("x-tick-label")) ticks[t->text] = t->at.x;
  for (auto [label, decade] : std::vector<std::pair<std::string, double>>{{"0.1", -1}, {"1", 0}, {"10", 1}, {"100", 2}}) {
    ASSERT_TRUE(ticks.count(label)) << label;
    EXPECT_NEAR(ticks[label], x0 + (decade - lo) / (hi - lo) * (x1 - x0), 1e-9) << label;
  }
  EXPECT_EQ(figure.find<Circle>("point").size(), 4u);  // dose 0 has no place on a log axis
  XyFigure none;
  none.log_x = true;
  none.series.push_back({"", {{0, 1}}, false, true, false, std::nullopt, {}});
  EXPECT_THROW(xy_figure(none), Error);
}

}  // namespace
}  // namespace cytopipe::plot
