#include "gating/finder_density.hpp"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>

#include "cytopipe/error.hpp"
#include "cytopipe/gating/gate.hpp"
#include "gating/finder_order.hpp"
#include "gating/finder_ranks.hpp"
#include "gating/finder_select.hpp"
#include "gating/finder_simd.hpp"

namespace cytopipe::gating::detail {

double quantile7(std::span<double> values, double p) {
  const double clamped = std::clamp(p, 0.0, 1.0);
  if (double q; values.size() >= kRankMinimum && rank_quantiles(values, std::span(&clamped, 1), std::span(&q, 1)))
    return q;
  const double h = (static_cast<double>(values.size()) - 1) * clamped;
  const auto k = static_cast<std::size_t>(std::floor(h));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  const double lower = values[k];
  if (k + 1 >= values.size()) return lower;
  const double upper = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(k) + 1, values.end());
  return lower + (h - static_cast<double>(k)) * (upper - lower);
}

double quantile7(std::vector<double>& values, double p) { return quantile7(std::span<double>(values), p); }

namespace {

// The type-7 quantiles 0.001, 0.25, 0.75 and 0.999 of `values` (reordered), exactly as four
// quantile7 calls give them, in about a third of their work: the quartile partition leaves each
// other quantile's order statistics on one side of it, so the later partial sorts search a
// quarter or three quarters of the values, not all of them.
struct Spread {
  double q001, q25, q75, q999;
};
Spread spread_quantiles(std::vector<double>& v) {
  using Diff = std::ptrdiff_t;
  const std::size_t n = v.size();
  auto begin = [&](std::size_t i) { return v.begin() + static_cast<Diff>(i); };
  struct Order {
    std::size_t k;  // the k-th and (k+1)-th smallest values
    double lower, upper;
    double at(double p, std::size_t count) const {
      const double h = (static_cast<double>(count) - 1) * p;
      return lower + (h - std::floor(h)) * (upper - lower);
    }
  };
  auto k_of = [&](double p) { return static_cast<std::size_t>(std::floor((static_cast<double>(n) - 1) * p)); };
  // With v[k] in place and [k + 1, end) holding every larger order statistic up to end - 1.
  auto order = [&](std::size_t k, std::size_t end) {
    const double upper = k + 1 < n ? *std::min_element(begin(k + 1), begin(end)) : v[k];
    return Order{k, v[k], upper};
  };
  const std::size_t k25 = k_of(0.25);
  std::nth_element(v.begin(), begin(k25), v.end());
  const Order o25 = order(k25, n);
  // Below the quartile: [0, k25) holds order statistics 0..k25-1, and v[k25] is the next one.
  Order o001 = o25;
  if (const std::size_t k = k_of(0.001); k < k25) {
    std::nth_element(v.begin(), begin(k), begin(k25));
    o001 = order(k, k25 + 1);
  }
  // Above it: (k25, n) holds the order statistics k25+1..n-1.
  Order o75 = o25;
  if (const std::size_t k = k_of(0.75); k > k25) {
    std::nth_element(begin(k25 + 1), begin(k), v.end());
    o75 = order(k, n);
  }
  Order o999 = o75;
  if (const std::size_t k = k_of(0.999); k > o75.k) {
    std::nth_element(begin(o75.k + 1), begin(k), v.end());
    o999 = order(k, n);
  }
  return {o001.at(0.001, n), o25.at(0.25, n), o75.at(0.75, n), o999.at(0.999, n)};
}

constexpr std::array<double, 4> kSpreadPs = {0.001, 0.25, 0.75, 0.999};

// The same four quantiles without a copy: from `order` when given, else by radix selection on
// large inputs, by bucketed selection on a file's worth.
Spread value_spread(std::span<const double> values, ValueOrder* order) {
  if (order) return {order->quantile(0.001), order->quantile(0.25), order->quantile(0.75), order->quantile(0.999)};
  if (values.size() >= kSelectMinimum) {
    const auto value = [&](std::size_t i, double& v) {
      v = values[i];
      return true;
    };
    const Selection s(values.size(), value);
    if (s.exact()) {
      constexpr double ps[] = {0.001, 0.25, 0.75, 0.999};
      const auto q = selection_quantiles(s, ps);
      return {q[0], q[1], q[2], q[3]};
    }
  }
  if (std::array<double, 4> q; values.size() >= kRankMinimum && rank_quantiles(values, kSpreadPs, q))
    return {q[0], q[1], q[2], q[3]};
  std::vector<double> copy(values.begin(), values.end());
  return spread_quantiles(copy);
}

// A large column's four spread quantiles by one bracketed pass (finder_select.hpp), which also
// adds up the values' moments (from the first value, as ValueOrder's first pass) while each block
// is in cache; nothing where the bracketed selection declines.
struct Summary {
  Spread spread;
  ValueOrder::Moments moments;
  double least = 0;
};
std::optional<Summary> summarise(std::span<const double> values) {
  struct Sums {
    double sum = 0, sum2 = 0, low = std::numeric_limits<double>::infinity();
  };
  tbb::enumerable_thread_specific<Sums> sums;
  struct Summed {
    std::span<const double> column;
    double shift;
    tbb::enumerable_thread_specific<Sums>* sums;
    bool operator()(std::size_t i, double& v) const {
      v = column[i];
      return true;
    }
    void block(std::size_t begin, std::size_t end) const {
      Sums& s = sums->local();
      add_moments(column.data() + begin, end - begin, shift, s.sum, s.sum2, s.low);
    }
  };
  const Summed summed{values, values[0], &sums};
  const auto q = bracketed_quantiles(values.size(), summed, kSpreadPs);
  if (!q) return std::nullopt;
  Summary out{{(*q)[0], (*q)[1], (*q)[2], (*q)[3]}, {values[0], 0, 0}};
  out.least = std::numeric_limits<double>::infinity();
  for (const Sums& s : sums) {
    out.moments.sum += s.sum;
    out.moments.sum2 += s.sum2;
    out.least = s.low < out.least ? s.low : out.least;
  }
  return out;
}

// The sample SD of the values, from a mean and a sum of squares each added up in fixed blocks of
// kSelectGrain values (the blocks joined as tbb::parallel_deterministic_reduce splits them: the
// same bits on any number of threads). A column of one block (a file's worth) is added in order,
// as it always was; a larger one's blocks in parallel, each in eight running sums by place
// (before, in one serial pass each, whose additions each waited for the one before: a stated
// change in the last bits).
// Where the spread is then min(SD, cap): `moments` (sums in any order, from a pass before), when
// given, settle it without the two passes where their rounding bound (n x 2^-53 of the sum of
// squares at most, as the sums of the passes) leaves no doubt that the SD is above the cap (it is
// returned then, and only compared); on a file's worth, an estimate from eight running sums does.
double sample_sd(std::span<const double> values, double cap, const ValueOrder::Moments* moments) {
  const std::size_t n = values.size();
  if (moments && n >= kSelectMinimum && cap < kUnbounded) {
    constexpr double u = 0x1p-53;
    const auto count = static_cast<double>(n);
    const double numerator = moments->sum2 - moments->sum * moments->sum / count;  // (n - 1) variance
    const double bound = 4 * (count + 4) * u * moments->sum2 + 2 * u * std::abs(numerator);
    const double target = (count - 1) * (cap * (1 + 1e-6)) * (cap * (1 + 1e-6));
    const double slack = 4 * (count + 4) * u * target;  // the other sums' own rounding
    if (numerator - bound > target + slack) return std::sqrt(numerator / (count - 1));
  } else if (n > 1 && n < kSelectMinimum && cap < kUnbounded) {
    // A file's worth: an estimate from eight running sums (vectorised), which settles it (both
    // zeros of a bimodal marker: the SD is well above the IQR's) without the two passes in order.
    const auto sum = [&](auto term) {
      std::array<double, 8> lanes{};
      const std::size_t whole = n / 8 * 8;
      for (std::size_t i = 0; i < whole; i += 8)
        for (std::size_t j = 0; j < 8; ++j) lanes[j] += term(values[i + j]);
      for (std::size_t i = whole; i < n; ++i) lanes[0] += term(values[i]);
      double total = 0;
      for (const double l : lanes) total += l;
      return total;
    };
    const double mean = sum([](double v) { return v; }) / static_cast<double>(n);
    const double estimate = std::sqrt(sum([&](double v) { return (v - mean) * (v - mean); }) / static_cast<double>(n - 1));
    if (estimate > cap * (1 + 1e-6)) return estimate;
  }
  using Range = tbb::blocked_range<std::size_t>;
  const auto sum = [&](auto term) {
    return tbb::parallel_deterministic_reduce(
        Range(0, n, kSelectGrain), 0.0,
        [&](const Range& r, double partial) {
          if (n <= kSelectGrain) {  // one block: in order
            for (std::size_t i = r.begin(); i < r.end(); ++i) partial += term(values[i]);
            return partial;
          }
          // Eight running sums by place in the block (vectorised), joined pairwise.
          double lane[8] = {};
          std::size_t i = r.begin();
          for (; i + 8 <= r.end(); i += 8)
            for (std::size_t j = 0; j < 8; ++j) lane[j] += term(values[i + j]);
          for (std::size_t j = 0; i < r.end(); ++i, ++j) lane[j] += term(values[i]);
          return partial + (((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])));
        },
        std::plus<>());
  };
  const double mean = sum([](double v) { return v; }) / static_cast<double>(n);
  const double ss = sum([&](double v) { return (v - mean) * (v - mean); });
  return std::sqrt(ss / static_cast<double>(n > 1 ? n - 1 : 1));
}

