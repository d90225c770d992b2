// Layout of the dose-response figure. Each panel is built in its own coordinates (origin at the
// top-left of its plot area) and then moved into place, once the headroom its significance marks
// need is known.
#include "cytopipe/plot/dose.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/scale.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

using detail::line_height;
using detail::text_width;
using detail::fit_text;
using detail::FittedText;

std::string describe(const DosePanel& panel, std::size_t p) {
  return panel.title.empty() ? "panel " + std::to_string(p + 1) : "panel '" + panel.title + "'";
}

void validate(const DoseFigure& spec) {
  if (spec.panels.empty()) throw Error("dose figure has no panels");
  if (spec.y_min && spec.y_max && !(*spec.y_min < *spec.y_max))
    throw Error("dose figure: y range is empty (" + std::to_string(*spec.y_min) + " to " +
                std::to_string(*spec.y_max) + ")");
  for (std::size_t p = 0; p < spec.panels.size(); ++p) {
    const DosePanel& panel = spec.panels[p];
    const std::string where = describe(panel, p);
    if (panel.groups.empty()) throw Error(where + " has no dose groups");
    if (panel.series.empty()) throw Error(where + " has no data series");
    for (const DoseSeries& series : panel.series) {
      const std::string sname = series.name.empty() ? "" : ", series '" + series.name + "'";
      if (series.values.size() != panel.groups.size())
        throw Error(where + sname + ": " + std::to_string(series.values.size()) +
                    " value groups for " + std::to_string(panel.groups.size()) + " dose groups");
      if (!series.summaries.empty() && series.summaries.size() != panel.groups.size())
        throw Error(where + sname + ": " + std::to_string(series.summaries.size()) +
                    " group summaries for " + std::to_string(panel.groups.size()) + " dose groups");
      for (std::size_t g = 0; g < panel.groups.size(); ++g) {
        const auto& values = series.values[g];
        if (values.empty())
          throw Error(where + sname + ", group '" + panel.groups[g] + "': no values (empty group)");
        for (double v : values)
          if (!std::isfinite(v))
            throw Error(where + sname + ", group '" + panel.groups[g] + "': value is " +
                        (std::isnan(v) ? "NaN" : "infinite"));
      }
    }
    for (const SignificanceMark& mark : panel.marks) {
      if (mark.group >= panel.groups.size() || (mark.versus && *mark.versus >= panel.groups.size()))
        throw Error(where + ": significance mark '" + mark.label + "' names group " +
                    std::to_string(std::max(mark.group, mark.versus.value_or(0)) + 1) + " of " +
                    std::to_string(panel.groups.size()));
      if (mark.versus && *mark.versus == mark.group)
        throw Error(where + ": significance bracket '" + mark.label + "' joins a group to itself");
      if (mark.series >= panel.series.size())
        throw Error(where + ": significance mark '" + mark.label + "' names series " +
                    std::to_string(mark.series + 1) + " of " + std::to_string(panel.series.size()));
    }
  }
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

// The drawn summary of group g: the caller's when given, else from the values.
MeanSd summary_of(const DoseSeries& series, std::size_t g) {
  if (!series.summaries.empty()) return series.summaries[g];
  return mean_sd(series.values[g]);
}

// The whisker half-length: SD, or SEM = SD / sqrt(n) (kept in MeanSd::sd so that ranges and
// whiskers read one number).
MeanSd whisker_of(const DoseSeries& series, std::size_t g, bool sem) {
  MeanSd m = summary_of(series, g);
  if (sem && m.n > 0) m.sd /= std::sqrt(static_cast<double>(m.n));
  return m;
}

Range data_range(const DosePanel& panel, DoseSummary summary, bool sem) {
  Range range;
  if (summary == DoseSummary::MeanBar) range.add(0);  // bars stand on zero
  for (const auto& series : panel.series)
    for (std::size_t g = 0; g < series.values.size(); ++g) {
      for (double v : series.values[g]) range.add(v);
      const MeanSd m = whisker_of(series, g, sem);
      range.add(m.mean - m.sd);
      range.add(m.mean + m.sd);
    }
  return range;
}

struct YAxis {
  double lo, hi;                 // domain
  std::vector<double> ticks;
  double step;
};

YAxis y_axis_for(Range range, const DoseFigure& spec) {
  if (spec.y_min) range.lo = *spec.y_min;
  if (spec.y_max) range.hi = *spec.y_max;
  if (!(range.lo <= range.hi))
    throw Error("dose figure: y range is empty (" + std::to_string(range.lo) + " to " +
                std::to_string(range.hi) + "); the data lie outside the fixed y_min/y_max");
  YAxis axis;
  axis.ticks = nice_ticks(range.lo, range.hi, 5);
  axis.step = axis.ticks.size() > 1 ? axis.ticks[1] - axis.ticks[0] : 1;
  axis.lo = spec.y_min ? *spec.y_min : axis.ticks.front();
  axis.hi = spec.y_max ? *spec.y_max : axis.ticks.back();
  std::erase_if(axis.ticks, [&](double t) {
    const double eps = axis.step * 1e-9;
    return t < axis.lo - eps || t > axis.hi + eps;
  });
  return axis;
}

// Geometry shared by every panel.
struct Metrics {
  double font;
  double tick = 4;               // tick length
  double axis_gap = 4;           // y axis sits this far left of the first group slot
  double point_radius = 2.3;
};

struct PanelLayout {
  std::vector<Mark> marks;       // in panel coordinates
  double left = 0;               // extent left of the plot area (y labels and title)
  double width = 0;              // plot area width
  double top = 0;                // lowest y used above the plot area (<= 0)
  double bottom = 0;             // lowest y used below the plot area's top (> panel height)
};

// Top of the drawn data (page y, smaller = higher) for one group across all series.
struct GroupGeometry {
  std::vector<double> series_x;  // centre of each series' sub-slot
  double top_y = 0;
};

PanelLayout layout_panel(const DoseFigure& spec, const DosePanel& panel, const YAxis& axis,
                         const Metrics& m, bool draw_y_title, double label_width) {
  PanelLayout out;
  const double f = m.font;
  const std::size_t groups = panel.groups.size();
  const std::size_t nseries = panel.series.size();
  double widest_group_label = 0;
  for (const auto& g : panel.groups) widest_group_label = std::max(widest_group_label, text_width(g, f));
  const double slot = std::max({36.0, 12.0 + 22.0 * static_cast<double>(nseries), widest_group_label + 8});
  out.width = spec.panel_width > 0 ? spec.panel_width : slot * static_cast<double>(groups);
  const double slot_width = out.width / static_cast<double>(groups);
  const double sub_width = slot_width * 0.8 / static_cast<double>(nseries);
  const double bar_width = std::min(sub_width * 0.72, 28.0);
  const double h = spec.panel_height;
  const LinearScale y(axis.lo, axis.hi, h, 0);
  const double baseline = y(std::clamp(0.0, axis.lo, axis.hi));
  const auto& palette = series_palette();
  const Rgb axis_colour{};

  std::vector<GroupGeometry> geometry(groups);
  for (std::size_t g = 0; g < groups; ++g) {
    const double centre = slot_width * (static_cast<double>(g) + 0.5);
    geometry[g].top_y = h;
    for (std::size_t s = 0; s < nseries; ++s)
      geometry[g].series_x.push_back(centre + sub_width * (static_cast<double>(s) -
                                                           (static_cast<double>(nseries) - 1) / 2));
  }

  // Bars (under the points), whiskers, points.
  for (std::size_t s = 0; s < nseries; ++s) {
    const Rgb colour = palette[s % palette.size()];
    for (std::size_t g = 0; g < groups; ++g) {
      const auto& values = panel.series[s].values[g];
      const MeanSd stats = whisker_of(panel.series[s], g, spec.error_sem);
      const double x = geometry[g].series_x[s];
      const double mean_y = y(stats.mean);
      if (spec.summary == DoseSummary::MeanBar) {
        out.marks.push_back(Rect{x - bar_width / 2, std::min(mean_y, baseline), bar_width,
                                 std::abs(baseline - mean_y), true, detail::tint(colour, 0.7), 1,
                                 Stroke{colour, 0.8}, "bar"});
      } else {
        out.marks.push_back(Line{{x - bar_width * 0.45, mean_y}, {x + bar_width * 0.45, mean_y},
                                 Stroke{axis_colour, 1.2}, "mean-line"});
      }
      double top = std::min(mean_y, baseline);
      if (stats.n > 1 && stats.sd > 0) {
        const double hi = y(stats.mean + stats.sd), lo = y(stats.mean - stats.sd);
        const double cap = bar_width * 0.22;
        const Stroke whisker{axis_colour, 0.8};
        out.marks.push_back(Line{{x, lo}, {x, hi}, whisker, "error-bar"});
        out.marks.push_back(Line{{x - cap, hi}, {x + cap, hi}, whisker, "error-bar"});
        out.marks.push_back(Line{{x - cap, lo}, {x + cap, lo}, whisker, "error-bar"});
        top = std::min(top, hi);
      }
      const auto offsets = jitter_offsets(values.size(), bar_width * 0.3);
      for (std::size_t i = 0; i < values.size(); ++i) {
        const Point p{x + offsets[i], y(values[i])};
        out.marks.push_back(Circle{p, m.point_radius, colour, Stroke{detail::shade(colour, 0.45), 0.5}, "point"});
        top = std::min(top, p.y - m.point_radius);
      }
      geometry[g].top_y = std::min(geometry[g].top_y, top);
    }
  }

  // Axes.
  const double axis_x = -m.axis_gap;
  out.marks.push_back(Line{{axis_x, y(axis.lo)}, {axis_x, y(axis.hi)}, Stroke{axis_colour, 0.8}, "y-axis"});
  for (double t : axis.ticks) {
    out.marks.push_back(Line{{axis_x - m.tick, y(t)}, {axis_x, y(t)}, Stroke{axis_colour, 0.8}, "y-tick"});
    out.marks.push_back(Text{{axis_x - m.tick - 2, y(t)}, format_tick(t, axis.step), f, Anchor::End,
                             Baseline::Middle, 0, false, axis_colour, "y-tick-label"});
  }
  out.marks.push_back(Line{{0, h}, {out.width, h}, Stroke{axis_colour, 0.8}, "x-axis"});
  const double label_top = h + m.tick + 2;
  for (std::size_t g = 0; g < groups; ++g) {
    const double x = slot_width * (static_cast<double>(g) + 0.5);
    out.marks.push_back(Line{{x, h}, {x, h + m.tick}, Stroke{axis_colour, 0.8}, "x-tick"});
    out.marks.push_back(Text{{x, label_top}, panel.groups[g], f, Anchor::Middle, Baseline::Top, 0,
                             false, axis_colour, "x-tick-label"});
  }
  const double lh = line_height(f);
  out.bottom = label_top + lh;
  if (!spec.x_title.empty()) {
    const FittedText title = fit_text(spec.x_title, f, out.width);
    out.marks.push_back(Text{{out.width / 2, out.bottom + 3}, title.text, title.size, Anchor::Middle,
                             Baseline::Top, 0, false, axis_colour, "x-title"});
    out.bottom += 3 + lh;
  }
  out.left = m.axis_gap + m.tick + 2 + label_width;
  if (draw_y_title && !spec.y_title.empty()) {
    out.left += 5 + lh;
    const FittedText title = fit_text(spec.y_title, f, h);
    out.marks.push_back(Text{{-out.left, h / 2}, title.text, title.size, Anchor::Middle, Baseline::Top,
                             90, false, axis_colour, "y-title"});
  }
  out.top = std::min(0.0, y(axis.hi) - lh / 2);  // the top tick label

  // Significance: labels above single groups first, then brackets, narrowest first, each
  // lifted above whatever it spans (data, labels, earlier brackets).
  struct Occupied {
    double x0, x1, y;  // y = top of the thing
  };
  std::vector<Occupied> occupied;
  const double gap = 3;
  const double label_h = line_height(f);
  for (const SignificanceMark& mark : panel.marks) {
    if (mark.versus) continue;
    const double x = geometry[mark.group].series_x[mark.series];
    const double y_text = geometry[mark.group].top_y - gap;
    out.marks.push_back(Text{{x, y_text}, mark.label, f, Anchor::Middle, Baseline::Bottom, 0, false,
                             axis_colour, "star"});
    const double w = text_width(mark.label, f);
    occupied.push_back({x - w / 2, x + w / 2, y_text - label_h});
  }
  std::vector<const SignificanceMark*> brackets;
  for (const auto& mark : panel.marks)
    if (mark.versus) brackets.push_back(&mark);
  std::stable_sort(brackets.begin(), brackets.end(), [](const auto* a, const auto* b) {
    auto span = [](const SignificanceMark* k) {
      return k->group > *k->versus ? k->group - *k->versus : *k->versus - k->group;
    };
    return span(a) < span(b);
  });
  for (const SignificanceMark* mark : brackets) {
    const std::size_t g0 = std::min(mark->group, *mark->versus), g1 = std::max(mark->group, *mark->versus);
    const double x0 = geometry[g0].series_x[mark->series], x1 = geometry[g1].series_x[mark->series];
    double y_line = h;
    for (std::size_t g = g0; g <= g1; ++g) y_line = std::min(y_line, geometry[g].top_y);
    y_line -= gap + 3;
    for (const auto& o : occupied)
      if (o.x1 > x0 - 1 && o.x0 < x1 + 1) y_line = std::min(y_line, o.y - gap);
    out.marks.push_back(Polyline{{{x0, y_line + 3}, {x0, y_line}, {x1, y_line}, {x1, y_line + 3}},
                                 false, Stroke{axis_colour, 0.8}, false, {}, 1, "bracket"});
    out.marks.push_back(Text{{(x0 + x1) / 2, y_line - 1}, mark->label, f, Anchor::Middle,
                             Baseline::Bottom, 0, false, axis_colour, "bracket-label"});
    occupied.push_back({x0, x1, y_line - 1 - label_h});
  }
  for (const auto& o : occupied) out.top = std::min(out.top, o.y);
  return out;
}

}  // namespace

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd out;
  double sum = 0;
  for (double v : values)
    if (std::isfinite(v)) {
      sum += v;
      ++out.n;
    }
  if (out.n == 0) return {std::numeric_limits<double>::quiet_NaN(), 0, 0};
  out.mean = sum / static_cast<double>(out.n);
  if (out.n > 1) {
    double ss = 0;
    for (double v : values)
      if (std::isfinite(v)) ss += (v - out.mean) * (v - out.mean);
    out.sd = std::sqrt(ss / static_cast<double>(out.n - 1));
  }
  return out;
}

