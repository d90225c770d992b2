// The analysis runner over a tidy table, and CSV reading.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/stats/stats.hpp"
#include "golden.hpp"

namespace cytopipe::stats {
namespace {

// A spec with the three fields every test sets (designated initializers would leave the others
// to -Wmissing-field-initializers).
AnalysisSpec spec_of(std::string value, std::string group, const std::vector<std::string>& tests) {
  AnalysisSpec spec;
  spec.value = std::move(value);
  spec.group = std::move(group);
  for (const auto& name : tests) spec.tests.push_back(parse_test(name));
  return spec;
}

// A long table built from two golden data sets as two cell lines.
Table two_lines() {
  const auto sets = test::load_golden("one_factor.json");
  Table t({"cell_line", "dose", "pct"});
  for (auto [index, line] : {std::pair{0, "MM1S"}, {4, "U266"}})
    for (const auto& g : test::groups_of(sets.at(index)))
      for (double v : g.values) {
        char cell[32];
        std::snprintf(cell, sizeof cell, "%.17g", v);
        t.add_row({line, g.label, cell});
      }
  return t;
}

TEST(Analysis, PerStratumRowsAgreeWithTheDirectCalls) {
  const auto sets = test::load_golden("one_factor.json");
  AnalysisSpec spec;
  spec.value = "pct";
  spec.group = "dose";
  spec.stratum = "cell_line";
  spec.control = "0";
  spec.tests = {TestKind::anova, TestKind::dunnett, TestKind::tukey};
  const auto rows = run_analysis(two_lines(), spec);
  // Per line: 1 ANOVA row + 2 Dunnett + 3 Tukey.
  ASSERT_EQ(rows.size(), 12u);
  EXPECT_EQ(rows[0].stratum, "MM1S");
  EXPECT_EQ(rows[0].test, "one-way ANOVA");
  EXPECT_EQ(sizes_text(rows[0].sizes), "0:4;10:4;100:4");
  EXPECT_STAT(rows[0].statistic, test::number(sets[0]["anova"]["F"]));
  EXPECT_P(rows[0].p, test::number(sets[0]["anova"]["p"]));
  EXPECT_EQ(rows[6].stratum, "U266");
  EXPECT_STAT(rows[6].statistic, test::number(sets[4]["anova"]["F"]));
  EXPECT_EQ(rows[7].test, "Dunnett");
  EXPECT_EQ(rows[7].comparison, "10 - 0");
  EXPECT_EQ(rows[7].adjustment, "single-step (Dunnett)");
  EXPECT_FALSE(rows[7].significance.empty());
  EXPECT_EQ(rows[9].comparison, "10 - 0");
  EXPECT_P(rows[9].p_adjusted, test::number(sets[4]["tukey"]["p"][0]));
}

TEST(Analysis, NumericLevelsAreOrderedByDoseAndControlDefaultsToTheLowest) {
  Table t({"dose", "y"});
  for (auto [d, y] : {std::pair{"100", "5"}, {"10", "3"}, {"0", "1"}, {"100", "6"}, {"10", "3.5"},
                      {"0", "1.2"}, {"100", "5.5"}, {"10", "2.9"}, {"0", "0.8"}})
    t.add_row({d, y});
  AnalysisSpec spec = spec_of("y", "dose", {"dunnett", "jonckheere"});
  const auto rows = run_analysis(t, spec);
  ASSERT_EQ(rows.size(), 4u);  // 2 Dunnett comparisons, JT and its z
  EXPECT_EQ(rows[0].comparison, "10 - 0");
  EXPECT_EQ(rows[1].comparison, "100 - 0");
  EXPECT_EQ(rows[2].test, "Jonckheere-Terpstra");
  EXPECT_EQ(rows[2].statistic, 27.0);  // every pair of groups perfectly ordered: 3 * 3 * 3
  EXPECT_EQ(rows[2].statistic_name, "JT");
  EXPECT_EQ(rows[3].comparison, "z");
  EXPECT_EQ(rows[3].statistic_name, "z");  // the standardised JT is a z, not a t
}

TEST(Analysis, DegenerateStratumGetsAMessageRowNotAnException) {
  Table t({"line", "dose", "y"});
  for (auto [l, d, y] : {std::tuple{"A", "0", "1"}, {"A", "0", "2"}, {"A", "10", "3"},
                         {"A", "10", "4"}, {"B", "0", "7"}, {"B", "0", "7"}, {"B", "10", "7"},
                         {"B", "10", "7"}})
    t.add_row({l, d, y});
  AnalysisSpec spec = spec_of("y", "dose", {"anova"});
  spec.stratum = "line";
  const auto rows = run_analysis(t, spec);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].message.empty());
  EXPECT_EQ(rows[1].message, "all values are equal");
  EXPECT_TRUE(std::isnan(rows[1].p));
  EXPECT_EQ(rows[1].significance, "");
}