// Linear binning: each value split between its two neighbouring grid points (lo + i step), the
// values added in event order (so each point's sum has the bits it always had). A block's positions
// are computed first (vectorised, branch-free: a value off the grid goes to two discarded points
// past its end, grid and grid + 1, as does the empty upper share of a value on the last point),
// then added. Also compiled for AVX-512 and AVX2 (their divisions several at once), one picked at
// run time: a division is exact in any width, so the same bits.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void linear_binning(std::span<const double> values, double lo, double step, std::size_t grid, double* counts) {
  const std::size_t n = values.size();
  const double last = static_cast<double>(grid - 1);
  const auto off_grid = static_cast<std::int32_t>(grid);
  constexpr std::size_t kBlock = 512;
  double position[kBlock];
  for (std::size_t first = 0; first < n; first += kBlock) {
    const std::size_t m = std::min(kBlock, n - first);
    const double* v = values.data() + first;
    for (std::size_t k = 0; k < m; ++k) position[k] = (v[k] - lo) / step;
    for (std::size_t k = 0; k < m; ++k) {
      const double pos = position[k];
      const bool on = pos >= 0 && pos <= last;
      const std::int32_t i = on ? static_cast<std::int32_t>(pos) : off_grid;
      const double upper = on ? pos - static_cast<double>(i) : 0.0;
      counts[static_cast<std::size_t>(i)] += 1 - upper;
      counts[static_cast<std::size_t>(i) + 1] += upper;
    }
  }
}

}  // namespace

