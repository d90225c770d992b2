#include "cytopipe/plot/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "plot/axes.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {

double percent_above(std::span<const double> values, double threshold) {
  std::size_t finite = 0, above = 0;
  for (double v : values)
    if (std::isfinite(v)) {
      ++finite;
      above += v > threshold;
    }
  return finite == 0 ? std::numeric_limits<double>::quiet_NaN()
                     : 100.0 * static_cast<double>(above) / static_cast<double>(finite);
}

int freedman_diaconis_bins(std::span<const double> values, double lo, double hi) {
  std::vector<double> inside;
  inside.reserve(values.size());
  for (double v : values)
    if (v >= lo && v <= hi) inside.push_back(v);
  if (inside.size() < 4 || !(lo < hi)) return 40;
  // Quartiles by R's type 7 (the positions need not be exact for a bin width): the k-th and
  // (k+1)-th smallest values. The upper quartile's selection leaves every smaller value before
  // it, so the lower one is selected among those alone.
  const auto at = [&](double q) { return q * static_cast<double>(inside.size() - 1); };
  const double h75 = at(0.75), h25 = at(0.25);
  const auto k75 = static_cast<std::size_t>(h75), k25 = static_cast<std::size_t>(h25);  // k25 < k75 (4+ values)
  const auto it = [&](std::size_t k) { return inside.begin() + static_cast<std::ptrdiff_t>(k); };
  std::nth_element(inside.begin(), it(k75), inside.end());
  const double a75 = inside[k75];
  const double b75 = k75 + 1 < inside.size() ? *std::min_element(it(k75 + 1), inside.end()) : a75;
  std::nth_element(inside.begin(), it(k25), it(k75));
  const double a25 = inside[k25];
  const double b25 = k25 + 1 < k75 ? *std::min_element(it(k25 + 1), it(k75)) : a75;
  const double iqr = (a75 + (h75 - static_cast<double>(k75)) * (b75 - a75)) - (a25 + (h25 - static_cast<double>(k25)) * (b25 - a25));
  if (!(iqr > 0)) return 64;
  const double width = 2 * iqr / std::cbrt(static_cast<double>(inside.size()));
  return static_cast<int>(std::clamp(std::ceil((hi - lo) / width), 40.0, 200.0));
}

std::vector<double> bin_counts(std::span<const double> values, double lo, double hi, int bins) {
  if (bins < 1) throw Error("histogram needs at least one bin");
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw Error("histogram range is empty or not finite (" + std::to_string(lo) + " to " +
                std::to_string(hi) + ")");
  std::vector<double> counts(static_cast<std::size_t>(bins), 0);
  const double per_unit = bins / (hi - lo);
  for (double v : values) {
    if (!(v >= lo && v <= hi)) continue;  // also drops NaN
    const auto bin = std::min(static_cast<std::size_t>((v - lo) * per_unit), counts.size() - 1);
    counts[bin] += 1;
  }
  return counts;
}

