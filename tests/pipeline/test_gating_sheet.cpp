// Gating sheets: every gate drawn where its coordinates fall after the axis transform, decade
// ticks where the scale puts the decades, % of parent counted by hand from the events.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <regex>

#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/pipeline/gating_sheet.hpp"
#include "cytopipe/plot/render.hpp"
#include "../plot/svg_parse.hpp"
#include "../plot/text_boxes.hpp"

namespace cytopipe::pipeline {
namespace {

using plot::Figure;

const char* kLogicle = "logicle(T=262144,W=0.5,M=4.5,A=0)";
const char* kAsinh = "asinh(cofactor=150)";

gating::Dimension dimension(const std::string& channel, const std::string& scale = "") {
  gating::Dimension d;
  d.channel = channel;
  if (!scale.empty()) d.scale.transform = transform::Transform::parse(scale);
  return d;
}

struct Fixture {
  fcs::Sample sample;
  gating::GatingStrategy strategy;
  transform::Transform logicle = transform::Transform::parse(kLogicle);
  transform::Transform asinh = transform::Transform::parse(kAsinh);
  // Triangle under the line from (90000, 5000) to (10000, 60000); its bounding box holds every
  // event, so each axis spans the gate's extent widened by 5 %.
  std::vector<std::array<double, 2>> triangle{{10000, 5000}, {90000, 5000}, {10000, 60000}};

  Fixture() {
    const std::vector<std::string> names{"FSC-A", "SSC-A", "FL1-A", "FL2-A"};
    const std::size_t n = 3000;
    sample.source = "tube.fcs";
    sample.events = fcs::EventMatrix(n, names.size());
    for (std::size_t c = 0; c < names.size(); ++c) {
      fcs::Channel ch;
      ch.index = static_cast<int>(c + 1);
      ch.name = names[c];
      sample.channels.push_back(ch);
    }
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> fsc(20000, 80000), ssc(10000, 50000), decades(2, 4);
    for (std::size_t i = 0; i < n; ++i) {
      sample.events.column(0)[i] = fsc(rng);
      sample.events.column(1)[i] = ssc(rng);
      sample.events.column(2)[i] = std::pow(10, decades(rng));  // 100 .. 10000
      sample.events.column(3)[i] = std::pow(10, decades(rng));
    }
    gating::PolygonGate cells{{dimension("FSC-A"), dimension("SSC-A")}, triangle};
    strategy.add({"cells", "", cells, {}});
    // On the gate's own (logicle) scale: coordinates in logicle units.
    gating::RectangleGate both{{dimension("FL1-A", kLogicle), dimension("FL2-A", kLogicle)},
                               {{logicle.apply(50), logicle.apply(20000)}, {logicle.apply(50), logicle.apply(5000)}}};
    strategy.add({"both", "cells", both, {}});
    // Linear 1-D gates, drawn on the display scale (asinh) given for FL1-A.
    strategy.add({"low", "cells", gating::RectangleGate{{dimension("FL1-A")}, {{50.0, 1000.0}}}, {}});
    strategy.add({"high", "cells", gating::RectangleGate{{dimension("FL1-A")}, {{1000.0, 20000.0}}}, {}});
  }

  GatingSheet sheet() const {
    GatingSheetOptions options;
    options.display_scale = [this](std::string_view channel) -> const transform::Transform* {
      return channel == "FL1-A" ? &asinh : nullptr;
    };
    return gating_sheet(strategy, sample, gating::gate_sample(strategy, sample), options);
  }
  // Events of the triangle, counted from the raw values.
  std::vector<std::size_t> in_cells() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < sample.event_count(); ++i) {
      const double x = sample.events.column(0)[i], y = sample.events.column(1)[i];
      if (y < 5000 + (90000 - x) * (55000.0 / 80000.0)) out.push_back(i);
    }
    return out;
  }
};

// The page position of data value v on an axis drawn over [lo, hi] widened by 5 % each side.
double page(double v, double lo, double hi, double page_lo, double page_size) {
  const double pad = (hi - lo) * 0.05;
  return page_lo + (v - (lo - pad)) / ((hi + pad) - (lo - pad)) * page_size;
}

std::string percent_text(double pct) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %%", pct);
  return buffer;
}