double minimum(std::span<const double> values) {
  // The first of the smallest, as std::min_element: blocks keep their earliest minimum and join
  // left before right, preferring the left one on a tie.
  using Range = tbb::blocked_range<std::size_t>;
  const auto block_min = [&](const Range& r, double m) {
    for (std::size_t i = r.begin(); i < r.end(); ++i) m = values[i] < m ? values[i] : m;
    return m;
  };
  if (values.size() < kSelectMinimum) return block_min(Range(1, values.size()), values[0]);
  return tbb::parallel_deterministic_reduce(Range(1, values.size(), kSelectGrain), values[0], block_min,
                                            [](double left, double right) { return right < left ? right : left; });
}

double maximum(std::span<const double> values, double start) {
  // As `m = std::max(m, v)` over the values from `start`: a larger value replaces, an equal one
  // does not (blocks join left before right).
  using Range = tbb::blocked_range<std::size_t>;
  const auto block_max = [&](const Range& r, double m) {
    for (std::size_t i = r.begin(); i < r.end(); ++i) m = m < values[i] ? values[i] : m;
    return m;
  };
  if (values.size() < kSelectMinimum) return block_max(Range(0, values.size()), start);
  // Blocks in lanes (largest_of): the same value, as only equal values can stand in for one
  // another, unless it is a zero (which sign comes first is the order's); then in order.
  const double m = tbb::parallel_deterministic_reduce(
      Range(0, values.size(), kSelectGrain), start,
      [&](const Range& r, double m) { return largest_of(values.data() + r.begin(), r.size(), m); },
      [](double left, double right) { return left < right ? right : left; });
  if (m != 0) return m;
  return tbb::parallel_deterministic_reduce(Range(0, values.size(), kSelectGrain), start, block_max,
                                            [](double left, double right) { return left < right ? right : left; });
}

