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
#include <span>
#include <vector>

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

// Selection over `n` indices whose values `value(i, v)` gives (returning false for an index left
// out). Construct (one pass: count and histogram), then ask for ranks among the counted values.
template <class Value>
class Selection {
 public:
  Selection(std::size_t n, const Value& value) : n_(n), value_(value), counts_(kBins, 0) {
    struct Local {
      std::vector<std::uint32_t> counts = std::vector<std::uint32_t>(kBins, 0);
      bool negative_zero = false, positive_zero = false, nan = false;
    };
    tbb::enumerable_thread_specific<Local> locals;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Local& l = locals.local();
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        if (!value_(i, v)) continue;
        if (v == 0) (std::signbit(v) ? l.negative_zero : l.positive_zero) = true;
        l.nan |= std::isnan(v);
        ++l.counts[select_key(v) >> kShift];
      }
    });
    bool negative_zero = false, positive_zero = false;
    for (const Local& l : locals) {
      for (std::size_t b = 0; b < kBins; ++b) counts_[b] += l.counts[b];
      negative_zero |= l.negative_zero;
      positive_zero |= l.positive_zero;
      nan_ |= l.nan;
    }
    for (std::uint32_t c : counts_) count_ += c;
    // std::nth_element cannot tell -0 from +0 (nor order NaN): where both zeros occur, which one
    // it leaves at a rank is its own business, so the caller sorts as before.
    exact_ = !nan_ && !(negative_zero && positive_zero);
  }

  std::size_t count() const { return count_; }
  // Whether at() gives what std::nth_element would (no NaN, not both -0 and +0).
  bool exact() const { return exact_; }

  // The values at `ranks` (0-based, each < count()) in ascending order of value.
  std::vector<double> at(std::span<const std::size_t> ranks) const {
    struct Want {
      std::uint64_t prefix;  // the key's top 16 bits, or 32 where `wide`
      std::size_t rank;      // rank among the values with that prefix
      bool wide = false;
      bool operator==(const Want& o) const { return prefix == o.prefix && wide == o.wide; }
    };
    std::vector<Want> wants;
    for (std::size_t rank : ranks) {
      std::uint64_t bin = 0;
      std::size_t below = 0;
      while (below + counts_[bin] <= rank) below += counts_[bin++];
      wants.push_back({bin, rank - below});
    }
    // Crowded bins (more than kSelectMinimum values) are narrowed by the next 16 bits first.
    std::vector<std::uint64_t> crowded;
    for (const Want& w : wants)
      if (counts_[w.prefix] > kSelectMinimum && std::find(crowded.begin(), crowded.end(), w.prefix) == crowded.end())
        crowded.push_back(w.prefix);
    if (!crowded.empty()) {
      const std::vector<std::vector<std::uint32_t>> fine = histograms(crowded);
      for (Want& w : wants) {
        const auto c = std::find(crowded.begin(), crowded.end(), w.prefix);
        if (c == crowded.end()) continue;
        const auto& counts = fine[static_cast<std::size_t>(c - crowded.begin())];
        std::uint64_t sub = 0;
        while (counts[sub] <= w.rank) w.rank -= counts[sub++];
        w.prefix = (w.prefix << 16) | sub;
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
  static constexpr std::size_t kBins = std::size_t{1} << 16;

  // For each crowded 16-bit bin, a histogram of the next 16 key bits of its values.
  std::vector<std::vector<std::uint32_t>> histograms(const std::vector<std::uint64_t>& bins) const {
    using Counts = std::vector<std::vector<std::uint32_t>>;
    tbb::enumerable_thread_specific<Counts> locals([&] { return Counts(bins.size(), std::vector<std::uint32_t>(kBins, 0)); });
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Counts& l = locals.local();
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        if (!value_(i, v)) continue;
        const std::uint64_t key = select_key(v);
        for (std::size_t b = 0; b < bins.size(); ++b)
          if ((key >> kShift) == bins[b]) ++l[b][(key >> 32) & 0xffff];
      }
    });
    Counts out(bins.size(), std::vector<std::uint32_t>(kBins, 0));
    for (const Counts& l : locals)
      for (std::size_t b = 0; b < bins.size(); ++b)
        for (std::size_t k = 0; k < kBins; ++k) out[b][k] += l[b][k];
    return out;
  }

  // The values under each wanted prefix (16 bits, or 32 where wide).
  template <class Want>
  std::vector<std::vector<double>> collect(const std::vector<Want>& prefixes) const {
    using Lists = std::vector<std::vector<double>>;
    tbb::enumerable_thread_specific<Lists> locals([&] { return Lists(prefixes.size()); });
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Lists& l = locals.local();
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        if (!value_(i, v)) continue;
        const std::uint64_t key = select_key(v);
        for (std::size_t p = 0; p < prefixes.size(); ++p)
          if ((key >> (prefixes[p].wide ? 32 : kShift)) == prefixes[p].prefix) l[p].push_back(v);
      }
    });
    Lists out(prefixes.size());
    for (const Lists& l : locals)
      for (std::size_t p = 0; p < prefixes.size(); ++p) out[p].insert(out[p].end(), l[p].begin(), l[p].end());
    return out;
  }

  std::size_t n_;
  const Value& value_;
  std::vector<std::uint32_t> counts_;
  std::size_t count_ = 0;
  bool nan_ = false, exact_ = true;
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

}  // namespace cytopipe::gating::detail
