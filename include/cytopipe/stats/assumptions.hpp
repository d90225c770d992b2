#pragma once
// Assumption checks and the automatic choice between parametric and rank-based tests.
#include <span>

#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

// Shapiro-Wilk W and p by Royston's algorithm (R: shapiro.test), 3 <= n <= 5000.
TestResult shapiro_wilk(std::span<const double> values);

// One-way ANOVA residuals (value - group mean), in group order.
std::vector<double> anova_residuals(std::span<const Group> groups);

// Levene's test (center = mean) or Brown-Forsythe (center = median): one-way ANOVA on the
// absolute deviations from each group's centre (R: car::leveneTest, written out in make_golden.R).
enum class Center { mean, median };
TestResult levene(std::span<const Group> groups, Center center = Center::median);

// test: auto. Parametric when Shapiro-Wilk on the ANOVA residuals has p >= alpha; then Welch's
// ANOVA if Brown-Forsythe has p < alpha, else one-way ANOVA; otherwise Kruskal-Wallis.
// The returned result is the chosen omnibus test; `method` says which and why.
enum class Family { parametric_equal_var, parametric_welch, rank_based };
struct AutoChoice {
  Family family = Family::parametric_equal_var;
  std::string reason;
  TestResult normality;   // Shapiro-Wilk on residuals
  TestResult variance;    // Brown-Forsythe
};
AutoChoice choose_family(std::span<const Group> groups, double alpha = 0.05);

}  // namespace cytopipe::stats
