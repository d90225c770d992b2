// Gate helpers: labels and kinds.
#include "cytopipe/gating/gate.hpp"

#include <variant>

namespace cytopipe::gating {

bool Scale::is_identity() const {
  return std::holds_alternative<transform::Identity>(transform.params()) &&
         bound_min == -kUnbounded && bound_max == kUnbounded;
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
  if (const auto* r = std::get_if<RectangleGate>(&gate))
    for (const auto& d : r->dimensions) out.push_back(&d);
  else if (const auto* p = std::get_if<PolygonGate>(&gate))
    for (const auto& d : p->dimensions) out.push_back(&d);
  else if (const auto* e = std::get_if<EllipsoidGate>(&gate))
    for (const auto& d : e->dimensions) out.push_back(&d);
  else if (const auto* q = std::get_if<QuadrantGate>(&gate))
    for (const auto& d : q->dividers) out.push_back(&d.dimension);
  return out;
}

}  // namespace cytopipe::gating
