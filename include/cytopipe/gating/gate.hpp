#pragma once
// Gates as value types, in Gating-ML 2.0's terms: every gate names its dimensions, and each
// dimension says which compensation and which scale its values get before the gate is tested.
#include <array>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cytopipe/transform/flowjo_biex.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::gating {

// Compensation references as Gating-ML spells them; any other value names a matrix of the
// strategy (GatingStrategy::matrices()).
inline constexpr std::string_view kUncompensated = "uncompensated";
inline constexpr std::string_view kFileCompensation = "FCS";  // the file's $SPILLOVER/SPILL

inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

// Gating-ML's fratio "new dimension": A * (numerator - B) / (denominator - C), then clamped to
// [bound_min, bound_max] when the transformation carries boundMin/boundMax.
struct Ratio {
  std::string id;           // Gating-ML transformation id (kept for export)
  std::string numerator;    // channel (or compensated output) names
  std::string denominator;
  double A = 1, B = 0, C = 0;
  double bound_min = -kUnbounded, bound_max = kUnbounded;
  bool operator==(const Ratio&) const = default;
};

// A scale applied to a dimension's (compensated) values, with Gating-ML's optional bounds:
// results below bound_min become bound_min, above bound_max become bound_max.
struct Scale {
  std::string id;                 // Gating-ML transformation id; empty = none given
  transform::Transform transform; // identity when the dimension has no transformation-ref
  double bound_min = -kUnbounded, bound_max = kUnbounded;
  // FlowJo's display (workspace polygons under WorkspaceEvaluation::FlowJo): `biex_table`, when
  // set, replaces `transform` (FlowJo's own biex look-up table, scale 0..1 by linear
  // interpolation), and with grid_scale > 0 the scaled value then becomes the whole channel of
  // FlowJo's gate grid that holds it, floor((v - grid_origin) * grid_scale).
  std::shared_ptr<const transform::FlowJoBiexTable> biex_table;
  double grid_origin = 0, grid_scale = 0;
  double grid_resolution = 0;  // FlowJo's gateResolution the grid was made from (for export)
  bool is_identity() const;
  // One value through the scale, exactly as gated columns are computed (bulk: apply_scale).
  double apply(double x) const;
  bool operator==(const Scale&) const = default;
};
// A column through the scale in place (the bulk path of Scale::apply for table and grid; the
// transform's own bulk form otherwise).
void apply_scale(const Scale& scale, std::span<double> values);

// One axis of a gate: which values (a channel or a ratio), compensated how, scaled how.
struct Dimension {
  std::string channel;            // $PnN, or a compensation output (fluorochrome) name
  std::optional<Ratio> ratio;     // set instead of `channel` for an fratio dimension
  std::string compensation{kUncompensated};
  Scale scale;

  // A readable label: "FL1-H", "logicle(FL1-H)", "FCS:PE-A", "ratio FL2-H/FL2-A".
  std::string label() const;
  bool operator==(const Dimension&) const = default;
};

// An interval of one dimension: min inclusive, max exclusive (Gating-ML 2.0); a missing side is
// open.
struct Interval {
  std::optional<double> min, max;
  bool contains(double v) const noexcept {
    return (!min || v >= *min) && (!max || v < *max);
  }
  bool operator==(const Interval&) const = default;
};

// Range (1 dimension) and rectangle / hyper-rectangle gates.
struct RectangleGate {
  std::vector<Dimension> dimensions;
  std::vector<Interval> intervals;  // one per dimension
  bool operator==(const RectangleGate&) const = default;
};

// 2-D polygon, even-odd (crossing) rule; at least 3 vertices.
struct PolygonGate {
  std::array<Dimension, 2> dimensions;
  std::vector<std::array<double, 2>> vertices;
  bool operator==(const PolygonGate&) const = default;
};

// n-D ellipsoid: (x - mean)^T inverse(covariance) (x - mean) <= distance_square.
struct EllipsoidGate {
  std::vector<Dimension> dimensions;
  std::vector<double> mean;          // n
  std::vector<double> covariance;    // n x n, row-major; must be invertible
  double distance_square = 1;
  bool operator==(const EllipsoidGate&) const = default;
};

// Gating-ML quadrant gate: dividers split dimensions at one or more values; each quadrant is a
// population picked by one location per divider it uses (a point inside the wanted segment).
// A simple 2-D quadrant gate is two dividers with one value each and four quadrants.
struct Divider {
  std::string id;
  Dimension dimension;
  std::vector<double> values;  // ascending split points; segment [v_i, v_i+1)
  bool operator==(const Divider&) const = default;
};
struct Quadrant {
  std::string name;            // the population this quadrant defines
  struct Position {
    std::string divider;       // Divider::id
    double location;           // any value inside the wanted segment
    bool operator==(const Position&) const = default;
  };
  std::vector<Position> positions;
  bool operator==(const Quadrant&) const = default;
};
struct QuadrantGate {
  std::vector<Divider> dividers;
  std::vector<Quadrant> quadrants;
  bool operator==(const QuadrantGate&) const = default;
};

// Boolean gate over other populations (their full membership, ancestors included).
struct BooleanGate {
  enum class Op { And, Or, Not };
  struct Operand {
    std::string population;
    bool complement = false;   // Gating-ML use-as-complement
    bool operator==(const Operand&) const = default;
  };
  Op op = Op::And;
  std::vector<Operand> operands;  // Not: exactly one
  bool operator==(const BooleanGate&) const = default;
};
std::string_view to_string(BooleanGate::Op op);

using Gate = std::variant<RectangleGate, PolygonGate, EllipsoidGate, QuadrantGate, BooleanGate>;

// "range", "rectangle", "polygon", "ellipsoid", "quadrant", "boolean".
std::string_view gate_kind(const Gate& gate);
// Every dimension the gate reads (none for boolean gates).
std::vector<const Dimension*> dimensions_of(const Gate& gate);

}  // namespace cytopipe::gating
