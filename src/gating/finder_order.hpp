#pragma once
// The values of one large column grouped by the top 16 bits of their order-preserving key (a
// bucketed copy, in two parallel passes: a histogram, then a scatter), so that every later order
// statistic or rank a finder asks for (quartiles, a side's median distance, the minimum, how many
// lie beyond a point) is found inside one bucket instead of by new passes over all events.
// A crowded bucket is split on the next key bits the first time a rank falls in it. The value
// found at a rank is the one std::nth_element finds there, so results are bit for bit those of a
// sort (where exact(): finite values, not both -0 and +0, as Selection).
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "gating/finder_select.hpp"

namespace cytopipe::gating::detail {

class ValueOrder {
 public:
  explicit ValueOrder(std::span<const double> values) : n_(values.size()) {
    // Pass 1: how many keys have each top-16-bit prefix; the sums of the values' moments.
    struct Local {
      Counts counts;
      double sum[4] = {}, sum2[4] = {};
    };
    tbb::enumerable_thread_specific<Local> locals;
    moments_.shift = n_ ? values[0] : 0;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Local& l = locals.local();
      const double shift = moments_.shift;
      std::size_t i = r.begin();
      for (; i + 4 <= r.end(); i += 4)
        for (std::size_t j = 0; j < 4; ++j) {  // four sums: no chain of dependent additions
          const double x = values[i + j];
          ++l.counts[select_key(x) >> kShift];
          l.sum[j] += x - shift;
          l.sum2[j] += (x - shift) * (x - shift);
        }
      for (; i < r.end(); ++i) {
        ++l.counts[select_key(values[i]) >> kShift];
        l.sum[0] += values[i] - shift;
        l.sum2[0] += (values[i] - shift) * (values[i] - shift);
      }
    });
    start_.assign(kBins + 1, 0);
    {
      Counts total;
      for (const Local& l : locals) {
        for (std::size_t b = 0; b < kBins; ++b) total[b] += l.counts[b];
        for (std::size_t j = 0; j < 4; ++j) {
          moments_.sum += l.sum[j];
          moments_.sum2 += l.sum2[j];
        }
      }
      bool finite = true;
      for (std::size_t b = 0; b < kBins; ++b) {
        start_[b + 1] = start_[b] + total[b];
        if (total[b] && (b < 0x0010 || b >= 0xfff0)) finite = false;
      }
      exact_ = finite && !(total[0x7fff] && total[0x8000]);
    }
    if (!exact_) return;
    // Pass 2: each block counts its values per bucket, takes its places in each bucket at once,
    // then writes them there (the order within a bucket is not kept: it does not matter to ranks).
    data_ = ValueBuffers::shared().take(n_);
    std::vector<std::atomic<std::uint32_t>> cursor(kBins);
    for (std::size_t b = 0; b < kBins; ++b) cursor[b].store(static_cast<std::uint32_t>(start_[b]), std::memory_order_relaxed);
    struct Scratch {
      Counts count, place;
      std::vector<std::uint16_t> bucket = std::vector<std::uint16_t>(kSelectGrain);
      std::vector<std::uint16_t> touched = std::vector<std::uint16_t>(kSelectGrain + 1);
    };
    tbb::enumerable_thread_specific<Scratch> scratch;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n_, kSelectGrain), [&](const auto& r) {
      Scratch& s = scratch.local();
      const std::size_t size = r.end() - r.begin();
      if (s.bucket.size() < size) {
        s.bucket.resize(size);
        s.touched.resize(size + 1);
      }
      std::size_t touched = 0;
      for (std::size_t k = 0; k < size; ++k) {
        const auto b = static_cast<std::uint16_t>(select_key(values[r.begin() + k]) >> kShift);
        s.bucket[k] = b;
        s.touched[touched] = b;
        touched += s.count[b]++ == 0;
      }
      for (std::size_t t = 0; t < touched; ++t) {
        const std::uint16_t b = s.touched[t];
        s.place[b] = cursor[b].fetch_add(s.count[b], std::memory_order_relaxed);
        s.count[b] = 0;
      }
      double* out = data_.data();
      for (std::size_t k = 0; k < size; ++k) out[s.place[s.bucket[k]]++] = values[r.begin() + k];
    });
  }
  ValueOrder(const ValueOrder&) = delete;
  ValueOrder& operator=(const ValueOrder&) = delete;
  ~ValueOrder() {
    if (!data_.empty()) ValueBuffers::shared().give(std::move(data_));
  }

  std::size_t count() const { return n_; }
  // Sums of (value - shift) and its square, added in no set order (an estimate's inputs only).
  struct Moments {
    double shift = 0, sum = 0, sum2 = 0;
  };
  const Moments& moments() const { return moments_; }
  bool exact() const { return exact_; }

  // The value of rank k (0-based, < count()). exact() only.
  double at(std::size_t k) {
    Range r = top(key_bucket_of_rank(k));
    int level = 0;
    while (r.size() > kSmall && level < kLevels) {
      r = split(r, level, k);
      ++level;
    }
    double* first = data_.data() + r.lo;
    std::nth_element(first, data_.data() + k, data_.data() + r.hi);
    return data_[k];
  }

  // How many values are <= v (at_most) or < v. exact() only; v not NaN.
  std::size_t count_at_most(double v) {
    if (v == 0) v = 0.0;  // +0: every zero counts
    return count_before(v, [v](double x) { return x <= v; });
  }
  std::size_t count_below(double v) {
    if (v == 0) v = -0.0;  // -0: no zero counts
    return count_before(v, [v](double x) { return x < v; });
  }

  // The type-7 quantile p (0..1) as quantile7 gives it.
  double quantile(double p) {
    const double h = (static_cast<double>(n_) - 1) * p;
    const auto k = static_cast<std::size_t>(std::floor(h));
    const double lower = at(k);
    if (k + 1 >= n_) return lower;
    const double upper = at(k + 1);
    return lower + (h - static_cast<double>(k)) * (upper - lower);
  }

 private:
  static constexpr int kShift = 48;
  static constexpr std::size_t kBins = CountBlocks::kSize;
  static constexpr std::size_t kSmall = 4096;  // a range this small is finished by nth_element
  static constexpr int kLevels = 3;             // splits of 12 key bits below the top 16
  static constexpr int kSplitBits = 12;

  struct Range {
    std::size_t lo, hi;
    std::size_t size() const { return hi - lo; }
  };

  std::size_t key_bucket_of_rank(std::size_t k) const {
    return static_cast<std::size_t>(std::upper_bound(start_.begin(), start_.end(), k) - start_.begin()) - 1;
  }
  Range top(std::size_t b) const { return {start_[b], start_[b + 1]}; }

  // The sub-range of r holding rank k after r is grouped on the key bits below level's (cached).
  Range split(Range r, int level, std::size_t k) {
    const std::vector<std::size_t>& offsets = grouped(r, level);
    const auto s = static_cast<std::size_t>(std::upper_bound(offsets.begin(), offsets.end(), k) - offsets.begin()) - 1;
    return {offsets[s], offsets[s + 1]};
  }

  // Groups data_[r] on the 12 key bits below the top 16 + 12 x level (a counting sort through a
  // scratch buffer), once; the groups' offsets.
  const std::vector<std::size_t>& grouped(Range r, int level) {
    auto [it, fresh] = splits_.try_emplace({r.lo, r.hi, static_cast<std::size_t>(level)});
    std::vector<std::size_t>& offsets = it->second;
    if (!fresh) return offsets;
    const int shift = kShift - kSplitBits * (level + 1);
    constexpr std::uint64_t mask = (std::uint64_t{1} << kSplitBits) - 1;
    const auto sub = [&](double x) { return static_cast<std::size_t>((select_key(x) >> shift) & mask); };
    std::vector<std::size_t> count((std::size_t{1} << kSplitBits) + 1, 0);
    for (std::size_t i = r.lo; i < r.hi; ++i) ++count[sub(data_[i]) + 1];
    offsets.resize(count.size());
    offsets[0] = r.lo;
    for (std::size_t s = 1; s < count.size(); ++s) offsets[s] = offsets[s - 1] + count[s];
    std::vector<std::size_t> place(offsets.begin(), offsets.end() - 1);
    tmp_.resize(r.size());
    for (std::size_t i = r.lo; i < r.hi; ++i) tmp_[place[sub(data_[i])]++ - r.lo] = data_[i];
    std::copy(tmp_.begin(), tmp_.begin() + static_cast<std::ptrdiff_t>(r.size()), data_.begin() + static_cast<std::ptrdiff_t>(r.lo));
    return offsets;
  }

  template <class Before>
  std::size_t count_before(double v, const Before& before) const {
    const std::size_t b = select_key(v) >> kShift;
    std::size_t count = start_[b];
    for (std::size_t i = start_[b]; i < start_[b + 1]; ++i) count += before(data_[i]);
    return count;
  }

  std::size_t n_;
  Moments moments_;
  std::vector<std::size_t> start_;
  std::vector<double> data_, tmp_;
  std::map<std::array<std::size_t, 3>, std::vector<std::size_t>> splits_;  // (lo, hi, level) -> groups
  bool exact_ = false;
};

}  // namespace cytopipe::gating::detail
