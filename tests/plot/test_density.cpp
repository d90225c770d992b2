// Pseudocolour density: which cells light up, the colour scale, gate outlines and labels.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/density.hpp"

namespace cytopipe::plot {
namespace {

TEST(DensityColour, RunsFromBlueToRed) {
  const Rgb low = density_colour(0), high = density_colour(1);
  EXPECT_GT(low.b, low.r);
  EXPECT_GT(high.r, high.b);
  EXPECT_EQ(density_colour(-1), low);  // clamped
  EXPECT_EQ(density_colour(2), high);
}

TEST(DensityFigure, CountsLandInTheCellsTheirValuesSay) {
  // 4 x 4 cells over [0, 4) x [0, 4): the cell of (x, y) is column floor(x), row 3 - floor(y).
  const std::vector<double> x{0.5, 0.5, 0.5, 0.5, 3.5, 1.2, 9.0, std::nan("")};
  const std::vector<double> y{0.5, 0.5, 0.5, 0.5, 3.5, 2.7, 1.0, 1.0};
  DensityFigure spec;
  spec.x = x;
  spec.y = y;
  spec.x_min = spec.y_min = 0;
  spec.x_max = spec.y_max = 4;
  spec.bins = 4;
  const Figure figure = density_figure(spec);
  const auto rasters = figure.find<Raster>("density");
  ASSERT_EQ(rasters.size(), 1u);
  const Raster& r = *rasters[0];
  ASSERT_EQ(r.columns, 4);
  ASSERT_EQ(r.rows, 4);
  auto cell = [&](int col, int row) { return r.pixels[static_cast<std::size_t>(row) * 4 + col]; };
  // Occupied: (col 0, row 3) x4 = the peak, (3, 0) x1, (1, 1) x1. (9, 1) is out of range, NaN skipped.
  int occupied = 0;
  for (std::uint32_t p : r.pixels) occupied += (p >> 24) != 0;
  EXPECT_EQ(occupied, 3);
  auto colour = [](std::uint32_t p) { return rgb(p & 0xffffff); };
  auto close = [](Rgb a, Rgb b) {
    return std::abs(a.r - b.r) < 0.003 && std::abs(a.g - b.g) < 0.003 && std::abs(a.b - b.b) < 0.003;
  };
  EXPECT_TRUE(close(colour(cell(0, 3)), density_colour(1)));  // the densest cell: top of the scale
  EXPECT_TRUE(close(colour(cell(3, 0)), density_colour(0)));  // log(1) / log(4) = 0
  EXPECT_TRUE(close(colour(cell(1, 1)), density_colour(0)));
  EXPECT_EQ(r.width, spec.size);
  EXPECT_EQ(r.height, spec.size);
}

TEST(DensityFigure, GatesAreDrawnInDataCoordinatesWithLabels) {
  std::vector<double> x, y;
  for (int i = 0; i < 100; ++i) {
    x.push_back(i % 10);
    y.push_back(i / 10);
  }
  DensityFigure spec;
  spec.x = x;
  spec.y = y;
  spec.x_min = spec.y_min = 0;
  spec.x_max = spec.y_max = 10;
  spec.gates.push_back({PolygonOutline{{{0, 10}, {5, 10}, {5, 5}}}, "Cells", 61.26, std::nullopt});
  spec.gates.push_back({RectangleOutline{2.5, std::nullopt, std::nullopt, 5}, "Low", std::nullopt, std::nullopt});
  spec.gates.push_back({ThresholdLines{7.5, std::nullopt}, "", std::nullopt, std::nullopt});
  const Figure figure = density_figure(spec);
  const Raster& r = *figure.find<Raster>("density")[0];
  auto page = [&](double dx, double dy) { return Point{r.x + dx / 10 * r.width, r.y + r.height - dy / 10 * r.height}; };
  const auto polys = figure.find<Polyline>("gate");
  ASSERT_EQ(polys.size(), 1u);
  ASSERT_EQ(polys[0]->points.size(), 3u);
  EXPECT_TRUE(polys[0]->closed);
  for (int i = 0; i < 3; ++i) {
    const Point expected = std::vector<Point>{page(0, 10), page(5, 10), page(5, 5)}[i];
    EXPECT_NEAR(polys[0]->points[i].x, expected.x, 1e-9);
    EXPECT_NEAR(polys[0]->points[i].y, expected.y, 1e-9);
  }
  const auto rects = figure.find<Rect>("gate");
  ASSERT_EQ(rects.size(), 1u);  // x from 2.5 to the right edge, y from the bottom edge to 5
  EXPECT_NEAR(rects[0]->x, page(2.5, 0).x, 1e-9);
  EXPECT_NEAR(rects[0]->x + rects[0]->width, page(10, 0).x, 1e-9);
  EXPECT_NEAR(rects[0]->y, page(0, 5).y, 1e-9);
  EXPECT_NEAR(rects[0]->y + rects[0]->height, page(0, 0).y, 1e-9);
  const auto lines = figure.find<Line>("gate");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NEAR(lines[0]->from.x, page(7.5, 0).x, 1e-9);
  std::vector<std::string> labels;
  for (const Text* t : figure.find<Text>("gate-label")) labels.push_back(t->text);
  EXPECT_EQ(labels, (std::vector<std::string>{"Cells 61.3 %", "Low"}));  // unlabelled gate: no text
}

TEST(DensityFigure, BadInputGivesClearErrors) {
  const std::vector<double> three{1, 2, 3}, two{1, 2}, nans(3, std::nan(""));
  DensityFigure spec;
  spec.x = three;
  spec.y = two;
  try {
    density_figure(spec);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x has 3 values but y has 2"), std::string::npos) << e.what();
  }
  spec.y = nans;
  EXPECT_THROW(density_figure(spec), Error);
  spec.y = three;
  spec.x_min = 5;
  spec.x_max = 5;
  EXPECT_THROW(density_figure(spec), Error);
  DensityFigure tiny_polygon;
  tiny_polygon.x = three;
  tiny_polygon.y = three;
  tiny_polygon.gates.push_back({PolygonOutline{{{1, 1}, {2, 2}}}, "Bad", std::nullopt, std::nullopt});
  EXPECT_THROW(density_figure(tiny_polygon), Error);
}

TEST(DensityFigure, DefaultRangeIgnoresFarOutliers) {
  std::vector<double> x, y;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(i % 100);
    y.push_back(i % 100);
  }
  x[0] = 1e9;  // one saturated event
  DensityFigure spec;
  spec.x = x;
  spec.y = y;
  const Figure figure = density_figure(spec);
  for (const Text* t : figure.find<Text>("x-tick-label")) EXPECT_LT(t->text.size(), 4u) << t->text;
}

}  // namespace
}  // namespace cytopipe::plot
