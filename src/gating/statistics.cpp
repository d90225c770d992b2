// Population statistics. Median and percentiles are exact order statistics found by selection
// (radix passes over the values' bits, then std::nth_element on the few values left; one
// histogram and one candidate pass for all of a population's percentiles), interpolated as R's
// type 7; nothing is binned except the mode. Value statistics take two passes (sums, min, max and
// logs; then SD and the mode's histogram, which need the mean and the range).
#include "cytopipe/gating/statistics.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include <sys/mman.h>
#include <type_traits>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>


namespace cytopipe::gating {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An unsigned key with the order of the doubles (-0 before +0; NaNs at the ends).
inline std::uint64_t order_key(double x) noexcept {
  const auto u = std::bit_cast<std::uint64_t>(x);
  return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}

// Selection by key bits. A histogram of the top 16 bits of order_key finds the bin holding the
// k-th value; selection finishes on that bin's values alone (a few percent of them even when
// the values crowd into one octave). Two streaming passes instead of nth_element's
// data-dependent shuffling of the whole buffer (several times faster on a population's 10^5 to
// 10^6 values), and `v` is not reordered. With `finite_only`, non-finite values are left out
// (so callers need no partition pass).
constexpr int kKeyShift = 48;
constexpr std::size_t kKeyBins = std::size_t{1} << (64 - kKeyShift);

// Per-thread scratch (nothing below waits on other tasks, so no other use can interleave).
std::vector<std::uint32_t>& key_counts() {
  thread_local std::vector<std::uint32_t> counts;
  return counts;
}

// Fills key_counts() and returns how many values were counted.
std::size_t key_histogram(std::span<const double> v, bool finite_only) {
  auto& counts = key_counts();
  counts.assign(kKeyBins, 0);
  std::size_t n = 0;
  for (double x : v) {
    if (finite_only && !std::isfinite(x)) continue;
    ++counts[order_key(x) >> kKeyShift];
    ++n;
  }
  return n;
}

// The r-th smallest of one bin's candidates and the value after it in order: the bin's next
// candidate, else the smallest value of a larger bin (`above`, an order key; all ones when none),
// else NaN. Shared by both selection paths so they agree to the bit.
std::pair<double, double> select_in_bin(std::vector<double>& candidates, std::size_t r, std::uint64_t above) {
  const auto by_key = [](double a, double b) { return order_key(a) < order_key(b); };
  std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(r), candidates.end(), by_key);
  const double a = candidates[r];
  double b = kNaN;
  if (r + 1 < candidates.size()) {
    b = *std::min_element(candidates.begin() + static_cast<std::ptrdiff_t>(r) + 1, candidates.end(), by_key);
  } else if (above != ~std::uint64_t{0}) {
    const std::uint64_t u = (above >> 63) ? (above & ~(std::uint64_t{1} << 63)) : ~above;
    b = std::bit_cast<double>(u);
  }
  return {a, b};
}

// The k-th smallest counted value (0-based) and the one after it in order (NaN when k is the
// last), exactly, from the histogram key_histogram() just made of `v`.
std::pair<double, double> order_statistic_pair(std::span<const double> v, std::size_t k, bool finite_only) {
  const auto& counts = key_counts();
  thread_local std::vector<double> candidates;
  std::uint64_t bin = 0;
  std::size_t below = 0;  // values in smaller bins
  while (below + counts[bin] <= k) below += counts[bin++];

  candidates.clear();
  candidates.reserve(counts[bin]);
  std::uint64_t above = ~std::uint64_t{0};  // smallest key in a larger bin
  for (double x : v) {
    if (finite_only && !std::isfinite(x)) continue;
    const std::uint64_t key = order_key(x);
    const std::uint64_t top = key >> kKeyShift;
    if (top == bin) candidates.push_back(x);
    above = std::min(above, top > bin ? key : ~std::uint64_t{0});  // branch-free
  }
  return select_in_bin(candidates, k - below, above);
}

// Type-7 position of a percentile among n values: h = (n - 1) p / 100, between order
// statistics lo = floor(h) and lo + 1 (0-based).
struct Position {
  double h;
  std::size_t lo;
};
Position type7_position(std::size_t n, double percent) {
  const double h = (static_cast<double>(n) - 1) * std::clamp(percent, 0.0, 100.0) / 100.0;
  return {h, static_cast<std::size_t>(std::floor(h))};
}

// Type-7 interpolation between the order statistics around position h of n values.
double type7(double h, std::size_t lo, std::size_t n, double a, double b) {
  if (lo + 1 >= n || h == static_cast<double>(lo)) return a;
  return a + (h - static_cast<double>(lo)) * (b - a);
}

// The k-th smallest value of `v` and the one after it (NaN when k is the last), as
// std::nth_element and std::min_element find them, by key bins fitted to v's range: one pass for
// the range, one for a 1024-bin histogram, one collecting the values of the k-th's bin, then
// nth_element on those few (nth_element on all of v is branchy and several times slower; a bin
// holding many is split further first). Only where the result cannot differ from nth_element's:
// every value finite and not both -0 and +0 (the one pair of different values that operator<
// calls equal); nullopt otherwise.
std::optional<std::pair<double, double>> fitted_order_pair(std::span<const double> v, std::size_t k) {
  std::uint64_t low = ~std::uint64_t{0}, high = 0;
  bool finite = true, negative_zero = false, positive_zero = false;
  for (double x : v) {
    const std::uint64_t key = order_key(x);
    low = std::min(low, key);
    high = std::max(high, key);
    finite &= std::isfinite(x);
    negative_zero |= key == (std::uint64_t{1} << 63) - 1;  // order_key(-0.0)
    positive_zero |= key == std::uint64_t{1} << 63;         // order_key(+0.0)
  }
  if (!finite || (negative_zero && positive_zero)) return std::nullopt;
  constexpr int kBinBits = 10;
  constexpr std::size_t kNarrowAbove = 128;  // candidates nth_element takes as they are
  int shift = std::max(0, static_cast<int>(std::bit_width(high - low)) - kBinBits);
  std::uint32_t counts[std::size_t{1} << kBinBits] = {};
  for (double x : v) ++counts[(order_key(x) - low) >> shift];
  std::uint64_t bin = 0;
  std::size_t below = 0;
  while (below + counts[bin] <= k) below += counts[bin++];
  thread_local std::vector<double> candidates;
  candidates.clear();
  std::uint64_t above = ~std::uint64_t{0};  // smallest key in a larger bin
  for (double x : v) {
    const std::uint64_t key = order_key(x);
    const std::uint64_t b = (key - low) >> shift;
    if (b == bin) candidates.push_back(x);
    else if (b > bin) above = std::min(above, key);
  }
  // A bin spans 2^shift keys: with negative and positive values (compensated fluorescence), or
  // one far outlier, that is several octaves, and most values can share it. Such a bin is split
  // by its next 10 key bits, as often as needed, so that nth_element sorts out a few values
  // only. Key order is value order here, so the k-th value and the one after it are the same.
  std::size_t r = k - below;
  while (candidates.size() > kNarrowAbove && shift > 0) {
    const std::uint64_t base = low + (bin << shift);  // the bin's first key
    const int fine = std::max(0, shift - kBinBits);
    std::fill(std::begin(counts), std::end(counts), 0u);
    for (double x : candidates) ++counts[(order_key(x) - base) >> fine];
    bin = 0;
    below = 0;
    while (below + counts[bin] <= r) below += counts[bin++];
    std::size_t kept = 0;
    for (double x : candidates) {
      const std::uint64_t key = order_key(x);
      const std::uint64_t b = (key - base) >> fine;
      if (b == bin) candidates[kept++] = x;
      else if (b > bin) above = std::min(above, key);
    }
    candidates.resize(kept);
    r -= below;
    low = base;
    shift = fine;
  }
  return select_in_bin(candidates, r, above);
}

// Type-7 percentile of `v` (may reorder it).
double select_percentile(std::span<double> v, double percent) {
  if (v.empty()) return kNaN;
  const auto [h, lo] = type7_position(v.size(), percent);
  if (v.size() >= 64 && v.size() < 4096)
    if (const auto pair = fitted_order_pair(v, lo)) return type7(h, lo, v.size(), pair->first, pair->second);
  if (v.size() < 4096) {  // small: plain selection
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
    const double b = lo + 1 < v.size() ? *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end()) : kNaN;
    return type7(h, lo, v.size(), v[lo], b);
  }
  key_histogram(v, false);
  const auto [a, b] = order_statistic_pair(v, lo, false);
  return type7(h, lo, v.size(), a, b);
}

// Type-7 percentile of the finite values of `v` (NaN when there are none; may reorder `v`).
double finite_percentile(std::span<double> v, double percent) {
  if (v.size() < 4096) {
    const auto finite = std::partition(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
    return select_percentile(v.first(static_cast<std::size_t>(finite - v.begin())), percent);
  }
  const std::size_t n = key_histogram(v, true);
  if (n == 0) return kNaN;
  const auto [h, lo] = type7_position(n, percent);
  const auto [a, b] = order_statistic_pair(v, lo, true);
  return type7(h, lo, n, a, b);
}

// Mean and sample SD of the finite values, summed in order in long double. The one definition
// behind value_statistics and statistic(): mean NaN without values, SD NaN with fewer than 2.
struct Moments {
  double mean = kNaN;
  double sd = kNaN;
};
// The mean of the finite values (NaN without any) and how many there are: moments()' first pass,
// alone for callers that want only the mean.
// Four long double partial sums (a fixed order, so results repeat exactly): one x87 chain
// was latency-bound, and the extended precision already makes the order immaterial to the
// rounded mean but for rare ties.
std::pair<double, std::size_t> finite_mean(std::span<const double> v) {
  long double sum[4] = {0, 0, 0, 0};
  std::size_t n = 0;
  std::size_t i = 0;
  for (; i + 4 <= v.size(); i += 4)
    for (std::size_t k = 0; k < 4; ++k)
      if (std::isfinite(v[i + k])) {
        sum[k] += v[i + k];
        ++n;
      }
  for (; i < v.size(); ++i)
    if (std::isfinite(v[i])) {
      sum[0] += v[i];
      ++n;
    }
  const long double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  return {n == 0 ? kNaN : static_cast<double>(total / static_cast<long double>(n)), n};
}

Moments moments(std::span<const double> v) {
  const auto [mean, n] = finite_mean(v);
  Moments m;
  if (n == 0) return m;
  m.mean = mean;
  if (n < 2) return m;
  long double ss = 0;
  for (double x : v)
    if (std::isfinite(x)) ss += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(static_cast<double>(ss / static_cast<long double>(n - 1)));
  return m;
}

// Geometric mean of the finite positive values (NaN when none) and how many values that was.
struct GeometricMean {
  double value = kNaN;
  std::size_t positive = 0;
};
GeometricMean geometric_mean(std::span<const double> v) {
  long double log_sum = 0;
  GeometricMean g;
  for (double x : v)
    if (std::isfinite(x) && x > 0) {
      log_sum += std::log(x);
      ++g.positive;
    }
  if (g.positive) g.value = std::exp(static_cast<double>(log_sum / static_cast<long double>(g.positive)));
  return g;
}

// FlowJo's robust SD of the finite values (may reorder): half the spread of the central 68.26 %.
double robust_sd(std::span<double> v) {
  return 0.5 * (finite_percentile(v, 84.13) - finite_percentile(v, 15.87));
}

}  // namespace

double percentile(std::span<double> values, double percent) {
  return select_percentile(values, percent);
}

namespace {

std::size_t gather_words(const double* values, std::span<const std::uint64_t> words, double* out) {
  double* next = out;
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::uint64_t bits = words[w];
    const double* block = values + w * 64;
    while (bits) {
      *next++ = block[std::countr_zero(bits)];
      bits &= bits - 1;
    }
  }
  return static_cast<std::size_t>(next - out);
}

#if defined(__x86_64__)
// Eight events at a time: a masked load (lanes past the last event are masked off, as their
// bits are 0), an in-register compress and a masked store of just the members, so nothing is
// read or written out of bounds. (The compress-to-memory form is slow on some CPUs.)
__attribute__((target("avx512f,popcnt"))) std::size_t gather_words_avx512(const double* values,
                                                                          std::span<const std::uint64_t> words,
                                                                          double* out) {
  double* next = out;
  for (std::size_t w = 0; w < words.size(); ++w) {
    const std::uint64_t bits = words[w];
    if (bits == 0) continue;
    const double* block = values + w * 64;
    for (int j = 0; j < 8; ++j) {
      const auto mask = static_cast<__mmask8>(bits >> (8 * j));
      if (mask == 0) continue;
      const __m512d packed = _mm512_maskz_compress_pd(mask, _mm512_maskz_loadu_pd(mask, block + 8 * j));
      const int n = __builtin_popcount(mask);
      _mm512_mask_storeu_pd(next, static_cast<__mmask8>((1u << n) - 1), packed);
      next += n;
    }
  }
  return static_cast<std::size_t>(next - out);
}
#endif

}  // namespace

