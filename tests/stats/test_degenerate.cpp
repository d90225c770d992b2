// Degenerate input gets a message and NaN numbers, never a crash or a NaN presented as a result.
#include <gtest/gtest.h>

#include <cmath>

#include "cytopipe/error.hpp"
#include "cytopipe/stats/stats.hpp"

namespace cytopipe::stats {
namespace {

void expect_refused(const TestResult& r, const std::string& fragment) {
  EXPECT_FALSE(r.ok()) << r.test;
  EXPECT_NE(r.message.find(fragment), std::string::npos) << r.test << ": " << r.message;
  EXPECT_TRUE(std::isnan(r.p)) << r.test;
  for (const auto& c : r.comparisons) EXPECT_TRUE(std::isnan(c.p_adjusted)) << r.test;
}

const std::vector<Group> kSingleReplicate = {{"0", {1, 2, 3}}, {"10", {4}}, {"100", {5, 6}}};
const std::vector<Group> kZeroVariance = {{"0", {1, 1, 1}}, {"10", {2, 2}}, {"100", {3, 3, 3}}};
const std::vector<Group> kAllEqual = {{"0", {5, 5, 5}}, {"10", {5, 5}}, {"100", {5, 5, 5}}};
const std::vector<Group> kWithNaN = {{"0", {1, 2, std::nan("")}}, {"10", {4, 5}}, {"100", {5, 6}}};
const std::vector<Group> kOneGroup = {{"0", {1, 2, 3}}};

TEST(Degenerate, GroupWithSingleReplicate) {
  for (const auto& r : {one_way_anova(kSingleReplicate), welch_anova(kSingleReplicate),
                        kruskal_wallis(kSingleReplicate), dunnett(kSingleReplicate),
                        tukey_hsd(kSingleReplicate), dunn(kSingleReplicate, Adjustment::holm),
                        pairwise_t(kSingleReplicate, Adjustment::holm)})
    expect_refused(r, "'10' has n = 1");
  expect_refused(t_test(kSingleReplicate[1], kSingleReplicate[0], true), "n = 1");
}

TEST(Degenerate, ZeroVarianceInEveryGroup) {
  expect_refused(one_way_anova(kZeroVariance), "zero variance within every group");
  expect_refused(dunnett(kZeroVariance), "zero variance within every group");
  expect_refused(tukey_hsd(kZeroVariance), "zero variance within every group");
  expect_refused(welch_anova(kZeroVariance), "zero variance");
  expect_refused(t_test(kZeroVariance[0], kZeroVariance[1], false), "zero variance");
  // Rank tests still work: the groups are perfectly separated.
  EXPECT_TRUE(kruskal_wallis(kZeroVariance).ok());
}

TEST(Degenerate, AllValuesEqual) {
  for (const auto& r : {one_way_anova(kAllEqual), welch_anova(kAllEqual), kruskal_wallis(kAllEqual),
                        dunnett(kAllEqual), tukey_hsd(kAllEqual), dunn(kAllEqual, Adjustment::bh),
                        jonckheere_terpstra(kAllEqual), mann_whitney(kAllEqual[0], kAllEqual[2])})
    expect_refused(r, "all values are equal");
  expect_refused(shapiro_wilk(kAllEqual[0].values), "all values are equal");
  std::vector<double> dose = {0, 0, 1, 1, 10}, y = {5, 5, 5, 5, 5};
  expect_refused(linear_trend(dose, y), "all responses are equal");
}

TEST(Degenerate, NaNValues) {
  for (const auto& r : {one_way_anova(kWithNaN), kruskal_wallis(kWithNaN), dunnett(kWithNaN),
                        tukey_hsd(kWithNaN), jonckheere_terpstra(kWithNaN)})
    expect_refused(r, "NaN");
  expect_refused(shapiro_wilk(kWithNaN[0].values), "NaN");
  std::vector<double> dose = {0, 1, 10, std::nan("")}, y = {1, 2, 3, 4};
  expect_refused(linear_trend(dose, y), "NaN");
  expect_refused(fit_hill(dose, y), "NaN");
}

TEST(Degenerate, FewerThanTwoGroups) {
  for (const auto& r : {one_way_anova(kOneGroup), welch_anova(kOneGroup), kruskal_wallis(kOneGroup),
                        tukey_hsd(kOneGroup), dunn(kOneGroup, Adjustment::holm),
                        jonckheere_terpstra(kOneGroup)})
    expect_refused(r, "at least 2 groups");
  expect_refused(dunnett(kOneGroup), "at least 2 groups");
}

TEST(Degenerate, TwoWayAnovaWithEmptyCellOrSingleFactorLevel) {
  const std::vector<double> y = {1, 2, 3, 4, 5, 6};
  const std::vector<std::string> a = {"0", "0", "10", "10", "100", "100"};
  const std::vector<std::string> b1 = {"MM1S", "MM1S", "MM1S", "MM1S", "MM1S", "MM1S"};
  expect_refused(two_way_anova(y, a, b1, SumOfSquares::type2), "at least 2 levels");
  const std::vector<std::string> b2 = {"MM1S", "U266", "MM1S", "U266", "MM1S", "MM1S"};
  expect_refused(two_way_anova(y, a, b2, SumOfSquares::type3), "cell is empty");
  const std::vector<std::string> b3 = {"MM1S", "U266", "MM1S", "U266", "MM1S", "U266"};
  expect_refused(two_way_anova(y, a, b3, SumOfSquares::type2), "no residual degrees of freedom");
}

TEST(Degenerate, HillFitReportsEc50OutsideTheTestedRange) {
  // Still rising steeply at the top dose: the midpoint lies far beyond 100.
  std::vector<double> dose, y;
  for (double d : {1.0, 3.0, 10.0, 30.0, 100.0})
    for (double e : {-0.2, 0.0, 0.2}) dose.push_back(d), y.push_back(1 + 0.01 * d + e);
  const TestResult r = fit_hill(dose, y);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.message.find("EC50 outside") != std::string::npos ||
              r.message.find("did not converge") != std::string::npos ||
              r.message.find("singular") != std::string::npos)
      << r.message;
  for (const auto& p : r.parameters) {
    if (p.name == "ec50") {
      EXPECT_TRUE(std::isnan(p.estimate));
    }
  }
}

TEST(Degenerate, HillFitNeedsFourDoses) {
  std::vector<double> dose = {0, 0, 10, 10, 100, 100}, y = {1, 2, 3, 4, 5, 6};
  HillOptions with_control;
  with_control.zero_dose = HillOptions::ZeroDose::asymptote;
  expect_refused(fit_hill(dose, y, with_control), "at least 4 distinct doses");
  // On the positive doses (the default), R's SSfpl reason.
  expect_refused(fit_hill(dose, y), "too few distinct input values to fit a four-parameter logistic");
}

TEST(Degenerate, LogTrendWithOnlyZeroAndOneDoseLeft) {
  std::vector<double> dose = {0, 0, 0, 10, 10, 10}, y = {1, 2, 3, 4, 5, 6};
  expect_refused(linear_trend(dose, y, {DoseScale::log10, ZeroDose::exclude, 1}),
                 "at least 2 distinct doses");
  // With an offset the zero dose stays in.
  EXPECT_TRUE(linear_trend(dose, y, {DoseScale::log10, ZeroDose::offset, 1}).ok());
}

TEST(Significance, DefaultLabelsFollowThePaper) {
  const SignificanceScale scale;
  EXPECT_EQ(scale.label(0.2), "ns");
  EXPECT_EQ(scale.label(0.05), "ns");
  EXPECT_EQ(scale.label(0.049), "*");
  EXPECT_EQ(scale.label(0.0099), "**");
  EXPECT_EQ(scale.label(0.0001), "**");
  EXPECT_EQ(scale.label(0.00009), "***");
  EXPECT_EQ(scale.label(std::nan("")), "");
}

TEST(Significance, ConfigurableThresholds) {
  SignificanceScale scale;
  scale.thresholds = {{0.05, "*"}, {0.01, "**"}, {0.001, "***"}, {0.0001, "****"}};
  scale.not_significant = "n.s.";
  EXPECT_EQ(scale.label(0.0005), "***");
  EXPECT_EQ(scale.label(0.00001), "****");
  EXPECT_EQ(scale.label(0.5), "n.s.");
}

TEST(Adjust, RejectsUnknownMethodAndPassesNaNThrough) {
  EXPECT_THROW(parse_adjustment("sidak"), cytopipe::Error);
  EXPECT_EQ(parse_adjustment("BH"), Adjustment::bh);
  const std::vector<double> p = {0.01, std::nan(""), 0.04};
  const auto holm = adjust_p(p, Adjustment::holm);
  EXPECT_DOUBLE_EQ(holm[0], 0.02);  // two tests, not three: NaN does not count
  EXPECT_TRUE(std::isnan(holm[1]));
  EXPECT_DOUBLE_EQ(holm[2], 0.04);
}

}  // namespace
}  // namespace cytopipe::stats
