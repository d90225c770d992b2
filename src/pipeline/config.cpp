// Reading pipelines/*.yaml into a Config, collecting every problem with its location.
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/input_file.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/stats/test_kind.hpp"
#include "cytopipe/transform/transform.hpp"
#include "pipeline/yaml_reader.hpp"

namespace cytopipe::pipeline {
namespace {

using detail::YamlReader;

Selector read_selector(YamlReader& r, const YAML::Node& node, const std::string& where) {
  Selector s;
  s.at = r.at(node);
  if (!r.expect_map(node, where)) return s;
  for (const auto& item : node) {
    const auto factor = item.first.Scalar();
    auto levels = r.strings(item.second, where + "." + factor);
    if (levels.empty() && item.second.IsSequence())
      r.error(item.second, where + "." + factor, "empty list of levels");
    s.conditions.emplace_back(factor, std::move(levels));
  }
  return s;
}

std::vector<std::pair<std::string, std::string>> read_string_map(YamlReader& r, const YAML::Node& node,
                                                                 const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!r.expect_map(node, where)) return out;
  for (const auto& item : node)
    if (auto v = r.string(item.second, where + "." + item.first.Scalar()))
      out.emplace_back(item.first.Scalar(), *v);
  return out;
}

void check_file(YamlReader& r, const Config& c, const std::filesystem::path& p, const Location& at,
                const std::string& where, const char* what) {
  const auto full = c.resolve(p);
  if (!std::filesystem::exists(full))
    r.error(at, where, std::string(what) + " not found: " + full.string());
}

void read_inputs(YamlReader& r, const YAML::Node& node, Config& c) {
  auto& in = c.inputs;
  if (!r.expect_map(node, "inputs")) return;
  r.check_keys(node, "inputs", {"files", "sample_sheet", "key", "keywords", "filename", "select", "factors", "unmatched"});
  if (const auto files = node["files"]) {
    in.files = r.strings(files, "inputs.files");
    in.files_at = r.at(files);
    for (const auto& pattern : in.files) {
      std::filesystem::path p = c.resolve(pattern);
      const bool glob = p.filename().string().find_first_of("*?") != std::string::npos;
      const auto folder = glob ? p.parent_path() : p;
      if (!std::filesystem::exists(folder))
        r.error(files, "inputs.files", "no such " + std::string(glob ? "folder" : "file or folder") +
                                           ": " + folder.string());
    }
  } else {
    r.error(node, "inputs", "missing key 'files' (folders or globs of FCS files)");
  }
  if (const auto sheet = node["sample_sheet"]) {
    if (auto s = r.string(sheet, "inputs.sample_sheet")) {
      in.sample_sheet = *s;
      in.sample_sheet_at = r.at(sheet);
      check_file(r, c, *s, in.sample_sheet_at, "inputs.sample_sheet", "sample sheet");
    }
  }
  if (const auto key = node["key"])
    if (auto s = r.string(key, "inputs.key")) in.key_column = *s;
  if (const auto kw = node["keywords"]) {
    for (auto& [factor, keyword] : read_string_map(r, kw, "inputs.keywords"))
      in.keywords.push_back({factor, keyword, r.at(kw[factor])});
  }
  if (const auto fn = node["filename"]) {
    std::vector<YAML::Node> items;
    if (fn.IsSequence()) for (const auto& i : fn) items.push_back(i);
    else items.push_back(fn);
    for (const auto& item : items) {
      if (!r.expect_map(item, "inputs.filename")) continue;
      r.check_keys(item, "inputs.filename", {"pattern", "factors"});
      FilenameFactors f;
      f.at = r.at(item);
      if (item["pattern"]) {
        if (auto s = r.string(item["pattern"], "inputs.filename.pattern")) {
          f.pattern = *s;
          try {
            const std::regex re(f.pattern);
            f.factors = item["factors"] ? r.strings(item["factors"], "inputs.filename.factors")
                                        : std::vector<std::string>{};
            if (re.mark_count() != f.factors.size())
              r.error(item["pattern"], "inputs.filename.pattern",
                      "the pattern has " + std::to_string(re.mark_count()) + " capture groups but " +
                          std::to_string(f.factors.size()) + " factors are named");
          } catch (const std::regex_error& e) {
            r.error(item["pattern"], "inputs.filename.pattern", std::string("bad regular expression: ") + e.what());
          }
        }
      } else {
        r.error(item, "inputs.filename", "missing key 'pattern'");
      }
      in.filename.push_back(std::move(f));
    }
  }
  if (const auto sel = node["select"]) in.select = read_selector(r, sel, "inputs.select");
  if (const auto factors = node["factors"]) {
    in.factors = r.strings(factors, "inputs.factors");
    in.factors_at = r.at(factors);
  }
  in.unmatched_at = r.at(node);
  if (const auto u = node["unmatched"]) {
    in.unmatched_at = r.at(u);
    if (auto s = r.string(u, "inputs.unmatched")) {
      if (*s == "error") in.unmatched_warn = false;
      else if (*s == "warn") in.unmatched_warn = true;
      else r.error(u, "inputs.unmatched", "expected 'error' or 'warn', found '" + *s + "'");
    }
  }
}

void read_panel(YamlReader& r, const YAML::Node& node, Config& c) {
  c.panel.at = r.at(node);
  if (!r.expect_map(node, "panel")) return;
  r.check_keys(node, "panel", {"markers", "instruments"});
  if (const auto m = node["markers"]) c.panel.markers = read_string_map(r, m, "panel.markers");
  if (const auto inst = node["instruments"]; inst && r.expect_map(inst, "panel.instruments"))
    for (const auto& item : inst)
      c.panel.instruments.emplace_back(
          item.first.Scalar(), read_string_map(r, item.second, "panel.instruments." + item.first.Scalar()));
}

void read_compensation(YamlReader& r, const YAML::Node& node, Config& c) {
  c.compensation.at = r.at(node);
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    if (s == "file") c.compensation.source = CompensationSource::File;
    else if (s == "none") c.compensation.source = CompensationSource::None;
    else r.error(node, "compensation", "expected 'file', 'none' or {matrix: FILE}, found '" + s + "'");
    return;
  }
  if (!r.expect_map(node, "compensation")) return;
  r.check_keys(node, "compensation", {"matrix"});
  if (const auto m = node["matrix"]) {
    if (auto s = r.string(m, "compensation.matrix")) {
      c.compensation.source = CompensationSource::Matrix;
      c.compensation.matrix = *s;
      check_file(r, c, *s, r.at(m), "compensation.matrix", "compensation matrix");
    }
  } else {
    r.error(node, "compensation", "missing key 'matrix'");
  }
}

