// Every one-factor test against R on the data sets of make_golden.R (one_factor.json).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cytopipe/stats/anova.hpp"
#include "cytopipe/stats/assumptions.hpp"
#include "cytopipe/stats/distributions.hpp"
#include "cytopipe/stats/nonparametric.hpp"
#include "cytopipe/stats/posthoc.hpp"
#include "cytopipe/stats/trend.hpp"
#include "cytopipe/stats/ttest.hpp"
#include "golden.hpp"

namespace cytopipe::stats {
namespace {

using test::groups_of;
using test::number;
using test::numbers;

class OneFactorGolden : public ::testing::TestWithParam<int> {
 protected:
  static const nlohmann::json& sets() {
    static const nlohmann::json all = test::load_golden("one_factor.json");
    return all;
  }
  const nlohmann::json& set() const { return sets().at(GetParam()); }
  std::vector<Group> groups() const { return groups_of(set()); }
};

TEST_P(OneFactorGolden, OneWayAnovaMatchesAov) {
  const auto& ref = set()["anova"];
  const TestResult r = one_way_anova(groups());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_STAT(r.statistic, number(ref["F"]));
  EXPECT_EQ(r.df1, number(ref["df1"]));
  EXPECT_EQ(r.df2, number(ref["df2"]));
  EXPECT_P(r.p, number(ref["p"]));
}

TEST_P(OneFactorGolden, WelchAnovaMatchesOnewayTest) {
  const auto& ref = set()["welch"];
  const TestResult r = welch_anova(groups());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_STAT(r.statistic, number(ref["F"]));
  EXPECT_STAT(r.df2, number(ref["df2"]));
  EXPECT_P(r.p, number(ref["p"]));
}

TEST_P(OneFactorGolden, KruskalWallisMatchesKruskalTest) {
  const auto& ref = set()["kruskal"];
  const TestResult r = kruskal_wallis(groups());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_STAT(r.statistic, number(ref["H"]));
  EXPECT_EQ(r.df1, number(ref["df"]));
  EXPECT_P(r.p, number(ref["p"]));
}

TEST_P(OneFactorGolden, TukeyMatchesTukeyHSD) {
  const auto& ref = set()["tukey"];
  const TestResult r = tukey_hsd(groups());
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.comparisons.size(), ref["diff"].size());
  for (std::size_t i = 0; i < r.comparisons.size(); ++i) {
    const auto& c = r.comparisons[i];
    std::string label = c.group + "-" + c.reference;
    EXPECT_EQ(label, ref["label"][i].get<std::string>());
    EXPECT_STAT(c.estimate, number(ref["diff"][i]));
    EXPECT_STAT(c.statistic, number(ref["q"][i]));
    // p against the high-precision studentized range (make_golden.R: ptukey_hp) to 1e-8, and
    // against TukeyHSD to 1e-6 except where R's ptukey is itself off by more than that (r_off:
    // 1.4e-6 at df = 6 in balanced6_n2, 3.6e-6 at df = 3 in small_n2_3groups).
    EXPECT_NEAR(c.p_adjusted, number(ref["p_hp"][i]), 1e-8) << label;
    if (ref["r_off"][i].get<bool>()) {
      EXPECT_GT(std::fabs(number(ref["p"][i]) - number(ref["p_hp"][i])), 1e-6) << label;
    } else {
      EXPECT_P(c.p_adjusted, number(ref["p"][i])) << label;
    }
    // Intervals: to 1e-8 of the half-width with the high-precision 95 % point; TukeyHSD's own
    // come from qtukey, documented to the 4th decimal place (off by 6.5e-5 at df = 3 here).
    const double se = number(ref["se"][i]);
    const double half = number(ref["crit_hp"]) * se;
    EXPECT_NEAR(c.ci_low, number(ref["lwr_hp"][i]), 1e-8 * half) << label;
    EXPECT_NEAR(c.ci_high, number(ref["upr_hp"][i]), 1e-8 * half) << label;
    EXPECT_NEAR(c.ci_low, number(ref["lwr"][i]), 1e-4 * se) << label;
    EXPECT_NEAR(c.ci_high, number(ref["upr"][i]), 1e-4 * se) << label;
  }
}

// multcomp's critical value comes from the same randomised integration as its p values (and a
// root search on top), so R's simultaneous bounds are checked in the issue's currency for
// Dunnett: the coverage they imply, under our multivariate t, is 95 % within 1e-4.
void expect_dunnett(const TestResult& r, const nlohmann::json& ref, const std::vector<Group>& groups) {
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.comparisons.size(), ref["t"].size());
  std::vector<double> lambda;
  const double n0 = static_cast<double>(groups[0].values.size());
  for (std::size_t g = 1; g < groups.size(); ++g) {
    const double n = static_cast<double>(groups[g].values.size());
    lambda.push_back(std::sqrt(n / (n + n0)));
  }
  const bool two_sided = r.alternative == Alternative::two_sided;
  for (std::size_t i = 0; i < r.comparisons.size(); ++i) {
    const auto& c = r.comparisons[i];
    EXPECT_STAT(c.estimate, number(ref["estimate"][i]));
    EXPECT_STAT(c.statistic, number(ref["t"][i]));
    // multcomp integrates by randomised quasi-Monte Carlo (seed fixed): 1e-4 as the issue says.
    EXPECT_NEAR(c.p_adjusted, number(ref["p"][i]), 1e-4) << c.label;
    const double se = c.estimate / c.statistic;
    for (auto [ours, key] : {std::pair{c.ci_low, "lwr"}, {c.ci_high, "upr"}}) {
      const double bound = number(ref[key][i]);
      if (std::isinf(bound)) {  // the open side of a one-sided interval
        EXPECT_EQ(ours, bound) << c.label << " " << key;
        continue;
      }
      const double crit_r = std::fabs(bound - c.estimate) / se;
      EXPECT_NEAR(dunnett_cdf(crit_r, lambda, r.df2, two_sided), 0.95, 1e-4) << c.label << " " << key;
      EXPECT_NEAR(ours, bound, 1e-3 * std::fabs(bound - c.estimate)) << c.label << " " << key;
    }
  }
}

