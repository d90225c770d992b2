#include "cytopipe/stats/adjust.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "cytopipe/error.hpp"
#include "cytopipe/stats/test_kind.hpp"

namespace cytopipe::stats {

std::string to_string(Adjustment adjustment) {
  switch (adjustment) {
    case Adjustment::holm: return "holm";
    case Adjustment::bonferroni: return "bonferroni";
    case Adjustment::bh: return "BH";
    default: return "none";
  }
}

Adjustment parse_adjustment(std::string_view name) {
  if (const auto adjustment = find_adjustment(name)) return *adjustment;
  throw Error(unknown_adjustment_message(name));
}

std::vector<double> adjust_p(std::span<const double> p, Adjustment adjustment) {
  std::vector<double> out(p.begin(), p.end());
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isnan(p[i])) idx.push_back(i);
  const double m = static_cast<double>(idx.size());
  if (idx.empty() || adjustment == Adjustment::none) return out;
  switch (adjustment) {
    case Adjustment::bonferroni:
      for (auto i : idx) out[i] = std::min(1.0, m * p[i]);
      break;
    case Adjustment::holm: {
      // Step-down: sort ascending, multiply by (m - rank), enforce monotone non-decreasing.
      std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return p[a] < p[b]; });
      double running = 0;
      for (std::size_t r = 0; r < idx.size(); ++r) {
        running = std::max(running, (m - static_cast<double>(r)) * p[idx[r]]);
        out[idx[r]] = std::min(1.0, running);
      }
      break;
    }
    case Adjustment::bh: {
      // Step-up: sort descending, multiply by m / rank, enforce monotone non-increasing.
      std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return p[a] > p[b]; });
      double running = 1;
      for (std::size_t r = 0; r < idx.size(); ++r) {
        const double rank = m - static_cast<double>(r);
        running = std::min(running, m / rank * p[idx[r]]);
        out[idx[r]] = std::min(1.0, running);
      }
      break;
    }
    default: break;
  }
  return out;
}

}  // namespace cytopipe::stats
