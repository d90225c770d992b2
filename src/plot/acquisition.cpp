#include "cytopipe/plot/acquisition.hpp"

#include <algorithm>
#include <cmath>

#include "cytopipe/error.hpp"
#include "plot/axes.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

// One panel's marks, relative to its own top-left corner; returns its size.
Point panel_marks(const AcquisitionFigure& spec, const AcquisitionPanel& panel, std::vector<Mark>& out) {
  const double f = spec.font_size, w = spec.panel_width, h = spec.panel_height;
  const double lh = detail::line_height(f);
  double top = 0;
  out.push_back(Text{{0, top}, panel.title, f, Anchor::Start, Baseline::Top, 0, true, {}, "panel-title"});
  top += lh + 1;
  if (!panel.note.empty()) {
    out.push_back(Text{{0, top}, panel.note, f * 0.9, Anchor::Start, Baseline::Top, 0, false, rgb(0x555555), "panel-note"});
    top += detail::line_height(f * 0.9) + 1;
  }
  top += 4;
  if (panel.bins.empty()) return {w, top};

  double x_lo = panel.bins.front().start, x_hi = panel.bins.back().end, y_hi = 0;
  for (const auto& b : panel.bins) {
    if (!std::isfinite(b.start) || !std::isfinite(b.end) || !std::isfinite(b.rate) || !(b.end > b.start))
      throw Error("acquisition figure: panel '" + panel.title + "' has a bin without a finite time span or rate");
    x_lo = std::min(x_lo, b.start);
    x_hi = std::max(x_hi, b.end);
    y_hi = std::max(y_hi, b.rate);
  }
  if (y_hi <= 0) y_hi = 1;
  const auto y_ticks = nice_ticks(0, y_hi, 3);
  const LinearScale sx(x_lo, x_hi, 0, w), sy(0, y_ticks.back(), h, 0);
  std::vector<Mark> marks;
  // Flagged bins: shaded the full height, behind the rate.
  for (const auto& b : panel.bins)
    if (b.flagged)
      marks.push_back(Rect{sx(b.start), 0, sx(b.end) - sx(b.start), h, true, rgb(0xD55E00), 0.25, Stroke{{}, 0}, "flagged-bin"});
  Polyline rate;
  for (const auto& b : panel.bins) {
    rate.points.push_back({sx(b.start), sy(b.rate)});
    rate.points.push_back({sx(b.end), sy(b.rate)});
  }
  rate.stroke = Stroke{rgb(0x0072B2), 1};
  rate.role = "rate";
  marks.push_back(std::move(rate));
  detail::Frame frame = detail::axis_frame({x_lo, x_hi, {}, spec.x_title}, {0, y_ticks.back(), {}, spec.y_title}, w, h, f);
  for (auto& m : frame.marks) marks.push_back(std::move(m));
  for (auto& m : marks) {
    detail::translate(m, frame.left, top);
    out.push_back(std::move(m));
  }
  return {frame.left + w, top + h + frame.bottom};
}

}  // namespace

Figure acquisition_figure(const AcquisitionFigure& spec) {
  if (spec.panels.empty()) throw Error("acquisition figure has no panels");
  if (spec.columns < 1) throw Error("acquisition figure needs at least one column");
  const double margin = 8, gap = 14;
  Figure figure;
  double top = margin;
  if (!spec.title.empty()) {
    figure.marks.push_back(Text{{margin, top}, spec.title, spec.font_size * 1.3, Anchor::Start, Baseline::Top, 0, true, {}, "title"});
    top += detail::line_height(spec.font_size * 1.3) + 6;
  }
  // Lay every panel out first, then place them on a grid of the widest and tallest panel.
  std::vector<std::vector<Mark>> panels(spec.panels.size());
  double cell_w = 0, cell_h = 0;
  for (std::size_t i = 0; i < spec.panels.size(); ++i) {
    const Point size = panel_marks(spec, spec.panels[i], panels[i]);
    cell_w = std::max(cell_w, size.x);
    cell_h = std::max(cell_h, size.y);
  }
  const auto columns = static_cast<std::size_t>(spec.columns);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const double x = margin + static_cast<double>(i % columns) * (cell_w + gap);
    const double y = top + static_cast<double>(i / columns) * (cell_h + gap);
    for (auto& m : panels[i]) {
      detail::translate(m, x, y);
      figure.marks.push_back(std::move(m));
    }
  }
  const std::size_t rows = (panels.size() + columns - 1) / columns;
  const std::size_t used_columns = std::min(columns, panels.size());
  figure.width = std::ceil(2 * margin + static_cast<double>(used_columns) * cell_w + static_cast<double>(used_columns - 1) * gap);
  figure.height = std::ceil(top + static_cast<double>(rows) * cell_h + static_cast<double>(rows - 1) * gap + margin);
  return figure;
}

}  // namespace cytopipe::plot
