#include "cytopipe/plot/grid.hpp"

#include <algorithm>
#include <cmath>

#include "cytopipe/error.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {

Figure grid_figure(const GridFigure& spec) {
  if (spec.panels.empty()) throw Error("grid figure has no panels");
  if (spec.columns < 1) throw Error("grid figure needs at least one column (columns = " + std::to_string(spec.columns) + ")");
  const double margin = 8, f = spec.font_size;
  Figure figure;
  double top = margin;
  double width = 0;
  if (!spec.title.empty()) {
    figure.marks.push_back(Text{{margin, top}, spec.title, f * 1.3, Anchor::Start, Baseline::Top, 0, true, {}, "title"});
    width = std::max(width, margin + detail::text_width(spec.title, f * 1.3, true));
    top += detail::line_height(f * 1.3) + 3;
  }
  for (const auto& note : spec.notes) {
    figure.marks.push_back(Text{{margin, top}, note, f, Anchor::Start, Baseline::Top, 0, false, rgb(0x444444), "note"});
    width = std::max(width, margin + detail::text_width(note, f));
    top += detail::line_height(f) + 2;
  }
  const auto columns = static_cast<std::size_t>(spec.columns);
  // Column widths from the widest panel in each column, so panels line up.
  std::vector<double> column_width(std::min(columns, spec.panels.size()), 0);
  for (std::size_t i = 0; i < spec.panels.size(); ++i)
    column_width[i % columns] = std::max(column_width[i % columns], spec.panels[i].width);
  for (std::size_t first = 0; first < spec.panels.size(); first += columns) {
    double x = 0, row_height = 0;
    for (std::size_t i = first; i < std::min(first + columns, spec.panels.size()); ++i) {
      for (Mark mark : spec.panels[i].marks) {
        detail::translate(mark, x, top);
        figure.marks.push_back(std::move(mark));
      }
      row_height = std::max(row_height, spec.panels[i].height);
      x += column_width[i % columns] + spec.gap;
    }
    width = std::max(width, x - spec.gap);
    top += row_height + spec.gap;
  }
  figure.width = std::ceil(width + margin);
  figure.height = std::ceil(top - spec.gap + margin);
  return figure;
}

}  // namespace cytopipe::plot
