#pragma once
// The analysis a pipeline (or `cytopipe stats`) runs on a tidy table: for one read-out column,
// grouped by a factor column (e.g. dose), optionally per stratum (e.g. each cell line), run a
// list of tests and return tidy rows: one row per read-out x stratum x test x comparison/term.
//
//   stats::AnalysisSpec spec;
//   spec.value = "pct_bcma_pos"; spec.group = "dose_nM"; spec.stratum = "cell_line";
//   spec.control = "0"; spec.tests = {stats::TestKind::anova, stats::TestKind::dunnett};
//   std::vector<stats::ResultRow> rows = stats::run_analysis(table, spec);
//   stats::write_rows_csv(out_stream, rows);   // stats.csv
//
// Tests (TestKind; by name, case-insensitive, in test_kind.hpp):
//   anova, welch (Welch's ANOVA), kruskal (Kruskal-Wallis),
//   dunnett, dunnett-greater, dunnett-less (against the control level),
//   tukey, dunn (after Kruskal-Wallis; vs control if given, else all pairs; adjustment below),
//   pairwise-t (pooled SD, all pairs; adjustment below over all k(k-1)/2 pairs),
//   t-vs-control, welch-t-vs-control (each level vs the control: SD pooled over all groups, or
//   Welch per pair; adjustment below over the k - 1 control comparisons only),
//   t, welch-t, mann-whitney (control vs each level, unadjusted),
//   trend (regression on dose), trend-log (on log10 dose; zero handling below), jonckheere,
//   hill (4PL fit on the positive doses, the dose-0 control's mean beside it), hill-control
//   (4PL with dose 0 as the low-dose asymptote), shapiro (on ANOVA residuals), levene,
//   brown-forsythe, two-way, two-way-iii (type II / III, group x stratum), two-way-i (type I,
//   sequential: stratum, group, stratum:group, as anova(lm(value ~ stratum * group))); the
//   two-way tests run on the whole table, stratum = "all",
//   auto (assumption checks pick anova+dunnett/tukey, welch+dunnett, or kruskal+dunn; the rows
//         say which and why in `method`).
// Groups are ordered as ordered_levels() does (levels.hpp): numerically when every level is a
// number (dose), else by first appearance.
// The default control is the first level (the lowest dose). Rows with a missing value (empty,
// NA, NaN) are dropped and counted in the row's `method`; a non-numeric value cell is an error.
// Degenerate input never throws: the row carries `message` and NaN numbers.
#include <iosfwd>
#include <map>
#include <span>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/stats/adjust.hpp"
#include "cytopipe/stats/result.hpp"
#include "cytopipe/stats/table.hpp"
#include "cytopipe/stats/test_kind.hpp"
#include "cytopipe/stats/trend.hpp"

namespace cytopipe::stats {

struct AnalysisSpec {
  std::string value;                    // read-out column
  std::string group;                    // factor column (dose)
  std::optional<std::string> control;   // control level; default: first level
  std::optional<std::string> stratum;   // analyse each level of this column separately
  std::vector<TestKind> tests;
  Adjustment adjustment = Adjustment::holm;  // for dunn and pairwise-t
  TrendOptions log_trend{DoseScale::log10, ZeroDose::exclude, 1.0};  // for trend-log
  double alpha = 0.05;                  // for auto's assumption checks
  SignificanceScale significance;
  // Also a "summary" row per stratum x group, first in each stratum: n, mean, SD, SEM and the
  // 95 % t CI of the mean (summary.hpp). With it, `tests` may be empty.
  bool group_summaries = false;
};

// One line of stats.csv. Omnibus tests give one row with comparison empty; post-hoc tests one
// row per comparison; two-way ANOVA one row per term; fits one row per parameter; group summaries
// one row per group (test "summary", comparison = the group's level, estimate = mean, ci = the
// 95 % CI of the mean, df1 = n - 1, sd and sem).
struct ResultRow {
  std::string readout;
  std::string stratum;        // level of the stratum column, "all" without one
  std::string test;
  std::string comparison;     // "10 - 0", term or parameter name; empty for the omnibus row
  std::string group;          // a comparison's levels: `group` against `reference` (the
  std::string reference;      //   comparison's label is "group - reference"); empty otherwise
  std::string statistic_name;
  double statistic = kNaN;
  double df1 = kNaN;
  double df2 = kNaN;
  double estimate = kNaN;
  double ci_low = kNaN;
  double ci_high = kNaN;
  double p = kNaN;            // raw (omnibus, or unadjusted comparison) p
  double p_adjusted = kNaN;
  std::string adjustment;
  std::string significance;   // from p_adjusted when present, else p
  std::vector<GroupSize> sizes;  // n per group (one for a summary row); stats.csv's n cell
                                 // writes them "0:3;10:3;100:4" (sizes_text)
  std::string alternative;
  std::string method;
  std::string message;        // why the numbers are NaN, if they are
  double sd = kNaN;           // summary rows: SD (n - 1) and SEM of the group
  double sem = kNaN;
  // Non-empty when the row's p (p_adjusted when given) is an upper bound, not an estimate:
  // "< 1e-10" below the accuracy of a numerical integral (Dunnett, Tukey), "< 2.2e-308" for a
  // tail that underflowed. The computed value stays in p / p_adjusted.
  std::string p_bound;
};

// Throws cytopipe::Error for a bad spec (unknown column, no test, control level absent,
// non-numeric value cell). Test-level problems become row messages.
std::vector<ResultRow> run_analysis(const Table& table, const AnalysisSpec& spec);

// The observations of one read-out as values, for callers that hold numbers (the pipeline):
// one entry per observation in each vector (strata only with spec.stratum; NaN = missing).
// spec.value, spec.group and spec.stratum name the read-out and the factors in the rows.
struct Observations {
  std::string source;                // names the data in error messages
  std::vector<double> values;
  std::vector<std::string> groups;
  std::vector<std::string> strata;
};
std::vector<ResultRow> run_analysis(const Observations& data, const AnalysisSpec& spec);

// The significance mark of each group against `control` within `stratum`, from the first row
// comparing that group with the control (post-hoc or pairwise tests): group level -> mark.
std::map<std::string, std::string> marks_against_control(std::span<const ResultRow> rows,
                                                         std::string_view stratum,
                                                         std::string_view control);

// Reads stats.csv (as write_rows_csv writes it) back into rows; a comparison's levels come from
// its "group - reference" label. Throws cytopipe::Error (file, line) for a missing column or a
// cell that is not a number.
std::vector<ResultRow> read_rows(const Table& table);

// Flattens one result into rows (used by run_analysis; handy for direct library use).
std::vector<ResultRow> to_rows(const TestResult& result, const std::string& readout,
                               const std::string& stratum);

// A row's group sizes as stats.csv's n cell writes them: "0:3;10:3;100:4" (level:n per group).
std::string sizes_text(std::span<const GroupSize> sizes);
// That cell read back; `source` and `line` name it in the Error for a part that is not level:n.
std::vector<GroupSize> parse_sizes(std::string_view text, const std::string& source = "<n>", int line = 0);

// CSV with a header line; numbers with 17 significant digits, NaN as empty cells.
void write_rows_csv(std::ostream& out, const std::vector<ResultRow>& rows);
const std::vector<std::string>& row_columns();

}  // namespace cytopipe::stats
