#include "cytopipe/stats/hill.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "cytopipe/stats/summary.hpp"
#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

using Vector4 = Eigen::Vector4d;  // bottom, top, log_ec50, hill

// Fraction of the way from bottom to top at dose x; dose 0 is the limit of ln x -> -inf.
double fraction(double x, const Vector4& t) {
  if (x <= 0) return t(3) > 0 ? 0.0 : (t(3) < 0 ? 1.0 : 0.5);
  return 1 / (1 + std::exp(t(3) * (t(2) - std::log(x))));
}

struct Evaluation {
  Eigen::VectorXd residual;
  Eigen::MatrixXd jacobian;  // of the model values
  double rss = 0;
};

Evaluation evaluate(std::span<const double> x, std::span<const double> y, const Vector4& t) {
  const auto n = static_cast<Eigen::Index>(x.size());
  Evaluation e{Eigen::VectorXd(n), Eigen::MatrixXd(n, 4), 0};
  for (Eigen::Index i = 0; i < n; ++i) {
    const double g = fraction(x[i], t);
    const double span = t(1) - t(0);
    e.residual(i) = y[i] - (t(0) + span * g);
    const double slope = g * (1 - g);  // zero at dose 0, so ln(0) never enters
    e.jacobian(i, 0) = 1 - g;
    e.jacobian(i, 1) = g;
    e.jacobian(i, 2) = slope == 0 ? 0 : -span * t(3) * slope;
    e.jacobian(i, 3) = slope == 0 ? 0 : -span * slope * (t(2) - std::log(x[i]));
  }
  e.rss = e.residual.squaredNorm();
  return e;
}

struct Fit {
  Vector4 theta;
  double rss = INFINITY;
  bool converged = false;
};

// Levenberg-Marquardt with Marquardt's diagonal scaling.
Fit levenberg_marquardt(std::span<const double> x, std::span<const double> y, Vector4 theta,
                        const HillOptions& options) {
  double lambda = 1e-3;
  Evaluation e = evaluate(x, y, theta);
  Fit fit{theta, e.rss, false};
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    const Eigen::Matrix4d jtj = e.jacobian.transpose() * e.jacobian;
    const Vector4 gradient = e.jacobian.transpose() * e.residual;
    bool improved = false;
    while (lambda < 1e16) {
      Eigen::Matrix4d a = jtj;
      for (int d = 0; d < 4; ++d) a(d, d) += lambda * std::max(jtj(d, d), 1e-12);
      const Vector4 step = a.ldlt().solve(gradient);
      const Vector4 trial = theta + step;
      Evaluation te = evaluate(x, y, trial);
      if (std::isfinite(te.rss) && te.rss <= e.rss) {
        const double change = e.rss - te.rss;
        theta = trial;
        e = std::move(te);
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        if (change <= options.tolerance * std::max(e.rss, 1e-300) &&
            step.cwiseAbs().maxCoeff() <= 1e-9 * (1 + theta.cwiseAbs().maxCoeff())) {
          return {theta, e.rss, true};
        }
        break;
      }
      lambda *= 10;
    }
    if (!improved) {
      // No step reduces the RSS any more: at a minimum when the gradient vanishes.
      const double scale = std::sqrt(jtj.diagonal().maxCoeff()) * std::sqrt(std::max(e.rss, 1e-300));
      return {theta, e.rss, gradient.norm() <= 1e-6 * std::max(scale, 1e-300)};
    }
  }
  fit = {theta, e.rss, false};
  return fit;
}

}  // namespace

