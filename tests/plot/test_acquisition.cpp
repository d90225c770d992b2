// The acquisition QC figure: one panel per file, flagged bins shaded behind the rate, in a grid.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/acquisition.hpp"
#include "cytopipe/plot/render.hpp"

namespace plot = cytopipe::plot;

namespace {

plot::AcquisitionPanel panel(const std::string& name, std::size_t bins, std::size_t flagged_from, std::size_t flagged_to) {
  plot::AcquisitionPanel p;
  p.title = name;
  p.note = "flagged";
  for (std::size_t b = 0; b < bins; ++b) {
    const bool flagged = b >= flagged_from && b < flagged_to;
    p.bins.push_back({0.5 * static_cast<double>(b), 0.5 * static_cast<double>(b + 1), flagged ? 20.0 : 800.0, flagged});
  }
  return p;
}

}  // namespace

TEST(AcquisitionFigure, ShadesFlaggedBinsBehindTheRate) {
  plot::AcquisitionFigure spec;
  spec.panels = {panel("a.fcs", 40, 10, 14), panel("b.fcs", 40, 0, 0), panel("c.fcs", 20, 18, 20)};
  spec.columns = 2;
  const auto figure = plot::acquisition_figure(spec);
  const auto shaded = figure.find<plot::Rect>("flagged-bin");
  ASSERT_EQ(shaded.size(), 6u);  // 4 + 0 + 2
  const auto rates = figure.find<plot::Polyline>("rate");
  ASSERT_EQ(rates.size(), 3u);
  EXPECT_EQ(rates[0]->points.size(), 80u);  // a step: two points per bin
  // In panel a, the shading spans bins 10-13 exactly: 4 of 40 bins of the panel's width.
  const double width = rates[0]->points.back().x - rates[0]->points.front().x;
  const double shaded_width = shaded[3]->x + shaded[3]->width - shaded[0]->x;
  EXPECT_NEAR(shaded_width / width, 4.0 / 40.0, 1e-9);
  EXPECT_NEAR(shaded[0]->x - rates[0]->points.front().x, width * 10.0 / 40.0, 1e-9);
  // The flagged bins' rate (20/s) is drawn lower (y down) than the others (800/s).
  EXPECT_GT(rates[0]->points[20].y, rates[0]->points[0].y);
  // Two columns: panel c is under panel a.
  const auto titles = figure.find<plot::Text>("panel-title");
  ASSERT_EQ(titles.size(), 3u);
  EXPECT_DOUBLE_EQ(titles[2]->at.x, titles[0]->at.x);
  EXPECT_GT(titles[2]->at.y, titles[0]->at.y);
  EXPECT_GT(titles[1]->at.x, titles[0]->at.x);
  // It renders.
  EXPECT_NE(plot::render_svg(figure).find("<svg"), std::string::npos);
}

TEST(AcquisitionFigure, BadInputIsAClearError) {
  plot::AcquisitionFigure spec;
  EXPECT_THROW(plot::acquisition_figure(spec), cytopipe::Error);  // no panels
  spec.panels = {panel("a.fcs", 5, 0, 0)};
  spec.panels[0].bins[2].rate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(plot::acquisition_figure(spec), cytopipe::Error);
  spec.panels = {panel("a.fcs", 5, 0, 0)};
  spec.panels[0].bins[1].end = spec.panels[0].bins[1].start;
  EXPECT_THROW(plot::acquisition_figure(spec), cytopipe::Error);
  // A panel without bins (a file QC could not check) is a title and note only.
  spec.panels = {plot::AcquisitionPanel{"x.fcs", "not checked: no Time channel", {}}};
  const auto figure = plot::acquisition_figure(spec);
  EXPECT_TRUE(figure.find<plot::Polyline>("rate").empty());
  EXPECT_EQ(figure.find<plot::Text>("panel-note").size(), 1u);
}
