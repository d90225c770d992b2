#include "cytopipe/plot/xy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/scale.hpp"
#include "plot/axes.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

// Decades of a log10 axis (positions in log10 units), labelled as plain numbers from 0.001 to
// 1000 and as 10^k beyond; minor ticks at 2..9 x 10^k.
std::vector<Tick> log_ticks(double lo, double hi) {
  std::vector<Tick> ticks;
  static const char* sup[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  for (int k = static_cast<int>(std::floor(lo)) - 1; k <= static_cast<int>(std::ceil(hi)); ++k) {
    const double v = std::pow(10.0, k);
    std::string label = std::abs(k) <= 3 ? format_tick(v, v) : (k < 0 ? "10⁻" : "10") + std::string(sup[std::abs(k) % 10]);
    if (k >= lo - 1e-9 && k <= hi + 1e-9) ticks.push_back({static_cast<double>(k), label});
    for (int m = 2; m <= 9; ++m) {
      const double at = k + std::log10(m);
      if (at >= lo && at <= hi) ticks.push_back({at, "", true});
    }
  }
  // Less than two decades labelled (doses 25-100): 2, 3 and 5 x 10^k labelled too, so the
  // reader has a scale.
  if (std::count_if(ticks.begin(), ticks.end(), [](const Tick& t) { return !t.minor; }) < 2)
    for (auto& t : ticks) {
      const double k = std::floor(t.position + 1e-9), m = std::pow(10.0, t.position - k);
      if (t.minor && (std::abs(m - 2) < 1e-6 || std::abs(m - 3) < 1e-6 || std::abs(m - 5) < 1e-6)) {
        const double v = std::pow(10.0, t.position);
        t = {t.position, format_tick(v, std::pow(10.0, k)), false};
      }
    }
  return ticks;
}

}  // namespace

