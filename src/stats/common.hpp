#pragma once
// Internal helpers shared by the stats sources: moments, ranks, tail probabilities.
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "cytopipe/stats/adjust.hpp"
#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats::detail {

double mean(std::span<const double> x);
// Sample variance (n - 1 denominator); NaN for n < 2.
double variance(std::span<const double> x);
double median(std::span<const double> x);

// Mid-ranks (ties get the average rank), 1-based, of x.
std::vector<double> ranks(std::span<const double> x);
// Sum over tie groups of (t^3 - t).
double tie_sum(std::span<const double> x);

// Null distribution of the Mann-Whitney count U (pairs of an x above a y) for m x and n y values
// without ties: element u is P(U = u), u = 0 .. m n.
std::vector<double> mann_whitney_pmf(std::size_t m, std::size_t n);

// All values of all groups, in group order.
std::vector<double> pooled(std::span<const Group> groups);
std::size_t total_n(std::span<const Group> groups);

// Upper tail probabilities (Boost.Math). Return NaN for invalid df or statistic.
double t_upper(double t, double df);
double t_two_sided(double t, double df);
double t_quantile(double p, double df);
double f_upper(double f, double df1, double df2);
double chisq_upper(double x, double df);
double norm_cdf(double z);
double norm_upper(double z);
double norm_quantile(double p);

// Pooled residual variance of the one-way model and its df, or a reason it is unusable.
struct Pooled {
  double mse = std::numeric_limits<double>::quiet_NaN();
  double df = std::numeric_limits<double>::quiet_NaN();
  std::string problem;
};
Pooled pooled_variance(std::span<const Group> groups);

// Sets each comparison's p_adjusted from the p_raw of the whole family (NaN ones left out).
void adjust_comparisons(std::vector<Comparison>& comparisons, Adjustment adjustment);

// p value of a t statistic for the given alternative.
double t_p(double t, double df, Alternative alternative);

// True when every value in every group equals the first one.
bool all_equal(std::span<const Group> groups);

// A comparison of level `group` against level `reference`, labelled "group - reference" (the one
// spelling of a comparison's label; the levels stay apart in the fields).
Comparison comparison(const std::string& group, const std::string& reference);
// The same for two groups, with estimate = mean(group) - mean(reference).
Comparison mean_difference(const Group& group, const Group& reference);

}  // namespace cytopipe::stats::detail
