// FlowJo workspace import. A <Sample> holds its compensation (spilloverMatrix), the transform of
// each axis (Transformations), its keywords and, under SampleNode, the population tree: nested
// Population elements each with one Gate (Gating-ML 2.0 elements with FlowJo's attributes), and
// And/Or/Not nodes naming the populations they combine (Dependents). Groups list sample ids.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <array>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/input_file.hpp"
#include "gating/xml_safe.hpp"
#include "gating/xml_util.hpp"

namespace cytopipe::gating {
namespace {

using xml::kDataTypeNs;
using xml::kGatingNs;
using xml::kTransformsNs;

// FlowJo's own elements have no namespace; its gates and matrices use the Gating-ML ones. Older
// workspaces used other namespace URIs for the same names, so elements are matched by local name.
bool named(const xmlNode* n, std::string_view local) {
  return n && n->type == XML_ELEMENT_NODE && xml::name(n) == local;
}
// (Walking the child list in place: a sample is read through thousands of these lookups.)
std::vector<xmlNode*> kids(const xmlNode* n, std::string_view local) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n ? n->children : nullptr; c; c = c->next)
    if (named(c, local)) out.push_back(c);
  return out;
}
xmlNode* kid(const xmlNode* n, std::string_view local) {
  for (xmlNode* c = n ? n->children : nullptr; c; c = c->next)
    if (named(c, local)) return c;
  return nullptr;
}
// An attribute with or without a (any) namespace prefix.
std::optional<std::string> attribute(const xmlNode* n, const char* local) {
  for (const xmlAttr* a = n ? n->properties : nullptr; a; a = a->next)
    if (a->name && std::string_view(reinterpret_cast<const char*>(a->name)) == local) {
      // Usually one text node (entities are refused): its text, without libxml2's copy.
      if (const xmlNode* c = a->children; !c) return std::string();
      else if (!c->next && c->type == XML_TEXT_NODE && c->content)
        return std::string(reinterpret_cast<const char*>(c->content));
      xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
      std::string out = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return out;
    }
  return std::nullopt;
}

// The keywords match_samples compares.
constexpr std::array<std::string_view, 6> kMatchingKeywords = {"$FIL", "GUID", "$TOT", "$BTIM", "$ETIM", "$DATE"};
bool matching_keyword(std::string_view key) {
  return std::find(kMatchingKeywords.begin(), kMatchingKeywords.end(), key) != kMatchingKeywords.end();
}

// `model` with every gate's origin line moved by `shift` (a sample read alike another).
GatingStrategy moved_lines(const GatingStrategy& model, int shift) {
  GatingStrategy out;
  out.name = model.name;
  out.description = model.description;
  out.reserve(model.gates().size());
  for (const auto& [id, m] : model.matrices()) out.add_matrix(id, m);
  for (GateNode g : model.gates()) {
    if (g.origin.line > 0) g.origin.line += shift;
    out.add(std::move(g));
  }
  return out;
}

// What a sample holds besides its gates, compensation and transforms, read by this pass so a
// sample whose description (below) equals an earlier one's can take that one's reading instead
// of its own: its keywords, the counts FlowJo stored (SampleNode's and each population-like
// element's under it, in document order, with the element's line) and where its SampleNode is.
struct SampleRest {
  std::string keywords;  // name, NUL, value, NUL, ... (NUL cannot occur in XML text)
  std::optional<std::string> node_count;
  int node_line = 0;
  struct Count {
    std::optional<std::string> count;
    int line = 0;
  };
  std::vector<Count> counts;
  int last_line = 0;         // of the sample's last element start
  std::size_t same_as = 0;   // the first sample of the workspace described alike (itself if none)
};

struct Reader {
  std::string file;
  WorkspaceOptions options;
  // Transforms by their parameters: building one (a logicle's table) costs far more than reading
  // a sample, and every sample of a workspace repeats the same few; copies share the table.
  mutable std::map<std::string, transform::Transform> made;
  mutable std::map<std::array<double, 5>, std::shared_ptr<const transform::FlowJoBiexTable>> tables;

  [[noreturn]] void fail(const xmlNode* n, const std::string& message, const std::string& where = {}) const {
    throw Error(message, ErrorContext{file, where, n ? xml::line(n) : 0, 0});
  }
  double number(const xmlNode* n, const std::string& text, const std::string& what, const std::string& where) const {
    const auto v = xml::number(text);
    if (!v || !std::isfinite(*v)) fail(n, what + " is not a finite number: '" + text + "'", where);
    return *v;
  }
  double required(const xmlNode* n, const char* attr, const std::string& where) const {
    auto v = attribute(n, attr);
    if (!v) fail(n, std::string("<") + std::string(xml::name(n)) + "> needs the attribute " + attr, where);
    return number(n, *v, attr, where);
  }
  std::optional<double> optional(const xmlNode* n, const char* attr, const std::string& where) const {
    auto v = attribute(n, attr);
    if (!v || v->empty()) return std::nullopt;
    return number(n, *v, attr, where);
  }
  std::string parameter_name(const xmlNode* n, const std::string& where) const {
    auto v = attribute(n, "name");
    if (!v || v->empty()) fail(n, "<" + std::string(xml::name(n)) + "> without a name", where);
    return *v;
  }

  // --- compensation -------------------------------------------------------------------------
  void read_matrix(const xmlNode* m, WorkspaceSample& s, const std::string& where) const {
    std::string id = attribute(m, "name").value_or("");
    if (id.empty()) id = attribute(m, "id").value_or("");
    if (id.empty()) fail(m, "spilloverMatrix without a name", where);
    const std::string here = where + ", spilloverMatrix '" + id + "'";
    SpectrumMatrix out;
    out.spectrum.keyword = id;
    const xmlNode* params = kid(m, "parameters");
    if (!params) fail(m, "spilloverMatrix without <parameters>", here);
    for (auto* p : kids(params, "parameter")) out.spectrum.detectors.push_back(parameter_name(p, here));
    const std::size_t n = out.spectrum.detectors.size();
    if (n == 0) fail(params, "spilloverMatrix with no parameters", here);
    out.spectrum.fluorochromes = out.spectrum.detectors;
    const auto rows = kids(m, "spillover");
    if (rows.size() != n)
      fail(m, "spilloverMatrix of " + std::to_string(n) + " parameters has " + std::to_string(rows.size()) +
                  " <spillover> rows (a " + std::to_string(n) + " x " + std::to_string(n) + " matrix is needed)",
           here);
    auto index_of = [&](const xmlNode* at, const std::string& name) {
      for (std::size_t i = 0; i < n; ++i)
        if (out.spectrum.detectors[i] == name) return i;
      fail(at, "'" + name + "' is not one of the matrix's parameters", here);
    };
    out.spectrum.values.assign(n * n, NAN);
    for (auto* row : rows) {
      const auto r = index_of(row, attribute(row, "parameter").value_or(""));
      const auto coefficients = kids(row, "coefficient");
      if (coefficients.size() != n)
        fail(row, "spillover row '" + out.spectrum.detectors[r] + "' has " + std::to_string(coefficients.size()) +
                      " coefficients, the matrix has " + std::to_string(n) + " parameters",
             here);
      for (auto* c : coefficients)
        out.spectrum.values[r * n + index_of(c, attribute(c, "parameter").value_or(""))] =
            required(c, "value", here);
    }
    for (double v : out.spectrum.values)
      if (std::isnan(v)) fail(m, "spilloverMatrix has a row or column given twice and another missing", here);
    s.compensation = id;
    s.comp_prefix = attribute(m, "prefix").value_or("Comp-");
    s.comp_suffix = attribute(m, "suffix").value_or("");
    try {
      s.strategy.add_matrix(id, std::move(out));
    } catch (const Error& e) {
      fail(m, e.message(), here);
    }
  }

