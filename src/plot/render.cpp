// The one Cairo backend: every output format draws the same marks the same way.
#include "cytopipe/plot/render.hpp"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <numbers>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/error.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

void check(cairo_status_t status, const char* what) {
  if (status != CAIRO_STATUS_SUCCESS)
    throw Error(std::string("drawing failed (") + what + "): " + cairo_status_to_string(status));
}

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<std::vector<std::byte>*>(closure);
  const auto* begin = reinterpret_cast<const std::byte*>(data);
  out->insert(out->end(), begin, begin + length);
  return CAIRO_STATUS_SUCCESS;
}

void set_colour(cairo_t* cr, Rgb c, double alpha = 1) { cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha); }

void apply_stroke(cairo_t* cr, const Stroke& s) {
  set_colour(cr, s.colour);
  cairo_set_line_width(cr, s.width);
  cairo_set_dash(cr, s.dash.empty() ? nullptr : s.dash.data(), static_cast<int>(s.dash.size()), 0);
  cairo_stroke(cr);
}

void draw(cairo_t* cr, const Line& m) {
  if (m.stroke.width <= 0) return;
  cairo_new_path(cr);
  cairo_move_to(cr, m.from.x, m.from.y);
  cairo_line_to(cr, m.to.x, m.to.y);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  apply_stroke(cr, m.stroke);
}

void draw(cairo_t* cr, const Polyline& m) {
  if (m.points.empty()) return;
  cairo_new_path(cr);
  cairo_move_to(cr, m.points.front().x, m.points.front().y);
  for (std::size_t i = 1; i < m.points.size(); ++i) cairo_line_to(cr, m.points[i].x, m.points[i].y);
  if (m.closed) cairo_close_path(cr);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  if (m.filled) {
    set_colour(cr, m.fill, m.fill_opacity);
    cairo_fill_preserve(cr);
  }
  if (m.stroke.width > 0)
    apply_stroke(cr, m.stroke);
  else
    cairo_new_path(cr);
}

void draw(cairo_t* cr, const Rect& m) {
  cairo_new_path(cr);
  cairo_rectangle(cr, m.x, m.y, m.width, m.height);
  if (m.filled) {
    set_colour(cr, m.fill, m.fill_opacity);
    cairo_fill_preserve(cr);
  }
  if (m.stroke.width > 0)
    apply_stroke(cr, m.stroke);
  else
    cairo_new_path(cr);
}

void draw(cairo_t* cr, const Circle& m) {
  cairo_new_path(cr);
  cairo_arc(cr, m.centre.x, m.centre.y, m.radius, 0, 2 * std::numbers::pi);
  set_colour(cr, m.fill);
  cairo_fill_preserve(cr);
  if (m.stroke.width > 0)
    apply_stroke(cr, m.stroke);
  else
    cairo_new_path(cr);
}

void draw(cairo_t* cr, const Text& m) {
  if (m.text.empty()) return;
  cairo_save(cr);
  cairo_select_font_face(cr, detail::kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         m.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, m.size);
  cairo_text_extents_t text;
  cairo_text_extents(cr, m.text.c_str(), &text);
  cairo_font_extents_t font;
  cairo_font_extents(cr, &font);
  double dx = 0;
  if (m.anchor == Anchor::Middle) dx = -text.x_advance / 2;
  if (m.anchor == Anchor::End) dx = -text.x_advance;
  // Font (not ink) extents, so labels of one row share a baseline whatever their letters.
  double dy = 0;
  switch (m.baseline) {
    case Baseline::Top: dy = font.ascent; break;
    case Baseline::Middle: dy = (font.ascent - font.descent) / 2; break;
    case Baseline::Alphabetic: dy = 0; break;
    case Baseline::Bottom: dy = -font.descent; break;
  }
  cairo_translate(cr, m.at.x, m.at.y);
  cairo_rotate(cr, -m.rotation * std::numbers::pi / 180);
  cairo_move_to(cr, dx, dy);
  set_colour(cr, m.colour);
  cairo_show_text(cr, m.text.c_str());
  cairo_new_path(cr);
  cairo_restore(cr);
}

void draw(cairo_t* cr, const Raster& m) {
  if (m.columns <= 0 || m.rows <= 0) return;
  if (m.pixels.size() != static_cast<std::size_t>(m.columns) * static_cast<std::size_t>(m.rows))
    throw Error("raster '" + m.role + "' has " + std::to_string(m.pixels.size()) +
                " pixels for " + std::to_string(m.columns) + " x " + std::to_string(m.rows));
  SurfacePtr image(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, m.columns, m.rows));
  check(cairo_surface_status(image.get()), "raster");
  cairo_surface_flush(image.get());
  unsigned char* data = cairo_image_surface_get_data(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  for (int row = 0; row < m.rows; ++row) {
    auto* out = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(row) * stride);
    for (int col = 0; col < m.columns; ++col) {
      // Cairo wants premultiplied alpha.
      const std::uint32_t p = m.pixels[static_cast<std::size_t>(row) * m.columns + col];
      const std::uint32_t a = p >> 24;
      auto pre = [a](std::uint32_t c) { return (c * a + 127) / 255; };
      out[col] = (a << 24) | (pre((p >> 16) & 0xff) << 16) | (pre((p >> 8) & 0xff) << 8) | pre(p & 0xff);
    }
  }
  cairo_surface_mark_dirty(image.get());
  cairo_save(cr);
  cairo_rectangle(cr, m.x, m.y, m.width, m.height);
  cairo_clip(cr);
  cairo_translate(cr, m.x, m.y);
  cairo_scale(cr, m.width / m.columns, m.height / m.rows);
  cairo_set_source_surface(cr, image.get(), 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_restore(cr);
}

