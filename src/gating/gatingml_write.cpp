// Gating-ML 2.0 export. Scales and ratios become transforms:transformation elements (named by
// their id, or T1, T2, ... when they have none), named matrices become spectrumMatrix elements.
#include <cstdio>
#include <map>
#include <sstream>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/overloaded.hpp"
#include "gating/columns.hpp"
#include "gating/xml_escape.hpp"

namespace cytopipe::gating {
namespace {

std::string num(double v) { return format_number(v, kExactNumber); }

std::string esc(std::string_view s) { return xml::escape(s); }

// Assigns transformation ids: one per distinct scale or ratio (by content).
class TransformTable {
 public:
  std::string scale_id(const Scale& s) { return id_for("s" + scale_key(s), s.id, [&](const std::string& id) {
    scales_.emplace_back(id, s);
  }); }
  std::string ratio_id(const Ratio& r) {
    Dimension d;
    d.ratio = r;
    return id_for("r" + column_key(d), r.id, [&](const std::string& id) { ratios_.emplace_back(id, r); });
  }

  void write(std::ostream& out) const {
    for (const auto& [id, r] : ratios_) {
      out << "  <transforms:transformation transforms:id=\"" << esc(id) << '"' << bounds(r.bound_min, r.bound_max) << ">\n"
          << "    <transforms:fratio transforms:A=\"" << num(r.A) << "\" transforms:B=\"" << num(r.B)
          << "\" transforms:C=\"" << num(r.C) << "\">\n"
          << "      <data-type:fcs-dimension data-type:name=\"" << esc(r.numerator) << "\"/>\n"
          << "      <data-type:fcs-dimension data-type:name=\"" << esc(r.denominator) << "\"/>\n"
          << "    </transforms:fratio>\n  </transforms:transformation>\n";
    }
    for (const auto& [id, s] : scales_) {
      out << "  <transforms:transformation transforms:id=\"" << esc(id) << '"'
          << bounds(s.bound_min, s.bound_max) << ">\n    " << function(s.transform) << "\n  </transforms:transformation>\n";
    }
  }

 private:
  static std::string scale_key(const Scale& s) {
    return s.transform.to_string() + ',' + num(s.bound_min) + ',' + num(s.bound_max);
  }
  static std::string bounds(double lo, double hi) {
    std::string out;
    if (lo != -kUnbounded) out += " transforms:boundMin=\"" + num(lo) + '"';
    if (hi != kUnbounded) out += " transforms:boundMax=\"" + num(hi) + '"';
    return out;
  }
  static std::string function(const transform::Transform& t) {
    auto a = [](const char* name, double v) { return std::string(" transforms:") + name + "=\"" + num(v) + '"'; };
    auto none = [&](const auto&) -> std::string {
      throw Error("the scale " + t.to_string() +
                  " has no Gating-ML 2.0 equivalent (use flin, flog, fasinh, logicle or hyperlog)");
    };
    return std::visit(
        Overloaded{
            [&](const transform::Flin& f) { return "<transforms:flin" + a("T", f.T) + a("A", f.A) + "/>"; },
            [&](const transform::Flog& f) { return "<transforms:flog" + a("T", f.T) + a("M", f.M) + "/>"; },
            [&](const transform::Fasinh& f) {
              return "<transforms:fasinh" + a("T", f.T) + a("M", f.M) + a("A", f.A) + "/>";
            },
            [&](const transform::Logicle& f) {
              return "<transforms:logicle" + a("T", f.T) + a("W", f.W) + a("M", f.M) + a("A", f.A) + "/>";
            },
            [&](const transform::Hyperlog& f) {
              return "<transforms:hyperlog" + a("T", f.T) + a("W", f.W) + a("M", f.M) + a("A", f.A) + "/>";
            },
            [&](const transform::Identity& f) { return none(f); },
            [&](const transform::Log10& f) { return none(f); },
            [&](const transform::ArcsinhCofactor& f) { return none(f); },
            [&](const transform::FlowJoBiex& f) { return none(f); },
        },
        t.params());
  }
  template <class Add>
  std::string id_for(const std::string& key, const std::string& preferred, const Add& add) {
    if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
    std::string id = preferred;
    if (id.empty() || used_.contains(id)) {
      do id = "T" + std::to_string(++counter_);
      while (used_.contains(id));
    }
    used_.insert({id, key});
    by_key_[key] = id;
    add(id);
    return id;
  }

