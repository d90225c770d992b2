#include "cytopipe/stats/analysis.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/base/number_text.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/stats/anova.hpp"
#include "cytopipe/stats/assumptions.hpp"
#include "cytopipe/stats/hill.hpp"
#include "cytopipe/stats/levels.hpp"
#include "cytopipe/stats/nonparametric.hpp"
#include "cytopipe/stats/p_value.hpp"
#include "cytopipe/stats/posthoc.hpp"
#include "cytopipe/stats/summary.hpp"
#include "cytopipe/stats/ttest.hpp"
#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

// The observations of one stratum, grouped by level of the group column.
struct Stratum {
  std::string name;
  std::vector<Group> groups;
  std::vector<double> doses;   // numeric level of each group (NaN when not numeric)
  bool numeric_levels = true;
  std::string non_numeric_level;
  std::size_t missing = 0;     // rows dropped for a missing value
};

bool same_level(const std::string& level, const std::string& wanted) {
  if (level == wanted) return true;
  const auto a = parse_number(level), b = parse_number(wanted);
  return a && b && !std::isnan(*a) && *a == *b;
}

ResultRow base_row(const TestResult& result, const std::string& readout,
                   const std::string& stratum) {
  ResultRow row;
  row.readout = readout;
  row.stratum = stratum;
  row.test = result.test;
  row.statistic_name = result.statistic_name;
  row.sizes = result.groups;
  row.alternative = to_string(result.alternative);
  row.method = result.method;
  row.message = result.message;
  return row;
}