class DunnettGolden : public OneFactorGolden {
 protected:
  const nlohmann::json& dunnett_set() const {
    static const nlohmann::json all = test::load_golden("dunnett.json");
    return all.at(GetParam());
  }
};

TEST_P(DunnettGolden, TwoSidedMatchesMultcomp) {
  ASSERT_EQ(dunnett_set()["name"], set()["name"]);
  expect_dunnett(dunnett(groups(), 0, Alternative::two_sided), dunnett_set()["two_sided"], groups());
}
TEST_P(DunnettGolden, GreaterMatchesMultcomp) {
  const TestResult r = dunnett(groups(), 0, Alternative::greater);
  expect_dunnett(r, dunnett_set()["greater"], groups());
  for (const auto& c : r.comparisons) EXPECT_EQ(c.ci_high, INFINITY);
}
TEST_P(DunnettGolden, LessMatchesMultcomp) {
  const TestResult r = dunnett(groups(), 0, Alternative::less);
  expect_dunnett(r, dunnett_set()["less"], groups());
  for (const auto& c : r.comparisons) EXPECT_EQ(c.ci_low, -INFINITY);
}

void expect_pairwise(const TestResult& r, const nlohmann::json& ref) {
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.comparisons.size(), ref["p_adj"].size());
  for (std::size_t i = 0; i < r.comparisons.size(); ++i) {
    EXPECT_EQ(r.comparisons[i].label, ref["label"][i].get<std::string>());
    EXPECT_P(r.comparisons[i].p_adjusted, number(ref["p_adj"][i])) << r.comparisons[i].label;
  }
}

TEST_P(OneFactorGolden, PairwiseTMatchesPairwiseTTest) {
  expect_pairwise(pairwise_t(groups(), Adjustment::holm), set()["pairwise_pooled_holm"]);
  expect_pairwise(pairwise_t(groups(), Adjustment::bh), set()["pairwise_pooled_bh"]);
  expect_pairwise(pairwise_t(groups(), Adjustment::bonferroni), set()["pairwise_pooled_bonferroni"]);
  expect_pairwise(pairwise_t(groups(), Adjustment::holm, false), set()["pairwise_welch_holm"]);
}