TEST(Analysis, NonNumericDoseForTrendIsAMessage) {
  Table t({"treatment", "y"});
  for (auto [d, y] : {std::pair{"ctrl", "1"}, {"ctrl", "2"}, {"low", "3"}, {"low", "4"},
                      {"high", "6"}, {"high", "5"}})
    t.add_row({d, y});
  AnalysisSpec spec = spec_of("y", "treatment", {"trend", "hill", "anova"});
  const auto rows = run_analysis(t, spec);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[0].message.find("not numeric (level 'ctrl')"), std::string::npos) << rows[0].message;
  EXPECT_NE(rows[1].message.find("not numeric"), std::string::npos);
  EXPECT_TRUE(rows[2].message.empty());  // ANOVA needs no numbers for the groups
}

TEST(Analysis, MissingValuesAreDroppedAndCounted) {
  Table t({"dose", "y"});
  for (auto [d, y] : {std::pair{"0", "1"}, {"0", "2"}, {"0", "NA"}, {"10", "3"}, {"10", "5"},
                      {"10", ""}})
    t.add_row({d, y});
  const auto rows = run_analysis(t, spec_of("y", "dose", {"t"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(sizes_text(rows[0].sizes), "10:2;0:2");  // the pair, as compared: level, then control
  EXPECT_NE(rows[0].method.find("2 rows with a missing value dropped"), std::string::npos);
}

TEST(Analysis, BadSpecThrowsWithContext) {
  Table t = two_lines();
  t.source = "table.csv";
  AnalysisSpec spec = spec_of("nope", "dose", {"anova"});
  try {
    run_analysis(t, spec);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, "table.csv");
    EXPECT_NE(std::string(e.what()).find("no column 'nope'"), std::string::npos);
  }
  spec.value = "pct";
  spec.tests = {};
  EXPECT_THROW(run_analysis(t, spec), Error);
  spec.tests = {TestKind::dunnett};
  spec.control = "5";
  EXPECT_THROW(run_analysis(t, spec), Error);
}

TEST(Analysis, NonNumericValueIsAnErrorNamingTheLine) {
  Table t({"dose", "y"});
  t.source = "x.csv";
  t.add_row({"0", "1"});
  t.add_row({"0", "abc"});
  try {
    run_analysis(t, spec_of("y", "dose", {"anova"}));
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 3);
    EXPECT_EQ(e.context().where, "y");
  }
}

TEST(Analysis, TwoWayRunsOnceOverTheWholeTable) {
  AnalysisSpec spec = spec_of("pct", "dose", {"two-way"});
  spec.stratum = "cell_line";
  const auto rows = run_analysis(two_lines(), spec);
  ASSERT_EQ(rows.size(), 4u);  // headline (interaction) + dose, cell_line, dose:cell_line
  EXPECT_EQ(rows[1].comparison, "dose");
  EXPECT_EQ(rows[3].comparison, "dose:cell_line");
  EXPECT_EQ(rows[0].stratum, "all");
  EXPECT_EQ(rows[0].method, "type II sums of squares");
}

TEST(Analysis, AutoSaysWhatItChoseAndWhy) {
  AnalysisSpec spec = spec_of("pct", "dose", {"auto"});
  spec.control = "0";
  const auto rows = run_analysis(two_lines(), spec);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].method.rfind("auto: ", 0), 0u) << rows[0].method;
  EXPECT_NE(rows[0].method.find("Shapiro-Wilk"), std::string::npos);
}

TEST(Analysis, CsvOutputHasHeaderAndEmptyCellsForNaN) {
  AnalysisSpec spec = spec_of("pct", "dose", {"kruskal"});
  std::ostringstream out;
  write_rows_csv(out, run_analysis(two_lines(), spec));
  const Table back = parse_csv(out.str());
  EXPECT_EQ(back.column_names(), row_columns());
  ASSERT_EQ(back.rows(), 1u);
  EXPECT_EQ(back.column("df2")[0], "");
  EXPECT_EQ(back.column("test")[0], "Kruskal-Wallis");
}

