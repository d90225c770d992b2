#pragma once
// The fast path of logicle and hyperlog: δ(u) (see biexponential.hpp) tabulated on bins that are
// read straight off the bits of the double u (128 bins per octave), with a quintic Hermite
// polynomial per bin matching δ, δ' and δ'' exactly at both ends. No root finding, no exp/log on
// the hot path: a shift, a mask, one table row and five fused multiply-adds.
#include <atomic>
#include <bit>
#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "transform/biexponential.hpp"

namespace cytopipe::transform::detail {

class FastTable {
 public:
  // The table's octaves are built on first use (each from its own bin edges: the same
  // coefficients whichever octaves are built, and when): a process scaling data over 25 octaves
  // of the table's 64 solves for 40 % of its edges (~1 ms less at every start on a logicle
  // strategy). Safe to use from several threads at once.
  explicit FastTable(const Biexponential& exact);
  FastTable(const FastTable&) = delete;
  FastTable& operator=(const FastTable&) = delete;
  // Builds every octave now (tests compare a table built so with one built on demand).
  void build_all() const;

  // δ(u) for u >= 0 (NaN and values past the table go to the exact solver).
  double delta(double u) const {
    if (u < u_lo_) return u * (taylor1_ + u * taylor2_);
    if (!(u < u_hi_)) return exact_.delta(u);
    const auto bits = std::bit_cast<std::uint64_t>(u);
    const std::uint64_t row = (bits >> kShift) - base_;
    ensure(row >> kBinsPerOctaveLog2);
    const double* c = coefficients_.data() + row * 6;
    const double t = static_cast<double>(bits & kMask) * kFraction;
    return c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * c[5]))));
  }
  double scale(double x) const {
    const double x1 = exact_.zero_point();
    return x >= 0 ? x1 + delta(x) : x1 - delta(-x);
  }
  // scale(x) of every value, equal to it bit for bit: four at a time with AVX2 gathers where
  // the CPU has them, eight at a time with AVX-512 (CYTOPIPE_NO_AVX512 keeps AVX2,
  // CYTOPIPE_NO_AVX2 forces the scalar form), the same multiplies and adds in
  // the same order (no fused multiply-add, as the scalar form is compiled), lanes off the table
  // (Taylor range, exact solver, NaN) by the scalar form.
  void scale(std::span<const double> in, std::span<double> out) const;

 private:
  static constexpr int kBinsPerOctaveLog2 = 7;
  static constexpr int kShift = 52 - kBinsPerOctaveLog2;
  static constexpr std::uint64_t kMask = (std::uint64_t{1} << kShift) - 1;
  static constexpr double kFraction = 1.0 / static_cast<double>(std::uint64_t{1} << kShift);

  void scale_avx2(const double* in, double* out, std::size_t n) const;
  void scale_avx512(const double* in, double* out, std::size_t n) const;
  // Octave `octave` (bins [128 octave, 128 octave + 128)) built, by this call if need be.
  void ensure(std::uint64_t octave) const {
    if (!((built_.load(std::memory_order_acquire) >> octave) & 1u)) build(octave);
  }
  void build(std::uint64_t octave) const;

  Biexponential exact_;
  // 6 per bin, lowest order first, in t = position in bin. An EventMatrix for its storage (a
  // piece of a shared huge page): as a vector its 400 KB were faulted in 4 KiB at a time, ~100
  // page faults in every process that reads a logicle scale.
  mutable fcs::EventMatrix coefficients_;  // written once per octave, by build()
  // Bit k: octave k's coefficients are written (at most 64 octaves, see fast_table.cpp).
  mutable std::atomic<std::uint64_t> built_{0};
  mutable std::mutex build_mutex_;
  std::uint64_t base_ = 0;            // bits >> kShift of the first bin
  double u_lo_ = 0, u_hi_ = 0;        // the table covers [u_lo, u_hi)
  double taylor1_ = 0, taylor2_ = 0;  // δ(u) ~ taylor1 u + taylor2 u^2 below u_lo
};

}  // namespace cytopipe::transform::detail
