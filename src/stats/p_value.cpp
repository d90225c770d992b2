#include "cytopipe/stats/p_value.hpp"

#include <cmath>
#include <cstdio>

namespace cytopipe::stats {
namespace {
constexpr const char* kUnderflow = "< 2.2e-308";  // the smallest normal double
}

std::string p_bound_text(double p, double resolution) {
  if (std::isnan(p)) return {};
  if (resolution > 0 && p < resolution) {
    char text[32];
    std::snprintf(text, sizeof text, "< %g", resolution);
    return text;
  }
  if (p == 0) return kUnderflow;  // the tail underflowed
  return {};
}

std::string report_p_text(double p, const std::string& bound, const std::string& number) {
  if (std::isnan(p)) return {};
  // A bound wider than R's print threshold is shown as it is; anything else below the
  // threshold as R prints it.
  if (!bound.empty() && bound != kUnderflow) return bound;
  if (p < kPrintEpsilon) return "< 2.2e-16";
  return number;
}

}  // namespace cytopipe::stats