Figure xy_figure(const XyFigure& spec) {
  const bool zero_break = spec.log_x && spec.zero_break;
  // x = 0 on a broken log axis: a place left of the lowest positive x (set once the range is known).
  double zero_at = std::nan("");
  const auto to_x = [&](double x) {
    if (!spec.log_x) return x;
    if (x == 0 && zero_break) return zero_at;
    return x > 0 ? std::log10(x) : std::nan("");
  };
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  auto take = [&](Point p) {
    const double x = to_x(p.x);
    if (!std::isfinite(x) || !std::isfinite(p.y)) return;
    x_lo = std::min(x_lo, x);
    x_hi = std::max(x_hi, x);
    y_lo = std::min(y_lo, p.y);
    y_hi = std::max(y_hi, p.y);
  };
  for (const auto& s : spec.series)
    for (const Point& p : s.points) take(p);
  for (const auto& m : spec.markers) take(m.at);
  if (!std::isfinite(x_lo)) throw Error("xy figure '" + spec.title + "' has no finite point to draw");
  for (const auto& r : spec.reference_lines)
    if (std::isfinite(to_x(r.x))) x_lo = std::min(x_lo, to_x(r.x)), x_hi = std::max(x_hi, to_x(r.x));
  if (y_lo >= 0) y_lo = 0;  // quantities that cannot go negative start at zero
  if (spec.x_min && !(zero_break && *spec.x_min <= 0)) x_lo = to_x(*spec.x_min);
  if (spec.x_max) x_hi = to_x(*spec.x_max);
  // Where x = 0 goes on a broken log axis: a sixth of the decades shown (at least half a decade)
  // left of the lowest positive x, the break halfway between.
  double break_at = std::nan("");
  bool has_zero = false;
  if (zero_break) {
    for (const auto& s : spec.series)
      for (const Point& p : s.points) has_zero |= p.x == 0 && std::isfinite(p.y);
    if (has_zero && std::isfinite(x_lo) && std::isfinite(x_hi)) {
      const double gap = std::max(0.5, (x_hi - x_lo) / 6);
      zero_at = x_lo - gap;
      break_at = x_lo - gap / 2;
      for (const auto& s : spec.series)
        for (const Point& p : s.points)
          if (p.x == 0 && std::isfinite(p.y)) y_lo = std::min(y_lo, p.y), y_hi = std::max(y_hi, p.y);
      x_lo = zero_at;
    }
  }
  if (spec.y_min) y_lo = *spec.y_min;
  if (spec.y_max) y_hi = *spec.y_max;
  if (!std::isfinite(x_lo) || !std::isfinite(x_hi))
    throw Error("xy figure '" + spec.title + "': the x range is not usable" + (spec.log_x ? " on a log axis (x must be > 0)" : ""));
  if (x_lo == x_hi) x_lo -= 0.5, x_hi += 0.5;
  if (y_lo == y_hi) y_lo -= 0.5, y_hi += 0.5;
  if (!(x_lo < x_hi) || !(y_lo < y_hi)) throw Error("xy figure '" + spec.title + "': empty axis range");
  // A little room so points on the edge are not cut in half.
  const double x_pad = (x_hi - x_lo) * 0.04;
  x_lo -= x_pad;
  x_hi += x_pad;
  if (!spec.y_min || !spec.y_max) {  // round the free ends out to ticks, with a little headroom
    const auto y_ticks = nice_ticks(y_lo, y_hi + (spec.y_max ? 0 : (y_hi - y_lo) * 0.04), 5);
    if (!spec.y_min) y_lo = std::min(y_lo, y_ticks.front());
    if (!spec.y_max) y_hi = std::max(y_hi, y_ticks.back());
  }

  const double w = spec.width, h = spec.height, f = spec.font_size;
  const LinearScale sx(x_lo, x_hi, 0, w), sy(y_lo, y_hi, h, 0);
  const auto page = [&](Point p) { return Point{sx(to_x(p.x)), sy(p.y)}; };
  const auto& palette = series_palette();
  std::vector<Mark> marks;

  // Reference lines; a label that would overlap one already placed goes a row lower.
  std::vector<std::pair<double, double>> label_rows;  // per row: the right end of the last label
  for (const auto& r : spec.reference_lines) {
    const double x = sx(to_x(r.x));
    if (!(x >= 0 && x <= w)) continue;
    const Rgb colour = r.colour.value_or(rgb(0x555555));
    marks.push_back(Line{{x, 0}, {x, h}, Stroke{colour, 0.9, {3, 2}}, "reference-line"});
    if (!r.label.empty()) {
      const double tw = detail::text_width(r.label, f);
      const bool right = x + 3 + tw <= w;
      const double from = right ? x + 3 : x - 3 - tw, to = from + tw;
      std::size_t row = 0;
      while (row < label_rows.size() && from < label_rows[row].second + 4 && to > label_rows[row].first - 4) ++row;
      if (row == label_rows.size()) label_rows.emplace_back(from, to);
      else label_rows[row] = {std::min(from, label_rows[row].first), std::max(to, label_rows[row].second)};
      const Text t{{right ? x + 3 : x - 3, 2 + static_cast<double>(row) * (detail::line_height(f) + 2)}, r.label, f,
                   right ? Anchor::Start : Anchor::End, Baseline::Top, 0, false,
                   r.colour ? detail::shade(colour, 0.25) : rgb(0x333333), "reference-label"};
      detail::add_label_backdrop(marks, t);
      marks.push_back(t);
    }
  }
  std::size_t named = 0;
  std::vector<std::pair<std::string, Rgb>> legend;
  std::vector<bool> legend_hollow;
  for (const auto& s : spec.series) {
    const Rgb colour = s.colour.value_or(palette[(s.name.empty() ? 0 : named) % palette.size()]);
    if (!s.name.empty()) {
      ++named;
      legend.emplace_back(s.name, colour);
      legend_hollow.push_back(s.hollow || !s.markers);
    }
    if (s.line) {
      Polyline line;
      for (const Point& p : s.points) {
        const Point q = page(p);
        if (std::isfinite(q.x) && std::isfinite(q.y)) line.points.push_back(q);
      }
      line.stroke = Stroke{colour, 1.3, s.dash};
      line.role = "series-line";
      if (line.points.size() >= 2) marks.push_back(std::move(line));
    }
    if (s.markers)
      for (const Point& p : s.points) {
        const Point q = page(p);
        if (!std::isfinite(q.x) || !std::isfinite(q.y)) continue;
        marks.push_back(Circle{q, 2.6, s.hollow ? rgb(0xffffff) : colour, Stroke{s.hollow ? colour : detail::shade(colour, 0.4), s.hollow ? 1.2 : 0.5},
                               s.hollow ? "point-hollow" : "point"});
      }
  }
  for (const auto& m : spec.markers) {
    const Point q = page(m.at);
    if (!std::isfinite(q.x) || !std::isfinite(q.y)) continue;
    const Rgb colour = m.colour.value_or(rgb(0x000000));
    marks.push_back(Circle{q, 4.2, rgb(0xffffff), Stroke{colour, 1.3}, "marker"});
    if (m.label.empty()) continue;
    const double tw = detail::text_width(m.label, f);
    const bool right = q.x + 6 + tw <= w;
    const bool above = q.y - 6 - detail::line_height(f) >= 0;
    const Text t{{right ? q.x + 6 : q.x - 6, above ? q.y - 5 : q.y + 5}, m.label, f, right ? Anchor::Start : Anchor::End,
                 above ? Baseline::Bottom : Baseline::Top, 0, false, colour, "marker-label"};
    detail::add_label_backdrop(marks, t);
    marks.push_back(t);
  }

  std::vector<Tick> x_ticks;
  if (spec.log_x) {
    x_ticks = log_ticks(std::isfinite(break_at) ? break_at : x_lo, x_hi);
    if (std::isfinite(zero_at)) x_ticks.insert(x_ticks.begin(), Tick{zero_at, "0"});
  } else {
    // Round ticks over the data, not over the padded range (which would double the step).
    const auto values = nice_ticks(x_lo + x_pad, x_hi - x_pad, 6);
    const double step = values.size() > 1 ? values[1] - values[0] : 1;
    for (double v : values)
      if (v >= x_lo && v <= x_hi) x_ticks.push_back({v, format_tick(v, step)});
  }
  detail::Frame frame = detail::axis_frame({x_lo, x_hi, x_ticks, spec.x_title}, {y_lo, y_hi, {}, spec.y_title}, w, h, f);
  for (auto& mark : frame.marks) marks.push_back(std::move(mark));
  if (std::isfinite(break_at)) {
    // The axis break: a gap in the x axis line between two short slashes.
    const double bx = sx(break_at);
    marks.push_back(Rect{bx - 2.5, h - 2, 5, 4, true, rgb(0xffffff), 1, Stroke{{}, 0}, "axis-break"});
    for (double dx : {-2.5, 2.5})
      marks.push_back(Line{{bx + dx - 1.5, h + 3}, {bx + dx + 1.5, h - 3}, Stroke{{}, 0.8}, "axis-break"});
  }

  const double margin = 8, lh = detail::line_height(f);
  double top = margin;
  Figure figure;
  double widest = 0;
  if (!spec.title.empty()) {
    figure.marks.push_back(Text{{margin, top}, spec.title, f * 1.2, Anchor::Start, Baseline::Top, 0, true, {}, "title"});
    widest = 2 * margin + detail::text_width(spec.title, f * 1.2, true);
    top += detail::line_height(f * 1.2) + 4;
  }
  for (const auto& note : spec.notes) {
    figure.marks.push_back(Text{{margin, top}, note, f, Anchor::Start, Baseline::Top, 0, false, rgb(0x444444), "note"});
    widest = std::max(widest, 2 * margin + detail::text_width(note, f));
    top += lh + 2;
  }
  if (!spec.notes.empty()) top += 2;
  const double left = margin + frame.left;
  // Legend above the plot, wrapping at the plot's right edge.
  double x = left;
  for (std::size_t i = 0; i < legend.size(); ++i) {
    const double entry = 12 + detail::text_width(legend[i].first, f) + 12;
    if (x > left && x + entry - 12 > left + std::max(w, 200.0)) {
      x = left;
      top += lh + 2;
    }
    figure.marks.push_back(Line{{x, top + lh / 2}, {x + 9, top + lh / 2}, Stroke{legend[i].second, 1.3}, "legend-line"});
    figure.marks.push_back(Circle{{x + 4.5, top + lh / 2}, 2.6, legend_hollow[i] ? rgb(0xffffff) : legend[i].second,
                                  Stroke{legend[i].second, 1}, "legend-point"});
    figure.marks.push_back(Text{{x + 12, top + lh / 2}, legend[i].first, f, Anchor::Start, Baseline::Middle, 0, false, {}, "legend-label"});
    x += entry;
    widest = std::max(widest, x - 12 + margin);
  }
  if (!legend.empty()) top += lh + 6;
  for (auto& mark : marks) {
    detail::translate(mark, left, top);
    figure.marks.push_back(std::move(mark));
  }
  figure.width = std::ceil(std::max(left + w + std::max(margin + 6, frame.right + 1), widest));  // last x tick label inside
  figure.height = std::ceil(top + h + frame.bottom + margin);
  return figure;
}

}  // namespace cytopipe::plot