TEST(Csv, QuotesCrlfAndErrors) {
  const Table t = parse_csv("a,\"b,c\"\r\n1,\"say \"\"hi\"\"\"\r\n2,\"multi\nline\"\r\n", "t.csv");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.column("b,c")[0], "say \"hi\"");
  EXPECT_EQ(t.column("b,c")[1], "multi\nline");
  try {
    parse_csv("a,b\n1,2\n3\n", "bad.csv");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().line, 3);
  }
  EXPECT_THROW(parse_csv("a,a\n1,2\n"), Error);
  EXPECT_THROW(parse_csv("a\n\"open\n"), Error);
  EXPECT_THROW(parse_csv(""), Error);
}

TEST(Csv, Numbers) {
  EXPECT_EQ(parse_number("1.5e2"), 150.0);
  EXPECT_EQ(parse_number(" 7 "), 7.0);
  EXPECT_TRUE(std::isnan(*parse_number("NA")));
  EXPECT_TRUE(std::isnan(*parse_number("")));
  EXPECT_FALSE(parse_number("12abc").has_value());
  EXPECT_FALSE(parse_number("MM1S").has_value());
}

}  // namespace
}  // namespace cytopipe::stats

namespace cytopipe::stats {
namespace {

std::string cell_of(double v) {
  char cell[32];
  std::snprintf(cell, sizeof cell, "%.17g", v);
  return cell;
}

TEST(AnalysisIssue19, GroupSummaryRowsComeFirstPerStratumAndMatchTapply) {
  const auto sets = test::load_golden("group_summary.json");
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    Table t({"cell_line", "dose", "y"});
    const auto y = test::numbers(set["y"]);
    for (std::size_t i = 0; i < y.size(); ++i)
      t.add_row({set["line"][i].get<std::string>(), set["dose"][i].get<std::string>(), cell_of(y[i])});
    AnalysisSpec spec = spec_of("y", "dose", {"anova"});
    spec.stratum = "cell_line";
    spec.group_summaries = true;
    const auto rows = run_analysis(t, spec);
    std::size_t at = 0;
    for (const auto& ref : set["summaries"]) {
      // Per stratum: one summary row per dose in dose order, then the ANOVA row.
      if (at < rows.size() && rows[at].test == "one-way ANOVA") ++at;
      ASSERT_LT(at, rows.size());
      const auto& r = rows[at++];
      EXPECT_EQ(r.test, "summary");
      EXPECT_EQ(r.stratum, ref["stratum"].get<std::string>());
      EXPECT_EQ(r.comparison, ref["group"].get<std::string>());
      ASSERT_EQ(r.sizes.size(), 1u);
      EXPECT_EQ(r.sizes[0].label, ref["group"].get<std::string>());
      EXPECT_EQ(r.sizes[0].n, ref["n"].get<std::size_t>());
      EXPECT_TRUE(test::near_rel(r.estimate, test::number(ref["mean"]), 1e-12));
      const double sd = test::number(ref["sd"]);
      if (std::isnan(sd)) {
        EXPECT_TRUE(std::isnan(r.sd) && std::isnan(r.ci_low));
        EXPECT_FALSE(r.message.empty());
        continue;
      }
      EXPECT_TRUE(test::near_rel(r.sd, sd, 1e-12));
      EXPECT_TRUE(test::near_rel(r.sem, test::number(ref["sem"]), 1e-12));
      EXPECT_TRUE(test::near_rel(r.ci_low, test::number(ref["lwr"]), 1e-12));
      EXPECT_TRUE(test::near_rel(r.ci_high, test::number(ref["upr"]), 1e-12));
      EXPECT_EQ(r.df1, test::number(ref["n"]) - 1);
    }
  }
  // Summaries alone need no test; without them an empty test list is still an error.
  Table t({"dose", "y"});
  for (auto [d, y] : {std::pair{"0", "1"}, {"0", "2"}, {"10", "3"}}) t.add_row({d, y});
  AnalysisSpec only = spec_of("y", "dose", {});
  EXPECT_THROW(run_analysis(t, only), Error);
  only.group_summaries = true;
  EXPECT_EQ(run_analysis(t, only).size(), 2u);
}

TEST(AnalysisIssue19, TVsControlAdjustsOverTheControlFamilyOnly) {
  const auto sets = test::load_golden("t_vs_control.json");
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    Table t({"dose", "y"});
    for (const auto& g : test::groups_of(set))
      for (double v : g.values) t.add_row({g.label, cell_of(v)});
    AnalysisSpec spec = spec_of("y", "dose", {"t-vs-control", "pairwise-t"});
    spec.control = set["control"].get<std::string>();
    const auto rows = run_analysis(t, spec);
    const auto labels = set["label"].get<std::vector<std::string>>();
    const auto holm = test::numbers(set["holm"]), all_pairs = test::numbers(set["all_pairs_holm_control_column"]);
    std::size_t seen = 0;
    for (const auto& r : rows) {
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (r.test == "t-tests vs control (pooled SD)" && r.comparison == labels[i]) {
          EXPECT_NEAR(r.p_adjusted, holm[i], 1e-10);
          EXPECT_EQ(r.adjustment, "holm");
          EXPECT_NE(r.method.find("adjusted over the " + std::to_string(labels.size()) + " comparisons with the control"),
                    std::string::npos) << r.method;
          ++seen;
        }
      }
      // The same pairs in pairwise-t carry the all-pairs family's (larger) adjustment.
      if (r.test == "pairwise t-tests (pooled SD)")
        for (std::size_t i = 0; i < labels.size(); ++i) {
          const std::string other = labels[i].substr(0, labels[i].find(" - "));
          if (r.comparison == other + " - " + *spec.control || r.comparison == *spec.control + " - " + other) {
            EXPECT_NEAR(r.p_adjusted, all_pairs[i], 1e-10);
          }
        }
    }
    EXPECT_EQ(seen, labels.size());
  }
}