std::vector<double> jitter_offsets(std::size_t n, double half_width) {
  // Golden-ratio (low-discrepancy) sequence around 0.5: deterministic, well spread for any n,
  // and the first point sits at the centre.
  constexpr double golden = 0.6180339887498949;
  std::vector<double> offsets(n);
  if (n == 1) return offsets;
  for (std::size_t i = 0; i < n; ++i) {
    double u = 0.5 + static_cast<double>(i) * golden;
    u -= std::floor(u);
    offsets[i] = (2 * u - 1) * half_width;
  }
  return offsets;
}

Figure dose_figure(const DoseFigure& spec) {
  validate(spec);
  const Metrics m{spec.font_size};
  const double f = spec.font_size;
  const double lh = line_height(f);

  // Y axes: one shared range, or one per panel.
  std::vector<YAxis> axes;
  if (spec.shared_y) {
    Range all;
    for (const auto& panel : spec.panels) {
      const Range r = data_range(panel, spec.summary, spec.error_sem);
      all.add(r.lo);
      all.add(r.hi);
    }
    axes.assign(spec.panels.size(), y_axis_for(all, spec));
  } else {
    for (const auto& panel : spec.panels) axes.push_back(y_axis_for(data_range(panel, spec.summary, spec.error_sem), spec));
  }

  std::vector<PanelLayout> panels;
  for (std::size_t p = 0; p < spec.panels.size(); ++p) {
    double label_width = 0;
    for (double t : axes[p].ticks) label_width = std::max(label_width, text_width(format_tick(t, axes[p].step), f));
    panels.push_back(layout_panel(spec, spec.panels[p], axes[p], m, p == 0 || !spec.shared_y, label_width));
  }

  bool any_panel_title = false, legend = false;
  for (const auto& panel : spec.panels) {
    any_panel_title |= !panel.title.empty();
    legend |= panel.series.size() > 1 || (panel.series.size() == 1 && !panel.series[0].name.empty());
  }
  double headroom = 0;
  for (const auto& panel : panels) headroom = std::max(headroom, -panel.top);
  const double margin = 8;
  double top = margin;
  Figure figure;
  if (!spec.title.empty()) {
    figure.marks.push_back(Text{{margin, top}, spec.title, f * 1.2, Anchor::Start, Baseline::Top, 0, true, {}, "title"});
    top += line_height(f * 1.2) + 4;
  }
  const double panel_title_y = top;
  if (any_panel_title) top += lh + 4;
  const double plot_top = top + headroom;

  double x = margin;
  double bottom = 0;
  const double panel_gap = 14;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    PanelLayout& panel = panels[p];
    x += panel.left;
    for (auto& mark : panel.marks) {
      detail::translate(mark, x, plot_top);
      figure.marks.push_back(std::move(mark));
    }
    if (!spec.panels[p].title.empty())
      figure.marks.push_back(Text{{x + panel.width / 2, panel_title_y}, spec.panels[p].title, f, Anchor::Middle,
                                  Baseline::Top, 0, true, {}, "panel-title"});
    bottom = std::max(bottom, plot_top + panel.bottom);
    x += panel.width + panel_gap;
  }
  x -= panel_gap;

  if (legend) {
    // Right of the last panel, top-aligned with the plot areas: swatch as the bars are drawn.
    const auto& palette = series_palette();
    std::vector<std::string> names;
    for (const auto& panel : spec.panels)
      for (std::size_t s = 0; s < panel.series.size(); ++s) {
        const std::string name = panel.series[s].name.empty() ? "series " + std::to_string(s + 1) : panel.series[s].name;
        if (s >= names.size()) names.push_back(name);
      }
    double lx = x + 14, ly = plot_top;
    double widest = 0;
    for (std::size_t s = 0; s < names.size(); ++s) {
      const Rgb colour = palette[s % palette.size()];
      figure.marks.push_back(Rect{lx, ly, 10, 10, true, detail::tint(colour, 0.7), 1, Stroke{colour, 0.8}, "legend-swatch"});
      figure.marks.push_back(Circle{{lx + 5, ly + 5}, m.point_radius, colour, Stroke{detail::shade(colour, 0.45), 0.5}, "legend-point"});
      figure.marks.push_back(Text{{lx + 15, ly + 5}, names[s], f, Anchor::Start, Baseline::Middle, 0, false, {}, "legend-label"});
      widest = std::max(widest, text_width(names[s], f));
      ly += std::max(14.0, lh + 3);
    }
    x = lx + 15 + widest;
  }
  figure.width = std::ceil(x + margin);
  figure.height = std::ceil(bottom + margin);
  return figure;
}

void mark_groups(DosePanel& panel, const std::map<std::string, std::string>& marks, std::size_t series) {
  for (std::size_t g = 0; g < panel.groups.size(); ++g)
    if (const auto m = marks.find(panel.groups[g]); m != marks.end())
      panel.marks.push_back({g, std::nullopt, series, m->second});
}

}  // namespace cytopipe::plot
