// Writing a strategy back as cytopipe YAML: the same keys parse_strategy_yaml reads, numbers with
// 17 significant digits so a round trip is exact.
#include <yaml-cpp/yaml.h>

#include "cytopipe/gating/io.hpp"
#include "cytopipe/overloaded.hpp"

namespace cytopipe::gating {
namespace {

void emit_bound(YAML::Emitter& out, double v) {
  if (std::isinf(v)) out << YAML::Null;
  else out << v;
}
void emit_optional(YAML::Emitter& out, const std::optional<double>& v) {
  if (v) out << *v;
  else out << YAML::Null;
}

void emit_dimension(YAML::Emitter& out, const Dimension& d) {
  const bool plain = !d.ratio && d.compensation == kUncompensated && d.scale.is_identity() &&
                     d.scale.id.empty();
  if (plain) {
    out << d.channel;
    return;
  }
  out << YAML::BeginMap;
  if (d.ratio) {
    const Ratio& r = *d.ratio;
    out << YAML::Key << "ratio" << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (!r.id.empty()) out << YAML::Key << "id" << YAML::Value << r.id;
    out << YAML::Key << "numerator" << YAML::Value << r.numerator;
    out << YAML::Key << "denominator" << YAML::Value << r.denominator;
    out << YAML::Key << "A" << YAML::Value << r.A << YAML::Key << "B" << YAML::Value << r.B
        << YAML::Key << "C" << YAML::Value << r.C;
    if (r.bound_min != -kUnbounded || r.bound_max != kUnbounded) {
      out << YAML::Key << "bounds" << YAML::Value << YAML::Flow << YAML::BeginSeq;
      emit_bound(out, r.bound_min);
      emit_bound(out, r.bound_max);
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  } else {
    out << YAML::Key << "channel" << YAML::Value << d.channel;
  }
  if (d.compensation != kUncompensated)
    out << YAML::Key << "compensation" << YAML::Value << d.compensation;
  if (!std::holds_alternative<transform::Identity>(d.scale.transform.params()))
    out << YAML::Key << "transform" << YAML::Value << d.scale.transform.to_string();
  if (!d.scale.id.empty()) out << YAML::Key << "transform_id" << YAML::Value << d.scale.id;
  if (d.scale.bound_min != -kUnbounded || d.scale.bound_max != kUnbounded) {
    out << YAML::Key << "bounds" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    emit_bound(out, d.scale.bound_min);
    emit_bound(out, d.scale.bound_max);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void emit_dimensions(YAML::Emitter& out, const std::vector<Dimension>& dims) {
  out << YAML::Key << "dimensions" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : dims) emit_dimension(out, d);
  out << YAML::EndSeq;
}

// A finder node: `find:` and every parameter (defaults included, so the file says what ran).
void emit_finder(YAML::Emitter& out, const GateNode& node) {
  const FinderSpec& f = *node.finder;
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value << node.id;
  if (!node.parent.empty()) out << YAML::Key << "parent" << YAML::Value << node.parent;
  out << YAML::Key << "find" << YAML::Value << std::string(to_string(f.method));
  const bool one_d = f.method == FinderMethod::Valley || f.method == FinderMethod::Tail || f.method == FinderMethod::Quantile;
  if (f.method == FinderMethod::ControlPercentile) {
    out << YAML::Key << "dimension" << YAML::Value;
    emit_dimension(out, f.dimensions.at(0));
  } else if (one_d) {
    out << YAML::Key << "dimension" << YAML::Value;
    emit_dimension(out, f.dimensions.at(0));
    out << YAML::Key << "keep" << YAML::Value << (f.keep == Keep::Above ? "above" : "below");
  } else {
    emit_dimensions(out, f.dimensions);
  }
  switch (f.method) {
    case FinderMethod::Cells:
      out << YAML::Key << "contour" << YAML::Value << f.contour << YAML::Key << "bins" << YAML::Value << f.bins
          << YAML::Key << "smoothing" << YAML::Value << f.smoothing;
      break;
    case FinderMethod::Singlets: out << YAML::Key << "width" << YAML::Value << f.width; break;
    case FinderMethod::Valley:
      out << YAML::Key << "adjust" << YAML::Value << f.adjust << YAML::Key << "min_peak" << YAML::Value << f.min_peak;
      if (f.range_min || f.range_max) {
        out << YAML::Key << "range" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        emit_optional(out, f.range_min);
        emit_optional(out, f.range_max);
        out << YAML::EndSeq;
      }
      out << YAML::Key << "single_peak" << YAML::Value
          << (f.single_peak == SinglePeak::Negative ? "negative" : "positive");
      if (f.negative_below) out << YAML::Key << "negative_below" << YAML::Value << *f.negative_below;
      out << YAML::Key << "sds" << YAML::Value << f.sds;
      break;
    case FinderMethod::Tail:
      out << YAML::Key << "sds" << YAML::Value << f.sds << YAML::Key << "adjust" << YAML::Value << f.adjust
          << YAML::Key << "min_peak" << YAML::Value << f.min_peak;
      break;
    case FinderMethod::Quantile: out << YAML::Key << "quantile" << YAML::Value << f.quantile; break;
    case FinderMethod::ControlPercentile: {
      out << YAML::Key << "percentile" << YAML::Value << f.percentile;
      out << YAML::Key << "control" << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [factor, levels] : f.control) {
        out << YAML::Key << factor << YAML::Value;
        if (levels.size() == 1) out << levels[0];
        else out << YAML::Flow << levels;
      }
      out << YAML::EndMap;
      if (!f.pool.empty()) out << YAML::Key << "match" << YAML::Value << YAML::Flow << f.pool;
      break;
    }
    case FinderMethod::Ellipse:
      if (f.near) out << YAML::Key << "near" << YAML::Value << YAML::Flow << *f.near;
      out << YAML::Key << "distance" << YAML::Value << f.distance << YAML::Key << "bins" << YAML::Value << f.bins
          << YAML::Key << "smoothing" << YAML::Value << f.smoothing;
      break;
  }
  if (!f.pool.empty() && f.method != FinderMethod::ControlPercentile)
    out << YAML::Key << "pool" << YAML::Value << YAML::Flow << f.pool;
  out << YAML::Key << "min_events" << YAML::Value << f.min_events;
  if (f.absent_below) out << YAML::Key << "absent_below" << YAML::Value << f.absent_below;
  out << YAML::EndMap;
}

void emit_gate(YAML::Emitter& out, const GateNode& node) {
  if (node.exclude)
    throw Error("gate '" + node.id + "' is an exclusion gate (FlowJo eventsInside=\"0\"), which a YAML strategy cannot hold",
                node.origin);
  if (node.finder) {
    emit_finder(out, node);
    return;
  }
  out << YAML::BeginMap;
  out << YAML::Key << "id" << YAML::Value << node.id;
  out << YAML::Key << "type" << YAML::Value << std::string(gate_kind(node.gate));
  if (!node.parent.empty()) out << YAML::Key << "parent" << YAML::Value << node.parent;
  std::visit(Overloaded{
    [&](const RectangleGate& r) {
      if (r.dimensions.size() == 1) {
        out << YAML::Key << "dimension" << YAML::Value;
        emit_dimension(out, r.dimensions[0]);
        if (r.intervals[0].min) out << YAML::Key << "min" << YAML::Value << *r.intervals[0].min;
        if (r.intervals[0].max) out << YAML::Key << "max" << YAML::Value << *r.intervals[0].max;
      } else {
        emit_dimensions(out, r.dimensions);
        out << YAML::Key << "intervals" << YAML::Value << YAML::BeginSeq;
        for (const auto& i : r.intervals) {
          out << YAML::Flow << YAML::BeginSeq;
          emit_optional(out, i.min);
          emit_optional(out, i.max);
          out << YAML::EndSeq;
        }
        out << YAML::EndSeq;
      }
    },
    [&](const PolygonGate& p) {
      emit_dimensions(out, {p.dimensions[0], p.dimensions[1]});
      out << YAML::Key << "vertices" << YAML::Value << YAML::BeginSeq;
      for (const auto& v : p.vertices) out << YAML::Flow << YAML::BeginSeq << v[0] << v[1] << YAML::EndSeq;
      out << YAML::EndSeq;
    },
    [&](const EllipsoidGate& e) {
      emit_dimensions(out, e.dimensions);
      out << YAML::Key << "mean" << YAML::Value << YAML::Flow << e.mean;
      out << YAML::Key << "covariance" << YAML::Value << YAML::BeginSeq;
      const std::size_t n = e.dimensions.size();
      for (std::size_t i = 0; i < n; ++i) {
        out << YAML::Flow << YAML::BeginSeq;
        for (std::size_t j = 0; j < n; ++j) out << e.covariance[i * n + j];
        out << YAML::EndSeq;
      }
      out << YAML::EndSeq;
      out << YAML::Key << "distance_square" << YAML::Value << e.distance_square;
    },
    [&](const QuadrantGate& q) {
      out << YAML::Key << "dividers" << YAML::Value << YAML::BeginSeq;
      for (const auto& d : q.dividers) {
        out << YAML::BeginMap << YAML::Key << "id" << YAML::Value << d.id;
        out << YAML::Key << "dimension" << YAML::Value;
        emit_dimension(out, d.dimension);
        out << YAML::Key << "values" << YAML::Value << YAML::Flow << d.values << YAML::EndMap;
      }
      out << YAML::EndSeq;
      out << YAML::Key << "quadrants" << YAML::Value << YAML::BeginSeq;
      for (const auto& qu : q.quadrants) {
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << qu.name;
        out << YAML::Key << "positions" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& p : qu.positions) out << YAML::Key << p.divider << YAML::Value << p.location;
        out << YAML::EndMap << YAML::EndMap;
      }
      out << YAML::EndSeq;
    },
    [&](const BooleanGate& b) {
      out << YAML::Key << "op" << YAML::Value << std::string(to_string(b.op));
      out << YAML::Key << "operands" << YAML::Value << YAML::BeginSeq;
      for (const auto& o : b.operands) {
        if (!o.complement) {
          out << o.population;
        } else {
          out << YAML::Flow << YAML::BeginMap << YAML::Key << "population" << YAML::Value
              << o.population << YAML::Key << "complement" << YAML::Value << true << YAML::EndMap;
        }
      }
      out << YAML::EndSeq;
    },
  }, node.gate);
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const GatingStrategy& s) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);
  out << YAML::BeginMap;
  if (!s.name.empty()) out << YAML::Key << "name" << YAML::Value << s.name;
  if (!s.description.empty()) out << YAML::Key << "description" << YAML::Value << s.description;
  if (!s.matrices().empty()) {
    out << YAML::Key << "matrices" << YAML::Value << YAML::BeginMap;
    for (const auto& [id, m] : s.matrices()) {
      const auto& sp = m.spectrum;
      out << YAML::Key << id << YAML::Value << YAML::BeginMap;
      out << YAML::Key << "fluorochromes" << YAML::Value << YAML::Flow << sp.fluorochromes;
      out << YAML::Key << "detectors" << YAML::Value << YAML::Flow << sp.detectors;
      if (m.inverted_already) out << YAML::Key << "inverted_already" << YAML::Value << true;
      const std::size_t cols = m.inverted_already ? sp.fluorochromes.size() : sp.detectors.size();
      out << YAML::Key << "values" << YAML::Value << YAML::BeginSeq;
      for (std::size_t i = 0; i + cols <= sp.values.size() && cols > 0; i += cols) {
        out << YAML::Flow << YAML::BeginSeq;
        for (std::size_t j = 0; j < cols; ++j) out << sp.values[i + j];
        out << YAML::EndSeq;
      }
      out << YAML::EndSeq << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "gates" << YAML::Value << YAML::BeginSeq;
  for (const auto& g : s.gates()) emit_gate(out, g);
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace cytopipe::gating