std::size_t gather(std::span<const double> values, const Membership& members, std::span<double> out) {
  if (values.size() != members.events())
    throw Error("statistics: " + std::to_string(values.size()) + " values for " +
                std::to_string(members.events()) + " events");
  const std::size_t count = members.count();
  if (out.size() < count)
    throw Error("statistics: room for " + std::to_string(out.size()) + " values, the population has " +
                std::to_string(count));
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f") && std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  if (avx512) return gather_words_avx512(values.data(), members.words(), out.data());
#endif
  return gather_words(values.data(), members.words(), out.data());
}

std::vector<double> select(std::span<const double> values, const Membership& members) {
  std::vector<double> out(values.size() == members.events() ? members.count() : 0);
  gather(values, members, out);
  return out;
}

namespace {

// kBins entries, all zero, straight from the kernel (an anonymous mapping): only the pages of
// the bins a population's values fall in are ever touched, where a vector's zero fill faulted
// in all 64 of them per array (a few thousand page faults per process, on each thread).
template <typename T, std::size_t kBins = kKeyBins>
class ZeroBins {
 public:
  ZeroBins() = default;
  ZeroBins(ZeroBins&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  ZeroBins& operator=(ZeroBins&& other) noexcept {
    std::swap(data_, other.data_);
    return *this;
  }
  ~ZeroBins() {
    if (data_) ::munmap(data_, kBytes);
  }
  T* data() {
    if (!data_) {
      void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      data_ = static_cast<T*>(p);
    }
    return data_;
  }

 private:
  static constexpr std::size_t kBytes = kBins * sizeof(T);
  T* data_ = nullptr;
};

// The atoms' finer key histograms (see AtomRanks): the top 20 bits of order_key, 16 fine bins to
// a bin of the 16-bit histogram (256 to an octave), so that the fine bin holding a rank has few
// values (a 16-bit bin holds a sixteenth of an octave: up to ~10 % of a channel's values), while
// an atom's histogram stays small enough for the cache (22 bits made the scan slower).
constexpr int kFineShift = 44;
constexpr std::size_t kFineBins = std::size_t{1} << (64 - kFineShift);
constexpr int kFinePerBinBits = kKeyShift - kFineShift;

// Per-thread buffers of the fused path, reused across populations and channels.
struct Scratch {
  // Uninitialised (every value read was written first), and an EventMatrix so that a large one
  // lies on huge pages, reused between samples: a heap block of a population's size was faulted
  // in 4 KiB at a time, on each thread and again after each growth or heap trim (a third of the
  // CPU time of `gate --stats` went to those faults).
  fcs::EventMatrix values;
  double* reserve(std::size_t n) {
    if (values.events() < n) values = fcs::EventMatrix(std::max(n, values.events() + values.events() / 4), 1);
    return values.data();
  }
  std::vector<std::size_t> mode_counts;
  ZeroBins<std::int32_t> slot_of_bin;  // 0, or 1 + the candidate list of a bin holding a rank
  // The candidate lists of one selection, back to back (at most the population's values): one
  // reused block instead of a vector per bin, zero-filled and faulted in on each growth.
  fcs::EventMatrix candidates;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The ranks behind the median, the robust SD's two percentiles and `percentiles` (type 7: each
// position's floor and the rank after it), sorted and distinct.
std::vector<std::size_t> wanted_ranks(std::size_t n, std::span<const double> percentiles) {
  std::vector<double> percents = {50, 84.13, 15.87};
  percents.insert(percents.end(), percentiles.begin(), percentiles.end());
  std::vector<std::size_t> ranks;
  for (double p : percents) {
    const std::size_t lo_rank = type7_position(n, p).lo;
    ranks.push_back(lo_rank);
    if (lo_rank + 1 < n) ranks.push_back(lo_rank + 1);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  return ranks;
}

// Order statistics of n finite values by order_key, from the key histogram key_counts() holds:
// the bins holding a wanted rank each collect their values in one pass (collect()), then
// selection runs within each bin (finish()). The same values order_statistic_pair finds one rank
// at a time, with a histogram and a pass per rank.
class RankSelection {
 public:
  // How many candidates the bins holding `ranks` have (the room the candidate lists need).
  // The key bin of the smallest value `lo` (bins below it are empty and need not be read).
  static std::uint64_t first_bin(double lo) {
    std::uint64_t bin = order_key(lo) >> kKeyShift;
    if (lo == 0) bin = std::min(bin, order_key(-0.0) >> kKeyShift);  // either zero may have been counted
    return bin;
  }
  static std::size_t candidates_needed(std::span<const std::size_t> ranks, const std::uint32_t* counts,
                                       std::uint64_t first = 0) {
    std::size_t total = 0;
    std::uint64_t bin = first, last = ~std::uint64_t{0};
    std::size_t below = 0;
    for (std::size_t rank : ranks) {
      while (below + counts[bin] <= rank) below += counts[bin++];
      if (bin != last) total += counts[bin];
      last = bin;
    }
    return total;
  }
  // `counts`: the key histogram; `slots`: all 0 (and left so; a bin holding a rank gets 1 + its
  // list while the selection lives); `arena`: room for
  // candidates_needed() values.
  RankSelection(std::span<const std::size_t> ranks, const std::uint32_t* counts, ZeroBins<std::int32_t>& slots,
                double* arena, std::uint64_t first = 0)
      : ranks_(ranks), bin_of_(ranks.size()), below_of_(ranks.size()) {
    std::uint64_t bin = first;
    std::size_t below = 0;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      while (below + counts[bin] <= ranks[i]) below += counts[bin++];
      if (bins_.empty() || bins_.back() != bin) bins_.push_back(bin);
      bin_of_[i] = bins_.size() - 1;
      below_of_[i] = below;
    }
    next_.resize(bins_.size());
    candidates_.resize(bins_.size());
    double* next = arena;
    for (std::size_t b = 0; b < bins_.size(); ++b) {
      slots.data()[bins_[b]] = static_cast<std::int32_t>(b) + 1;
      candidates_[b] = {next, counts[bins_[b]]};  // exactly the bin's values: collect() never overflows
      next_[b] = next;
      next += counts[bins_[b]];
    }
    slots_ = slots.data();
  }
  RankSelection(const RankSelection&) = delete;
  RankSelection& operator=(const RankSelection&) = delete;
  ~RankSelection() {
    for (std::uint64_t b : bins_) slots_[b] = 0;
  }
  // Plain stores, no call: the caller's loop keeps its long double sums in registers.
  void collect(double x) {
    const std::int32_t slot = slots_[order_key(x) >> kKeyShift];
    if (slot > 0) *next_[static_cast<std::size_t>(slot) - 1]++ = x;
  }
#if defined(__x86_64__)
  // collect() of eight values at a time: which lanes lie in a candidate bin, by a compare per
  // bin (no per-value branch), then those lanes stored as collect() stores them.
  __attribute__((target("avx512f,popcnt"))) void collect8(__m512d x, __mmask8 valid) {
    const __m512i u = _mm512_castpd_si512(x);
    const __m512i sign = _mm512_maskz_srai_epi64(0xFF, u, 63);
    const __m512i key = _mm512_xor_si512(u, _mm512_or_si512(sign, _mm512_set1_epi64(std::int64_t{1} << 63)));
    const __m512i top = _mm512_maskz_srli_epi64(0xFF, key, kKeyShift);
    __mmask8 in = 0;
    for (std::uint64_t b : bins_) in |= _mm512_mask_cmpeq_epi64_mask(valid, top, _mm512_set1_epi64(static_cast<std::int64_t>(b)));
    if (in == 0) return;
    alignas(64) std::uint64_t tops[8];
    alignas(64) double xs[8];
    _mm512_store_si512(tops, top);
    _mm512_store_pd(xs, x);
    for (unsigned bits = in; bits; bits &= bits - 1) {
      const int k = std::countr_zero(bits);
      *next_[static_cast<std::size_t>(slots_[tops[k]]) - 1]++ = xs[k];
    }
  }
#endif
  // The value of each rank, into out[i] for ranks[i]. A large bin (values crowding into one
  // sixteenth of an octave) is narrowed once more by the next 12 key bits first: a histogram of
  // the bin and the values of the rank's sub-bin, so nth_element runs on a few values, not on up
  // to a third of the population. Key order throughout, so the same values either way.
  void finish(std::span<double> out) {
    const auto by_key = [](double a, double b) { return order_key(a) < order_key(b); };
    constexpr int kSubShift = kKeyShift - 12;
    constexpr std::size_t kSubBins = std::size_t{1} << 12;
    thread_local std::vector<double> narrowed;
    std::uint32_t sub_counts[kSubBins];
    std::size_t counted_bin = ~std::size_t{0};       // the bin sub_counts describes
    std::size_t narrowed_bin = ~std::size_t{0}, narrowed_sub = 0, narrowed_below = 0;
    for (std::size_t i = 0; i < ranks_.size(); ++i) {
      const std::span<double> c = candidates_[bin_of_[i]];
      const std::size_t r = ranks_[i] - below_of_[i];
      if (c.size() < 8192) {
        std::nth_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(r), c.end(), by_key);
        out[i] = c[r];
        continue;
      }
      if (counted_bin != bin_of_[i]) {
        std::fill(std::begin(sub_counts), std::end(sub_counts), 0u);
        for (double x : c) ++sub_counts[(order_key(x) >> kSubShift) & (kSubBins - 1)];
        counted_bin = bin_of_[i];
      }
      std::size_t sub = 0, below = 0;
      while (below + sub_counts[sub] <= r) below += sub_counts[sub++];
      if (narrowed_bin != bin_of_[i] || narrowed_sub != sub) {
        narrowed.clear();
        for (double x : c)
          if (((order_key(x) >> kSubShift) & (kSubBins - 1)) == sub) narrowed.push_back(x);
        narrowed_bin = bin_of_[i];
        narrowed_sub = sub;
        narrowed_below = below;
      }
      const std::size_t rr = r - narrowed_below;
      std::nth_element(narrowed.begin(), narrowed.begin() + static_cast<std::ptrdiff_t>(rr), narrowed.end(), by_key);
      out[i] = narrowed[rr];
    }
  }

