// cytopipe's YAML strategy format (see gating/README.md). Every error names the file, the line
// and column (yaml-cpp marks) and the gate.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "cytopipe/base/yaml_reader.hpp"
#include "cytopipe/gating/io.hpp"

namespace cytopipe::gating {
namespace {

// Reads the strategy's values, collecting problems in the checked reader: a mistake in a value
// (an unknown key, a number that is not finite, a flag that is not true/false) is recorded and
// reading goes on; a fault after which a gate cannot be read (no type, a list that is not one)
// throws, and the caller records it and goes on with the next gate.
struct YamlReader {
  yaml::Reader& checked;

  const std::string& file() const { return checked.file(); }
  void record(const YAML::Node& n, const std::string& message, const std::string& where = {}) const {
    checked.error(n, where, message);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& message,
                         const std::string& where = {}) const {
    throw Error(message, checked.at(n).context(where));
  }
  void keys(const YAML::Node& n, const std::set<std::string>& allowed,
            const std::string& where) const {
    for (const auto& kv : n) {
      const auto k = text(kv.first, "a key", where);
      if (!allowed.contains(k)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        record(kv.first, "unknown key '" + k + "' (expected one of: " + list + ")", where);
      }
    }
  }
  // The checked reader's rule for numbers: finite only (`nan`, `.inf` are mistakes; an open
  // side is written `~`). A mistake is recorded and read as 0 (the strategy is never used then).
  double number(const YAML::Node& n, const std::string& what, const std::string& where) const {
    if (!n.IsScalar()) {
      record(n, what + " must be a number", where);
      return 0;
    }
    if (const auto v = yaml::finite_number(n.Scalar())) return *v;
    record(n, what + " is not a finite number: '" + n.Scalar() + "'", where);
    return 0;
  }
  // true/false (yes/no, on/off as YAML 1.1); anything else is an Error at the node, not a
  // YAML::TypedBadConversion escaping the reader (found by fuzz_strategy_yaml).
  bool flag(const YAML::Node& n, const std::string& what, const std::string& where) const {
    if (!n || n.IsNull()) return false;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) record(n, what + " must be true or false", where);
    return v;
  }
  std::optional<double> optional_number(const YAML::Node& n, const std::string& what,
                                        const std::string& where) const {
    if (!n || n.IsNull()) return std::nullopt;
    if (n.IsScalar() && (n.Scalar() == "~" || n.Scalar().empty())) return std::nullopt;
    return number(n, what, where);
  }
  std::string text(const YAML::Node& n, const std::string& what, const std::string& where) const {
    if (!n || !n.IsScalar() || n.Scalar().empty()) fail(n ? n : YAML::Node(), what + " must be a non-empty string", where);
    return n.Scalar();
  }
  std::vector<double> numbers(const YAML::Node& n, const std::string& what,
                              const std::string& where) const {
    if (!n || !n.IsSequence()) fail(n ? n : YAML::Node(), what + " must be a list of numbers", where);
    std::vector<double> out;
    for (const auto& v : n) out.push_back(number(v, what, where));
    return out;
  }
  // [lo, hi] with ~ for open sides.
  std::pair<double, double> bounds(const YAML::Node& n, const std::string& where) const {
    if (!n.IsSequence() || n.size() != 2) fail(n, "bounds must be [min, max] (~ for none)", where);
    return {optional_number(n[0], "bound", where).value_or(-kUnbounded),
            optional_number(n[1], "bound", where).value_or(kUnbounded)};
  }