TEST(AnalysisIssue19, TypeITwoWayEntersTheStratumFirstAndSaysSo) {
  const auto set = test::load_golden("two_way_type1.json").at(0);
  Table t({"cell_line", "dose", "y"});
  const auto y = test::numbers(set["y"]);
  for (std::size_t i = 0; i < y.size(); ++i)
    t.add_row({set["line"][i].get<std::string>(), set["dose"][i].get<std::string>(), cell_of(y[i])});
  AnalysisSpec spec = spec_of("y", "dose", {"two-way-i", "two-way"});
  spec.stratum = "cell_line";
  const auto rows = run_analysis(t, spec);
  std::vector<const ResultRow*> type1, type2;
  for (const auto& r : rows) {
    if (r.comparison.empty()) continue;
    (r.method.find("type I (sequential)") != std::string::npos ? type1 : type2).push_back(&r);
  }
  ASSERT_EQ(type1.size(), 3u);
  ASSERT_EQ(type2.size(), 3u);
  EXPECT_EQ(type1[0]->comparison, "cell_line");
  EXPECT_EQ(type1[1]->comparison, "dose");
  EXPECT_EQ(type1[2]->comparison, "cell_line:dose");
  EXPECT_TRUE(test::near_rel(type1[0]->estimate, test::number(set["line_term"]["SS"]), 1e-10));
  EXPECT_NEAR(type1[0]->p, test::number(set["line_term"]["p"]), 1e-12);
  EXPECT_TRUE(test::near_rel(type1[1]->estimate, test::number(set["dose_term"]["SS"]), 1e-10));
  EXPECT_NE(type2[0]->method.find("type II"), std::string::npos);
  EXPECT_EQ(type2[1]->comparison, "cell_line");
  EXPECT_TRUE(test::near_rel(type2[1]->estimate, test::number(set["line_type2_SS"]), 1e-10));
}

