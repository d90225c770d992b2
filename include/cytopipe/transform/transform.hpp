#pragma once
// Scales ("transforms") applied to one channel's values before gating or display, each with its
// inverse. Gating-ML 2.0 parametrised transforms plus the common non-Gating-ML conventions.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace cytopipe::transform {

// Gating-ML 2.0 section 6: parameter names and constraints as in the specification.
struct Identity {
  bool operator==(const Identity&) const = default;
};
// (x + A) / (T + A); T > 0, 0 <= A <= T
struct Flin {
  double T, A;
  bool operator==(const Flin&) const = default;
};
// 1/M * log10(x / T) + 1; T, M > 0 (-inf at 0, NaN below: flog is defined for x > 0 only)
struct Flog {
  double T, M;
  bool operator==(const Flog&) const = default;
};
// (asinh(x sinh(M ln10)/T) + A ln10) / ((M + A) ln10); T, M > 0, 0 <= A <= M
struct Fasinh {
  double T, M, A;
  bool operator==(const Fasinh&) const = default;
};
// Parks et al. 2006, Moore & Parks 2012: T, M > 0, 0 <= W <= M/2, -W <= A <= M - 2W
struct Logicle {
  double T, W, M, A;
  bool operator==(const Logicle&) const = default;
};
// Bagwell 2005, as parametrised by Gating-ML 2.0: as logicle but W > 0
struct Hyperlog {
  double T, W, M, A;
  bool operator==(const Hyperlog&) const = default;
};
// Common conventions outside Gating-ML.
// log10(max(x, floor)), floor > 0
struct Log10 {
  double floor;
  bool operator==(const Log10&) const = default;
};
// asinh(x / cofactor) (CyTOF / spectral convention), cofactor > 0
struct ArcsinhCofactor {
  double cofactor;
  bool operator==(const ArcsinhCofactor&) const = default;
};
// FlowJo's "biex" (maxRange, width basis <= -1, positive decades, extra negative decades),
// evaluated as the logicle it is built on: T = maxRange, W = log10(-width) / 2, M = pos, A = neg.
struct FlowJoBiex {
  double max_value, width, positive_decades, negative_decades;
  bool operator==(const FlowJoBiex&) const = default;
};

// A scale as a value type. Construction validates the parameters (an Error names the bad one)
// and precomputes whatever the fast path needs; copies share that state.
class Transform {
 public:
  using Params = std::variant<Identity, Flin, Flog, Fasinh, Logicle, Hyperlog, Log10,
                              ArcsinhCofactor, FlowJoBiex>;

  Transform();  // identity
  explicit Transform(Params params);

  // Parses "logicle(T=262144,W=0.5,M=4.5,A=0)", "flin(T=...,A=...)", "asinh(cofactor=150)",
  // "log10(floor=1)", "linear", ...: the same text to_string() produces.
  static Transform parse(std::string_view spec);

  const Params& params() const noexcept;
  std::string name() const;       // "logicle", "flin", ...
  std::string to_string() const;  // parseable by parse(); exact round trip of the parameters

  // Scalar versions are exact (logicle / hyperlog: Halley's method to full double precision).
  double apply(double x) const;
  double inverse(double y) const;
  // Bulk versions (the hot path): `out` may alias `in`; runs in parallel over blocks. Logicle,
  // hyperlog and biex use the fast table: relative error <= 1e-9 against the exact value (|y|
  // floored at 1e-6), measured <= 3e-11 over the Gating-ML parameter sets (tests/transform).
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;

  bool operator==(const Transform& other) const;

  // The largest |fast - exact| / max(|exact|, floor) that the bulk path (a quintic Hermite table
  // for logicle, hyperlog and FlowJo biex) showed over `samples` log-spaced values of either
  // sign spanning 1e-6 T .. 1e6 T plus zero: the measured error bound. 0 for closed forms.
  double measure_fast_error(std::size_t samples = 200000, double floor = 1e-6) const;

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

// Gating-ML 2.0 fratio: A * (x1 - B) / (x2 - C), a two-channel "new dimension".
inline double ratio(double x1, double x2, double A, double B, double C) {
  return A * (x1 - B) / (x2 - C);
}
// Bulk version; all spans the same length (an Error otherwise); parallel over blocks.
void ratio(std::span<const double> x1, std::span<const double> x2, double A, double B, double C,
           std::span<double> out);

// Logicle parameters estimated from data (Parks, Roederer & Moore 2006, "estimate W from the 5th
// percentile of the negative values"): W = (M - log10(T / |r|)) / 2 where r is the 5th
// percentile of the negative values (W = 0 without negative values), clamped to [0, M/2].
struct LogicleEstimate {
  Logicle params;
  double negative_percentile = 0;  // r (0 when the data had no negative values)
  std::size_t negatives = 0;       // how many values were negative
};
// `T` defaults to the largest value when <= 0. NaNs are ignored; no finite values is an Error.
LogicleEstimate estimate_logicle(std::span<const double> values, double T = 0, double M = 4.5,
                                 double A = 0);

}  // namespace cytopipe::transform