void read_transforms(YamlReader& r, const YAML::Node& node, Config& c) {
  if (!r.expect_map(node, "transforms")) return;
  for (const auto& item : node) {
    const auto where = "transforms." + item.first.Scalar();
    auto spec = r.string(item.second, where);
    if (!spec) continue;
    TransformEntry entry{item.first.Scalar(), *spec, {}, r.at(item.second)};
    try {
      entry.transform = transform::Transform::parse(*spec);
    } catch (const Error& e) {
      r.error(item.second, where, e.message());
    }
    c.transforms.push_back(std::move(entry));
  }
}

void read_threshold(YamlReader& r, const YAML::Node& node, Config& c, std::size_t index) {
  const std::string where = "gating.thresholds[" + std::to_string(index) + "]";
  if (!r.expect_map(node, where)) return;
  r.check_keys(node, where, {"name", "parent", "channel", "percentile", "control", "match", "where"});
  ThresholdGate g;
  g.at = r.at(node);
  auto required = [&](const char* key) -> std::string {
    if (!node[key]) {
      r.error(node, where, std::string("missing key '") + key + "'");
      return {};
    }
    return r.string(node[key], where + "." + key).value_or("");
  };
  g.name = required("name");
  g.parent = required("parent");
  g.channel = required("channel");
  if (const auto p = node["percentile"]) {
    if (auto v = r.number(p, where + ".percentile")) {
      if (*v <= 0 || *v >= 100) r.error(p, where + ".percentile", "must lie strictly between 0 and 100");
      g.percentile = *v;
    }
  }
  if (const auto ctl = node["control"]) g.control = read_selector(r, ctl, where + ".control");
  else r.error(node, where, "missing key 'control' (which samples are the controls, e.g. {role: isotype})");
  if (const auto m = node["match"]) g.match = r.strings(m, where + ".match");
  if (const auto w = node["where"]) g.applies_to = read_selector(r, w, where + ".where");
  c.gating.thresholds.push_back(std::move(g));
}

