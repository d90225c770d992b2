#pragma once
// Analysis of variance: one-way (R: aov / anova(lm)), Welch's (R: oneway.test), and two-way with
// interaction by type II or type III sums of squares.
#include <span>
#include <string>

#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

TestResult one_way_anova(std::span<const Group> groups);
TestResult welch_anova(std::span<const Group> groups);

// Type I: sequential, terms in the stated order: a, then b after a, then a:b after both (R:
// anova(lm(y ~ a * b))). On unbalanced data a's line differs from type II (not adjusted for b);
// b's and the interaction's lines equal type II's.
// Type II: each main effect adjusted for the other main effect (not the interaction), the
// interaction for both (R: car::Anova type 2, = the last line of two sequential anova() tables).
// Type III: each term adjusted for all others with sum-to-zero contrasts (R:
// drop1(lm(y ~ a * b, contrasts = list(a = contr.sum, b = contr.sum)), . ~ ., test = "F")).
enum class SumOfSquares { type1, type2, type3 };

// One observation per element; factor levels are strings, ordered by first appearance.
// The result's terms are `a_name`, `b_name`, `a_name:b_name`, and "Residuals"; `method` names the
// type.
TestResult two_way_anova(std::span<const double> y, std::span<const std::string> a,
                         std::span<const std::string> b, SumOfSquares type,
                         const std::string& a_name = "A", const std::string& b_name = "B");

}  // namespace cytopipe::stats
