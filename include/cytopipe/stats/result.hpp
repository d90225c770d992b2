#pragma once
// What every statistical test returns: the statistic, its degrees of freedom, the exact p value,
// n per group, the comparisons with their adjustment, and a message instead of numbers when the
// input cannot support the test (n = 1, zero variance, all values equal, NaN, < 2 groups...).
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cytopipe::stats {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Alternative { two_sided, greater, less };
std::string to_string(Alternative alternative);

// Significance marks: the first threshold the p value is strictly below gives the label, scanned
// from the smallest. The default is the paper's: ns, * < 0.05, ** < 0.01, *** < 0.0001.
struct SignificanceScale {
  std::vector<std::pair<double, std::string>> thresholds = {
      {0.0001, "***"}, {0.01, "**"}, {0.05, "*"}};
  std::string not_significant = "ns";
  // Empty for a NaN p value (a test that could not be computed carries a message instead).
  std::string label(double p) const;
};

struct GroupSize {
  std::string label;
  std::size_t n = 0;
};

// One comparison of a post-hoc or pairwise test. `group` is compared with `reference`
// (estimate = mean(group) - mean(reference) for mean-based tests).
struct Comparison {
  std::string label;      // "group - reference"
  std::string group;
  std::string reference;
  double estimate = kNaN;  // difference in means; Dunn: difference in mean ranks
  double statistic = kNaN; // t, q or z as the test defines it
  double df = kNaN;
  double ci_low = kNaN;    // simultaneous / per-comparison CI where the test gives one, else NaN
  double ci_high = kNaN;
  double p_raw = kNaN;     // unadjusted p (NaN for single-step tests, which have no raw p)
  double p_adjusted = kNaN;
  std::string adjustment;  // "single-step (Dunnett)", "Tukey", "holm", "bonferroni", "BH", "none"
  std::string significance;
};

// One term of an ANOVA table (two-way ANOVA) or one fitted parameter (regression, 4PL).
struct Term {
  std::string name;
  double df = kNaN;
  double sum_sq = kNaN;
  double statistic = kNaN;  // F for ANOVA terms, t for parameters
  double p = kNaN;
  std::string significance;
};

struct Parameter {
  std::string name;
  double estimate = kNaN;
  double se = kNaN;
  double ci_low = kNaN;
  double ci_high = kNaN;
  double statistic = kNaN;  // estimate / se where meaningful
  double p = kNaN;
  std::string statistic_name = "t";  // what `statistic` is: t for fitted parameters, z for JT
};

struct TestResult {
  std::string test;             // "one-way ANOVA", "Dunnett", "Kruskal-Wallis", ...
  std::string statistic_name;   // "F", "t", "H", "W", "z", "JT", "W (Shapiro-Wilk)"
  double statistic = kNaN;
  double df1 = kNaN;            // numerator / only df
  double df2 = kNaN;            // denominator df (F tests, Welch), else NaN
  double p = kNaN;              // omnibus p; NaN for tests that only have comparisons
  Alternative alternative = Alternative::two_sided;
  std::string significance;
  std::vector<GroupSize> groups;
  std::vector<Comparison> comparisons;
  std::vector<Term> terms;             // two-way ANOVA table
  std::vector<Parameter> parameters;   // regression slope, 4PL parameters, residual SD, R^2
  // p values (omnibus or adjusted) below this are upper bounds, not estimates: 1 - a numerical
  // integral (Dunnett, Tukey; p_value.hpp). 0: computed from a tail function, exact to rounding.
  double p_resolution = 0;
  std::string method;   // how it was computed: "exact", "normal approximation with continuity
                        // correction", "type II sums of squares", "auto: ... because ..."
  std::string message;  // non-empty: the test could not be computed, and why; numbers are NaN
  bool ok() const { return message.empty(); }
};

// Fills `significance` of the result, its comparisons and terms from `scale`.
void label_significance(TestResult& result, const SignificanceScale& scale);

}  // namespace cytopipe::stats
