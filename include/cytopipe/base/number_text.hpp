#pragma once
// The one number formatter: every number cytopipe writes as text goes through format_number
// with the style of its kind of output, so each output kind has one precision policy and one
// spelling of a missing value (NaN), written down here.
#include <string>
#include <string_view>

namespace cytopipe {

struct NumberStyle {
  int digits = 10;                 // significant digits (printf %.Ng); 0 = shortest round-trip text
  std::string_view missing = "";   // NaN (a missing value)
  std::string_view infinity = "Inf";  // +inf; -inf is "-" + this
  bool whole_as_integer = false;   // whole numbers below 1e15 without exponent ("1000000", not "1e+06")
};

// Output tables (readouts.csv, populations.csv, the report's tables, gates_resolved.yaml): 10
// significant digits, whole numbers as integers, NaN as an empty cell, R's Inf.
inline constexpr NumberStyle kTableNumber{10, "", "Inf", true};
// stats.csv: every digit (17 significant, so a value reads back exactly), NaN empty, R's Inf.
inline constexpr NumberStyle kStatisticsNumber{17, "", "Inf", false};
// `cytopipe gate` statistics and console summary: 10 significant digits, NaN as NA.
inline constexpr NumberStyle kGateNumber{10, "NA", "inf", false};
// Gate and strategy files (Gating-ML, CSV of gate columns): every digit, so a gate reads back
// exactly.
inline constexpr NumberStyle kExactNumber{17, "nan", "inf", false};
// FCS metadata and event values shown or exported (info, export): 9 significant digits (a float's
// precision).
inline constexpr NumberStyle kEventNumber{9, "nan", "inf", false};
// Parameters written back into expressions (transform names, dose labels in file names): the
// shortest text that reads back as the same double.
inline constexpr NumberStyle kShortestNumber{0, "nan", "inf", false};

std::string format_number(double value, const NumberStyle& style);

}  // namespace cytopipe