  Dimension dimension(const YAML::Node& n, const std::string& where) const {
    Dimension d;
    if (n.IsScalar()) {
      d.channel = text(n, "channel", where);
      return d;
    }
    if (!n.IsMap()) fail(n, "a dimension is a channel name or a map", where);
    keys(n, {"channel", "ratio", "compensation", "transform", "transform_id", "bounds"}, where);
    if (n["channel"] && n["ratio"]) fail(n, "a dimension has either 'channel' or 'ratio'", where);
    if (n["channel"]) d.channel = text(n["channel"], "channel", where);
    else if (const auto r = n["ratio"]) {
      if (!r.IsMap()) fail(r, "ratio must be a map (numerator, denominator, A, B, C)", where);
      keys(r, {"id", "numerator", "denominator", "A", "B", "C", "bounds"}, where);
      Ratio ratio;
      if (r["id"]) ratio.id = text(r["id"], "ratio id", where);
      ratio.numerator = text(r["numerator"], "ratio numerator", where);
      ratio.denominator = text(r["denominator"], "ratio denominator", where);
      if (r["A"]) ratio.A = number(r["A"], "A", where);
      if (r["B"]) ratio.B = number(r["B"], "B", where);
      if (r["C"]) ratio.C = number(r["C"], "C", where);
      if (r["bounds"]) std::tie(ratio.bound_min, ratio.bound_max) = bounds(r["bounds"], where);
      d.ratio = std::move(ratio);
    } else {
      fail(n, "a dimension needs 'channel' or 'ratio'", where);
    }
    if (n["compensation"]) d.compensation = text(n["compensation"], "compensation", where);
    if (n["transform"]) {
      try {
        d.scale.transform = transform::Transform::parse(text(n["transform"], "transform", where));
      } catch (const Error& e) {
        fail(n["transform"], e.message(), where);
      }
    }
    if (n["transform_id"]) d.scale.id = text(n["transform_id"], "transform_id", where);
    if (n["bounds"]) std::tie(d.scale.bound_min, d.scale.bound_max) = bounds(n["bounds"], where);
    return d;
  }
  std::vector<Dimension> dimensions(const YAML::Node& n, const std::string& where) const {
    if (!n || !n.IsSequence() || n.size() == 0) fail(n ? n : YAML::Node(), "'dimensions' must be a non-empty list", where);
    std::vector<Dimension> out;
    for (const auto& d : n) out.push_back(dimension(d, where));
    return out;
  }
  Interval interval(const YAML::Node& n, const std::string& where) const {
    if (!n.IsSequence() || n.size() != 2) fail(n, "an interval is [min, max] (~ for open)", where);
    Interval i{optional_number(n[0], "min", where), optional_number(n[1], "max", where)};
    if (!i.min && !i.max) fail(n, "an interval needs min or max", where);
    return i;
  }

