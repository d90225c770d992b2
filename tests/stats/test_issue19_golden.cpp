// Group summaries, t-tests against the control (control family), type I two-way ANOVA and 4PL
// fits on tables with a zero-dose control, against R (make_golden.R sections group_summary,
// t_vs_control, two_way_type1, hill_zero_dose).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "cytopipe/stats/adjust.hpp"
#include "cytopipe/stats/anova.hpp"
#include "cytopipe/stats/hill.hpp"
#include "cytopipe/stats/posthoc.hpp"
#include "cytopipe/stats/summary.hpp"
#include "golden.hpp"

namespace cytopipe::stats {
namespace {

using test::number;
using test::numbers;

TEST(GroupSummaryGolden, MatchesTapplyMeanSdLengthAndTheTInterval) {
  const auto sets = test::load_golden("group_summary.json");
  ASSERT_GE(sets.size(), 4u);
  std::size_t compared = 0, single = 0;
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto y = numbers(set["y"]);
    const auto dose = set["dose"].get<std::vector<std::string>>();
    const auto line = set["line"].get<std::vector<std::string>>();
    for (const auto& ref : set["summaries"]) {
      Group g{ref["group"].get<std::string>(), {}};
      for (std::size_t i = 0; i < y.size(); ++i)
        if (line[i] == ref["stratum"].get<std::string>() && dose[i] == g.label) g.values.push_back(y[i]);
      const GroupSummary s = summarize(g);
      EXPECT_EQ(static_cast<double>(s.n), number(ref["n"]));
      EXPECT_TRUE(test::near_rel(s.mean, number(ref["mean"]), 1e-12));
      if (std::isnan(number(ref["sd"]))) {  // n = 1: R's sd is NA, and so is the interval
        EXPECT_TRUE(std::isnan(s.sd) && std::isnan(s.sem) && std::isnan(s.ci_low) && std::isnan(s.ci_high));
        ++single;
        continue;
      }
      EXPECT_TRUE(test::near_rel(s.sd, number(ref["sd"]), 1e-12));
      EXPECT_TRUE(test::near_rel(s.sem, number(ref["sem"]), 1e-12));
      EXPECT_TRUE(test::near_rel(s.ci_low, number(ref["lwr"]), 1e-12));
      EXPECT_TRUE(test::near_rel(s.ci_high, number(ref["upr"]), 1e-12));
      ++compared;
    }
  }
  EXPECT_GE(compared, 25u);
  EXPECT_GE(single, 2u);
}

std::size_t index_of(const std::vector<Group>& groups, const std::string& label) {
  for (std::size_t i = 0; i < groups.size(); ++i)
    if (groups[i].label == label) return i;
  ADD_FAILURE() << "no group " << label;
  return groups.size();
}

TEST(TVsControlGolden, PooledSdOverAllGroupsAdjustedOverTheControlFamily) {
  const auto sets = test::load_golden("t_vs_control.json");
  ASSERT_GE(sets.size(), 5u);
  std::size_t flips = 0;
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto groups = test::groups_of(set);
    const auto control = index_of(groups, set["control"].get<std::string>());
    const auto labels = set["label"].get<std::vector<std::string>>();
    const auto raw = numbers(set["p_raw"]), estimate = numbers(set["estimate"]);
    for (auto [adjustment, key] : {std::pair{Adjustment::holm, "holm"},
                                   {Adjustment::bonferroni, "bonferroni"}, {Adjustment::bh, "BH"}}) {
      const TestResult r = t_vs_control(groups, control, adjustment);
      ASSERT_TRUE(r.ok()) << r.message;
      const auto adjusted = numbers(set[key]);
      ASSERT_EQ(r.comparisons.size(), labels.size());
      // R lists the other levels in factor order after relevel(), as we do.
      for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto& c = r.comparisons[i];
        EXPECT_EQ(c.label, labels[i]);
        EXPECT_EQ(c.reference, set["control"].get<std::string>());
        EXPECT_TRUE(test::near_rel(c.estimate, estimate[i], 1e-12)) << c.label;
        EXPECT_NEAR(c.p_raw, raw[i], 1e-10) << c.label;
        EXPECT_NEAR(c.p_adjusted, adjusted[i], 1e-10) << c.label << " " << key;
      }
    }
    // Welch per pair, the same family.
    const TestResult w = t_vs_control(groups, control, Adjustment::holm, false);
    ASSERT_TRUE(w.ok()) << w.message;
    const auto welch_raw = numbers(set["welch_p_raw"]), welch_holm = numbers(set["welch_holm"]);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      EXPECT_NEAR(w.comparisons[i].p_raw, welch_raw[i], 1e-10);
      EXPECT_NEAR(w.comparisons[i].p_adjusted, welch_holm[i], 1e-10);
    }
    // The family matters: over all pairs (pairwise-t) the same column is adjusted more.
    const auto all_pairs = numbers(set["all_pairs_holm_control_column"]);
    const auto holm = numbers(set["holm"]);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      EXPECT_LE(holm[i], all_pairs[i] + 1e-15);
      if (holm[i] < 0.05 && all_pairs[i] >= 0.05) ++flips;
    }
  }
  EXPECT_GE(flips, 2u);  // the sets include stars that only the control family gives
}