// One "summary" row per group: n, mean, SD, SEM, 95 % CI of the mean.
std::vector<ResultRow> summary_rows(const std::vector<Group>& groups, const std::string& readout,
                                    const std::string& stratum, std::size_t missing) {
  std::vector<ResultRow> rows;
  for (const auto& g : groups) {
    const GroupSummary summary = summarize(g);
    ResultRow row;
    row.readout = readout;
    row.stratum = stratum;
    row.test = "summary";
    row.comparison = g.label;
    row.df1 = summary.n >= 2 ? static_cast<double>(summary.n - 1) : kNaN;
    row.estimate = summary.mean;
    row.ci_low = summary.ci_low;
    row.ci_high = summary.ci_high;
    row.sd = summary.sd;
    row.sem = summary.sem;
    row.sizes = {{g.label, summary.n}};
    row.method = "mean, SD (n - 1), SEM = SD / sqrt(n), 95 % CI of the mean on t with n - 1 df";
    if (missing > 0)
      row.method += "; " + std::to_string(missing) + " rows with a missing value dropped";
    if (summary.n < 2) row.message = "n = 1: no SD, SEM or CI";
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::vector<ResultRow> to_rows(const TestResult& result, const std::string& readout,
                               const std::string& stratum) {
  std::vector<ResultRow> rows;
  const bool has_details =
      !result.comparisons.empty() || !result.terms.empty() || !result.parameters.empty();
  if (!has_details || !std::isnan(result.statistic) || !std::isnan(result.p)) {
    ResultRow row = base_row(result, readout, stratum);
    row.statistic = result.statistic;
    row.df1 = result.df1;
    row.df2 = result.df2;
    row.p = result.p;
    row.p_bound = p_bound_text(result.p, result.p_resolution);
    row.significance = result.significance;
    rows.push_back(std::move(row));
  }
  for (const auto& c : result.comparisons) {
    ResultRow row = base_row(result, readout, stratum);
    row.comparison = c.label;
    row.group = c.group;
    row.reference = c.reference;
    row.statistic = c.statistic;
    row.df1 = c.df;
    row.estimate = c.estimate;
    row.ci_low = c.ci_low;
    row.ci_high = c.ci_high;
    row.p = c.p_raw;
    row.p_adjusted = c.p_adjusted;
    row.adjustment = c.adjustment;
    row.p_bound = p_bound_text(std::isnan(c.p_adjusted) ? c.p_raw : c.p_adjusted, result.p_resolution);
    row.significance = c.significance;
    rows.push_back(std::move(row));
  }
  for (const auto& t : result.terms) {
    if (t.name == "Residuals") continue;
    ResultRow row = base_row(result, readout, stratum);
    row.comparison = t.name;
    row.statistic = t.statistic;
    row.df1 = t.df;
    row.df2 = result.df2;
    row.estimate = t.sum_sq;
    row.p = t.p;
    row.p_bound = p_bound_text(t.p, 0);
    row.significance = t.significance;
    rows.push_back(std::move(row));
  }
  for (const auto& p : result.parameters) {
    ResultRow row = base_row(result, readout, stratum);
    row.comparison = p.name;
    row.statistic_name = std::isnan(p.statistic) ? "" : p.statistic_name;
    row.statistic = p.statistic;
    row.df1 = std::isnan(p.statistic) ? kNaN : result.df1;
    row.estimate = p.estimate;
    row.ci_low = p.ci_low;
    row.ci_high = p.ci_high;
    row.p = p.p;
    row.p_bound = p_bound_text(p.p, 0);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ResultRow> run_analysis(const Table& table, const AnalysisSpec& spec) {
  const auto& value_cells = table.column(spec.value);
  Observations data;
  data.source = table.source;
  data.groups = table.column(spec.group);
  if (spec.stratum) data.strata = table.column(*spec.stratum);
  if (spec.tests.empty() && !spec.group_summaries)
    throw Error("no test requested", {table.source, "test", 0, 0});

  // Numeric values, row by row; a cell that is not a number is bad input, a missing one is dropped.
  data.values.resize(table.rows());
  for (std::size_t i = 0; i < table.rows(); ++i) {
    const auto v = parse_number(value_cells[i]);
    if (!v)
      throw Error("value '" + value_cells[i] + "' is not a number",
                  {table.source, spec.value, static_cast<int>(i + 2), 0});
    data.values[i] = *v;
  }
  return run_analysis(data, spec);
}

std::vector<ResultRow> run_analysis(const Observations& data, const AnalysisSpec& spec) {
  const std::vector<TestKind>& tests = spec.tests;
  if (tests.empty() && !spec.group_summaries) throw Error("no test requested", {data.source, "test", 0, 0});
  if (data.groups.size() != data.values.size() || (spec.stratum && data.strata.size() != data.values.size()))
    throw Error("observations: values, groups and strata differ in length", {data.source, "", 0, 0});
  const std::vector<double>& values = data.values;
  const std::vector<std::string>& group_cells = data.groups;
  const std::vector<std::string>* stratum_cells = spec.stratum ? &data.strata : nullptr;
  const std::size_t n_rows = values.size();

  // Strata in order of first appearance, groups ordered numerically when every level is a number.
  std::vector<Stratum> strata;
  auto stratum_of = [&](const std::string& name) -> Stratum& {
    for (auto& s : strata)
      if (s.name == name) return s;
    strata.push_back({name, {}, {}, true, {}, 0});
    return strata.back();
  };
  for (std::size_t i = 0; i < n_rows; ++i) {
    Stratum& s = stratum_of(stratum_cells ? (*stratum_cells)[i] : "all");
    if (std::isnan(values[i])) {
      ++s.missing;
      continue;
    }
    auto it = std::find_if(s.groups.begin(), s.groups.end(),
                           [&](const Group& g) { return g.label == group_cells[i]; });
    if (it == s.groups.end()) {
      s.groups.push_back({group_cells[i], {}});
      it = s.groups.end() - 1;
    }
    it->values.push_back(values[i]);
  }
  for (auto& s : strata) {
    for (const auto& g : s.groups) {
      if (is_numeric_level(g.label)) continue;
      s.numeric_levels = false;
      if (s.non_numeric_level.empty()) s.non_numeric_level = g.label;
    }
    std::vector<std::string> labels;
    for (const auto& g : s.groups) labels.push_back(g.label);
    std::vector<Group> ordered;
    for (const auto& level : ordered_levels(labels))
      for (auto& g : s.groups)
        if (g.label == level) ordered.push_back(std::move(g));
    s.groups = std::move(ordered);
    for (const auto& g : s.groups) {
      const auto d = parse_number(g.label);
      s.doses.push_back(d ? *d : kNaN);
    }
  }
  if (spec.control) {
    bool found = false;
    for (const auto& s : strata)
      for (const auto& g : s.groups) found = found || same_level(g.label, *spec.control);
    if (!found)
      throw Error("control level '" + *spec.control + "' does not occur in column '" + spec.group +
                      "'",
                  {data.source, spec.group, 0, 0});
  }

  std::vector<ResultRow> rows;
  auto emit = [&](TestResult result, const std::string& stratum, std::size_t missing,
                  const std::string& prefix = {}) {
    label_significance(result, spec.significance);
    if (!prefix.empty()) result.method = prefix + (result.method.empty() ? "" : "; " + result.method);
    if (missing > 0)
      result.method += (result.method.empty() ? "" : "; ") + std::to_string(missing) +
                       " rows with a missing value dropped";
    for (auto& row : to_rows(result, spec.value, stratum)) rows.push_back(std::move(row));
  };

  for (const auto& s : strata) {
    std::size_t control = 0;
    std::string control_problem;
    if (spec.control) {
      control = s.groups.size();
      for (std::size_t g = 0; g < s.groups.size(); ++g)
        if (same_level(s.groups[g].label, *spec.control)) control = g;
      if (control == s.groups.size())
        control_problem = "control level '" + *spec.control + "' absent in this stratum";
    } else if (s.groups.empty()) {
      control_problem = "no observations";
    }
    const std::string dose_problem =
        s.numeric_levels ? std::string{}
                         : "dose column '" + spec.group + "' is not numeric (level '" +
                               s.non_numeric_level + "')";
    std::vector<double> dose_per_row, response_per_row;
    for (std::size_t g = 0; g < s.groups.size(); ++g)
      for (double v : s.groups[g].values) {
        dose_per_row.push_back(s.doses[g]);
        response_per_row.push_back(v);
      }
    auto failed = [&](const std::string& test, const std::string& why) {
      TestResult r;
      r.test = test;
      r.groups = group_sizes(s.groups);
      r.message = why;
      return r;
    };
    auto against_control = [&](auto&& run, const std::string& name) {
      if (!control_problem.empty()) return emit(failed(name, control_problem), s.name, s.missing);
      emit(run(), s.name, s.missing);
    };
    // Two-sample tests: each level against the control.
    auto two_sample = [&](const std::string& name, auto&& test) {
      if (!control_problem.empty()) return emit(failed(name, control_problem), s.name, s.missing);
      if (s.groups.size() < 2)
        return emit(failed(name, "needs at least 2 groups, got " + std::to_string(s.groups.size())),
                    s.name, s.missing);
      for (std::size_t g = 0; g < s.groups.size(); ++g) {
        if (g == control) continue;
        TestResult r = test(s.groups[g], s.groups[control]);
        // One row per pair: the comparison label identifies it.
        if (r.comparisons.empty()) {
          Comparison c = detail::comparison(s.groups[g].label, s.groups[control].label);
          c.statistic = r.statistic;
          c.p_raw = r.p;
          c.adjustment = "none";
          if (r.ok()) r.comparisons.push_back(c);
        }
        r.statistic = kNaN;
        r.p = kNaN;
        if (!r.ok()) r.method += (r.method.empty() ? "" : "; ") + ("pair " + s.groups[g].label + " - " + s.groups[control].label);
        emit(std::move(r), s.name, s.missing);
      }
    };
    const std::size_t no_control = spec.control ? control : static_cast<std::size_t>(-1);

    if (spec.group_summaries)
      for (const auto& row : summary_rows(s.groups, spec.value, s.name, s.missing))
        rows.push_back(row);

    for (const TestKind test : tests) {
      switch (test) {
        case TestKind::anova: emit(one_way_anova(s.groups), s.name, s.missing); break;
        case TestKind::welch: emit(welch_anova(s.groups), s.name, s.missing); break;
        case TestKind::kruskal: emit(kruskal_wallis(s.groups), s.name, s.missing); break;
        case TestKind::dunnett:
          against_control([&] { return dunnett(s.groups, control); }, "Dunnett");
          break;
        case TestKind::dunnett_greater:
          against_control([&] { return dunnett(s.groups, control, Alternative::greater); }, "Dunnett");
          break;
        case TestKind::dunnett_less:
          against_control([&] { return dunnett(s.groups, control, Alternative::less); }, "Dunnett");
          break;
        case TestKind::tukey: emit(tukey_hsd(s.groups), s.name, s.missing); break;
        case TestKind::dunn:
          if (spec.control && !control_problem.empty())
            emit(failed("Dunn", control_problem), s.name, s.missing);
          else
            emit(dunn(s.groups, spec.adjustment, no_control), s.name, s.missing);
          break;
        case TestKind::pairwise_t: emit(pairwise_t(s.groups, spec.adjustment), s.name, s.missing); break;
        case TestKind::t_vs_control:
          against_control([&] { return t_vs_control(s.groups, control, spec.adjustment); },
                          "t-tests vs control (pooled SD)");
          break;
        case TestKind::welch_t_vs_control:
          against_control([&] { return t_vs_control(s.groups, control, spec.adjustment, false); },
                          "Welch t-tests vs control");
          break;
        case TestKind::t:
          two_sample("Student t-test", [](const Group& a, const Group& b) { return t_test(a, b, true); });
          break;
        case TestKind::welch_t:
          two_sample("Welch t-test", [](const Group& a, const Group& b) { return t_test(a, b, false); });
          break;
        case TestKind::mann_whitney:
          two_sample("Mann-Whitney", [](const Group& a, const Group& b) { return mann_whitney(a, b); });
          break;
        case TestKind::trend:
        case TestKind::trend_log:
        case TestKind::hill:
        case TestKind::hill_control: {
          const bool hill = test == TestKind::hill || test == TestKind::hill_control;
          const std::string name = hill ? "4PL fit" : "linear trend";
          HillOptions hill_options;
          if (test == TestKind::hill_control) hill_options.zero_dose = HillOptions::ZeroDose::asymptote;
          if (!dose_problem.empty()) {
            emit(failed(name, dose_problem), s.name, s.missing);
            break;
          }
          TestResult r = hill ? fit_hill(dose_per_row, response_per_row, hill_options)
                         : test == TestKind::trend
                             ? linear_trend(dose_per_row, response_per_row)
                             : linear_trend(dose_per_row, response_per_row, spec.log_trend);
          r.groups = group_sizes(s.groups);
          emit(std::move(r), s.name, s.missing);
          break;
        }
        case TestKind::jonckheere:
          if (!dose_problem.empty()) emit(failed("Jonckheere-Terpstra", dose_problem), s.name, s.missing);
          else emit(jonckheere_terpstra(s.groups), s.name, s.missing);
          break;
        case TestKind::shapiro: {
          TestResult r = shapiro_wilk(anova_residuals(s.groups));
          r.groups = group_sizes(s.groups);
          emit(std::move(r), s.name, s.missing, "on one-way ANOVA residuals");
          break;
        }
        case TestKind::levene: emit(levene(s.groups, Center::mean), s.name, s.missing); break;
        case TestKind::brown_forsythe: emit(levene(s.groups, Center::median), s.name, s.missing); break;
        case TestKind::automatic: {
          const AutoChoice choice = choose_family(s.groups, spec.alpha);
          const std::string why = "auto: " + choice.reason;
          switch (choice.family) {
            case Family::parametric_equal_var:
              emit(one_way_anova(s.groups), s.name, s.missing, why);
              if (spec.control) {
                if (control_problem.empty()) emit(dunnett(s.groups, control), s.name, s.missing, why);
                else emit(failed("Dunnett", control_problem), s.name, s.missing, why);
              } else {
                emit(tukey_hsd(s.groups), s.name, s.missing, why);
              }
              break;
            case Family::parametric_welch:
              emit(welch_anova(s.groups), s.name, s.missing, why);
              emit(pairwise_t(s.groups, spec.adjustment, false), s.name, s.missing, why);
              break;
            case Family::rank_based:
              emit(kruskal_wallis(s.groups), s.name, s.missing, why);
              if (spec.control && !control_problem.empty())
                emit(failed("Dunn", control_problem), s.name, s.missing, why);
              else
                emit(dunn(s.groups, spec.adjustment, no_control), s.name, s.missing, why);
              break;
          }
          break;
        }
        case TestKind::two_way:
        case TestKind::two_way_i:
        case TestKind::two_way_iii:
          break;  // once over the whole table, below
      }
    }
  }

  // Two-way ANOVA runs once over the whole table: group x stratum.
  for (const TestKind test : tests) {
    if (test != TestKind::two_way && test != TestKind::two_way_iii && test != TestKind::two_way_i)
      continue;
    TestResult r;
    if (!spec.stratum) {
      r.test = "two-way ANOVA";
      r.message = "two-way ANOVA needs a stratum column (the second factor)";
    } else {
      std::vector<double> y;
      std::vector<std::string> a, b;
      for (std::size_t i = 0; i < n_rows; ++i) {
        if (std::isnan(values[i])) continue;
        y.push_back(values[i]);
        a.push_back(group_cells[i]);
        b.push_back((*stratum_cells)[i]);
      }
      if (test == TestKind::two_way_i)  // sequential as anova(lm(value ~ stratum * group))
        r = two_way_anova(y, b, a, SumOfSquares::type1, *spec.stratum, spec.group);
      else
        r = two_way_anova(y, a, b, test == TestKind::two_way ? SumOfSquares::type2 : SumOfSquares::type3,
                          spec.group, *spec.stratum);
    }
    std::size_t missing = 0;
    for (const auto& s : strata) missing += s.missing;
    emit(std::move(r), "all", missing);
  }
  return rows;
}

const std::vector<std::string>& row_columns() {
  static const std::vector<std::string> columns = {
      "readout", "stratum", "test",     "comparison", "statistic_name", "statistic", "df1",
      "df2",     "estimate", "ci_low",  "ci_high",    "p",              "p_adjusted", "adjustment",
      "significance", "n",  "alternative", "method",  "message", "sd",        "sem",
      "p_bound"};
  return columns;
}

namespace {

std::string csv_cell(const std::string& s) { return csv::field(s); }

std::string number(double v) { return format_number(v, kStatisticsNumber); }

}  // namespace

void write_rows_csv(std::ostream& out, const std::vector<ResultRow>& rows) {
  const auto& columns = row_columns();
  for (std::size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << columns[i];
  out << '\n';
  for (const auto& r : rows) {
    const std::string cells[] = {r.readout,          r.stratum,         r.test,
                                 r.comparison,       r.statistic_name,  number(r.statistic),
                                 number(r.df1),      number(r.df2),     number(r.estimate),
                                 number(r.ci_low),   number(r.ci_high), number(r.p),
                                 number(r.p_adjusted), r.adjustment,    r.significance,
                                 sizes_text(r.sizes), r.alternative,    r.method,
                                 r.message,          number(r.sd),      number(r.sem),
                                 r.p_bound};
    for (std::size_t i = 0; i < std::size(cells); ++i) out << (i ? "," : "") << csv_cell(cells[i]);
    out << '\n';
  }
}

}  // namespace cytopipe::stats
