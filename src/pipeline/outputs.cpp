#include "pipeline/outputs.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/base/csv.hpp"
#include "cytopipe/base/number_text.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/gating/population_table.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "cytopipe/stats/levels.hpp"
#include "cytopipe/stats/table.hpp"

namespace cytopipe::pipeline::detail {

std::string format_number(double value) { return cytopipe::format_number(value, kTableNumber); }

double as_published(double value) {
  if (!std::isfinite(value)) return value;
  return std::strtod(format_number(value).c_str(), nullptr);
}

std::string csv_field(const std::string& text) { return csv::field(text); }

void write_populations(const std::filesystem::path& file, const SampleSet& samples,
                       const std::vector<SampleOutcome>& outcomes) {
  write_file_atomically(file, [&](std::ostream& out) {
    gating::write_population_header(out);
    for (std::size_t i = 0; i < outcomes.size(); ++i)
      gating::write_population_rows(out, samples.samples[i].name, outcomes[i].rows);
  });
}

void write_readouts(const std::filesystem::path& file, const Config& config, const SampleSet& samples,
                    const std::vector<ReadoutRow>& rows) {
  write_file_atomically(file, [&](std::ostream& out) {
    out << "file";
    for (const auto& f : samples.factor_names) out << ',' << csv_field(f);
    for (const auto& r : config.readouts) out << ',' << csv_field(r.name);
    if (config.qc.present) out << ",qc_verdict,qc_removed_pct,qc_reason";
    out << '\n';
    for (const auto& row : rows) {
      out << csv_field(row.sample->name);
      for (const auto& f : samples.factor_names) {
        const auto v = row.sample->factor(f);
        out << ',' << csv_field(v ? std::string(*v) : std::string());
      }
      for (double v : row.values) out << ',' << format_number(v);
      if (row.qc) out << ',' << csv_field(row.qc->verdict) << ',' << format_number(row.qc->removed_pct) << ',' << csv_field(row.qc->reason);
      out << '\n';
    }
  });
}

void write_formulas(const std::filesystem::path& file, const Config& config, const Plan& plan) {
  write_file_atomically(file, [&](std::ostream& out) {
    out << "readout,expression,formula,applies_to,control,match,description,unit\n";
    for (std::size_t i = 0; i < config.readouts.size(); ++i) {
      const auto& r = config.readouts[i];
      auto selector_text = [](const Selector& s) {
        std::string t;
        for (const auto& [f, levels] : s.conditions) {
          t += (t.empty() ? "" : "; ") + f + " in {";
          for (std::size_t k = 0; k < levels.size(); ++k) t += (k ? "," : "") + levels[k];
          t += "}";
        }
        return t;
      };
      std::string match;
      for (const auto& m : r.match) match += (match.empty() ? "" : ";") + m;
      // A statistic on a transformed scale states which scale.
      std::string text = formula(plan.readouts[i]);
      for_each_channel_statistic(plan.readouts[i], [&](const Expression& e) {
        if (e.scaled)
          if (const auto* t = transform_for(config, e.channel)) text += "; " + e.channel + " scale: " + t->spec;
      });
      out << csv_field(r.name) << ',' << csv_field(to_string(plan.readouts[i])) << ','
          << csv_field(text) << ',' << csv_field(selector_text(r.applies_to)) << ','
          << csv_field(selector_text(r.control)) << ',' << csv_field(match) << ',' << csv_field(r.description)
          << ',' << csv_field(r.unit) << '\n';
    }
  });
}

void write_failures(const std::filesystem::path& file, const std::vector<Failure>& failures) {
  write_file_atomically(file, [&](std::ostream& out) {
    out << "file,stage,reason\n";
    for (const auto& f : failures)
      out << csv_field(f.file) << ',' << csv_field(f.stage) << ',' << csv_field(f.reason) << '\n';
  });
}

namespace {

// Factor levels in the order the statistics use: numbers by value (dose 0, 25, 50, 100; not the
// text order 0, 100, 25, 50), anything else by text; factor by factor as the match lists them.
bool group_before(const ResolvedThreshold& a, const ResolvedThreshold& b) {
  const std::size_t n = std::min(a.group.size(), b.group.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& [fa, va] = a.group[i];
    const auto& [fb, vb] = b.group[i];
    if (fa != fb) return fa < fb;
    if (va == vb) continue;
    if (stats::is_numeric_level(va) && stats::is_numeric_level(vb)) {
      const double x = *stats::parse_number(va), y = *stats::parse_number(vb);
      if (x != y) return x < y;
    }
    return va < vb;
  }
  return a.group.size() < b.group.size();
}

}  // namespace

void write_gates_resolved(const std::filesystem::path& file, const Config& config,
                          const gating::GatingStrategy& strategy,
                          const std::vector<ResolvedThreshold>& thresholds, const SampleSet& samples,
                          const std::vector<SampleOutcome>& outcomes) {
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "strategy" << YAML::Value << config.gating.strategy.generic_string();
  y << YAML::Key << "strategy_sha256" << YAML::Value
    << sha256_file(config.resolve(config.gating.strategy));
  y << YAML::Key << "thresholds" << YAML::Value << YAML::BeginSeq;
  for (const auto& g : config.gating.thresholds) {
    y << YAML::BeginMap;
    y << YAML::Key << "name" << YAML::Value << g.name;
    y << YAML::Key << "parent" << YAML::Value << g.parent;
    y << YAML::Key << "path" << YAML::Value << strategy.path(g.parent) + "/" + g.name;
    y << YAML::Key << "channel" << YAML::Value << g.channel;
    y << YAML::Key << "rule" << YAML::Value
      << "events with " + g.channel + " >= threshold are positive; threshold = percentile " +
             format_number(g.percentile) + " (R type 7) of " + g.channel + " over '" + g.parent +
             "' of the matched controls, pooled";
    y << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
    std::vector<const ResolvedThreshold*> ordered;
    for (const auto& t : thresholds)
      if (t.gate == g.name) ordered.push_back(&t);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const ResolvedThreshold* a, const ResolvedThreshold* b) { return group_before(*a, *b); });
    for (const ResolvedThreshold* tp : ordered) {
      const ResolvedThreshold& t = *tp;
      y << YAML::BeginMap;
      y << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
      for (const auto& [f, v] : t.group) y << YAML::Key << f << YAML::Value << v;
      y << YAML::EndMap;
      y << YAML::Key << "controls" << YAML::Value << YAML::Flow << t.controls;
      y << YAML::Key << "control_events" << YAML::Value << t.control_events;
      y << YAML::Key << "threshold" << YAML::Value << format_number(t.value);
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
    y << YAML::EndMap;
  }
  y << YAML::EndSeq;
  y << YAML::Key << "strategy_yaml" << YAML::Value << YAML::Literal << gating::to_yaml(strategy);
  // Strategies with finder gates (and frozen runs): per file, what each finder saw and the
  // strategy as placed, which `cytopipe run --frozen-gates` reads back. Absent otherwise.
  const bool any_placed = std::any_of(outcomes.begin(), outcomes.end(), [](const SampleOutcome& o) {
    return !o.placed_strategy.empty();
  });
  if (any_placed) {
    y << YAML::Key << "placed" << YAML::Value << YAML::BeginSeq;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      const SampleOutcome& o = outcomes[i];
      if (o.placed_strategy.empty()) continue;
      y << YAML::BeginMap;
      y << YAML::Key << "file" << YAML::Value << samples.samples[i].name;
      if (!o.finder_reports.empty()) {
        y << YAML::Key << "finders" << YAML::Value << YAML::BeginSeq;
        for (const auto& r : o.finder_reports) {
          y << YAML::BeginMap;
          y << YAML::Key << "gate" << YAML::Value << r.gate;
          y << YAML::Key << "find" << YAML::Value << std::string(gating::to_string(r.method));
          y << YAML::Key << "on" << YAML::Value << YAML::Flow << r.dimensions;
          y << YAML::Key << "events" << YAML::Value << r.events;
          if (r.ignored) y << YAML::Key << "non_finite_ignored" << YAML::Value << r.ignored;
          std::vector<std::string> peaks;
          for (double p : r.peaks) peaks.push_back(format_number(p));
          y << YAML::Key << "peaks" << YAML::Value << YAML::Flow << peaks;
          if (r.valley) y << YAML::Key << "valley" << YAML::Value << format_number(*r.valley);
          if (r.cut) y << YAML::Key << "cut" << YAML::Value << format_number(*r.cut);
          if (r.method == gating::FinderMethod::Singlets)
          {
            y << YAML::Key << "ratio" << YAML::Value << format_number(r.slope);
            y << YAML::Key << "intercept" << YAML::Value << format_number(r.intercept);
          }
          if (r.method == gating::FinderMethod::Cells || r.method == gating::FinderMethod::Ellipse)
            y << YAML::Key << "centre" << YAML::Value << YAML::Flow
              << std::vector<std::string>{format_number(r.centre_x), format_number(r.centre_y)};
          if (!r.fallback.empty()) y << YAML::Key << "fallback" << YAML::Value << r.fallback;
          y << YAML::Key << "fraction_kept" << YAML::Value << format_number(r.fraction);
          y << YAML::EndMap;
        }
        y << YAML::EndSeq;
      }
      y << YAML::Key << "strategy_yaml" << YAML::Value << YAML::Literal << o.placed_strategy;
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
  }
  y << YAML::EndMap;
  write_file_atomically(file, std::string(y.c_str()) + "\n");
}