 private:
  std::span<const std::size_t> ranks_;
  std::vector<std::size_t> bin_of_, below_of_;
  std::vector<std::uint64_t> bins_;
  std::vector<double*> next_;
  std::int32_t* slots_ = nullptr;
  std::vector<std::span<double>> candidates_;
};

// Sum of (x - mean)^2 in order, in long double (moments()' arithmetic). Not inlined: in a large
// function GCC keeps the x87 sum in memory, a store and reload per value.
[[gnu::noinline]] long double sum_of_squares(std::span<const double> v, double mean) {
  long double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return ss;
}

// Lanes of the mode's counts, interleaved (quad[kModeLanes * bin + lane]): a value's count goes
// to lane (its position % kModeLanes), so that a vector's eight values never increment one
// counter twice in a row (a chain of dependent increments where values crowd into the peak).
constexpr std::size_t kModeLanes = 8;
// The mode's histogram of values in [lo, hi] (hi > lo): bin (x - lo) / width, truncated, the
// last bin also taking hi, counted in kModeLanes interleaved arrays as LargeStatistics::add
// counts them: the same bin for every value on either path (vector division only where every
// quotient is far inside the integer range, as there). For the table's atoms, whose populations
// with the same extremes share one binning (ModeGroup).
void count_mode_bins(std::span<const double> v, double lo, double hi, std::size_t bins, std::size_t* quad);
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq"))) void count_mode_bins_avx512(std::span<const double> v, double lo_,
                                                                        double width_, std::size_t bins,
                                                                        std::size_t* q) {
  const __m512d lo = _mm512_set1_pd(lo_), width = _mm512_set1_pd(width_);
  const __m512i last = _mm512_set1_epi64(static_cast<std::int64_t>(bins - 1));
  alignas(64) std::int64_t b[8];
  std::size_t j = 0;
  for (; j + 8 <= v.size(); j += 8) {
    const __m512d x = _mm512_loadu_pd(v.data() + j);
    const __m512i bin =
        _mm512_maskz_min_epi64(0xFF, _mm512_maskz_cvttpd_epi64(0xFF, _mm512_div_pd(_mm512_sub_pd(x, lo), width)), last);
    _mm512_store_si512(b, bin);
    for (std::size_t k = 0; k < 8; ++k) q[kModeLanes * static_cast<std::size_t>(b[k]) + (k & (kModeLanes - 1))]++;
  }
  for (; j < v.size(); ++j) {
    auto bin = static_cast<std::size_t>((v[j] - lo_) / width_);
    q[kModeLanes * std::min(bin, bins - 1) + (j & (kModeLanes - 1))]++;
  }
}
#endif
void count_mode_bins(std::span<const double> v, double lo, double hi, std::size_t bins, std::size_t* q) {
  const double width = (hi - lo) / static_cast<double>(bins);
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                             std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  const double top = (hi - lo) / width;
  if (avx512 && top >= 0 && top < 9.0e15) return count_mode_bins_avx512(v, lo, width, bins, q);
#endif
  for (std::size_t j = 0; j < v.size(); ++j) {
    auto bin = static_cast<std::size_t>((v[j] - lo) / width);
    q[kModeLanes * std::min(bin, bins - 1) + (j & (kModeLanes - 1))]++;
  }
}

// The large path (n >= 4096 finite values) of finish_statistics as a sink of values: add() takes
// them (all at once or in chunks, in any order), makes the mode's histogram and collects the
// percentiles' candidates from the key histogram given; the caller sums the squares itself (a
// long double chain in event order, moments()' arithmetic) and hands the sum to finish().
class LargeStatistics {
 public:
  // `ranks` = wanted_ranks(n, options.percentiles); `arena`: room for
  // RankSelection::candidates_needed(ranks, key_counts) values; `slots` as RankSelection takes
  // them; `quad` the mode's four interleaved count arrays.
  // Without `slots` (nullptr), no candidates are collected: finish() is then given the ranks'
  // values (the table's atoms select them, AtomRanks).
  LargeStatistics(PopulationStatistics& s, std::size_t n, double mean, double lo, double hi, long double log_sum,
                  std::size_t positive, std::vector<std::size_t> ranks, const std::uint32_t* key_counts,
                  ZeroBins<std::int32_t>* slots, double* arena, std::vector<std::size_t>& quad,
                  const StatisticsOptions& options)
      : s_(s),
        n_(n),
        lo_(lo),
        hi_(hi),
        bins_(std::max<std::size_t>(1, options.mode_bins)),
        spread_(hi > lo),
        width_((hi - lo) / static_cast<double>(bins_)),
        ranks_(std::move(ranks)),
        quad_(quad),
        options_(options) {
    if (slots) selection_.emplace(ranks_, key_counts, *slots, arena, RankSelection::first_bin(lo));
    s.mean = mean;
    s.geometric_mean = positive ? std::exp(static_cast<double>(log_sum / static_cast<long double>(positive))) : kNaN;
    s.geometric_mean_excluded = n - positive;
    // Four interleaved count arrays, summed after: runs of values in one bin would otherwise
    // wait on each other's increment of the same counter.
    if (spread_) quad_.assign(kModeLanes * bins_, 0);
  }
  void add(std::span<const double> v) {
#if defined(__x86_64__)
    static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                               std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
    if (avx512) return add_avx512(v);
#endif
    if (spread_) {
      std::size_t* q = quad_.data();
      std::size_t j = 0;
      for (double x : v) {
        auto b = static_cast<std::size_t>((x - lo_) / width_);
        q[kModeLanes * std::min(b, bins_ - 1) + (j++ & (kModeLanes - 1))]++;
        if (selection_) selection_->collect(x);
      }
    } else if (selection_) {
      for (double x : v) selection_->collect(x);
    }
  }
#if defined(__x86_64__)
  // add() eight values at a time: the mode's bins by vector division (truncated as the scalar
  // cast truncates: every quotient lies in [0, bins], far inside the integer range, whenever
  // the range's quotient does), then the counts; the candidates by collect8.
  __attribute__((target("avx512f,avx512dq,popcnt"))) void add_avx512(std::span<const double> v) {
    const double top = spread_ ? (hi_ - lo_) / width_ : 0.0;
    const bool vector_bins = spread_ && top >= 0 && top < 9.0e15;
    std::size_t* q = quad_.data();
    const __m512d lo = _mm512_set1_pd(lo_), width = _mm512_set1_pd(width_);
    const __m512i last = _mm512_set1_epi64(static_cast<std::int64_t>(bins_ - 1));
    alignas(64) std::int64_t b[8];
    std::size_t j = 0;
    for (; j < v.size(); j += 8) {
      const std::size_t left = std::min<std::size_t>(8, v.size() - j);
      const auto valid = static_cast<__mmask8>((1u << left) - 1);
      const __m512d x = _mm512_maskz_loadu_pd(valid, v.data() + j);
      if (selection_) selection_->collect8(x, valid);
      if (!spread_) continue;
      if (vector_bins) {
        const __m512i bin =
            _mm512_maskz_min_epi64(0xFF, _mm512_maskz_cvttpd_epi64(0xFF, _mm512_div_pd(_mm512_sub_pd(x, lo), width)), last);
        _mm512_store_si512(b, bin);
        if (left == 8) {
          for (std::size_t k = 0; k < 8; ++k) q[kModeLanes * static_cast<std::size_t>(b[k]) + (k & (kModeLanes - 1))]++;
        } else {
          for (std::size_t k = 0; k < left; ++k) q[kModeLanes * static_cast<std::size_t>(b[k]) + (k & (kModeLanes - 1))]++;
        }
      } else {
        for (std::size_t k = 0; k < left; ++k) {
          auto bin = static_cast<std::size_t>((v[j + k] - lo_) / width_);
          q[kModeLanes * std::min(bin, bins_ - 1) + (k & (kModeLanes - 1))]++;
        }
      }
    }
  }
#endif
  void finish(long double ss) {
    std::vector<double> values(ranks_.size());
    selection_->finish(values);
    finish(ss, values);
  }
  // The mode's four interleaved count arrays (all zero until add()), for a caller that counts
  // the values elsewhere (the table's atoms, count_mode_bins); empty without a spread.
  std::span<std::size_t> mode_quad() { return spread_ ? std::span<std::size_t>(quad_) : std::span<std::size_t>(); }
  // With the value of each rank (values[i] for ranks()[i]).
  void finish(long double ss, std::span<const double> values) {
    auto& s = s_;
    const std::size_t n = n_;
    s.sd = n < 2 ? kNaN : std::sqrt(static_cast<double>(ss / static_cast<long double>(n - 1)));
    s.cv = 100.0 * s.sd / s.mean;
    if (spread_) {
      std::size_t best = 0, most = 0;  // the first fullest bin
      for (std::size_t b = 0; b < bins_; ++b) {
        std::size_t c = 0;
        for (std::size_t lane = 0; lane < kModeLanes; ++lane) c += quad_[kModeLanes * b + lane];
        if (c > most) most = c, best = b;
      }
      s.mode = lo_ + (static_cast<double>(best) + 0.5) * width_;
    } else {
      s.mode = lo_;
    }
    const auto at = [&](std::size_t rank) {
      return values[static_cast<std::size_t>(std::lower_bound(ranks_.begin(), ranks_.end(), rank) - ranks_.begin())];
    };
    const auto value_of = [&](double p) {
      const auto [h, lo_rank] = type7_position(n, p);
      return type7(h, lo_rank, n, at(lo_rank), lo_rank + 1 < n ? at(lo_rank + 1) : kNaN);
    };
    s.median = value_of(50);
    s.robust_sd = 0.5 * (value_of(84.13) - value_of(15.87));
    s.robust_cv = 100.0 * s.robust_sd / s.median;
    for (double p : options_.percentiles) s.percentiles.emplace_back(p, value_of(p));
  }

 private:
  PopulationStatistics& s_;
  std::size_t n_;
  double lo_, hi_;
  std::size_t bins_;
  bool spread_;
  double width_;
  std::vector<std::size_t> ranks_;
  std::optional<RankSelection> selection_;
  std::vector<std::size_t>& quad_;
  const StatisticsOptions& options_;
};

// The statistics of the finite values v[0, n) (compacted, in event order), given their mean
// (finite_mean's), lo/hi and the log sum from the caller's pass. With `histogram_made`,
// key_counts() already holds v's key histogram. The arithmetic (order of sums, the type-7
// formula) is that of moments(), geometric_mean() and select_percentile(), so results are the
// same to the bit. One more pass over v: SD, the mode's histogram and the percentiles'
// candidates together.
void finish_statistics(PopulationStatistics& s, std::span<double> v, double mean, double lo, double hi,
                       long double log_sum, std::size_t positive, bool histogram_made,
                       const StatisticsOptions& options) {
  const std::size_t n = v.size();
  s.mean = mean;
  s.geometric_mean = positive ? std::exp(static_cast<double>(log_sum / static_cast<long double>(positive))) : kNaN;
  s.geometric_mean_excluded = n - positive;

  const std::size_t bins = std::max<std::size_t>(1, options.mode_bins);
  auto& counts = scratch().mode_counts;
  const bool spread = hi > lo;
  const double width = (hi - lo) / static_cast<double>(bins);
  if (spread) counts.assign(bins, 0);
  long double ss = 0;
  const auto sd_and_mode = [&](double x) {
    ss += (x - mean) * (x - mean);
    if (spread) {
      auto b = static_cast<std::size_t>((x - lo) / width);
      counts[std::min(b, bins - 1)]++;
    }
  };
  const auto finish_moments = [&] {
    s.sd = n < 2 ? kNaN : std::sqrt(static_cast<double>(ss / static_cast<long double>(n - 1)));
    s.cv = 100.0 * s.sd / s.mean;
    if (spread) {
      const auto best = static_cast<std::size_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
      s.mode = lo + (static_cast<double>(best) + 0.5) * width;
    } else {
      s.mode = lo;
    }
  };

  if (n < 4096) {  // small: the plain selections, in the order value_statistics always made them
    for (double x : v) sd_and_mode(x);
    finish_moments();
    s.median = select_percentile(v, 50);
    s.robust_sd = robust_sd(v);
    s.robust_cv = 100.0 * s.robust_sd / s.median;
    for (double p : options.percentiles) s.percentiles.emplace_back(p, select_percentile(v, p));
    return;
  }
  // Every percentile from one key histogram and one candidate pass (fused with mode).
  if (!histogram_made) key_histogram(v, false);
  thread_local std::vector<std::size_t> quad;
  auto ranks = wanted_ranks(n, options.percentiles);
  auto& scratch_ = scratch();
  const std::size_t room = RankSelection::candidates_needed(ranks, key_counts().data(), RankSelection::first_bin(lo));
  // At least as large as the value buffer (so on huge pages, once, when the populations are large).
  if (scratch_.candidates.events() < room)
    scratch_.candidates = fcs::EventMatrix(std::max(room, scratch_.values.events()), 1);
  LargeStatistics large(s, n, mean, lo, hi, log_sum, positive, std::move(ranks), key_counts().data(),
                        &scratch_.slot_of_bin, scratch_.candidates.data(), quad, options);
  // The sum of squares in a loop (and function) of its own: there the x87 sum stays in a
  // register; fused with the rest, it went through memory every value.
  ss = sum_of_squares(v, mean);
  large.add(v);
  large.finish(ss);
}

// min/max in event order as std::minmax_element finds them: the first smallest and the last
// largest, so which of -0 and +0 is an extreme follows the events. `any` is false until the first
// value.
inline void widen_extremes(double x, bool& any, double& lo, double& hi) {
  if (!any) {
    lo = hi = x;
    any = true;
  } else {
    if (x < lo) lo = x;
    if (!(x < hi)) hi = x;
  }
}

// Drops the non-finite values of v, keeping order; min/max as std::minmax_element finds them
// (first smallest, last largest) and, when `logs`, the log sum in order.
struct Compacted {
  std::size_t n = 0;
  double lo = kNaN, hi = kNaN;
  long double log_sum = 0;
  std::size_t positive = 0;
};
Compacted compact(std::span<double> v, bool logs) {
  Compacted c;
  std::size_t n = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  bool any = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!std::isfinite(x)) continue;
    v[n++] = x;
    widen_extremes(x, any, lo, hi);
    if (logs && x > 0) {
      c.log_sum += std::log(x);
      ++c.positive;
    }
  }
  c.n = n;
  c.lo = lo;
  c.hi = hi;
  return c;
}

// With `log_sum` given, no log is taken here.
PopulationStatistics fused_statistics(std::span<double> v, std::optional<std::pair<long double, std::size_t>> log_sum,
                                      const StatisticsOptions& options) {
  PopulationStatistics s;
  Compacted c = compact(v, !log_sum);
  if (log_sum) std::tie(c.log_sum, c.positive) = *log_sum;
  const std::size_t n = c.n;
  s.count = n;
  s.percent_parent = s.percent_total = kNaN;
  if (n == 0) {
    s.mean = s.median = s.geometric_mean = s.mode = s.sd = s.cv = s.robust_sd = s.robust_cv = kNaN;
    for (double p : options.percentiles) s.percentiles.emplace_back(p, kNaN);
    return s;
  }
  finish_statistics(s, v.first(n), finite_mean(v.first(n)).first, c.lo, c.hi, c.log_sum, c.positive, false, options);
  return s;
}

}  // namespace

PopulationStatistics value_statistics(std::vector<double> v, const StatisticsOptions& options) {
  return fused_statistics(v, std::nullopt, options);
}

void log_values(std::span<const double> values, std::span<double> logs) {
  if (logs.size() != values.size())
    throw Error("statistics: room for " + std::to_string(logs.size()) + " logs of " + std::to_string(values.size()) +
                " values");
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double x = values[i];
    logs[i] = std::isfinite(x) && x > 0 ? std::log(x) : -std::numeric_limits<double>::infinity();
  }
}

std::vector<double> log_values(std::span<const double> values) {
  std::vector<double> logs(values.size());
  log_values(values, logs);
  return logs;
}

double statistic(Statistic statistic, std::span<double> v) {
  switch (statistic) {
    case Statistic::Mean: return finite_mean(v).first;
    case Statistic::Sd: return moments(v).sd;
    case Statistic::Cv: {
      const Moments m = moments(v);
      return 100.0 * m.sd / m.mean;
    }
    case Statistic::GeometricMean: return geometric_mean(v).value;
    case Statistic::Median: return finite_percentile(v, 50);
    case Statistic::RobustSd:
    case Statistic::RobustCv: {
      const double rsd = robust_sd(v);
      return statistic == Statistic::RobustSd ? rsd : 100.0 * rsd / finite_percentile(v, 50);
    }
  }
  return kNaN;
}