TEST(GatingSheet, PanelsPerGateLevel) {
  Fixture f;
  const GatingSheet sheet = f.sheet();
  ASSERT_EQ(sheet.panels.size(), 3u);
  EXPECT_EQ(sheet.panels[0].parent, "");
  EXPECT_EQ(sheet.panels[1].gates, (std::vector<std::string>{"both"}));
  EXPECT_EQ(sheet.panels[2].gates, (std::vector<std::string>{"low", "high"}));  // one level: same parent and dimension
}

TEST(GatingSheet, PolygonVerticesAndItsPercentWhereTheDataPutThem) {
  Fixture f;
  const Figure figure = f.sheet().figure;
  const auto rasters = figure.find<plot::Raster>("density");
  ASSERT_EQ(rasters.size(), 2u);
  const plot::Raster& r = *rasters[0];
  const auto polygons = figure.find<plot::Polyline>("gate");
  ASSERT_EQ(polygons.size(), 1u);
  ASSERT_EQ(polygons[0]->points.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    // x over the triangle's FSC extent 10000..90000, y over 5000..60000 (page y grows down).
    EXPECT_NEAR(polygons[0]->points[k].x, page(f.triangle[k][0], 10000, 90000, r.x, r.width), 1e-6);
    EXPECT_NEAR(polygons[0]->points[k].y, r.y + r.height - page(f.triangle[k][1], 5000, 60000, 0, r.height), 1e-6);
  }
  std::vector<std::string> labels;
  for (const auto* t : figure.find<plot::Text>("gate-label")) labels.push_back(t->text);
  const double pct = 100.0 * static_cast<double>(f.in_cells().size()) / static_cast<double>(f.sample.event_count());
  EXPECT_GT(pct, 20);
  EXPECT_LT(pct, 95);
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(labels[0], "cells " + percent_text(pct));

  // The same outline in the SVG: a stroked path through the three page points (Cairo writes a
  // polygon as "M x y L x y L x y Z").
  const std::string svg = plot::render_svg(figure);
  const std::regex path_re(R"(d="M ([-0-9.]+) ([-0-9.]+) L ([-0-9.]+) ([-0-9.]+) L ([-0-9.]+) ([-0-9.]+) Z)");
  bool found = false;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), path_re); it != std::sregex_iterator(); ++it) {
    bool all = true;
    for (std::size_t k = 0; k < 3; ++k) {
      const double x = std::stod((*it)[1 + 2 * k]), y = std::stod((*it)[2 + 2 * k]);
      all &= std::abs(x - page(f.triangle[k][0], 10000, 90000, r.x, r.width)) < 0.01 &&
             std::abs(y - (r.y + r.height - page(f.triangle[k][1], 5000, 60000, 0, r.height))) < 0.01;
    }
    found |= all;
  }
  EXPECT_TRUE(found) << "no SVG path through the triangle's page vertices";
}

TEST(GatingSheet, RectangleOnItsOwnLogicleScaleWithDecadeTicks) {
  Fixture f;
  const Figure figure = f.sheet().figure;
  const plot::Raster& r = *figure.find<plot::Raster>("density")[1];
  const auto rects = figure.find<plot::Rect>("gate");
  ASSERT_EQ(rects.size(), 1u);
  const double lo = f.logicle.apply(50), hi = f.logicle.apply(20000);  // the x extent: the gate's
  EXPECT_NEAR(rects[0]->x, page(lo, lo, hi, r.x, r.width), 1e-6);
  EXPECT_NEAR(rects[0]->x + rects[0]->width, page(hi, lo, hi, r.x, r.width), 1e-6);
  // Decades of the data under the plot: "10²" at logicle(100), "10³" at logicle(1000), "10⁴".
  std::map<std::string, double> tick_x;
  for (const auto* t : figure.find<plot::Text>("x-tick-label"))
    if (t->at.x >= r.x - 1 && t->at.x <= r.x + r.width + 1 && t->at.y > r.y + r.height && t->at.y < r.y + r.height + 20)
      tick_x[t->text] = t->at.x;
  for (const auto& [label, value] : std::vector<std::pair<std::string, double>>{{"10²", 100}, {"10³", 1000}, {"10⁴", 10000}}) {
    ASSERT_TRUE(tick_x.count(label)) << label;
    EXPECT_NEAR(tick_x[label], page(f.logicle.apply(value), lo, hi, r.x, r.width), 1e-6) << label;
  }
  // % of parent: FL1 in [50, 20000) and FL2 in [50, 5000) among the triangle's events.
  const auto cells = f.in_cells();
  std::size_t both = 0;
  for (std::size_t i : cells) {
    const double a = f.sample.events.column(2)[i], b = f.sample.events.column(3)[i];
    both += a >= 50 && a < 20000 && b >= 50 && b < 5000;
  }
  std::vector<std::string> labels;
  for (const auto* t : figure.find<plot::Text>("gate-label")) labels.push_back(t->text);
  ASSERT_GE(labels.size(), 2u);
  EXPECT_EQ(labels[1], "both " + percent_text(100.0 * static_cast<double>(both) / static_cast<double>(cells.size())));
}

