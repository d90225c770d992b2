#include "plot/axes.hpp"

#include <algorithm>
#include <cmath>

#include "plot/layout_util.hpp"

namespace cytopipe::plot::detail {

std::vector<Tick> resolve_ticks(const AxisSpec& axis) {
  const double eps = (axis.hi - axis.lo) * 1e-9;
  std::vector<Tick> out;
  if (!axis.ticks.empty()) {
    for (const Tick& t : axis.ticks)
      if (t.position >= axis.lo - eps && t.position <= axis.hi + eps) out.push_back(t);
    return out;
  }
  const auto values = nice_ticks(axis.lo, axis.hi, 5);
  const double step = values.size() > 1 ? values[1] - values[0] : 1;
  for (double v : values)
    if (v >= axis.lo - eps && v <= axis.hi + eps) out.push_back({v, format_tick(v, step)});
  return out;
}

Frame axis_frame(const AxisSpec& x, const AxisSpec& y, double width, double height, double font) {
  Frame frame;
  const LinearScale sx(x.lo, x.hi, 0, width);
  const LinearScale sy(y.lo, y.hi, height, 0);
  const Stroke axis{{}, 0.8};
  const double tick = 4, minor_tick = 2;
  const double lh = line_height(font);
  frame.marks.push_back(Line{{0, height}, {width, height}, axis, "x-axis"});
  frame.marks.push_back(Line{{0, 0}, {0, height}, axis, "y-axis"});
  for (const Tick& t : resolve_ticks(x)) {
    if (t.minor) {
      frame.marks.push_back(Line{{sx(t.position), height}, {sx(t.position), height + minor_tick}, axis, "x-tick-minor"});
      continue;
    }
    frame.marks.push_back(Line{{sx(t.position), height}, {sx(t.position), height + tick}, axis, "x-tick"});
    frame.marks.push_back(Text{{sx(t.position), height + tick + 2}, t.label, font, Anchor::Middle,
                               Baseline::Top, 0, false, {}, "x-tick-label"});
  }
  double widest = 0;
  for (const Tick& t : resolve_ticks(y)) {
    if (t.minor) {
      frame.marks.push_back(Line{{-minor_tick, sy(t.position)}, {0, sy(t.position)}, axis, "y-tick-minor"});
      continue;
    }
    frame.marks.push_back(Line{{-tick, sy(t.position)}, {0, sy(t.position)}, axis, "y-tick"});
    frame.marks.push_back(Text{{-tick - 2, sy(t.position)}, t.label, font, Anchor::End,
                               Baseline::Middle, 0, false, {}, "y-tick-label"});
    widest = std::max(widest, text_width(t.label, font));
  }
  frame.bottom = tick + 2 + lh;
  if (!x.title.empty()) {
    frame.marks.push_back(Text{{width / 2, height + frame.bottom + 3}, x.title, font, Anchor::Middle,
                               Baseline::Top, 0, false, {}, "x-title"});
    frame.bottom += 3 + lh;
  }
  frame.left = tick + 2 + widest;
  if (!y.title.empty()) {
    frame.left += 5 + lh;
    frame.marks.push_back(Text{{-frame.left, height / 2}, y.title, font, Anchor::Middle, Baseline::Top,
                               90, false, {}, "y-title"});
  }
  return frame;
}

}  // namespace cytopipe::plot::detail