void read_gating(YamlReader& r, const YAML::Node& node, Config& c) {
  if (!r.expect_map(node, "gating")) return;
  r.check_keys(node, "gating", {"strategy", "workspace", "group", "thresholds"});
  if (node["strategy"] && node["workspace"]) {
    r.error(node["workspace"], "gating.workspace", "give either 'strategy' or 'workspace', not both");
  } else if (const auto s = node["strategy"]) {
    if (auto v = r.string(s, "gating.strategy")) {
      c.gating.strategy = *v;
      c.gating.strategy_at = r.at(s);
      check_file(r, c, *v, c.gating.strategy_at, "gating.strategy", "gating strategy");
    }
  } else if (const auto w = node["workspace"]) {
    if (auto v = r.string(w, "gating.workspace")) {
      c.gating.strategy = *v;
      c.gating.strategy_at = r.at(w);
      c.gating.from_workspace = true;
      check_file(r, c, *v, c.gating.strategy_at, "gating.workspace", "FlowJo workspace");
    }
  } else {
    r.error(node, "gating", "missing key 'strategy' (a file in gating/) or 'workspace' (a FlowJo .wsp)");
  }
  if (const auto g = node["group"]) {
    if (!node["workspace"]) r.error(g, "gating.group", "'group' names a group of a FlowJo workspace: give 'workspace' too");
    else if (auto v = r.string(g, "gating.group")) c.gating.group = *v;
  }
  if (const auto t = node["thresholds"]) {
    if (!t.IsSequence()) r.error(t, "gating.thresholds", "expected a list of threshold gates");
    else for (std::size_t i = 0; i < t.size(); ++i) read_threshold(r, t[i], c, i);
  }
}

void read_readouts(YamlReader& r, const YAML::Node& node, Config& c) {
  if (!r.expect_map(node, "readouts")) return;
  for (const auto& item : node) {
    ReadoutConfig ro;
    ro.name = item.first.Scalar();
    ro.at = r.at(item.first);
    const std::string where = "readouts." + ro.name;
    YAML::Node expr;
    bool has_expr = false;  // a default Node is a defined null, so presence is tracked apart
    if (item.second.IsScalar()) {
      expr.reset(item.second);
      has_expr = true;
    } else if (r.expect_map(item.second, where)) {
      r.check_keys(item.second, where, {"expression", "where", "control", "match", "description", "unit"});
      // reset, not assignment: yaml-cpp's operator= throws InvalidNode when the key is missing
      // (found by fuzz_pipeline_config).
      if (const auto e = item.second["expression"]) expr.reset(e), has_expr = true;
      else r.error(item.second, where, "missing key 'expression'");
      if (const auto w = item.second["where"]) ro.applies_to = read_selector(r, w, where + ".where");
      if (const auto ctl = item.second["control"]) ro.control = read_selector(r, ctl, where + ".control");
      if (const auto m = item.second["match"]) ro.match = r.strings(m, where + ".match");
      if (const auto d = item.second["description"]) ro.description = r.string(d, where + ".description").value_or("");
      if (const auto u = item.second["unit"]) ro.unit = r.string(u, where + ".unit").value_or("");
    }
    if (has_expr) {
      if (auto text = r.string(expr, where)) {
        ro.expression = *text;
        ro.expression_at = r.at(expr);
        try {
          ro.parsed = parse_expression(*text, ro.expression_at);
          const Expression& e = ro.parsed;
          if (e.needs_control() && ro.control.empty())
            r.error(ro.at, where, "'" + e.function + "' needs 'control' (e.g. {role: target-only}) and usually 'match'");
          if (!e.needs_control() && !ro.control.empty())
            r.error(ro.control.at, where + ".control", "only specific_lysis and killing use a control");
        } catch (const Error& e) {
          // The parser's location points into the expression; keep it.
          r.error(Location{r.file(), e.context().line, e.context().column}, where, e.message());
        }
      }
    }
    c.readouts.push_back(std::move(ro));
  }
}

