#include "cytopipe/plot/density.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "cytopipe/error.hpp"
#include "cytopipe/overloaded.hpp"
#include "plot/axes.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

// 0.5th and 99.5th percentiles of the finite values, widened by 5 % of their span on each side:
// a few far outliers must not squeeze the population into a corner.
std::pair<double, double> default_range(std::span<const double> values) {
  std::vector<double> finite;
  finite.reserve(values.size());
  for (double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  const auto at = [&](double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(finite.size() - 1));
    std::nth_element(finite.begin(), finite.begin() + static_cast<std::ptrdiff_t>(k), finite.end());
    return finite[k];
  };
  double lo = at(0.005), hi = at(0.995);
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = (hi - lo) * 0.05;
  return {lo - pad, hi + pad};
}

std::uint32_t to_argb(Rgb c) {
  auto byte = [](double v) { return static_cast<std::uint32_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
  return 0xff000000u | (byte(c.r) << 16) | (byte(c.g) << 8) | byte(c.b);
}

}  // namespace

Rgb density_colour(double t) {
  // Blue -> cyan -> green -> yellow -> red, the usual pseudocolour order of flow software.
  static constexpr std::array<std::uint32_t, 5> stops{0x2040c0, 0x10b0e0, 0x30b040, 0xf0d020, 0xd02020};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const double pos = t * (stops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(pos), stops.size() - 2);
  const double u = pos - static_cast<double>(i);
  const Rgb a = rgb(stops[i]), b = rgb(stops[i + 1]);
  return {a.r + (b.r - a.r) * u, a.g + (b.g - a.g) * u, a.b + (b.b - a.b) * u};
}

namespace {

struct FinitePairs {
  std::vector<double> x, y;
};

FinitePairs finite_pairs(const DensityFigure& spec) {
  if (spec.x.size() != spec.y.size())
    throw Error("density plot: x has " + std::to_string(spec.x.size()) + " values but y has " +
                std::to_string(spec.y.size()));
  // Only pairs finite in both channels are plotted; ranges come from those.
  FinitePairs pairs;
  pairs.x.reserve(spec.x.size());
  pairs.y.reserve(spec.y.size());
  for (std::size_t i = 0; i < spec.x.size(); ++i)
    if (std::isfinite(spec.x[i]) && std::isfinite(spec.y[i])) {
      pairs.x.push_back(spec.x[i]);
      pairs.y.push_back(spec.y[i]);
    }
  if (pairs.x.empty()) throw Error("density plot has no events with finite values in both channels");
  return pairs;
}

std::pair<double, double> axis_range(std::span<const double> values, std::optional<double> lo,
                                     std::optional<double> hi, const char* name) {
  std::pair<double, double> range{0, 1};
  if (!lo || !hi) range = default_range(values);
  if (lo) range.first = *lo;
  if (hi) range.second = *hi;
  if (!std::isfinite(range.first) || !std::isfinite(range.second) || !(range.first < range.second))
    throw Error(std::string("density plot: ") + name + " range is empty or not finite (" +
                std::to_string(range.first) + " to " + std::to_string(range.second) + ")");
  return range;
}

}  // namespace

std::pair<double, double> density_range(const DensityFigure& spec, bool x_axis) {
  const FinitePairs pairs = finite_pairs(spec);
  return x_axis ? axis_range(pairs.x, spec.x_min, spec.x_max, "x") : axis_range(pairs.y, spec.y_min, spec.y_max, "y");
}