  // --- transforms ---------------------------------------------------------------------------
  WorkspaceScale read_scale(const xmlNode* t, const std::string& where) const {
    WorkspaceScale out;
    out.kind = std::string(xml::name(t));
    for (const xmlAttr* a = t->properties; a; a = a->next) {
      const std::string key = reinterpret_cast<const char*>(a->name);
      auto v = attribute(t, key.c_str());
      double d = 0;
      const char* b = v->data();
      auto [ptr, ec] = std::from_chars(b, b + v->size(), d);
      if (ec == std::errc() && ptr == b + v->size()) out.settings[key] = d;
    }
    auto p = [&](const char* name, std::optional<double> fallback = std::nullopt) {
      auto it = out.settings.find(name);
      if (it != out.settings.end()) return it->second;
      if (fallback) return *fallback;
      fail(t, "<" + out.kind + "> needs the attribute " + name, where);
    };
    transform::Transform::Params params;
    const std::string& k = out.kind;
    if (k == "linear") {
      const double lo = p("minRange", 0.0), hi = p("maxRange", 262144.0);
      if (!(hi > lo)) fail(t, "linear transform with maxRange <= minRange", where);
      params = transform::Identity{};  // an affine axis: membership is the same as on data values
    } else if (k == "log") {
      const double offset = p("offset", 1.0), decades = p("decades", 4.5);
      params = transform::Flog{offset * std::pow(10.0, decades), decades};
    } else if (k == "biex") {
      params = transform::FlowJoBiex{p("maxRange", 262144.0), p("width", -10.0), p("pos", 4.5), p("neg", 0.0)};
    } else if (k == "fasinh" || k == "arcsinh") {
      params = transform::Fasinh{p("T", 262144.0), p("M", 4.5), p("A", 0.0)};
    } else if (k == "logicle") {
      params = transform::Logicle{p("T", 262144.0), p("W", 0.5), p("M", 4.5), p("A", 0.0)};
    } else if (k == "hyperlog") {
      params = transform::Hyperlog{p("T", 262144.0), p("W", 0.5), p("M", 4.5), p("A", 0.0)};
    } else {
      fail(t, "unknown FlowJo transform <" + k + ">", where);
    }
    try {
      out.transform = cached(params);
    } catch (const Error& e) {
      fail(t, "<" + k + ">: " + e.message(), where);
    }
    return out;
  }

  transform::Transform cached(const transform::Transform::Params& params) const {
    // The alternative and its parameters' bytes (plain doubles) identify the transform exactly.
    std::string key(1, static_cast<char>(params.index()));
    std::visit(
        [&](const auto& p) {
          if constexpr (!std::is_empty_v<std::decay_t<decltype(p)>>)
            key.append(reinterpret_cast<const char*>(&p), sizeof p);
        },
        params);
    auto it = made.find(key);
    if (it == made.end()) it = made.emplace(key, transform::Transform(params)).first;
    return it->second;
  }

  // --- gates --------------------------------------------------------------------------------
  // A gate dimension: "Comp-PE-A" reads the sample's compensated PE-A.
  Dimension dimension(const xmlNode* d, const WorkspaceSample& s, bool display, const std::string& where) const {
    const xmlNode* f = kid(d, "fcs-dimension");
    if (!f) fail(d, "a gate dimension without <fcs-dimension> (FlowJo ratio dimensions are not supported)", where);
    const std::string name = parameter_name(f, where);
    Dimension out;
    out.channel = name;
    if (!s.compensation.empty() && name.size() > s.comp_prefix.size() + s.comp_suffix.size() &&
        name.starts_with(s.comp_prefix) && name.ends_with(s.comp_suffix) &&
        !(s.comp_prefix.empty() && s.comp_suffix.empty())) {
      const std::string detector =
          name.substr(s.comp_prefix.size(), name.size() - s.comp_prefix.size() - s.comp_suffix.size());
      const auto& m = s.strategy.matrices().at(s.compensation).spectrum;
      if (std::find(m.detectors.begin(), m.detectors.end(), detector) == m.detectors.end())
        fail(f, "gate on '" + name + "', but the compensation matrix '" + s.compensation + "' has no '" + detector + "'",
             where);
      out.channel = detector;
      out.compensation = s.compensation;
    }
    if (display) {
      auto it = s.scales.find(name);
      if (it != s.scales.end()) out.scale.transform = it->second.transform;
    }
    return out;
  }

  // FlowJo tests a polygon on its gate grid: each axis on FlowJo's display (biex through FlowJo's
  // look-up table of 16 channels per display channel, 4096 for length 256; log, arcsinh, logicle,
  // hyperlog on their 0..1 scale; linear from minRange to maxRange with its channels centred on
  // whole multiples of (maxRange - minRange) / resolution) cut into `resolution` channels, events
  // and vertices both replaced by the channel holding them, the polygon test then made on those
  // whole channels. Found on FlowSOM's 68983 (tests/gating/test_flowjo_workspace.cpp): the
  // linear FSC-A/SSC-A polygon at 1024 and the two biex polygons at 256 then exclude exactly the
  // events FlowJo's stored counts (and the rectangles below them) say they exclude.
  void on_gate_grid(Dimension& d, const xmlNode* f, const WorkspaceSample& s, double resolution,
                    const std::string& where) const {
    d.scale.grid_resolution = resolution;
    const auto it = s.scales.find(parameter_name(f, where));
    if (it == s.scales.end() || it->second.kind == "linear") {
      double lo = 0, hi = 262144;  // FlowJo's default linear axis
      if (it != s.scales.end()) {
        const auto& set = it->second.settings;
        if (auto m = set.find("minRange"); m != set.end()) lo = m->second;
        if (auto m = set.find("maxRange"); m != set.end()) hi = m->second;
      }
      d.scale.transform = transform::Transform{};
      d.scale.grid_scale = resolution / (hi - lo);
      d.scale.grid_origin = lo - 0.5 / d.scale.grid_scale;
      return;
    }
    if (it->second.kind == "biex") {
      const auto& set = it->second.settings;
      auto get = [&](const char* key, double fallback) {
        auto m = set.find(key);
        return m == set.end() ? fallback : m->second;
      };
      const double length = get("length", 256);
      if (!(length >= 2 && length <= 65536)) fail(f, "biex length must be 2 .. 65536", where);
      const std::array<double, 5> key{get("maxRange", 262144), get("width", -10), get("pos", 4.5), get("neg", 0),
                                      std::round(length) * 16};
      auto& table = tables[key];
      try {
        if (!table)
          table = std::make_shared<const transform::FlowJoBiexTable>(key[0], key[1], key[2], key[3],
                                                                     static_cast<std::size_t>(key[4]));
      } catch (const Error& e) {
        fail(f, "<biex>: " + e.message(), where);
      }
      d.scale.biex_table = table;
    }
    d.scale.grid_origin = 0;
    d.scale.grid_scale = resolution;
  }

