#pragma once
// Logicle and hyperlog as exact double-precision functions. Both are defined through an explicit
// "data from scale" function B(y) that is odd about its zero point x1 (B(x1) = 0,
// B(y) = -B(2 x1 - y) below x1); the scale is its root: y = root(B(y) - x).
//
// Right of x1 we write B(x1 + δ) with expm1, so the terms never cancel:
//   logicle  (Moore & Parks 2012):  a e^{b x1} expm1(b δ) - c e^{-d x1} expm1(-d δ)
//   hyperlog (Gating-ML 2.0):       a e^{b x1} expm1(b δ) + c δ
// Both terms are >= 0, so B is evaluated to a few ulp at every δ, including δ -> 0, which is what
// the reference implementation's Taylor series near x1 is for.
namespace cytopipe::transform::detail {

class Biexponential {
 public:
  enum class Kind { Logicle, Hyperlog };

  // Parameters as in Gating-ML 2.0; the caller has validated them.
  static Biexponential logicle(double T, double W, double M, double A);
  static Biexponential hyperlog(double T, double W, double M, double A);

  // Exact scale value of a data value (Halley iterations on the right branch).
  double scale(double x) const;
  // Exact data value of a scale value (explicit).
  double data(double y) const;

  // The right branch: for u >= 0, scale(u) = x1 + delta(u) and scale(-u) = x1 - delta(u).
  // Working with δ keeps full relative precision down to u -> 0 (the fast table stores δ).
  double delta(double u) const;
  // G(δ) = B(x1 + δ) for δ >= 0 and its first two derivatives.
  double g(double delta) const;
  double g1(double delta) const;
  double g2(double delta) const;

  double zero_point() const noexcept { return x1_; }  // x1: the scale value of data value 0
  double top() const noexcept { return T_; }

 private:
  Kind kind_ = Kind::Logicle;
  double T_ = 0;
  double x1_ = 0, b_ = 0, d_ = 0;  // d unused by hyperlog
  double a_ = 0, c_ = 0, f_ = 0;
  double ae_ = 0;  // a e^{b x1}
  double ce_ = 0;  // logicle: c e^{-d x1}; hyperlog: c
  double log_a_ = 0;
};

// Solves 2 (ln d - ln b) + w (b + d) = 0 for d in (0, b] (Moore & Parks 2012, eq. for d).
double logicle_d(double b, double w);

}  // namespace cytopipe::transform::detail
