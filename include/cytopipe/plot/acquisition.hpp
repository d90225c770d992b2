#pragma once
// Acquisition QC figure: the event rate over the acquisition time of each file as a step line,
// the time bins QC flagged shaded behind it; one small panel per file in a grid.
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

struct RateBin {
  double start = 0, end = 0;      // time (x units)
  double rate = 0;                // events per x unit
  bool flagged = false;
};

struct AcquisitionPanel {
  std::string title;              // e.g. the file name
  std::string note;               // e.g. the verdict, printed under the title
  std::vector<RateBin> bins;      // in time order; empty = a panel with the note only
};

struct AcquisitionFigure {
  std::string title;
  std::string x_title = "Time (s)";
  std::string y_title = "Events/s";
  std::vector<AcquisitionPanel> panels;
  int columns = 4;
  double panel_width = 170, panel_height = 80;  // plot area of each panel, points
  double font_size = 8;
};

// Lays the grid out. Throws Error for no panels, columns < 1, or a bin with a non-finite time or
// rate or end <= start.
Figure acquisition_figure(const AcquisitionFigure& spec);

}  // namespace cytopipe::plot
