#pragma once
// Trend across ordered doses: least-squares regression of the read-out on dose or log10(dose)
// (R: summary(lm(y ~ dose))), and the Jonckheere-Terpstra test: exact p from the permutation
// distribution when nothing is tied and N <= 100 (as clinfun::jonckheere.test), else the normal
// approximation with the ties-corrected variance, no continuity correction; `method` says which.
#include <cstddef>
#include <span>

#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

enum class DoseScale { linear, log10 };
// For log10: doses <= 0 are excluded (exclude) or shifted by `zero_offset` first (offset: x + c).
enum class ZeroDose { exclude, offset };

struct TrendOptions {
  DoseScale scale = DoseScale::linear;
  ZeroDose zero = ZeroDose::exclude;
  double zero_offset = 1.0;
};

// parameters: "intercept", "slope" (estimate, se, t, p, 95 % CI), "r_squared";
// statistic = t of the slope, df1 = n - 2, p = two-sided p of the slope.
TestResult linear_trend(std::span<const double> dose, std::span<const double> response,
                        const TrendOptions& options = {});

inline constexpr std::size_t kJtExactMaxN = 100;

// Groups in increasing dose order. greater: values increase with dose. Two-sided exact p is
// twice the smaller tail (at most 1). parameters: "z", the standardised statistic (always).
TestResult jonckheere_terpstra(std::span<const Group> groups,
                               Alternative alternative = Alternative::two_sided);

}  // namespace cytopipe::stats
