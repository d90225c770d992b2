// Time course: Cmax circled at Tmax and a dashed Tmax line at the right x, one per distinct Tmax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/time_course.hpp"

namespace cytopipe::plot {
namespace {

struct Axes {
  double x0, x1, lo, hi;
  double px(double x) const { return x0 + (x - lo) / (hi - lo) * (x1 - x0); }
};

// The x axis line and the data range 0..28 widened by 4 % on each side.
Axes axes_of(const Figure& figure) {
  const Line* x_axis = figure.find<Line>("x-axis").at(0);
  return {x_axis->from.x, x_axis->to.x, -1.12, 29.12};
}

TEST(TimeCourse, CmaxCircledAtTmaxWithATmaxLinePerSubject) {
  TimeCourseFigure spec;
  spec.x_title = "Day after infusion (d)";
  spec.y_title = "CAR+ of CD3+ T cells (%)";
  spec.x_unit = "d";
  spec.y_unit = "%";
  // Out of time order on purpose; P1 peaks on day 14, P2 on day 10 (and again, lower, on day 21).
  spec.lines.push_back({"P1", {{28, 20}, {0, 1}, {14, 51}, {7, 22}}, {{"pleural effusion", {{14, 93}}}}});
  spec.lines.push_back({"P2", {{0, 2}, {10, 36}, {21, 36}, {28, 9}}, {}});
  const Figure figure = time_course_figure(spec);
  const Axes a = axes_of(figure);

  const auto markers = figure.find<Circle>("marker");
  ASSERT_EQ(markers.size(), 2u);
  EXPECT_NEAR(markers[0]->centre.x, a.px(14), 1e-9);
  EXPECT_NEAR(markers[1]->centre.x, a.px(10), 1e-9);  // the first of two equal maxima
  const auto lines = figure.find<Line>("reference-line");
  ASSERT_EQ(lines.size(), 2u);
  std::vector<double> xs{lines[0]->from.x, lines[1]->from.x};
  std::sort(xs.begin(), xs.end());
  EXPECT_NEAR(xs[0], a.px(10), 1e-9);
  EXPECT_NEAR(xs[1], a.px(14), 1e-9);
  for (const Line* l : lines) {
    EXPECT_EQ(l->from.x, l->to.x);  // vertical
    EXPECT_FALSE(l->stroke.dash.empty());
    // In its subject's colour: the marker's at the same x.
    for (const Circle* m : markers)
      if (std::abs(m->centre.x - l->from.x) < 1e-9) {
        EXPECT_EQ(l->stroke.colour, m->stroke.colour);
      }
  }
  std::vector<std::string> legend, labels;
  for (const Text* t : figure.find<Text>("legend-label")) legend.push_back(t->text);
  for (const Text* t : figure.find<Text>("reference-label")) labels.push_back(t->text);
  EXPECT_EQ(legend, (std::vector<std::string>{"P1: Cmax 51 % at Tmax 14 d", "P2: Cmax 36 % at Tmax 10 d",
                                              "P1, pleural effusion"}));
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(labels, (std::vector<std::string>{"Tmax 10 d", "Tmax 14 d"}));
  // Days 10 and 14 are close: the two labels are stacked, not drawn over each other.
  const auto texts = figure.find<Text>("reference-label");
  EXPECT_NE(texts[0]->at.y, texts[1]->at.y);
  EXPECT_EQ(figure.find<Circle>("point-hollow").size(), 1u);
}

TEST(TimeCourse, SharedTmaxIsOneGreyLine) {
  TimeCourseFigure spec;
  spec.lines.push_back({"P1", {{0, 1}, {14, 51}, {28, 20}}, {}});
  spec.lines.push_back({"P2", {{0, 1}, {14, 36}, {28, 9}}, {}});
  const Figure figure = time_course_figure(spec);
  const auto lines = figure.find<Line>("reference-line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NEAR(lines[0]->from.x, axes_of(figure).px(14), 1e-9);
  EXPECT_EQ(lines[0]->stroke.colour, rgb(0x555555));
  EXPECT_EQ(figure.find<Text>("reference-label").at(0)->text, "Tmax 14");
}

TEST(TimeCourse, NoFinitePointIsAnError) {
  TimeCourseFigure spec;
  spec.lines.push_back({"P1", {{0, std::nan("")}}, {}});
  EXPECT_THROW(time_course_figure(spec), Error);
  EXPECT_THROW(peak_of({}), Error);
  EXPECT_EQ(peak_of({{3, 1}, {1, 5}, {2, 5}}), (Point{1, 5}));
}

}  // namespace
}  // namespace cytopipe::plot
