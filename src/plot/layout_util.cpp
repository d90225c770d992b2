#include "plot/layout_util.hpp"

#include <cairo.h>

#include <cstdio>
#include <memory>
#include <string>

namespace cytopipe::plot {

const std::vector<Rgb>& series_palette() {
  static const std::vector<Rgb> palette{rgb(0x0072B2), rgb(0xD55E00), rgb(0x009E73),
                                        rgb(0xCC79A7), rgb(0xE69F00), rgb(0x56B4E9),
                                        rgb(0xF0E442), rgb(0x000000)};
  return palette;
}

namespace detail {
namespace {

struct CairoDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};

// One measuring context per thread (Cairo contexts must not be shared between threads), all on
// one 1x1 surface that is never drawn on. One surface, not one per thread: Cairo numbers every
// surface a process creates and writes that number into each SVG it saves (<g id="surfaceN">),
// so a surface per thread made a plot's bytes depend on how many threads had laid out text
// before it (e.g. gating sheets laid out during the analysis).
cairo_t* measuring_context() {
  static const std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1), &cairo_surface_destroy);
  thread_local std::unique_ptr<cairo_t, CairoDeleter> context(cairo_create(surface.get()));
  return context.get();
}

void select_font(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

}  // namespace

double text_width(std::string_view text, double size, bool bold) {
  cairo_t* cr = measuring_context();
  select_font(cr, size, bold);
  cairo_text_extents_t extents;
  const std::string owned(text);
  cairo_text_extents(cr, owned.c_str(), &extents);
  return extents.x_advance;
}

double line_height(double size) {
  cairo_t* cr = measuring_context();
  select_font(cr, size, false);
  cairo_font_extents_t extents;
  cairo_font_extents(cr, &extents);
  return extents.ascent + extents.descent;
}

FontExtents font_extents(double size, bool bold) {
  cairo_t* cr = measuring_context();
  select_font(cr, size, bold);
  cairo_font_extents_t extents;
  cairo_font_extents(cr, &extents);
  return {extents.ascent, extents.descent};
}

FittedText fit_text(std::string_view text, double size, double width, bool bold, double min_scale) {
  const double natural = text_width(text, size, bold);
  if (natural <= width || natural <= 0) return {std::string(text), size};
  const double smallest = size * min_scale;
  if (natural * smallest / size <= width) return {std::string(text), size * width / natural};
  // Cut at UTF-8 character starts until the text and the ellipsis fit.
  std::string cut(text);
  while (!cut.empty()) {
    std::size_t end = cut.size() - 1;
    while (end > 0 && (static_cast<unsigned char>(cut[end]) & 0xC0) == 0x80) --end;
    cut.resize(end);
    while (!cut.empty() && cut.back() == ' ') cut.pop_back();
    if (text_width(cut + "…", smallest, bold) <= width) break;
  }
  return {cut + "…", smallest};
}

Rgb tint(Rgb c, double a) { return {c.r + (1 - c.r) * a, c.g + (1 - c.g) * a, c.b + (1 - c.b) * a}; }
Rgb shade(Rgb c, double a) { return {c.r * (1 - a), c.g * (1 - a), c.b * (1 - a)}; }

void translate(Mark& mark, double dx, double dy) {
  auto move = [&](Point& p) { p.x += dx; p.y += dy; };
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Line>) {
          move(m.from);
          move(m.to);
        } else if constexpr (std::is_same_v<T, Polyline>) {
          for (auto& p : m.points) move(p);
        } else if constexpr (std::is_same_v<T, Circle>) {
          move(m.centre);
        } else if constexpr (std::is_same_v<T, Text>) {
          move(m.at);
        } else {  // Rect, Raster
          m.x += dx;
          m.y += dy;
        }
      },
      mark);
}

void add_label_backdrop(std::vector<Mark>& marks, const Text& text) {
  const double w = text_width(text.text, text.size, text.bold) + 3;
  const double h = line_height(text.size) + 1;
  double x = text.at.x - 1.5;
  if (text.anchor == Anchor::Middle) x -= w / 2 - 1.5;
  if (text.anchor == Anchor::End) x -= w - 3;
  double y = text.at.y;
  switch (text.baseline) {
    case Baseline::Top: y -= 0.5; break;
    case Baseline::Middle: y -= h / 2; break;
    case Baseline::Alphabetic: y -= h * 0.8; break;
    case Baseline::Bottom: y -= h - 0.5; break;
  }
  marks.push_back(Rect{x, y, w, h, true, rgb(0xffffff), 0.8, Stroke{{}, 0}, "label-backdrop"});
}

std::string percent_text(double percent) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %%", percent);
  return buffer;
}

}  // namespace detail
}  // namespace cytopipe::plot
