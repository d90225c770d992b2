// cytopipe stats: dose-response statistics on any tidy CSV table (one row per observation).
#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/stats/analysis.hpp"
#include "cytopipe/stats/table.hpp"

namespace cytopipe::cli {
namespace {

struct StatsOptions {
  std::string table;
  std::string value;
  std::string by;
  std::string control;
  std::string within;
  std::vector<std::string> tests;
  std::string adjust = "holm";
  std::string log_zero = "exclude";
  double log_offset = 1.0;
  double alpha = 0.05;
  bool json = false;
};

nlohmann::json number_or_null(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "Inf" : "-Inf";
  return v;
}

void write_json(std::ostream& out, const std::vector<stats::ResultRow>& rows) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j;
    j["readout"] = r.readout;
    j["stratum"] = r.stratum;
    j["test"] = r.test;
    j["comparison"] = r.comparison;
    j["group"] = r.group;          // a comparison's levels (empty for other rows)
    j["reference"] = r.reference;
    j["statistic_name"] = r.statistic_name;
    j["statistic"] = number_or_null(r.statistic);
    j["df1"] = number_or_null(r.df1);
    j["df2"] = number_or_null(r.df2);
    j["estimate"] = number_or_null(r.estimate);
    j["ci_low"] = number_or_null(r.ci_low);
    j["ci_high"] = number_or_null(r.ci_high);
    j["p"] = number_or_null(r.p);
    j["p_adjusted"] = number_or_null(r.p_adjusted);
    j["adjustment"] = r.adjustment;
    j["significance"] = r.significance;
    j["n"] = stats::sizes_text(r.sizes);
    j["alternative"] = r.alternative;
    j["method"] = r.method;
    j["message"] = r.message;
    j["sd"] = number_or_null(r.sd);
    j["sem"] = number_or_null(r.sem);
    j["p_bound"] = r.p_bound;
    array.push_back(std::move(j));
  }
  out << array.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

int run(const StatsOptions& o) {
  const stats::Table table = stats::read_csv(o.table);
  stats::AnalysisSpec spec;
  spec.value = o.value;
  spec.group = o.by;
  if (!o.control.empty()) spec.control = o.control;
  if (!o.within.empty()) spec.stratum = o.within;
  // --test accepts repeats and comma-separated lists.
  for (const auto& t : o.tests) {
    std::stringstream list(t);
    for (std::string name; std::getline(list, name, ',');)
      if (!name.empty()) spec.tests.push_back(stats::parse_test(name));
  }
  spec.adjustment = stats::parse_adjustment(o.adjust);
  spec.log_trend.zero = o.log_zero == "offset" ? stats::ZeroDose::offset : stats::ZeroDose::exclude;
  spec.log_trend.zero_offset = o.log_offset;
  spec.alpha = o.alpha;
  spec.group_summaries = true;  // n, mean, SD, SEM, 95 % CI per stratum x group, first
  const auto rows = stats::run_analysis(table, spec);
  if (o.json) write_json(std::cout, rows);
  else stats::write_rows_csv(std::cout, rows);
  return 0;
}

const RegisterCommand registered{Command{
    "stats", "Dose-response statistics (ANOVA, Dunnett, Tukey, Kruskal-Wallis, trend, 4PL) on a CSV",
    [](CLI::App& app) -> std::function<int()> {
      auto o = std::make_shared<StatsOptions>();
      app.add_option("table", o->table, "tidy CSV table, one row per observation")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("--value", o->value, "column with the read-out")->required();
      app.add_option("--by", o->by, "column with the groups (dose)")->required();
      app.add_option("--control", o->control, "control level of --by (default: the first/lowest)");
      app.add_option("--within", o->within, "analyse each level of this column separately");
      app.add_option("--test", o->tests,
                     "anova, welch, kruskal, dunnett[-greater|-less], tukey, dunn, pairwise-t, "
                     "t-vs-control, welch-t-vs-control, t, welch-t, mann-whitney, trend, trend-log, "
                     "jonckheere, hill, hill-control, shapiro, levene, brown-forsythe, two-way, "
                     "two-way-i, two-way-iii, auto (repeat or comma-separate); the output starts "
                     "with n, mean, SD, SEM and 95 % CI per group")
          ->required();
      app.add_option("--adjust", o->adjust,
                     "p adjustment: holm, bonferroni, BH, none; for dunn and pairwise-t over "
                     "all pairs (dunn with --control: the control comparisons), for "
                     "t-vs-control and welch-t-vs-control over the comparisons with the control")
          ->capture_default_str();
      app.add_option("--log-zero", o->log_zero, "trend-log: exclude doses <= 0, or offset them")
          ->check(CLI::IsMember({"exclude", "offset"}))
          ->capture_default_str();
      app.add_option("--log-offset", o->log_offset, "trend-log with --log-zero offset: log10(dose + c)")
          ->capture_default_str();
      app.add_option("--alpha", o->alpha, "level of the assumption checks of --test auto")
          ->capture_default_str();
      app.add_flag("--json", o->json, "JSON array instead of CSV");
      return [o] { return run(*o); };
    }}};

}  // namespace
}  // namespace cytopipe::cli
