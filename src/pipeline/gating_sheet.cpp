#include "cytopipe/pipeline/gating_sheet.hpp"

#include <algorithm>
#include <bit>
#include <functional>
#include <span>
#include <tuple>
#include <iterator>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <numbers>
#include <optional>

#include "cytopipe/error.hpp"
#include "cytopipe/overloaded.hpp"
#include "cytopipe/plot/density.hpp"
#include "cytopipe/plot/grid.hpp"
#include "cytopipe/plot/histogram.hpp"
#include "cytopipe/plot/scale.hpp"

namespace cytopipe::pipeline {
namespace {

// One axis of a panel: the gate's dimension, and the display scale put on top of it when the
// gate has no scale of its own.
struct Axis {
  const gating::Dimension* dimension = nullptr;
  const transform::Transform* display = nullptr;
  double plot(double gate_value) const { return display ? display->apply(gate_value) : gate_value; }
};

std::string axis_title(const gating::Dimension& d, const fcs::Sample& sample) {
  if (d.ratio) return d.ratio->numerator + " / " + d.ratio->denominator;
  std::string title = d.channel;
  if (const auto i = sample.find_channel(d.channel)) {
    const fcs::Channel& c = sample.channels[*i];
    if (c.name != d.channel) title += " (" + c.name + ")";
    else if (!c.marker.empty() && c.marker != c.name) title += " (" + c.marker + ")";
  }
  if (!d.scale.is_identity()) title += ", " + d.scale.transform.name();
  return title;
}

// Decade ticks for a scaled axis (the gate's scale, else the display scale), none for linear.
std::vector<plot::Tick> ticks_for(const Axis& axis, double lo, double hi) {
  const gating::Dimension& d = *axis.dimension;
  if (!d.scale.is_identity() && d.scale.transform.name() != "linear")
    return plot::decade_ticks([&](double v) { return d.scale.transform.apply(v); }, lo, hi, 0.06, true);
  if (axis.display && axis.display->name() != "linear")
    return plot::decade_ticks([&](double v) { return axis.display->apply(v); }, lo, hi, 0.06, true);
  return {};
}

// The k-th smallest (0-based) and the m-th smallest finite values, k <= m: one pass keeping the
// k+1 smallest and the n-m largest in two heaps, the few values that displace one costing a
// heap step. The same values as nth_element on a copy, without the copy: for the tails a sheet
// asks for, almost every value is turned away by its comparison with the heaps' tops.
std::pair<double, double> tail_order_statistics(std::span<const double> values, std::size_t n, std::size_t k,
                                                std::size_t m) {
  std::vector<double> low, high;  // max-heap of the smallest, min-heap of the largest
  low.reserve(k + 1);
  high.reserve(n - m);
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (low.size() < k + 1) {
      low.push_back(v);
      std::push_heap(low.begin(), low.end());
    } else if (v < low.front()) {
      std::pop_heap(low.begin(), low.end());
      low.back() = v;
      std::push_heap(low.begin(), low.end());
    }
    if (high.size() < n - m) {
      high.push_back(v);
      std::push_heap(high.begin(), high.end(), std::greater<>());
    } else if (v > high.front()) {
      std::pop_heap(high.begin(), high.end(), std::greater<>());
      high.back() = v;
      std::push_heap(high.begin(), high.end(), std::greater<>());
    }
  }
  return {low.front(), high.front()};
}

// The plotted range: the 0.5th-99.5th percentile of the values, widened to take in every gate
// coordinate (a gate outside the data must still show), plus 5 % on each side.
std::pair<double, double> plot_range(std::span<const double> values, const std::vector<double>& gate_coordinates) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  const auto n = static_cast<std::size_t>(std::count_if(values.begin(), values.end(), [](double v) { return std::isfinite(v); }));
  if (n > 0) {
    const auto at = [&](double q) { return static_cast<std::size_t>(q * static_cast<double>(n - 1)); };
    std::tie(lo, hi) = tail_order_statistics(values, n, at(0.005), at(0.995));
  }
  for (double c : gate_coordinates)
    if (std::isfinite(c)) {
      lo = std::min(lo, c);
      hi = std::max(hi, c);
    }
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0, 1};
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = (hi - lo) * 0.05;
  return {lo - pad, hi + pad};
}

