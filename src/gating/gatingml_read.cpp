// Gating-ML 2.0 import. Transformations and spectrum matrices are collected first (gates may
// refer to ones defined further down), then every gate becomes a GateNode.
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "cytopipe/gating/io.hpp"
#include "gating/xml_safe.hpp"
#include "gating/xml_util.hpp"

namespace cytopipe::gating {
namespace {

using xml::kDataTypeNs;
using xml::kGatingNs;
using xml::kTransformsNs;

struct Reader {
  std::string file;
  std::map<std::string, Scale> scales;
  std::map<std::string, Ratio> ratios;

  [[noreturn]] void fail(const xmlNode* n, const std::string& message,
                         const std::string& where = {}) const {
    throw Error(message, ErrorContext{file, where, n ? xml::line(n) : 0, 0});
  }

  double number(const xmlNode* n, const std::string& text, const std::string& what,
                const std::string& where = {}) const {
    const auto v = xml::number(text);
    if (!v) fail(n, what + " is not a number: '" + text + "'", where);
    return *v;
  }
  double required(const xmlNode* n, const char* ns, const char* attr,
                  const std::string& where = {}) const {
    auto v = xml::attr(n, ns, attr);
    if (!v) fail(n, std::string("missing attribute ") + attr, where);
    return number(n, *v, attr, where);
  }
  std::optional<double> optional(const xmlNode* n, const char* ns, const char* attr,
                                 const std::string& where = {}) const {
    auto v = xml::attr(n, ns, attr);
    if (!v) return std::nullopt;
    return number(n, *v, attr, where);
  }
  std::string fcs_name(const xmlNode* n) const {
    auto v = xml::attr(n, kDataTypeNs, "name");
    if (!v || v->empty()) fail(n, "fcs-dimension without a name");
    return *v;
  }

  void read_transformation(const xmlNode* t) {
    auto id = xml::attr(t, kTransformsNs, "id");
    if (!id || id->empty()) fail(t, "transformation without an id");
    const std::string where = "transformation '" + *id + "'";
    const double lo = optional(t, kTransformsNs, "boundMin", where).value_or(-kUnbounded);
    const double hi = optional(t, kTransformsNs, "boundMax", where).value_or(kUnbounded);
    const auto kids = xml::children(t);
    const xmlNode* f = nullptr;
    for (auto* k : kids)
      if (xml::in_ns(k, kTransformsNs)) f = k;
    if (!f) fail(t, "transformation has no function", where);
    const auto kind = xml::name(f);
    auto p = [&](const char* a) { return required(f, kTransformsNs, a, where); };
    if (kind == "fratio") {
      Ratio r;
      r.id = *id;
      r.A = p("A");
      r.B = p("B");
      r.C = p("C");
      r.bound_min = lo;
      r.bound_max = hi;
      const auto dims = xml::children(f, kDataTypeNs, "fcs-dimension");
      if (dims.size() != 2) fail(f, "fratio needs exactly two fcs-dimension elements", where);
      r.numerator = fcs_name(dims[0]);
      r.denominator = fcs_name(dims[1]);
      ratios[*id] = std::move(r);
      return;
    }
    transform::Transform::Params params;
    if (kind == "flin") params = transform::Flin{p("T"), p("A")};
    else if (kind == "flog") params = transform::Flog{p("T"), p("M")};
    else if (kind == "fasinh") params = transform::Fasinh{p("T"), p("M"), p("A")};
    else if (kind == "logicle") params = transform::Logicle{p("T"), p("W"), p("M"), p("A")};
    else if (kind == "hyperlog") params = transform::Hyperlog{p("T"), p("W"), p("M"), p("A")};
    else fail(f, "unknown transformation '" + std::string(kind) + "'", where);
    try {
      scales[*id] = Scale{*id, transform::Transform(params), lo, hi, nullptr, 0, 0, 0};
    } catch (const Error& e) {
      fail(f, e.message(), where);
    }
  }