namespace {

// One masked pass over a population's events of a channel: the finite values compacted into
// `out` (event order), their min/max (compact()'s rule), finite_mean()'s four partial sums (value
// j of the compacted run goes to sum j % 4, the tail after the last whole four to sum 0), the
// log sum from the channel's log column (member_log_sum()'s order) and, with `histogram`, the
// key histogram of the finite values. Bit for bit what gather, compact, finite_mean,
// member_log_sum and key_histogram give one after the other.
struct MemberPass {
  std::size_t n = 0;
  double lo = kNaN, hi = kNaN;
  double mean = kNaN;
  long double log_sum = 0;
  std::size_t positive = 0;
};
MemberPass member_pass(std::span<const double> values, std::span<const double> logs, const Membership& members,
                       double* out, bool histogram) {
  MemberPass r;
  std::uint32_t* counts = nullptr;
  if (histogram) {
    key_counts().assign(kKeyBins, 0);
    counts = key_counts().data();
  }
  long double sum[4] = {0, 0, 0, 0};
  long double log_sum = 0;
  std::size_t positive = 0;
  std::size_t n = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  const auto words = members.words();
  const bool with_logs = !logs.empty();
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::uint64_t bits = words[w];
    const double* block = values.data() + w * 64;
    const double* log_block = with_logs ? logs.data() + w * 64 : nullptr;
    while (bits) {
      const int i = std::countr_zero(bits);
      bits &= bits - 1;
      if (with_logs) {
        const double l = log_block[i];
        if (l != -std::numeric_limits<double>::infinity()) {
          log_sum += l;
          ++positive;
        }
      }
      const double x = block[i];
      if (!std::isfinite(x)) continue;
      if (n == 0) {
        lo = hi = x;
      } else {
        if (x < lo) lo = x;
        if (!(x < hi)) hi = x;
      }
      out[n++] = x;
      if ((n & 3) == 0) {
        sum[0] += out[n - 4];
        sum[1] += out[n - 3];
        sum[2] += out[n - 2];
        sum[3] += out[n - 1];
      }
      if (counts) ++counts[order_key(x) >> kKeyShift];
    }
  }
  for (std::size_t j = n & ~std::size_t{3}; j < n; ++j) sum[0] += out[j];
  const long double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  r.n = n;
  if (n > 0) {
    r.lo = lo;
    r.hi = hi;
    r.mean = static_cast<double>(total / static_cast<long double>(n));
  }
  r.log_sum = log_sum;
  r.positive = positive;
  return r;
}

}  // namespace

PopulationStatistics population_statistics(std::span<const double> values, std::span<const double> logs,
                                           const Membership& members, std::size_t parent_count,
                                           std::size_t total_events, const StatisticsOptions& options) {
  if (!logs.empty() && logs.size() != values.size())
    throw Error("statistics: " + std::to_string(logs.size()) + " logs for " + std::to_string(values.size()) +
                " values");
  if (values.size() != members.events())
    throw Error("statistics: " + std::to_string(values.size()) + " values for " +
                std::to_string(members.events()) + " events");
  PopulationStatistics s;
  s.count = members.count();
  s.percent_parent = parent_count ? 100.0 * static_cast<double>(s.count) / static_cast<double>(parent_count) : kNaN;
  s.percent_total = total_events ? 100.0 * static_cast<double>(s.count) / static_cast<double>(total_events) : kNaN;
  double* buffer = scratch().reserve(s.count);
  const bool histogram = s.count >= 4096;  // finish_statistics selects by key bins from 4096 values
  MemberPass pass = member_pass(values, logs, members, buffer, histogram);
  if (logs.empty()) {  // no log column: the logs of the compacted values, in order
    for (std::size_t j = 0; j < pass.n; ++j)
      if (buffer[j] > 0) {
        pass.log_sum += std::log(buffer[j]);
        ++pass.positive;
      }
  }
  if (pass.n == 0) {
    s.mean = s.median = s.geometric_mean = s.mode = s.sd = s.cv = s.robust_sd = s.robust_cv = kNaN;
    for (double p : options.percentiles) s.percentiles.emplace_back(p, kNaN);
    return s;
  }
  finish_statistics(s, std::span<double>(buffer, pass.n), pass.mean, pass.lo, pass.hi, pass.log_sum, pass.positive,
                    histogram && pass.n >= 4096, options);
  return s;
}

PopulationStatistics population_statistics(std::span<const double> values,
                                           const Membership& members, std::size_t parent_count,
                                           std::size_t total_events,
                                           const StatisticsOptions& options) {
  return population_statistics(values, {}, members, parent_count, total_events, options);
}

namespace {

// The table path: one task per channel, serving every population in two sweeps over the column,
// in chunks of kChunkWords words (the chunk's values, logs and each population's finite members
// stay in cache). The first sweep makes the means' four partial sums, the log sums, min/max and
// the key histograms; the second the sums of squares, the modes' histograms and the
// percentiles' candidates. Without atoms, every sum is the same long double chain, in the same
// order, as member_pass() and finish_statistics() make it, so the results are the same to the
// bit; only the chains of different populations run interleaved (one x87 chain waits ~6 cycles
// per add). With atoms (overlapping populations, see Atoms) the sums are the atoms' combined, in
// another order: mean, SD, CV and geometric mean may then differ from one population at a time
// in their last bits (order statistics, modes, extremes and counts never do).
constexpr std::size_t kChunkWords = 32;
constexpr std::size_t kChunkEvents = kChunkWords * 64;

// The finite member values of words [w0, w1) in event order into `out` and, with `logs`, the
// matching entries of `logs` into `out_logs`; returns how many. `values` and `logs` hold the
// chunk's events only: event i at [i - w0 * 64] (a chunk of a column, or of a float column widened).
std::size_t gather_finite_words(const double* values, const double* logs, std::span<const std::uint64_t> words,
                                std::size_t w0, std::size_t w1, double* out, double* out_logs) {
  std::size_t n = 0;
  for (std::size_t w = w0; w < w1; ++w) {
    std::uint64_t bits = words[w];
    while (bits) {
      const std::size_t i = (w - w0) * 64 + static_cast<std::size_t>(std::countr_zero(bits));
      bits &= bits - 1;
      if (!std::isfinite(values[i])) continue;
      if (logs) out_logs[n] = logs[i];
      out[n++] = values[i];
    }
  }
  return n;
}

#if defined(__x86_64__)
// As gather_words_avx512, keeping only the finite lanes (|x| < inf: NaN and +-inf dropped).
template <bool kLogs>
__attribute__((target("avx512f,popcnt"))) std::size_t gather_finite_avx512(const double* values, const double* logs,
                                                                           std::span<const std::uint64_t> words,
                                                                           std::size_t w0, std::size_t w1, double* out,
                                                                           double* out_logs) {
  const __m512d infinity = _mm512_set1_pd(std::numeric_limits<double>::infinity());
  double* next = out;
  for (std::size_t w = w0; w < w1; ++w) {
    const std::uint64_t bits = words[w];
    if (bits == 0) continue;
    const std::size_t base = (w - w0) * 64;  // in the chunk
    for (int j = 0; j < 8; ++j) {
      const auto mask = static_cast<__mmask8>(bits >> (8 * j));
      const __m512d x = _mm512_maskz_loadu_pd(mask, values + base + 8 * j);
      const __mmask8 keep = _mm512_mask_cmp_pd_mask(mask, _mm512_abs_pd(x), infinity, _CMP_LT_OQ);
      const int n = __builtin_popcount(keep);
      const auto first = static_cast<__mmask8>((1u << n) - 1);
      _mm512_mask_storeu_pd(next, first, _mm512_maskz_compress_pd(keep, x));
      if constexpr (kLogs) {
        const __m512d l = _mm512_maskz_loadu_pd(keep, logs + base + 8 * j);
        _mm512_mask_storeu_pd(out_logs + (next - out), first, _mm512_maskz_compress_pd(keep, l));
      }
      next += n;
    }
  }
  return static_cast<std::size_t>(next - out);
}
#endif

std::size_t gather_finite(const double* values, const double* logs, std::span<const std::uint64_t> words,
                          std::size_t w0, std::size_t w1, double* out, double* out_logs) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f") && std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  if (avx512)
    return logs ? gather_finite_avx512<true>(values, logs, words, w0, w1, out, out_logs)
                : gather_finite_avx512<false>(values, nullptr, words, w0, w1, out, nullptr);
#endif
  return gather_finite_words(values, logs, words, w0, w1, out, out_logs);
}

// Runs of values processed in up to four lanes at once, a lane taking the next run when its own
// ends, so the work of different runs (each a chain of dependent adds or increments) overlaps.
// An Item has `data` and `left` (values still to do); kernel(K, lanes, m) does m values of each
// of the K lanes and advances them. An item's values are done in order.
template <std::size_t kLanes = 4, typename Item, typename Kernel>
void in_lanes(std::span<Item> items, Kernel&& kernel) {
  static_assert(kLanes >= 4 && kLanes <= 8);
  Item* lane[kLanes];
  std::size_t lanes = 0, next = 0;
  for (;;) {
    while (lanes < kLanes && next < items.size()) {
      Item& item = items[next++];
      if (item.left > 0) lane[lanes++] = &item;
    }
    if (lanes == 0) return;
    std::size_t m = lane[0]->left;
    for (std::size_t k = 1; k < lanes; ++k) m = std::min(m, lane[k]->left);
    switch (lanes) {
      case 1: kernel(std::integral_constant<std::size_t, 1>{}, lane, m); break;
      case 2: kernel(std::integral_constant<std::size_t, 2>{}, lane, m); break;
      case 3: kernel(std::integral_constant<std::size_t, 3>{}, lane, m); break;
      case 4: kernel(std::integral_constant<std::size_t, 4>{}, lane, m); break;
      case 5:
        if constexpr (kLanes >= 5) kernel(std::integral_constant<std::size_t, 5>{}, lane, m);
        break;
      case 6:
        if constexpr (kLanes >= 6) kernel(std::integral_constant<std::size_t, 6>{}, lane, m);
        break;
      case 7:
        if constexpr (kLanes >= 7) kernel(std::integral_constant<std::size_t, 7>{}, lane, m);
        break;
      default:
        if constexpr (kLanes >= 8) kernel(std::integral_constant<std::size_t, 8>{}, lane, m);
        break;
    }
    std::size_t kept = 0;
    for (std::size_t k = 0; k < lanes; ++k)
      if (lane[k]->left > 0) lane[kept++] = lane[k];
    lanes = kept;
  }
}

// A run added to a long double chain: sum += x (with kSquares, += (x - mean)^2, the square
// rounded to double first as in moments()).
struct ChainItem {
  const double* data;
  std::size_t left;
  double mean;
  long double* sum;
};
template <std::size_t K, bool kSquares>
[[gnu::noinline]] void chain_kernel(ChainItem* const* lane, std::size_t m) {
  long double s[K];
  const double* d[K];
  double mean[K];
  for (std::size_t k = 0; k < K; ++k) s[k] = *lane[k]->sum, d[k] = lane[k]->data, mean[k] = lane[k]->mean;
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t k = 0; k < K; ++k) {
      if constexpr (kSquares)
        s[k] += (d[k][j] - mean[k]) * (d[k][j] - mean[k]);
      else
        s[k] += d[k][j];
    }
  for (std::size_t k = 0; k < K; ++k) *lane[k]->sum = s[k], lane[k]->data += m, lane[k]->left -= m;
}
// Chains at once: an x87 add waits for the one before it in its chain (several cycles), so
// more chains keep the adder busy; eight sums fill the x87 stack's eight registers (each value
// is added from memory, so GCC needs no register for it and spills nothing in the loop).
constexpr std::size_t kChainLanes = 8;
template <bool kSquares>
void run_chains(std::span<ChainItem> items) {
  in_lanes<kChainLanes>(items, [](auto K, ChainItem* const* lane, std::size_t m) { chain_kernel<K(), kSquares>(lane, m); });
}