TEST(GatingSheet, RangeGatesOnTheDisplayScaleWithItsDecades) {
  Fixture f;
  const Figure figure = f.sheet().figure;
  const auto axes = figure.find<plot::Line>("x-axis");
  ASSERT_EQ(axes.size(), 3u);
  const double left = axes[2]->from.x, width = axes[2]->to.x - axes[2]->from.x;
  const double lo = f.asinh.apply(50), hi = f.asinh.apply(20000);
  std::vector<double> lines;
  for (const auto* l : figure.find<plot::Line>("gate")) lines.push_back(l->from.x);
  // low: 50 and 1000; high: 1000 and 20000, on asinh(x / 150).
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NEAR(lines[0], page(lo, lo, hi, left, width), 1e-6);
  EXPECT_NEAR(lines[1], page(f.asinh.apply(1000), lo, hi, left, width), 1e-6);
  EXPECT_NEAR(lines[3], page(hi, lo, hi, left, width), 1e-6);
  EXPECT_NEAR(std::asinh(1000.0 / 150), f.asinh.apply(1000), 1e-12);  // the scale is what it says
  std::map<std::string, double> tick_x;
  for (const auto* t : figure.find<plot::Text>("x-tick-label"))
    if (t->at.x >= left - 1 && t->at.x <= left + width + 1 && t->at.y > axes[2]->from.y) tick_x[t->text] = t->at.x;
  ASSERT_TRUE(tick_x.count("10³"));
  EXPECT_NEAR(tick_x["10³"], page(std::asinh(1000.0 / 150), lo, hi, left, width), 1e-6);
  ASSERT_TRUE(tick_x.count("10²"));
  EXPECT_NEAR(tick_x["10²"], page(std::asinh(100.0 / 150), lo, hi, left, width), 1e-6);
  EXPECT_FALSE(tick_x.count("0"));  // asinh(50 / 150) minus the margin is still above 0
}

TEST(GatingSheet, QuadrantAndEllipseAreDrawn) {
  Fixture f;
  gating::QuadrantGate q;
  q.dividers = {{"dx", dimension("FL1-A"), {1000}}, {"dy", dimension("FL2-A"), {1000}}};
  q.quadrants = {{"pp", {{"dx", 5000}, {"dy", 5000}}}, {"nn", {{"dx", 10}, {"dy", 10}}}};
  f.strategy.add({"quad", "cells", q, {}});
  gating::EllipsoidGate e{{dimension("FSC-A"), dimension("SSC-A")}, {50000, 30000}, {1e8, 0, 0, 4e8}, 1};
  f.strategy.add({"round", "", e, {}});
  GatingSheetOptions options;
  const auto sheet = gating_sheet(f.strategy, f.sample, gating::gate_sample(f.strategy, f.sample), options);
  std::vector<std::string> labels;
  for (const auto* t : sheet.figure.find<plot::Text>("gate-label")) labels.push_back(t->text.substr(0, t->text.find(' ')));
  EXPECT_NE(std::find(labels.begin(), labels.end(), "pp"), labels.end());
  EXPECT_NE(std::find(labels.begin(), labels.end(), "round"), labels.end());
  // The ellipse: 96 points at Mahalanobis distance 1 from the mean, in the root panel (which also
  // holds the triangle, same parent and dimensions).
  const auto outlines = sheet.figure.find<plot::Polyline>("gate");
  ASSERT_EQ(outlines.size(), 2u);
  EXPECT_EQ(outlines[1]->points.size(), 96u);
}

