#pragma once
// Exact order statistics of a file's worth of values (thousands to tens of thousands, below
// finder_select's radix selection), for the finders' quantiles: the values are counted into
// buckets of equal width over their range (a bucket index never decreases as the value grows,
// so ranks fall into buckets in order), and std::nth_element runs on the few values of the
// buckets holding the wanted ranks only. Its branch-free passes take a fraction of a full
// std::nth_element's time, whose comparisons on unsorted data are mispredicted half the time.
// The value found at a rank is the one std::nth_element finds there, bit for bit.
#include <cstddef>
#include <span>

namespace cytopipe::gating::detail {

// Fewer values than this are left to std::nth_element (the passes would not pay).
inline constexpr std::size_t kRankMinimum = 512;

// The values at `ranks` (at most 128, each < values.size(), any order) into `out` (same length), without
// reordering `values`. False, with `out` unspecified, where the answer could differ from
// std::nth_element's: a value is not finite (NaN has no rank), or a selected value is zero
// (which of -0 and +0 nth_element leaves at a rank is its own choice); and when fewer than
// kRankMinimum values are given. The caller then selects as before.
bool select_ranks(std::span<const double> values, std::span<const std::size_t> ranks, std::span<double> out);

// Type-7 quantiles of `values` at each of `ps` (at most 64, in 0..1) into `out`, as quantile7 gives them
// (h = (n - 1) p; the h-th value plus (h - floor h) x the step to the next), by select_ranks;
// false where select_ranks is.
bool rank_quantiles(std::span<const double> values, std::span<const double> ps, std::span<double> out);

}  // namespace cytopipe::gating::detail