  Gate read_gate(const xmlNode* g, const WorkspaceSample& s, const std::string& where) const {
    const auto kind = xml::name(g);
    const auto dims = kids(g, "dimension");
    const bool grid = options.evaluation == WorkspaceEvaluation::FlowJo;
    if (kind == "RectangleGate") {
      RectangleGate r;
      for (auto* d : dims) {
        r.dimensions.push_back(dimension(d, s, false, where));
        r.intervals.push_back({optional(d, "min", where), optional(d, "max", where)});
        if (!r.intervals.back().min && !r.intervals.back().max)
          fail(d, "a rectangle dimension needs min or max", where);
      }
      if (r.dimensions.empty()) fail(g, "a rectangle gate without dimensions", where);
      return r;
    }
    if (kind == "PolygonGate") {
      if (dims.size() != 2) fail(g, "a polygon gate needs exactly 2 dimensions", where);
      // FlowJo draws a polygon on its axes' transforms, its edges straight there: in both modes
      // the dimensions carry the channel's transform and the vertices are mapped through it (a
      // Gating-ML polygon on transformed dimensions, as FlowKit imports it); the flowjo mode adds
      // FlowJo's gate grid.
      PolygonGate p;
      p.dimensions = {dimension(dims[0], s, true, where), dimension(dims[1], s, true, where)};
      if (grid) {
        if (auto r = attribute(g, "gateResolution"); r && !r->empty()) {
          const double resolution = number(g, *r, "gateResolution", where);
          if (!(resolution >= 1 && resolution <= 1 << 20)) fail(g, "gateResolution must be 1 .. 1048576", where);
          for (int k = 0; k < 2; ++k) on_gate_grid(p.dimensions[k], kid(dims[k], "fcs-dimension"), s, resolution, where);
        }
      }
      for (auto* v : kids(g, "vertex")) {
        const auto c = kids(v, "coordinate");
        if (c.size() != 2) fail(v, "a polygon vertex needs 2 coordinates", where);
        p.vertices.push_back({p.dimensions[0].scale.apply(required(c[0], "value", where)),
                              p.dimensions[1].scale.apply(required(c[1], "value", where))});
      }
      if (p.vertices.size() < 3) fail(g, "a polygon gate needs at least 3 vertices", where);
      return p;
    }
    if (kind == "EllipsoidGate") return read_ellipse(g, dims, s, where);
    if (kind == "QuadrantGate" || kind == "BooleanGate")
      fail(g, "a Gating-ML " + std::string(kind) + " inside a FlowJo population is not supported", where);
    fail(g, "unknown gate type '" + std::string(kind) + "'", where);
  }

  // FlowJo's ellipse: two foci and four edge points (the ends of the major then the minor axis),
  // in display units (0 .. the transform's length, 256). The ellipse is one on the display, so it
  // is evaluated there: on linear axes that is the data space stretched, and the points are
  // mapped back to data values; on other axes the dimensions carry the axis transform.
  // As a Gating-ML ellipsoid: centre, covariance a^2 u u' + b^2 v v', distance 1.
  Gate read_ellipse(const xmlNode* g, const std::vector<xmlNode*>& dims, const WorkspaceSample& s,
                    const std::string& where) const {
    if (dims.size() != 2) fail(g, "a FlowJo ellipse needs exactly 2 dimensions", where);
    EllipsoidGate e;
    e.dimensions = {dimension(dims[0], s, true, where), dimension(dims[1], s, true, where)};
    std::array<std::function<double(double)>, 2> place;
    for (int k = 0; k < 2; ++k) {
      const xmlNode* f = kid(dims[k], "fcs-dimension");
      const auto it = s.scales.find(parameter_name(f, where));
      const WorkspaceScale* scale = it == s.scales.end() ? nullptr : &it->second;
      auto setting = [&](const char* key, double fallback) {
        if (!scale) return fallback;
        auto v = scale->settings.find(key);
        return v == scale->settings.end() ? fallback : v->second;
      };
      const double length = setting("length", 256);
      if (!scale || scale->kind == "linear") {
        const double lo = setting("minRange", 0), hi = setting("maxRange", 262144);
        e.dimensions[k].scale = Scale{};
        place[k] = [=](double c) { return lo + c / length * (hi - lo); };
      } else {
        place[k] = [=](double c) { return c / length; };
      }
    }
    const xmlNode* edge = kid(g, "edge");
    if (!edge) fail(g, "a FlowJo ellipse needs <edge> with 4 vertices", where);
    std::vector<std::array<double, 2>> pts;
    for (auto* v : kids(edge, "vertex")) {
      const auto c = kids(v, "coordinate");
      if (c.size() != 2) fail(v, "an ellipse vertex needs 2 coordinates", where);
      pts.push_back({place[0](required(c[0], "value", where)), place[1](required(c[1], "value", where))});
    }
    if (pts.size() != 4) fail(edge, "a FlowJo ellipse needs 4 edge vertices", where);
    const double cx = (pts[0][0] + pts[1][0]) / 2, cy = (pts[0][1] + pts[1][1]) / 2;
    const double ux = pts[1][0] - pts[0][0], uy = pts[1][1] - pts[0][1];
    const double major = std::hypot(ux, uy) / 2;
    const double minor = std::hypot(pts[3][0] - pts[2][0], pts[3][1] - pts[2][1]) / 2;
    if (!(major > 0) || !(minor > 0)) fail(edge, "a degenerate ellipse (an axis of length 0)", where);
    const double cu = ux / (2 * major), su = uy / (2 * major);  // unit major axis
    const double a2 = major * major, b2 = minor * minor;
    e.mean = {cx, cy};
    e.covariance = {a2 * cu * cu + b2 * su * su, (a2 - b2) * cu * su, (a2 - b2) * cu * su, a2 * su * su + b2 * cu * cu};
    e.distance_square = 1;
    return e;
  }

  // --- population tree ----------------------------------------------------------------------
  // A population read_populations read, in its order: its strategy name, FlowJo path and the
  // ordinal of its element among the population-like elements below the SampleNode (document
  // order, as SampleRest::counts holds their counts).
  struct CountSlot {
    std::string unique;
    std::string path;
    std::size_t ordinal = 0;
  };
  mutable std::vector<CountSlot>* slots_ = nullptr;
  mutable std::unordered_map<const xmlNode*, std::size_t> ordinals_;

  struct Node {
    std::string unique;   // the population's name in the strategy
    std::string path;     // FlowJo path "A/B/C"
  };