// The outline of a 2-D ellipsoid gate: mean + sqrt(d2) L u over the unit circle, L the Cholesky
// factor of the covariance.
std::vector<std::array<double, 2>> ellipse_points(const gating::EllipsoidGate& g) {
  const double a = g.covariance[0], b = g.covariance[1], c = g.covariance[3];
  const double l11 = std::sqrt(a), l21 = b / l11, l22 = std::sqrt(std::max(c - l21 * l21, 0.0));
  const double r = std::sqrt(g.distance_square);
  std::vector<std::array<double, 2>> out;
  for (int k = 0; k < 96; ++k) {
    const double t = 2 * std::numbers::pi * k / 96, u = std::cos(t), v = std::sin(t);
    out.push_back({g.mean[0] + r * l11 * u, g.mean[1] + r * (l21 * u + l22 * v)});
  }
  return out;
}

struct Level {
  std::string parent;
  std::vector<const gating::GateNode*> gates;
  std::vector<const gating::Dimension*> dimensions;
};

std::vector<const gating::Dimension*> drawn_dimensions(const gating::Gate& gate) {
  if (const auto* q = std::get_if<gating::QuadrantGate>(&gate)) {
    std::vector<const gating::Dimension*> out;
    for (const auto& d : q->dividers) out.push_back(&d.dimension);
    return out;
  }
  return gating::dimensions_of(gate);
}

}  // namespace

