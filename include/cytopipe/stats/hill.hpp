#pragma once
// 4-parameter logistic (Hill) fit by Levenberg-Marquardt:
//   y = bottom + (top - bottom) / (1 + exp(hill * (log_ec50 - ln(dose))))
// i.e. bottom + (top - bottom) / (1 + (EC50 / dose)^hill); dose 0 takes the limit (bottom for
// hill > 0). Standard errors from sigma^2 (J'J)^-1 and 95 % CIs from the t distribution with
// n - 4 df, as R's nls reports them; EC50's CI is exp of log_ec50's CI.
//
// Dose 0 (the untreated control) has no log dose, and R's SSfpl cannot take it. By default the
// curve is fitted on the positive doses only, as nls(y ~ SSfpl(log(dose), ...)) would be, and
// the control is reported beside it (parameter "control_mean": mean, SEM, t-based 95 % CI).
// ZeroDose::asymptote instead fits dose 0 as the limit dose -> 0, i.e. the low-dose plateau
// (bottom of a rising curve).
#include <span>

#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

struct HillOptions {
  enum class ZeroDose { exclude, asymptote };
  ZeroDose zero_dose = ZeroDose::exclude;
  int max_iterations = 500;
  double tolerance = 1e-12;   // relative change of the residual sum of squares
  double confidence = 0.95;
};

// parameters: "bottom", "top", "log_ec50" (natural log), "ec50", "hill", "residual_sd",
// "r_squared", then "control_mean" when dose 0 is excluded and present. message set when: fewer
// than 5 distinct positive doses (excluding dose 0; R's SSfpl reason), < 5 points or < 4 distinct
// doses (asymptote), NaN input, no convergence, a singular fit, or an EC50 outside the tested
// (positive) dose range (estimates still listed).
TestResult fit_hill(std::span<const double> dose, std::span<const double> response,
                    const HillOptions& options = {});

}  // namespace cytopipe::stats
