#pragma once
// Two-channel pseudocolour density plot with gate outlines and population labels.
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cytopipe/plot/figure.hpp"
#include "cytopipe/plot/scale.hpp"

namespace cytopipe::plot {

// Gate shapes in plotted (already transformed) units.
struct PolygonOutline {
  std::vector<Point> vertices;    // closed automatically
};
struct RectangleOutline {         // an unset bound extends to the plot edge
  std::optional<double> x_min, x_max, y_min, y_max;
};
struct ThresholdLines {           // quadrant / threshold gates: a vertical and/or horizontal line
  std::optional<double> x, y;
};
using GateOutline = std::variant<PolygonOutline, RectangleOutline, ThresholdLines>;

struct GateOverlay {
  GateOutline outline;
  std::string label;              // population name, e.g. "Lymphocytes"
  std::optional<double> percent;  // printed as "Lymphocytes 61.3 %" when set
  std::optional<Point> label_at;  // data units; default: near the outline's top left
};

struct DensityFigure {
  std::string title;
  std::string x_title, y_title;
  std::span<const double> x, y;   // event values, same length (non-finite pairs are skipped)
  std::optional<double> x_min, x_max, y_min, y_max;  // default: 0.5th-99.5th percentile + margin
  int bins = 128;                 // per axis
  // Gaussian smoothing of the 2-D histogram (OpenCV), sigma in bins; 0 = raw counts. Smoothing
  // turns a few thousand events into readable density contours instead of speckle.
  double smoothing = 0;
  std::vector<GateOverlay> gates;
  std::vector<Tick> x_ticks, y_ticks;  // custom ticks for transformed axes; empty = nice ticks
  double size = 220;              // square plot area, points
  double font_size = 9;
};

// Lays the plot out. Throws Error if x and y differ in length, no pair is finite, bins < 1 or
// a range is empty or non-finite.
Figure density_figure(const DensityFigure& spec);

// The [lo, hi] range density_figure plots on one axis (x_axis true: x): the fixed bounds where
// set, else the 0.5th-99.5th percentile of the finite pairs widened by 5 % on each side.
// Throws as density_figure does for unusable data.
std::pair<double, double> density_range(const DensityFigure& spec, bool x_axis);

// The pseudocolour map used for densities: t in [0, 1] from low (blue) to high (red).
Rgb density_colour(double t);

}  // namespace cytopipe::plot
