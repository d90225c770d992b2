// The read-out language: parsing, the formula each states, and values against hand arithmetic.
#include <gtest/gtest.h>

#include <cmath>

#include "cytopipe/pipeline/readout.hpp"

using namespace cytopipe::pipeline;

namespace {

Location here() { return {"p.yaml", 3, 10}; }

SampleValues sample(double live, double dead, double beads, const std::string& bead_count) {
  SampleValues s;
  s.total_events = live + dead + beads + 10;
  s.populations["targets"] = {"", live + dead, {}};
  s.populations["targets_live"] = {"targets", live, {{{"BCMA", Statistic::Median}, 1234.5}}};
  s.populations["targets_dead"] = {"targets", dead, {}};
  s.populations["beads"] = {"", beads, {}};
  s.factors["beads"] = bead_count;
  return s;
}

}  // namespace

TEST(Readout, ParsesEveryForm) {
  EXPECT_EQ(to_string(parse_expression("percent( BCMA+ of live )", here())), "percent(BCMA+ of live)");
  EXPECT_EQ(to_string(parse_expression("percent(BCMA+)", here())), "percent(BCMA+)");
  EXPECT_EQ(to_string(parse_expression("geomean(BCMA,live)", here())), "geomean(BCMA, live)");
  EXPECT_EQ(to_string(parse_expression("count(live)", here())), "count(live)");
  EXPECT_EQ(to_string(parse_expression("absolute_count(live, beads, beads)", here())),
            "absolute_count(live, beads, beads)");
  const auto e = parse_expression("killing(absolute_count(targets_live, beads, beads))", here());
  EXPECT_TRUE(e.needs_control());
  std::set<std::string> pops;
  collect_populations(e, pops);
  EXPECT_EQ(pops, (std::set<std::string>{"targets_live", "beads"}));
  std::set<std::string> columns;
  collect_columns(e, columns);
  EXPECT_EQ(columns, (std::set<std::string>{"beads"}));
}

TEST(Readout, MalformedExpressionsNameTheColumn) {
  auto message = [](const std::string& text) {
    try {
      parse_expression(text, here());
    } catch (const cytopipe::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message("live"), "p.yaml:3:10: expected a function call such as percent(POP of PARENT) in read-out 'live'");
  EXPECT_NE(message("median(BCMA)").find("p.yaml:3:16: 'median' takes a channel and a population"), std::string::npos);
  EXPECT_NE(message("count(live").find("missing ')'"), std::string::npos);
  EXPECT_NE(message("count(live) x").find("missing ')'"), std::string::npos);
  EXPECT_NE(message("viability(live)").find("'viability' takes 'LIVE of PARENT'"), std::string::npos);
  EXPECT_NE(message("killing(killing(count(a)))").find("cannot nest"), std::string::npos);
  EXPECT_NE(message("percent( of live)").find("missing population"), std::string::npos);
  EXPECT_NE(message("mean(BCMA, live, log)").find("third argument must be 'scaled'"), std::string::npos);
  EXPECT_NE(message("mean(BCMA, live, log)").find("not 'log'"), std::string::npos);
  EXPECT_NE(message("mean(BCMA, live, scaled, x)").find("'mean' takes a channel and a population"), std::string::npos);
}

TEST(Readout, ValuesAgainstHandArithmetic) {
  const auto s = sample(300, 100, 500, "20000");
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("percent(targets_live of targets)", here()), s), 75.0);
  // Without "of": the parent in the tree.
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("percent(targets_dead)", here()), s), 25.0);
  // A root population: percent of all events.
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("percent(beads)", here()), s), 100.0 * 500 / 910);
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("count(targets_live)", here()), s), 300);
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("median(BCMA, targets_live)", here()), s), 1234.5);
  // 300 live targets per 500 bead events, 20000 beads in the tube.
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("absolute_count(targets_live, beads, beads)", here()), s), 12000);
}

TEST(Readout, CytotoxicityFormulasOfTheAssay) {
  // Co-culture: 40 % dead targets; target-only controls: 10 % and 20 % dead (mean 15 %).
  const auto co = sample(60, 40, 500, "20000");
  const auto c1 = sample(90, 10, 500, "20000");
  const auto c2 = sample(80, 20, 500, "20000");
  const auto lysis = parse_expression("specific_lysis(percent(targets_dead of targets))", here());
  EXPECT_DOUBLE_EQ(evaluate(lysis, co, {&c1, &c2}), 100.0 * (40 - 15) / (100 - 15));
  // Live targets: 60/500*20000 = 2400 with effectors; alone 3600 and 3200 (mean 3400).
  const auto killing = parse_expression("killing(absolute_count(targets_live, beads, beads))", here());
  EXPECT_DOUBLE_EQ(evaluate(killing, co, {&c1, &c2}), 100.0 * (1 - 2400.0 / 3400.0));
  EXPECT_NE(formula(lysis).find("100 * (X - X_control) / (100 - X_control)"), std::string::npos);
  EXPECT_NE(formula(killing).find("100 * (1 - X / X_control)"), std::string::npos);
  EXPECT_THROW(evaluate(killing, co, {}), cytopipe::Error);
  EXPECT_THROW(evaluate(killing, co), cytopipe::Error);
}

TEST(Readout, EmptyOrMissingPopulationsAreErrorsNotNaN) {
  auto s = sample(0, 0, 0, "20000");
  try {
    evaluate(parse_expression("percent(targets_live of targets)", here()), s);
    FAIL() << "no error";
  } catch (const cytopipe::Error& e) {
    EXPECT_EQ(e.message(), "population 'targets' is empty (0 events)");
  }
  EXPECT_THROW(evaluate(parse_expression("median(BCMA, targets_live)", here()), s), cytopipe::Error);
  EXPECT_THROW(evaluate(parse_expression("count(nothing)", here()), s), cytopipe::Error);
  s = sample(10, 0, 5, "many");
  EXPECT_THROW(evaluate(parse_expression("absolute_count(targets_live, beads, beads)", here()), s), cytopipe::Error);
}