// factors: {dose_nM: {label: Selinexor, unit: nM}, day: {label: Day}}: how figures name them.
void read_factor_labels(YamlReader& r, const YAML::Node& node, Config& c) {
  if (!r.expect_map(node, "factors")) return;
  for (const auto& item : node) {
    FactorLabel f;
    f.factor = item.first.Scalar();
    f.at = r.at(item.first);
    const std::string where = "factors." + f.factor;
    if (!r.expect_map(item.second, where)) continue;
    r.check_keys(item.second, where, {"label", "unit"});
    if (const auto l = item.second["label"]) f.label = r.string(l, where + ".label").value_or("");
    if (const auto u = item.second["unit"]) f.unit = r.string(u, where + ".unit").value_or("");
    c.factor_labels.push_back(std::move(f));
  }
}

void read_analysis(YamlReader& r, const YAML::Node& node, Config& c) {
  if (!node.IsSequence()) {
    r.error(node, "analysis", "expected a list of analyses");
    return;
  }
  std::vector<std::string> readout_names;
  for (const auto& ro : c.readouts) readout_names.push_back(ro.name);
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto item = node[i];
    const std::string where = "analysis[" + std::to_string(i) + "]";
    if (!r.expect_map(item, where)) continue;
    r.check_keys(item, where, {"name", "readout", "group", "stratum", "control", "tests", "adjustment", "where", "title",
                               "figure", "error_bars", "also_show"});
    AnalysisConfig a;
    a.at = r.at(item);
    if (const auto ro = item["readout"]) {
      a.readout = r.string(ro, where + ".readout").value_or("");
      if (!a.readout.empty() &&
          std::find(readout_names.begin(), readout_names.end(), a.readout) == readout_names.end()) {
        std::string msg = "undefined read-out '" + a.readout + "'";
        if (auto guess = detail::closest_name(a.readout, readout_names); !guess.empty())
          msg += " (did you mean '" + guess + "'?)";
        r.error(ro, where + ".readout", msg);
      }
    } else {
      r.error(item, where, "missing key 'readout'");
    }
    if (const auto g = item["group"]) a.group = r.string(g, where + ".group").value_or(a.group);
    if (const auto s = item["stratum"]) a.stratum = r.string(s, where + ".stratum");
    if (const auto ctl = item["control"]) a.control_level = r.string(ctl, where + ".control");
    if (const auto t = item["tests"]) {
      const auto names = r.strings(t, where + ".tests");
      for (std::size_t k = 0; k < names.size(); ++k) {
        if (const auto kind = stats::find_test(names[k])) a.tests.push_back(*kind);
        else
          r.error(t.IsSequence() ? t[k] : t, where + ".tests",
                  stats::unknown_test_message(names[k], detail::closest_name(names[k], stats::test_names())));
      }
    } else {
      r.error(item, where, "missing key 'tests' (e.g. [anova, dunnett])");
    }
    if (const auto adj = item["adjustment"]) {
      if (const auto name = r.string(adj, where + ".adjustment")) {
        if (const auto adjustment = stats::find_adjustment(*name)) a.adjustment = *adjustment;
        else
          r.error(adj, where + ".adjustment",
                  stats::unknown_adjustment_message(*name, detail::closest_name(*name, stats::adjustment_names())));
      }
    }
    if (const auto w = item["where"]) a.select = read_selector(r, w, where + ".where");
    if (const auto t = item["title"]) a.title = r.string(t, where + ".title").value_or("");
    if (const auto fig = item["figure"]) {
      const auto kind = r.string(fig, where + ".figure").value_or("dose");
      if (kind == "dose") a.figure = AnalysisFigure::Dose;
      else if (kind == "time-course") a.figure = AnalysisFigure::TimeCourse;
      else r.error(fig, where + ".figure", "expected dose or time-course, found '" + kind + "'");
    }
    if (const auto e = item["error_bars"]) {
      const auto kind = r.string(e, where + ".error_bars").value_or("sd");
      if (kind == "sd" || kind == "sem") a.error_bars_sem = kind == "sem";
      else r.error(e, where + ".error_bars", "expected sd or sem, found '" + kind + "'");
    }
    if (const auto also = item["also_show"]) a.also_show = r.string(also, where + ".also_show");
    a.name = a.readout;
    if (const auto n = item["name"]) a.name = r.string(n, where + ".name").value_or(a.readout);
    for (const auto& other : c.analyses)
      if (other.name == a.name)
        r.error(item, where, "two analyses named '" + a.name + "': give each a distinct 'name'");
    c.analyses.push_back(std::move(a));
  }
}

