#include "cytopipe/plot/dose_response.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/number_format.hpp"
#include "cytopipe/plot/xy.hpp"

namespace cytopipe::plot {

double logistic(const LogisticCurve& c, double dose) {
  if (dose <= 0) return c.hill > 0 ? c.bottom : c.hill < 0 ? c.top : (c.bottom + c.top) / 2;
  return c.bottom + (c.top - c.bottom) / (1 + std::pow(c.ec50 / dose, c.hill));
}

Figure dose_response_figure(const DoseResponseFigure& spec) {
  XyFigure xy;
  xy.title = spec.title;
  xy.x_title = spec.x_title;
  xy.y_title = spec.y_title;
  xy.width = spec.width;
  xy.height = spec.height;
  xy.font_size = spec.font_size;
  xy.log_x = true;
  xy.zero_break = true;
  const auto& palette = series_palette();
  bool any = false;
  std::size_t k = 0;
  std::vector<XySeries> curves;
  for (const auto& s : spec.series) {
    const Rgb colour = palette[k++ % palette.size()];
    XySeries points;
    points.name = s.name;
    points.colour = colour;
    points.line = false;
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (const Point& p : s.replicates) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      if (p.x < 0) throw Error("dose-response '" + spec.title + "': negative dose " + format_significant(p.x, 6));
      points.points.push_back(p);
      if (p.x > 0) lo = std::min(lo, p.x), hi = std::max(hi, p.x);
    }
    any |= !points.points.empty();
    const std::string who = s.name.empty() ? "" : s.name + ": ";
    if (s.fit && lo < hi) {
      // The curve over the tested positive doses, evenly spaced in log dose.
      XySeries curve;
      curve.colour = colour;
      curve.markers = false;
      const int n = std::max(spec.curve_points, 2);
      for (int i = 0; i < n; ++i) {
        const double dose = std::pow(10.0, std::log10(lo) + (std::log10(hi) - std::log10(lo)) * i / (n - 1));
        curve.points.push_back({dose, logistic(*s.fit, dose)});
      }
      curves.push_back(std::move(curve));
      const std::string ec50 = format_significant(s.fit->ec50, 3) + (spec.x_unit.empty() ? "" : " " + spec.x_unit);
      xy.reference_lines.push_back({s.fit->ec50, who + "EC50 " + ec50, colour});
      xy.markers.push_back({{s.fit->ec50, logistic(*s.fit, s.fit->ec50)}, "", colour});
    } else {
      xy.notes.push_back(who + "no 4PL curve: " + (s.no_fit.empty() ? "no fit" : s.no_fit));
    }
    xy.series.push_back(std::move(points));
  }
  if (!any) throw Error("dose-response '" + spec.title + "' has no replicate to draw");
  for (auto& c : curves) xy.series.push_back(std::move(c));
  return xy_figure(xy);
}

std::optional<LogisticCurve> fitted_curve(const std::vector<stats::ResultRow>& rows, const std::string& stratum,
                                          std::string& why) {
  LogisticCurve c;
  int found = 0;
  why.clear();
  bool fitted = false;
  for (const auto& r : rows) {
    if (r.test != "4PL fit" || r.stratum != stratum) continue;
    fitted = true;
    if (!r.message.empty() && why.empty()) why = r.message;
    const double v = r.estimate;
    if (!std::isfinite(v)) continue;
    if (r.comparison == "bottom") c.bottom = v, found |= 1;
    if (r.comparison == "top") c.top = v, found |= 2;
    if (r.comparison == "ec50") c.ec50 = v, found |= 4;
    if (r.comparison == "hill") c.hill = v, found |= 8;
  }
  if (found == 15 && c.ec50 > 0) {
    why.clear();
    return c;
  }
  if (!fitted) why = "no 4PL fit in the statistics";
  else if (why.empty()) why = "the fit has no EC50";
  return std::nullopt;
}

}  // namespace cytopipe::plot
