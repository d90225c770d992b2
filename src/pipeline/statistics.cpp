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

}  // namespace cytopipe::pipeline