  void read_matrix(const xmlNode* m, GatingStrategy& s) {
    auto id = xml::attr(m, kTransformsNs, "id");
    if (!id || id->empty()) fail(m, "spectrumMatrix without an id");
    const std::string where = "spectrumMatrix '" + *id + "'";
    SpectrumMatrix out;
    out.spectrum.keyword = *id;
    out.inverted_already = xml::attr(m, kTransformsNs, "matrix-inverted-already").value_or("") == "true";
    const xmlNode* fl = xml::child(m, kTransformsNs, "fluorochromes");
    const xmlNode* de = xml::child(m, kTransformsNs, "detectors");
    if (!fl || !de) fail(m, "needs fluorochromes and detectors", where);
    for (auto* d : xml::children(fl, kDataTypeNs, "fcs-dimension"))
      out.spectrum.fluorochromes.push_back(fcs_name(d));
    for (auto* d : xml::children(de, kDataTypeNs, "fcs-dimension"))
      out.spectrum.detectors.push_back(fcs_name(d));
    for (auto* row : xml::children(m, kTransformsNs, "spectrum"))
      for (auto* c : xml::children(row, kTransformsNs, "coefficient"))
        out.spectrum.values.push_back(required(c, kTransformsNs, "value", where));
    try {
      s.add_matrix(*id, std::move(out));
    } catch (const Error& e) {
      fail(m, e.message(), where);
    }
  }

  // A gating:dimension or gating:divider: compensation, values (channel or ratio) and scale.
  Dimension read_dimension(const xmlNode* d, const std::string& where) const {
    Dimension out;
    out.compensation = xml::attr(d, kGatingNs, "compensation-ref").value_or(std::string(kUncompensated));
    if (auto t = xml::attr(d, kGatingNs, "transformation-ref")) {
      auto it = scales.find(*t);
      if (it == scales.end()) {
        if (ratios.contains(*t)) fail(d, "transformation '" + *t + "' is a ratio; use it as a new-dimension", where);
        fail(d, "unknown transformation '" + *t + "'", where);
      }
      out.scale = it->second;
    }
    if (const xmlNode* f = xml::child(d, kDataTypeNs, "fcs-dimension")) {
      out.channel = fcs_name(f);
    } else if (const xmlNode* nd = xml::child(d, kDataTypeNs, "new-dimension")) {
      auto t = xml::attr(nd, kDataTypeNs, "transformation-ref");
      if (!t) fail(nd, "new-dimension without a transformation-ref", where);
      auto it = ratios.find(*t);
      if (it == ratios.end()) fail(nd, "new-dimension refers to unknown ratio transformation '" + *t + "'", where);
      out.ratio = it->second;
    } else {
      fail(d, "dimension has neither fcs-dimension nor new-dimension", where);
    }
    return out;
  }

