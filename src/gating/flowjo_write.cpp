// FlowJo 10 workspace export: the elements flowjo_read.cpp reads (and FlowJo needs to open a
// workspace): Groups, SampleList with each Sample's DataSet, spilloverMatrix, Transformations,
// Keywords and the SampleNode's population tree.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/overloaded.hpp"
#include "gating/xml_escape.hpp"

namespace cytopipe::gating {
namespace {

std::string num(double v) { return format_number(v, kExactNumber); }

std::string esc(std::string_view s) { return xml::escape(s); }

std::string file_uri(const std::filesystem::path& p) {
  std::string s = std::filesystem::absolute(p).generic_string();
  std::string out = "file:";
  for (char c : s) {
    if (c == ' ') out += "%20";
    else if (c == '%') out += "%25";
    else out += c;
  }
  return out;
}

constexpr const char* kPrefix = "Comp-";

// Doubles as ordered integers: consecutive keys are neighbouring doubles (-0 and +0 are one key).
std::int64_t key_of(double d) {
  const auto bits = std::bit_cast<std::int64_t>(d);
  return bits >= 0 ? bits : -(bits & std::numeric_limits<std::int64_t>::max());
}
double double_of(std::int64_t key) {
  return std::bit_cast<double>(key >= 0 ? key : (-key) | std::numeric_limits<std::int64_t>::min());
}

// The smallest double r whose value through the scale (its bulk form, as gated columns are
// computed) is >= t; for a non-decreasing scale, x >= r <=> S(x) >= t for every double x, so a
// limit written as r reads back as the same cut on data values. Bisection over the doubles
// around the inverse's estimate. None when no double reaches t.
std::optional<double> first_at_or_above(const Scale& scale, double t) {
  const auto reaches = [&](std::int64_t key) { return scale.apply(double_of(key)) >= t; };  // NaN: below
  const std::int64_t top = key_of(std::numeric_limits<double>::max());
  if (!reaches(top)) return std::nullopt;
  if (reaches(-top)) return double_of(-top);
  const double guess = scale.transform.inverse(t);
  const std::int64_t g = std::clamp(key_of(std::isfinite(guess) ? guess : 0.0), -top, top);
  std::int64_t below = g, above = g;  // bracket: !reaches(below), reaches(above)
  for (std::int64_t step = 1; reaches(below); step *= 2) below = g < -top + step ? -top : g - step;
  for (std::int64_t step = 1; !reaches(above); step *= 2) above = g > top - step ? top : g + step;
  // (The width in unsigned arithmetic: the bracket may span more than half the keys.)
  for (std::uint64_t width; (width = static_cast<std::uint64_t>(above) - static_cast<std::uint64_t>(below)) > 1;) {
    const std::int64_t mid = below + static_cast<std::int64_t>(width / 2);
    (reaches(mid) ? above : below) = mid;
  }
  return double_of(above);
}

// The data value written for a polygon vertex at scaled value v: one that the reader's scale (the
// same transform, rebuilt from the written parameters) maps back onto v bit for bit, so the
// polygon reads back vertex for vertex; where no double does (the scale steps over v), the one
// whose value is nearest (the vertex then moves by an ulp). A linear FlowJo axis reads back as data values (flin is affine: the
// same straight edges), so there the plain inverse.
double vertex_data(const Scale& scale, double v) {
  const auto& p = scale.transform.params();
  if (std::holds_alternative<transform::Identity>(p) || std::holds_alternative<transform::Flin>(p))
    return scale.transform.inverse(v);
  const auto at = first_at_or_above(scale, v);
  if (!at) return scale.transform.inverse(v);
  // The bulk form's last bits may wander by an ulp (it need not be monotone to the bit), so a
  // neighbouring double may land on v where the crossing bisection found steps over it: the
  // nearest within kNear doubles. Where none does, the nearest value: the transforms' rounding
  // skips some doubles (logicle near 0.8 steps by two ulps), so such a vertex reads back one off.
  constexpr std::int64_t kNear = 8;
  const std::int64_t k = key_of(*at);
  double best = *at, best_error = std::abs(scale.apply(*at) - v);
  for (std::int64_t i = 1; i <= kNear && best_error != 0; ++i)
    for (const std::int64_t key : {k - i, k + i}) {
      const double d = double_of(key), error = std::abs(scale.apply(d) - v);
      if (error < best_error) {
        best = d;
        best_error = error;
        if (error == 0) break;
      }
    }
  return best;
}

struct Writer {
  const GatingStrategy* strategy;  // the file's whose tree is being written
  std::string compensation;  // the one compensation the strategy's gates use ("" = none)
  std::map<std::string, Scale> scales;  // FlowJo channel name -> its axis transform
  std::set<std::string> strong;         // channels whose axis a polygon or ellipse needs
  std::map<std::string, std::string> path;  // population -> "A/B/C"
  int next_id = 1;