TEST(AnalysisIssue19, HillFitsPositiveDosesAndListsTheControlMean) {
  const auto sets = test::load_golden("hill_zero_dose.json");
  const auto& set = sets.at(0);
  Table t({"dose", "y"});
  const auto dose = test::numbers(set["dose"]), y = test::numbers(set["response"]);
  for (std::size_t i = 0; i < y.size(); ++i) t.add_row({cell_of(dose[i]), cell_of(y[i])});
  const auto rows = run_analysis(t, spec_of("y", "dose", {"hill", "hill-control"}));
  const ResultRow *ec50 = nullptr, *control = nullptr, *ec50_with_control = nullptr;
  for (const auto& r : rows) {
    const bool with_control = r.method.find("low-dose asymptote") != std::string::npos;
    if (r.comparison == "log_ec50") (with_control ? ec50_with_control : ec50) = &r;
    if (r.comparison == "control_mean") control = &r;
  }
  ASSERT_TRUE(ec50 && control && ec50_with_control);
  EXPECT_TRUE(test::near_rel(ec50->estimate, test::number(set["estimate"][2]), 1e-6));
  EXPECT_TRUE(test::near_rel(control->estimate, test::number(set["control_mean"]), 1e-12));
  EXPECT_GT(std::fabs(ec50_with_control->estimate - ec50->estimate), 1e-6);
  // Too few positive doses: R's reason, as a row message.
  const auto& few = sets.at(5);
  ASSERT_TRUE(few.contains("error"));
  Table f({"dose", "y"});
  const auto fd = test::numbers(few["dose"]), fy = test::numbers(few["response"]);
  for (std::size_t i = 0; i < fy.size(); ++i) f.add_row({cell_of(fd[i]), cell_of(fy[i])});
  const auto refused = run_analysis(f, spec_of("y", "dose", {"hill"}));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].message.rfind(few["error"].get<std::string>(), 0), 0u) << refused[0].message;
}

TEST(AnalysisIssue19, TinyIntegratedPIsMarkedAsABoundAndPrintedAsR) {
  // A huge effect: Dunnett's 1 - integral is below its 1e-10 accuracy, an upper bound.
  Table t({"dose", "y"});
  for (auto [d, y] : {std::pair{"0", "1.0"}, {"0", "1.01"}, {"0", "0.99"}, {"10", "50.0"}, {"10", "50.01"},
                      {"10", "49.99"}, {"100", "90.0"}, {"100", "90.02"}, {"100", "89.98"}})
    t.add_row({d, y});
  const auto rows = run_analysis(t, spec_of("y", "dose", {"dunnett", "anova"}));
  std::size_t bounds = 0;
  for (const auto& r : rows) {
    if (r.test == "Dunnett") {
      EXPECT_LT(r.p_adjusted, 1e-10);
      EXPECT_EQ(r.p_bound, "< 1e-10");
      EXPECT_EQ(report_p_text(r.p_adjusted, r.p_bound, "x"), "< 1e-10");
      ++bounds;
    }
    if (r.test == "one-way ANOVA") {
      // An F tail from a closed form: tiny but an estimate, printed as R prints it.
      EXPECT_LT(r.p, kPrintEpsilon);
      EXPECT_GT(r.p, 0);
      EXPECT_TRUE(r.p_bound.empty());
      EXPECT_EQ(report_p_text(r.p, r.p_bound, "x"), "< 2.2e-16");
    }
  }
  EXPECT_EQ(bounds, 2u);
  std::ostringstream csv;
  write_rows_csv(csv, rows);
  EXPECT_NE(csv.str().find(",< 1e-10\n"), std::string::npos) << csv.str();
  EXPECT_EQ(report_p_text(0.0123, "", "0.0123"), "0.0123");
  EXPECT_EQ(report_p_text(0.0, "< 2.2e-308", "0"), "< 2.2e-16");
  EXPECT_EQ(p_bound_text(0.0, 0), "< 2.2e-308");
  EXPECT_TRUE(p_bound_text(1e-300, 0).empty());
}

// Levels whose labels contain " - " cannot be recovered from the comparison text; the rows keep
// them as values, and the marks against the control use those.
TEST(Analysis, ComparisonsCarryTheirGroupAndReferenceLevels) {
  Table t({"arm", "y"});
  for (auto [arm, y] : {std::pair{"ctrl - vehicle", "1"}, {"ctrl - vehicle", "1.2"}, {"ctrl - vehicle", "0.9"},
                        {"drug", "5"}, {"drug", "5.4"}, {"drug", "4.8"}, {"drug - high", "9"},
                        {"drug - high", "9.5"}, {"drug - high", "8.7"}})
    t.add_row({arm, y});
  AnalysisSpec spec = spec_of("y", "arm", {"dunnett"});
  spec.control = "ctrl - vehicle";
  const auto rows = run_analysis(t, spec);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].comparison, "drug - ctrl - vehicle");
  EXPECT_EQ(rows[0].group, "drug");
  EXPECT_EQ(rows[0].reference, "ctrl - vehicle");
  EXPECT_EQ(rows[1].group, "drug - high");
  EXPECT_EQ(rows[1].reference, "ctrl - vehicle");
  const auto marks = marks_against_control(rows, "all", "ctrl - vehicle");
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks.at("drug"), rows[0].significance);
  EXPECT_EQ(marks.at("drug - high"), rows[1].significance);
  EXPECT_FALSE(rows[0].significance.empty());
}

