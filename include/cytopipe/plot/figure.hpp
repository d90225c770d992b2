#pragma once
// A figure as a flat list of drawing marks in points (1/72 inch, y down), built by the layout
// functions (dose.hpp, histogram.hpp, density.hpp) and drawn by one Cairo backend (render.hpp).
// Keeping layout apart from drawing lets tests check positions and counts without parsing output.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace cytopipe::plot {

struct Rgb {
  double r = 0, g = 0, b = 0;  // 0..1
  friend bool operator==(const Rgb&, const Rgb&) = default;
};
// From 0xRRGGBB.
constexpr Rgb rgb(std::uint32_t hex) {
  return {((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0};
}

struct Point {
  double x = 0, y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

struct Stroke {
  Rgb colour{};
  double width = 1;             // points; 0 = no outline
  std::vector<double> dash{};   // on/off lengths; empty = solid
};

// Every mark carries a role ("point", "bar", "tick-label", "star", ...) so tests and the SVG
// backend can find marks of one kind; the renderer ignores it otherwise.
struct Line {
  Point from, to;
  Stroke stroke;
  std::string role;
};
struct Polyline {
  std::vector<Point> points;
  bool closed = false;
  Stroke stroke;
  bool filled = false;
  Rgb fill{};
  double fill_opacity = 1;
  std::string role;
};
struct Rect {
  double x = 0, y = 0, width = 0, height = 0;
  bool filled = true;
  Rgb fill{};
  double fill_opacity = 1;
  Stroke stroke{{}, 0};
  std::string role;
};
struct Circle {
  Point centre;
  double radius = 2;
  Rgb fill{};
  Stroke stroke{{}, 0};
  std::string role;
};
enum class Anchor { Start, Middle, End };        // horizontal: left / centre / right of `at`
enum class Baseline { Top, Middle, Alphabetic, Bottom };
struct Text {
  Point at;
  std::string text;                // UTF-8
  double size = 9;                 // points
  Anchor anchor = Anchor::Start;
  Baseline baseline = Baseline::Alphabetic;
  double rotation = 0;             // degrees, counter-clockwise (90 = reads bottom to top)
  bool bold = false;
  Rgb colour{};
  std::string role;
};
// A raster drawn into a rectangle with nearest-neighbour scaling (pseudocolour densities).
// Pixels are row-major from the top-left, 0xAARRGGBB, not premultiplied; alpha 0 = transparent.
struct Raster {
  double x = 0, y = 0, width = 0, height = 0;
  int columns = 0, rows = 0;
  std::vector<std::uint32_t> pixels;
  std::string role;
};

using Mark = std::variant<Line, Polyline, Rect, Circle, Text, Raster>;

struct Figure {
  double width = 0, height = 0;   // points
  Rgb background = rgb(0xffffff);
  std::vector<Mark> marks;        // drawn in order

  // Marks of one type and role, e.g. figure.find<Circle>("point").
  template <class T>
  std::vector<const T*> find(const std::string& role) const {
    std::vector<const T*> out;
    for (const auto& mark : marks)
      if (const auto* m = std::get_if<T>(&mark); m && m->role == role) out.push_back(m);
    return out;
  }
};

// Okabe-Ito colour-blind-safe palette, in the order series are coloured.
const std::vector<Rgb>& series_palette();

}  // namespace cytopipe::plot
