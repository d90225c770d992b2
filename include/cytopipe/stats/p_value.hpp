#pragma once
// How small p values are shown. R prints any p below the machine epsilon as "< 2.2e-16"
// (format.pval with eps = .Machine$double.eps); the computed value itself is kept in tables.
// A p computed as 1 - a numerical integral (Dunnett, Tukey) is known only to the integral's
// accuracy: below that it is an upper bound, not an estimate (multcomp prints such values as
// "< 1e-10" from its error estimate, for the same reason).
#include <string>

namespace cytopipe::stats {

inline constexpr double kPrintEpsilon = 2.220446049250313e-16;  // .Machine$double.eps
// Absolute accuracy of 1 - integral for the single-step Dunnett and Tukey p values.
inline constexpr double kIntegratedPResolution = 1e-10;

// "< 1e-10" (or "< 2.2e-16") when p is below `resolution` (0: none) or is exactly 0 with a
// finite statistic (an underflowed tail, below the smallest double), else empty.
std::string p_bound_text(double p, double resolution);

// The text of a p value in a report: the bound when there is one, "< 2.2e-16" below the
// epsilon, else `number` (the caller's formatting of p); empty for NaN.
std::string report_p_text(double p, const std::string& bound, const std::string& number);

}  // namespace cytopipe::stats
