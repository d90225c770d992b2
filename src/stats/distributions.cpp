// Studentized range and one-factor multivariate t by nested adaptive Gauss-Kronrod quadrature:
// an inner integral over the standard normal (the common factor / the smallest mean), an outer one
// over the scale S = sqrt(chi^2_df / df).
#include "cytopipe/stats/distributions.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

using boost::math::quadrature::gauss_kronrod;
constexpr double kZLimit = 9.0;  // the normal mass beyond +-9 is below 1e-18
constexpr double kTolerance = 1e-10;

double integrate(const std::function<double(double)>& f, double a, double b) {
  return gauss_kronrod<double, 61>::integrate(f, a, b, 8, kTolerance);
}

double phi(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }

// Outer integral over the scale S: integral of density(s) * g(s) ds, limited to where the
// density has mass above 1e-16 so the adaptive rule sees the peak even for large df.
double over_scale(double df, const std::function<double(double)>& g) {
  if (std::isinf(df)) return g(1.0);
  const boost::math::chi_squared chi(df);
  const double lo = std::sqrt(boost::math::quantile(chi, 1e-16) / df);
  const double hi = std::sqrt(boost::math::quantile(boost::math::complement(chi, 1e-16)) / df);
  // Density of S from the chi-squared one (Boost's is accurate for huge df, where a hand-written
  // exp(log normaliser + ...) cancels terms of size df and loses digits).
  auto integrand = [&](double s) {
    if (s <= 0) return 0.0;
    return boost::math::pdf(chi, df * s * s) * 2 * df * s * g(s);
  };
  // Split at the mode so both flanks are integrated on their own.
  const double mode = std::clamp(std::sqrt(std::max(df - 1, 0.0) / df), lo, hi);
  return integrate(integrand, lo, mode) + integrate(integrand, mode, hi);
}

// P(range of k iid N(0,1) < w).
double normal_range_cdf(double w, int k) {
  if (w <= 0) return 0.0;
  auto f = [&](double z) {
    const double d = detail::norm_cdf(z + w) - detail::norm_cdf(z);
    return phi(z) * std::pow(std::max(d, 0.0), k - 1);
  };
  return std::min(1.0, k * (integrate(f, -kZLimit, -w / 2) + integrate(f, -w / 2, kZLimit)));
}

// P(all |Z_i| < w) (two-sided) or P(all Z_i < w), Z_i = lambda_i X + sqrt(1 - lambda_i^2) e_i.
double one_factor_normal_cdf(double w, std::span<const double> lambda, bool two_sided) {
  if (two_sided && w <= 0) return 0.0;
  std::vector<double> root(lambda.size());
  for (std::size_t i = 0; i < lambda.size(); ++i) root[i] = std::sqrt(1 - lambda[i] * lambda[i]);
  auto f = [&](double x) {
    double prod = phi(x);
    // Equal lambdas (equal group sizes) give equal factors: each is computed once and multiplied
    // in as often, the same products in the same order as computing it every time.
    double factor = 0;
    for (std::size_t i = 0; i < lambda.size() && prod > 0; ++i) {
      if (i == 0 || lambda[i] != lambda[i - 1]) {
        const double upper = detail::norm_cdf((w - lambda[i] * x) / root[i]);
        factor = two_sided ? upper - detail::norm_cdf((-w - lambda[i] * x) / root[i]) : upper;
      }
      prod *= factor;
    }
    return prod;
  };
  return std::clamp(integrate(f, -kZLimit, 0.0) + integrate(f, 0.0, kZLimit), 0.0, 1.0);
}

double invert(const std::function<double(double)>& cdf, double p, double lo, double hi) {
  while (cdf(hi) < p && hi < 1e6) hi *= 2;
  while (lo > -1e6 && cdf(lo) > p) lo = lo < 0 ? lo * 2 : lo - 1;
  std::uintmax_t iterations = 200;
  auto [a, b] = boost::math::tools::toms748_solve(
      [&](double x) { return cdf(x) - p; }, lo, hi, boost::math::tools::eps_tolerance<double>(40),
      iterations);
  return 0.5 * (a + b);
}

// Memo of quantiles by their exact arguments. A dose design (group sizes, hence lambda and df)
// recurs across strata and read-outs, and each quantile is a root search over 10-20 nested
// integrals; the memo returns the very same double, so results do not depend on it. Thread-safe;
// bounded (cleared when full) for long-lived library use.
template <class Key>
class QuantileMemo {
 public:
  template <class Compute>
  double get(const Key& key, Compute&& compute) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = values_.find(key); it != values_.end()) return it->second;
    }
    const double value = compute();  // outside the lock: other designs proceed meanwhile
    std::lock_guard lock(mutex_);
    if (values_.size() >= kCapacity) values_.clear();
    values_.emplace(key, value);
    return value;
  }

 private:
  static constexpr std::size_t kCapacity = 4096;
  std::mutex mutex_;
  std::map<Key, double> values_;
};

}  // namespace

double ptukey(double q, int k, double df) {
  if (std::isnan(q) || k < 2 || !(df > 0)) return kNaN;
  if (q <= 0) return 0.0;
  if (std::isinf(q)) return 1.0;
  // No shortcut to df = infinity for large df (R's ptukey takes one above 25000 df and is off by
  // up to 1.4e-6 at df = 1e6): the scale integral is cheap and exact enough at any df.
  return std::clamp(over_scale(df, [&](double s) { return normal_range_cdf(q * s, k); }), 0.0,
                    1.0);
}

double qtukey(double p, int k, double df) {
  if (!(p > 0 && p < 1) || k < 2 || !(df > 0)) return kNaN;
  static QuantileMemo<std::tuple<double, int, double>> memo;
  return memo.get({p, k, df}, [&] {
    return invert([&](double q) { return ptukey(q, k, df); }, p, 0.0, 8.0);
  });
}

double dunnett_cdf(double c, std::span<const double> lambda, double df, bool two_sided) {
  if (std::isnan(c) || !(df > 0) || lambda.empty()) return kNaN;
  if (std::isinf(c)) return c > 0 ? 1.0 : 0.0;
  return std::clamp(
      over_scale(df, [&](double s) { return one_factor_normal_cdf(c * s, lambda, two_sided); }),
      0.0, 1.0);
}

double dunnett_quantile(double p, std::span<const double> lambda, double df, bool two_sided) {
  if (!(p > 0 && p < 1) || !(df > 0) || lambda.empty()) return kNaN;
  static QuantileMemo<std::tuple<std::vector<double>, double, bool, double>> memo;
  return memo.get({std::vector<double>(lambda.begin(), lambda.end()), df, two_sided, p}, [&] {
    return invert([&](double c) { return dunnett_cdf(c, lambda, df, two_sided); }, p,
                  two_sided ? 0.0 : -1.0, 5.0);
  });
}

}  // namespace cytopipe::stats
