// The fast table's bulk form (AVX2 gathers where the CPU has them) against its scalar form, bit
// for bit, over every kind of value: both signs, zeros, the Taylor range below the table, bin
// edges, values past the table (exact solver), NaN and infinities, and lengths not a multiple of 4.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "transform/biexponential.hpp"
#include "transform/fast_table.hpp"

namespace {

using cytopipe::transform::detail::Biexponential;
using cytopipe::transform::detail::FastTable;

std::vector<double> values(double T, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> decade(-15, 9);
  std::vector<double> x = {0.0, -0.0, T, -T, std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::denorm_min(), 1e300, -1e300};
  for (int i = 0; i < 20000; ++i) {
    const double u = T * std::pow(10.0, decade(rng));
    x.push_back(rng() % 2 ? u : -u);
    // A bin edge (128 per octave) and its neighbours.
    const double edge = std::bit_cast<double>(std::bit_cast<std::uint64_t>(u) & ~((std::uint64_t{1} << 45) - 1));
    x.push_back(edge);
    x.push_back(std::nextafter(edge, 0.0));
  }
  for (int i = 0; i < 3000; ++i) x.push_back(std::uniform_real_distribution<double>(-200, 262144)(rng));  // typical data
  x.push_back(1.5);  // odd length: a scalar tail
  return x;
}

TEST(FastTableBulk, EqualsTheScalarFormBitForBit) {
  for (const Biexponential& exact :
       {Biexponential::logicle(262144, 0.5, 4.5, 0), Biexponential::logicle(262144, 0.5, 5, 0),
        Biexponential::logicle(1024, 1, 4, 0.5), Biexponential::logicle(10000, 0.1, 4.5, 1)}) {
    const FastTable table(exact);
    const std::vector<double> x = values(exact.top(), 7);
    for (std::size_t offset : {0, 1, 3}) {  // unaligned starts and every tail length
      const std::span<const double> in(x.data() + offset, x.size() - offset);
      std::vector<double> out(in.size());
      table.scale(in, out);
      std::size_t mismatches = 0;
      for (std::size_t i = 0; i < in.size(); ++i) {
        const double want = table.scale(in[i]);
        if (std::bit_cast<std::uint64_t>(out[i]) != std::bit_cast<std::uint64_t>(want) &&
            !(std::isnan(out[i]) && std::isnan(want)))
          if (mismatches++ < 5) ADD_FAILURE() << "x = " << in[i] << ": bulk " << out[i] << ", scalar " << want;
      }
      EXPECT_EQ(mismatches, 0u) << "T = " << exact.top();
    }
  }
}

// The table is built an octave at a time, on first use: a table used in any order (bulk and
// scalar, from four threads at once) gives the bits of one built whole first.
TEST(FastTableBulk, OctavesBuiltOnDemandEqualATableBuiltWhole) {
  for (const Biexponential& exact :
       {Biexponential::logicle(262144, 0.5, 4.5, 0), Biexponential::logicle(1024, 1, 4, 0.5)}) {
    const FastTable whole(exact);
    whole.build_all();
    const std::vector<double> x = values(exact.top(), 11);
    std::vector<double> want(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) want[i] = whole.scale(x[i]);

    const FastTable lazy(exact);
    std::vector<double> got(x.size());
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        // Every fourth run of 64 values, from the end: two threads in bulk, two value by value.
        const std::size_t runs = (x.size() + 63) / 64;
        for (std::size_t r = runs; r-- > 0;) {
          if (r % 4 != t) continue;
          const std::size_t b = r * 64, e = std::min(x.size(), b + 64);
          if (t % 2) {
            for (std::size_t i = b; i < e; ++i) got[i] = lazy.scale(x[i]);
          } else {
            lazy.scale(std::span<const double>(x.data() + b, e - b), std::span<double>(got.data() + b, e - b));
          }
        }
      });
    for (auto& th : threads) th.join();
    std::vector<double> bulk(x.size());
    lazy.scale(x, bulk);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const auto same = [](double a, double b) {
        return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) || (std::isnan(a) && std::isnan(b));
      };
      if (!same(got[i], want[i]) || !same(bulk[i], want[i]))
        if (mismatches++ < 5) ADD_FAILURE() << "x = " << x[i] << ": " << got[i] << " / " << bulk[i] << ", whole " << want[i];
    }
    EXPECT_EQ(mismatches, 0u) << "T = " << exact.top();
  }
}

}  // namespace
