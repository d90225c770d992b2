#pragma once
// Exact order statistics of a large set of values for the finders, without copying or sorting
// them: radix selection on the values' bits (a histogram of the top 16 bits of an
// order-preserving key finds the bin holding each wanted rank; the next 16 bits narrow a crowded
// bin; std::nth_element finishes on the few values left), each pass parallel over blocks of
// events. The values are given by a callable, so a derived value (height / fitted line, distance
// from a peak) is computed in each pass instead of being stored. The value found at a rank is the
// one std::nth_element finds there, so results are bit for bit those of a sort.
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "gating/finder_ranks.hpp"
#include "gating/finder_simd.hpp"

namespace cytopipe::gating::detail {

// Fewer values than this are selected with std::nth_element on a copy (no pass overhead).
inline constexpr std::size_t kSelectMinimum = 1 << 15;
// Events per parallel block.
inline constexpr std::size_t kSelectGrain = 1 << 15;

// An unsigned key with the order of the doubles (-0 before +0, which selection never has to
// tell apart: see Selection::exact).
inline std::uint64_t select_key(double x) noexcept {
  const auto u = std::bit_cast<std::uint64_t>(x);
  return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}

// Count arrays of the first selection level, reused: fresh 256 KiB blocks would be mapped and
// page-faulted on every selection.
class CountBlocks {
 public:
  static constexpr std::size_t kSize = std::size_t{1} << 16;
  std::unique_ptr<std::uint32_t[]> take() {
    {
      const std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        auto block = std::move(free_.back());
        free_.pop_back();
        return block;
      }
    }
    return std::make_unique<std::uint32_t[]>(kSize);
  }
  void give(std::unique_ptr<std::uint32_t[]> block) {
    const std::lock_guard lock(mutex_);
    free_.push_back(std::move(block));
  }
  static CountBlocks& shared() {
    static CountBlocks blocks;
    return blocks;
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<std::uint32_t[]>> free_;
};

// One zeroed count array for the life of the object.
struct Counts {
  std::unique_ptr<std::uint32_t[]> block = CountBlocks::shared().take();
  Counts() { std::fill_n(block.get(), CountBlocks::kSize, 0u); }
  Counts(const Counts&) = delete;
  Counts& operator=(const Counts&) = delete;
  ~Counts() { CountBlocks::shared().give(std::move(block)); }
  std::uint32_t& operator[](std::size_t i) { return block[i]; }
  std::uint32_t operator[](std::size_t i) const { return block[i]; }
};

// Event-length value buffers, reused between finder calls (a fresh million-value block costs
// page faults on every call). A taken buffer belongs to its taker until given back.
class ValueBuffers {
 public:
  std::vector<double> take(std::size_t size) {
    std::vector<double> buffer;
    {
      const std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        buffer = std::move(free_.back());
        free_.pop_back();
      }
    }
    buffer.resize(size);
    return buffer;
  }
  void give(std::vector<double> buffer) {
    const std::lock_guard lock(mutex_);
    if (free_.size() < 4) free_.push_back(std::move(buffer));
  }
  static ValueBuffers& shared() {
    static ValueBuffers buffers;
    return buffers;
  }

 private:
  std::mutex mutex_;
  std::vector<std::vector<double>> free_;
};

