// The vector log behind the statistics table's geometric means, against std::log.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gating/ulps.hpp"
#include "gating/vector_log.hpp"

namespace {

using cytopipe::gating::detail::logs_of_positive;

using cytopipe::gating::test::ulps_apart;

// Every finite positive value within one unit in the last place of std::log (the vector log's
// documented bound; 0 for exact results such as log(1)), every other value 0; on positive values
// over the whole exponent range (subnormals to the largest double), values near 1 (where log is
// smallest and cancellation hardest), and the specials, at every length from 0 to 40 (the vector
// lanes' tails), and the sum over 10^6 lognormal values as std::log's to 1e-15.
TEST(VectorLog, WithinAnUlpOfStdLogAndZeroForValuesWithoutALog) {
  std::mt19937_64 rng(31);
  std::vector<double> x;
  const double specials[] = {0.0, -0.0, -1.0, std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::max(), 1.0, std::nextafter(1.0, 2.0),
                             std::nextafter(1.0, 0.0), 2.0, 0.5, 262144.0};
  x.insert(x.end(), std::begin(specials), std::end(specials));
  std::uniform_int_distribution<int> exponent(-1074, 1023);
  std::uniform_real_distribution<double> mantissa(1.0, 2.0), near_one(-1e-6, 1e-6);
  for (int i = 0; i < 20000; ++i) {
    x.push_back(std::ldexp(mantissa(rng), exponent(rng)));
    x.push_back(1.0 + near_one(rng));
    x.push_back(-std::ldexp(mantissa(rng), exponent(rng) / 4));
  }
  std::vector<double> out(x.size(), -7.0);
  logs_of_positive(x, out);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isfinite(x[i]) && x[i] > 0) {
      const double want = std::log(x[i]);
      EXPECT_LE(ulps_apart(out[i], want), 1u) << x[i] << ": " << out[i] << " against " << want;
      if (want == 0) {
        EXPECT_EQ(std::bit_cast<std::uint64_t>(out[i]), 0u) << x[i];
      }
      ++checked;
    } else {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(out[i]), 0u) << x[i];  // +0, not -0 or NaN
    }
  }
  EXPECT_GT(checked, 40000u);
  // Every length: the values written are exactly those asked for, no lane past the end.
  for (std::size_t n = 0; n <= 40; ++n) {
    std::vector<double> in(x.begin() + 100, x.begin() + 100 + static_cast<std::ptrdiff_t>(n));
    std::vector<double> got(n + 8, -7.0), whole(n);
    logs_of_positive(in, std::span(got).first(n));
    logs_of_positive(in, whole);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(std::bit_cast<std::uint64_t>(got[i]), std::bit_cast<std::uint64_t>(whole[i]));
    for (std::size_t i = n; i < n + 8; ++i) EXPECT_EQ(got[i], -7.0) << "written past the end at length " << n;
  }
  std::lognormal_distribution<double> spread(6, 3);
  std::vector<double> v(1000000), logs(v.size());
  for (auto& e : v) e = spread(rng);
  logs_of_positive(v, logs);
  long double sum = 0, want = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += logs[i], want += std::log(v[i]);
  EXPECT_NEAR(static_cast<double>(sum / want), 1.0, 1e-15);
}

}  // namespace
