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
  // Labels of every k-th major x tick, the smallest k at which neighbours keep 3 points apart
  // (six-digit scatter values on a narrow gating panel); every tick is still drawn. Caller's
  // ticks (decades) are spaced by their maker, which gives 0 and the positive decades precedence.
  const std::vector<Tick> x_ticks = resolve_ticks(x);
  std::size_t every = 1;
  for (; x.ticks.empty(); ++every) {
    double last_end = -1e300;
    bool clear = true;
    std::size_t k = 0;
    for (const Tick& t : x_ticks) {
      if (t.minor || t.label.empty()) continue;
      if (k++ % every) continue;
      const double w = text_width(t.label, font);
      clear &= sx(t.position) - w / 2 >= last_end + 3;
      last_end = sx(t.position) + w / 2;
    }
    if (clear || every >= x_ticks.size()) break;
  }
  // Caller's ticks: a label is kept unless it would touch one kept before it, taken in order of
  // precedence: 0, then the positive decades from the highest (the low ones crowd together near
  // 0 on logicle and arcsinh scales), then the negative ones.
  std::vector<bool> dropped(x_ticks.size(), false);
  if (!x.ticks.empty()) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < x_ticks.size(); ++i)
      if (!x_ticks[i].minor && !x_ticks[i].label.empty()) order.push_back(i);
    auto rank = [&](std::size_t i) { return x_ticks[i].label == "0" ? 0 : x_ticks[i].label.starts_with("-") ? 2 : 1; };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (rank(a) != rank(b)) return rank(a) < rank(b);
      return rank(a) == 1 ? x_ticks[a].position > x_ticks[b].position : x_ticks[a].position < x_ticks[b].position;
    });
    std::vector<std::pair<double, double>> kept;
    for (std::size_t i : order) {
      const double w = text_width(x_ticks[i].label, font), c = sx(x_ticks[i].position);
      const bool clear = std::none_of(kept.begin(), kept.end(), [&](const auto& k) {
        return c - w / 2 < k.second + 3 && c + w / 2 > k.first - 3;
      });
      if (clear) kept.emplace_back(c - w / 2, c + w / 2);
      else dropped[i] = true;
    }
  }
  std::size_t major = 0;
  for (std::size_t i = 0; i < x_ticks.size(); ++i) {
    const Tick& t = x_ticks[i];
    if (dropped[i]) {
      frame.marks.push_back(Line{{sx(t.position), height}, {sx(t.position), height + tick}, axis, "x-tick"});
      continue;
    }
    if (t.minor) {
      frame.marks.push_back(Line{{sx(t.position), height}, {sx(t.position), height + minor_tick}, axis, "x-tick-minor"});
      continue;
    }
    frame.marks.push_back(Line{{sx(t.position), height}, {sx(t.position), height + tick}, axis, "x-tick"});
    if (t.label.empty() || major++ % every) continue;
    frame.marks.push_back(Text{{sx(t.position), height + tick + 2}, t.label, font, Anchor::Middle,
                               Baseline::Top, 0, false, {}, "x-tick-label"});
    frame.right = std::max(frame.right, sx(t.position) + text_width(t.label, font) / 2 - width);
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
    // Titles longer than their axis are drawn smaller or shortened, never past the figure.
    const FittedText title = fit_text(x.title, font, width);
    frame.marks.push_back(Text{{width / 2, height + frame.bottom + 3}, title.text, title.size, Anchor::Middle,
                               Baseline::Top, 0, false, {}, "x-title"});
    frame.bottom += 3 + lh;
  }
  frame.left = tick + 2 + widest;
  if (!y.title.empty()) {
    frame.left += 5 + lh;
    const FittedText title = fit_text(y.title, font, height);
    frame.marks.push_back(Text{{-frame.left, height / 2}, title.text, title.size, Anchor::Middle, Baseline::Top,
                               90, false, {}, "y-title"});
  }
  return frame;
}

}  // namespace cytopipe::plot::detail