// Selection over `n` indices whose values `value(i, v)` gives (returning false for an index left
// out). Construct (one pass: count and histogram of the keys' top 16 bits), then ask for ranks
// among the counted values.
template <class Value>
class Selection {
 public:
  Selection(std::size_t n, const Value& value) : n_(n), value_(value) {
    tbb::enumerable_thread_specific<Counts> locals;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Counts& l = locals.local();
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        const bool counted = value_(i, v);  // no branch: about half the values may be left out
        l[select_key(v) >> kShift] += counted;
      }
    });
    for (const Counts& l : locals)
      for (std::size_t b = 0; b < kBins; ++b) counts_[b] += l[b];
    bool finite = true;
    for (std::size_t b = 0; b < kBins; ++b) {
      count_ += counts_[b];
      // Bins holding NaN or infinity (beyond the largest finite magnitudes' keys).
      if (counts_[b] && (b < 0x0010 || b >= 0xfff0)) finite = false;
    }
    // std::nth_element cannot tell -0 from +0 (nor order NaN): where both zeros may occur (the
    // bins of the smallest magnitudes of both signs), which one it leaves at a rank is its own
    // business, so the caller selects as before.
    exact_ = finite && !(counts_[0x7fff] && counts_[0x8000]);
  }

  std::size_t count() const { return count_; }
  // Whether at() gives what std::nth_element would (finite values, not both -0 and +0).
  bool exact() const { return exact_; }

  // The values at `ranks` (0-based, each < count()) in ascending order of value.
  std::vector<double> at(std::span<const std::size_t> ranks) const {
    std::vector<Want> wants;
    for (std::size_t rank : ranks) {
      std::uint64_t bin = 0;
      std::size_t below = 0;
      while (below + counts_[bin] <= rank) below += counts_[bin++];
      wants.push_back({bin, rank - below, counts_[bin]});
    }
    // Crowded bins are narrowed by the next 12 key bits first.
    std::vector<std::uint64_t> crowded;
    for (const Want& w : wants)
      if (counts_[w.prefix] > kCrowded && std::find(crowded.begin(), crowded.end(), w.prefix) == crowded.end())
        crowded.push_back(w.prefix);
    if (!crowded.empty()) {
      const std::vector<std::vector<std::uint32_t>> fine = histograms(crowded);
      for (Want& w : wants) {
        const auto c = std::find(crowded.begin(), crowded.end(), w.prefix);
        if (c == crowded.end()) continue;
        const auto& counts = fine[static_cast<std::size_t>(c - crowded.begin())];
        std::uint64_t sub = 0;
        while (counts[sub] <= w.rank) w.rank -= counts[sub++];
        w.count = counts[sub];
        w.prefix = (w.prefix << kFineBits) | sub;
        w.wide = true;
      }
    }
    // The candidates of every wanted prefix, then nth_element among each prefix's own.
    std::vector<Want> prefixes;
    for (const Want& w : wants)
      if (std::find(prefixes.begin(), prefixes.end(), w) == prefixes.end()) prefixes.push_back(w);
    std::vector<std::vector<double>> candidates = collect(prefixes);
    std::vector<double> out;
    for (const Want& w : wants) {
      auto& c = candidates[static_cast<std::size_t>(std::find(prefixes.begin(), prefixes.end(), w) - prefixes.begin())];
      std::nth_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(w.rank), c.end());
      out.push_back(c[w.rank]);
    }
    return out;
  }

 private:
  static constexpr int kShift = 48;
  static constexpr std::size_t kBins = CountBlocks::kSize;
  static constexpr int kFineBits = 12;
  static constexpr std::size_t kCrowded = 2048;  // a bin with more values is narrowed first

  struct Want {
    std::uint64_t prefix;  // the key's top 16 bits, or 16 + kFineBits where `wide`
    std::size_t rank;      // rank among the values with that prefix
    std::size_t count;     // how many values have that prefix
    bool wide = false;
    bool operator==(const Want& o) const { return prefix == o.prefix && wide == o.wide; }
    std::uint64_t bin() const { return wide ? prefix >> kFineBits : prefix; }
  };

  // For each crowded bin, a histogram of the next kFineBits key bits of its values. Branch-free
  // (a crowded bin may hold a third of the values, so a test per value would be mispredicted
  // often): a table sends the other bins' values to a discarded slot 0.
  std::vector<std::vector<std::uint32_t>> histograms(const std::vector<std::uint64_t>& bins) const {
    std::vector<std::uint16_t> tag(kBins, 0);
    for (std::size_t b = 0; b < bins.size(); ++b) tag[bins[b]] = static_cast<std::uint16_t>(b + 1);
    constexpr std::uint64_t kFineMask = (std::uint64_t{1} << kFineBits) - 1;
    const std::size_t size = (bins.size() + 1) << kFineBits;
    tbb::enumerable_thread_specific<std::vector<std::uint32_t>> locals(size, 0u);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      auto& l = locals.local();
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        const bool counted = value_(i, v);
        const std::uint64_t key = select_key(v);
        l[(std::size_t{tag[key >> kShift]} << kFineBits) | ((key >> (kShift - kFineBits)) & kFineMask)] += counted;
      }
    });
    std::vector<std::vector<std::uint32_t>> out(bins.size(), std::vector<std::uint32_t>(std::size_t{1} << kFineBits, 0));
    for (const auto& l : locals)
      for (std::size_t k = std::size_t{1} << kFineBits; k < size; ++k) out[(k >> kFineBits) - 1][k & kFineMask] += l[k];
    return out;
  }

  // The values under each wanted prefix (16 bits, or 16 + kFineBits where wide): a two-level
  // table gives each value's slot (0: none).
  std::vector<std::vector<double>> collect(const std::vector<Want>& prefixes) const {
    constexpr std::uint64_t kFineMask = (std::uint64_t{1} << kFineBits) - 1;
    std::vector<std::uint16_t> tag(kBins, 0);
    std::vector<std::uint64_t> bins;
    for (const Want& w : prefixes)
      if (std::find(bins.begin(), bins.end(), w.bin()) == bins.end()) bins.push_back(w.bin());
    for (std::size_t b = 0; b < bins.size(); ++b) tag[bins[b]] = static_cast<std::uint16_t>(b + 1);
    std::vector<std::uint8_t> slot((bins.size() + 1) << kFineBits, 0);
    std::vector<std::size_t> capacity(prefixes.size() + 1, 1);
    for (std::size_t p = 0; p < prefixes.size(); ++p) {
      const Want& w = prefixes[p];
      const std::size_t row = static_cast<std::size_t>(std::find(bins.begin(), bins.end(), w.bin()) - bins.begin()) + 1;
      for (std::uint64_t sub = 0; sub <= kFineMask; ++sub)
        if (!w.wide || (w.prefix & kFineMask) == sub) slot[(row << kFineBits) | sub] = static_cast<std::uint8_t>(p + 1);
      capacity[p + 1] = w.count;
    }
    struct Lists {
      std::vector<std::vector<double>> values;
      std::vector<std::size_t> size;
    };
    tbb::enumerable_thread_specific<Lists> locals([&] {
      Lists l;
      for (std::size_t c : capacity) l.values.emplace_back(c);
      l.size.assign(capacity.size(), 0);
      return l;
    });
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Lists& l = locals.local();
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        const bool counted = value_(i, v);
        const std::uint64_t key = select_key(v);
        const std::size_t p = slot[(std::size_t{tag[key >> kShift]} << kFineBits) | ((key >> (kShift - kFineBits)) & kFineMask)];
        // Candidates are few (a wanted prefix holds at most kCrowded values or one fine bin), so
        // this branch is predicted well; a branch-free write chained every value through l.size.
        if ((p != 0) & counted) l.values[p][l.size[p]++] = v;
      }
    });
    std::vector<std::vector<double>> out(prefixes.size());
    for (const Lists& l : locals)
      for (std::size_t p = 0; p < prefixes.size(); ++p)
        out[p].insert(out[p].end(), l.values[p + 1].begin(), l.values[p + 1].begin() + static_cast<std::ptrdiff_t>(l.size[p + 1]));
    return out;
  }

  std::size_t n_;
  const Value& value_;
  Counts counts_;
  std::size_t count_ = 0;
  bool exact_ = true;
};