TEST_P(OneFactorGolden, DunnMatchesTextbookDefinition) {
  for (auto [adjustment, key] : {std::pair{Adjustment::holm, "dunn_holm"}, {Adjustment::bh, "dunn_bh"}}) {
    const auto& ref = set()[key];
    const TestResult r = dunn(groups(), adjustment);
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_EQ(r.comparisons.size(), ref["z"].size());
    for (std::size_t i = 0; i < r.comparisons.size(); ++i) {
      EXPECT_EQ(r.comparisons[i].label, ref["label"][i].get<std::string>());
      EXPECT_STAT(r.comparisons[i].statistic, number(ref["z"][i]));
      EXPECT_P(r.comparisons[i].p_raw, number(ref["p"][i]));
      EXPECT_P(r.comparisons[i].p_adjusted, number(ref["p_adj"][i]));
    }
  }
}

TEST_P(OneFactorGolden, TwoSampleTestsMatchR) {
  const auto g = groups();
  for (bool equal : {true, false}) {
    const auto& ref = set()[equal ? "student_t_1v0" : "welch_t_1v0"];
    const TestResult r = t_test(g[1], g[0], equal);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_STAT(r.statistic, number(ref["t"]));
    EXPECT_STAT(r.df1, number(ref["df"]));
    EXPECT_P(r.p, number(ref["p"]));
    EXPECT_STAT(r.comparisons[0].ci_low, number(ref["lwr"]));
    EXPECT_STAT(r.comparisons[0].ci_high, number(ref["upr"]));
  }
  const auto& ref = set()["mann_whitney_1v0"];
  const TestResult mw = mann_whitney(g[1], g[0]);
  ASSERT_TRUE(mw.ok()) << mw.message;
  EXPECT_EQ(mw.statistic, number(ref["W"]));
  EXPECT_P(mw.p, number(ref["p"]));
  EXPECT_EQ(mw.method == "exact", ref["exact"].get<bool>());
  EXPECT_P(mann_whitney(g[1], g[0], Alternative::greater).p, number(ref["p_greater"]));
}

TEST_P(OneFactorGolden, AssumptionChecksMatchR) {
  const auto& sw = set()["shapiro_residuals"];
  const TestResult r = shapiro_wilk(anova_residuals(groups()));
  ASSERT_TRUE(r.ok()) << r.message;
  // Residuals sum to zero only up to rounding, so W agrees to rounding of a squared correlation.
  EXPECT_TRUE(test::near_rel(r.statistic, number(sw["W"]), 1e-8));
  EXPECT_P(r.p, number(sw["p"]));
  for (auto [center, key] : {std::pair{Center::mean, "levene"}, {Center::median, "brown_forsythe"}}) {
    const auto& ref = set()[key];
    const TestResult l = levene(groups(), center);
    if (ref.is_null()) {  // R found the deviations identical within every group (n = 2)
      EXPECT_FALSE(l.ok());
      EXPECT_TRUE(std::isnan(l.p));
      continue;
    }
    ASSERT_TRUE(l.ok()) << l.message;
    EXPECT_STAT(l.statistic, number(ref["F"]));
    EXPECT_P(l.p, number(ref["p"]));
  }
}

TEST_P(OneFactorGolden, TrendMatchesLm) {
  std::vector<double> dose, y;
  for (const auto& g : groups())
    for (double v : g.values) dose.push_back(std::stod(g.label)), y.push_back(v);
  const std::pair<TrendOptions, const char*> cases[] = {
      {{DoseScale::linear, ZeroDose::exclude, 1}, "trend"},
      {{DoseScale::log10, ZeroDose::exclude, 1}, "trend_log_exclude"},
      {{DoseScale::log10, ZeroDose::offset, 1}, "trend_log_offset1"}};
  for (const auto& [options, key] : cases) {
    const auto& ref = set()[key];
    const TestResult r = linear_trend(dose, y, options);
    ASSERT_TRUE(r.ok()) << key << ": " << r.message;
    EXPECT_STAT(r.parameters[0].estimate, number(ref["intercept"])) << key;
    EXPECT_STAT(r.parameters[0].se, number(ref["intercept_se"])) << key;
    EXPECT_STAT(r.parameters[1].estimate, number(ref["slope"])) << key;
    EXPECT_STAT(r.parameters[1].se, number(ref["se"])) << key;
    EXPECT_STAT(r.statistic, number(ref["t"])) << key;
    EXPECT_EQ(r.df1, number(ref["df"])) << key;
    EXPECT_P(r.p, number(ref["p"])) << key;
    EXPECT_STAT(r.parameters[2].estimate, number(ref["r2"])) << key;
  }
}