// A run scanned for min/max (member_pass()'s: first smallest, last largest), the values > 0
// (those with a log) and the key histogram, with the pages of it written (bit p: bins
// [p * kPageBins, (p + 1) * kPageBins)). Only those pages are read, added or cleared after: the
// bins between the negative and the positive values (half the histogram when a channel has
// both) are never touched, so never faulted in.
constexpr int kPageShift = 10;  // 1024 bins of 4 bytes
constexpr std::uint64_t kPageBins = std::uint64_t{1} << kPageShift;
static_assert(kKeyBins / kPageBins == 64);
struct ScanItem {
  const double* data;
  std::size_t left;
  double lo, hi;
  std::size_t positive;
  std::uint32_t* counts;
  std::uint64_t pages;
  std::uint32_t* fine = nullptr;  // an atom's finer histogram (kFineShift), counted alongside
};
// The walk to the bin holding `rank` in a histogram whose bin b holds count(b) values, written
// only in `pages`: bins below `bin` hold `below` values. Unwritten pages are stepped over whole
// (they are all zero).
template <typename Count>
void walk_to_rank(const Count& count, std::uint64_t pages, std::size_t rank, std::uint64_t& bin, std::size_t& below) {
  for (;;) {
    if (!((pages >> (bin >> kPageShift)) & 1)) {
      bin = ((bin >> kPageShift) + 1) << kPageShift;
      continue;
    }
    const std::size_t c = count(bin);
    if (below + c > rank) return;
    below += c;
    ++bin;
  }
}
template <std::size_t K, bool kFine = false>
[[gnu::noinline]] void scan_kernel(ScanItem* const* lane, std::size_t m) {
  double lo[K], hi[K];
  std::size_t positive[K];
  const double* d[K];
  std::uint32_t* counts[K];
  std::uint32_t* fine[K];
  std::uint64_t pages[K];
  for (std::size_t k = 0; k < K; ++k)
    lo[k] = lane[k]->lo, hi[k] = lane[k]->hi, positive[k] = lane[k]->positive, d[k] = lane[k]->data,
    counts[k] = lane[k]->counts, fine[k] = lane[k]->fine, pages[k] = lane[k]->pages;
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t k = 0; k < K; ++k) {
      const double x = d[k][j];
      if (x < lo[k]) lo[k] = x;
      if (!(x < hi[k])) hi[k] = x;
      positive[k] += x > 0;
      const std::uint64_t key = order_key(x);
      const std::uint64_t top = key >> kKeyShift;
      ++counts[k][top];
      if constexpr (kFine) ++fine[k][key >> kFineShift];
      pages[k] |= std::uint64_t{1} << (top >> kPageShift);
    }
  for (std::size_t k = 0; k < K; ++k)
    lane[k]->lo = lo[k], lane[k]->hi = hi[k], lane[k]->positive = positive[k], lane[k]->pages = pages[k],
    lane[k]->data += m, lane[k]->left -= m;
}

// The mean's four partial sums (finite_mean()'s: value j to sum j % 4, the last n % 4 values to
// sum 0 at the end), fed in chunks: a group of four is added once complete, `pending` holds the
// values of an incomplete one.
[[gnu::noinline]] void add_in_fours(long double* sum, double* pending, std::size_t& pending_n, const double* v,
                                    std::size_t n) {
  long double s0 = sum[0], s1 = sum[1], s2 = sum[2], s3 = sum[3];
  std::size_t j = 0;
  if (pending_n > 0) {
    while (pending_n < 4 && j < n) pending[pending_n++] = v[j++];
    if (pending_n == 4) {
      s0 += pending[0];
      s1 += pending[1];
      s2 += pending[2];
      s3 += pending[3];
      pending_n = 0;
    }
  }
  for (; j + 4 <= n; j += 4) {
    s0 += v[j];
    s1 += v[j + 1];
    s2 += v[j + 2];
    s3 += v[j + 3];
  }
  for (; j < n; ++j) pending[pending_n++] = v[j];
  sum[0] = s0, sum[1] = s1, sum[2] = s2, sum[3] = s3;
}

// The total of add_in_fours' four partial sums, the pending values of an incomplete group added to
// the first (finite_mean()'s order).
long double four_sums_total(long double* sum, const double* pending, std::size_t& pending_n) {
  for (std::size_t j = 0; j < pending_n; ++j) sum[0] += pending[j];
  pending_n = 0;
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

// The same for two runs at once (each its own sums, pending values and order): eight chains
// of x87 adds instead of four, so the adder is not left waiting on the add before (several
// cycles) as often. Every sum takes the same values in the same order as add_in_fours gives it.
struct FourSums {
  long double* sum;
  double* pending;
  std::size_t* pending_n;
  const double* v;
  std::size_t n;
};
// Whole groups of four of both runs: a's and b's next `groups` groups.
[[gnu::noinline]] void add_fours_pair(long double* a, const double* va, long double* b, const double* vb,
                                      std::size_t groups) {
  long double a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
  long double b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
  for (std::size_t g = 0; g < groups; ++g, va += 4, vb += 4) {
    a0 += va[0];
    b0 += vb[0];
    a1 += va[1];
    b1 += vb[1];
    a2 += va[2];
    b2 += vb[2];
    a3 += va[3];
    b3 += vb[3];
  }
  a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
  b[0] = b0, b[1] = b1, b[2] = b2, b[3] = b3;
}
void add_in_fours_pair(FourSums x, FourSums y) {
  // Each run's pending group completed first (add_in_fours on its head), then the whole groups
  // common to both together, the rest of each alone (add_in_fours also keeps its tail pending).
  const auto head = [](FourSums& r) {
    if (*r.pending_n == 0) return;
    const std::size_t take = std::min(r.n, 4 - *r.pending_n);
    add_in_fours(r.sum, r.pending, *r.pending_n, r.v, take);
    r.v += take;
    r.n -= take;
  };
  head(x);
  head(y);
  if (*x.pending_n == 0 && *y.pending_n == 0) {
    const std::size_t groups = std::min(x.n, y.n) / 4;
    add_fours_pair(x.sum, x.v, y.sum, y.v, groups);
    x.v += 4 * groups, x.n -= 4 * groups;
    y.v += 4 * groups, y.n -= 4 * groups;
  }
  add_in_fours(x.sum, x.pending, *x.pending_n, x.v, x.n);
  add_in_fours(y.sum, y.pending, *y.pending_n, y.v, y.n);
}

// A sum of squares kept as double-doubles in eight lanes (value j of a run into lane j % 8):
// each add an error-free TwoSum, so that the sum is within ~2^-100 of its size: more accurate
// than a long double chain in any order, at a fraction of its cost (eight lanes of vector adds,
// where an x87 chain adds one value per cycle at best). For the atoms' sums of squares about
// their means, whose order is not any population's event order anyway. A sum past the double
// range (squares near DBL_MAX: a long double chain holds it, a lane would overflow) goes on in
// long double from there (`spilled`).
struct LaneSums {
  alignas(64) double hi[8] = {};
  alignas(64) double lo[8] = {};
  bool spilled = false;
  long double spill = 0;
  long double total() const {
    if (spilled) return spill;
    long double t = 0;
    for (std::size_t k = 0; k < 8; ++k) t += static_cast<long double>(hi[k]) + static_cast<long double>(lo[k]);
    return t;
  }
};
// Adds (v[j] - mean)^2 over v[0, n) to `s`, each square rounded to double as the x87 chains'
// terms are. The vector and scalar paths give the same bits (the same operations per lane; no
// contraction into fused multiply-adds in ISO C++ mode).
void add_squares_scalar(LaneSums& s, const double* v, std::size_t n, double mean) {
  for (std::size_t j = 0; j < n; ++j) {
    const std::size_t k = j % 8;
    const double x = (v[j] - mean) * (v[j] - mean);
    const double sum = s.hi[k] + x, back = sum - s.hi[k];
    s.lo[k] += (s.hi[k] - (sum - back)) + (x - back);
    s.hi[k] = sum;
  }
}
#if defined(__x86_64__)
__attribute__((target("avx512f"))) void add_squares_avx512(LaneSums& s, const double* v, std::size_t n, double mean_) {
  __m512d hi = _mm512_load_pd(s.hi), lo = _mm512_load_pd(s.lo);
  const __m512d mean = _mm512_set1_pd(mean_);
  for (std::size_t j = 0; j < n; j += 8) {
    // The last run's missing lanes add 0, which changes neither part (TwoSum of 0 is exact).
    const auto in = static_cast<__mmask8>(n - j >= 8 ? 0xFF : (1u << (n - j)) - 1);
    const __m512d d = _mm512_sub_pd(_mm512_maskz_loadu_pd(in, v + j), mean);
    const __m512d x = _mm512_maskz_mul_pd(in, d, d);
    const __m512d sum = _mm512_add_pd(hi, x), back = _mm512_sub_pd(sum, hi);
    lo = _mm512_add_pd(lo, _mm512_add_pd(_mm512_sub_pd(hi, _mm512_sub_pd(sum, back)), _mm512_sub_pd(x, back)));
    hi = sum;
  }
  _mm512_store_pd(s.hi, hi);
  _mm512_store_pd(s.lo, lo);
}
#endif
void add_squares(LaneSums& s, std::span<const double> v, double mean) {
  if (!s.spilled) {
    const LaneSums before = s;
#if defined(__x86_64__)
    static const bool avx512 = __builtin_cpu_supports("avx512f") && std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
    if (avx512)
      add_squares_avx512(s, v.data(), v.size(), mean);
    else
#endif
      add_squares_scalar(s, v.data(), v.size(), mean);
    if (std::all_of(std::begin(s.hi), std::end(s.hi), [](double h) { return std::isfinite(h); })) return;
    // A lane overflowed (or a square is infinite): this run again, in long double after the sum so far.
    s = before;
    s.spill = before.total();
    s.spilled = true;
  }
  long double t = s.spill;
  for (double x : v) t += (x - mean) * (x - mean);
  s.spill = t;
}

// The sum of the logs of the positive values, as exponents and mantissa products: x = m 2^e with
// m in [1, 2), so sum log x = ln 2 * sum e + log prod m. Eight lanes (value j of a run in lane
// j % 8), each product brought back to [1, 2) after every multiplication (its exponent moved to
// the lane's exponent sum, an integer held exactly): no log per value (a vector log per value was
// most of the first sweep's cost), and each value counts with a relative error of 2^-53 at most,
// where a rounded log of a value near 1e154 is off by up to half an ulp of 355.
struct LogSums {
  alignas(64) double mantissa[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  alignas(64) double exponent[8] = {};
  long double total() const {
    constexpr long double ln2 = 0.693147180559945309417232121458176568L;
    long double t = 0;
    for (std::size_t k = 0; k < 8; ++k)
      t += ln2 * static_cast<long double>(exponent[k]) + std::log(static_cast<long double>(mantissa[k]));
    return t;
  }
};
// Adds the values > 0 of v[0, n) to `s`; the vector and scalar paths give the same bits (frexp and
// getexp/getmant split a value alike, subnormals included; the products round alike).
void add_logs_scalar(LogSums& s, const double* v, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) {
    if (!(v[j] > 0)) continue;
    const std::size_t k = j % 8;
    int e = 0;
    const double m = 2 * std::frexp(v[j], &e);  // in [1, 2): v[j] = m 2^(e - 1)
    int p = 0;
    const double product = 2 * std::frexp(s.mantissa[k] * m, &p);
    s.mantissa[k] = product;
    s.exponent[k] += static_cast<double>(e - 1) + static_cast<double>(p - 1);
  }
}
#if defined(__x86_64__)
__attribute__((target("avx512f"))) void add_logs_avx512(LogSums& s, const double* v, std::size_t n) {
  __m512d mantissa = _mm512_load_pd(s.mantissa), exponent = _mm512_load_pd(s.exponent);
  const __m512d zero = _mm512_setzero_pd();
  for (std::size_t j = 0; j < n; j += 8) {
    const auto in = static_cast<__mmask8>(n - j >= 8 ? 0xFF : (1u << (n - j)) - 1);
    const __m512d x = _mm512_maskz_loadu_pd(in, v + j);
    const __mmask8 positive = _mm512_mask_cmp_pd_mask(in, x, zero, _CMP_GT_OQ);
    // (The maskz forms with every lane: GCC 12 warns about the plain ones' undefined source.)
    const __m512d product =
        _mm512_mul_pd(mantissa, _mm512_maskz_getmant_pd(0xFF, x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src));
    const __m512d e = _mm512_add_pd(_mm512_maskz_getexp_pd(0xFF, x), _mm512_maskz_getexp_pd(0xFF, product));
    mantissa = _mm512_mask_getmant_pd(mantissa, positive, product, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
    exponent = _mm512_mask_add_pd(exponent, positive, exponent, e);
  }
  _mm512_store_pd(s.mantissa, mantissa);
  _mm512_store_pd(s.exponent, exponent);
}
#endif
void add_logs(LogSums& s, std::span<const double> v) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f") && std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  if (avx512) return add_logs_avx512(s, v.data(), v.size());
#endif
  add_logs_scalar(s, v.data(), v.size());
}

// One atom's sums in a channel's sweeps (see Atoms): the four partial sums of its finite values
// (as a population's), the sum of their logs and, in the second sweep, of their squares about
// the atom's mean.
struct AtomSums {
  long double sum[4] = {0, 0, 0, 0};
  double pending[4] = {};
  std::size_t pending_n = 0;
  LogSums logs;
  LaneSums squares;
  long double total = 0;  // after finish()
  double mean = kNaN;
  void finish(std::size_t n) {
    total = four_sums_total(sum, pending, pending_n);
    if (n > 0) mean = static_cast<double>(total / static_cast<long double>(n));
  }
};

// One population's state in a channel's sweeps.
struct PopulationPass {
  std::size_t index = 0;  // in the caller's list
  std::size_t n = 0;      // finite values
  long double sum[4] = {0, 0, 0, 0};
  double pending[4] = {};
  std::size_t pending_n = 0;
  double mean = kNaN;
  std::unique_ptr<LargeStatistics> large;
};

// Per-thread buffers of the table path, one set per population of a sweep.
struct TableScratch {
  std::vector<std::vector<double>> values, logs;  // one chunk each
  std::vector<ZeroBins<std::uint32_t>> key_counts;
  std::vector<ZeroBins<std::int32_t>> slots;
  std::vector<std::vector<std::size_t>> quads;
  std::vector<double> chunk_logs = std::vector<double>(kChunkEvents);
  fcs::EventMatrix arena;
  // `gathers`: each population's chunk of values and logs too (only without atoms).
  void ensure(std::size_t populations, bool gathers) {
    if (key_counts.size() < populations) {
      key_counts.resize(populations);
      slots.resize(populations);
      quads.resize(populations);
    }
    if (gathers && values.size() < populations) {
      values.resize(populations, std::vector<double>(kChunkEvents));
      logs.resize(populations, std::vector<double>(kChunkEvents));
    }
  }
  // The atoms' chunk of finite values, and key histograms (see Atoms).
  std::vector<std::vector<double>> atom_values;
  std::vector<ZeroBins<std::uint32_t>> atom_counts;
  std::vector<ZeroBins<std::uint32_t, kFineBins>> atom_fine;  // the finer histograms
  std::vector<ZeroBins<std::int32_t, kFineBins>> atom_slots;  // AtomRanks' lists, by fine bin
  void ensure_atoms(std::size_t atoms) {
    if (atom_values.size() >= atoms) return;
    atom_values.resize(atoms, std::vector<double>(kChunkEvents));
    atom_counts.resize(atoms);
    atom_fine.resize(atoms);
    atom_slots.resize(atoms);
  }
};
TableScratch& table_scratch() {
  thread_local TableScratch s;
  return s;
}

// The large populations (4096+ members) split into atoms: the disjoint sets of events that
// belong to the same populations (gates5's ten populations are unions of four). What adds up
// over disjoint sets (key histograms, counts of positive values) and min/max are found per atom,
// once per event and channel, then combined per population, instead of once per population an
// event belongs to; so are the long double sums (values, logs, squares about the atom's mean).
struct Atoms {
  std::vector<Membership> sets;               // disjoint, none empty
  std::vector<std::vector<std::size_t>> of;   // of[p]: the atoms population p is the union of
};
constexpr std::size_t kMaxAtoms = 32;
// Word by word: the union's bits split by each large population in turn into parts with one
// signature each (the populations holding them), each part's bits written to its atom's set
// (made at the signature's first appearance). Only the atoms' sets are allocated (a split
// population by population made two bitsets per atom and population, most of them fresh pages).
std::optional<Atoms> atoms_of(std::span<const Membership* const> members, std::span<const std::size_t> order) {
  std::vector<std::size_t> large;
  for (std::size_t p : order)
    if (members[p]->count() >= 4096) large.push_back(p);
  if (large.size() < 2 || large.size() > 64) return std::nullopt;  // signatures are 64-bit words
  const std::size_t events = members[large[0]]->events();
  const std::size_t words = members[large[0]]->words().size();
  std::vector<const std::uint64_t*> pw(large.size());
  std::size_t values = 0;
  for (std::size_t j = 0; j < large.size(); ++j) {
    pw[j] = members[large[j]]->words().data();
    values += members[large[j]]->count();
  }
  Atoms a;
  std::vector<std::uint64_t> signatures;  // per atom
  struct Part {
    std::uint64_t bits, signature;
  };
  std::array<Part, 64> parts;  // disjoint, non-empty parts of one word: at most 64
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t all = 0;
    for (const std::uint64_t* p : pw) all |= p[w];
    if (!all) continue;
    std::size_t n = 1;
    parts[0] = {all, 0};
    for (std::size_t j = 0; j < pw.size(); ++j) {
      const std::uint64_t in = pw[j][w];
      const std::size_t before = n;
      for (std::size_t k = 0; k < before; ++k) {
        const std::uint64_t inside = parts[k].bits & in, outside = parts[k].bits & ~in;
        if (!inside) continue;
        if (outside) {
          parts[k].bits = outside;
          parts[n++] = {inside, parts[k].signature | (std::uint64_t{1} << j)};
        } else {
          parts[k].signature |= std::uint64_t{1} << j;
        }
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t atom = 0;
      while (atom < signatures.size() && signatures[atom] != parts[k].signature) ++atom;
      if (atom == signatures.size()) {
        if (atom == kMaxAtoms) return std::nullopt;  // too fragmented: per population
        signatures.push_back(parts[k].signature);
        a.sets.emplace_back(events);
      }
      a.sets[atom].words()[w] = parts[k].bits;
    }
  }
  // Worth it when the populations hold each of their events twice or more on average.
  std::size_t union_count = 0;
  for (const auto& m : a.sets) union_count += m.count();
  if (values < 2 * union_count) return std::nullopt;
  a.of.resize(members.size());
  for (std::size_t i = 0; i < a.sets.size(); ++i)
    for (std::uint64_t sig = signatures[i]; sig; sig &= sig - 1) a.of[large[static_cast<std::size_t>(std::countr_zero(sig))]].push_back(i);
  return a;
}

// The fine bin (kFineShift) holding each of `ranks` (sorted) among the values of `atoms`, and how
// many of those values lie in smaller fine bins, from the atoms' 16-bit histograms `counts` (all
// written only in `pages`) and finer ones `fine`: the 16-bit bin walk_to_rank finds in their
// sum, then the fine bins within it. No population histogram is made.
void fine_bins_of_ranks(std::span<const std::size_t> ranks, std::span<const std::size_t> atoms,
                        std::span<const std::uint32_t* const> counts, std::span<const std::uint32_t* const> fine,
                        std::uint64_t pages, std::vector<std::uint64_t>& bins, std::vector<std::size_t>& below) {
  bins.resize(ranks.size());
  below.resize(ranks.size());
  const auto summed = [&](std::span<const std::uint32_t* const> h) {
    return [&atoms, h](std::uint64_t b) {
      std::size_t c = 0;
      for (std::size_t a : atoms) c += h[a][b];
      return c;
    };
  };
  const auto count = summed(counts), fine_count = summed(fine);
  std::uint64_t bin = 0;
  std::size_t under = 0;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    walk_to_rank(count, pages, ranks[i], bin, under);
    // Then that bin's fine bins (the rank lies among them).
    std::uint64_t f = bin << kFinePerBinBits;
    std::size_t u = under;
    for (;; ++f) {
      const std::size_t c = fine_count(f);
      if (u + c > ranks[i]) break;
      u += c;
    }
    bins[i] = f;
    below[i] = u;
  }
}

