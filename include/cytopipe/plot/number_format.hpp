#pragma once
// Numbers rounded for reading in the report (tables keep full precision in the CSVs).
#include <string>

namespace cytopipe::plot {

// `value` to `digits` significant digits as R's format(value, digits = d) prints one number:
// fixed notation unless scientific is strictly narrower, trailing zeros dropped, a two-digit
// exponent ("0.03479", "123457", "1.2e-05", "1.235e+09"); "NaN", "Inf", "-Inf" for non-finite.
// digits is clamped to 1..15.
std::string format_significant(double value, int digits);

// Significant digits the report prints: statistics and estimates, and p values (as
// format.pval(p, digits = 2) would, the caller handling "< 2.2e-16" and bounds).
inline constexpr int kReportDigits = 4;
inline constexpr int kReportPDigits = 2;

}  // namespace cytopipe::plot