  [[noreturn]] void fail(const GateNode& g, const std::string& message) const {
    throw Error("gate '" + g.id + "' cannot be written to a FlowJo workspace: " + message,
                g.origin.file.empty() ? ErrorContext{} : g.origin);
  }

  // The channel's FlowJo name; records its scale (one per channel) and the compensation.
  std::string channel(const GateNode& g, const Dimension& d, bool shape) {
    if (d.ratio) fail(g, "ratio dimensions have no FlowJo equivalent");
    if (d.scale.bound_min != -kUnbounded || d.scale.bound_max != kUnbounded)
      fail(g, "scale bounds (boundMin/boundMax) have no FlowJo equivalent");
    std::string name = d.channel;
    if (d.compensation != kUncompensated) {
      if (!compensation.empty() && compensation != d.compensation)
        fail(g, "FlowJo holds one compensation per sample; the strategy uses '" + compensation + "' and '" +
                    d.compensation + "'");
      compensation = d.compensation;
      // FlowJo names a compensated value by its detector: a matrix's fluorochrome i is
      // "Comp-" + detector i (square matrices only).
      if (const auto it = strategy->matrices().find(d.compensation); it != strategy->matrices().end()) {
        const auto& m = it->second.spectrum;
        if (m.rows() != m.cols() || it->second.inverted_already)
          fail(g, "matrix '" + d.compensation + "' is not a square spillover matrix (FlowJo holds only those)");
        const auto f = std::find(m.fluorochromes.begin(), m.fluorochromes.end(), d.channel);
        if (f == m.fluorochromes.end()) fail(g, "matrix '" + d.compensation + "' has no output '" + d.channel + "'");
        name = m.detectors[static_cast<std::size_t>(f - m.fluorochromes.begin())];
      }
      name = kPrefix + name;
    }
    // Only polygons and ellipses depend on the axis they are drawn on (their edges); ranges,
    // rectangles and quadrants are the same on any monotone axis, so their scales only fill a
    // channel no shape needs.
    if (shape) {
      const Scale& had = strong.contains(name) ? scales.at(name) : d.scale;
      if (!(had.transform == d.scale.transform) || had.grid_scale != d.scale.grid_scale ||
          had.grid_origin != d.scale.grid_origin || had.biex_table != d.scale.biex_table)
        fail(g, "channel '" + name + "' carries shapes on two scales (" + scales.at(name).transform.to_string() + ", " +
                    d.scale.transform.to_string() + "); FlowJo keeps one axis per channel");
      scales[name] = d.scale;
      strong.insert(name);
    } else if (!scales.contains(name)) {
      scales[name] = d.scale;
    }
    return name;
  }

  // A range limit on a scaled axis as the data value where the scaled cut falls (FlowJo tests
  // rectangles on data values): the first double the scale takes to the limit or above, so every
  // event falls on the same side as before (first_at_or_above).
  double limit(const Dimension& d, double v) const {
    if (d.scale.is_identity()) return v;
    const auto at = first_at_or_above(d.scale, v);
    return at ? *at : d.scale.transform.inverse(v);
  }

  std::string dimension(const GateNode& g, const Dimension& d, std::optional<double> lo, std::optional<double> hi,
                        bool shape = false) {
    std::string out = "<gating:dimension";
    if (lo) out += " gating:min=\"" + num(limit(d, *lo)) + '"';
    if (hi) out += " gating:max=\"" + num(limit(d, *hi)) + '"';
    return out + "><data-type:fcs-dimension data-type:name=\"" + esc(channel(g, d, shape)) + "\"/></gating:dimension>";
  }

  std::string rectangle(const GateNode& g, const std::vector<Dimension>& dims, const std::vector<Interval>& iv,
                        const std::string& id) {
    std::string out = "<gating:RectangleGate eventsInside=\"1\" userDefined=\"1\" percentX=\"0\" percentY=\"0\" "
                      "gating:id=\"" + id + "\">";
    for (std::size_t i = 0; i < dims.size(); ++i) out += dimension(g, dims[i], iv[i].min, iv[i].max);
    return out + "</gating:RectangleGate>";
  }