  // A unique strategy name: the FlowJo name, or parent/name when the name is taken.
  std::string unique_name(const WorkspaceSample& s, const std::string& name, const std::string& parent) const {
    auto taken = [&](const std::string& n) {
      for (const auto& g : s.strategy.gates())
        if (g.id == n) return true;
      return false;
    };
    if (!taken(name)) return name;
    std::string candidate = parent.empty() ? name : parent + "/" + name;
    for (int i = 2; taken(candidate); ++i) candidate = name + " #" + std::to_string(i);
    return candidate;
  }

  void read_populations(const xmlNode* parent_el, const std::string& parent, const std::string& parent_path,
                        WorkspaceSample& s, std::vector<Node>& nodes,
                        std::vector<std::pair<const xmlNode*, Node>>& booleans, const std::string& where) const {
    const xmlNode* subs = kid(parent_el, "Subpopulations");
    if (!subs) return;
    for (auto* p : xml::children(subs)) {
      const auto kind = xml::name(p);
      const bool is_boolean = kind == "AndNode" || kind == "OrNode" || kind == "NotNode";
      if (kind != "Population" && !is_boolean) {
        if (kind == "Statistic" || kind == "Graph") continue;
        continue;  // FlowJo keeps other node kinds here (statistics, layouts): not gates
      }
      const std::string name = attribute(p, "name").value_or("");
      if (name.empty()) fail(p, "a population without a name", where);
      const std::string path = parent_path.empty() ? name : parent_path + "/" + name;
      const std::string here = where + ", population '" + path + "'";
      Node node{unique_name(s, name, parent), path};
      if (slots_) slots_->push_back({node.unique, path, ordinals_.at(p)});
      if (auto c = attribute(p, "count"); c && !c->empty())
        s.stored_counts[node.unique] = static_cast<long long>(number(p, *c, "count", here));
      if (is_boolean) {
        // Operands may be defined later in the tree: added once every population is known.
        GateNode g;
        g.id = node.unique;
        g.parent = parent;
        g.origin = ErrorContext{file, "", xml::line(p), 0};
        BooleanGate b;
        b.op = kind == "AndNode" ? BooleanGate::Op::And : kind == "OrNode" ? BooleanGate::Op::Or : BooleanGate::Op::Not;
        g.gate = b;
        s.strategy.add(std::move(g));
        booleans.emplace_back(p, node);
      } else {
        const xmlNode* gate_el = kid(p, "Gate");
        if (!gate_el) fail(p, "population without a <Gate>", here);
        const auto inner = xml::children(gate_el);
        if (inner.size() != 1) fail(gate_el, "<Gate> must hold exactly one gate element", here);
        GateNode g;
        g.id = node.unique;
        g.parent = parent;
        g.origin = ErrorContext{file, "", xml::line(inner[0]), 0};
        g.gate = read_gate(inner[0], s, here);
        g.exclude = attribute(inner[0], "eventsInside") == std::optional<std::string>("0");
        try {
          s.strategy.add(std::move(g));
        } catch (const Error& e) {
          fail(p, e.message(), here);
        }
      }
      nodes.push_back(node);
      read_populations(p, node.unique, path, s, nodes, booleans, where);
    }
  }

  // How many populations (gates and boolean nodes) the tree under `parent_el` holds.
  static std::size_t populations_below(const xmlNode* parent_el) {
    std::size_t n = 0;
    if (const xmlNode* subs = kid(parent_el, "Subpopulations"))
      for (const xmlNode* p = subs->children; p; p = p->next)
        if (named(p, "Population") || named(p, "AndNode") || named(p, "OrNode") || named(p, "NotNode"))
          n += 1 + populations_below(p);
    return n;
  }

  // A Dependent names a population by its FlowJo path, or the tail of it.
  std::string resolve(const xmlNode* at, const std::string& ref, const std::vector<Node>& nodes,
                      const std::string& where) const {
    std::string r = ref;
    while (r.starts_with("/")) r.erase(0, 1);
    std::vector<const Node*> hits;
    for (const auto& n : nodes)
      if (n.path == r || n.path.ends_with("/" + r)) hits.push_back(&n);
    if (hits.size() == 1) return hits[0]->unique;
    if (hits.empty()) fail(at, "boolean operand '" + ref + "' names no population of the sample", where);
    fail(at, "boolean operand '" + ref + "' names " + std::to_string(hits.size()) + " populations", where);
  }

  // `slots`, when given: every population read, for read_alike.
  WorkspaceSample read_sample(const xmlNode* el, std::vector<CountSlot>* slots = nullptr) const {
    slots_ = slots;
    ordinals_.clear();
    if (slots)
      if (const xmlNode* node = kid(el, "SampleNode")) {
        // Document order: the population-like elements below the SampleNode, as the scan counts them.
        std::vector<const xmlNode*> todo{node};
        while (!todo.empty()) {
          const xmlNode* n = todo.back();
          todo.pop_back();
          if (n != node && (named(n, "Population") || named(n, "AndNode") || named(n, "OrNode") || named(n, "NotNode")))
            ordinals_.emplace(n, ordinals_.size());
          std::vector<const xmlNode*> below;
          for (const xmlNode* c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE) below.push_back(c);
          todo.insert(todo.end(), below.rbegin(), below.rend());
        }
      }
    WorkspaceSample s;
    s.line = xml::line(el);
    const xmlNode* node = kid(el, "SampleNode");
    const xmlNode* data = kid(el, "DataSet");
    if (data) {
      s.uri = attribute(data, "uri").value_or("");
      s.id = attribute(data, "sampleID").value_or("");
    }
    if (node) {
      s.name = attribute(node, "name").value_or("");
      if (s.id.empty()) s.id = attribute(node, "sampleID").value_or("");
    }
    const std::string where = "sample '" + (s.name.empty() ? s.id : s.name) + "'";
    if (!node) fail(el, "<Sample> without a <SampleNode>", where);
    if (const xmlNode* kw = kid(el, "Keywords"))
      for (auto* k : kids(kw, "Keyword"))
        if (std::string key = attribute(k, "name").value_or(""); options.all_keywords || matching_keyword(key))
          s.keywords[std::move(key)] = attribute(k, "value").value_or("");
    if (const xmlNode* m = kid(el, "spilloverMatrix")) read_matrix(m, s, where);
    if (const xmlNode* ts = kid(el, "Transformations"))
      for (auto* t : xml::children(ts)) {
        const xmlNode* p = kid(t, "parameter");
        if (!p) fail(t, "a transform without <parameter>", where);
        s.scales[parameter_name(p, where)] = read_scale(t, where);
      }
    if (auto c = attribute(node, "count"); c && !c->empty()) s.stored_total = static_cast<long long>(number(node, *c, "count", where));
    std::vector<Node> nodes;
    std::vector<std::pair<const xmlNode*, Node>> booleans;
    s.strategy.reserve(populations_below(node));  // gates are large: added without moving
    read_populations(node, "", "", s, nodes, booleans, where);
    for (const auto& [el_b, n] : booleans) {
      const std::string here = where + ", population '" + n.path + "'";
      const xmlNode* deps = kid(el_b, "Dependents");
      if (!deps) fail(el_b, "a boolean node without <Dependents>", here);
      const GateNode* g = s.strategy.find_gate(n.unique);
      BooleanGate b = std::get<BooleanGate>(g->gate);
      for (auto* d : kids(deps, "Dependent"))
        b.operands.push_back({resolve(d, attribute(d, "name").value_or(""), nodes, here), false});
      if (b.op == BooleanGate::Op::Not && b.operands.size() != 1)
        fail(el_b, "a Not node needs exactly one dependent", here);
      if (b.operands.empty()) fail(el_b, "a boolean node without dependents", here);
      s.strategy.replace(n.unique, std::move(b));
    }
    try {
      s.strategy.validate();
    } catch (const Error& e) {
      fail(el, e.message(), where);
    }
    s.read_in_full = true;
    slots_ = nullptr;
    return s;
  }

