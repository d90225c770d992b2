#pragma once
// Helpers shared by the layout functions (private to the plot stage).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot::detail {

// The family every text mark is drawn in; measuring and drawing must agree on it.
inline constexpr const char* kFontFamily = "DejaVu Sans";

// Advance width of `text` in points at `size`, measured with Cairo's font metrics.
double text_width(std::string_view text, double size, bool bold = false);
// Height of a line of text (ascent + descent) in points at `size`.
double line_height(double size);
// The font's ascent and descent (not the ink's) in points at `size`, as Cairo places baselines.
struct FontExtents {
  double ascent = 0, descent = 0;
};
FontExtents font_extents(double size, bool bold = false);

// A label made to fit `width` points: drawn smaller (down to min_scale x size), then cut at a
// character boundary and ended with "…" when even that is too wide.
struct FittedText {
  std::string text;
  double size = 9;
};
FittedText fit_text(std::string_view text, double size, double width, bool bold = false, double min_scale = 0.8);

// `colour` mixed towards white by `amount` (0 = unchanged, 1 = white).
Rgb tint(Rgb colour, double amount);
// `colour` mixed towards black by `amount`.
Rgb shade(Rgb colour, double amount);

// Moves a mark by (dx, dy) points.
void translate(Mark& mark, double dx, double dy);

// An error location (built member by member: aggregate init with gaps trips -Wextra).
inline ErrorContext file_context(std::string file, std::string where = {}, int line = 0) {
  ErrorContext context;
  context.file = std::move(file);
  context.where = std::move(where);
  context.line = line;
  return context;
}

// A white, slightly see-through box behind `text` (added before it), so a label stays readable
// where it crosses data or gate outlines.
void add_label_backdrop(std::vector<Mark>& marks, const Text& text);

// Text with a fixed number of decimals ("63.2 %").
std::string percent_text(double percent);

}  // namespace cytopipe::plot::detail