TEST(TVsControlGolden, AllPairsFamilyIsPairwiseTNotThis) {
  // pairwise_t over all pairs reproduces R's all-pairs Holm on the control column: the two
  // families are really different computations on the same raw p values.
  const auto sets = test::load_golden("t_vs_control.json");
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto groups = test::groups_of(set);
    const std::string control = set["control"].get<std::string>();
    const TestResult all = pairwise_t(groups, Adjustment::holm);
    const auto labels = set["label"].get<std::vector<std::string>>();
    const auto expected = numbers(set["all_pairs_holm_control_column"]);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const std::string other = labels[i].substr(0, labels[i].find(" - "));
      bool found = false;
      for (const auto& c : all.comparisons)
        if ((c.group == other && c.reference == control) || (c.group == control && c.reference == other)) {
          EXPECT_NEAR(c.p_adjusted, expected[i], 1e-10) << labels[i];
          found = true;
        }
      EXPECT_TRUE(found) << labels[i];
    }
  }
}

TEST(TwoWayTypeIGolden, SequentialSumsOfSquaresMatchAnovaLm) {
  const auto sets = test::load_golden("two_way_type1.json");
  ASSERT_GE(sets.size(), 4u);
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto y = numbers(set["y"]);
    const auto dose = set["dose"].get<std::vector<std::string>>();
    const auto line = set["line"].get<std::vector<std::string>>();
    // R: anova(lm(y ~ line * dose)): line first.
    const TestResult r = two_way_anova(y, line, dose, SumOfSquares::type1, "line", "dose");
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_EQ(r.terms.size(), 4u);
    EXPECT_NE(r.method.find("type I (sequential)"), std::string::npos) << r.method;
    const char* keys[] = {"line_term", "dose_term", "interaction"};
    const char* names[] = {"line", "dose", "line:dose"};
    for (int t = 0; t < 3; ++t) {
      const auto& ref = set[keys[t]];
      EXPECT_EQ(r.terms[t].name, names[t]);
      EXPECT_TRUE(test::near_rel(r.terms[t].sum_sq, number(ref["SS"]), 1e-10)) << names[t];
      EXPECT_EQ(r.terms[t].df, number(ref["df"]));
      EXPECT_TRUE(test::near_rel(r.terms[t].statistic, number(ref["F"]), 1e-10)) << names[t];
      EXPECT_NEAR(r.terms[t].p, number(ref["p"]), 1e-12) << names[t];
    }
    EXPECT_TRUE(test::near_rel(r.terms[3].sum_sq, number(set["rss"]), 1e-10));
    EXPECT_EQ(r.df2, number(set["residual_df"]));
    // Unbalanced: type II adjusts line for dose and gives R's other sequential order's value.
    const TestResult t2 = two_way_anova(y, line, dose, SumOfSquares::type2, "line", "dose");
    EXPECT_TRUE(test::near_rel(t2.terms[0].sum_sq, number(set["line_type2_SS"]), 1e-10));
    EXPECT_GT(std::fabs(t2.terms[0].sum_sq - r.terms[0].sum_sq), 1e-6 * r.terms[0].sum_sq);
    EXPECT_NE(t2.method, r.method);
  }
}

TEST(HillZeroDoseGolden, FitsThePositiveDosesAsSSfplAndReportsTheControl) {
  const auto sets = test::load_golden("hill_zero_dose.json");
  ASSERT_GE(sets.size(), 6u);
  std::size_t fitted = 0, refused = 0;
  for (const auto& set : sets) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto dose = numbers(set["dose"]), y = numbers(set["response"]);
    const TestResult r = fit_hill(dose, y);
    if (set.contains("error")) {
      EXPECT_FALSE(r.ok());
      EXPECT_EQ(r.message.rfind(set["error"].get<std::string>(), 0), 0u) << r.message;
      ++refused;
      // With the control as the low-dose asymptote there are enough doses to fit.
      HillOptions with_control;
      with_control.zero_dose = HillOptions::ZeroDose::asymptote;
      EXPECT_TRUE(fit_hill(dose, y, with_control).ok());
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_EQ(r.parameters.size(), 8u);
    const int ours[] = {0, 1, 2, 4};
    for (int i = 0; i < 4; ++i) {
      const auto& p = r.parameters[ours[i]];
      EXPECT_TRUE(test::near_rel(p.estimate, number(set["estimate"][i]), 1e-6, 1e-8)) << p.name;
      EXPECT_TRUE(test::near_rel(p.se, number(set["se"][i]), 1e-5, 1e-8)) << p.name;
      EXPECT_TRUE(test::near_rel(p.ci_low, number(set["lwr"][i]), 1e-6, 1e-8)) << p.name;
      EXPECT_TRUE(test::near_rel(p.ci_high, number(set["upr"][i]), 1e-6, 1e-8)) << p.name;
    }
    EXPECT_TRUE(test::near_rel(r.parameters[5].estimate, number(set["sigma"]), 1e-7));
    EXPECT_EQ(r.df1, number(set["df"]));
    const auto& control = r.parameters[7];
    EXPECT_EQ(control.name, "control_mean");
    EXPECT_TRUE(test::near_rel(control.estimate, number(set["control_mean"]), 1e-12));
    EXPECT_TRUE(test::near_rel(control.se, number(set["control_sd"]) / std::sqrt(number(set["control_n"])), 1e-12));
    ASSERT_EQ(r.groups.size(), 2u);
    EXPECT_EQ(static_cast<double>(r.groups[0].n), number(set["n"]));
    EXPECT_EQ(static_cast<double>(r.groups[1].n), number(set["control_n"]));
    // Fitting dose 0 as the asymptote is a different model: its EC50 differs.
    HillOptions with_control;
    with_control.zero_dose = HillOptions::ZeroDose::asymptote;
    const TestResult a = fit_hill(dose, y, with_control);
    if (a.ok()) {
      EXPECT_GT(std::fabs(a.parameters[2].estimate - r.parameters[2].estimate), 1e-6);
    }
    ++fitted;
  }
  EXPECT_GE(fitted, 5u);
  EXPECT_EQ(refused, 1u);
}

}  // namespace
}  // namespace cytopipe::stats
