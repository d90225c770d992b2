#include "cytopipe/plot/scale.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "cytopipe/error.hpp"

namespace cytopipe::plot {

std::vector<double> nice_ticks(double lo, double hi, int max_intervals) {
  if (!std::isfinite(lo) || !std::isfinite(hi))
    throw Error("axis range is not finite (" + std::to_string(lo) + " to " + std::to_string(hi) + ")");
  if (lo > hi)
    throw Error("axis range is reversed (" + std::to_string(lo) + " > " + std::to_string(hi) + ")");
  if (max_intervals < 1) throw Error("tick count must be at least 1");
  if (lo == hi) {  // one value: give it room on both sides
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  // A tiny slack keeps values like 0.30000000000000004 from spilling into an extra interval.
  const double span = hi - lo;
  const double slack = span * 1e-9;
  int exponent = static_cast<int>(std::floor(std::log10(span / max_intervals))) - 1;
  constexpr std::array<int, 3> mantissas{1, 2, 5};
  for (;; ++exponent) {
    for (int m : mantissas) {
      const double step = m * std::pow(10.0, exponent);
      const double first = std::floor((lo + slack) / step);
      const double last = std::ceil((hi - slack) / step);
      if (last - first > max_intervals) continue;
      // i * m / 10^-k is the exact decimal for negative k, where i * (m * 10^k) is not.
      std::vector<double> ticks;
      for (double i = first; i <= last; ++i)
        ticks.push_back(exponent < 0 ? i * m / std::pow(10.0, -exponent)
                                     : i * m * std::pow(10.0, exponent));
      return ticks;
    }
  }
}

std::string format_tick(double value, double step) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "Inf" : "-Inf");
  step = std::abs(step);
  if (step > 0 && std::abs(value) < step * 1e-6) value = 0;
  if (value == 0) return "0";
  char buffer[64];
  if (std::abs(value) >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
  }
  int decimals = 0;
  if (step > 0 && step < 1) {
    // Enough decimals that value/step stays distinguishable: 0.05 -> 2, 0.25 -> 2, 0.1 -> 1.
    while (decimals < 12) {
      const double scaled = step * std::pow(10.0, decimals);
      if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled) break;
      ++decimals;
    }
  }
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text.find_first_not_of("-0.") == std::string::npos) return "0";
  return text;
}

LinearScale::LinearScale(double domain_lo, double domain_hi, double page_lo, double page_hi)
    : domain_lo_(domain_lo), domain_hi_(domain_hi), page_lo_(page_lo) {
  if (!std::isfinite(domain_lo) || !std::isfinite(domain_hi) || domain_lo == domain_hi)
    throw Error("axis domain is empty or not finite (" + std::to_string(domain_lo) + " to " +
                std::to_string(domain_hi) + ")");
  factor_ = (page_hi - page_lo) / (domain_hi - domain_lo);
}

namespace {

std::string superscript(int n) {
  static const char* const digits[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
  std::string out;
  for (char c : std::to_string(n)) out += digits[c - '0'];
  return out;
}

}  // namespace

std::vector<Tick> decade_ticks(const std::function<double(double)>& to_plot, double plot_lo, double plot_hi,
                               double min_gap, bool minor) {
  if (!std::isfinite(plot_lo) || !std::isfinite(plot_hi) || !(plot_lo < plot_hi))
    throw Error("axis range is empty or not finite (" + std::to_string(plot_lo) + " to " +
                std::to_string(plot_hi) + ")");
  std::vector<std::pair<double, std::string>> candidates{{0.0, "0"}};
  for (int k = 1; k <= 9; ++k) candidates.push_back({std::pow(10.0, k), "10" + superscript(k)});
  for (int k = 1; k <= 9; ++k) candidates.push_back({-std::pow(10.0, k), "-10" + superscript(k)});
  const double gap = min_gap * (plot_hi - plot_lo);
  std::vector<Tick> kept;
  for (const auto& [value, label] : candidates) {
    const double at = to_plot(value);
    if (!std::isfinite(at) || at < plot_lo || at > plot_hi) continue;
    const bool crowded = std::any_of(kept.begin(), kept.end(), [&](const Tick& t) { return std::abs(t.position - at) < gap; });
    if (!crowded) kept.push_back({at, label});
  }
  if (minor) {
    const double minor_gap = 0.01 * (plot_hi - plot_lo);
    for (int sign : {1, -1})
      for (int k = 1; k <= 8; ++k)
        for (int m = 2; m <= 9; ++m) {
          const double at = to_plot(sign * m * std::pow(10.0, k));
          if (!std::isfinite(at) || at < plot_lo || at > plot_hi) continue;
          // Minor ticks only need to stay apart from every tick kept, not the labels' gap.
          const bool crowded = std::any_of(kept.begin(), kept.end(), [&](const Tick& t) {
            return std::abs(t.position - at) < minor_gap;
          });
          if (!crowded) kept.push_back({at, "", true});
        }
  }
  std::sort(kept.begin(), kept.end(), [](const Tick& a, const Tick& b) { return a.position < b.position; });
  return kept;
}

}  // namespace cytopipe::plot