TEST(Analysis, MarksTakeTheFirstComparisonWithTheControlInTheStratum) {
  std::vector<ResultRow> rows(5);
  rows[0] = {};  // an omnibus row: no levels
  rows[0].stratum = "MM1S";
  rows[0].significance = "***";
  rows[1].stratum = "MM1S";
  rows[1].group = "50";
  rows[1].reference = "25";  // not against the control
  rows[1].significance = "**";
  rows[2].stratum = "MM1S";
  rows[2].group = "50";
  rows[2].reference = "0";
  rows[2].significance = "*";
  rows[3].stratum = "MM1S";
  rows[3].group = "50";
  rows[3].reference = "0";
  rows[3].significance = "ns";  // a later test's comparison: the first one wins
  rows[4].stratum = "U266";
  rows[4].group = "25";
  rows[4].reference = "0";
  rows[4].significance = "**";
  EXPECT_EQ(marks_against_control(rows, "MM1S", "0"), (std::map<std::string, std::string>{{"50", "*"}}));
  EXPECT_EQ(marks_against_control(rows, "U266", "0"), (std::map<std::string, std::string>{{"25", "**"}}));
  EXPECT_TRUE(marks_against_control(rows, "MM1S", "25").count("50"));
}

TEST(Analysis, StatsCsvReadsBackIntoTheSameRows) {
  AnalysisSpec spec;
  spec.value = "pct";
  spec.group = "dose";
  spec.stratum = "cell_line";
  spec.control = "0";
  spec.tests = {TestKind::anova, TestKind::dunnett, TestKind::hill};
  const auto rows = run_analysis(two_lines(), spec);
  std::ostringstream csv;
  write_rows_csv(csv, rows);
  const auto back = read_rows(parse_csv(csv.str(), "stats.csv"));
  ASSERT_EQ(back.size(), rows.size());
  auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(back[i].readout, rows[i].readout);
    EXPECT_EQ(back[i].stratum, rows[i].stratum);
    EXPECT_EQ(back[i].test, rows[i].test);
    EXPECT_EQ(back[i].comparison, rows[i].comparison);
    EXPECT_EQ(back[i].group, rows[i].group) << i;
    EXPECT_EQ(back[i].reference, rows[i].reference) << i;
    EXPECT_TRUE(same(back[i].statistic, rows[i].statistic)) << i;
    EXPECT_TRUE(same(back[i].p, rows[i].p)) << i;
    EXPECT_TRUE(same(back[i].p_adjusted, rows[i].p_adjusted)) << i;
    EXPECT_TRUE(same(back[i].ci_low, rows[i].ci_low)) << i;
    EXPECT_EQ(back[i].significance, rows[i].significance);
    EXPECT_EQ(back[i].method, rows[i].method);
    // Group sizes read back as values: level and n per group.
    ASSERT_EQ(back[i].sizes.size(), rows[i].sizes.size()) << i;
    for (std::size_t g = 0; g < rows[i].sizes.size(); ++g) {
      EXPECT_EQ(back[i].sizes[g].label, rows[i].sizes[g].label);
      EXPECT_EQ(back[i].sizes[g].n, rows[i].sizes[g].n);
    }
  }
  // An n cell that is not level:n is refused, naming the file and line.
  EXPECT_EQ(parse_sizes("0:3;a:b:4").back().label, "a:b");
  EXPECT_EQ(parse_sizes("0:3;a:b:4").back().n, 4u);
  EXPECT_TRUE(parse_sizes("").empty());
  for (const char* bad_n : {"0:", "0", "0:x", "0:3;", "0:-1"})
    EXPECT_THROW(parse_sizes(bad_n, "stats.csv", 7), Error) << bad_n;
  // A cell that is not a number names its line.
  std::string bad = csv.str();
  bad.replace(bad.find(",F,") + 3, 1, "x");
  try {
    read_rows(parse_csv(bad, "stats.csv"));
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, "stats.csv");
    EXPECT_EQ(e.context().line, 2);
  }
  EXPECT_THROW(read_rows(parse_csv("readout,stratum\nx,all\n")), Error);
}

}  // namespace
}  // namespace cytopipe::stats