  // A sample described as `model` is (IdentityScan::describe): read_sample would read it into
  // model's gates, compensation and transforms, each gate's origin line moved as far as the
  // sample's SampleNode is from model's, with its own identity (in `s`), keywords and stored
  // counts (`rest`), which are all it can differ in, and fail only on a stored count that is not
  // a number. Lines as libxml2 gives them below 65535 only (the caller's condition).
  WorkspaceSample read_alike(WorkspaceSample s, const SampleRest& rest, const WorkspaceSample& model,
                             std::size_t model_index, const SampleRest& model_rest,
                             const std::vector<CountSlot>& slots) const {
    const std::string where = "sample '" + (s.name.empty() ? s.id : s.name) + "'";
    auto count = [&](const std::string& text, int line, const std::string& here) {
      const auto v = xml::number(text);
      if (!v || !std::isfinite(*v))
        throw Error("count is not a finite number: '" + text + "'", ErrorContext{file, here, line, 0});
      return static_cast<long long>(*v);
    };
    for (std::size_t at = 0; at < rest.keywords.size();) {
      const std::size_t name_end = rest.keywords.find('\0', at);
      const std::size_t value_end = rest.keywords.find('\0', name_end + 1);
      if (std::string key = rest.keywords.substr(at, name_end - at); options.all_keywords || matching_keyword(key))
        s.keywords[std::move(key)] = rest.keywords.substr(name_end + 1, value_end - name_end - 1);
      at = value_end + 1;
    }
    s.compensation = model.compensation;
    s.comp_prefix = model.comp_prefix;
    s.comp_suffix = model.comp_suffix;
    s.scales = model.scales;
    if (rest.node_count && !rest.node_count->empty()) s.stored_total = count(*rest.node_count, rest.node_line, where);
    for (const auto& slot : slots) {
      const auto& c = rest.counts.at(slot.ordinal);
      if (c.count && !c.count->empty())
        s.stored_counts[slot.unique] = count(*c.count, c.line, where + ", population '" + slot.path + "'");
    }
    const int shift = rest.node_line - model_rest.node_line;
    if (options.share_alike) {
      s.alike_of = model_index;
      s.alike_line_shift = shift;
    } else {
      s.strategy = moved_lines(model.strategy, shift);
    }
    s.read_in_full = true;
    return s;
  }
};