void draw_figure(cairo_t* cr, const Figure& figure) {
  set_colour(cr, figure.background);
  cairo_paint(cr);
  for (const auto& mark : figure.marks) std::visit([cr](const auto& m) { draw(cr, m); }, mark);
  check(cairo_status(cr), "drawing marks");
}

void check_size(const Figure& figure) {
  if (!(figure.width > 0) || !(figure.height > 0) || !std::isfinite(figure.width) ||
      !std::isfinite(figure.height))
    throw Error("figure has no size (" + std::to_string(figure.width) + " x " +
                std::to_string(figure.height) + " points)");
}

SurfacePtr draw_to_image(const Figure& figure, double pixels_per_point, cairo_format_t format) {
  check_size(figure);
  if (!(pixels_per_point > 0)) throw Error("raster scale must be positive");
  const int width = static_cast<int>(std::ceil(figure.width * pixels_per_point));
  const int height = static_cast<int>(std::ceil(figure.height * pixels_per_point));
  if (width > 30000 || height > 30000)
    throw Error("raster too large (" + std::to_string(width) + " x " + std::to_string(height) + " pixels)");
  SurfacePtr surface(cairo_image_surface_create(format, width, height));
  check(cairo_surface_status(surface.get()), "image surface");
  ContextPtr cr(cairo_create(surface.get()));
  cairo_scale(cr.get(), pixels_per_point, pixels_per_point);
  draw_figure(cr.get(), figure);
  cairo_surface_flush(surface.get());
  return surface;
}

}  // namespace

Format format_for(const std::filesystem::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".svg") return Format::Svg;
  if (ext == ".pdf") return Format::Pdf;
  if (ext == ".png") return Format::Png;
  throw Error("unknown figure format '" + file.extension().string() +
                  "' (use .svg, .pdf or .png)",
              detail::file_context(file.string()));
}

std::vector<std::byte> render(const Figure& figure, Format format, const RenderOptions& options) {
  std::vector<std::byte> out;
  if (format == Format::Png) {
    SurfacePtr surface = draw_to_image(figure, options.png_dpi / 72.0, CAIRO_FORMAT_RGB24);
    check(cairo_surface_write_to_png_stream(surface.get(), append_bytes, &out), "PNG encoding");
    return out;
  }
  check_size(figure);
  SurfacePtr surface(format == Format::Svg
                         ? cairo_svg_surface_create_for_stream(append_bytes, &out, figure.width, figure.height)
                         : cairo_pdf_surface_create_for_stream(append_bytes, &out, figure.width, figure.height));
  check(cairo_surface_status(surface.get()), "vector surface");
  if (format == Format::Svg) cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_PT);
  {
    ContextPtr cr(cairo_create(surface.get()));
    draw_figure(cr.get(), figure);
  }
  cairo_surface_finish(surface.get());
  check(cairo_surface_status(surface.get()), "finishing the document");
  return out;
}

std::string render_svg(const Figure& figure) {
  const auto bytes = render(figure, Format::Svg);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void save(const Figure& figure, const std::filesystem::path& file, const RenderOptions& options) {
  const Format format = format_for(file);
  std::vector<std::byte> bytes;
  try {
    bytes = render(figure, format, options);
  } catch (const Error& e) {
    throw Error(e.message(), detail::file_context(file.string()));
  }
  write_file_atomically(file, bytes);
}

Rgb Image::at(int x, int y) const {
  if (x < 0 || y < 0 || x >= width || y >= height)
    throw Error("pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") outside the " +
                std::to_string(width) + " x " + std::to_string(height) + " image");
  return rgb(pixels[static_cast<std::size_t>(y) * width + x]);
}

Image rasterize(const Figure& figure, double pixels_per_point) {
  SurfacePtr surface = draw_to_image(figure, pixels_per_point, CAIRO_FORMAT_RGB24);
  Image image;
  image.width = cairo_image_surface_get_width(surface.get());
  image.height = cairo_image_surface_get_height(surface.get());
  const int stride = cairo_image_surface_get_stride(surface.get());
  const unsigned char* data = cairo_image_surface_get_data(surface.get());
  image.pixels.resize(static_cast<std::size_t>(image.width) * image.height);
  for (int y = 0; y < image.height; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < image.width; ++x)
      image.pixels[static_cast<std::size_t>(y) * image.width + x] = row[x] & 0xffffff;
  }
  return image;
}

}  // namespace cytopipe::plot
