#pragma once
// A numeric x/y figure: lines and points per series on a linear or log10 x axis, with vertical
// reference lines and labelled markers. Time courses (a line per patient over days, Tmax/Cmax
// marked) and dose-response curves (a fitted 4PL over log-spaced doses, EC50 marked) use it.
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

struct XySeries {
  std::string name;                 // legend entry; empty = not in the legend
  std::vector<Point> points;        // data units, drawn in this order
  bool line = true;                 // joined by a line
  bool markers = true;              // a dot at each point
  bool hollow = false;              // open markers (e.g. another tissue)
  std::optional<Rgb> colour;        // default: the palette in order of the series with a name
  std::vector<double> dash;         // line dash; empty = solid
};

struct XyMarker {                   // a highlighted point with a short label (Cmax, EC50)
  Point at;
  std::string label;
  std::optional<Rgb> colour;
};

struct XyReferenceLine {            // a vertical dashed line at x (Tmax, EC50)
  double x = 0;
  std::string label;                // at the top; labels that would overlap are stacked
  std::optional<Rgb> colour = std::nullopt;  // default grey
};

struct XyFigure {
  std::string title, x_title, y_title;
  std::vector<XySeries> series;
  std::vector<XyMarker> markers;
  std::vector<XyReferenceLine> reference_lines;
  bool log_x = false;               // log10 x axis labelled in decades (x <= 0 not drawn)
  // On a log x axis, x = 0 (the untreated control of a dose-response) drawn at a place of its
  // own left of the lowest decade, behind a break in the axis, labelled "0" (as GraphPad Prism
  // and drc draw it), instead of being left out.
  bool zero_break = false;
  std::vector<std::string> notes;   // lines under the title (e.g. why a fitted curve is missing)
  std::optional<double> x_min, x_max, y_min, y_max;   // default: the data (y from 0 when all >= 0)
  double width = 300, height = 180; // plot area, points
  double font_size = 9;
};

// Throws Error for no finite point, a non-positive x range on a log axis or an empty range.
Figure xy_figure(const XyFigure& spec);

}  // namespace cytopipe::plot
