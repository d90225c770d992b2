#pragma once
// A plain x/y axis frame for continuous plots (histogram, density), private to the plot stage.
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"
#include "cytopipe/plot/scale.hpp"

namespace cytopipe::plot::detail {

struct AxisSpec {
  double lo = 0, hi = 1;         // domain
  std::vector<Tick> ticks;       // custom ticks; empty = nice ticks over [lo, hi]
  std::string title;
};

// Ticks to draw for an axis: the custom ones inside the domain, or nice ticks inside it.
std::vector<Tick> resolve_ticks(const AxisSpec& axis);

struct Frame {
  std::vector<Mark> marks;       // relative to the plot area's top-left
  double left = 0, bottom = 0;   // extents outside the plot area
  double right = 0;              // how far x tick labels reach past the plot area's right edge
};

// Axis lines along the left and bottom edges of a width x height plot area, with ticks, tick
// labels and titles.
Frame axis_frame(const AxisSpec& x, const AxisSpec& y, double width, double height, double font);

}  // namespace cytopipe::plot::detail
