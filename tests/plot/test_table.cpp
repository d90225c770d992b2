// CSV reading and the table-to-figure grouping behind `cytopipe plot dose`.
#include <gtest/gtest.h>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/table.hpp"

namespace cytopipe::plot {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Csv, QuotesEscapesCrlfAndEmbeddedNewlines) {
  const CsvTable t = parse_csv("sample,note,value\r\n\"a,1\",\"say \"\"hi\"\"\",3.5\r\n\"multi\nline\",,4\n\nb,x,5",
                               "t.csv");
  EXPECT_EQ(t.header, (std::vector<std::string>{"sample", "note", "value"}));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0], (std::vector<std::string>{"a,1", "say \"hi\"", "3.5"}));
  EXPECT_EQ(t.rows[1], (std::vector<std::string>{"multi\nline", "", "4"}));
  EXPECT_EQ(t.rows[2], (std::vector<std::string>{"b", "x", "5"}));
  EXPECT_EQ(t.row_lines, (std::vector<int>{2, 3, 6}));  // the quoted newline counts; the blank line is skipped
  EXPECT_EQ(t.column("value"), 2u);
}

TEST(Csv, MalformedInputNamesFileAndLine) {
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,2\n3\n", "t.csv"); }), "t.csv:3: row has 1 fields but the header has 2");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,\"2\n", "t.csv"); }), "t.csv:2: unterminated quoted field");
  EXPECT_EQ(error_of([] { parse_csv("", "t.csv"); }), "t.csv: CSV file is empty");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n", "t.csv"); }), "t.csv: CSV file has a header but no rows");
  EXPECT_EQ(error_of([] { parse_csv("a,b\n1,2\n", "t.csv").column("dose"); }), "t.csv: no column 'dose' (columns: a, b)");
  EXPECT_NE(error_of([] { read_csv("/nonexistent/dir/x.csv"); }).find("cannot open"), std::string::npos);
}

constexpr const char* kReadout =
    "cell_line,dose_nM,replicate,bcma_pos_pct,stars\n"
    "MM1S,0,1,41.2,\n"
    "MM1S,100,1,74.1,***\n"
    "MM1S,25,1,52.3,*\n"
    "MM1S,0,2,43.5,\n"
    "MM1S,100,2,71.8,***\n"
    "MM1S,25,2,55.0,*\n"
    "U266,0,1,30.0,\n"
    "U266,25,1,31.0,ns\n"
    "U266,100,1,45.0,**\n"
    "U266,0,2,29.0,\n"
    "U266,25,2,33.0,\n"
    "U266,100,2,47.0,**\n";

TEST(DoseFromTable, GroupsIntoPanelsDosesInNumericOrderAndStars) {
  const CsvTable table = parse_csv(kReadout, "readout.csv");
  const DoseFigure figure = dose_figure_from_table(table, {"bcma_pos_pct", "dose_nM", "cell_line", std::nullopt, "stars"});
  ASSERT_EQ(figure.panels.size(), 2u);
  EXPECT_EQ(figure.y_title, "bcma_pos_pct");
  EXPECT_EQ(figure.x_title, "dose_nM");
  const DosePanel& mm1s = figure.panels[0];
  EXPECT_EQ(mm1s.title, "MM1S");
  EXPECT_EQ(mm1s.groups, (std::vector<std::string>{"0", "25", "100"}));  // not "0, 100, 25"
  ASSERT_EQ(mm1s.series.size(), 1u);
  EXPECT_EQ(mm1s.series[0].values, (std::vector<std::vector<double>>{{41.2, 43.5}, {52.3, 55.0}, {74.1, 71.8}}));
  ASSERT_EQ(mm1s.marks.size(), 2u);
  EXPECT_EQ(mm1s.marks[0].group, 1u);
  EXPECT_EQ(mm1s.marks[0].label, "*");
  EXPECT_FALSE(mm1s.marks[0].versus.has_value());
  EXPECT_EQ(mm1s.marks[1].group, 2u);
  EXPECT_EQ(mm1s.marks[1].label, "***");
  const DosePanel& u266 = figure.panels[1];
  ASSERT_EQ(u266.marks.size(), 2u);  // "ns" on one replicate row only is still the group's label
  EXPECT_EQ(u266.marks[0].label, "ns");
}

