#pragma once
// Scales ("transforms") applied to one channel's values before gating or display, each with its
// inverse. Gating-ML 2.0 parametrised transforms plus the common non-Gating-ML conventions.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace cytopipe::transform {

struct Identity {};
// Gating-ML 2.0 section 6: parameter names as in the specification.
struct Flin { double T, A; };                // (x + A) / (T + A)
struct Flog { double T, M; };                // 1/M * log10(x / T) + 1
struct Fasinh { double T, M, A; };           // (asinh(x sinh(M ln10)/T) + A ln10) / ((M + A) ln10)
struct Logicle { double T, W, M, A; };       // Parks et al. 2006, Moore & Parks 2012
struct Hyperlog { double T, W, M, A; };      // Bagwell 2005, as parametrised by Gating-ML 2.0
// Common conventions outside Gating-ML.
struct Log10 { double floor; };              // log10(max(x, floor))
struct ArcsinhCofactor { double cofactor; }; // asinh(x / cofactor) (CyTOF / spectral convention)
struct FlowJoBiex { double max_value, width, positive_decades, negative_decades; };

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

  double apply(double x) const;
  double inverse(double y) const;
  // Bulk versions (the hot path): `out` may alias `in`; runs in parallel over blocks.
  void apply(std::span<const double> in, std::span<double> out) const;
  void inverse(std::span<const double> in, std::span<double> out) const;

  bool operator==(const Transform& other) const;

 private:
  struct State;
  std::shared_ptr<const State> state_;
};

}  // namespace cytopipe::transform
