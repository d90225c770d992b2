#pragma once
// Two-sample t-tests (R: t.test(var.equal = TRUE / FALSE)): estimate = mean(a) - mean(b).
#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

TestResult t_test(const Group& a, const Group& b, bool equal_variance,
                  Alternative alternative = Alternative::two_sided, double confidence = 0.95);

}  // namespace cytopipe::stats
