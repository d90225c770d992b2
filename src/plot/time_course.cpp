#include "cytopipe/plot/time_course.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/number_format.hpp"
#include "cytopipe/plot/xy.hpp"

namespace cytopipe::plot {
namespace {

std::string with_unit(double v, const std::string& unit) {
  return format_significant(v, 3) + (unit.empty() ? "" : " " + unit);
}

}  // namespace

Point peak_of(std::vector<Point> points) {
  std::erase_if(points, [](Point p) { return !std::isfinite(p.x) || !std::isfinite(p.y); });
  if (points.empty()) throw Error("time course: no finite point to take a maximum of");
  std::stable_sort(points.begin(), points.end(), [](Point p, Point q) { return p.x < q.x; });
  return *std::max_element(points.begin(), points.end(), [](Point p, Point q) { return p.y < q.y; });
}

Figure time_course_figure(const TimeCourseFigure& spec) {
  XyFigure xy;
  xy.title = spec.title;
  xy.x_title = spec.x_title;
  xy.y_title = spec.y_title;
  xy.width = spec.width;
  xy.height = spec.height;
  xy.font_size = spec.font_size;
  const auto& palette = series_palette();
  std::vector<XySeries> elsewhere;
  std::map<double, std::vector<std::size_t>> tmax;  // Tmax -> lines peaking there
  std::vector<Rgb> colours;
  for (const auto& line : spec.lines) {
    XySeries s;
    for (Point p : line.points)
      if (std::isfinite(p.x) && std::isfinite(p.y)) s.points.push_back(p);
    if (s.points.empty()) continue;
    std::stable_sort(s.points.begin(), s.points.end(), [](Point p, Point q) { return p.x < q.x; });
    const Rgb colour = palette[xy.series.size() % palette.size()];
    const Point peak = peak_of(s.points);
    s.colour = colour;
    s.name = line.name + ": Cmax " + with_unit(peak.y, spec.y_unit) + " at Tmax " + with_unit(peak.x, spec.x_unit);
    xy.markers.push_back({peak, "", colour});
    tmax[peak.x].push_back(colours.size());
    colours.push_back(colour);
    const std::string who = line.name;
    xy.series.push_back(std::move(s));
    for (const auto& other : line.elsewhere) {
      XySeries o;
      o.name = who + ", " + other.name;
      o.colour = colour;
      o.line = false;
      o.hollow = true;
      o.points = other.points;
      elsewhere.push_back(std::move(o));
    }
  }
  if (xy.series.empty()) throw Error("time course '" + spec.title + "': no line has a finite point");
  // One dashed Tmax line per distinct Tmax, in the colour of its line when only one peaks there.
  for (const auto& [x, lines] : tmax) {
    XyReferenceLine r{x, "Tmax " + with_unit(x, spec.x_unit), std::nullopt};
    if (lines.size() == 1) r.colour = colours[lines.front()];
    xy.reference_lines.push_back(std::move(r));
  }
  for (auto& o : elsewhere) xy.series.push_back(std::move(o));
  return xy_figure(xy);
}

}  // namespace cytopipe::plot
