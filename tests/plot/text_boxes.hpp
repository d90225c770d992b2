#pragma once
// Where each text mark of a figure is drawn, as a box in points, measured with Cairo's extents of
// the font the renderer uses, for tests that labels neither overlap nor leave the canvas.
#include <cairo.h>

#include <cmath>
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot::test {

struct TextBox {
  const Text* text = nullptr;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

inline TextBox box_of(const Text& t) {
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
  cairo_t* cr = cairo_create(surface);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, t.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, t.size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, t.text.c_str(), &te);
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  // Along the text: the advance from the anchor; across: the font's ascent and descent.
  double u0 = 0;
  if (t.anchor == Anchor::Middle) u0 = -te.x_advance / 2;
  if (t.anchor == Anchor::End) u0 = -te.x_advance;
  double base = 0;  // baseline offset, down the text's own y
  switch (t.baseline) {
    case Baseline::Top: base = fe.ascent; break;
    case Baseline::Middle: base = (fe.ascent - fe.descent) / 2; break;
    case Baseline::Alphabetic: base = 0; break;
    case Baseline::Bottom: base = -fe.descent; break;
  }
  const double u1 = u0 + te.x_advance, v0 = base - fe.ascent, v1 = base + fe.descent;
  // Rotated counter-clockwise by `rotation` degrees about the anchor (y down on the page).
  const double a = -t.rotation * M_PI / 180, c = std::cos(a), s = std::sin(a);
  TextBox box{&t, INFINITY, INFINITY, -INFINITY, -INFINITY};
  for (double u : {u0, u1})
    for (double v : {v0, v1}) {
      const double x = t.at.x + u * c - v * s, y = t.at.y + u * s + v * c;
      box.x0 = std::min(box.x0, x), box.x1 = std::max(box.x1, x);
      box.y0 = std::min(box.y0, y), box.y1 = std::max(box.y1, y);
    }
  return box;
}

inline std::vector<TextBox> text_boxes(const Figure& figure) {
  std::vector<TextBox> out;
  for (const auto& mark : figure.marks)
    if (const auto* t = std::get_if<Text>(&mark); t && !t->text.empty()) out.push_back(box_of(*t));
  return out;
}

// "a" and "b" overlap by more than `slack` points in both directions.
inline bool overlap(const TextBox& a, const TextBox& b, double slack = 0.5) {
  return std::min(a.x1, b.x1) - std::max(a.x0, b.x0) > slack && std::min(a.y1, b.y1) - std::max(a.y0, b.y0) > slack;
}

// Problems: each text outside the canvas and each overlapping pair, described for the failure message.
inline std::vector<std::string> label_problems(const Figure& figure) {
  std::vector<std::string> problems;
  const auto boxes = text_boxes(figure);
  for (const auto& b : boxes)
    if (b.x0 < -0.5 || b.y0 < -0.5 || b.x1 > figure.width + 0.5 || b.y1 > figure.height + 0.5)
      problems.push_back("'" + b.text->text + "' (" + b.text->role + ") leaves the " + std::to_string(figure.width) +
                         " x " + std::to_string(figure.height) + " canvas: x " + std::to_string(b.x0) + ".." +
                         std::to_string(b.x1) + ", y " + std::to_string(b.y0) + ".." + std::to_string(b.y1));
  for (std::size_t i = 0; i < boxes.size(); ++i)
    for (std::size_t j = i + 1; j < boxes.size(); ++j)
      if (overlap(boxes[i], boxes[j]))
        problems.push_back("'" + boxes[i].text->text + "' (" + boxes[i].text->role + ") overlaps '" + boxes[j].text->text +
                           "' (" + boxes[j].text->role + ")");
  return problems;
}

}  // namespace cytopipe::plot::test