std::size_t Density::index_of(double x) const {
  const double i = std::round((x - lo) / step);
  if (!(i > 0)) return 0;
  return std::min(static_cast<std::size_t>(i), density.size() - 1);
}

Density kernel_density(std::span<const double> values, double adjust, const std::string& label, std::size_t grid,
                       ValueOrder* order) {
  const std::size_t n = values.size();
  std::optional<Summary> summary;
  if (!order && n >= kSelectMinimum) summary = summarise(values);
  const auto [q001, q25, q75, q999] = summary ? summary->spread : value_spread(values, order);
  const double iqr = (q75 - q25) / 1.34;
  const ValueOrder::Moments* moments = order ? &order->moments() : summary ? &summary->moments : nullptr;
  const double sd = sample_sd(values, iqr > 0 ? iqr : kUnbounded, moments);
  const double spread = iqr > 0 ? std::min(sd, iqr) : sd;
  if (!(spread > 0) || !(q999 > q001))
    throw Error(label + ": all " + std::to_string(n) + " values are (nearly) equal (" + std::to_string(q001) +
                "): no density to place a gate on");
  Density d;
  // Over finite values their minimum is order-free but for the sign of a zero (then not given).
  if (summary && summary->least != 0) d.least = summary->least;
  d.bandwidth = 0.9 * spread * std::pow(static_cast<double>(n), -0.2) * adjust;
  const double lo = q001 - 3 * d.bandwidth, hi = q999 + 3 * d.bandwidth;
  d.lo = lo;
  d.step = (hi - lo) / static_cast<double>(grid - 1);
  std::vector<double> counts(grid + 2, 0.0);
  linear_binning(values, lo, d.step, grid, counts.data());
  counts.resize(grid);
  const double h = d.bandwidth / d.step;  // bandwidth in grid steps
  const auto reach = static_cast<std::ptrdiff_t>(std::ceil(4 * h));
  std::vector<double> kernel(static_cast<std::size_t>(2 * reach + 1));
  for (std::ptrdiff_t k = -reach; k <= reach; ++k)
    kernel[static_cast<std::size_t>(k + reach)] = std::exp(-0.5 * (static_cast<double>(k) / h) * (static_cast<double>(k) / h));
  d.density.assign(grid, 0.0);
  for (std::size_t i = 0; i < grid; ++i) {
    if (counts[i] == 0) continue;
    // The kernel's reach clipped to the grid first, so the inner loop is a plain (vectorised)
    // multiply-add over contiguous points, each point's sum still in the order of i.
    const auto c = static_cast<std::ptrdiff_t>(i);
    const std::ptrdiff_t first = std::max(-reach, -c), last = std::min(reach, static_cast<std::ptrdiff_t>(grid) - 1 - c);
    double* out = d.density.data() + (c + first);
    const double* k = kernel.data() + (first + reach);
    const double weight = counts[i];
    for (std::ptrdiff_t j = 0; j <= last - first; ++j) out[j] += weight * k[j];
  }
  return d;
}