  std::map<std::string, std::string> by_key_;
  std::map<std::string, std::string> used_;
  std::vector<std::pair<std::string, Scale>> scales_;
  std::vector<std::pair<std::string, Ratio>> ratios_;
  int counter_ = 0;
};

// The attributes and child of a gating:dimension / gating:divider.
struct DimensionXml {
  std::string attributes;
  std::string child;
};
DimensionXml dimension_xml(const Dimension& d, TransformTable& table) {
  DimensionXml out;
  out.attributes = " gating:compensation-ref=\"" + esc(d.compensation) + '"';
  if (!d.scale.is_identity()) {
    if (std::holds_alternative<transform::Identity>(d.scale.transform.params()))
      throw Error("dimension " + d.label() + ": bounds without a scale cannot be written as Gating-ML");
    out.attributes += " gating:transformation-ref=\"" + esc(table.scale_id(d.scale)) + '"';
  }
  if (d.ratio)
    out.child = "<data-type:new-dimension data-type:transformation-ref=\"" + esc(table.ratio_id(*d.ratio)) + "\"/>";
  else
    out.child = "<data-type:fcs-dimension data-type:name=\"" + esc(d.channel) + "\"/>";
  return out;
}

}  // namespace

std::string to_gatingml(const GatingStrategy& s) {
  TransformTable table;
  std::ostringstream gates;
  for (const auto& node : s.gates()) {
    const std::string where = "gate '" + node.id + "'";
    if (node.exclude)
      throw Error("an exclusion gate (FlowJo eventsInside=\"0\") has no Gating-ML form",
                  {"", where, node.origin.line, node.origin.column});
    if (node.finder)
      throw Error("a gate placed by a finder ('find: " + std::string(to_string(node.finder->method)) +
                      "') has no Gating-ML form until it is placed on a sample (write the resolved strategy)",
                  {"", where, node.origin.line, node.origin.column});
    auto head = [&](const char* element, const std::string& id) {
      gates << "  <gating:" << element << " gating:id=\"" << esc(id) << '"';
      if (!node.parent.empty()) gates << " gating:parent_id=\"" << esc(node.parent) << '"';
      gates << ">\n";
    };
    auto dim = [&](const Dimension& d, const std::string& extra) {
      const auto x = dimension_xml(d, table);
      gates << "    <gating:dimension" << x.attributes << extra << ">\n      " << x.child
            << "\n    </gating:dimension>\n";
    };
    try {
      std::visit(Overloaded{
        [&](const RectangleGate& r) {
          head("RectangleGate", node.id);
          for (std::size_t i = 0; i < r.dimensions.size(); ++i) {
            std::string extra;
            if (r.intervals[i].min) extra += " gating:min=\"" + num(*r.intervals[i].min) + '"';
            if (r.intervals[i].max) extra += " gating:max=\"" + num(*r.intervals[i].max) + '"';
            dim(r.dimensions[i], extra);
          }
          gates << "  </gating:RectangleGate>\n";
        },
        [&](const PolygonGate& p) {
          head("PolygonGate", node.id);
          dim(p.dimensions[0], "");
          dim(p.dimensions[1], "");
          for (const auto& v : p.vertices)
            gates << "    <gating:vertex><gating:coordinate data-type:value=\"" << num(v[0])
                  << "\"/><gating:coordinate data-type:value=\"" << num(v[1]) << "\"/></gating:vertex>\n";
          gates << "  </gating:PolygonGate>\n";
        },
        [&](const EllipsoidGate& e) {
          head("EllipsoidGate", node.id);
          for (const auto& d : e.dimensions) dim(d, "");
          gates << "    <gating:mean>";
          for (double m : e.mean) gates << "<gating:coordinate data-type:value=\"" << num(m) << "\"/>";
          gates << "</gating:mean>\n    <gating:covarianceMatrix>\n";
          const std::size_t n = e.dimensions.size();
          for (std::size_t i = 0; i < n; ++i) {
            gates << "      <gating:row>";
            for (std::size_t j = 0; j < n; ++j)
              gates << "<gating:entry data-type:value=\"" << num(e.covariance[i * n + j]) << "\"/>";
            gates << "</gating:row>\n";
          }
          gates << "    </gating:covarianceMatrix>\n    <gating:distanceSquare data-type:value=\""
                << num(e.distance_square) << "\"/>\n  </gating:EllipsoidGate>\n";
        },
        [&](const QuadrantGate& q) {
          head("QuadrantGate", node.id);
          for (const auto& d : q.dividers) {
            const auto x = dimension_xml(d.dimension, table);
            gates << "    <gating:divider gating:id=\"" << esc(d.id) << '"' << x.attributes << ">\n      "
                  << x.child << "\n";
            for (double v : d.values) gates << "      <gating:value>" << num(v) << "</gating:value>\n";
            gates << "    </gating:divider>\n";
          }
          for (const auto& qu : q.quadrants) {
            gates << "    <gating:Quadrant gating:id=\"" << esc(qu.name) << "\">\n";
            for (const auto& p : qu.positions)
              gates << "      <gating:position gating:divider_ref=\"" << esc(p.divider)
                    << "\" gating:location=\"" << num(p.location) << "\"/>\n";
            gates << "    </gating:Quadrant>\n";
          }
          gates << "  </gating:QuadrantGate>\n";
        },
        [&](const BooleanGate& b) {
          head("BooleanGate", node.id);
          const std::string op(to_string(b.op));
          gates << "    <gating:" << op << ">\n";
          for (const auto& o : b.operands) {
            gates << "      <gating:gateReference gating:ref=\"" << esc(o.population) << '"';
            if (o.complement) gates << " gating:use-as-complement=\"true\"";
            gates << "/>\n";
          }
          gates << "    </gating:" << op << ">\n  </gating:BooleanGate>\n";
        },
      }, node.gate);
    } catch (const Error& e) {
      throw Error(e.message(), ErrorContext{node.origin.file, where, node.origin.line, 0});
    }
  }

  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<gating:Gating-ML xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\"\n"
      << "    xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\"\n"
      << "    xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n";
  for (const auto& [id, m] : s.matrices()) {
    const auto& sp = m.spectrum;
    out << "  <transforms:spectrumMatrix transforms:id=\"" << esc(id) << '"';
    if (m.inverted_already) out << " transforms:matrix-inverted-already=\"true\"";
    out << ">\n    <transforms:fluorochromes>\n";
    for (const auto& f : sp.fluorochromes) out << "      <data-type:fcs-dimension data-type:name=\"" << esc(f) << "\"/>\n";
    out << "    </transforms:fluorochromes>\n    <transforms:detectors>\n";
    for (const auto& d : sp.detectors) out << "      <data-type:fcs-dimension data-type:name=\"" << esc(d) << "\"/>\n";
    out << "    </transforms:detectors>\n";
    const std::size_t cols = m.inverted_already ? sp.fluorochromes.size() : sp.detectors.size();
    for (std::size_t i = 0; cols > 0 && i + cols <= sp.values.size(); i += cols) {
      out << "    <transforms:spectrum>";
      for (std::size_t j = 0; j < cols; ++j)
        out << "<transforms:coefficient transforms:value=\"" << num(sp.values[i + j]) << "\"/>";
      out << "</transforms:spectrum>\n";
    }
    out << "  </transforms:spectrumMatrix>\n";
  }
  table.write(out);
  out << gates.str() << "</gating:Gating-ML>\n";
  return out.str();
}

}  // namespace cytopipe::gating