void read_outputs(YamlReader& r, const YAML::Node& node, Config& c) {
  if (!r.expect_map(node, "outputs")) return;
  r.check_keys(node, "outputs", {"directory", "statistics", "channels", "plots", "plot_formats", "report", "significance"});
  if (const auto pf = node["plot_formats"]) {
    c.outputs.plot_formats = r.strings(pf, "outputs.plot_formats");
    for (const auto& f : c.outputs.plot_formats)
      if (f != "svg" && f != "pdf" && f != "png")
        r.error(pf, "outputs.plot_formats", "expected svg, pdf or png, found '" + f + "'");
  }
  auto& o = c.outputs;
  if (const auto d = node["directory"]) {
    o.directory = r.string(d, "outputs.directory").value_or("");
    o.directory_at = r.at(d);
  }
  if (const auto s = node["statistics"]) {
    o.statistics = r.strings(s, "outputs.statistics");
    for (std::size_t i = 0; i < o.statistics.size(); ++i) {
      const auto& name = o.statistics[i];
      if (name == "count" || name == "percent_parent" || name == "percent_total" || parse_statistic(name))
        continue;
      const std::vector<std::string> known = {"count", "percent_parent", "percent_total", "mean",
                                              "median", "geomean", "sd", "cv", "rsd", "rcv"};
      std::string msg = "unknown statistic '" + name + "'";
      if (auto guess = detail::closest_name(name, known); !guess.empty()) msg += " (did you mean '" + guess + "'?)";
      r.error(s.IsSequence() ? s[i] : s, "outputs.statistics", msg);
    }
  }
  if (const auto ch = node["channels"]) o.channels = r.strings(ch, "outputs.channels");
  if (const auto p = node["plots"]) o.plots = r.boolean(p, "outputs.plots").value_or(o.plots);
  if (const auto p = node["report"]) o.report = r.boolean(p, "outputs.report").value_or(o.report);
  if (const auto sig = node["significance"]) {
    if (r.expect_map(sig, "outputs.significance"))
      for (const auto& item : sig)
        if (auto p = r.number(item.second, "outputs.significance." + item.first.Scalar()))
          o.significance.emplace_back(*p, item.first.Scalar());
  }
}

void read_qc(YamlReader& r, const YAML::Node& node, Config& c) {
  auto& q = c.qc;
  q.present = true;
  q.at = r.at(node);
  if (!r.expect_map(node, "qc")) return;
  r.check_keys(node, "qc", {"enabled", "remove", "bins", "bin_seconds", "rate_threshold", "drift_threshold",
                            "drift_min_shift", "channels", "max_flagged_pct", "min_bin_events"});
  auto& o = q.options;
  if (const auto n = node["enabled"]) q.enabled = r.boolean(n, "qc.enabled").value_or(q.enabled);
  if (const auto n = node["remove"]) q.remove = r.boolean(n, "qc.remove").value_or(q.remove);
  auto positive = [&](const char* key, double& out, double upper = 0) {
    const auto n = node[key];
    if (!n) return;
    const std::string where = std::string("qc.") + key;
    if (const auto v = r.number(n, where)) {
      if (!(*v > 0) || (upper > 0 && *v > upper))
        r.error(n, where, "expected a number above 0" + (upper > 0 ? " and at most " + std::to_string(static_cast<int>(upper)) : std::string()));
      else out = *v;
    }
  };
  auto count = [&](const char* key, std::size_t& out) {
    const auto n = node[key];
    if (!n) return;
    const std::string where = std::string("qc.") + key;
    if (const auto v = r.integer(n, where)) {
      if (*v < 1) r.error(n, where, "expected a whole number of at least 1");
      else out = static_cast<std::size_t>(*v);
    }
  };
  count("bins", o.bins);
  count("min_bin_events", o.min_bin_events);
  positive("bin_seconds", o.bin_seconds);
  positive("rate_threshold", o.rate_threshold);
  positive("drift_threshold", o.drift_threshold);
  positive("drift_min_shift", o.drift_min_shift);
  double max_pct = 100 * o.max_flagged_fraction;
  positive("max_flagged_pct", max_pct, 100);
  o.max_flagged_fraction = max_pct / 100;
  if (node["bins"] && node["bin_seconds"]) r.error(node["bin_seconds"], "qc.bin_seconds", "give bins or bin_seconds, not both");
  if (const auto n = node["channels"]) o.channels = r.strings(n, "qc.channels");
}

}  // namespace

