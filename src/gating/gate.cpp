// Gate helpers: labels and kinds.
#include "cytopipe/gating/gate.hpp"

#include <algorithm>
#include <cmath>
#include <variant>

#include "cytopipe/overloaded.hpp"

namespace cytopipe::gating {

bool Scale::is_identity() const {
  return std::holds_alternative<transform::Identity>(transform.params()) && !biex_table && grid_scale == 0 &&
         bound_min == -kUnbounded && bound_max == kUnbounded;
}

void apply_scale(const Scale& scale, std::span<double> values) {
  if (scale.biex_table) {
    for (double& v : values) v = scale.biex_table->scale(v);
  } else if (!std::holds_alternative<transform::Identity>(scale.transform.params())) {
    scale.transform.apply(values, values);  // in place: elementwise
  }
  if (scale.bound_min != -kUnbounded || scale.bound_max != kUnbounded)
    for (double& v : values) v = std::clamp(v, scale.bound_min, scale.bound_max);
  if (scale.grid_scale != 0)
    for (double& v : values) v = std::floor((v - scale.grid_origin) * scale.grid_scale);
}

double Scale::apply(double x) const {
  double v[1] = {x};
  apply_scale(*this, v);  // the bulk form, as columns are computed (it may differ in the last bits)
  return v[0];
}

std::string Dimension::label() const {
  std::string base = ratio ? "ratio(" + ratio->numerator + "/" + ratio->denominator + ")" : channel;
  if (compensation != kUncompensated) base = compensation + ":" + base;
  if (!std::holds_alternative<transform::Identity>(scale.transform.params()))
    base = scale.transform.name() + "(" + base + ")";
  return base;
}

std::string_view to_string(BooleanGate::Op op) {
  switch (op) {
    case BooleanGate::Op::And: return "and";
    case BooleanGate::Op::Or: return "or";
    case BooleanGate::Op::Not: return "not";
  }
  return "?";
}

std::string_view gate_kind(const Gate& gate) {
  struct Visitor {
    std::string_view operator()(const RectangleGate& g) const {
      return g.dimensions.size() == 1 ? "range" : "rectangle";
    }
    std::string_view operator()(const PolygonGate&) const { return "polygon"; }
    std::string_view operator()(const EllipsoidGate&) const { return "ellipsoid"; }
    std::string_view operator()(const QuadrantGate&) const { return "quadrant"; }
    std::string_view operator()(const BooleanGate&) const { return "boolean"; }
  };
  return std::visit(Visitor{}, gate);
}

std::vector<const Dimension*> dimensions_of(const Gate& gate) {
  std::vector<const Dimension*> out;
  auto all = [&](const auto& dimensions) {
    for (const auto& d : dimensions) out.push_back(&d);
  };
  std::visit(Overloaded{
                 [&](const RectangleGate& g) { all(g.dimensions); },
                 [&](const PolygonGate& g) { all(g.dimensions); },
                 [&](const EllipsoidGate& g) { all(g.dimensions); },
                 [&](const QuadrantGate& g) {
                   for (const auto& d : g.dividers) out.push_back(&d.dimension);
                 },
                 [](const BooleanGate&) {},  // reads populations, not dimensions
             },
             gate);
  return out;
}

}  // namespace cytopipe::gating