// Order statistics of the table's overlapping populations from their atoms: each atom keeps its
// values in the key bins where any of its populations has a wanted rank, once per event, instead
// of each population keeping its own copy. A population's candidates in a bin are then the union
// of its atoms' lists there, exactly its values in that bin (the atoms are disjoint), so the
// r-th of them by key is the value RankSelection finds (a key names one value; the order in
// which the candidates were kept does not matter). Each list is ordered by the next key bits
// (one counting sort per atom), so a rank reads only the few values of one sub-bin of each list.
class AtomRanks {
 public:
  // `atom_counts[a]`: atom a's fine key histogram (kFineShift); `bins[a]`: the distinct fine
  // bins, sorted, whose values atom a keeps (each with a count > 0); `slots[a]`: all 0 (and left
  // so); `arena`: room for room(atom_counts, bins) values.
  static std::size_t room(std::span<const std::uint32_t* const> atom_counts,
                          const std::vector<std::vector<std::uint64_t>>& bins) {
    std::size_t total = 0, most = 0;
    for (std::size_t a = 0; a < bins.size(); ++a) {
      std::size_t kept = 0;
      for (std::uint64_t b : bins[a]) kept += atom_counts[a][b];
      total += kept + kSpare;
      most = std::max(most, kept);
    }
    return total + most;  // and a copy of the most any atom keeps, for sort()
  }
  AtomRanks(std::span<const std::uint32_t* const> atom_counts, const std::vector<std::vector<std::uint64_t>>& bins,
            std::span<ZeroBins<std::int32_t, kFineBins>> slots, double* arena)
      : atoms_(bins.size()) {
    for (std::size_t a = 0; a < bins.size(); ++a) {
      Atom& atom = atoms_[a];
      atom.slots = slots[a].data();
      std::size_t kept = 0;
      for (std::uint64_t b : bins[a]) {
        List l;
        l.bin = b;
        l.n = atom_counts[a][b];
        kept += l.n;
        // Sub-bin bits by the bin's values over all atoms (the same for every list of a bin, so
        // the lists' sub-bin counts add up): about 128 values per sub-bin (fewer sub-bins to count
        // and lay out; a rank's selection runs on one), at most 12 bits.
        std::size_t total = 0;
        for (std::size_t o = 0; o < bins.size(); ++o) total += atom_counts[o][b];
        l.bits = std::clamp(static_cast<int>(std::bit_width(total / 128)), 0, 12);
        atom.lists.push_back(std::move(l));
        atom.slots[b] = static_cast<std::int32_t>(atom.lists.size());
      }
      atom.kept = arena;
      arena += kept + kSpare;
    }
    unsorted_ = arena;
  }
  AtomRanks(const AtomRanks&) = delete;
  AtomRanks& operator=(const AtomRanks&) = delete;
  ~AtomRanks() {
    for (auto& atom : atoms_)
      for (const auto& l : atom.lists) atom.slots[l.bin] = 0;
  }
  bool keeps(std::size_t a) const { return !atoms_[a].lists.empty(); }
  // Keeps atom a's values of the kept bins, in order (calls in event order). Branch-free: every
  // value is written and only a kept one advances the end (room has kSpare values past it).
  void collect(std::size_t a, std::span<const double> v) {
    Atom& atom = atoms_[a];
    const std::int32_t* slots = atom.slots;
    double* out = atom.kept;
    std::size_t m = atom.m;
    for (double x : v) {
      out[m] = x;
      m += slots[order_key(x) >> kFineShift] != 0;
    }
    atom.m = m;
  }
  // After the last collect(): each atom's kept values sorted in place into its lists, each list
  // by its sub-bins (from a copy in room reused by every atom: the arena holds each value once).
  void sort() {
    thread_local std::vector<std::uint32_t> offsets;
    thread_local std::vector<std::size_t> base;
    for (auto& atom : atoms_) {
      if (atom.lists.empty()) continue;
      base.resize(atom.lists.size() + 1);
      base[0] = 0;
      for (std::size_t l = 0; l < atom.lists.size(); ++l) base[l + 1] = base[l] + (std::size_t{1} << atom.lists[l].bits);
      offsets.assign(base.back() + 1, 0);
      const auto bucket = [&](double x) {
        const std::uint64_t key = order_key(x);
        const auto l = static_cast<std::size_t>(atom.slots[key >> kFineShift] - 1);
        const int bits = atom.lists[l].bits;
        const std::uint64_t sub = bits ? (key >> (kFineShift - bits)) & ((std::uint64_t{1} << bits) - 1) : 0;
        return base[l] + static_cast<std::size_t>(sub);
      };
      for (std::size_t j = 0; j < atom.m; ++j) ++offsets[bucket(atom.kept[j]) + 1];
      for (std::size_t b = 0; b < base.back(); ++b) offsets[b + 1] += offsets[b];
      for (std::size_t l = 0; l < atom.lists.size(); ++l) {
        List& list = atom.lists[l];
        list.data = atom.kept + offsets[base[l]];
        list.starts.resize((std::size_t{1} << list.bits) + 1);
        for (std::size_t k = 0; k < list.starts.size(); ++k) list.starts[k] = offsets[base[l] + k] - offsets[base[l]];
      }
      std::copy(atom.kept, atom.kept + atom.m, unsorted_);
      for (std::size_t j = 0; j < atom.m; ++j) atom.kept[offsets[bucket(unsorted_[j])]++] = unsorted_[j];
    }
  }
  // The r-th smallest by key (0-based) of the values in key bin `bin` of the atoms `atoms`
  // (after sort()).
  double value(std::span<const std::size_t> atoms, std::uint64_t bin, std::size_t r) {
    thread_local std::vector<const List*> in;
    in.clear();
    for (std::size_t a : atoms) {
      const std::int32_t slot = atoms_[a].slots[bin];
      if (slot > 0) in.push_back(&atoms_[a].lists[static_cast<std::size_t>(slot) - 1]);
    }
    // The sub-bin holding rank r over the lists: the first whose end lies past r.
    const std::size_t subs = std::size_t{1} << in.front()->bits;
    const auto end_of = [&](std::size_t sub) {
      std::size_t e = 0;
      for (const List* l : in) e += l->starts[sub + 1];
      return e;
    };
    std::size_t lo = 0, hi = subs - 1;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (end_of(mid) > r) hi = mid;
      else lo = mid + 1;
    }
    std::size_t below = 0;
    thread_local std::vector<double> narrowed;
    narrowed.clear();
    for (const List* l : in) {
      below += l->starts[lo];
      narrowed.insert(narrowed.end(), l->data + l->starts[lo], l->data + l->starts[lo + 1]);
    }
    const std::size_t k = r - below;
    const auto by_key = [](double a, double b) { return order_key(a) < order_key(b); };
    std::nth_element(narrowed.begin(), narrowed.begin() + static_cast<std::ptrdiff_t>(k), narrowed.end(), by_key);
    return narrowed[k];
  }

 private:
  static constexpr std::size_t kSpare = 1;  // collect()'s store past the end
  struct List {
    std::uint64_t bin = 0;
    std::size_t n = 0;
    int bits = 0;
    const double* data = nullptr;       // the list's values, by sub-bin (after sort())
    std::vector<std::uint32_t> starts;  // per sub-bin; starts[subs] = n
  };
  struct Atom {
    std::int32_t* slots = nullptr;  // 1 + the list of a kept bin, else 0
    std::vector<List> lists;
    double* kept = nullptr;  // collect()'s values, in order; after sort() the lists, back to back
    std::size_t m = 0;
  };
  std::vector<Atom> atoms_;
  double* unsorted_ = nullptr;  // room for the values any one atom keeps
};