Figure histogram_figure(const HistogramFigure& spec) {
  if (spec.series.empty()) throw Error("histogram has no series");
  if (spec.bins < 0) throw Error("histogram needs a positive number of bins, or 0 for bins from the data (bins = " +
                                std::to_string(spec.bins) + ")");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& series : spec.series) {
    bool any = false;
    for (double v : series.values)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        any = true;
      }
    if (!any) throw Error("histogram series '" + series.name + "' has no finite values");
  }
  if (spec.x_min) lo = *spec.x_min;
  if (spec.x_max) hi = *spec.x_max;
  if (lo == hi && !spec.x_min && !spec.x_max) {  // every value equal: give the bar some room
    lo -= 0.5;
    hi += 0.5;
  }
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw Error("histogram x range is empty or not finite (" + std::to_string(lo) + " to " +
                std::to_string(hi) + ")");

  int bins = spec.bins;
  if (bins == 0) {
    std::vector<double> pooled;
    for (const auto& series : spec.series) pooled.insert(pooled.end(), series.values.begin(), series.values.end());
    bins = freedman_diaconis_bins(pooled, lo, hi);
  }
  std::vector<std::vector<double>> heights;
  double y_hi = 0;
  for (const auto& series : spec.series) {
    auto counts = bin_counts(series.values, lo, hi, bins);
    if (spec.normalise) {
      const double mode = *std::max_element(counts.begin(), counts.end());
      if (mode > 0)
        for (double& c : counts) c = 100 * c / mode;
    }
    y_hi = std::max(y_hi, *std::max_element(counts.begin(), counts.end()));
    heights.push_back(std::move(counts));
  }
  if (y_hi <= 0) y_hi = 1;  // nothing inside the range: an empty but valid frame
  const auto y_ticks = nice_ticks(0, y_hi, 5);
  const double f = spec.font_size;
  const double w = spec.width, h = spec.height;
  const detail::AxisSpec x_axis{lo, hi, spec.x_ticks, spec.x_title};
  const detail::AxisSpec y_axis{0, y_ticks.back(), {},
                                spec.y_title.empty() ? (spec.normalise ? "% of max" : "Count") : spec.y_title};
  const LinearScale sx(lo, hi, 0, w), sy(0, y_ticks.back(), h, 0);

  std::vector<Mark> marks;
  const auto& palette = series_palette();
  const double bin_w = (hi - lo) / bins;
  for (std::size_t s = 0; s < spec.series.size(); ++s) {
    const HistogramSeries& series = spec.series[s];
    const Rgb colour = series.colour.value_or(palette[s % palette.size()]);
    // A step outline: across each bin at its height, closed along the baseline.
    Polyline outline;
    outline.points.push_back({sx(lo), sy(0)});
    for (int b = 0; b < bins; ++b) {
      const double y = sy(heights[s][static_cast<std::size_t>(b)]);
      outline.points.push_back({sx(lo + b * bin_w), y});
      outline.points.push_back({sx(lo + (b + 1) * bin_w), y});
    }
    outline.points.push_back({sx(hi), sy(0)});
    outline.closed = series.filled;
    outline.filled = series.filled;
    outline.fill = colour;
    outline.fill_opacity = 0.35;
    outline.stroke = Stroke{colour, 1.1};
    outline.role = "histogram";
    marks.push_back(std::move(outline));
  }

  if (spec.threshold) {
    const double tx = sx(*spec.threshold);
    if (tx >= 0 && tx <= w)
      marks.push_back(Line{{tx, 0}, {tx, h}, Stroke{{}, 0.9, {3, 2}}, "threshold"});
    // % positive, one line per series, top right of the threshold (left of it if no room).
    const double lh = detail::line_height(f);
    double widest = 0;
    std::vector<std::string> lines;
    for (const auto& series : spec.series) {
      const double pct = percent_above(series.values, *spec.threshold);
      lines.push_back(series.name + spec.positive_label + " " + detail::percent_text(pct));
      widest = std::max(widest, detail::text_width(lines.back(), f));
    }
    const bool right = tx + 4 + widest <= w;
    for (std::size_t s = 0; s < lines.size(); ++s) {
      const Rgb colour = spec.series[s].colour.value_or(palette[s % palette.size()]);
      const Text label{{right ? std::max(tx, 0.0) + 4 : w - 2, 2 + static_cast<double>(s) * (lh + 1)},
                       lines[s], f, right ? Anchor::Start : Anchor::End, Baseline::Top, 0, false,
                       detail::shade(colour, 0.3), "percent-positive"};
      detail::add_label_backdrop(marks, label);
      marks.push_back(label);
    }
  }

  // 1-D gates: bound lines, the label centred over the kept span; labels that would touch the
  // previous one drop a line.
  {
    const double lh = detail::line_height(f);
    double row_end = -1e9;
    int row = 0;
    for (const HistogramGate& gate : spec.gates) {
      std::vector<double> lines;  // the gate's bound lines drawn, x in the plot
      for (const auto& bound : {gate.min, gate.max})
        if (bound) {
          const double x = sx(*bound);
          if (x >= 0 && x <= w) {
            marks.push_back(Line{{x, 0}, {x, h}, Stroke{{}, 1.1}, "gate"});
            lines.push_back(x);
          }
        }
      const std::string full = gate.label + (gate.percent ? (gate.label.empty() ? "" : " ") + detail::percent_text(*gate.percent) : "");
      if (full.empty()) continue;
      detail::FittedText fitted = detail::fit_text(full, f, w - 2, true);
      std::string label = fitted.text;
      const double a = std::clamp(sx(gate.min.value_or(lo)), 0.0, w), b = std::clamp(sx(gate.max.value_or(hi)), 0.0, w);
      double tw = detail::text_width(label, fitted.size, true);
      double cx = std::clamp((a + b) / 2, tw / 2 + 1, w - tw / 2 - 1);
      // A label pushed onto one of its own lines (a narrow span near an edge) would hide the cut
      // behind its backdrop: it moves beside the line, into the widest stretch the lines leave.
      constexpr double gap = 3;
      auto on_a_line = [&] {
        return std::any_of(lines.begin(), lines.end(), [&](double x) { return std::abs(x - cx) < tw / 2 + gap; });
      };
      if (on_a_line()) {
        std::sort(lines.begin(), lines.end());
        std::vector<double> edges{0};
        edges.insert(edges.end(), lines.begin(), lines.end());
        edges.push_back(w);
        std::size_t widest = 0;
        for (std::size_t i = 1; i + 1 < edges.size(); ++i)
          if (edges[i + 1] - edges[i] > edges[widest + 1] - edges[widest]) widest = i;
        const double left = edges[widest], right = edges[widest + 1];
        const bool line_left = widest > 0, line_right = widest + 2 < edges.size();
        const double room = right - left - (line_left ? gap + 1 : 1) - (line_right ? gap + 1 : 1);
        fitted = detail::fit_text(full, f, std::max(room, 1.0), true);
        label = fitted.text;
        tw = detail::text_width(label, fitted.size, true);
        if (line_left && line_right) cx = (left + right) / 2;
        else if (line_left) cx = left + gap + 1 + tw / 2;
        else cx = right - gap - 1 - tw / 2;
      }
      row = cx - tw / 2 < row_end + 4 ? row + 1 : 0;
      const Text text{{cx, 2 + row * (lh + 1)}, label, fitted.size, Anchor::Middle, Baseline::Top, 0, true, {}, "gate-label"};
      detail::add_label_backdrop(marks, text);
      marks.push_back(text);
      row_end = cx + tw / 2;
    }
  }

  detail::Frame frame = detail::axis_frame(x_axis, y_axis, w, h, f);
  for (auto& mark : frame.marks) marks.push_back(std::move(mark));

  // Series thresholds: a dashed line each, in the series' colour.
  for (std::size_t s = 0; s < spec.series.size(); ++s) {
    if (!spec.series[s].threshold) continue;
    const double tx = sx(*spec.series[s].threshold);
    const Rgb colour = spec.series[s].colour.value_or(palette[s % palette.size()]);
    if (tx >= 0 && tx <= w) marks.push_back(Line{{tx, 0}, {tx, h}, Stroke{colour, 1.1, {4, 2}}, "threshold"});
  }

  // Legend: a swatch and name per series (with its % positive when it has a threshold), above
  // the plot, wrapping onto further rows rather than running past the figure.
  const double margin = 8;
  double top = margin;
  Figure figure;
  if (!spec.title.empty()) {
    figure.marks.push_back(Text{{margin, top}, spec.title, f * 1.2, Anchor::Start, Baseline::Top, 0, true, {}, "title"});
    top += detail::line_height(f * 1.2) + 4;
  }
  const double lh = detail::line_height(f);
  const double left = margin + frame.left;
  const double legend_right = std::max(left + w, margin + 200);
  double legend_x = left, widest_row = left;
  for (std::size_t s = 0; s < spec.series.size(); ++s) {
    const HistogramSeries& series = spec.series[s];
    const Rgb colour = series.colour.value_or(palette[s % palette.size()]);
    std::string name = series.name.empty() ? "series " + std::to_string(s + 1) : series.name;
    if (series.threshold) {
      const double pct = series.percent_positive.value_or(percent_above(series.values, *series.threshold));
      name += ": " + spec.positive_label + " " + detail::percent_text(pct);
    }
    const double entry = 11 + detail::text_width(name, f) + 12;
    if (legend_x > left && legend_x + entry - 12 > legend_right) {  // wrap
      legend_x = left;
      top += lh + 2;
    }
    figure.marks.push_back(Rect{legend_x, top + lh / 2 - 4, 8, 8, true, colour, 0.35, Stroke{colour, 1}, "legend-swatch"});
    figure.marks.push_back(Text{{legend_x + 11, top + lh / 2}, name, f, Anchor::Start, Baseline::Middle, 0, false, {}, "legend-label"});
    legend_x += entry;
    widest_row = std::max(widest_row, legend_x - 12);
  }
  top += lh + 6;
  for (auto& mark : marks) {
    detail::translate(mark, left, top);
    figure.marks.push_back(std::move(mark));
  }
  // The last x tick label is centred on the axis end: widen the canvas when it reaches past the
  // margin (a narrow panel), so it is never clipped.
  figure.width = std::ceil(std::max({left + w, left + w + frame.right - margin + 1, widest_row}) + margin);
  // A title longer than the plot widens the figure rather than being clipped.
  if (!spec.title.empty())
    figure.width = std::max(figure.width, std::ceil(2 * margin + detail::text_width(spec.title, f * 1.2, true)));
  figure.height = std::ceil(top + h + frame.bottom + margin);
  return figure;
}

}  // namespace cytopipe::plot
