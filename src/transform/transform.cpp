// Transform: validation, the exact scalar functions and the bulk (fast, parallel) path.
#include "cytopipe/transform/transform.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/overloaded.hpp"
#include "transform/biexponential.hpp"
#include "transform/fast_table.hpp"
#include "transform/transform_names.hpp"

namespace cytopipe::transform {

namespace {

constexpr double kLn10 = std::numbers::ln10;
constexpr std::size_t kGrain = 1 << 14;  // values per parallel task

[[noreturn]] void bad(const Transform::Params& p, const std::string& what) {
  ErrorContext context;
  context.where = detail::describe(p);
  throw Error("invalid parameters: " + what, std::move(context));
}

void require(bool ok, const Transform::Params& p, const char* what) {
  if (!ok) bad(p, what);
}

bool finite(std::initializer_list<double> values) {
  for (double v : values)
    if (!std::isfinite(v)) return false;
  return true;
}

// Gating-ML 2.0 constraints shared by logicle and hyperlog (and FlowJo's biex, which is a logicle).
void check_biexponential(const Transform::Params& p, double T, double W, double M, double A,
                         bool w_positive) {
  require(finite({T, W, M, A}), p, "parameters must be finite numbers");
  require(T > 0, p, "T must be > 0");
  require(M > 0, p, "M must be > 0");
  require(w_positive ? W > 0 : W >= 0, p, w_positive ? "W must be > 0" : "W must be >= 0");
  require(W <= M / 2, p, "W must be <= M/2");
  require(A >= -W, p, "A must be >= -W");
  require(A <= M - 2 * W, p, "A must be <= M - 2W");
}

Logicle biex_as_logicle(const FlowJoBiex& b) {
  return {b.max_value, std::log10(-b.width) / 2, b.positive_decades, b.negative_decades};
}

}  // namespace

struct Transform::State {
  Params params;
  std::optional<detail::Biexponential> exact;  // logicle, hyperlog, biex
  std::optional<detail::FastTable> table;
  double k1 = 0, k2 = 0, k3 = 0;  // closed-form constants (see make_state)
};

namespace {

// Biexponential states (their fast table takes ~1 ms to build) already built in this process,
// by parameters: a strategy read per file (--frozen-gates, a FlowJo workspace) names the same few
// scales hundreds of times. Bounded, as a long-lived process could meet many.
constexpr std::size_t kKeptTables = 64;

bool biexponential(const Transform::Params& p) {
  return std::holds_alternative<Logicle>(p) || std::holds_alternative<Hyperlog>(p) ||
         std::holds_alternative<FlowJoBiex>(p);
}

}  // namespace

Transform::Transform(Params params) {
  static std::mutex built_mutex;
  static std::vector<std::shared_ptr<const State>> built;
  if (biexponential(params)) {
    const std::lock_guard lock(built_mutex);
    for (const auto& b : built)
      if (b->params == params && detail::describe(b->params) == detail::describe(params)) {  // not -0 for 0
        state_ = b;
        return;
      }
  }
  auto s = std::make_shared<State>();
  const auto& p = params;
  std::visit(
      Overloaded{
          [](const Identity&) {},
          [&](const Flin& t) {
            require(finite({t.T, t.A}), p, "parameters must be finite numbers");
            require(t.T > 0, p, "T must be > 0");
            require(t.A >= 0, p, "A must be >= 0");
            require(t.A <= t.T, p, "A must be <= T");
          },
          [&](const Flog& t) {
            require(finite({t.T, t.M}), p, "parameters must be finite numbers");
            require(t.T > 0, p, "T must be > 0");
            require(t.M > 0, p, "M must be > 0");
          },
          [&](const Fasinh& t) {
            require(finite({t.T, t.M, t.A}), p, "parameters must be finite numbers");
            require(t.T > 0, p, "T must be > 0");
            require(t.M > 0, p, "M must be > 0");
            require(t.A >= 0, p, "A must be >= 0");
            require(t.A <= t.M, p, "A must be <= M");
            s->k1 = std::sinh(t.M * kLn10) / t.T;  // x scale inside asinh
            s->k2 = t.A * kLn10;
            s->k3 = (t.M + t.A) * kLn10;
            require(std::isfinite(s->k1) && s->k1 > 0, p, "sinh(M ln10) / T is out of range");
          },
          [&](const Logicle& t) {
            check_biexponential(p, t.T, t.W, t.M, t.A, false);
            s->exact = detail::Biexponential::logicle(t.T, t.W, t.M, t.A);
          },
          [&](const Hyperlog& t) {
            check_biexponential(p, t.T, t.W, t.M, t.A, true);
            s->exact = detail::Biexponential::hyperlog(t.T, t.W, t.M, t.A);
          },
          [&](const Log10& t) {
            require(std::isfinite(t.floor) && t.floor > 0, p, "floor must be a finite number > 0");
          },
          [&](const ArcsinhCofactor& t) {
            require(std::isfinite(t.cofactor) && t.cofactor > 0, p,
                    "cofactor must be a finite number > 0");
          },
          [&](const FlowJoBiex& t) {
            require(finite({t.max_value, t.width, t.positive_decades, t.negative_decades}), p,
                    "parameters must be finite numbers");
            require(t.width <= -1, p, "width must be <= -1 (FlowJo's width basis)");
            require(t.negative_decades >= 0, p, "neg must be >= 0");
            const Logicle l = biex_as_logicle(t);
            check_biexponential(p, l.T, l.W, l.M, l.A, false);
            s->exact = detail::Biexponential::logicle(l.T, l.W, l.M, l.A);
          },
      },
      params);
  if (s->exact) s->table.emplace(*s->exact);
  s->params = std::move(params);
  state_ = std::move(s);
  if (biexponential(state_->params)) {
    const std::lock_guard lock(built_mutex);
    if (built.size() < kKeptTables) built.push_back(state_);
  }
}

namespace {

// One loop per kind, so the hot loop has no dispatch inside.
template <class F>
void parallel_map(std::span<const double> in, std::span<double> out, F f) {
  if (in.size() != out.size())
    throw Error("bulk transform: input has " + std::to_string(in.size()) + " values, output " +
                std::to_string(out.size()));
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, in.size(), kGrain),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      const double* src = in.data();
                      double* dst = out.data();
                      for (std::size_t i = r.begin(); i != r.end(); ++i) dst[i] = f(src[i]);
                    });
}

}  // namespace

