// SVG written mark by mark for inlining in HTML: text stays text, so a report of many figures
// does not carry every glyph's outline once per figure as Cairo's SVG surface does.
#include <cairo.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/render.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

// A coordinate to 0.01 pt (far below what a screen or printer resolves), trailing zeros dropped.
void put(std::string& out, double v) {
  if (!std::isfinite(v)) v = 0;
  v = std::round(v * 100) / 100;
  if (v == 0) v = 0;  // no "-0"
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed, 2);
  if (ec != std::errc()) throw Error("SVG: number out of range");
  while (end > buffer && end[-1] == '0') --end;
  if (end > buffer && end[-1] == '.') --end;
  out.append(buffer, end);
}

void put_attribute(std::string& out, const char* name, double v) {
  out += ' ';
  out += name;
  out += "=\"";
  put(out, v);
  out += '"';
}

void put_colour(std::string& out, Rgb c) {
  static constexpr char hex[] = "0123456789abcdef";
  auto byte = [](double v) { return static_cast<unsigned>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
  out += '#';
  for (unsigned b : {byte(c.r), byte(c.g), byte(c.b)}) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
}

void put_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
}

// stroke="#rrggbb" stroke-width="w" [stroke-dasharray], or fill only when the width is 0.
void put_stroke(std::string& out, const Stroke& s) {
  if (s.width <= 0) return;
  out += " stroke=\"";
  put_colour(out, s.colour);
  out += '"';
  if (s.width != 1) put_attribute(out, "stroke-width", s.width);
  if (!s.dash.empty()) {
    out += " stroke-dasharray=\"";
    for (std::size_t i = 0; i < s.dash.size(); ++i) {
      if (i) out += ' ';
      put(out, s.dash[i]);
    }
    out += '"';
  }
}

void put_fill(std::string& out, bool filled, Rgb colour, double opacity) {
  if (!filled) {
    out += " fill=\"none\"";
    return;
  }
  out += " fill=\"";
  put_colour(out, colour);
  out += '"';
  if (opacity < 1) put_attribute(out, "fill-opacity", opacity);
}

bool same_stroke(const Stroke& a, const Stroke& b) {
  return a.colour == b.colour && a.width == b.width && a.dash == b.dash;
}

