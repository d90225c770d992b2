#include "gating/finder_ranks.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cytopipe::gating::detail {
namespace {

constexpr std::size_t kMaxBuckets = 2048;  // 4 x 8 KiB of counts: in L1 while counting
constexpr std::size_t kMaxRanks = 128;  // the singlets finder's bin boundaries and medians: 84

}  // namespace

bool select_ranks(std::span<const double> values, std::span<const std::size_t> ranks, std::span<double> out) {
  const std::size_t n = values.size();
  if (n < kRankMinimum || n > UINT32_MAX || ranks.size() > kMaxRanks || ranks.size() != out.size()) return false;
  // The range, and whether every value is finite (exponent bits), in one pass of eight
  // independent lanes (vectorised; one running minimum would wait on itself at every value).
  // Over finite values the lanes' order of comparison cannot change the minimum or maximum.
  constexpr std::uint64_t exponent = 0x7ff0000000000000ULL;
  std::array<double, 8> lo8, hi8;
  lo8.fill(values[0]);
  hi8.fill(values[0]);
  std::array<std::uint64_t, 8> bad8{};
  const std::size_t whole = n / 8 * 8;
  for (std::size_t i = 0; i < whole; i += 8)
    for (std::size_t j = 0; j < 8; ++j) {
      const double x = values[i + j];
      lo8[j] = x < lo8[j] ? x : lo8[j];
      hi8[j] = hi8[j] < x ? x : hi8[j];
      bad8[j] |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(x) & exponent) == exponent);
    }
  for (std::size_t i = whole; i < n; ++i) {
    const double x = values[i];
    lo8[0] = x < lo8[0] ? x : lo8[0];
    hi8[0] = hi8[0] < x ? x : hi8[0];
    bad8[0] |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(x) & exponent) == exponent);
  }
  double lo = lo8[0], hi = hi8[0];
  std::uint64_t not_finite = 0;
  for (std::size_t j = 0; j < 8; ++j) {
    lo = lo8[j] < lo ? lo8[j] : lo;
    hi = hi < hi8[j] ? hi8[j] : hi;
    not_finite |= bad8[j];
  }
  if (not_finite) return false;
  for (const std::size_t r : ranks)
    if (r >= n) return false;
  if (!(hi > lo)) {  // all equal
    if (lo == 0) return false;
    std::fill(out.begin(), out.end(), lo);
    return true;
  }
  // About 16 values per bucket on average. (x - lo) x scale never decreases as x grows (each
  // rounding step is monotone), so the buckets hold the values in order of value.
  const std::size_t buckets = std::clamp<std::size_t>(std::bit_ceil(n / 16), 256, kMaxBuckets);
  const double scale = static_cast<double>(buckets) / (hi - lo);
  if (!std::isfinite(scale) || !(scale > 0)) return false;
  // Bucket indexes a chunk at a time, in a loop of their own (vectorised), for the passes below.
  const auto last = static_cast<std::int32_t>(buckets - 1);
  constexpr std::size_t kChunk = 256;
  std::array<std::int32_t, kChunk> index;
  const auto for_each_bucket = [&](auto&& body) {
    for (std::size_t begin = 0; begin < n; begin += kChunk) {
      const std::size_t count = std::min(kChunk, n - begin);
      const double* x = values.data() + begin;
      for (std::size_t j = 0; j < count; ++j) {
        const auto b = static_cast<std::int32_t>((x[j] - lo) * scale);
        index[j] = b < last ? b : last;
      }
      body(x, count);
    }
  };
  // Counted in four interleaved histograms: values of one peak fall into the same few buckets,
  // and increments of one counter would each wait for the one before.
  std::array<std::array<std::uint32_t, kMaxBuckets>, 4> counts;
  for (auto& c : counts) std::fill_n(c.begin(), buckets, 0u);
  for_each_bucket([&](const double*, std::size_t count) {
    for (std::size_t j = 0; j < count; ++j) ++counts[j & 3][static_cast<std::size_t>(index[j])];
  });
  std::array<std::uint32_t, kMaxBuckets> below;  // values in the buckets before
  std::uint32_t sum = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    below[b] = sum;
    sum += counts[0][b] + counts[1][b] + counts[2][b] + counts[3][b];
  }
  const auto count_of = [&](std::size_t b) { return (b + 1 < buckets ? below[b + 1] : sum) - below[b]; };
  // Each rank's bucket (the last whose first rank is <= it), and the wanted buckets' values
  // gathered side by side in one buffer (slot 0: not wanted).
  std::array<std::size_t, kMaxRanks> bucket{};
  std::array<std::uint8_t, kMaxBuckets> slot_of;
  std::fill_n(slot_of.begin(), buckets, std::uint8_t{0});
  std::array<std::size_t, kMaxRanks + 1> start{}, cursor{};
  std::size_t slots = 0, total = 0;
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
  for_each_bucket([&](const double* x, std::size_t count) {
    for (std::size_t j = 0; j < count; ++j)
      if (const std::uint8_t s = slot_of[static_cast<std::size_t>(index[j])]) gathered[cursor[s]++] = x[j];  // rare
  });
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
