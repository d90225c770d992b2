#pragma once
// Time course (Fig. 2 of the study): a read-out over days on a numeric axis, a line per subject
// (patient) with its maximum marked (Cmax circled at Tmax, a dashed Tmax line), and the same
// read-out in other tissues (pleural effusion) as open points in the subject's colour.
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

struct TimeCourseLine {
  std::string name;                  // the subject, e.g. "P1"
  std::vector<Point> points;         // (time, value); drawn in time order
  struct Elsewhere {
    std::string name;                // e.g. "pleural effusion"
    std::vector<Point> points;
  };
  std::vector<Elsewhere> elsewhere;  // other tissues, open points, no line
};

struct TimeCourseFigure {
  std::string title, x_title, y_title;
  std::string x_unit, y_unit;        // in the legend's "Cmax 51 % at Tmax 14 d"
  std::vector<TimeCourseLine> lines;
  double width = 300, height = 180;  // plot area, points
  double font_size = 9;
};

// The first maximum of the points in time order: (Tmax, Cmax). Error for no finite point.
Point peak_of(std::vector<Point> points);

// Lines without a finite point are left out; Error when none is left.
Figure time_course_figure(const TimeCourseFigure& spec);

}  // namespace cytopipe::plot
