#include "cytopipe/pipeline/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cytopipe::pipeline {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double median_of(std::vector<double>& v) {
  const std::size_t n = v.size();
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (n % 2 == 1) return *mid;
  const double upper = *mid;
  const double lower = *std::max_element(v.begin(), mid);
  return 0.5 * (lower + upper);
}
}  // namespace

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return kNaN;
  const double h = (static_cast<double>(values.size()) - 1) * std::clamp(p, 0.0, 100.0) / 100.0;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  auto lo_it = values.begin() + static_cast<std::ptrdiff_t>(lo);
  std::nth_element(values.begin(), lo_it, values.end());
  const double a = *lo_it;
  if (lo + 1 >= values.size()) return a;
  const double b = *std::min_element(lo_it + 1, values.end());
  return a + (h - static_cast<double>(lo)) * (b - a);
}

double compute_statistic(Statistic statistic, std::vector<double>& v) {
  const std::size_t n = v.size();
  if (n == 0) return kNaN;
  switch (statistic) {
    case Statistic::Median: return median_of(v);
    case Statistic::GeoMean: {
      double sum = 0;
      std::size_t k = 0;
      for (double x : v)
        if (x > 0) { sum += std::log(x); ++k; }
      return k ? std::exp(sum / static_cast<double>(k)) : kNaN;
    }
    case Statistic::Rsd: {
      const double m = median_of(v);
      for (double& x : v) x = std::abs(x - m);
      return 1.4826 * median_of(v);
    }
    case Statistic::Mean:
    case Statistic::Sd:
    case Statistic::Cv: {
      double mean = 0;
      for (double x : v) mean += x;
      mean /= static_cast<double>(n);
      if (statistic == Statistic::Mean) return mean;
      if (n < 2) return kNaN;
      double ss = 0;
      for (double x : v) ss += (x - mean) * (x - mean);
      const double sd = std::sqrt(ss / static_cast<double>(n - 1));
      return statistic == Statistic::Sd ? sd : 100.0 * sd / mean;
    }
  }
  return kNaN;
}

void gather(std::span<const double> values, std::span<const std::uint8_t> member, std::vector<double>& out) {
  out.clear();
  const std::size_t n = std::min(values.size(), member.size());
  for (std::size_t i = 0; i < n; ++i)
    if (member[i]) out.push_back(values[i]);
}

}  // namespace cytopipe::pipeline