TestResult fit_hill(std::span<const double> all_dose, std::span<const double> all_response,
                    const HillOptions& options) {
  TestResult r;
  r.test = "4PL fit";
  r.statistic_name = "";
  r.method = "Levenberg-Marquardt; y = bottom + (top - bottom) / (1 + (EC50/dose)^hill)";
  if (all_dose.size() != all_response.size()) {
    r.message = "dose and response differ in length";
    return r;
  }
  for (std::size_t i = 0; i < all_dose.size(); ++i)
    if (!std::isfinite(all_dose[i]) || !std::isfinite(all_response[i]) || all_dose[i] < 0) {
      r.message = "a dose or response is NaN, infinite or a negative dose";
      return r;
    }
  const bool exclude_zero = options.zero_dose == HillOptions::ZeroDose::exclude;
  std::vector<double> fit_dose, fit_response;
  Group control{"0", {}};
  for (std::size_t i = 0; i < all_dose.size(); ++i) {
    if (exclude_zero && all_dose[i] == 0) {
      control.values.push_back(all_response[i]);
      continue;
    }
    fit_dose.push_back(all_dose[i]);
    fit_response.push_back(all_response[i]);
  }
  const std::span<const double> dose = fit_dose, response = fit_response;
  r.groups = {{"observations", dose.size()}};
  if (!control.values.empty()) {
    r.groups.push_back({"control (dose 0)", control.values.size()});
    r.method += "; fitted on the positive doses (as R's SSfpl on log dose), the dose-0 control "
                "reported beside the curve as control_mean";
  } else if (!exclude_zero) {
    r.method += "; dose 0 fitted as the low-dose asymptote";
  }
  std::map<double, std::vector<double>> by_dose;
  for (std::size_t i = 0; i < dose.size(); ++i) by_dose[dose[i]].push_back(response[i]);
  if (exclude_zero && by_dose.size() < 5) {
    // R: SSfpl's self-start refuses fewer than 5 distinct (log) doses.
    r.message = "too few distinct input values to fit a four-parameter logistic (" +
                std::to_string(by_dose.size()) + " distinct positive doses; R's SSfpl needs 5)";
    return r;
  }
  if (by_dose.size() < 4 || dose.size() < 5) {
    r.message = "needs at least 4 distinct doses and 5 observations";
    return r;
  }
  const double y_mean = detail::mean(response);
  double sst = 0;
  for (double v : response) sst += (v - y_mean) * (v - y_mean);
  if (sst <= 0) {
    r.message = "all responses are equal";
    return r;
  }
  std::vector<double> positive;
  for (const auto& [d, values] : by_dose)
    if (d > 0) positive.push_back(d);
  // Starts: bottom/top from the extreme doses' means, EC50 at each positive dose level, hill 1.
  const double low = detail::mean(by_dose.begin()->second);
  const double high = detail::mean(by_dose.rbegin()->second);
  Fit best;
  for (double d : positive) {
    Fit f = levenberg_marquardt(dose, response, Vector4(low, high, std::log(d), 1.0), options);
    if (f.converged && f.rss < best.rss) best = f;
  }
  if (!best.converged) {
    r.message = "the 4PL fit did not converge";
    return r;
  }
  // The model is symmetric under (bottom, top, hill) -> (top, bottom, -hill): report the lower
  // plateau as bottom, with a negative hill slope for a falling curve (as Prism and drc do).
  if (best.theta(0) > best.theta(1)) {
    std::swap(best.theta(0), best.theta(1));
    best.theta(3) = -best.theta(3);
  }
  const Evaluation e = evaluate(dose, response, best.theta);
  const double n = static_cast<double>(dose.size());
  const double df = n - 4;
  const Eigen::Matrix4d jtj = e.jacobian.transpose() * e.jacobian;
  Eigen::FullPivLU<Eigen::Matrix4d> lu(jtj);
  if (lu.rank() < 4 || lu.rcond() < 1e-14 || std::fabs(best.theta(3)) > 1e3) {
    r.message = "the 4PL fit is singular (parameters not identifiable from these doses)";
    return r;
  }
  const Eigen::Matrix4d cov = (best.rss / df) * lu.inverse();
  const double q = detail::t_quantile(0.5 + options.confidence / 2, df);
  auto parameter = [&](const char* name, int i) {
    const double se = std::sqrt(cov(i, i));
    Parameter p{name, best.theta(i), se, best.theta(i) - q * se, best.theta(i) + q * se,
                best.theta(i) / se, kNaN};
    p.p = detail::t_two_sided(p.statistic, df);
    return p;
  };
  const Parameter log_ec50 = parameter("log_ec50", 2);
  const double ec50 = std::exp(log_ec50.estimate);
  r.parameters = {parameter("bottom", 0), parameter("top", 1), log_ec50,
                  {"ec50", ec50, ec50 * log_ec50.se, std::exp(log_ec50.ci_low),
                   std::exp(log_ec50.ci_high), kNaN, kNaN},
                  parameter("hill", 3),
                  {"residual_sd", std::sqrt(best.rss / df), kNaN, kNaN, kNaN, kNaN, kNaN},
                  {"r_squared", 1 - best.rss / sst, kNaN, kNaN, kNaN, kNaN, kNaN}};
  if (!control.values.empty()) {
    const GroupSummary c = summarize(control, options.confidence);
    r.parameters.push_back({"control_mean", c.mean, c.sem, c.ci_low, c.ci_high, kNaN, kNaN});
  }
  r.df1 = df;
  if (positive.empty() || ec50 < positive.front() || ec50 > positive.back()) {
    r.message = "EC50 outside the tested dose range";
    r.parameters[2].estimate = r.parameters[3].estimate = kNaN;
    r.parameters[2].ci_low = r.parameters[2].ci_high = kNaN;
    r.parameters[3].ci_low = r.parameters[3].ci_high = kNaN;
  }
  return r;
}

}  // namespace cytopipe::stats