  GateNode gate(const YAML::Node& n) const {
    if (!n.IsMap()) fail(n, "a gate is a map with 'id' and 'type'");
    GateNode node;
    node.id = text(n["id"] ? n["id"] : n, "gate id", "");
    const std::string where = "gate '" + node.id + "'";
    node.origin = checked.at(n).context();
    if (n["parent"] && !n["parent"].IsNull()) node.parent = text(n["parent"], "parent", where);
    if (n["find"]) {
      node.finder = finder(n, where);
      node.gate = placeholder_gate(*node.finder);
      return node;
    }
    if (!n["type"]) fail(n, "missing 'type' (range, rectangle, polygon, ellipsoid, quadrant, boolean)", where);
    const std::string type = n["type"].Scalar();
    if (type == "range") {
      keys(n, {"id", "type", "parent", "dimension", "min", "max"}, where);
      if (!n["dimension"]) fail(n, "a range gate needs 'dimension'", where);
      RectangleGate r;
      r.dimensions.push_back(dimension(n["dimension"], where));
      r.intervals.push_back({optional_number(n["min"], "min", where), optional_number(n["max"], "max", where)});
      if (!r.intervals[0].min && !r.intervals[0].max) fail(n, "a range gate needs 'min' or 'max'", where);
      node.gate = std::move(r);
    } else if (type == "rectangle") {
      keys(n, {"id", "type", "parent", "dimensions", "intervals"}, where);
      RectangleGate r;
      r.dimensions = dimensions(n["dimensions"], where);
      const auto iv = n["intervals"];
      if (!iv || !iv.IsSequence()) fail(n, "a rectangle gate needs 'intervals' ([min, max] per dimension)", where);
      for (const auto& i : iv) r.intervals.push_back(interval(i, where));
      node.gate = std::move(r);
    } else if (type == "polygon") {
      keys(n, {"id", "type", "parent", "dimensions", "vertices"}, where);
      PolygonGate p;
      const auto dims = dimensions(n["dimensions"], where);
      if (dims.size() != 2) fail(n["dimensions"], "a polygon gate needs exactly 2 dimensions", where);
      p.dimensions = {dims[0], dims[1]};
      const auto vs = n["vertices"];
      if (!vs || !vs.IsSequence()) fail(n, "a polygon gate needs 'vertices' ([x, y] pairs)", where);
      for (const auto& v : vs) {
        const auto xy = numbers(v, "vertex", where);
        if (xy.size() != 2) fail(v, "a vertex is [x, y]", where);
        p.vertices.push_back({xy[0], xy[1]});
      }
      node.gate = std::move(p);
    } else if (type == "ellipsoid") {
      keys(n, {"id", "type", "parent", "dimensions", "mean", "covariance", "distance_square"}, where);
      EllipsoidGate e;
      e.dimensions = dimensions(n["dimensions"], where);
      e.mean = numbers(n["mean"], "mean", where);
      const auto cov = n["covariance"];
      if (!cov || !cov.IsSequence()) fail(n, "an ellipsoid gate needs 'covariance' (rows)", where);
      for (const auto& row : cov)
        for (double v : numbers(row, "covariance row", where)) e.covariance.push_back(v);
      if (n["distance_square"]) e.distance_square = number(n["distance_square"], "distance_square", where);
      node.gate = std::move(e);
    } else if (type == "quadrant") {
      keys(n, {"id", "type", "parent", "dividers", "quadrants"}, where);
      QuadrantGate q;
      const auto ds = n["dividers"];
      if (!ds || !ds.IsSequence()) fail(n, "a quadrant gate needs 'dividers'", where);
      for (const auto& d : ds) {
        if (!d.IsMap()) fail(d, "a divider is a map (id, dimension, values)", where);
        keys(d, {"id", "dimension", "values"}, where);
        Divider div;
        div.id = text(d["id"], "divider id", where);
        if (!d["dimension"]) fail(d, "a divider needs 'dimension'", where);
        div.dimension = dimension(d["dimension"], where);
        div.values = d["values"] && d["values"].IsScalar()
                         ? std::vector<double>{number(d["values"], "divider value", where)}
                         : numbers(d["values"], "divider values", where);
        q.dividers.push_back(std::move(div));
      }
      const auto qs = n["quadrants"];
      if (!qs || !qs.IsSequence()) fail(n, "a quadrant gate needs 'quadrants'", where);
      for (const auto& qu : qs) {
        if (!qu.IsMap()) fail(qu, "a quadrant is a map (name, positions)", where);
        keys(qu, {"name", "positions"}, where);
        Quadrant quadrant;
        quadrant.name = text(qu["name"], "quadrant name", where);
        const auto ps = qu["positions"];
        if (!ps || !ps.IsMap()) fail(qu, "a quadrant needs 'positions' ({divider: location})", where);
        for (const auto& kv : ps)
          quadrant.positions.push_back({text(kv.first, "a divider id", where), number(kv.second, "location", where)});
        q.quadrants.push_back(std::move(quadrant));
      }
      node.gate = std::move(q);
    } else if (type == "boolean") {
      keys(n, {"id", "type", "parent", "op", "operands"}, where);
      BooleanGate b;
      const std::string op = n["op"] ? n["op"].Scalar() : "";
      if (op == "and") b.op = BooleanGate::Op::And;
      else if (op == "or") b.op = BooleanGate::Op::Or;
      else if (op == "not") b.op = BooleanGate::Op::Not;
      else fail(n["op"] ? n["op"] : n, "'op' must be and, or or not", where);
      const auto os = n["operands"];
      if (!os || !os.IsSequence()) fail(n, "a boolean gate needs 'operands'", where);
      for (const auto& o : os) {
        if (o.IsScalar()) {
          b.operands.push_back({o.Scalar(), false});
        } else if (o.IsMap()) {
          keys(o, {"population", "complement"}, where);
          b.operands.push_back({text(o["population"], "operand population", where),
                                flag(o["complement"], "'complement'", where)});
        } else {
          fail(o, "an operand is a population name or {population, complement}", where);
        }
      }
      node.gate = std::move(b);
    } else {
      fail(n["type"], "unknown gate type '" + type +
                          "' (range, rectangle, polygon, ellipsoid, quadrant, boolean)", where);
    }
    return node;
  }