Transform::Transform() : Transform(Identity{}) {}

Transform Transform::parse(std::string_view spec) {
  return Transform(detail::parse_params(spec));
}

const Transform::Params& Transform::params() const noexcept { return state_->params; }
std::string Transform::name() const { return std::string(detail::name_of(state_->params)); }
std::string Transform::to_string() const { return detail::describe(state_->params); }
bool Transform::operator==(const Transform& other) const {
  return state_ == other.state_ || state_->params == other.state_->params;
}

double Transform::apply(double x) const {
  const State& s = *state_;
  return std::visit(
      Overloaded{
          [&](const Identity&) { return x; },
          [&](const Flin& t) { return (x + t.A) / (t.T + t.A); },
          [&](const Flog& t) { return std::log10(x / t.T) / t.M + 1; },
          [&](const Fasinh&) { return (std::asinh(x * s.k1) + s.k2) / s.k3; },
          [&](const Log10& t) { return std::log10(std::max(x, t.floor)); },
          [&](const ArcsinhCofactor& t) { return std::asinh(x / t.cofactor); },
          [&](const auto&) { return s.exact->scale(x); },  // logicle, hyperlog, biex
      },
      s.params);
}

double Transform::inverse(double y) const {
  const State& s = *state_;
  return std::visit(
      Overloaded{
          [&](const Identity&) { return y; },
          [&](const Flin& t) { return y * (t.T + t.A) - t.A; },
          [&](const Flog& t) { return t.T * std::pow(10.0, (y - 1) * t.M); },
          [&](const Fasinh&) { return std::sinh(y * s.k3 - s.k2) / s.k1; },
          [&](const Log10&) { return std::pow(10.0, y); },
          [&](const ArcsinhCofactor& t) { return t.cofactor * std::sinh(y); },
          [&](const auto&) { return s.exact->data(y); },
      },
      s.params);
}

void Transform::apply(std::span<const double> in, std::span<double> out) const {
  const State& s = *state_;
  if (s.table) {
    const detail::FastTable& table = *s.table;
    if (in.size() != out.size())
      throw Error("bulk transform: input has " + std::to_string(in.size()) + " values, output " +
                  std::to_string(out.size()));
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, in.size(), kGrain),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        table.scale(in.subspan(r.begin(), r.size()), out.subspan(r.begin(), r.size()));
                      });
    return;
  }
  if (std::holds_alternative<Identity>(s.params)) {
    parallel_map(in, out, [](double x) { return x; });
    return;
  }
  if (const auto* t = std::get_if<Log10>(&s.params)) {  // the gate finders' scatter scale: no visit per value
    const double floor = t->floor;
    parallel_map(in, out, [floor](double x) { return std::log10(std::max(x, floor)); });
    return;
  }
  // Closed forms: the very expression of the scalar apply, so bulk and scalar agree bit for bit.
  parallel_map(in, out, [this](double x) { return apply(x); });
}

void Transform::inverse(std::span<const double> in, std::span<double> out) const {
  parallel_map(in, out, [this](double y) { return inverse(y); });
}

double Transform::measure_fast_error(std::size_t samples, double floor) const {
  const State& s = *state_;
  if (!s.table) return 0;
  const double T = s.exact->top();
  // Log-spaced magnitudes 1e-12 T .. 1e8 T, both signs, plus zero: the whole range the table and
  // its Taylor / log tails cover, including values beyond T.
  std::vector<double> x;
  x.reserve(2 * samples + 1);
  x.push_back(0);
  for (std::size_t i = 0; i < samples; ++i) {
    const double e = -12 + 20 * (static_cast<double>(i) + 0.5) / static_cast<double>(samples);
    const double u = T * std::pow(10.0, e);
    x.push_back(u);
    x.push_back(-u);
  }
  std::vector<double> fast(x.size());
  apply(x, fast);
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double exact = apply(x[i]);
    worst = std::max(worst, std::abs(fast[i] - exact) / std::max(std::abs(exact), floor));
  }
  return worst;
}

void ratio(std::span<const double> x1, std::span<const double> x2, double A, double B, double C,
           std::span<double> out) {
  if (x1.size() != x2.size() || x1.size() != out.size())
    throw Error("fratio: the two channels and the output differ in length (" +
                std::to_string(x1.size()) + ", " + std::to_string(x2.size()) + ", " +
                std::to_string(out.size()) + ")");
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, out.size(), kGrain),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t i = r.begin(); i != r.end(); ++i)
                        out[i] = ratio(x1[i], x2[i], A, B, C);
                    });
}

}  // namespace cytopipe::transform