const TransformEntry* transform_for(const Config& config, std::string_view channel) {
  auto entry = [&](std::string_view key) -> const TransformEntry* {
    for (const auto& t : config.transforms)
      if (t.channel == key) return &t;
    return nullptr;
  };
  if (const auto* own = entry(channel)) return own;
  for (const auto& [marker, mapped] : config.panel.markers)
    if (marker == channel) {
      if (const auto* by_channel = entry(mapped)) return by_channel;
      return entry("default");
    }
  return nullptr;
}

Config parse_config(const std::string& text, const std::filesystem::path& file) {
  Config c;
  c.file = file;
  c.base_dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  c.text = text;
  YamlReader r(file.string());
  const YAML::Node root = r.load(text);
  if (!root.IsMap()) throw Error("a pipeline config must be a YAML map", {file.string(), "", 0, 0});
  r.check_keys(root, "", {"name", "description", "inputs", "panel", "compensation", "transforms",
                          "gating", "readouts", "factors", "analysis", "outputs", "qc", "min_events"});
  if (const auto n = root["name"]) c.name = r.string(n, "name").value_or("");
  if (c.name.empty()) c.name = file.stem().string();
  if (const auto d = root["description"]) c.description = r.string(d, "description").value_or("");
  if (const auto n = root["inputs"]) read_inputs(r, n, c);
  else r.error(root, "", "missing section 'inputs'");
  if (const auto n = root["panel"]) read_panel(r, n, c);
  if (const auto n = root["compensation"]) read_compensation(r, n, c);
  if (const auto n = root["transforms"]) read_transforms(r, n, c);
  if (const auto n = root["gating"]) read_gating(r, n, c);
  else r.error(root, "", "missing section 'gating'");
  if (const auto n = root["readouts"]) read_readouts(r, n, c);
  if (const auto n = root["factors"]) read_factor_labels(r, n, c);
  if (const auto n = root["analysis"]) read_analysis(r, n, c);
  if (const auto n = root["outputs"]) read_outputs(r, n, c);
  if (const auto n = root["qc"]) read_qc(r, n, c);
  if (const auto n = root["min_events"]) {
    if (const auto v = r.integer(n, "min_events")) {
      if (*v < 0) r.error(n, "min_events", "expected a whole number of at least 0 (0 = no minimum)");
      else c.min_events = static_cast<std::size_t>(*v);
    }
  }

  // Names that must be unique across threshold gates.
  std::set<std::string> seen;
  for (const auto& g : c.gating.thresholds)
    if (!g.name.empty() && !seen.insert(g.name).second)
      r.error(g.at, "gating.thresholds", "threshold gate '" + g.name + "' is defined twice");

  if (!r.errors().empty()) detail::throw_all(r.errors());
  return c;
}

namespace {
std::string with_unit(const std::string& text, const std::string& unit) {
  return unit.empty() ? text : text + " (" + unit + ")";
}
}  // namespace

std::string readout_title(const Config& config, std::string_view readout) {
  for (const auto& r : config.readouts)
    if (r.name == readout) return with_unit(r.description.empty() ? r.name : r.description, r.unit);
  return std::string(readout);
}

std::string factor_title(const Config& config, std::string_view factor) {
  for (const auto& f : config.factor_labels)
    if (f.factor == factor) return with_unit(f.label.empty() ? f.factor : f.label, f.unit);
  return std::string(factor);
}

std::string channel_title(const Config& config, std::string_view channel) {
  for (const auto& [marker, detector] : config.panel.markers)
    if (marker == channel && detector != marker) return marker + " (" + detector + ")";
  return std::string(channel);
}

Config load_config(const std::filesystem::path& file) {
  return parse_config(read_input_file(file, "pipeline config"), file);
}

}  // namespace cytopipe::pipeline