TEST(GatingSheet, BooleanGatesAreListedAndNothingToDrawIsAnError) {
  Fixture f;
  gating::GatingStrategy only_boolean;
  only_boolean.add({"a", "", gating::RectangleGate{{dimension("FSC-A")}, {{0.0, 1e9}}}, {}});
  gating::BooleanGate not_a{gating::BooleanGate::Op::Not, {{"a", false}}};
  only_boolean.add({"b", "", not_a, {}});
  const auto results = gating::gate_sample(only_boolean, f.sample);
  const auto sheet = gating_sheet(only_boolean, f.sample, results);
  EXPECT_EQ(sheet.panels.size(), 1u);
  ASSERT_EQ(sheet.skipped.size(), 1u);
  EXPECT_NE(sheet.skipped[0].find("b: a boolean gate"), std::string::npos);
  {
    // Several gates not drawn for one reason: one note line naming them all, per reason.
    gating::GatingStrategy many = only_boolean;
    many.add({"c", "", gating::BooleanGate{gating::BooleanGate::Op::Not, {{"a", false}}}, {}});
    many.add({"d", "", gating::BooleanGate{gating::BooleanGate::Op::Not, {{"c", false}}}, {}});
    many.add({"e", "", gating::RectangleGate{{dimension("FSC-A"), dimension("SSC-A"), dimension("FL1-A")}, {{}, {}, {}}}, {}});
    const auto sheet3 = gating_sheet(many, f.sample, gating::gate_sample(many, f.sample));
    ASSERT_EQ(sheet3.skipped.size(), 4u);
    std::vector<std::string> notes;
    for (const auto* t : sheet3.figure.find<plot::Text>("note"))
      if (t->text.starts_with("not drawn")) notes.push_back(t->text);
    EXPECT_EQ(notes, (std::vector<std::string>{"not drawn, a boolean gate (drawn through its operands): b, c, d",
                                               "not drawn, 3 dimensions: e"}));
  }
  gating::GatingStrategy none;
  none.add({"b", "", gating::BooleanGate{gating::BooleanGate::Op::Not, {{"x", false}}}, {}});
  none.add({"x", "", gating::RectangleGate{{dimension("FSC-A"), dimension("SSC-A"), dimension("FL1-A")}, {{}, {}, {}}}, {}});
  EXPECT_THROW(gating_sheet(none, f.sample, gating::gate_sample(none, f.sample)), Error);
}

}  // namespace
}  // namespace cytopipe::pipeline

namespace cytopipe::pipeline {
namespace {

// Long population names and six-digit scatter values on the report's narrow panels: no label
// overlaps another or leaves the sheet.
TEST(GatingSheet, LongNamesNeitherOverlapNorLeaveTheSheet) {
  Fixture f;
  for (std::size_t i = 0; i < f.sample.event_count(); ++i) f.sample.events.column(0)[i] *= 3;  // FSC to 240000
  gating::GatingStrategy strategy;
  const std::string cells = "Lymphocytes excluding debris and doublets by forward and side scatter";
  const std::string both = "CD3+ CD4+ central memory T cells double positive on FL1 and FL2";
  std::vector<std::array<double, 2>> triangle{{30000, 5000}, {270000, 5000}, {30000, 60000}};
  strategy.add({cells, "", gating::PolygonGate{{dimension("FSC-A"), dimension("SSC-A")}, triangle}, {}});
  strategy.add({both, cells,
                gating::RectangleGate{{dimension("FL1-A", kLogicle), dimension("FL2-A", kLogicle)},
                                      {{f.logicle.apply(50), f.logicle.apply(20000)}, {f.logicle.apply(50), f.logicle.apply(5000)}}},
                {}});
  strategy.add({"FL1 low: dim expressing cells below the isotype control's 99th percentile", cells,
                gating::RectangleGate{{dimension("FL1-A")}, {{50.0, 1000.0}}}, {}});
  strategy.add({"FL1 high: bright expressing cells above the isotype control's 99th percentile", cells,
                gating::RectangleGate{{dimension("FL1-A")}, {{1000.0, 20000.0}}}, {}});
  GatingSheetOptions options;
  options.display_scale = [&f](std::string_view channel) -> const transform::Transform* {
    return channel == "FL1-A" ? &f.asinh : nullptr;
  };
  options.columns = 4;
  options.panel_size = 120;  // as the report draws them
  options.title = "a_tube_from_a_plate_with_a_long_file_name_Specimen_001_A01_001.fcs";
  const GatingSheet sheet = gating_sheet(strategy, f.sample, gating::gate_sample(strategy, f.sample), options);
  const auto problems = plot::test::label_problems(sheet.figure);
  std::string all;
  for (const auto& p : problems) all += "\n  " + p;
  EXPECT_TRUE(problems.empty()) << all;
  // Six-digit scatter ticks: labels thinned, never run together.
  EXPECT_GE(sheet.figure.find<plot::Text>("x-tick-label").size(), 4u);
}

}  // namespace
}  // namespace cytopipe::pipeline
