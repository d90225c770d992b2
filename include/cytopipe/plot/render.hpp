#pragma once
// Drawing a Figure with Cairo: SVG, PDF or PNG, chosen by the output file's extension.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

enum class Format { Svg, Pdf, Png };

// The format for a path's extension (.svg, .pdf, .png, any case); Error for anything else.
Format format_for(const std::filesystem::path& file);

struct RenderOptions {
  double png_dpi = 300;           // PNG pixels per inch (figures are laid out in points)
};

// The encoded file contents.
std::vector<std::byte> render(const Figure& figure, Format format, const RenderOptions& options = {});
// SVG text (with its XML declaration).
std::string render_svg(const Figure& figure);
// SVG for inlining in HTML (the report): no XML declaration, no ids, text as <text> elements in
// the layout's font (DejaVu Sans, falling back to Verdana or a sans), rasters as PNG data URIs,
// runs of lines with one stroke as one path. Cairo's SVG (render_svg) draws every glyph as an
// outline defined once per figure: exact without the font, but ~10x larger over a report.
std::string render_svg_compact(const Figure& figure);

// Renders and writes atomically (temporary file + rename). Error names the file on failure.
void save(const Figure& figure, const std::filesystem::path& file, const RenderOptions& options = {});

// An in-memory RGB raster of the figure, for tests and previews.
struct Image {
  int width = 0, height = 0;
  std::vector<std::uint32_t> pixels;  // row-major 0xRRGGBB (opaque: drawn over the background)
  Rgb at(int x, int y) const;
};
Image rasterize(const Figure& figure, double pixels_per_point = 1);

}  // namespace cytopipe::plot
