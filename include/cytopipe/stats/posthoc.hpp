#pragma once
// Post-hoc comparisons after a one-way ANOVA (pooled residual variance, df = N - k).
#include <cstddef>
#include <span>

#include "cytopipe/stats/adjust.hpp"
#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

// Dunnett's many-to-one against groups[control], single-step adjusted p values and simultaneous
// CIs from the multivariate t (R: multcomp::glht(aov, mcp(g = "Dunnett"))). Unequal n allowed.
// greater: H1 mean(group) > mean(control); CIs are then one-sided (ci_high = +inf).
TestResult dunnett(std::span<const Group> groups, std::size_t control = 0,
                   Alternative alternative = Alternative::two_sided, double confidence = 0.95);

// Tukey's HSD, all pairs, estimate = mean(later group) - mean(earlier group) (R: TukeyHSD).
TestResult tukey_hsd(std::span<const Group> groups, double confidence = 0.95);

// Pairwise t-tests, two-sided, pooled SD over all groups (R: pairwise.t.test default) or each
// pair by Welch's test (pool.sd = FALSE), then adjusted.
TestResult pairwise_t(std::span<const Group> groups, Adjustment adjustment, bool pooled_sd = true);

}  // namespace cytopipe::stats