std::vector<std::size_t> density_peaks(const Density& d, double min_peak) {
  const auto& f = d.density;
  const double top = *std::max_element(f.begin(), f.end());
  std::vector<std::size_t> maxima;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const bool left = i == 0 || f[i] > f[i - 1];
    const bool right = i + 1 == f.size() || f[i] >= f[i + 1];
    if (left && right && f[i] >= min_peak * top && f[i] > 0) maxima.push_back(i);
  }
  std::sort(maxima.begin(), maxima.end(), [&](std::size_t a, std::size_t b) { return f[a] > f[b]; });
  std::vector<std::size_t> kept;
  for (std::size_t m : maxima) {
    bool distinct = true;
    for (std::size_t k : kept) {
      const auto [a, b] = std::minmax(m, k);
      const double dip = *std::min_element(f.begin() + static_cast<std::ptrdiff_t>(a), f.begin() + static_cast<std::ptrdiff_t>(b) + 1);
      if (dip > 0.8 * f[m]) distinct = false;
    }
    if (distinct) kept.push_back(m);
  }
  return kept;
}

double one_sided_sd(std::span<const double> values, double centre, bool below, ValueOrder* order) {
  if (order) {
    // The side's distances in ascending order are its values' order statistics outward from the
    // centre (|x - centre| is monotone on each side, rounding included): the median's two order
    // statistics are two ranks of the values themselves.
    const std::size_t n = order->count();
    const std::size_t m = below ? order->count_at_most(centre) : n - order->count_below(centre);
    if (m == 0) return 0;
    const auto distance = [&](std::size_t j) {  // the j-th smallest distance on the side
      return std::abs(order->at(below ? m - 1 - j : n - m + j) - centre);
    };
    const double h = (static_cast<double>(m) - 1) * 0.5;
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double lower = distance(k);
    if (k + 1 >= m) return 1.4826 * lower;
    const double upper = distance(k + 1);
    return 1.4826 * (lower + (h - static_cast<double>(k)) * (upper - lower));
  }
  if (values.size() >= kSelectMinimum) {
    // As with the order: two ranks of the side's own values, by one bracketed pass over the
    // values, which counts the side's as it goes.
    const SideValues side{values, below ? -1 : 1, centre};
    const auto ranks_for = [&](std::size_t m) {  // the distances' ranks k and k + 1 as the values'
      if (m == 0) return std::vector<std::size_t>{};
      const auto k = static_cast<std::size_t>(std::floor((static_cast<double>(m) - 1) * 0.5));
      const std::size_t k1 = k + 1 < m ? k + 1 : k;
      return below ? std::vector<std::size_t>{m - 1 - k, m - 1 - k1} : std::vector<std::size_t>{k, k1};
    };
    constexpr double half[] = {0.5};
    if (const auto found = bracketed_select(values.size(), side, half, ranks_for)) {
      const std::size_t m = found->count;
      if (m == 0) return 0;
      const double h = (static_cast<double>(m) - 1) * 0.5;
      const auto k = static_cast<std::size_t>(std::floor(h));
      const double lower = std::abs(found->values[0] - centre);
      if (k + 1 >= m) return 1.4826 * lower;
      const double upper = std::abs(found->values[1] - centre);
      return 1.4826 * (lower + (h - static_cast<double>(k)) * (upper - lower));
    }
    const auto value = [&](std::size_t i, double& v) {
      const double x = values[i];
      v = std::abs(x - centre);
      return below ? x <= centre : x >= centre;
    };
    const Selection s(values.size(), value);
    if (s.count() == 0) return 0;
    if (s.exact()) {
      constexpr double half[] = {0.5};
      return 1.4826 * selection_quantiles(s, half)[0];
    }
  }
  // The side's distances packed into a reused buffer without a branch per value (about half the
  // values are on either side, so a test would be mispredicted as often as not).
  std::vector<double> side = ValueBuffers::shared().take(values.size());
  std::size_t kept = 0;
  for (const double v : values) {
    side[kept] = std::abs(v - centre);
    kept += below ? v <= centre : v >= centre;
  }
  const double sd = kept ? 1.4826 * quantile7(std::span(side).first(kept), 0.5) : 0.0;
  ValueBuffers::shared().give(std::move(side));
  return sd;
}

}  // namespace cytopipe::gating::detail
