#pragma once
// Descriptive summary of one group, as R's tapply(y, g, length / mean / sd) and the t-based 95 %
// CI of the mean: mean +- qt(0.975, n - 1) * SD / sqrt(n).
#include <cstddef>
#include <string>

#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

struct GroupSummary {
  std::string group;
  std::size_t n = 0;
  double mean = kNaN;     // NaN for n = 0
  double sd = kNaN;       // sample SD (n - 1); NaN for n < 2, as R's sd
  double sem = kNaN;      // sd / sqrt(n)
  double ci_low = kNaN;   // mean -+ t(1 - (1 - confidence) / 2, n - 1) * sem; NaN for n < 2
  double ci_high = kNaN;
  double confidence = 0.95;
};

// Values must be finite (the analysis drops missing ones before); a non-finite value gives NaN
// numbers, never an exception.
GroupSummary summarize(const Group& group, double confidence = 0.95);

}  // namespace cytopipe::stats
