// Dose-response curve: the 4PL fitted by the stats stage, drawn through the model at every vertex
// after the log axis transform, EC50 at the fitted EC50, dose 0 behind the axis break, and a
// stratum without a fit saying so.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/dose_response.hpp"
#include "cytopipe/plot/number_format.hpp"
#include "cytopipe/stats/analysis.hpp"

namespace cytopipe::plot {
namespace {

// Known parameters: a rising curve from 10 to 90 % with EC50 20 nM and hill 1.5.
constexpr LogisticCurve kTruth{10, 90, 20, 1.5};

stats::Observations observations(const std::vector<double>& doses, const std::string& stratum) {
  stats::Observations data;
  data.source = "constructed";
  for (double d : doses)
    for (double noise : {-0.8, 0.1, 0.7}) {
      char level[32];
      std::snprintf(level, sizeof level, "%g", d);
      data.values.push_back(logistic(kTruth, d) + noise);
      data.groups.push_back(level);
      data.strata.push_back(stratum);
    }
  return data;
}

std::vector<stats::ResultRow> fit(const stats::Observations& data) {
  stats::AnalysisSpec spec;
  spec.value = "killing";
  spec.group = "dose_nM";
  spec.stratum = "cell_line";
  spec.tests = {stats::TestKind::hill};
  return stats::run_analysis(data, spec);
}

// Page mapping read off the axes: x from the decade tick labels 1 and 10, y from two y tick labels.
struct PageAxes {
  double x_at_1 = 0, per_decade = 0, y_at_0 = 0, per_unit = 0;
  double px(double dose) const { return x_at_1 + per_decade * std::log10(dose); }
  double py(double y) const { return y_at_0 + per_unit * y; }
};

PageAxes axes_of(const Figure& figure) {
  std::map<std::string, double> x, y;
  for (const Text* t : figure.find<Text>("x-tick-label")) x[t->text] = t->at.x;
  for (const Text* t : figure.find<Text>("y-tick-label")) y[t->text] = t->at.y;
  if (!x.count("1") || !x.count("10") || !y.count("0") || y.size() < 2) throw std::runtime_error("missing tick labels");
  const auto other = std::next(y.begin(), y.begin()->first == "0" ? 1 : 0);  // a label other than "0"
  const double value = std::stod(other->first);
  return {x["1"], x["10"] - x["1"], y["0"], (other->second - y["0"]) / value};
}

TEST(DoseResponse, CurveThroughTheFittedModelAndEc50AtTheFittedEc50) {
  const std::vector<double> doses{0, 1, 3, 10, 30, 100, 300};
  const auto rows = fit(observations(doses, "MM1S"));
  std::string why;
  const auto curve = fitted_curve(rows, "MM1S", why);
  ASSERT_TRUE(curve) << why;
  // The fit recovers the constructed parameters (the noise is small).
  EXPECT_NEAR(curve->ec50, kTruth.ec50, 1.0);
  EXPECT_NEAR(curve->hill, kTruth.hill, 0.15);
  EXPECT_NEAR(curve->bottom, kTruth.bottom, 1.5);
  EXPECT_NEAR(curve->top, kTruth.top, 1.5);

  DoseResponseFigure spec;
  spec.x_title = "Selinexor (nM)";
  spec.y_title = "Killing (%)";
  spec.x_unit = "nM";
  DoseResponseSeries series{"MM1S", {}, curve, ""};
  for (double d : doses) series.replicates.push_back({d, logistic(kTruth, d)});
  spec.series.push_back(series);
  const Figure figure = dose_response_figure(spec);
  const PageAxes a = axes_of(figure);

  // Every vertex of the curve lies on the fitted model, from the lowest to the highest positive dose.
  const auto lines = figure.find<Polyline>("series-line");
  ASSERT_EQ(lines.size(), 1u);
  const auto& pts = lines[0]->points;
  ASSERT_EQ(pts.size(), 160u);
  EXPECT_NEAR(pts.front().x, a.px(1), 1e-6);
  EXPECT_NEAR(pts.back().x, a.px(300), 1e-6);
  for (const Point& p : pts) {
    const double dose = std::pow(10.0, (p.x - a.x_at_1) / a.per_decade);
    EXPECT_NEAR(p.y, a.py(logistic(*curve, dose)), 1e-6) << "dose " << dose;
  }
  // EC50: a dashed line at the fitted EC50 and a marker on the curve there (halfway up).
  const auto ref = figure.find<Line>("reference-line");
  ASSERT_EQ(ref.size(), 1u);
  EXPECT_NEAR(ref[0]->from.x, a.px(curve->ec50), 1e-6);
  const auto marker = figure.find<Circle>("marker");
  ASSERT_EQ(marker.size(), 1u);
  EXPECT_NEAR(marker[0]->centre.x, a.px(curve->ec50), 1e-6);
  EXPECT_NEAR(marker[0]->centre.y, a.py((curve->bottom + curve->top) / 2), 1e-6);
  const auto label = figure.find<Text>("reference-label");
  ASSERT_EQ(label.size(), 1u);
  EXPECT_EQ(label[0]->text, "MM1S: EC50 " + format_significant(curve->ec50, 3) + " nM");

  // Dose 0: its replicate left of the axis break, under a tick labelled "0"; the others at their doses.
  const auto points = figure.find<Circle>("point");
  ASSERT_EQ(points.size(), doses.size());
  const auto breaks = figure.find<Rect>("axis-break");
  ASSERT_EQ(breaks.size(), 1u);
  const double break_x = breaks[0]->x + breaks[0]->width / 2;
  double zero_label_x = NAN;
  for (const Text* t : figure.find<Text>("x-tick-label"))
    if (t->text == "0") zero_label_x = t->at.x;
  for (const Circle* c : points) {
    if (c->centre.x < break_x) {
      EXPECT_NEAR(c->centre.x, zero_label_x, 1e-9);
      EXPECT_NEAR(c->centre.y, a.py(kTruth.bottom), 1e-6);
    } else {
      const double dose = std::pow(10.0, (c->centre.x - a.x_at_1) / a.per_decade);
      EXPECT_NEAR(c->centre.y, a.py(logistic(kTruth, dose)), 1e-6);
    }
  }
  EXPECT_LT(zero_label_x, break_x);
  EXPECT_LT(break_x, a.px(1));
  for (const Text* t : figure.find<Text>("x-tick-label")) EXPECT_FALSE(t->text != "0" && t->at.x < break_x) << t->text;
}

// Three positive doses (the shipped Fig. 3 design): no fit, the points drawn and the reason shown.
TEST(DoseResponse, WithoutAFitThePanelSaysWhy) {
  const auto rows = fit(observations({0, 25, 50, 100}, "U266"));
  std::string why;
  EXPECT_FALSE(fitted_curve(rows, "U266", why));
  EXPECT_NE(why.find("too few distinct"), std::string::npos) << why;
  DoseResponseFigure spec;
  DoseResponseSeries series{"U266", {{0, 10}, {25, 20}, {50, 30}, {100, 40}}, std::nullopt, why};
  spec.series.push_back(series);
  const Figure figure = dose_response_figure(spec);
  const auto notes = figure.find<Text>("note");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0]->text, "U266: no 4PL curve: " + why);
  EXPECT_TRUE(figure.find<Polyline>("series-line").empty());
  EXPECT_EQ(figure.find<Circle>("point").size(), 4u);
  EXPECT_FALSE(fitted_curve(rows, "MM1S", why));
  EXPECT_EQ(why, "no 4PL fit in the statistics");
  DoseResponseFigure negative;
  negative.series.push_back({"x", {{-1, 3}}, std::nullopt, ""});
  EXPECT_THROW(dose_response_figure(negative), Error);
}

}  // namespace
}  // namespace cytopipe::plot
