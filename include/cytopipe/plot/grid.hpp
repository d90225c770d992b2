#pragma once
// Several figures as panels of one figure (a gating sheet: one panel per gate level), laid out
// row by row, each row as tall as its tallest panel.
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

struct GridFigure {
  std::string title;                // bold, above the panels (may be empty)
  std::vector<std::string> notes;   // lines under the title, e.g. the file and its event count
  std::vector<Figure> panels;       // left to right, top to bottom
  int columns = 3;
  double gap = 6;                   // points between panels
  double font_size = 9;
};

// Throws Error for no panels or columns < 1.
Figure grid_figure(const GridFigure& spec);

}  // namespace cytopipe::plot