std::string file_name_of(std::string_view uri_or_path) {
  const auto slash = uri_or_path.find_last_of("/\\");
  std::string name(slash == std::string_view::npos ? uri_or_path : uri_or_path.substr(slash + 1));
  // percent-encoded spaces etc. in file: URIs
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size() && std::isxdigit(static_cast<unsigned char>(name[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(name[i + 2]))) {
      out += static_cast<char>(std::stoi(name.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

}  // namespace

const WorkspaceSample* Workspace::find_sample(std::string_view id) const {
  for (const auto& s : samples)
    if (s.id == id) return &s;
  return nullptr;
}

GatingStrategy Workspace::strategy_of(const WorkspaceSample& sample) const {
  if (!sample.alike_of) return sample.strategy;
  return moved_lines(samples.at(*sample.alike_of).strategy, sample.alike_line_shift);
}

std::vector<const WorkspaceSample*> Workspace::group(std::string_view name) const {
  std::vector<const WorkspaceSample*> out;
  if (name.empty()) {
    for (const auto& s : samples) out.push_back(&s);
    return out;
  }
  for (const auto& g : groups)
    if (g.name == name) {
      for (const auto& id : g.sample_ids)
        if (const auto* s = find_sample(id)) out.push_back(s);
      return out;
    }
  std::string known;
  for (const auto& g : groups) known += (known.empty() ? "'" : ", '") + g.name + "'";
  throw Error("no group '" + std::string(name) + "' in the workspace; its groups: " + known, ErrorContext{file, "group"});
}

namespace {


// The first pass: groups and every sample's identity, element by element, as read_sample and
// the group loop below would find them in the tree (the first <Groups>, <SampleList>, <Group>,
// <SampleRefs>, <DataSet>, <SampleNode> and <Keywords> of their parents).
class IdentityScan {
 public:
  IdentityScan(std::string file, const WorkspaceOptions& options)
      : all_keywords_(options.all_keywords), scanned_(options.scanned) {
    ws_.file = std::move(file);
  }

  void start(const xml::Element& e) {
    std::string_view n = e.name;
    auto value = [&](std::string_view key) { return std::string(e.attribute(key).value_or("")); };
    open_.resize(e.depth + 1);
    open_[e.depth] = Open::Other;
    const Open parent = e.depth > 1 ? open_[e.depth - 1] : Open::Other;
    if (sample_depth_ && e.depth > sample_depth_) describe(e, parent);
    if (e.depth == 1) {
      if (n != "Workspace")
        throw Error("the root element is not <Workspace> (not a FlowJo workspace)", ErrorContext{ws_.file, "", e.line, 0});
      root_line_ = e.line;
      ws_.flowjo_version = e.attribute("flowJoVersion") ? value("flowJoVersion") : value("version");
      open_[1] = Open::Root;
    } else if (parent == Open::Root && n == "Groups" && !seen_groups_) {
      seen_groups_ = true;
      open_[e.depth] = Open::Groups;
    } else if (parent == Open::Root && n == "SampleList" && !seen_list_) {
      seen_list_ = true;
      open_[e.depth] = Open::SampleList;
    } else if (parent == Open::Groups && n == "GroupNode") {
      ws_.groups.push_back({value("name"), {}});
      first_ = {};
      open_[e.depth] = Open::GroupNode;
    } else if (parent == Open::GroupNode && n == "Group" && !first_.group) {
      first_.group = true;
      open_[e.depth] = Open::Group;
    } else if (parent == Open::Group && n == "SampleRefs" && !first_.refs) {
      first_.refs = true;
      open_[e.depth] = Open::SampleRefs;
    } else if (parent == Open::SampleRefs && n == "SampleRef") {
      ws_.groups.back().sample_ids.push_back(value("sampleID"));
    } else if (parent == Open::SampleList && n == "Sample") {
      ws_.samples.emplace_back().line = e.line;
      sample_offsets_.push_back(e.offset());
      first_ = {};
      data_id_.clear();
      node_id_.clear();
      open_[e.depth] = Open::Sample;
      sample_depth_ = e.depth;
      rest_.emplace_back();
      used_ = 0;
    } else if (parent == Open::Sample && n == "DataSet" && !first_.data) {
      first_.data = true;
      ws_.samples.back().uri = value("uri");
      data_id_ = value("sampleID");
    } else if (parent == Open::Sample && n == "SampleNode" && !first_.node) {
      first_.node = true;
      ws_.samples.back().name = value("name");
      node_id_ = value("sampleID");
      open_[e.depth] = Open::SampleNode;
      node_depth_ = e.depth;
      rest_.back().node_line = e.line;
      if (auto c = e.attribute("count")) rest_.back().node_count = std::string(*c);
    } else if (parent == Open::Sample && n == "Keywords" && !first_.keywords) {
      first_.keywords = true;
      open_[e.depth] = Open::Keywords;
    } else if (parent == Open::Keywords && n == "Keyword") {
      // What matching files uses, in the identity; every keyword, as read_sample would read it,
      // for a sample whose gates are another's (SampleRest).
      const auto key = e.attribute("name").value_or("");
      const auto v = e.attribute("value").value_or("");
      const bool matching = matching_keyword(key);
      if (matching) ws_.samples.back().keywords[std::string(key)] = std::string(v);
      if (matching || all_keywords_) {
        auto& k = rest_.back().keywords;
        k.append(key).push_back('\0');
        k.append(v).push_back('\0');
      }
    }
  }

  void end(std::size_t depth) {
    if (open_[depth] == Open::SampleNode) node_depth_ = 0;
    if (open_[depth] == Open::Sample) {
      ws_.samples.back().id = data_id_.empty() ? node_id_ : data_id_;
      sample_depth_ = 0;
      classify();
      if (scanned_) scanned_(ws_.samples.size() - 1, ws_.samples.back(), rest_.back().same_as);
    }
  }

  const std::vector<SampleRest>& rest() const { return rest_; }

  // Where each <Sample>'s start tag is in the text (before its '>').
  const std::vector<std::size_t>& sample_offsets() const { return sample_offsets_; }

  Workspace finish() {
    if (!seen_list_) throw Error("the workspace has no <SampleList>", ErrorContext{ws_.file, "", root_line_, 0});
    for (const auto& g : ws_.groups)
      for (const auto& id : g.sample_ids)
        if (!ws_.find_sample(id))
          throw Error("group '" + g.name + "' refers to sample " + id + ", which the workspace does not hold",
                      ErrorContext{ws_.file, "group"});
    return std::move(ws_);
  }

 private:
  enum class Open { Other, Root, Groups, GroupNode, Group, SampleRefs, SampleList, Sample, SampleNode, Keywords };
  // Every element of a <Sample> below it, in document order, as read_sample reads it: its depth,
  // local name and attributes (by local name, in order), except what SampleRest holds (the first
  // <Keywords>, the first DataSet's uri and sampleID, the first SampleNode's name, sampleID and
  // count, the count of each population-like element below that SampleNode); below the
  // SampleNode, each element's line relative to the SampleNode's (a gate's origin line). Two
  // samples described alike are read into the same gates, compensation and transforms.
  void describe(const xml::Element& e, Open parent) {
    SampleRest& r = rest_.back();
    r.last_line = e.line;
    if ((parent == Open::Sample && e.name == "Keywords" && !first_.keywords) || in_keywords(e.depth)) return;
    const bool first_data = parent == Open::Sample && e.name == "DataSet" && !first_.data;
    const bool first_node = parent == Open::Sample && e.name == "SampleNode" && !first_.node;
    const bool below_node = node_depth_ && e.depth > node_depth_;
    const bool population = below_node && (e.name == "Population" || e.name == "AndNode" || e.name == "OrNode" ||
                                           e.name == "NotNode");
    if (population) {
      auto c = e.attribute("count");
      r.counts.push_back({c ? std::optional<std::string>(std::string(*c)) : std::nullopt, e.line});
    }
    auto skipped = [&](const xml::Attribute& a) {
      return (first_data && (a.name == "uri" || a.name == "sampleID")) ||
             (first_node && (a.name == "name" || a.name == "sampleID" || a.name == "count")) ||
             (population && a.name == "count");
    };
    // Written in one piece (this runs for every element of every sample): the depth, the name,
    // the number of attributes, each one's name and value (each with its length), and below the
    // SampleNode the line.
    std::size_t n = 3 * sizeof(std::uint32_t) + e.name.size() + (below_node ? sizeof(int) : 0);
    std::uint32_t attributes = 0;
    for (const auto& a : e.attributes)
      if (!skipped(a)) {
        n += 2 * sizeof(std::uint32_t) + a.name.size() + a.value.size();
        ++attributes;
      }
    char* out = room(n);
    auto raw = [&](const auto& v) {
      std::memcpy(out, &v, sizeof v);
      out += sizeof v;
    };
    auto put = [&](std::string_view v) {
      raw(static_cast<std::uint32_t>(v.size()));
      std::memcpy(out, v.data(), v.size());
      out += v.size();
    };
    raw(static_cast<std::uint32_t>(e.depth - sample_depth_));
    put(e.name);
    raw(attributes);
    for (const auto& a : e.attributes)
      if (!skipped(a)) {
        put(a.name);
        put(a.value);
      }
    if (below_node) raw(e.line - r.node_line);
  }
  char* room(std::size_t n) {
    if (used_ + n > described_.size()) described_.resize(std::max(2 * described_.size(), used_ + n + 4096));
    char* at = described_.data() + used_;
    used_ += n;
    return at;
  }
  bool in_keywords(std::size_t depth) const {
    for (std::size_t d = sample_depth_ + 1; d < depth && d < open_.size(); ++d)
      if (open_[d] == Open::Keywords) return true;
    return false;
  }
  // The sample just ended: the same as the first earlier sample described alike, if any.
  void classify() {
    SampleRest& r = rest_.back();
    r.same_as = rest_.size() - 1;
    const std::string_view described(described_.data(), used_);
    auto& heads = alike_[std::hash<std::string_view>{}(described)];
    for (std::size_t h : heads)
      if (descriptions_[h] == described) {
        r.same_as = h;
        return;
      }
    heads.push_back(r.same_as);
    descriptions_[r.same_as] = std::string(described);
  }

  Workspace ws_;
  std::vector<Open> open_;  // what each open element is, by depth
  int root_line_ = 0;
  bool seen_groups_ = false, seen_list_ = false;
  struct Firsts {
    bool group = false, refs = false, data = false, node = false, keywords = false;
  } first_;
  std::string data_id_, node_id_;
  std::vector<std::size_t> sample_offsets_;
  bool all_keywords_;  // SampleRest::keywords holds every keyword, else those matching uses
  const std::function<void(std::size_t, const WorkspaceSample&, std::size_t)>& scanned_;
  std::size_t sample_depth_ = 0, node_depth_ = 0;  // of the open <Sample> / its first SampleNode, 0 none
  std::vector<SampleRest> rest_;                   // per sample
  std::string described_;                          // the open sample's description (its first
  std::size_t used_ = 0;                           // used_ bytes)
  std::unordered_map<std::size_t, std::vector<std::size_t>> alike_;  // description hash -> first samples
  std::unordered_map<std::size_t, std::string> descriptions_;        // of those first samples
};

}  // namespace

SampleChooser every_sample() {
  return [](const Workspace& ws) {
    std::vector<std::size_t> all(ws.samples.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  };
}

SampleChooser samples_of_group(std::string group) {
  return [group = std::move(group)](const Workspace& ws) {
    std::vector<std::size_t> out;
    for (const auto* s : ws.group(group)) out.push_back(static_cast<std::size_t>(s - ws.samples.data()));
    return out;
  };
}

namespace {

// The elements a reading of chosen samples builds: the root, the first <SampleList> and, of its
// <Sample>s, what `choose(i)` says for the i-th (HandOver, LeaveOut or Stop); a handed-over
// sample without its <Keywords> (hundreds of elements) when only those matching uses are kept
// (the first pass holds them; read_sample reads none).
template <class Choose>
xml::ElementFilter chosen_samples(const WorkspaceOptions& options, Choose choose) {
  return [all_keywords = options.all_keywords, choose = std::move(choose), list_seen = false, in_list = false,
          sample = std::size_t{0}](std::string_view n, std::size_t depth) mutable {
    using xml::Keep;
    if (depth == 1) return Keep::Build;
    if (depth == 2) {
      in_list = n == "SampleList" && !list_seen;
      list_seen = list_seen || in_list;
      return in_list ? Keep::Build : Keep::LeaveOut;
    }
    if (depth == 3) {
      if (!in_list || n != "Sample") return Keep::LeaveOut;
      const Keep keep = choose(sample);
      if (keep != Keep::Stop) ++sample;
      return keep;
    }
    if (depth == 4 && !all_keywords && n == "Keywords") return Keep::LeaveOut;
    return Keep::Build;
  };
}

Workspace read_workspace(const xml::Input& input, std::string_view name, const WorkspaceOptions& options,
                         const SampleChooser& choose) {
  const xml::UntrustedLimits limits{kMaxWorkspaceBytes, kMaxWorkspaceDepth, "FlowJo workspace"};
  IdentityScan scan{std::string(name), options};
  xml::scan_untrusted(input, std::string(name), limits,
                      {[&](const xml::Element& e) { scan.start(e); },
                       [&](std::size_t depth) { scan.end(depth); }});
  Workspace ws = scan.finish();

  std::vector<std::size_t> chosen = choose(ws);
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  if (!chosen.empty() && chosen.back() >= ws.samples.size())
    throw std::out_of_range("SampleChooser: sample index out of range");
  if (chosen.empty()) return ws;

  // A chosen sample described as an earlier chosen one (its model; FlowJo's group gating gives
  // every sample of a group the same gates) takes the model's reading (read_alike) instead of
  // being built and read again: only the others are read in full. Within libxml2's exact lines
  // (below 65535) only, where a gate's origin line is the scan's.
  const auto& rest = scan.rest();
  constexpr int kExactLines = 65535;
  std::vector<std::size_t> full;                              // read in full, in order
  std::vector<std::pair<std::size_t, std::size_t>> alike;     // (sample, its model), in order
  std::unordered_map<std::size_t, std::size_t> model_of;      // description -> first chosen sample
  for (std::size_t c : chosen) {
    const auto [it, first] = model_of.emplace(rest[c].same_as, c);
    if (!first && rest[it->second].last_line < kExactLines && rest[c].last_line < kExactLines)
      alike.emplace_back(c, it->second);
    else
      full.push_back(c);
  }
  std::unordered_map<std::size_t, std::vector<Reader::CountSlot>> slots;  // per model
  for (const auto& [c, model] : alike) slots[model];
  Reader reader{ws.file, options, {}, {}, nullptr, {}};
  // In document order, as read_sample would have met them: the alike samples before `before`.
  std::size_t next_alike = 0;
  auto read_alike_before = [&](std::size_t before) {
    for (; next_alike < alike.size() && alike[next_alike].first < before; ++next_alike) {
      const auto [c, model] = alike[next_alike];
      WorkspaceSample identity = std::move(ws.samples[c]);
      identity.keywords.clear();
      ws.samples[c] =
          reader.read_alike(std::move(identity), rest[c], ws.samples[model], model, rest[model], slots.at(model));
    }
  };

  // The second pass builds the root, its first <SampleList> and the samples read in full only,
  // and reads the text only up to the start tag of the sample after the last of those (the rest
  // was checked by the first pass).
  using xml::Keep;
  xml::Input head = input;
  if (const std::size_t after = full.back() + 1; after < scan.sample_offsets().size())
    head.limit = scan.sample_offsets()[after] + 2;  // + "/>"
  std::size_t next = 0;
  // Each sample is read as soon as its subtree is complete, then freed.
  xml::read_untrusted(
      head, ws.file, limits,
      chosen_samples(options,
                     [&](std::size_t sample) {
                       if (next == full.size()) return Keep::Stop;
                       if (full[next] != sample) return Keep::LeaveOut;
                       ++next;
                       return Keep::HandOver;
                     }),
      [&](const xmlNode* el) {
        const std::size_t c = full[next - 1];
        read_alike_before(c);
        WorkspaceSample& s = ws.samples[c];
        const int line = s.line;  // the first pass's line is exact beyond libxml2's 65535-line node limit
        std::map<std::string, std::string> matching = std::move(s.keywords);
        const auto model = slots.find(c);
        s = reader.read_sample(el, model == slots.end() ? nullptr : &model->second);
        s.line = line;
        if (!options.all_keywords) s.keywords = std::move(matching);
      });
  if (next != full.size())
    throw Error("the workspace changed while it was read (its second reading holds fewer samples)",
                ErrorContext{ws.file, "", 0, 0});
  read_alike_before(ws.samples.size());
  return ws;
}

}  // namespace

Workspace parse_workspace(std::string_view text, std::string_view name, const WorkspaceOptions& options,
                          const SampleChooser& choose) {
  return read_workspace(xml::Input{text, {}, std::string_view::npos}, name, options, choose);
}

Workspace load_workspace(const std::filesystem::path& file, const WorkspaceOptions& options, const SampleChooser& choose) {
  require_regular_file(file, "FlowJo workspace");
  if (const auto size = std::filesystem::file_size(file); size > kMaxWorkspaceBytes)
    throw Error("a FlowJo workspace of " + std::to_string(size) + " bytes is larger than the limit of " +
                    std::to_string(kMaxWorkspaceBytes) + " bytes",
                ErrorContext{file.string(), "", 0, 0});
  // Read from the file piece by piece, twice, rather than held whole (the parser's reading).
  return read_workspace(xml::Input{{}, file, std::string_view::npos}, file.string(), options, choose);
}

WorkspaceSample load_workspace_sample(const std::filesystem::path& file, std::size_t index,
                                      const WorkspaceOptions& options) {
  require_regular_file(file, "FlowJo workspace");
  const xml::UntrustedLimits limits{kMaxWorkspaceBytes, kMaxWorkspaceDepth, "FlowJo workspace"};
  Reader reader{file.string(), options, {}, {}, nullptr, {}};
  std::optional<WorkspaceSample> out;
  using xml::Keep;
  std::size_t seen = 0;  // samples in the list, as far as it was read
  // As read_workspace's second pass chooses the one sample (the same elements built).
  xml::read_untrusted(xml::Input{{}, file, std::string_view::npos}, file.string(), limits,
                      chosen_samples(options,
                                     [&](std::size_t sample) {
                                       if (sample > index) return Keep::Stop;
                                       seen = sample + 1;
                                       return sample == index ? Keep::HandOver : Keep::LeaveOut;
                                     }),
                      [&](const xmlNode* el) { out = reader.read_sample(el); });
  if (!out)
    throw Error("the workspace holds no sample " + std::to_string(index + 1) + " (it holds " + std::to_string(seen) + ")",
                ErrorContext{file.string(), "", 0, 0});
  return std::move(*out);
}

SampleMatch match_samples(std::span<const WorkspaceSample* const> candidates, std::span<const fcs::Sample> metadata) {
  SampleMatch out;
  out.sample_of_file.assign(metadata.size(), std::nullopt);
  std::vector<bool> used(candidates.size(), false);
  auto kw = [](const WorkspaceSample& s, const char* k) -> std::string {
    auto it = s.keywords.find(k);
    return it == s.keywords.end() ? std::string() : it->second;
  };
  auto file_kw = [](const fcs::Sample& f, const char* k) -> std::string {
    auto v = f.keywords.find(k);
    return v ? std::string(*v) : std::string();
  };
  // Pass 1: the file's name; pass 2: the file's $FIL; pass 3: identifying keywords.
  const std::vector<std::function<bool(const fcs::Sample&, const WorkspaceSample&)>> rules = {
      [&](const fcs::Sample& f, const WorkspaceSample& s) {
        const std::string n = file_name_of(f.source);
        return n == kw(s, "$FIL") || n == s.name || (!s.uri.empty() && n == file_name_of(s.uri));
      },
      [&](const fcs::Sample& f, const WorkspaceSample& s) {
        const std::string fil = file_kw(f, "$FIL");
        return !fil.empty() && (fil == kw(s, "$FIL") || fil == s.name);
      },
      [&](const fcs::Sample& f, const WorkspaceSample& s) {
        if (const std::string g = file_kw(f, "GUID"); !g.empty() && g == kw(s, "GUID")) return true;
        const std::string tot = file_kw(f, "$TOT");
        if (tot.empty() || tot != kw(s, "$TOT")) return false;
        int same = 0;
        for (const char* k : {"$BTIM", "$ETIM", "$DATE"}) {
          const std::string a = file_kw(f, k), b = kw(s, k);
          if (a.empty() || b.empty()) continue;
          if (a != b) return false;
          ++same;
        }
        return same >= 2;
      }};
  for (const auto& rule : rules)
    for (std::size_t f = 0; f < metadata.size(); ++f) {
      if (out.sample_of_file[f]) continue;
      std::optional<std::size_t> hit;
      for (std::size_t c = 0; c < candidates.size(); ++c)
        if (!used[c] && rule(metadata[f], *candidates[c])) {
          hit = c;
          break;
        }
      if (hit) {
        out.sample_of_file[f] = hit;
        used[*hit] = true;
      }
    }
  for (std::size_t f = 0; f < metadata.size(); ++f)
    if (!out.sample_of_file[f]) out.unmatched_files.push_back(metadata[f].source);
  for (std::size_t c = 0; c < candidates.size(); ++c)
    if (!used[c]) out.unmatched_samples.push_back(candidates[c]->name.empty() ? candidates[c]->id : candidates[c]->name);
  return out;
}

fcs::Sample matching_metadata(const fcs::Sample& file) {
  fcs::Sample out;
  out.source = file.source;
  out.channels = file.channels;
  for (const auto key : kMatchingKeywords)
    if (const auto v = file.keywords.find(key)) out.keywords.set(key, std::string(*v));
  return out;
}

std::string SampleMatch::report() const {
  std::string out;
  for (const auto& f : unmatched_files) out += "no workspace sample matches the file " + f + "\n";
  // A workspace of hundreds of samples run on a few files: the first few, then how many more.
  constexpr std::size_t kListed = 10;
  for (std::size_t i = 0; i < unmatched_samples.size() && i < kListed; ++i)
    out += "no file matches the workspace sample '" + unmatched_samples[i] + "'\n";
  if (unmatched_samples.size() > kListed)
    out += "... and " + std::to_string(unmatched_samples.size() - kListed) + " more workspace samples no file matches\n";
  return out;
}

GatingStrategy group_strategy(const Workspace& workspace, std::string_view group) {
  const auto samples = workspace.group(group);
  const std::string where = group.empty() ? std::string("workspace") : "group '" + std::string(group) + "'";
  if (samples.empty()) throw Error(where + " holds no sample", ErrorContext{workspace.file, "group"});
  for (const auto* s : samples)
    if (!s->read_in_full)
      throw std::logic_error("group_strategy: sample '" + s->name + "' was not read in full (samples_of_group)");
  const GatingStrategy& first = workspace.gates_of(*samples.front());
  for (const auto* s : samples) {
    const auto& a = first.gates();
    const auto& b = workspace.gates_of(*s).gates();
    std::string differs;
    if (a.size() != b.size()) differs = std::to_string(b.size()) + " gates instead of " + std::to_string(a.size());
    for (std::size_t i = 0; differs.empty() && i < a.size(); ++i)
      if (a[i].id != b[i].id || a[i].parent != b[i].parent || !(a[i].gate == b[i].gate) || a[i].exclude != b[i].exclude)
        differs = "gate '" + b[i].id + "' differs from sample '" + samples.front()->name + "'";
    if (differs.empty() && first.matrices() != workspace.gates_of(*s).matrices()) differs = "its compensation matrix differs";
    if (!differs.empty())
      throw Error(where + ": sample '" + s->name + "': " + differs +
                      "; one strategy for the whole group needs the same gates on every sample",
                  ErrorContext{workspace.file, "group", s->line, 0});
  }
  GatingStrategy out = workspace.strategy_of(*samples.front());
  out.name = std::string(group.empty() ? "FlowJo workspace" : group);
  return out;
}

void check_workspace_sample(const Workspace& workspace, const WorkspaceSample& sample, const fcs::Sample& file) {
  try {
    try {
      workspace.gates_of(sample).check_sample(file);
    } catch (const Error&) {
      if (!sample.alike_of) throw;
      workspace.strategy_of(sample).check_sample(file);  // the same fault, named at this sample's lines
      throw;
    }
  } catch (const Error& e) {
    throw Error("sample '" + sample.name + "' (file " + file.source + "): " + e.message(),
                ErrorContext{workspace.file, "sample", sample.line, 0});
  }
}

}  // namespace cytopipe::gating