// The first (last) member value equal to zero in event order, of a population whose minimum
// (maximum) is a zero: member_pass() keeps the first smallest and the last largest value, so
// which of -0 and +0 is the extreme follows the events, which the atoms cannot tell. Scans from
// the front (back) and stops at the first zero found; value_at(i) is event i's value. (Only the
// minimum's sign shows in a statistic, as a mode without spread; the maximum is kept alike.)
template <typename ValueAt>
double first_zero(std::span<const std::uint64_t> words, const ValueAt& value_at) {
  for (std::size_t w = 0; w < words.size(); ++w)
    for (std::uint64_t bits = words[w]; bits; bits &= bits - 1)
      if (const double x = value_at(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))); x == 0) return x;
  return 0.0;  // (not reached: the minimum is a member's zero)
}
template <typename ValueAt>
double last_zero(std::span<const std::uint64_t> words, const ValueAt& value_at) {
  for (std::size_t w = words.size(); w-- > 0;)
    for (std::uint64_t bits = words[w]; bits;) {
      const auto b = static_cast<std::size_t>(63 - std::countl_zero(bits));
      bits &= ~(std::uint64_t{1} << b);
      if (const double x = value_at(w * 64 + b); x == 0) return x;
    }
  return 0.0;  // (not reached)
}

// Every member value of words [w0, w1), finite or not, in event order, appended to `out`: a
// population taking the plain path on a float column, read chunk by chunk (population_statistics
// on these equals it on the column, as member_pass reads the members in event order).
void append_members(const double* values, std::span<const std::uint64_t> words, std::size_t w0, std::size_t w1,
                    std::vector<double>& out) {
  for (std::size_t w = w0; w < w1; ++w)
    for (std::uint64_t bits = words[w]; bits; bits &= bits - 1)
      out.push_back(values[(w - w0) * 64 + static_cast<std::size_t>(std::countr_zero(bits))]);
}

// Every population (`order`: largest first) on one channel: out[p * stride] for members[p],
// computed chunk by chunk in two sweeps (first(), combine_atoms(), then second() once
// before_second() says it is wanted). The chunks of a sweep come in order, each a run of
// kChunkWords words (the last maybe shorter) with its events' values.
// With `column` (the whole channel in memory), populations taking the plain path are computed
// from it at once; without it (a float column, read chunk by chunk) their values are gathered in
// the sweeps. With `atoms`, min/max, positive counts and key histograms come from the atoms'
// scans. `ts` holds the histograms and buffers between the calls.
class ChannelTable {
 public:
  ChannelTable(std::span<const Membership* const> members, std::span<const std::size_t> order,
               std::span<const std::size_t> parent_counts, std::size_t total_events,
               const StatisticsOptions& options, PopulationStatistics* out, std::size_t stride, const Atoms* atoms,
               TableScratch& ts, std::span<const double> column)
      : members_(members), parent_counts_(parent_counts), total_events_(total_events), options_(options), out_(out),
        stride_(stride), atoms_(atoms), ts_(ts), column_(column) {
    for (std::size_t p : order) {
      if (members[p]->count() < 4096) {  // small: the plain path
        plain(p, plain_first_);
        continue;
      }
      passes_.emplace_back().index = p;
    }
    if (passes_.empty()) return;
    ts.ensure(passes_.size(), !atoms);
    const std::size_t n = passes_.size();
    chain_items_.resize(n);
    scans_.resize(n);
    chains_.assign(n, 0.0L);
    means_.assign(n, kNaN);
    fours_.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      scans_[i] = {nullptr, 0, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), 0,
                   ts.key_counts[i].data(), 0};
    atom_count_ = atoms ? atoms->sets.size() : 0;
    if (atoms) ts.ensure_atoms(atom_count_);
    atom_scans_.resize(atom_count_);
    atom_n_.assign(atom_count_, 0);
    for (std::size_t a = 0; a < atom_count_; ++a)
      atom_scans_[a] = {nullptr, 0, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                        0, ts.atom_counts[a].data(), 0, ts.atom_fine[a].data()};
    atom_pages_.assign(atoms ? n : 0, 0);
    atom_counts_.resize(atom_count_);
    atom_fine_.resize(atom_count_);
    for (std::size_t a = 0; a < atom_count_; ++a)
      atom_counts_[a] = ts.atom_counts[a].data(), atom_fine_[a] = ts.atom_fine[a].data();
    // With atoms, the sums are made per atom as well (the four partial sums of the values, the
    // log chain, then the squares about the atom's own mean), and a population's are its atoms'
    // combined: one pass over each event instead of one per population holding it.
    atom_sums_.resize(atom_count_);
    atom_fours_.resize(atom_count_);
  }
  ChannelTable(const ChannelTable&) = delete;
  ChannelTable& operator=(const ChannelTable&) = delete;

  // First sweep: the logs of the chunk's events (0, which leaves a log sum as it is, for values
  // without one: a sum of logs is never -0), then each population's (or atom's) finite members.
  void first(const double* values, std::size_t w0, std::size_t w1) {
    gather_plain(plain_first_, values, w0, w1);
    if (passes_.empty()) return;
    auto& ts = ts_;
    // Without atoms, the chunk's logs for the populations' gathers; the atoms take the vector log
    // of their own gathered values (within an ulp of std::log: their sums are not event-order
    // ones anyway).
    double* chunk_logs = ts.chunk_logs.data();
    if (!atoms_) {
      const std::size_t events = std::min(w1 * 64, total_events_) - w0 * 64;
      for (std::size_t i = 0; i < events; ++i) {
        const double x = values[i];
        chunk_logs[i] = std::isfinite(x) && x > 0 ? std::log(x) : 0.0;
      }
      for (std::size_t i = 0; i < passes_.size(); ++i) {
        auto& c = passes_[i];
        double* v = ts.values[i].data();
        const std::size_t n =
            gather_finite(values, chunk_logs, members_[c.index]->words(), w0, w1, v, ts.logs[i].data());
        fours_[i] = {c.sum, c.pending, &c.pending_n, v, n};
        c.n += n;
        scans_[i].data = v;
        scans_[i].left = n;
        chain_items_[i] = {ts.logs[i].data(), n, 0.0, &chains_[i]};
      }
    }
    for (std::size_t a = 0; a < atom_count_; ++a) {
      double* v = ts.atom_values[a].data();
      const std::size_t n = gather_finite(values, nullptr, atoms_->sets[a].words(), w0, w1, v, nullptr);
      atom_n_[a] += n;
      atom_scans_[a].data = v;
      atom_scans_[a].left = n;
      AtomSums& t = atom_sums_[a];
      atom_fours_[a] = {t.sum, t.pending, &t.pending_n, v, n};
      add_logs(t.logs, {v, n});
    }
    std::span<FourSums> runs = atoms_ ? std::span(atom_fours_) : std::span(fours_);
    for (std::size_t i = 0; i + 1 < runs.size(); i += 2) add_in_fours_pair(runs[i], runs[i + 1]);
    if (runs.size() % 2) {
      const FourSums& last = runs.back();
      add_in_fours(last.sum, last.pending, *last.pending_n, last.v, last.n);
    }
    if (atoms_)
      in_lanes(std::span<ScanItem>(atom_scans_),
               [](auto K, ScanItem* const* lane, std::size_t m) { scan_kernel<K(), true>(lane, m); });
    else
      in_lanes(std::span<ScanItem>(scans_),
               [](auto K, ScanItem* const* lane, std::size_t m) { scan_kernel<K()>(lane, m); });
    if (!atoms_) run_chains<false>(chain_items_);
  }

  // After the first sweep: with atoms, each population's sums, min/max and positive count from
  // its atoms'; a zero at either end looked up by value_at(i), event i's value (first_zero,
  // last_zero).
  template <typename ValueAt>
  void combine_atoms(const ValueAt& value_at) {
    if (!atoms_ || passes_.empty()) return;
    // Each atom's total and mean, then each population's count, total (handed on as its first
    // partial sum) and log sum from its atoms'.
    for (std::size_t a = 0; a < atom_count_; ++a) atom_sums_[a].finish(atom_n_[a]);
    for (std::size_t i = 0; i < passes_.size(); ++i) {
      auto& c = passes_[i];
      long double total = 0, logs = 0;
      for (std::size_t a : atoms_->of[c.index]) {
        if (atom_n_[a] == 0) continue;
        c.n += atom_n_[a];
        total += atom_sums_[a].total;
        logs += atom_sums_[a].logs.total();
      }
      c.sum[0] = total;
      chains_[i] = logs;
      // Min/max, positive count and the pages of its atoms' histograms (its ranks are found in
      // their sum, fine_bins_of_ranks). Values other than zeros compare equal only to
      // themselves, so min and max are the population's; for a zero at either end the event
      // order decides its sign.
      auto& scan = scans_[i];
      for (std::size_t a : atoms_->of[c.index]) {
        if (atom_n_[a] == 0) continue;
        const ScanItem& at = atom_scans_[a];
        if (at.lo < scan.lo) scan.lo = at.lo;
        if (at.hi > scan.hi) scan.hi = at.hi;
        scan.positive += at.positive;
        atom_pages_[i] |= at.pages;
      }
      if (c.n == 0) continue;
      const auto words = members_[c.index]->words();
      if (scan.lo == 0) scan.lo = first_zero(words, value_at);
      if (scan.hi == 0) scan.hi = last_zero(words, value_at);
    }
  }

  // Between the sweeps: the populations with at least 4096 finite values go on to the second
  // sweep (the others take the plain path). Without atoms, their candidates' room is laid out in
  // one arena; with atoms, the atoms keep the candidates (AtomRanks), in the bins holding a rank
  // of any of their populations. Whether the second sweep is wanted.
  bool before_second() {
    auto& ts = ts_;
    std::vector<std::size_t> room(passes_.size(), 0);
    std::size_t total_room = 0;
    ranks_.resize(passes_.size());
    rank_bins_.resize(passes_.size());
    rank_below_.resize(passes_.size());
    for (std::size_t i = 0; i < passes_.size(); ++i) {
      auto& c = passes_[i];
      const std::size_t p = c.index;
      if (c.n < 4096) {
        plain(p, plain_second_);
        continue;
      }
      const long double total = four_sums_total(c.sum, c.pending, c.pending_n);
      means_[i] = static_cast<double>(total / static_cast<long double>(c.n));
      ranks_[i] = wanted_ranks(c.n, options_.percentiles);
      if (atoms_) {
        fine_bins_of_ranks(ranks_[i], atoms_->of[passes_[i].index], atom_counts_, atom_fine_, atom_pages_[i],
                           rank_bins_[i], rank_below_[i]);
      } else {
        room[i] = RankSelection::candidates_needed(ranks_[i], ts.key_counts[i].data(),
                                                   RankSelection::first_bin(scans_[i].lo));
        total_room += room[i];
      }
      large_.push_back(i);
    }
    if (large_.empty()) return !plain_second_.empty();
    // Each atom's kept fine bins: those of its populations' ranks where it has values.
    std::vector<std::vector<std::uint64_t>> atom_bins(atom_count_);
    if (atoms_) {
      for (std::size_t i : large_)
        for (std::size_t a : atoms_->of[passes_[i].index])
          for (std::uint64_t b : rank_bins_[i])
            if (atom_n_[a] > 0 && atom_fine_[a][b] > 0) atom_bins[a].push_back(b);
      for (std::size_t a = 0; a < atom_count_; ++a) {
        auto& bins = atom_bins[a];
        std::sort(bins.begin(), bins.end());
        bins.erase(std::unique(bins.begin(), bins.end()), bins.end());
      }
      total_room = AtomRanks::room(atom_fine_, atom_bins);
    }
    // Room for the populations' candidates (without atoms; sized for the largest at once) or the
    // atoms' (a few values per fine bin).
    if (ts.arena.events() < total_room)
      ts.arena = fcs::EventMatrix(std::max(total_room, std::size_t{1} << (atoms_ ? 16 : 19)), 1);
    double* arena = ts.arena.data();
    if (atoms_) atom_ranks_.emplace(atom_fine_, atom_bins, std::span(ts.atom_slots).first(atom_count_), arena);
    for (std::size_t i : large_) {
      auto& c = passes_[i];
      const std::size_t p = c.index;
      PopulationStatistics& s = out_[p * stride_];
      s = {};
      s.count = members_[p]->count();
      s.percent_parent =
          parent_counts_[p] ? 100.0 * static_cast<double>(s.count) / static_cast<double>(parent_counts_[p]) : kNaN;
      s.percent_total = total_events_ ? 100.0 * static_cast<double>(s.count) / static_cast<double>(total_events_) : kNaN;
      c.large = std::make_unique<LargeStatistics>(s, c.n, means_[i], scans_[i].lo, scans_[i].hi, chains_[i],
                                                  scans_[i].positive, atoms_ ? ranks_[i] : std::move(ranks_[i]),
                                                  ts.key_counts[i].data(), atoms_ ? nullptr : &ts.slots[i], arena,
                                                  ts.quads[i], options_);
      arena += room[i];
    }
    // With atoms, the modes too: populations with the same extremes (bit for bit) bin their
    // values alike, so each such group counts its atoms' values once (an atom's values all belong
    // to each of its populations), and a population's counts are the sums of its atoms'.
    group_of_.assign(passes_.size(), 0);
    mode_bins_ = std::max<std::size_t>(1, options_.mode_bins);
    if (atoms_)
      for (std::size_t i : large_) {
        const double lo = scans_[i].lo, hi = scans_[i].hi;
        if (!(hi > lo)) continue;  // no spread: the mode is lo
        std::size_t g = 0;
        const auto same = [](double a, double b) {
          return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
        };
        while (g < groups_.size() && !(same(groups_[g].lo, lo) && same(groups_[g].hi, hi))) ++g;
        if (g == groups_.size()) groups_.push_back({lo, hi, std::vector<std::vector<std::size_t>>(atom_count_)});
        group_of_[i] = g;
        for (std::size_t a : atoms_->of[passes_[i].index])
          if (atom_n_[a] > 0 && groups_[g].quads[a].empty()) groups_[g].quads[a].assign(kModeLanes * mode_bins_, 0);
      }
    std::fill(chains_.begin(), chains_.end(), 0.0L);
    chain_items_.resize(large_.size());
    return true;
  }

  // Second sweep: the sums of squares, the modes' histograms and the percentiles' candidates.
  void second(const double* values, std::size_t w0, std::size_t w1) {
    gather_plain(plain_second_, values, w0, w1);
    auto& ts = ts_;
    for (std::size_t j = 0; j < large_.size() && !atoms_; ++j) {
      const std::size_t i = large_[j];
      double* v = ts.values[i].data();
      const std::size_t n = gather_finite(values, nullptr, members_[passes_[i].index]->words(), w0, w1, v, nullptr);
      passes_[i].large->add({v, n});  // with atoms, candidates and modes come from the atoms
      chain_items_[j] = {v, n, means_[i], &chains_[i]};
    }
    if (large_.empty()) return;
    for (std::size_t a = 0; a < atom_count_; ++a) {
      if (atom_n_[a] == 0) continue;
      double* v = ts.atom_values[a].data();
      const std::size_t n = gather_finite(values, nullptr, atoms_->sets[a].words(), w0, w1, v, nullptr);
      if (atom_ranks_->keeps(a)) atom_ranks_->collect(a, {v, n});
      for (auto& g : groups_)
        if (!g.quads[a].empty()) count_mode_bins({v, n}, g.lo, g.hi, mode_bins_, g.quads[a].data());
      add_squares(atom_sums_[a].squares, {v, n}, atom_sums_[a].mean);
    }
    if (!atoms_) run_chains<true>(chain_items_);
  }

  // The populations' statistics written; the histograms back to zero for the next channel.
  void finish() {
    finish_plain(plain_first_);
    finish_plain(plain_second_);
    if (!large_.empty()) finish_large();
    clear_atom_counts();
    for (std::size_t i = 0; i < passes_.size(); ++i) clear_pages(ts_.key_counts[i].data(), scans_[i].pages);
  }

 private:
  // A population whose statistics come from the plain path: at once from the column, else from
  // its values gathered in a sweep (`list`).
  void plain(std::size_t p, std::vector<std::pair<std::size_t, std::vector<double>>>& list) {
    if (!column_.empty())
      out_[p * stride_] =
          population_statistics(column_, *members_[p], parent_counts_[p], total_events_, options_);
    else
      list.emplace_back(p, std::vector<double>()).second.reserve(members_[p]->count());
  }
  void gather_plain(std::vector<std::pair<std::size_t, std::vector<double>>>& list, const double* values,
                    std::size_t w0, std::size_t w1) {
    for (auto& [p, gathered] : list) append_members(values, members_[p]->words(), w0, w1, gathered);
  }
  void finish_plain(std::vector<std::pair<std::size_t, std::vector<double>>>& list) {
    for (auto& [p, gathered] : list) {
      const Membership all(gathered.size(), true);
      out_[p * stride_] = population_statistics(gathered, all, parent_counts_[p], total_events_, options_);
    }
    list.clear();
  }

  void finish_large() {
    // A population's sum of squares about its mean from its atoms' about theirs: with
    // d = m_a - m, sum (x - m)^2 = sum (x - m_a)^2 + 2 d sum (x - m_a) + n_a d^2 over each atom a,
    // in long double (sum (x - m_a) is the atom's total less n_a m_a: m_a is rounded to double).
    if (atoms_)
      for (std::size_t i : large_) {
        long double ss = 0;
        for (std::size_t a : atoms_->of[passes_[i].index]) {
          const AtomSums& t = atom_sums_[a];
          if (atom_n_[a] == 0) continue;
          const long double n = static_cast<long double>(atom_n_[a]);
          const long double d = static_cast<long double>(t.mean) - static_cast<long double>(means_[i]);
          ss += t.squares.total() + 2 * d * (t.total - n * static_cast<long double>(t.mean)) + n * d * d;
        }
        chains_[i] = ss;
      }
    if (atoms_) atom_ranks_->sort();
    std::vector<double> rank_values;
    for (std::size_t i : large_) {
      if (atoms_) {
        rank_values.resize(ranks_[i].size());
        const auto& of = atoms_->of[passes_[i].index];
        for (std::size_t k = 0; k < ranks_[i].size(); ++k)
          rank_values[k] = atom_ranks_->value(of, rank_bins_[i][k], ranks_[i][k] - rank_below_[i][k]);
        const std::span<std::size_t> quad = passes_[i].large->mode_quad();
        if (!quad.empty())
          for (std::size_t a : of) {
            const auto& counted = groups_[group_of_[i]].quads[a];
            if (counted.empty()) continue;  // an atom without values here
            for (std::size_t k = 0; k < quad.size(); ++k) quad[k] += counted[k];
          }
        passes_[i].large->finish(chains_[i], rank_values);
      } else {
        passes_[i].large->finish(chains_[i]);
      }
      passes_[i].large.reset();  // frees its slots before the next channel
    }
    atom_ranks_.reset();
  }

  // A histogram's written pages back to zero.
  static void clear_pages(std::uint32_t* counts, std::uint64_t pages) {
    for (; pages; pages &= pages - 1) {
      const std::uint64_t first = static_cast<std::uint64_t>(std::countr_zero(pages)) << kPageShift;
      std::fill(counts + first, counts + first + kPageBins, 0u);
    }
  }
  // The atoms' histograms are kept for AtomRanks until the end. The fine bins written are those
  // under the 16-bit bins written: only they are cleared (and so ever touched).
  void clear_atom_counts() {
    for (std::size_t a = 0; a < atom_count_; ++a) {
      std::uint32_t* counts = ts_.atom_counts[a].data();
      std::uint32_t* fine = ts_.atom_fine[a].data();
      for (std::uint64_t pages = atom_scans_[a].pages; pages; pages &= pages - 1) {
        const std::uint64_t first = static_cast<std::uint64_t>(std::countr_zero(pages)) << kPageShift;
        for (std::uint64_t b = first; b < first + kPageBins; ++b)
          if (counts[b]) std::fill_n(fine + (b << kFinePerBinBits), std::size_t{1} << kFinePerBinBits, 0u);
      }
      clear_pages(counts, atom_scans_[a].pages);
    }
  }

  struct ModeGroup {
    double lo, hi;
    std::vector<std::vector<std::size_t>> quads;  // per atom (empty: not counted)
  };

  std::span<const Membership* const> members_;
  std::span<const std::size_t> parent_counts_;
  std::size_t total_events_;
  const StatisticsOptions& options_;
  PopulationStatistics* out_;
  std::size_t stride_;
  const Atoms* atoms_;
  TableScratch& ts_;
  std::span<const double> column_;  // empty: the values come chunk by chunk only

  std::vector<PopulationPass> passes_;
  std::vector<std::pair<std::size_t, std::vector<double>>> plain_first_, plain_second_;  // (population, values)
  std::vector<ChainItem> chain_items_;
  std::vector<ScanItem> scans_;
  std::vector<long double> chains_;
  std::vector<double> means_;
  std::vector<FourSums> fours_;
  std::size_t atom_count_ = 0;
  std::vector<ScanItem> atom_scans_;
  std::vector<std::size_t> atom_n_;
  std::vector<std::uint64_t> atom_pages_;  // per population: its atoms' pages
  std::vector<const std::uint32_t*> atom_counts_, atom_fine_;
  std::vector<AtomSums> atom_sums_;
  std::vector<FourSums> atom_fours_;
  std::vector<std::size_t> large_;
  std::vector<std::vector<std::size_t>> ranks_;
  std::vector<std::vector<std::uint64_t>> rank_bins_;
  std::vector<std::vector<std::size_t>> rank_below_;
  std::optional<AtomRanks> atom_ranks_;
  std::vector<ModeGroup> groups_;
  std::vector<std::size_t> group_of_;
  std::size_t mode_bins_ = 1;
};

