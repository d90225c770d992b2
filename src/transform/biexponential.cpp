// Exact logicle / hyperlog: constants from the Gating-ML 2.0 definitions, root by Halley's method.
#include "transform/biexponential.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace cytopipe::transform::detail {

namespace {
constexpr double kLn10 = std::numbers::ln10;
constexpr double kEps = std::numeric_limits<double>::epsilon();
// Beyond big_factor * T the exponential term alone fixes y to well under an ulp (the other terms
// are corrected for with one log1p), and e^{b δ} could overflow for tiny a.
constexpr double kBigFactor = 1e18;
}  // namespace

double logicle_d(double b, double w) {
  if (w <= 0) return b;
  // With d = b e^s the equation is h(s) = 2 s + w b (1 + e^s) = 0, increasing and convex in s,
  // and h(0) = 2 w b > 0: Newton from s = 0 approaches the root from the right, never past it.
  double s = 0;
  for (int i = 0; i < 200; ++i) {
    const double es = std::exp(s);
    const double h = 2 * s + w * b * (1 + es);
    const double step = h / (2 + w * b * es);
    s -= step;
    if (std::abs(step) <= 2 * kEps * std::max(1.0, std::abs(s))) break;
  }
  return b * std::exp(s);
}

Biexponential Biexponential::logicle(double T, double W, double M, double A) {
  Biexponential s;
  s.kind_ = Kind::Logicle;
  s.T_ = T;
  const double w = W / (M + A);
  const double x2 = A / (M + A);
  s.x1_ = x2 + w;
  const double x0 = x2 + 2 * w;
  s.b_ = (M + A) * kLn10;
  s.d_ = logicle_d(s.b_, w);
  const double ca = std::exp(x0 * (s.b_ + s.d_));
  const double mfa = std::exp(s.b_ * s.x1_) - ca * std::exp(-s.d_ * s.x1_);
  s.a_ = T / ((std::exp(s.b_) - mfa) - ca * std::exp(-s.d_));
  s.c_ = ca * s.a_;
  s.f_ = -mfa * s.a_;
  s.ae_ = s.a_ * std::exp(s.b_ * s.x1_);
  s.ce_ = s.c_ * std::exp(-s.d_ * s.x1_);
  s.log_a_ = std::log(s.a_);
  return s;
}

Biexponential Biexponential::hyperlog(double T, double W, double M, double A) {
  Biexponential s;
  s.kind_ = Kind::Hyperlog;
  s.T_ = T;
  const double w = W / (M + A);
  const double x2 = A / (M + A);
  s.x1_ = x2 + w;
  const double x0 = x2 + 2 * w;
  s.b_ = (M + A) * kLn10;
  const double ca = std::exp(s.b_ * x0) / w;
  const double fa = std::exp(s.b_ * s.x1_) + ca * s.x1_;
  s.a_ = T / (std::exp(s.b_) + ca - fa);
  s.c_ = ca * s.a_;
  s.f_ = fa * s.a_;
  s.ae_ = s.a_ * std::exp(s.b_ * s.x1_);
  s.ce_ = s.c_;
  s.log_a_ = std::log(s.a_);
  return s;
}

double Biexponential::g(double delta) const {
  if (kind_ == Kind::Logicle)
    return ae_ * std::expm1(b_ * delta) - ce_ * std::expm1(-d_ * delta);
  return ae_ * std::expm1(b_ * delta) + ce_ * delta;
}

double Biexponential::g1(double delta) const {
  if (kind_ == Kind::Logicle)
    return ae_ * b_ * std::exp(b_ * delta) + ce_ * d_ * std::exp(-d_ * delta);
  return ae_ * b_ * std::exp(b_ * delta) + ce_;
}

double Biexponential::g2(double delta) const {
  if (kind_ == Kind::Logicle)
    return ae_ * b_ * b_ * std::exp(b_ * delta) - ce_ * d_ * d_ * std::exp(-d_ * delta);
  return ae_ * b_ * b_ * std::exp(b_ * delta);
}

double Biexponential::delta(double u) const {
  if (!(u > 0)) return u == 0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  if (u > kBigFactor * T_) {
    if (std::isinf(u)) return u;
    // a e^{b y} = u - (the other terms at y0); one correction is exact to an ulp here.
    const double lu = std::log(u);
    const double y0 = (lu - log_a_) / b_;
    const double rest = kind_ == Kind::Logicle ? c_ * std::exp(-d_ * y0) - f_ : f_ - c_ * y0;
    return (lu + std::log1p(rest / u) - log_a_) / b_ - x1_;
  }
  // G is increasing and (on δ >= 0) convex, with G(δ) >= G'(0) δ: the linear guess lies right of
  // the root, the logarithmic one is close for large u; Halley converges cubically from either.
  const double linear = u / g1(0);
  const double logarithmic = (std::log(u) - log_a_) / b_ - x1_;
  double delta = std::min(linear, std::max(logarithmic, 0.0));
  for (int i = 0; i < 60; ++i) {
    const double r = g(delta) - u;
    const double d1 = g1(delta);
    const double d2 = g2(delta);
    double step = 2 * r * d1 / (2 * d1 * d1 - r * d2);
    if (!std::isfinite(step)) step = r / d1;
    double next = delta - step;
    if (next < 0) next = delta / 2;  // stay on the right branch
    const bool done = std::abs(next - delta) <= 2 * kEps * next;
    delta = next;
    if (done) break;
  }
  return delta;
}

double Biexponential::scale(double x) const {
  if (std::isnan(x)) return x;
  return x >= 0 ? x1_ + delta(x) : x1_ - delta(-x);
}

double Biexponential::data(double y) const {
  if (std::isnan(y)) return y;
  return y >= x1_ ? g(y - x1_) : -g(x1_ - y);
}

}  // namespace cytopipe::transform::detail
