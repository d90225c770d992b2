#pragma once
// 4-parameter logistic (Hill) fit by Levenberg-Marquardt:
//   y = bottom + (top - bottom) / (1 + exp(hill * (log_ec50 - ln(dose))))
// i.e. bottom + (top - bottom) / (1 + (EC50 / dose)^hill); dose 0 takes the limit (bottom for
// hill > 0). Standard errors from sigma^2 (J'J)^-1 and 95 % CIs from the t distribution with
// n - 4 df, as R's nls reports them; EC50's CI is exp of log_ec50's CI.
#include <span>

#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

struct HillOptions {
  int max_iterations = 500;
  double tolerance = 1e-12;   // relative change of the residual sum of squares
  double confidence = 0.95;
};

// parameters: "bottom", "top", "log_ec50" (natural log), "ec50", "hill", "residual_sd",
// "r_squared". message set when: < 5 points or < 4 distinct doses, NaN input, no convergence,
// a singular fit, or an EC50 outside the tested (positive) dose range (estimates still listed).
TestResult fit_hill(std::span<const double> dose, std::span<const double> response,
                    const HillOptions& options = {});

}  // namespace cytopipe::stats
