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

// Each group against groups[control] by a two-sided t-test, adjusted over these k - 1
// comparisons only (the control family), not over all pairs: R's
// p.adjust(pairwise.t.test(y, relevel(g, control), p.adjust.method = "none")$p.value[, 1], m).
// Pooled: the SD is pooled over ALL groups (df = N - k), as pairwise.t.test's pool.sd = TRUE;
// otherwise each pair by Welch's test. estimate = mean(group) - mean(control), with the
// unadjusted per-comparison 95 % CI.
TestResult t_vs_control(std::span<const Group> groups, std::size_t control, Adjustment adjustment,
                        bool pooled_sd = true);

}  // namespace cytopipe::stats