GatingSheetLayout gating_sheet_layout(const gating::GatingStrategy& strategy, const fcs::Sample& sample,
                                      const gating::GatingResults& results, const GatingSheetOptions& options) {
  GatingSheetLayout sheet;
  // Gate levels: gates sharing a parent and their dimensions share a panel (live | dead on
  // Viability), in the strategy's order.
  std::vector<Level> levels;
  for (const auto& node : strategy.gates()) {
    if (std::holds_alternative<gating::BooleanGate>(node.gate)) {
      sheet.skipped.push_back(node.id + ": a boolean gate (drawn through its operands)");
      continue;
    }
    auto dims = drawn_dimensions(node.gate);
    if (dims.empty() || dims.size() > 2) {
      sheet.skipped.push_back(node.id + ": " + std::to_string(dims.size()) + " dimensions");
      continue;
    }
    auto same = [&](const Level& l) {
      if (l.parent != node.parent || l.dimensions.size() != dims.size()) return false;
      for (std::size_t i = 0; i < dims.size(); ++i)
        if (!(*l.dimensions[i] == *dims[i])) return false;
      return true;
    };
    auto it = std::find_if(levels.begin(), levels.end(), same);
    if (it == levels.end()) levels.push_back({node.parent, {}, dims}), it = levels.end() - 1;
    it->gates.push_back(&node);
  }
  if (levels.empty()) throw Error("gating sheet: the strategy has no gate of one or two dimensions to draw");

  // Each level draws its parent's events evenly strided down to max_events. Only those events'
  // dimension values are computed (a sheet of a 1,000,000-event file needs a few percent of
  // them): on a sample holding just the events some level draws, every value is the same
  // per-event function of the event's channels as on the whole file.
  const gating::Membership all(results.events(), true);
  std::vector<std::vector<std::size_t>> picked_of(levels.size());
  std::vector<std::size_t> drawn;  // every level's picked events, ascending, each once
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const gating::Membership& members = levels[l].parent.empty() ? all : results.at(levels[l].parent).members;
    const std::size_t count = members.count();
    const std::size_t stride = std::max<std::size_t>(1, (count + options.max_events - 1) / std::max<std::size_t>(options.max_events, 1));
    auto& picked = picked_of[l];
    picked.resize(count / stride + 1);
    // Every stride-th member, in event order: the set bits word by word, a countdown for the stride.
    std::size_t taken = 0, skip = 0;
    const auto words = members.words();
    for (std::size_t w = 0; w < words.size(); ++w)
      for (std::uint64_t bits = words[w]; bits; bits &= bits - 1) {
        if (skip-- == 0) {
          picked[taken++] = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
          skip = stride - 1;
        }
      }
    picked.resize(taken);
    std::vector<std::size_t> merged;
    merged.reserve(drawn.size() + picked.size());
    std::set_union(drawn.begin(), drawn.end(), picked.begin(), picked.end(), std::back_inserter(merged));
    drawn = std::move(merged);
  }
  fcs::Sample drawn_sample;
  drawn_sample.source = sample.source;
  drawn_sample.version = sample.version;
  drawn_sample.datatype = sample.datatype;
  drawn_sample.keywords = sample.keywords;
  drawn_sample.channels = sample.channels;
  drawn_sample.spillover = sample.spillover;
  drawn_sample.spillover_error = sample.spillover_error;
  drawn_sample.event_total = sample.event_total;
  drawn_sample.events = fcs::EventMatrix(drawn.size(), sample.events.channels());
  for (std::size_t c = 0; c < sample.events.channels(); ++c) {
    const auto from = sample.events.column(c);
    double* to = drawn_sample.events.column(c).data();
    for (std::size_t k = 0; k < drawn.size(); ++k) to[k] = from[drawn[k]];
  }
  std::map<std::string, std::vector<double>> values_of;  // dimension label -> each drawn event's value
  auto values = [&](const gating::Dimension& d) -> const std::vector<double>& {
    auto [it, added] = values_of.try_emplace(d.label());
    if (added) it->second = gating::dimension_values(strategy, drawn_sample, d);
    return it->second;
  };
  auto axis_of = [&](const gating::Dimension* d) {
    Axis axis{d, nullptr};
    if (d->scale.is_identity() && !d->ratio && options.display_scale) axis.display = options.display_scale(d->channel);
    return axis;
  };
  // % of parent of a population of the strategy.
  auto percent = [&](const std::string& population) -> std::optional<double> {
    const auto* p = results.find(population);
    if (!p) return std::nullopt;
    const double parent = static_cast<double>(results.parent_count(population));
    return parent > 0 ? std::optional<double>(100.0 * static_cast<double>(p->count) / parent) : std::nullopt;
  };

  plot::GridFigure& grid = sheet.grid;
  grid.columns = options.columns;
  grid.title = options.title.empty() ? std::filesystem::path(sample.source).filename().string() : options.title;
  grid.notes = {std::to_string(results.events()) + " events; each panel: the parent population on the gate's dimensions, % of parent beside each gate"};
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const Level& level = levels[l];
    const gating::Membership& members = level.parent.empty() ? all : results.at(level.parent).members;
    const std::size_t count = members.count();
    const std::vector<std::size_t>& picked = picked_of[l];
    // The picked events' places in drawn_sample: both ascending, picked a subset of drawn, so
    // one walk along drawn (a binary search per event was most of a sheet's time).
    std::vector<std::size_t> positions;
    positions.reserve(picked.size());
    for (std::size_t i : picked) {
      std::size_t at = positions.empty() ? 0 : positions.back();
      while (drawn[at] < i) ++at;
      positions.push_back(at);
    }
    std::vector<Axis> axes;
    std::vector<std::vector<double>> plotted;
    for (const auto* d : level.dimensions) {
      axes.push_back(axis_of(d));
      const auto& drawn_values = values(*d);
      std::vector<double> v;
      v.reserve(picked.size());
      for (std::size_t k : positions) v.push_back(drawn_values[k]);
      if (axes.back().display) axes.back().display->apply(v, v);
      plotted.push_back(std::move(v));
    }
    const std::string parent_title = (level.parent.empty() ? std::string("All events") : level.parent) + " (" +
                                     std::to_string(count) + ")";
    GatingPanel panel{level.parent, {}, {}};
    for (const auto* d : level.dimensions) panel.dimensions.push_back(d->label());
    for (const auto* g : level.gates) panel.gates.push_back(g->id);
    if (picked.empty()) {
      sheet.skipped.push_back(parent_title + ": no events to draw");
      continue;
    }

    if (level.dimensions.size() == 1) {
      const Axis& axis = axes[0];
      plot::HistogramFigure spec;
      std::vector<double> coordinates;
      for (const auto* g : level.gates) {
        std::visit(Overloaded{
          [&](const gating::RectangleGate& r) {
            plot::HistogramGate hg;
            if (r.intervals[0].min) hg.min = axis.plot(*r.intervals[0].min), coordinates.push_back(*hg.min);
            if (r.intervals[0].max) hg.max = axis.plot(*r.intervals[0].max), coordinates.push_back(*hg.max);
            hg.label = g->id;
            hg.percent = percent(g->id);
            spec.gates.push_back(hg);
          },
          [&](const gating::QuadrantGate& q) {
            const auto& split = q.dividers[0].values;
            for (const auto& quadrant : q.quadrants) {
              if (quadrant.positions.empty()) continue;
              const double at = quadrant.positions[0].location;
              plot::HistogramGate hg;
              // The segment holding the quadrant's location: [v_i, v_i+1).
              for (double v : split) {
                if (v <= at) hg.min = axis.plot(v);
                else if (!hg.max) hg.max = axis.plot(v);
              }
              hg.label = quadrant.name;
              hg.percent = percent(quadrant.name);
              spec.gates.push_back(hg);
            }
            for (double v : split) coordinates.push_back(axis.plot(v));
          },
          [&](const auto&) {},
        }, g->gate);
      }
      const auto [lo, hi] = plot_range(plotted[0], coordinates);
      spec.x_min = lo;
      spec.x_max = hi;
      spec.x_title = axis_title(*axis.dimension, sample);
      spec.x_ticks = ticks_for(axis, lo, hi);
      spec.series.push_back({parent_title, std::move(plotted[0]), plot::rgb(0x777777), true, std::nullopt, std::nullopt});
      spec.normalise = false;
      spec.width = options.panel_size;
      spec.height = options.panel_size;
      grid.panels.push_back(plot::histogram_figure(spec));
    } else {
      plot::DensityFigure spec;
      std::vector<double> xs_gate, ys_gate;
      const Axis& ax = axes[0];
      const Axis& ay = axes[1];
      for (const auto* g : level.gates) {
        std::visit(Overloaded{
          [&](const gating::RectangleGate& r) {
            plot::RectangleOutline o;
            if (r.intervals[0].min) o.x_min = ax.plot(*r.intervals[0].min), xs_gate.push_back(*o.x_min);
            if (r.intervals[0].max) o.x_max = ax.plot(*r.intervals[0].max), xs_gate.push_back(*o.x_max);
            if (r.intervals[1].min) o.y_min = ay.plot(*r.intervals[1].min), ys_gate.push_back(*o.y_min);
            if (r.intervals[1].max) o.y_max = ay.plot(*r.intervals[1].max), ys_gate.push_back(*o.y_max);
            spec.gates.push_back({o, g->id, percent(g->id), std::nullopt});
          },
          [&](const gating::PolygonGate& p) {
            plot::PolygonOutline o;
            for (const auto& v : p.vertices) {
              o.vertices.push_back({ax.plot(v[0]), ay.plot(v[1])});
              xs_gate.push_back(o.vertices.back().x);
              ys_gate.push_back(o.vertices.back().y);
            }
            spec.gates.push_back({o, g->id, percent(g->id), std::nullopt});
          },
          [&](const gating::EllipsoidGate& e) {
            plot::PolygonOutline o;
            for (const auto& v : ellipse_points(e)) {
              o.vertices.push_back({ax.plot(v[0]), ay.plot(v[1])});
              xs_gate.push_back(o.vertices.back().x);
              ys_gate.push_back(o.vertices.back().y);
            }
            spec.gates.push_back({o, g->id, percent(g->id), std::nullopt});
          },
          [&](const gating::QuadrantGate& q) {
            for (double v : q.dividers[0].values) {
              spec.gates.push_back({plot::ThresholdLines{ax.plot(v), std::nullopt}, "", std::nullopt, std::nullopt});
              xs_gate.push_back(ax.plot(v));
            }
            for (double v : q.dividers[1].values) {
              spec.gates.push_back({plot::ThresholdLines{std::nullopt, ay.plot(v)}, "", std::nullopt, std::nullopt});
              ys_gate.push_back(ay.plot(v));
            }
            for (const auto& quadrant : q.quadrants) {
              plot::Point at{std::nan(""), std::nan("")};
              for (const auto& pos : quadrant.positions) {
                if (pos.divider == q.dividers[0].id) at.x = ax.plot(pos.location);
                if (pos.divider == q.dividers[1].id) at.y = ay.plot(pos.location);
              }
              if (std::isnan(at.x) || std::isnan(at.y)) continue;
              spec.gates.push_back({plot::ThresholdLines{}, quadrant.name, percent(quadrant.name), at});
            }
          },
          [&](const auto&) {},
        }, g->gate);
      }
      const auto [x_lo, x_hi] = plot_range(plotted[0], xs_gate);
      const auto [y_lo, y_hi] = plot_range(plotted[1], ys_gate);
      spec.title = parent_title;
      spec.x = plotted[0];
      spec.y = plotted[1];
      spec.x_min = x_lo;
      spec.x_max = x_hi;
      spec.y_min = y_lo;
      spec.y_max = y_hi;
      spec.x_title = axis_title(*ax.dimension, sample);
      spec.y_title = axis_title(*ay.dimension, sample);
      spec.x_ticks = ticks_for(ax, x_lo, x_hi);
      spec.y_ticks = ticks_for(ay, y_lo, y_hi);
      spec.bins = options.bins;
      spec.smoothing = options.smoothing;
      spec.size = options.panel_size;
      grid.panels.push_back(plot::density_figure(spec));
    }
    sheet.panels.push_back(std::move(panel));
  }
  // One note line per reason, naming its gates ("gate: reason" each made one line as wide as
  // several sheets once a strategy had a handful of boolean gates).
  std::vector<std::pair<std::string, std::string>> by_reason;  // reason, gates
  for (const std::string& skipped : sheet.skipped) {
    const std::size_t colon = skipped.find(": ");
    const std::string gate = skipped.substr(0, colon);
    const std::string reason = colon == std::string::npos ? "" : skipped.substr(colon + 2);
    auto it = std::find_if(by_reason.begin(), by_reason.end(), [&](const auto& r) { return r.first == reason; });
    if (it == by_reason.end()) by_reason.emplace_back(reason, gate);
    else it->second += ", " + gate;
  }
  for (const auto& [reason, gates] : by_reason)
    grid.notes.push_back("not drawn" + (reason.empty() ? "" : ", " + reason) + ": " + gates);
  return sheet;
}

plot::Figure gating_sheet_figure(GatingSheetLayout layout, const std::vector<std::string>& notes) {
  // The caller's notes follow the event count line.
  layout.grid.notes.insert(layout.grid.notes.begin() + 1, notes.begin(), notes.end());
  return plot::grid_figure(layout.grid);
}

GatingSheet gating_sheet(const gating::GatingStrategy& strategy, const fcs::Sample& sample,
                         const gating::GatingResults& results, const GatingSheetOptions& options) {
  GatingSheetLayout layout = gating_sheet_layout(strategy, sample, results, options);
  GatingSheet sheet;
  sheet.panels = std::move(layout.panels);
  sheet.skipped = layout.skipped;
  sheet.figure = gating_sheet_figure(std::move(layout), options.notes);
  return sheet;
}

}  // namespace cytopipe::pipeline