  // A gate placed from each sample's data: `find: METHOD` and the finder's parameters
  // (gating/README.md, "Gate finders").
  FinderSpec finder(const YAML::Node& n, const std::string& where) const {
    FinderSpec f;
    const std::string method = text(n["find"], "find", where);
    std::set<std::string> allowed = {"id", "parent", "find", "min_events", "pool", "absent_below"};
    auto allow = [&](std::initializer_list<const char*> more) { for (const char* k : more) allowed.insert(k); };
    if (method == "cells") {
      f.method = FinderMethod::Cells;
      allow({"dimensions", "contour", "bins", "smoothing"});
    } else if (method == "singlets") {
      f.method = FinderMethod::Singlets;
      allow({"dimensions", "width"});
    } else if (method == "valley") {
      f.method = FinderMethod::Valley;
      allow({"dimension", "keep", "range", "adjust", "min_peak", "single_peak", "negative_below", "sds"});
    } else if (method == "tail") {
      f.method = FinderMethod::Tail;
      allow({"dimension", "keep", "sds", "adjust", "min_peak"});
    } else if (method == "quantile") {
      f.method = FinderMethod::Quantile;
      allow({"dimension", "keep", "quantile"});
    } else if (method == "ellipse") {
      f.method = FinderMethod::Ellipse;
      allow({"dimensions", "near", "distance", "bins", "smoothing", "adjust", "min_peak"});
    } else if (method == "control_percentile") {
      f.method = FinderMethod::ControlPercentile;
      allowed.erase("pool");  // its pool is `match:`
      allow({"dimension", "percentile", "control", "match"});
    } else {
      fail(n["find"], "unknown finder '" + method + "' (cells, singlets, valley, tail, quantile, ellipse, control_percentile)", where);
    }
    keys(n, allowed, where);
    if (allowed.contains("dimension")) {
      if (!n["dimension"]) fail(n, "the " + method + " finder needs 'dimension'", where);
      f.dimensions = {dimension(n["dimension"], where)};
    } else {
      f.dimensions = dimensions(n["dimensions"], where);
      if (f.method != FinderMethod::Ellipse && f.dimensions.size() != 2)
        fail(n["dimensions"], "the " + method + " finder needs exactly 2 dimensions", where);
    }
    auto positive = [&](const char* key, double& out) {
      if (!n[key]) return;
      out = number(n[key], key, where);
      if (!(out > 0)) fail(n[key], std::string(key) + " must be > 0", where);
    };
    if (n["keep"]) {
      const std::string k = text(n["keep"], "keep", where);
      if (k == "above") f.keep = Keep::Above;
      else if (k == "below") f.keep = Keep::Below;
      else fail(n["keep"], "keep must be 'above' or 'below'", where);
    }
    positive("contour", f.contour);
    if (f.contour >= 1) fail(n["contour"], "contour is a fraction of the peak's height (0..1)", where);
    if (n["bins"]) {
      const double b = number(n["bins"], "bins", where);
      if (b < 16 || b > 1024 || b != std::floor(b)) fail(n["bins"], "bins must be a whole number within 16..1024", where);
      f.bins = static_cast<int>(b);
    }
    if (n["smoothing"]) {
      f.smoothing = number(n["smoothing"], "smoothing", where);
      if (f.smoothing < 0) fail(n["smoothing"], "smoothing must be >= 0", where);
    }
    positive("width", f.width);
    positive("adjust", f.adjust);
    positive("min_peak", f.min_peak);
    positive("sds", f.sds);
    positive("distance", f.distance);
    if (n["range"]) {
      const auto b = bounds(n["range"], where);
      if (b.first > -kUnbounded) f.range_min = b.first;
      if (b.second < kUnbounded) f.range_max = b.second;
    }
    if (n["single_peak"]) {
      const std::string k = text(n["single_peak"], "single_peak", where);
      if (k == "negative") f.single_peak = SinglePeak::Negative;
      else if (k == "positive") f.single_peak = SinglePeak::Positive;
      else fail(n["single_peak"], "single_peak must be 'negative' or 'positive'", where);
    }
    if (n["negative_below"]) f.negative_below = number(n["negative_below"], "negative_below", where);
    if (n["quantile"]) {
      f.quantile = number(n["quantile"], "quantile", where);
      if (f.quantile < 0 || f.quantile > 1) fail(n["quantile"], "quantile must be within 0..1", where);
    }
    if (n["near"]) {
      f.near = numbers(n["near"], "near", where);
      if (f.near->size() != f.dimensions.size()) fail(n["near"], "near needs one value per dimension", where);
    }
    // Pooled placement: factor names (`pool: plate` or `pool: [plate, day]`).
    auto factor_list = [&](const char* key) {
      std::vector<std::string> out;
      const YAML::Node v = n[key];
      if (!v) return out;
      if (v.IsScalar()) out.push_back(text(v, key, where));
      else if (v.IsSequence())
        for (const auto& e : v) out.push_back(text(e, key, where));
      else fail(v, std::string(key) + " is a factor name or a list of factor names", where);
      return out;
    };
    f.pool = factor_list(f.method == FinderMethod::ControlPercentile ? "match" : "pool");
    if (f.method == FinderMethod::ControlPercentile) {
      if (!n["percentile"]) fail(n, "the control_percentile finder needs 'percentile' (0..100)", where);
      f.percentile = number(n["percentile"], "percentile", where);
      if (f.percentile < 0 || f.percentile > 100) fail(n["percentile"], "percentile must be within 0..100", where);
      const YAML::Node c = n["control"];
      if (!c || !c.IsMap() || c.size() == 0)
        fail(c ? c : n, "the control_percentile finder needs 'control': the control files' factor levels, e.g. {role: isotype}", where);
      for (const auto& kv : c) {
        std::vector<std::string> levels;
        if (kv.second.IsSequence())
          for (const auto& l : kv.second) levels.push_back(text(l, "control level", where));
        else
          levels.push_back(text(kv.second, "control level", where));
        f.control.emplace_back(text(kv.first, "control factor", where), std::move(levels));
      }
      f.keep = Keep::Above;
      if (n["keep"]) fail(n["keep"], "a control_percentile gate keeps the events at or above the threshold", where);
    }
    if (n["min_events"]) {
      const double m = number(n["min_events"], "min_events", where);
      if (m < 1 || m != std::floor(m)) fail(n["min_events"], "min_events must be a whole number >= 1", where);
      f.min_events = static_cast<std::size_t>(m);
    }
    if (n["absent_below"]) {
      const double m = number(n["absent_below"], "absent_below", where);
      if (m < 1 || m != std::floor(m)) fail(n["absent_below"], "absent_below must be a whole number >= 1", where);
      if (f.method == FinderMethod::Cells || f.method == FinderMethod::Singlets || f.method == FinderMethod::Ellipse)
        fail(n["absent_below"], "absent_below is for 1-D finders (valley, tail, quantile, control_percentile)", where);
      f.absent_below = static_cast<std::size_t>(m);
    }
    return f;
  }