TEST_P(OneFactorGolden, JonckheereExactWithoutTiesElseNormal) {
  const auto& jt = set()["jonckheere"];
  const TestResult r = jonckheere_terpstra(groups());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_STAT(r.statistic, number(jt["statistic"]));
  EXPECT_STAT(r.parameters[0].estimate, number(jt["z"]));
  const TestResult greater = jonckheere_terpstra(groups(), Alternative::greater);
  const TestResult less = jonckheere_terpstra(groups(), Alternative::less);
  if (jt["exact"].get<bool>()) {  // no ties, N <= 100: the dwilcox convolution in make_golden.R
    EXPECT_EQ(r.method.rfind("exact", 0), 0u) << r.method;
    EXPECT_P(r.p, number(jt["p_exact"]));
    EXPECT_P(greater.p, number(jt["p_greater_exact"]));
    EXPECT_P(less.p, number(jt["p_less_exact"]));
  } else {
    EXPECT_EQ(r.method.rfind("normal approximation", 0), 0u) << r.method;
    EXPECT_NE(r.method.find("ties"), std::string::npos) << r.method;
    EXPECT_P(r.p, number(jt["p"]));
    EXPECT_P(greater.p, number(jt["p_greater"]));
  }
}

INSTANTIATE_TEST_SUITE_P(R, OneFactorGolden, ::testing::Range(0, 24),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "set" + std::to_string(info.param);
                         });

INSTANTIATE_TEST_SUITE_P(R, DunnettGolden, ::testing::Range(0, 24),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "set" + std::to_string(info.param);
                         });

// The issue's bar for the fixtures: at least 20 varied data sets for every test (balanced and
// unbalanced, ties, 3-6 groups, n = 2-10); equal and unequal variances are in the set names.
TEST(OneFactorGoldenFixture, CoversTheIssuesVariety) {
  const auto sets = test::load_golden("one_factor.json");
  ASSERT_GE(sets.size(), 20u);
  std::set<std::size_t> group_counts;
  std::size_t min_n = 1000, max_n = 0, balanced = 0, with_ties = 0, brown_forsythe = 0,
              jt_exact = 0, tukey_r_off = 0;
  for (const auto& set : sets) {
    const auto groups = groups_of(set);
    group_counts.insert(groups.size());
    std::set<std::size_t> sizes;
    std::vector<double> all;
    for (const auto& g : groups) {
      sizes.insert(g.values.size());
      all.insert(all.end(), g.values.begin(), g.values.end());
    }
    min_n = std::min(min_n, *sizes.begin());
    max_n = std::max(max_n, *sizes.rbegin());
    balanced += sizes.size() == 1;
    with_ties += std::set<double>(all.begin(), all.end()).size() < all.size();
    for (const char* key : {"anova", "welch", "kruskal", "tukey", "pairwise_pooled_holm",
                            "pairwise_pooled_bh", "pairwise_pooled_bonferroni", "pairwise_welch_holm",
                            "dunn_holm", "dunn_bh", "student_t_1v0", "welch_t_1v0",
                            "mann_whitney_1v0", "shapiro_residuals", "levene", "trend",
                            "trend_log_exclude", "trend_log_offset1", "jonckheere"})
      EXPECT_TRUE(set.contains(key)) << set["name"] << " " << key;
    brown_forsythe += !set["brown_forsythe"].is_null();
    jt_exact += set["jonckheere"]["exact"].get<bool>();
    for (const auto& off : set["tukey"]["r_off"]) tukey_r_off += off.get<bool>();
  }
  EXPECT_EQ(group_counts, (std::set<std::size_t>{3, 4, 5, 6}));
  EXPECT_EQ(min_n, 2u);
  EXPECT_EQ(max_n, 10u);
  EXPECT_GE(balanced, 5u);
  EXPECT_GE(sets.size() - balanced, 5u);
  EXPECT_GE(with_ties, 4u);
  EXPECT_GE(brown_forsythe, 20u);  // not with n = 2 everywhere, where it is degenerate
  EXPECT_GE(jt_exact, 10u);
  EXPECT_GE(sets.size() - jt_exact, 4u);
  EXPECT_LE(tukey_r_off, 5u);
  EXPECT_GE(test::load_golden("dunnett.json").size(), 20u);
}

}  // namespace
}  // namespace cytopipe::stats
