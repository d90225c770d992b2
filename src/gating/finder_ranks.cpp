#include "gating/finder_ranks.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cytopipe::gating::detail {
namespace {

constexpr std::size_t kMaxBuckets = 4096;  // 16 KiB of counts: in L1 while counting
constexpr std::size_t kMaxRanks = 16;

}  // namespace

bool select_ranks(std::span<const double> values, std::span<const std::size_t> ranks, std::span<double> out) {
  const std::size_t n = values.size();
  if (n < kRankMinimum || ranks.size() > kMaxRanks || ranks.size() != out.size()) return false;
  // The range, and whether every value is finite (exponent bits), in one vectorisable pass.
  double lo = values[0], hi = values[0];
  std::uint64_t not_finite = 0;
  for (const double x : values) {
    lo = x < lo ? x : lo;
    hi = hi < x ? x : hi;
    constexpr std::uint64_t exponent = 0x7ff0000000000000ULL;
    not_finite |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(x) & exponent) == exponent);
  }
  if (not_finite) return false;
  for (const std::size_t r : ranks)
    if (r >= n) return false;
  if (!(hi > lo)) {  // all equal
    if (lo == 0) return false;
    std::fill(out.begin(), out.end(), lo);
    return true;
  }
  // About 8 values per bucket on average. (x - lo) x scale never decreases as x grows (each
  // rounding step is monotone), so the buckets hold the values in order of value.
  const std::size_t buckets = std::clamp<std::size_t>(std::bit_ceil(n / 8), 256, kMaxBuckets);
  const double scale = static_cast<double>(buckets) / (hi - lo);
  if (!std::isfinite(scale) || !(scale > 0)) return false;
  const std::size_t last = buckets - 1;
  const auto bucket_of = [&](double x) {
    const auto b = static_cast<std::size_t>((x - lo) * scale);
    return b < last ? b : last;
  };
  std::array<std::uint32_t, kMaxBuckets> below;  // values in the buckets before, once summed
  std::fill_n(below.begin(), buckets, 0u);
  for (const double x : values) ++below[bucket_of(x)];
  std::uint32_t sum = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::uint32_t c = below[b];
    below[b] = sum;
    sum += c;
  }
  const auto count_of = [&](std::size_t b) { return (b + 1 < buckets ? below[b + 1] : sum) - below[b]; };
  // Each rank's bucket (the last whose first rank is <= it), and the wanted buckets' values
  // gathered side by side in one buffer (slot 0: a discard position for the other values).
  std::array<std::size_t, kMaxRanks> bucket{};
  std::array<std::uint8_t, kMaxBuckets> slot_of;
  std::fill_n(slot_of.begin(), buckets, std::uint8_t{0});
  std::array<std::size_t, kMaxRanks + 1> start{}, cursor{};
  std::size_t slots = 0, total = 1;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const auto* at = std::upper_bound(below.data(), below.data() + buckets, static_cast<std::uint32_t>(ranks[i]));
    bucket[i] = static_cast<std::size_t>(at - below.data()) - 1;
    if (slot_of[bucket[i]] == 0) {
      slot_of[bucket[i]] = static_cast<std::uint8_t>(++slots);
      start[slots] = cursor[slots] = total;
      total += count_of(bucket[i]);
    }
  }
  std::vector<double> gathered(total);
  for (const double x : values) {
    const std::uint8_t s = slot_of[bucket_of(x)];
    gathered[cursor[s]] = x;
    cursor[s] += s != 0;  // branch-free: most values land in slot 0
  }
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    const std::size_t s = slot_of[bucket[i]];
    const auto first = gathered.begin() + static_cast<std::ptrdiff_t>(start[s]);
    const auto end = gathered.begin() + static_cast<std::ptrdiff_t>(cursor[s]);
    const auto nth = first + static_cast<std::ptrdiff_t>(ranks[i] - below[bucket[i]]);
    std::nth_element(first, nth, end);
    out[i] = *nth;
    if (out[i] == 0) return false;
  }
  return true;
}

bool rank_quantiles(std::span<const double> values, std::span<const double> ps, std::span<double> out) {
  const std::size_t n = values.size();
  if (ps.size() * 2 > kMaxRanks || ps.size() != out.size() || n < kRankMinimum) return false;
  std::array<std::size_t, kMaxRanks> ranks{};
  std::array<double, kMaxRanks> found{};
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const auto k = static_cast<std::size_t>(std::floor((static_cast<double>(n) - 1) * ps[i]));
    ranks[2 * i] = k;
    ranks[2 * i + 1] = k + 1 < n ? k + 1 : k;
  }
  if (!select_ranks(values, std::span(ranks).first(2 * ps.size()), std::span(found).first(2 * ps.size())))
    return false;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const double h = (static_cast<double>(n) - 1) * ps[i];
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double lower = found[2 * i], upper = found[2 * i + 1];
    out[i] = k + 1 >= n ? lower : lower + (h - static_cast<double>(k)) * (upper - lower);
  }
  return true;
}

}  // namespace cytopipe::gating::detail