// The type-7 quantiles `ps` (each within 0..1) of the counted values, as quantile7 gives them
// (the two order statistics around (count - 1) p, interpolated). The selection must be exact().
template <class Value>
std::vector<double> selection_quantiles(const Selection<Value>& s, std::span<const double> ps) {
  const std::size_t n = s.count();
  std::vector<std::size_t> ranks;
  for (double p : ps) {
    const auto k = static_cast<std::size_t>(std::floor((static_cast<double>(n) - 1) * p));
    ranks.push_back(k);
    if (k + 1 < n) ranks.push_back(k + 1);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  const std::vector<double> values = s.at(ranks);
  auto value_at = [&](std::size_t k) { return values[static_cast<std::size_t>(std::lower_bound(ranks.begin(), ranks.end(), k) - ranks.begin())]; };
  std::vector<double> out;
  for (double p : ps) {
    const double h = (static_cast<double>(n) - 1) * p;
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double lower = value_at(k);
    if (k + 1 >= n) {
      out.push_back(lower);
      continue;
    }
    const double upper = value_at(k + 1);
    out.push_back(lower + (h - static_cast<double>(k)) * (upper - lower));
  }
  return out;
}

// Uninitialised double buffers that keep their size between finder calls (a fresh page costs a
// fault each, ~15 us on a virtual machine; a zeroed resize a write of the whole buffer).
struct Scratch {
  std::unique_ptr<double[]> data;
  std::size_t capacity = 0;
  // Room for `size` values, the first `keep` kept.
  void reserve(std::size_t size, std::size_t keep) {
    if (size <= capacity) return;
    auto grown = std::make_unique_for_overwrite<double[]>(size * 2);
    std::copy_n(data.get(), keep, grown.get());
    data = std::move(grown);
    capacity = size * 2;
  }
};
class ScratchPool {
 public:
  Scratch take() {
    const std::lock_guard lock(mutex_);
    if (free_.empty()) return {};
    Scratch s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void give(Scratch s) {
    const std::lock_guard lock(mutex_);
    if (s.capacity && free_.size() < 16) free_.push_back(std::move(s));
  }
  static ScratchPool& shared() {
    static ScratchPool pool;
    return pool;
  }

 private:
  std::mutex mutex_;
  std::vector<Scratch> free_;
};
// A pooled buffer for the life of the object, and how many values it holds.
struct PooledValues {
  Scratch s = ScratchPool::shared().take();
  std::size_t size = 0;
  PooledValues() = default;
  PooledValues(PooledValues&& o) noexcept : s(std::move(o.s)), size(o.size) { o.s.capacity = 0; }
  PooledValues& operator=(PooledValues&&) = delete;
  ~PooledValues() { ScratchPool::shared().give(std::move(s)); }
  double* begin() { return s.data.get(); }
  double* end() { return s.data.get() + size; }
};

// The values of a column, every one counted, as a Value of the selections below. (A Value with a
// `column` may also have a `block(begin, end)`, called once for each block of the pass, in any
// order and from any thread, right after the block was counted.)
struct ColumnValues {
  std::span<const double> column;
  bool operator()(std::size_t i, double& v) const {
    v = column[i];
    return true;
  }
};

// The values of a column on one side of a bound (side -1: those <= bound, +1: those >= bound).
struct SideValues {
  std::span<const double> column;
  int side;
  double bound;
  bool operator()(std::size_t i, double& v) const {
    v = column[i];
    return side < 0 ? v <= bound : v >= bound;
  }
};

// Order statistics of the counted values in ONE pass where a sample brackets them: a strided
// sample of the values gives, for each wanted fraction `ps`, a range of values holding that rank
// with a wide margin; the pass counts the values below each range and keeps those inside it (a
// few per cent), and std::nth_element finds each rank among those kept. The ranks are asked for
// once the count is known (`ranks_for(count)`). Nothing (the caller selects as before) when a
// rank falls outside its range, a value is not finite, or a value found is zero (which of -0 and
// +0 std::nth_element leaves there is its own choice). Else the values are those of a sort.
struct Bracketed {
  std::size_t count = 0;       // counted values
  std::vector<double> values;  // at ranks_for(count), in its order
};

template <class Value, class RanksFor>
std::optional<Bracketed> bracketed_select(std::size_t n, const Value& value, std::span<const double> ps,
                                          const RanksFor& ranks_for) {
  constexpr std::size_t kSample = 8192;
  const std::size_t stride = std::max<std::size_t>(n / kSample, 1);
  std::vector<double> sample;
  sample.reserve(n / stride + 1);
  // One event of each stride, at a scrambled place within it (an even stride could fall on a
  // period of the file: every third event left out, or an interleaved acquisition).
  for (std::size_t first = 0, k = 0; first < n; first += stride, ++k) {
    const std::size_t i = first + (k * 2654435761u) % stride;
    if (double v; i < n && value(i, v)) {
      if (!std::isfinite(v)) return std::nullopt;
      sample.push_back(v);
    }
  }
  if (sample.size() < 256) return std::nullopt;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto m = static_cast<double>(sample.size());
  struct Range {
    double lo, hi;
  };
  // Each range's bounds: the sample's values at ranks a margin either side of the fraction's
  // (all of them by one bucketed selection, else std::nth_element each).
  std::vector<std::size_t> bound_ranks;
  for (double p : ps) {
    const double centre = p * (m - 1), margin = 4 * std::sqrt(m * p * (1 - p)) + 24;
    if (centre - margin > 0) bound_ranks.push_back(static_cast<std::size_t>(std::floor(centre - margin)));
    if (centre + margin < m - 1) bound_ranks.push_back(static_cast<std::size_t>(std::ceil(centre + margin)));
  }
  std::vector<double> bound_values(bound_ranks.size());
  const bool selected = select_ranks(sample, bound_ranks, bound_values);
  std::size_t next = 0;
  const auto at = [&](double j) {
    const auto k = static_cast<std::ptrdiff_t>(j);
    if (selected) return bound_values[next++];
    std::nth_element(sample.begin(), sample.begin() + k, sample.end());
    return sample[static_cast<std::size_t>(k)];
  };
  std::vector<Range> ranges;
  for (double p : ps) {
    const double centre = p * (m - 1), margin = 4 * std::sqrt(m * p * (1 - p)) + 24;
    const double lo = centre - margin <= 0 ? -kInf : at(std::floor(centre - margin));
    ranges.push_back({lo, centre + margin >= m - 1 ? kInf : at(std::ceil(centre + margin))});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  std::vector<Range> merged;
  for (const Range& r : ranges) {
    if (!merged.empty() && r.lo <= merged.back().hi) merged.back().hi = std::max(merged.back().hi, r.hi);
    else merged.push_back(r);
  }
  const std::size_t groups = merged.size();
  struct Local {
    std::size_t count = 0, not_finite = 0;
    std::vector<std::size_t> below;
    std::vector<PooledValues> inside;
  };
  tbb::enumerable_thread_specific<Local> locals([&] {
    Local l;
    l.below.assign(groups, 0);
    l.inside.resize(groups);
    return l;
  });
  // The common cases (one to four ranges), every running count in a register.
  const auto pass = [&]<std::size_t G>(std::integral_constant<std::size_t, G>) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, kSelectGrain), [&](const auto& r) {
      Local& l = locals.local();
      std::size_t count = 0, not_finite = 0, below[G] = {}, size[G];
      double lo[G], hi[G], *out[G];
      for (std::size_t g = 0; g < G; ++g) {
        lo[g] = merged[g].lo;
        hi[g] = merged[g].hi;
        PooledValues& p = l.inside[g];
        p.s.reserve(p.size + (r.end() - r.begin()), p.size);
        out[g] = p.s.data.get();
        size[g] = p.size;
      }
      // A chunk's values first, then counted and bracketed two at a time (finder_simd.hpp); a
      // column's own values without a copy.
      if constexpr (requires { value.column; }) {
        if constexpr (requires { value.side; })
          bracket_chunk<G>(value.column.data() + r.begin(), nullptr, r.size(), lo, hi, count, not_finite, below, out,
                           size, value.side, value.bound);
        else
          bracket_chunk<G>(value.column.data() + r.begin(), nullptr, r.size(), lo, hi, count, not_finite, below, out, size);
        if constexpr (requires { value.block(r.begin(), r.end()); }) value.block(r.begin(), r.end());  // while in cache
      } else {
        constexpr std::size_t kChunk = 256;
        double v[kChunk];
        std::uint64_t use[kChunk];
        for (std::size_t first = r.begin(); first < r.end(); first += kChunk) {
          const std::size_t m = std::min(kChunk, r.end() - first);
          if constexpr (requires { value.fill(first, m, v, use); })
            value.fill(first, m, v, use);  // a chunk at once (use: all ones where counted)
          else
            for (std::size_t k = 0; k < m; ++k) use[k] = std::uint64_t{0} - static_cast<std::uint64_t>(value(first + k, v[k]));
          bracket_chunk<G>(v, use, m, lo, hi, count, not_finite, below, out, size);
        }
      }
      l.count += count;
      l.not_finite += not_finite;
      for (std::size_t g = 0; g < G; ++g) {
        l.below[g] += below[g];
        l.inside[g].size = size[g];
      }
    });
  };
  if (groups == 1) pass(std::integral_constant<std::size_t, 1>{});
  else if (groups == 2) pass(std::integral_constant<std::size_t, 2>{});
  else if (groups == 3) pass(std::integral_constant<std::size_t, 3>{});
  else if (groups == 4) pass(std::integral_constant<std::size_t, 4>{});
  else return std::nullopt;
  Bracketed out;
  std::vector<std::size_t> below(groups, 0);
  std::vector<PooledValues> inside(groups);
  std::size_t not_finite = 0;
  // One thread's kept values are taken over as they are; several threads' are joined.
  const bool one = locals.size() == 1;
  for (std::size_t g = 0; g < groups && !one; ++g) {
    std::size_t total = 0;
    for (Local& l : locals) total += l.inside[g].size;
    inside[g].s.reserve(total, 0);
  }
  for (Local& l : locals) {
    out.count += l.count;
    not_finite += l.not_finite;
    for (std::size_t g = 0; g < groups; ++g) {
      below[g] += l.below[g];
      if (one) {
        std::swap(inside[g].s, l.inside[g].s);
        std::swap(inside[g].size, l.inside[g].size);
        continue;
      }
      std::copy(l.inside[g].begin(), l.inside[g].end(), inside[g].end());
      inside[g].size += l.inside[g].size;
    }
  }
  if (not_finite) return std::nullopt;
  // Each rank among its range's values: every rank of a range by one bucketed selection
  // (finder_ranks.hpp: no zero, no reordering), else std::nth_element each.
  const std::vector<std::size_t> ranks = ranks_for(out.count);
  std::vector<std::size_t> group_of(ranks.size());
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    std::size_t g = 0;
    while (g < groups && !(ranks[i] >= below[g] && ranks[i] - below[g] < inside[g].size)) ++g;
    if (g == groups) return std::nullopt;
    group_of[i] = g;
  }
  out.values.assign(ranks.size(), 0.0);
  for (std::size_t g = 0; g < groups; ++g) {
    std::vector<std::size_t> local, which;
    for (std::size_t i = 0; i < ranks.size(); ++i)
      if (group_of[i] == g) {
        local.push_back(ranks[i] - below[g]);
        which.push_back(i);
      }
    if (local.empty()) continue;
    PooledValues& c = inside[g];
    std::vector<double> found(local.size());
    if (!select_ranks(std::span<const double>(c.begin(), c.size), local, found)) {
      for (std::size_t j = 0; j < local.size(); ++j) {
        const auto k = static_cast<std::ptrdiff_t>(local[j]);
        std::nth_element(c.begin(), c.begin() + k, c.end());
        found[j] = c.begin()[k];
      }
    }
    for (std::size_t j = 0; j < local.size(); ++j) {
      if (found[j] == 0) return std::nullopt;
      out.values[which[j]] = found[j];
    }
  }
  return out;
}