std::string base64(std::string_view bytes) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The raster as an 8-bit PNG, one pixel per cell (the browser scales it without smoothing), by
// Cairo's encoder. Not OpenCV's: linking libopencv_imgcodecs loads ~130 more shared libraries
// (GDAL, GDCM, HDF5, ...), ~0.15 s of CPU in the dynamic loader at every cytopipe start.
// Cairo holds premultiplied alpha: the round trip is exact for alpha 0 and 255, which is what
// density rasters use (a transparent pixel is written as 0,0,0,0), and within rounding between.
cairo_status_t append_png(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string png_of(const Raster& m) {
  const std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> image(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, m.columns, m.rows), &cairo_surface_destroy);
  if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS)
    throw Error("SVG: raster '" + m.role + "': " + cairo_status_to_string(cairo_surface_status(image.get())));
  cairo_surface_flush(image.get());
  unsigned char* data = cairo_image_surface_get_data(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  for (int row = 0; row < m.rows; ++row) {
    auto* out = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(row) * stride);
    for (int col = 0; col < m.columns; ++col) {
      const std::uint32_t p = m.pixels[static_cast<std::size_t>(row) * m.columns + col];
      const std::uint32_t a = p >> 24;
      auto pre = [a](std::uint32_t c) { return (c * a + 127) / 255; };
      out[col] = (a << 24) | (pre((p >> 16) & 0xff) << 16) | (pre((p >> 8) & 0xff) << 8) | pre(p & 0xff);
    }
  }
  cairo_surface_mark_dirty(image.get());
  std::string png;
  const cairo_status_t status = cairo_surface_write_to_png_stream(image.get(), append_png, &png);
  if (status != CAIRO_STATUS_SUCCESS)
    throw Error("SVG: PNG encoding of raster '" + m.role + "': " + cairo_status_to_string(status));
  return png;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void operator()(const Line& m) {
    if (m.stroke.width <= 0) return;
    // Runs of lines with one stroke (ticks, grid lines) become one path.
    if (!open_lines_ || !same_stroke(*open_lines_, m.stroke)) {
      close_lines();
      out_ += "<path fill=\"none\"";
      put_stroke(out_, m.stroke);
      out_ += " d=\"";
      open_lines_ = m.stroke;
    } else {
      out_ += ' ';
    }
    out_ += 'M';
    put(out_, m.from.x);
    out_ += ' ';
    put(out_, m.from.y);
    if (m.from.y == m.to.y) {
      out_ += 'H';
      put(out_, m.to.x);
    } else if (m.from.x == m.to.x) {
      out_ += 'V';
      put(out_, m.to.y);
    } else {
      out_ += 'L';
      put(out_, m.to.x);
      out_ += ' ';
      put(out_, m.to.y);
    }
  }

  void operator()(const Polyline& m) {
    close_lines();
    if (m.points.empty()) return;
    if (!m.filled && m.stroke.width <= 0) return;
    out_ += "<path";
    put_fill(out_, m.filled, m.fill, m.fill_opacity);
    put_stroke(out_, m.stroke);
    out_ += " d=\"M";
    for (std::size_t i = 0; i < m.points.size(); ++i) {
      if (i) out_ += i == 1 ? "L" : " ";
      put(out_, m.points[i].x);
      out_ += ' ';
      put(out_, m.points[i].y);
    }
    if (m.closed) out_ += 'Z';
    out_ += "\"/>\n";
  }

  void operator()(const Rect& m) {
    close_lines();
    if (!m.filled && m.stroke.width <= 0) return;
    out_ += "<rect";
    put_attribute(out_, "x", m.x);
    put_attribute(out_, "y", m.y);
    put_attribute(out_, "width", m.width);
    put_attribute(out_, "height", m.height);
    put_fill(out_, m.filled, m.fill, m.fill_opacity);
    put_stroke(out_, m.stroke);
    out_ += "/>\n";
  }

  void operator()(const Circle& m) {
    close_lines();
    out_ += "<circle";
    put_attribute(out_, "cx", m.centre.x);
    put_attribute(out_, "cy", m.centre.y);
    put_attribute(out_, "r", m.radius);
    put_fill(out_, true, m.fill, 1);
    put_stroke(out_, m.stroke);
    out_ += "/>\n";
  }

  void operator()(const Text& m) {
    close_lines();
    if (m.text.empty()) return;
    // Baselines placed as the Cairo backend places them (the font's ascent and descent), so
    // the text sits where the layout measured it, whatever the browser's baseline rules.
    const detail::FontExtents font = detail::font_extents(m.size, m.bold);
    double dy = 0;
    switch (m.baseline) {
      case Baseline::Top: dy = font.ascent; break;
      case Baseline::Middle: dy = (font.ascent - font.descent) / 2; break;
      case Baseline::Alphabetic: dy = 0; break;
      case Baseline::Bottom: dy = -font.descent; break;
    }
    out_ += "<text";
    if (m.rotation != 0) {
      out_ += " transform=\"translate(";
      put(out_, m.at.x);
      out_ += ' ';
      put(out_, m.at.y);
      out_ += ") rotate(";
      put(out_, -m.rotation);
      out_ += ")\"";
      if (dy != 0) put_attribute(out_, "y", dy);
    } else {
      put_attribute(out_, "x", m.at.x);
      put_attribute(out_, "y", m.at.y + dy);
    }
    if (m.size != 9) put_attribute(out_, "font-size", m.size);
    if (m.anchor == Anchor::Middle) out_ += " text-anchor=\"middle\"";
    if (m.anchor == Anchor::End) out_ += " text-anchor=\"end\"";
    if (m.bold) out_ += " font-weight=\"bold\"";
    if (!(m.colour == Rgb{})) {
      out_ += " fill=\"";
      put_colour(out_, m.colour);
      out_ += '"';
    }
    out_ += '>';
    put_escaped(out_, m.text);
    out_ += "</text>\n";
  }

  void operator()(const Raster& m) {
    close_lines();
    if (m.columns <= 0 || m.rows <= 0) return;
    if (m.pixels.size() != static_cast<std::size_t>(m.columns) * static_cast<std::size_t>(m.rows))
      throw Error("raster '" + m.role + "' has " + std::to_string(m.pixels.size()) + " pixels for " +
                  std::to_string(m.columns) + " x " + std::to_string(m.rows));
    out_ += "<image";
    put_attribute(out_, "x", m.x);
    put_attribute(out_, "y", m.y);
    put_attribute(out_, "width", m.width);
    put_attribute(out_, "height", m.height);
    out_ += " preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,";
    out_ += base64(png_of(m));
    out_ += "\"/>\n";
  }

  void close_lines() {
    if (!open_lines_) return;
    out_ += "\"/>\n";
    open_lines_.reset();
  }

 private:
  std::string& out_;
  std::optional<Stroke> open_lines_;
};

}  // namespace

std::string render_svg_compact(const Figure& figure) {
  if (!(figure.width > 0) || !(figure.height > 0) || !std::isfinite(figure.width) || !std::isfinite(figure.height))
    throw Error("figure has no size (" + std::to_string(figure.width) + " x " + std::to_string(figure.height) +
                " points)");
  std::string out;
  out.reserve(256 + figure.marks.size() * 80);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"";
  out += " width=\"";
  put(out, figure.width);
  out += "pt\" height=\"";
  put(out, figure.height);
  out += "pt\" viewBox=\"0 0 ";
  put(out, figure.width);
  out += ' ';
  put(out, figure.height);
  out += "\" font-family=\"";
  out += detail::kFontFamily;
  out += ", Verdana, sans-serif\" font-size=\"9\">\n<rect width=\"100%\" height=\"100%\"";
  put_fill(out, true, figure.background, 1);
  out += "/>\n";
  Writer writer(out);
  for (const auto& mark : figure.marks) std::visit(writer, mark);
  writer.close_lines();
  out += "</svg>\n";
  return out;
}

}  // namespace cytopipe::plot