TEST(DoseFromTable, SeriesColumnMakesLegendSeries) {
  const CsvTable table = parse_csv(
      "effector,dose,viability\nCAR-T,0,90\nNT,0,92\nCAR-T,50,88\nNT,50,91\n", "v.csv");
  const DoseFigure figure = dose_figure_from_table(table, {"viability", "dose", std::nullopt, "effector", std::nullopt});
  ASSERT_EQ(figure.panels.size(), 1u);
  ASSERT_EQ(figure.panels[0].series.size(), 2u);
  EXPECT_EQ(figure.panels[0].series[1].name, "NT");
  EXPECT_EQ(figure.panels[0].series[1].values, (std::vector<std::vector<double>>{{92}, {91}}));
}

TEST(DoseFromTable, BadValuesAndConflictingStarsAreErrors) {
  const CsvTable bad_value = parse_csv("dose,v\n0,1\n25,abc\n", "r.csv");
  EXPECT_EQ(error_of([&] { dose_figure_from_table(bad_value, {"v", "dose", {}, {}, {}}); }),
            "r.csv:3: v: value 'abc' is not a finite number");
  const CsvTable nan_value = parse_csv("dose,v\n0,1\n25,nan\n", "r.csv");
  EXPECT_NE(error_of([&] { dose_figure_from_table(nan_value, {"v", "dose", {}, {}, {}}); }).find("not a finite number"),
            std::string::npos);
  const CsvTable conflict = parse_csv("dose,v,s\n0,1,\n25,2,*\n25,3,**\n", "r.csv");
  EXPECT_EQ(error_of([&] { dose_figure_from_table(conflict, {"v", "dose", {}, {}, "s"}); }),
            "r.csv:4: s: significance label '**' differs from '*' on line 3 for the same group");
  const CsvTable table = parse_csv(kReadout, "readout.csv");
  EXPECT_NE(error_of([&] { dose_figure_from_table(table, {"bcma", "dose_nM", {}, {}, {}}); }).find("no column 'bcma'"),
            std::string::npos);
}

TEST(DoseFromTable, EmptyAndNaCellsAreLeftOutAndCounted) {
  const CsvTable t = parse_csv("dose,v\n0,1\n0,\n0,3\n25,NA\n25,5\n25, \n", "r.csv");
  const DoseFigure f = dose_figure_from_table(t, {"v", "dose", {}, {}, {}});
  EXPECT_EQ(f.missing_values, 3u);
  ASSERT_EQ(f.panels.size(), 1u);
  ASSERT_EQ(f.panels[0].series.size(), 1u);
  EXPECT_EQ(f.panels[0].series[0].values, (std::vector<std::vector<double>>{{1, 3}, {5}}));
  const CsvTable none = parse_csv("dose,v\n0,\n25,NA\n", "r.csv");
  EXPECT_NE(error_of([&] { dose_figure_from_table(none, {"v", "dose", {}, {}, {}}); }).find("no row has a value"),
            std::string::npos);
}

TEST(DoseFromTable, MissingGroupInOnePanelIsReportedByTheLayout) {
  const CsvTable table = parse_csv("line,dose,v\nA,0,1\nA,25,2\nB,0,3\nB,25,4\nB,50,5\n", "r.csv");
  DoseFigure figure = dose_figure_from_table(table, {"v", "dose", "line", {}, {}});
  EXPECT_EQ(figure.panels[0].groups.size(), 2u);  // each panel shows its own doses
  EXPECT_EQ(figure.panels[1].groups.size(), 3u);
  EXPECT_NO_THROW(dose_figure(figure));
}

}  // namespace
}  // namespace cytopipe::plot
