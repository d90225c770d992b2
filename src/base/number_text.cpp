#include "cytopipe/base/number_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace cytopipe {

std::string format_number(double value, const NumberStyle& style) {
  if (std::isnan(value)) return std::string(style.missing);
  if (std::isinf(value)) return (value > 0 ? "" : "-") + std::string(style.infinity);
  char buffer[40];
  if (style.digits == 0) {
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, end);
  }
  if (style.whole_as_integer && value == std::floor(value) && std::abs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    const std::string text(buffer);
    return text == "-0" ? "0" : text;
  }
  std::snprintf(buffer, sizeof buffer, "%.*g", style.digits, value);
  return buffer;
}

}  // namespace cytopipe
