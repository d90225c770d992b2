#include "cytopipe/plot/number_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace cytopipe::plot {
namespace {

// "12.500" -> "12.5", "3.000" -> "3"; text without a decimal point is left alone.
std::string strip_zeros(std::string text) {
  if (text.find('.') == std::string::npos) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace

std::string format_significant(double value, int digits) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  if (value == 0) return "0";
  digits = std::clamp(digits, 1, 15);
  char buffer[64];
  // Scientific first: its exponent is that of the value after rounding (9.9996 -> 1.000e+01).
  std::snprintf(buffer, sizeof buffer, "%.*e", digits - 1, value);
  const std::string sci_raw = buffer;
  const auto e = sci_raw.find('e');
  const int exponent = std::atoi(sci_raw.c_str() + e + 1);
  const std::string sci = strip_zeros(sci_raw.substr(0, e)) + sci_raw.substr(e);
  // Fixed with the decimals the significant digits need; integer digits are all shown.
  const int decimals = std::max(0, digits - 1 - exponent);
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string fixed = strip_zeros(buffer);
  if (fixed == "-0") fixed = "0";
  return fixed.size() <= sci.size() ? fixed : sci;
}

}  // namespace cytopipe::plot
