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
  EXPECT_EQ(rows[0].n, "0:4;10:4;100:4");
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
  EXPECT_EQ(rows[3].comparison, "z");
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
  EXPECT_EQ(rows[0].n, "10:2;0:2");  // the pair, as compared: level, then control
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