  void matrix(const std::string& id, const YAML::Node& n, GatingStrategy& s) const {
    const std::string where = "matrix '" + id + "'";
    if (!n.IsMap()) fail(n, "a matrix is a map (fluorochromes, detectors, values)", where);
    keys(n, {"fluorochromes", "detectors", "values", "inverted_already"}, where);
    SpectrumMatrix m;
    m.spectrum.keyword = id;
    for (const auto& f : n["fluorochromes"]) m.spectrum.fluorochromes.push_back(f.Scalar());
    for (const auto& d : n["detectors"]) m.spectrum.detectors.push_back(d.Scalar());
    if (!n["values"] || !n["values"].IsSequence()) fail(n, "a matrix needs 'values' (rows)", where);
    for (const auto& row : n["values"])
      for (double v : numbers(row, "matrix row", where)) m.spectrum.values.push_back(v);
    m.inverted_already = flag(n["inverted_already"], "'inverted_already'", where);
    try {
      s.add_matrix(id, std::move(m));
    } catch (const Error& e) {
      fail(n, e.message(), where);
    }
  }
};

}  // namespace

GatingStrategy parse_strategy_yaml(std::string_view text, std::string_view name) {
  // Loaded by the one checked YAML reader: syntax errors and keys written twice in a map (which
  // yaml-cpp would silently resolve to the first) are refused with file:line:column. Every
  // problem after that is collected, gate by gate, and all are thrown together.
  yaml::Reader checked{std::string(name)};
  const YAML::Node root = checked.load(std::string(text));
  const YamlReader r{checked};
  if (!root.IsMap()) checked.fail(root, "", "a gating strategy is a map with 'gates'");
  // Recorded, and reading goes on; a fault inside a gate or matrix ends that one only.
  auto attempt = [&](auto&& read) {
    try {
      read();
    } catch (const Error& e) {
      checked.error(e);
    }
  };
  attempt([&] { r.keys(root, {"name", "description", "matrices", "gates"}, ""); });
  GatingStrategy s;
  if (root["name"]) s.name = root["name"].Scalar();
  if (root["description"]) s.description = root["description"].Scalar();
  if (const auto m = root["matrices"]) {
    if (!m.IsMap()) checked.error(m, "", "'matrices' must map matrix ids to matrices");
    else
      for (const auto& kv : m) attempt([&] { r.matrix(r.text(kv.first, "a matrix id", ""), kv.second, s); });
  }
  const auto gates = root["gates"];
  if (!gates || !gates.IsSequence()) checked.fail(root, "", "missing 'gates' (a list of gates)");
  // Gates with a problem of their own: their structural checks would only repeat it (a gate that
  // could not be read stands in the tree as an empty placeholder, so its children still place).
  std::set<std::string> faulty;
  for (const auto& g : gates) {
    const std::size_t before = checked.errors().size();
    std::optional<GateNode> node;
    attempt([&] { node = r.gate(g); });
    if (!node) {
      const auto id = g.IsMap() ? g["id"] : YAML::Node();
      if (!id || !id.IsScalar() || id.Scalar().empty()) continue;
      node.emplace();
      node->id = id.Scalar();
      if (const auto p = g["parent"]; p && p.IsScalar()) node->parent = p.Scalar();
      node->origin = checked.at(g).context();
    }
    if (checked.errors().size() > before) faulty.insert(node->id);
    const ErrorContext origin = node->origin;
    try {
      s.add(std::move(*node));
    } catch (const Error& e) {
      checked.error(Error(e.message(), ErrorContext{checked.file(), e.context().where, origin.line, origin.column}));
    }
  }
  auto about_faulty = [&](const Error& e) {
    return std::any_of(faulty.begin(), faulty.end(),
                       [&](const std::string& id) { return e.context().where == "gate '" + id + "'"; });
  };
  for (auto& e : s.problems())
    if (!about_faulty(e)) checked.error(std::move(e));
  checked.throw_if_errors();
  return s;
}

}  // namespace cytopipe::gating