// One channel, swept chunk by chunk on the calling thread. A double column is read in place
// (and serves the plain path whole); a float32 column is widened chunk by chunk into a buffer in
// cache (half the bytes of a double column to read), its plain populations gathered in the sweeps.
template <typename Value>
void channel_task(std::span<const Value> column, std::span<const Membership* const> members,
                  std::span<const std::size_t> order, std::span<const std::size_t> parent_counts,
                  std::size_t total_events, const StatisticsOptions& options, PopulationStatistics* out,
                  std::size_t stride, const Atoms* atoms) {
  constexpr bool kDoubles = std::is_same_v<Value, double>;
  std::span<const double> whole;
  if constexpr (kDoubles) whole = column;
  ChannelTable t(members, order, parent_counts, total_events, options, out, stride, atoms, table_scratch(), whole);
  thread_local std::vector<double> chunk(kChunkEvents);
  const std::size_t words = (total_events + 63) / 64;
  const auto sweep = [&](auto&& step) {
    for (std::size_t w0 = 0; w0 < words; w0 += kChunkWords) {
      const std::size_t w1 = std::min(words, w0 + kChunkWords);
      const std::size_t first = w0 * 64, end = std::min(w1 * 64, total_events);
      if constexpr (kDoubles) {
        step(column.data() + first, w0, w1);
      } else {
        std::copy(column.begin() + static_cast<std::ptrdiff_t>(first),
                  column.begin() + static_cast<std::ptrdiff_t>(end), chunk.begin());
        step(chunk.data(), w0, w1);
      }
    }
  };
  sweep([&](const double* v, std::size_t w0, std::size_t w1) { t.first(v, w0, w1); });
  t.combine_atoms([&](std::size_t i) { return static_cast<double>(column[i]); });
  if (t.before_second()) sweep([&](const double* v, std::size_t w0, std::size_t w1) { t.second(v, w0, w1); });
  t.finish();
}

}  // namespace

std::vector<PopulationStatistics> population_statistics_table(std::span<const std::span<const double>> channels,
                                                               std::span<const Membership* const> members,
                                                               std::span<const std::size_t> parent_counts,
                                                               std::size_t total_events,
                                                               const StatisticsOptions& options) {
  std::vector<ChannelValues> values(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) values[c].doubles = channels[c];
  return population_statistics_table(values, members, parent_counts, total_events, options);
}

std::vector<PopulationStatistics> population_statistics_table(std::span<const ChannelValues> channels,
                                                               std::span<const Membership* const> members,
                                                               std::span<const std::size_t> parent_counts,
                                                               std::size_t total_events,
                                                               const StatisticsOptions& options) {
  if (parent_counts.size() != members.size())
    throw Error("statistics: " + std::to_string(parent_counts.size()) + " parent counts for " +
                std::to_string(members.size()) + " populations");
  for (const auto& c : channels)
    if (c.size() != total_events)
      throw Error("statistics: " + std::to_string(c.size()) + " values for " + std::to_string(total_events) + " events");
  for (const auto* m : members)
    if (m->events() != total_events)
      throw Error("statistics: a population of " + std::to_string(m->events()) + " events for " +
                  std::to_string(total_events));
  const std::size_t width = channels.size();
  std::vector<PopulationStatistics> out(members.size() * width);
  if (width == 0 || members.empty()) return out;
  // Largest populations first: their chains start first and the lanes finish together.
  std::vector<std::size_t> order(members.size());
  for (std::size_t p = 0; p < order.size(); ++p) order[p] = p;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return members[a]->count() > members[b]->count(); });
  const std::optional<Atoms> atoms = atoms_of(members, order);
  const Atoms* shared = atoms ? &*atoms : nullptr;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, width, 1),
      [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t c = r.begin(); c != r.end(); ++c)
          if (!channels[c].floats.empty())
            channel_task(channels[c].floats, members, order, parent_counts, total_events, options, out.data() + c,
                         width, shared);
          else
            channel_task(channels[c].doubles, members, order, parent_counts, total_events, options, out.data() + c,
                         width, shared);
      },
      tbb::simple_partitioner());
  return out;
}

}  // namespace cytopipe::gating