Figure density_figure(const DensityFigure& spec) {
  if (spec.bins < 1) throw Error("density plot needs at least one bin (bins = " + std::to_string(spec.bins) + ")");
  const FinitePairs pairs = finite_pairs(spec);
  const std::vector<double>& xs = pairs.x;
  const std::vector<double>& ys = pairs.y;
  // Plain variables, not structured bindings: the gate outlines' lambdas capture them, which
  // clang 14 (the fuzz build's compiler) does not allow for bindings.
  const auto x_range = axis_range(xs, spec.x_min, spec.x_max, "x");
  const auto y_range = axis_range(ys, spec.y_min, spec.y_max, "y");
  const double x_lo = x_range.first, x_hi = x_range.second;
  const double y_lo = y_range.first, y_hi = y_range.second;

  // Counts on a bins x bins grid, row 0 at the top (highest y), as the raster is drawn.
  const auto n = static_cast<std::size_t>(spec.bins);
  std::vector<double> counts(n * n, 0);
  const double fx = spec.bins / (x_hi - x_lo), fy = spec.bins / (y_hi - y_lo);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double cx = (xs[i] - x_lo) * fx, cy = (ys[i] - y_lo) * fy;
    if (cx < 0 || cy < 0 || cx > spec.bins || cy > spec.bins) continue;
    const std::size_t col = std::min(static_cast<std::size_t>(cx), n - 1);
    const std::size_t row = n - 1 - std::min(static_cast<std::size_t>(cy), n - 1);
    counts[row * n + col] += 1;
  }
  if (spec.smoothing < 0 || !std::isfinite(spec.smoothing))
    throw Error("density plot: smoothing must be >= 0 (sigma in bins), not " + std::to_string(spec.smoothing));
  double floor = 0;  // smoothed density below this is left blank
  if (spec.smoothing > 0) {
    // Smoothed in place (the Mat wraps the vector). A lone event spreads to a peak of
    // 1 / (2 pi sigma^2); cells below a quarter of that are blank, so isolated events stay
    // visible as small spots and the background stays white.
    cv::Mat grid(spec.bins, spec.bins, CV_64F, counts.data());
    cv::GaussianBlur(grid, grid, cv::Size(0, 0), spec.smoothing, spec.smoothing, cv::BORDER_CONSTANT);
    floor = 0.25 / (2 * std::numbers::pi * spec.smoothing * spec.smoothing);
    for (double& c : counts)
      if (c < floor) c = 0;
  }
  const double peak = *std::max_element(counts.begin(), counts.end());
  Raster raster;
  raster.columns = raster.rows = spec.bins;
  raster.pixels.resize(n * n, 0);  // empty bins transparent
  // Log scale: single events stay visible next to a dense core.
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (counts[k] > 0)
      raster.pixels[k] = to_argb(density_colour(
          floor > 0 ? (peak > floor ? std::log(counts[k] / floor) / std::log(peak / floor) : 1)
                    : (peak > 1 ? std::log(counts[k]) / std::log(peak) : 1)));
  const double size = spec.size;
  raster.width = raster.height = size;
  raster.role = "density";

  std::vector<Mark> marks;
  marks.push_back(std::move(raster));
  const LinearScale sx(x_lo, x_hi, 0, size), sy(y_lo, y_hi, size, 0);
  const auto page = [&](Point p) {
    return Point{std::clamp(sx(p.x), 0.0, size), std::clamp(sy(p.y), 0.0, size)};
  };
  const Stroke gate_stroke{{}, 1.1};
  const double f = spec.font_size;
  std::vector<std::string> full_names;  // "shortened… = full name", under the axes
  for (const GateOverlay& gate : spec.gates) {
    double top = size, left = size, right = 0;  // page bounding box of the outline
    auto note = [&](Point p) {
      top = std::min(top, p.y);
      left = std::min(left, p.x);
      right = std::max(right, p.x);
    };
    std::visit(Overloaded{
      [&](const PolygonOutline& poly) {
        if (poly.vertices.size() < 3)
          throw Error("density plot: polygon gate '" + gate.label + "' has fewer than 3 vertices");
        Polyline outline{{}, true, gate_stroke, false, {}, 1, "gate"};
        for (const Point& v : poly.vertices) {
          outline.points.push_back(page(v));
          note(outline.points.back());
        }
        marks.push_back(std::move(outline));
      },
      [&](const RectangleOutline& rect) {
        const Point a = page({rect.x_min.value_or(x_lo), rect.y_max.value_or(y_hi)});
        const Point b = page({rect.x_max.value_or(x_hi), rect.y_min.value_or(y_lo)});
        marks.push_back(Rect{a.x, a.y, b.x - a.x, b.y - a.y, false, {}, 1, gate_stroke, "gate"});
        note(a);
        note(b);
      },
      [&](const ThresholdLines& lines) {
        if (lines.x) {
          const double x = page({*lines.x, y_lo}).x;
          marks.push_back(Line{{x, 0}, {x, size}, gate_stroke, "gate"});
          note({x, 0});
        }
        if (lines.y) {
          const double y = page({x_lo, *lines.y}).y;
          marks.push_back(Line{{0, y}, {size, y}, gate_stroke, "gate"});
          note({size, y});
        }
      },
    }, gate.outline);
    std::string label = gate.label;
    if (gate.percent) label += (label.empty() ? "" : " ") + detail::percent_text(*gate.percent);
    if (label.empty()) continue;
    // A name wider than the plot is drawn smaller or shortened; the label stays inside the plot.
    const detail::FittedText fitted = detail::fit_text(label, f, size - 2, true);
    if (fitted.text != label) full_names.push_back(fitted.text + " = " + label);
    label = fitted.text;
    const double label_size = fitted.size;
    Point at;
    Anchor anchor = Anchor::Start;
    Baseline baseline = Baseline::Bottom;
    if (gate.label_at) {
      at = page(*gate.label_at);
    } else {
      // Above the outline's top-left; inside the plot (below the top) if there is no room.
      at = {left, top - 2};
      if (at.y - detail::line_height(f) < 0) {
        at.y = top + 2;
        baseline = Baseline::Top;
      }
      if (at.x + detail::text_width(label, label_size, true) > size) {
        at.x = std::min(size, right);
        anchor = Anchor::End;
      }
    }
    const double tw = detail::text_width(label, label_size, true);
    if (anchor == Anchor::Start) at.x = std::clamp(at.x, 1.0, std::max(1.0, size - 1 - tw));
    if (anchor == Anchor::End) at.x = std::clamp(at.x, std::min(tw + 1, size - 1), size - 1);
    if (anchor == Anchor::Middle) at.x = std::clamp(at.x, std::min(tw / 2 + 1, size / 2), std::max(size - tw / 2 - 1, size / 2));
    const Text text{at, label, label_size, anchor, baseline, 0, true, {}, "gate-label"};
    detail::add_label_backdrop(marks, text);
    marks.push_back(text);
  }
  marks.push_back(Rect{0, 0, size, size, false, {}, 1, Stroke{{}, 0.8}, "frame"});

  detail::Frame frame = detail::axis_frame({x_lo, x_hi, spec.x_ticks, spec.x_title},
                                           {y_lo, y_hi, spec.y_ticks, spec.y_title}, size, size, f);
  const double margin = 8;
  double top = margin;
  Figure figure;
  if (!spec.title.empty()) {
    figure.marks.push_back(Text{{margin, top}, spec.title, f * 1.2, Anchor::Start, Baseline::Top, 0, true, {}, "title"});
    top += detail::line_height(f * 1.2) + 6;
  } else {
    top += 4;
  }
  const double left = margin + frame.left;
  for (auto& mark : marks) {
    detail::translate(mark, left, top);
    figure.marks.push_back(std::move(mark));
  }
  for (auto& mark : frame.marks) {
    detail::translate(mark, left, top);
    figure.marks.push_back(std::move(mark));
  }
  figure.width = std::ceil(left + size + std::max(margin + 8, frame.right + 1));  // last x tick label inside
  // A title longer than the plot widens the figure rather than being clipped.
  if (!spec.title.empty())
    figure.width = std::max(figure.width, std::ceil(2 * margin + detail::text_width(spec.title, f * 1.2, true)));
  // A gate name shortened on the plot is given in full under it; the figure widens to fit it.
  double note_y = top + size + frame.bottom + 2;
  for (const std::string& note : full_names) {
    figure.marks.push_back(Text{{margin, note_y}, note, f, Anchor::Start, Baseline::Top, 0, false, {}, "gate-name-note"});
    figure.width = std::max(figure.width, std::ceil(2 * margin + detail::text_width(note, f)));
    note_y += detail::line_height(f);
  }
  figure.height = std::ceil((full_names.empty() ? top + size + frame.bottom : note_y) + margin);
  return figure;
}

}  // namespace cytopipe::plot