  std::string vertex(double x, double y) {
    return "<gating:vertex><gating:coordinate data-type:value=\"" + num(x) +
           "\"/><gating:coordinate data-type:value=\"" + num(y) + "\"/></gating:vertex>";
  }

  // A polygon read on FlowJo's gate grid (WorkspaceEvaluation::FlowJo) keeps its gateResolution;
  // its vertices are whole grid channels, written as the data value at the channel's centre (so
  // reading them back places them on the same channels).
  std::string polygon(const GateNode& g, const PolygonGate& p, const std::string& id) {
    const double r0 = p.dimensions[0].scale.grid_resolution, r1 = p.dimensions[1].scale.grid_resolution;
    if (r0 != r1) fail(g, "its axes carry FlowJo gate grids of different resolutions");
    std::string out = "<gating:PolygonGate eventsInside=\"1\" userDefined=\"1\" quadId=\"-1\" gateResolution=\"" +
                      num(r0 > 0 ? r0 : 256) + "\" gating:id=\"" + id + "\">";
    out += dimension(g, p.dimensions[0], {}, {}, true) + dimension(g, p.dimensions[1], {}, {}, true);
    auto data = [](const Scale& s, double v) {
      if (s.grid_scale == 0) return vertex_data(s, v);
      const double display = s.grid_origin + (v + 0.5) / s.grid_scale;
      if (s.biex_table) return s.biex_table->data(display * static_cast<double>(s.biex_table->channels()));
      return s.transform.inverse(display);
    };
    for (const auto& v : p.vertices) out += vertex(data(p.dimensions[0].scale, v[0]), data(p.dimensions[1].scale, v[1]));
    return out + "</gating:PolygonGate>";
  }

  // FlowJo's ellipse in display units: the scale's value x 256 on transformed axes; on linear
  // axes (written as 0 .. 262144) the data value x 256 / 262144.
  std::string ellipse(const GateNode& g, const EllipsoidGate& e, const std::string& id) {
    if (e.dimensions.size() != 2) fail(g, "FlowJo ellipses have 2 dimensions");
    const double d2 = e.distance_square;
    const double a = e.covariance[0] * d2, b = e.covariance[1] * d2, c = e.covariance[3] * d2;
    // Eigen decomposition of the symmetric 2 x 2 [[a b][b c]].
    const double mid = (a + c) / 2, rad = std::hypot((a - c) / 2, b);
    const double l1 = mid + rad, l2 = mid - rad;
    if (!(l2 > 0)) fail(g, "the ellipse's covariance is not positive definite");
    double ux = 1, uy = 0;
    if (b != 0) {
      ux = l1 - c;
      uy = b;
    } else if (c > a) {
      ux = 0;
      uy = 1;
    }
    const double n = std::hypot(ux, uy);
    ux /= n;
    uy /= n;
    const double major = std::sqrt(l1), minor = std::sqrt(l2), focal = std::sqrt(std::max(0.0, l1 - l2));
    const double mx = e.mean[0], my = e.mean[1];
    auto display = [&](int k, double v) {
      return e.dimensions[k].scale.is_identity() ? v * 256.0 / 262144.0 : v * 256.0;
    };
    auto point = [&](double x, double y) { return vertex(display(0, x), display(1, y)); };
    std::string out = "<gating:EllipsoidGate eventsInside=\"1\" userDefined=\"1\" gating:distance=\"" +
                      num(2 * major * 256.0 / (e.dimensions[0].scale.is_identity() ? 262144.0 : 1.0)) +
                      "\" gating:id=\"" + id + "\">";
    out += dimension(g, e.dimensions[0], {}, {}, true) + dimension(g, e.dimensions[1], {}, {}, true);
    out += "<gating:foci>" + point(mx - focal * ux, my - focal * uy) + point(mx + focal * ux, my + focal * uy) +
           "</gating:foci><gating:edge>";
    out += point(mx - major * ux, my - major * uy) + point(mx + major * ux, my + major * uy);
    out += point(mx + minor * uy, my - minor * ux) + point(mx - minor * uy, my + minor * ux);
    return out + "</gating:edge></gating:EllipsoidGate>";
  }