void write_run_json(const std::filesystem::path& file, const Config& config, const RunResult& result,
                    const Timings& timings, const std::vector<InputHash>& input_hashes,
                    std::int64_t started_unix_ns) {
  nlohmann::ordered_json j;
  j["cytopipe_version"] = CYTOPIPE_VERSION;
  j["started_unix_ns"] = started_unix_ns;
  j["pipeline"] = config.name;
  j["config"] = config.file.generic_string();
  j["config_sha256"] = sha256_hex(config.text);
  j["strategy_sha256"] = sha256_file(config.resolve(config.gating.strategy));
  auto& inputs = j["inputs"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < result.samples.samples.size(); ++i) {
    const InputHash& h = input_hashes[i];
    nlohmann::ordered_json input = {{"file", result.samples.samples[i].name},
                                    {"path", result.samples.samples[i].path.generic_string()},
                                    {"sha256", h.sha256.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(h.sha256)}};
    if (!h.sha256.empty())  // "read": of the bytes decoded; "previous run": carried over, file unchanged
      input["sha256_from"] = h.carried_over ? "previous run (file unchanged)" : "read";
    if (h.identity) input["identity"] = to_json(*h.identity);
    inputs.push_back(std::move(input));
  }
  if (config.inputs.sample_sheet)
    j["sample_sheet_sha256"] = sha256_file(config.resolve(*config.inputs.sample_sheet));
  j["counts"] = {{"samples", result.samples.samples.size()},
                 {"files_failed", result.files_failed},
                 {"failures", result.failures.size()},
                 {"events", result.events},
                 {"thresholds_resolved", result.thresholds.size()},
                 {"stopped_early", result.stopped_early}};
  j["timings_seconds"] = {{"resolve_inputs", timings.resolve},
                          {"thresholds", timings.thresholds},
                          {"samples", timings.samples},
                          {"readouts", timings.readouts},
                          {"outputs", timings.outputs},
                          {"total", timings.total}};
  j["notices"] = result.samples.notices;
  j["warnings"] = result.samples.warnings;
  j["outputs"] = result.written;
  // File names (and notices quoting them) are bytes; a name that is not UTF-8 is written with
  // U+FFFD rather than failing the run after its tables were written.
  write_file_atomically(file, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

}  // namespace cytopipe::pipeline::detail