  void read_gate(const xmlNode* g, GatingStrategy& s) {
    auto id = xml::attr(g, kGatingNs, "id");
    if (!id || id->empty()) fail(g, "gate without an id");
    const std::string where = "gate '" + *id + "'";
    GateNode node;
    node.id = *id;
    node.parent = xml::attr(g, kGatingNs, "parent_id").value_or("");
    node.origin = ErrorContext{file, "", xml::line(g), 0};
    const auto kind = xml::name(g);
    if (kind == "RectangleGate") {
      RectangleGate r;
      for (auto* d : xml::children(g, kGatingNs, "dimension")) {
        r.dimensions.push_back(read_dimension(d, where));
        r.intervals.push_back({optional(d, kGatingNs, "min", where), optional(d, kGatingNs, "max", where)});
        if (!r.intervals.back().min && !r.intervals.back().max)
          fail(d, "a rectangle dimension needs min or max", where);
      }
      node.gate = std::move(r);
    } else if (kind == "PolygonGate") {
      const auto dims = xml::children(g, kGatingNs, "dimension");
      if (dims.size() != 2) fail(g, "a polygon gate needs exactly 2 dimensions", where);
      PolygonGate p;
      p.dimensions = {read_dimension(dims[0], where), read_dimension(dims[1], where)};
      for (auto* v : xml::children(g, kGatingNs, "vertex")) {
        const auto c = xml::children(v, kGatingNs, "coordinate");
        if (c.size() != 2) fail(v, "a polygon vertex needs 2 coordinates", where);
        p.vertices.push_back({required(c[0], kDataTypeNs, "value", where),
                              required(c[1], kDataTypeNs, "value", where)});
      }
      node.gate = std::move(p);
    } else if (kind == "EllipsoidGate") {
      EllipsoidGate e;
      for (auto* d : xml::children(g, kGatingNs, "dimension")) e.dimensions.push_back(read_dimension(d, where));
      if (const xmlNode* m = xml::child(g, kGatingNs, "mean"))
        for (auto* c : xml::children(m, kGatingNs, "coordinate"))
          e.mean.push_back(required(c, kDataTypeNs, "value", where));
      if (const xmlNode* m = xml::child(g, kGatingNs, "covarianceMatrix"))
        for (auto* row : xml::children(m, kGatingNs, "row"))
          for (auto* c : xml::children(row, kGatingNs, "entry"))
            e.covariance.push_back(required(c, kDataTypeNs, "value", where));
      const xmlNode* ds = xml::child(g, kGatingNs, "distanceSquare");
      if (!ds) fail(g, "an ellipsoid gate needs distanceSquare", where);
      e.distance_square = required(ds, kDataTypeNs, "value", where);
      node.gate = std::move(e);
    } else if (kind == "QuadrantGate") {
      QuadrantGate q;
      for (auto* d : xml::children(g, kGatingNs, "divider")) {
        Divider div;
        div.id = xml::attr(d, kGatingNs, "id").value_or("");
        if (div.id.empty()) fail(d, "divider without an id", where);
        div.dimension = read_dimension(d, where);
        for (auto* v : xml::children(d, kGatingNs, "value"))
          div.values.push_back(number(v, xml::text(v), "divider value", where));
        q.dividers.push_back(std::move(div));
      }
      for (auto* qu : xml::children(g, kGatingNs, "Quadrant")) {
        Quadrant quadrant;
        quadrant.name = xml::attr(qu, kGatingNs, "id").value_or("");
        if (quadrant.name.empty()) fail(qu, "Quadrant without an id", where);
        for (auto* pos : xml::children(qu, kGatingNs, "position")) {
          auto ref = xml::attr(pos, kGatingNs, "divider_ref");
          if (!ref) fail(pos, "position without divider_ref", where);
          quadrant.positions.push_back({*ref, required(pos, kGatingNs, "location", where)});
        }
        q.quadrants.push_back(std::move(quadrant));
      }
      node.gate = std::move(q);
    } else if (kind == "BooleanGate") {
      BooleanGate b;
      const xmlNode* op = nullptr;
      for (auto* c : xml::children(g))
        if (xml::in_ns(c, kGatingNs) &&
            (xml::name(c) == "and" || xml::name(c) == "or" || xml::name(c) == "not"))
          op = c;
      if (!op) fail(g, "a boolean gate needs and, or or not", where);
      b.op = xml::name(op) == "and" ? BooleanGate::Op::And
             : xml::name(op) == "or" ? BooleanGate::Op::Or
                                     : BooleanGate::Op::Not;
      for (auto* r : xml::children(op, kGatingNs, "gateReference")) {
        auto ref = xml::attr(r, kGatingNs, "ref");
        if (!ref) fail(r, "gateReference without ref", where);
        b.operands.push_back({*ref, xml::attr(r, kGatingNs, "use-as-complement").value_or("") == "true"});
      }
      node.gate = std::move(b);
    } else {
      fail(g, "unknown gate type '" + std::string(kind) + "'", where);
    }
    s.add(std::move(node));
  }
};

}  // namespace

GatingStrategy parse_gatingml(std::string_view text, std::string_view name) {
  Reader reader{std::string(name), {}, {}};
  const xml::Document doc = xml::read_untrusted(text, reader.file, {kMaxStrategyBytes, kMaxGatingMlDepth, "Gating-ML"});
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!xml::is(root, kGatingNs, "Gating-ML"))
    reader.fail(root, "the root element is not gating:Gating-ML (Gating-ML 2.0 namespace)");

  // Gates and transformations are children of the root; elements outside the Gating-ML
  // namespaces (vendor wrappers such as <sample>) are looked through, as other readers do.
  std::vector<xmlNode*> elements;
  std::function<void(const xmlNode*)> collect = [&](const xmlNode* parent) {
    for (auto* n : xml::children(parent)) {
      if (xml::in_ns(n, kGatingNs) || xml::in_ns(n, kTransformsNs) || xml::in_ns(n, kDataTypeNs))
        elements.push_back(n);
      else
        collect(n);
    }
  };
  collect(root);

  GatingStrategy s;
  for (auto* n : elements) {
    if (xml::is(n, kTransformsNs, "transformation")) reader.read_transformation(n);
    else if (xml::is(n, kTransformsNs, "spectrumMatrix")) reader.read_matrix(n, s);
  }
  for (auto* n : elements) {
    if (xml::in_ns(n, kTransformsNs) || xml::in_ns(n, kDataTypeNs)) continue;  // done / custom_info
    if (xml::name(n).ends_with("Gate")) reader.read_gate(n, s);
    else reader.fail(n, "unknown gate type '" + std::string(xml::name(n)) + "'");
  }
  s.validate();
  return s;
}

}  // namespace cytopipe::gating