  std::string count_attr(const std::map<std::string, std::size_t>* counts, const std::string& name) const {
    if (!counts) return "-1";
    auto it = counts->find(name);
    return it == counts->end() ? "-1" : std::to_string(it->second);
  }

  // One Population (or boolean node) per population of the strategy, nested under its parent.
  void population(std::ostringstream& out, const Population& p, const std::vector<Population>& all,
                  const std::map<std::string, std::size_t>* counts, const std::string& parent_gate_id, int depth) {
    const GateNode& g = strategy->gates()[p.gate];
    const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
    const std::string id = "ID" + std::to_string(next_id++);
    std::string element = "Population", inner;
    if (const auto* b = std::get_if<BooleanGate>(&g.gate)) {
      element = b->op == BooleanGate::Op::And ? "AndNode" : b->op == BooleanGate::Op::Or ? "OrNode" : "NotNode";
      inner = pad + "  <Dependents>";
      for (const auto& o : b->operands) {
        if (o.complement) fail(g, "complemented operands (use-as-complement) have no FlowJo equivalent");
        inner += "<Dependent name=\"" + esc(path.at(o.population)) + "\"/>";
      }
      inner += "</Dependents>\n";
    } else {
      std::string gate;
      std::visit(Overloaded{
                     [&](const RectangleGate& r) { gate = rectangle(g, r.dimensions, r.intervals, id); },
                     [&](const PolygonGate& poly) { gate = polygon(g, poly, id); },
                     [&](const EllipsoidGate& e) { gate = ellipse(g, e, id); },
                     [&](const QuadrantGate& q) {
                       // One rectangle per quadrant: for each divider it names, the segment
                       // holding its location.
                       const Quadrant& quadrant = q.quadrants.at(static_cast<std::size_t>(p.quadrant));
                       std::vector<Dimension> dims;
                       std::vector<Interval> intervals;
                       for (const auto& pos : quadrant.positions) {
                         const Divider* d = nullptr;
                         for (const auto& div : q.dividers)
                           if (div.id == pos.divider) d = &div;
                         if (!d) fail(g, "quadrant '" + quadrant.name + "' names no divider '" + pos.divider + "'");
                         Interval iv;
                         for (double v : d->values) {
                           if (v <= pos.location) iv.min = v;
                           else if (!iv.max) iv.max = v;
                         }
                         dims.push_back(d->dimension);
                         intervals.push_back(iv);
                       }
                       gate = rectangle(g, dims, intervals, id);
                     },
                     [&](const BooleanGate&) {},
                 },
                 g.gate);
      if (g.exclude) {  // FlowJo's exclusion gate: the same element, eventsInside="0"
        const auto at = gate.find("eventsInside=\"1\"");
        if (at == std::string::npos) fail(g, "an exclusion gate of this kind has no FlowJo form");
        gate.replace(at, 16, "eventsInside=\"0\"");
      }
      inner = pad + "  <Gate gating:id=\"" + id + "\"" +
              (parent_gate_id.empty() ? std::string() : " gating:parent_id=\"" + parent_gate_id + "\"") + ">" + gate +
              "</Gate>\n";
    }
    out << pad << '<' << element << " name=\"" << esc(p.name) << "\" annotation=\"\" owningGroup=\"\" expanded=\"1\" "
        << "sortPriority=\"10\" count=\"" << count_attr(counts, p.name) << "\">\n"
        << inner;
    std::vector<const Population*> children;
    for (const auto& c : all)
      if (c.parent == p.name) children.push_back(&c);
    if (!children.empty()) {
      out << pad << "  <Subpopulations>\n";
      for (const auto* c : children) population(out, *c, all, counts, id, depth + 2);
      out << pad << "  </Subpopulations>\n";
    }
    out << pad << "</" << element << ">\n";
  }
};

std::string transform_element(const std::string& channel, const Scale& s) {
  auto a = [](const char* name, double v) { return std::string(" transforms:") + name + "=\"" + num(v) + '"'; };
  const std::string param = "<data-type:parameter data-type:name=\"" + esc(channel) + "\"/>";
  return std::visit(
      Overloaded{
          [&](const transform::Identity&) {
            // A linear gate grid keeps the axis range it was cut from (its channels centred on
            // whole multiples of the channel width, see flowjo_read.cpp).
            const double lo = s.grid_scale > 0 ? s.grid_origin + 0.5 / s.grid_scale : 0;
            const double hi = s.grid_scale > 0 ? lo + s.grid_resolution / s.grid_scale : 262144;
            return "<transforms:linear" + a("minRange", lo) + a("maxRange", hi) + " gain=\"1\">" + param +
                   "</transforms:linear>";
          },
          [&](const transform::Flin& f) {
            return "<transforms:linear" + a("minRange", -f.A) + a("maxRange", f.T) + " gain=\"1\">" + param +
                   "</transforms:linear>";
          },
          [&](const transform::Flog& f) {
            // FlowJo's log has offset = T / 10^decades; read back as offset x 10^decades, so the
            // offset is the neighbouring double that gives T back exactly where one does.
            const double scale = std::pow(10.0, f.M);
            double offset = f.T / scale;
            for (double o : {offset, std::nextafter(offset, 0.0), std::nextafter(offset, 2 * offset + 1)})
              if (o * scale == f.T) {
                offset = o;
                break;
              }
            return "<transforms:log" + a("offset", offset) + a("decades", f.M) + ">" + param + "</transforms:log>";
          },
          [&](const transform::Fasinh& f) {
            return "<transforms:fasinh" + a("length", 256) + a("maxRange", f.T) + a("T", f.T) + a("A", f.A) +
                   a("M", f.M) + ">" + param + "</transforms:fasinh>";
          },
          [&](const transform::Logicle& f) {
            return "<transforms:logicle" + a("length", 256) + a("T", f.T) + a("W", f.W) + a("M", f.M) + a("A", f.A) +
                   ">" + param + "</transforms:logicle>";
          },
          [&](const transform::Hyperlog& f) {
            return "<transforms:hyperlog" + a("length", 256) + a("T", f.T) + a("W", f.W) + a("M", f.M) +
                   a("A", f.A) + ">" + param + "</transforms:hyperlog>";
          },
          [&](const transform::FlowJoBiex& f) {
            return "<transforms:biex" + a("length", 256) + a("maxRange", f.max_value) + a("neg", f.negative_decades) +
                   a("width", f.width) + a("pos", f.positive_decades) + ">" + param + "</transforms:biex>";
          },
          [&](const auto&) -> std::string {
            throw Error("the scale " + s.transform.to_string() + " of channel '" + channel +
                        "' has no FlowJo equivalent (use linear, flog, fasinh, logicle, hyperlog or biex)");
          },
      },
      s.transform.params());
}

}  // namespace

std::string to_flowjo_workspace(const GatingStrategy& strategy, const WorkspaceExport& what) {
  if (what.metadata.size() != what.files.size())
    throw Error("FlowJo export: one metadata sample is needed per file");
  if (!what.strategies.empty() && what.strategies.size() != what.files.size())
    throw Error("FlowJo export: one strategy is needed per file (or none: the shared one)");
  auto strategy_of = [&](std::size_t f) -> const GatingStrategy& {
    return what.strategies.empty() ? strategy : *what.strategies[f];
  };
  std::vector<const GatingStrategy*> written = what.strategies;
  if (written.empty()) written.push_back(&strategy);
  for (const GatingStrategy* s : written) {
    s->validate();
    // A finder's gate is a placeholder until placed on a file: FlowJo would get a made-up gate.
    for (const auto& g : s->gates())
      if (g.finder)
        throw Error("FlowJo export: gate '" + g.id + "' (find: " + std::string(to_string(g.finder->method)) +
                        ") is placed from each file's data; write the gates as placed on each file",
                    g.origin.file.empty() ? ErrorContext{} : g.origin);
  }
  const auto populations = strategy.populations();
  Writer w{&strategy, {}, {}, {}, {}, 1};
  for (const auto& p : populations) w.path[p.name] = p.parent.empty() ? p.name : w.path.at(p.parent) + "/" + p.name;

  // Population trees first (they collect the channels, scales and the compensation). Each file's
  // tree from its own strategy (gates placed on it); FlowJo keeps a gate tree per sample.
  std::vector<std::string> trees;
  for (std::size_t f = 0; f < what.files.size(); ++f) {
    std::ostringstream t;
    w.next_id = 1;
    w.strategy = &strategy_of(f);
    const auto file_populations = w.strategy->populations();
    if (file_populations.size() != populations.size())
      throw Error("FlowJo export: file " + what.files[f].string() + "'s strategy has other populations than the shared one");
    const auto* counts = f < what.counts.size() ? &what.counts[f] : nullptr;
    for (const auto& p : file_populations)
      if (p.parent.empty()) w.population(t, p, file_populations, counts, "", 5);
    trees.push_back(t.str());
  }

  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<Workspace version=\"20.0\" flowJoVersion=\"10.7.1\" curGroup=\"" << esc(what.group) << "\""
      << " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
      << " xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\""
      << " xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\""
      << " xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n"
      << "  <Groups>\n    <GroupNode name=\"" << esc(what.group) << "\" annotation=\"\" owningGroup=\"" << esc(what.group)
      << "\" expanded=\"1\" sortPriority=\"10\" count=\"-1\">\n      <Group name=\"" << esc(what.group)
      << "\" live=\"1\">\n        <Criteria/>\n        <SampleRefs>\n";
  for (std::size_t f = 0; f < what.files.size(); ++f) out << "          <SampleRef sampleID=\"" << f + 1 << "\"/>\n";
  out << "        </SampleRefs>\n      </Group>\n    </GroupNode>\n  </Groups>\n  <SampleList>\n";
  for (std::size_t f = 0; f < what.files.size(); ++f) {
    const fcs::Sample& meta = *what.metadata[f];
    out << "    <Sample>\n      <DataSet uri=\"" << esc(file_uri(what.files[f])) << "\" sampleID=\"" << f + 1 << "\"/>\n";
    if (!w.compensation.empty()) {
      fcs::Spillover m;
      if (w.compensation == kFileCompensation) {
        if (!meta.spillover)
          throw Error("FlowJo export: gates compensate with the file's spillover, but " + meta.source + " has none");
        m = *meta.spillover;
      } else {
        const auto it = strategy.matrices().find(w.compensation);
        if (it == strategy.matrices().end()) throw Error("FlowJo export: unknown matrix '" + w.compensation + "'");
        if (it->second.inverted_already)
          throw Error("FlowJo export: matrix '" + w.compensation + "' is already inverted; FlowJo stores spillover");
        m = it->second.spectrum;
      }
      if (m.rows() != m.cols())
        throw Error("FlowJo export: matrix '" + w.compensation + "' is not square; FlowJo holds spillover matrices");
      out << "      <transforms:spilloverMatrix prefix=\"" << kPrefix << "\" name=\""
          << esc(w.compensation == kFileCompensation ? "Acquisition-defined" : w.compensation)
          << "\" editable=\"0\" status=\"FINALIZED\" transforms:id=\"cytopipe-matrix\" suffix=\"\">\n"
          << "        <data-type:parameters>";
      for (const auto& d : m.detectors) out << "<data-type:parameter data-type:name=\"" << esc(d) << "\"/>";
      out << "</data-type:parameters>\n";
      for (std::size_t r = 0; r < m.rows(); ++r) {
        // Rows are named by the detector they belong to (fluorochrome i <-> detector i).
        out << "        <transforms:spillover data-type:parameter=\"" << esc(m.detectors[r]) << "\">";
        for (std::size_t c = 0; c < m.cols(); ++c)
          out << "<transforms:coefficient data-type:parameter=\"" << esc(m.detectors[c]) << "\" transforms:value=\""
              << num(m.at(r, c)) << "\"/>";
        out << "</transforms:spillover>\n";
      }
      out << "      </transforms:spilloverMatrix>\n";
    }
    out << "      <Transformations>\n";
    for (const auto& [channel, scale] : w.scales) out << "        " << transform_element(channel, scale) << '\n';
    out << "      </Transformations>\n      <Keywords>\n";
    const std::string name = what.files[f].filename().string();
    bool has_fil = false;
    for (const auto& k : meta.keywords.entries()) {
      has_fil = has_fil || k.name == "$FIL";
      out << "        <Keyword name=\"" << esc(k.name) << "\" value=\"" << esc(k.value) << "\"/>\n";
    }
    if (!has_fil) out << "        <Keyword name=\"$FIL\" value=\"" << esc(name) << "\"/>\n";
    out << "      </Keywords>\n      <SampleNode name=\"" << esc(name) << "\" annotation=\"\" owningGroup=\"\" "
        << "expanded=\"1\" sortPriority=\"10\" count=\"" << meta.event_total << "\" sampleID=\"" << f + 1 << "\">\n"
        << "        <Subpopulations>\n"
        << trees[f] << "        </Subpopulations>\n      </SampleNode>\n    </Sample>\n";
  }
  out << "  </SampleList>\n</Workspace>\n";
  return out.str();
}

}  // namespace cytopipe::gating