// The type-7 quantiles `ps` of the counted values (quantile7's arithmetic) by bracketed_select.
template <class Value>
std::optional<std::vector<double>> bracketed_quantiles(std::size_t n, const Value& value, std::span<const double> ps,
                                                       std::size_t* counted = nullptr) {
  const auto ranks_for = [&](std::size_t count) {
    std::vector<std::size_t> ranks;
    if (count == 0) return ranks;
    for (double p : ps) {
      const auto k = static_cast<std::size_t>(std::floor((static_cast<double>(count) - 1) * p));
      ranks.push_back(k);
      ranks.push_back(k + 1 < count ? k + 1 : k);
    }
    return ranks;
  };
  auto found = bracketed_select(n, value, ps, ranks_for);
  if (!found) return std::nullopt;
  if (counted) *counted = found->count;
  std::vector<double> out;
  if (found->count == 0) return out;
  for (std::size_t q = 0; q < ps.size(); ++q) {
    const double h = (static_cast<double>(found->count) - 1) * ps[q];
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double lower = found->values[2 * q];
    if (k + 1 >= found->count) {
      out.push_back(lower);
      continue;
    }
    const double upper = found->values[2 * q + 1];
    out.push_back(lower + (h - static_cast<double>(k)) * (upper - lower));
  }
  return out;
}

}  // namespace cytopipe::gating::detail
