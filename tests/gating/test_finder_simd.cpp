// The finders' vector loops (gating/finder_simd.hpp) against their plain definitions, value by
// value: bins of a grid (a multiplication by the reciprocal where the quotient is not within
// 1e-6 of a whole number), counts and kept values of bracketed ranges, the largest value, how
// many are not finite. Values at bin edges, NaN, infinities, zeros of both signs, counted masks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gating/finder_simd.hpp"

namespace {

namespace detail = cytopipe::gating::detail;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Values on and a few units in the last place around bin edges, random ones, far outliers.
std::vector<double> edgy(double x0, double dx, int bins, std::mt19937_64& rng) {
  std::vector<double> v;
  for (int b = -2; b <= bins + 2; ++b) {
    double e = x0 + b * dx;
    for (int ulp = 0; ulp < 4; ++ulp) {
      v.push_back(e);
      v.push_back(std::nextafter(e, -kInf));
      e = std::nextafter(e, kInf);
    }
  }
  std::uniform_real_distribution<double> u(x0 - 3 * dx, x0 + (bins + 3) * dx);
  for (int i = 0; i < 5000; ++i) v.push_back(u(rng));
  for (double far : {-1e300, 1e300, -1e12, 1e12, 0.0, -0.0}) v.push_back(far);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

TEST(FinderSimd, GridSlotsAreTheDividedBins) {
  std::mt19937_64 rng(11);
  for (const int bins : {16, 128, 1024})
    for (const double dx : {0.1, 1.0 / 3, 781.25, 1e-3 * M_PI}) {
      const double x0 = -7.3, y0 = 12.5, dy = dx * 1.7;
      const std::vector<double> x = edgy(x0, dx, bins, rng);
      std::vector<double> y = edgy(y0, dy, bins, rng);
      y.resize(x.size(), y0);
      std::vector<std::uint32_t> slot(x.size());
      detail::grid_slots(x.data(), y.data(), x.size(), x0, y0, dx, dy, bins, slot.data());
      for (std::size_t k = 0; k < x.size(); ++k) {
        const double cx = (x[k] - x0) / dx, cy = (y[k] - y0) / dy;
        const bool in = cx >= 0 && cy >= 0 && cx < bins && cy < bins;
        const std::uint32_t want = in ? static_cast<std::uint32_t>(static_cast<int>(cy) * bins + static_cast<int>(cx)) + 1 : 0u;
        ASSERT_EQ(slot[k], want) << x[k] << " " << y[k] << " dx " << dx << " bins " << bins;
      }
    }
}

template <std::size_t G>
void expect_bracket(const std::vector<double>& v, const std::vector<std::uint64_t>* use, int side, double bound,
                    const double (&lo)[G], const double (&hi)[G]) {
  std::size_t count = 0, not_finite = 0, below[G] = {}, size[G] = {};
  std::vector<std::vector<double>> kept(G, std::vector<double>(v.size() + 8));
  double* out[G];
  for (std::size_t g = 0; g < G; ++g) out[g] = kept[g].data();
  // In uneven chunks, as the passes call it.
  for (std::size_t first = 0; first < v.size(); first += 37) {
    const std::size_t m = std::min<std::size_t>(37, v.size() - first);
    detail::bracket_chunk<G>(v.data() + first, use ? use->data() + first : nullptr, m, lo, hi, count, not_finite, below,
                             out, size, side, bound);
  }
  std::size_t want_count = 0, want_bad = 0;
  for (std::size_t g = 0; g < G; ++g) {
    std::size_t want_below = 0;
    std::vector<double> want;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const bool counted = use ? (*use)[i] != 0 : side < 0 ? v[i] <= bound : side > 0 ? v[i] >= bound : true;
      if (!counted) continue;
      if (g == 0) {
        ++want_count;
        want_bad += !std::isfinite(v[i]);
      }
      want_below += v[i] < lo[g];
      if (v[i] >= lo[g] && v[i] <= hi[g]) want.push_back(v[i]);
    }
    EXPECT_EQ(below[g], want_below) << g;
    std::vector<double> got(kept[g].begin(), kept[g].begin() + static_cast<std::ptrdiff_t>(size[g]));
    EXPECT_EQ(got, want) << g;  // in event order
  }
  EXPECT_EQ(count, want_count);
  EXPECT_EQ(not_finite, want_bad);
}

TEST(FinderSimd, BracketChunksCountAndKeepAsTheirDefinition) {
  std::mt19937_64 rng(19);
  std::normal_distribution<double> n01(0, 1);
  std::vector<double> v(20'003);
  for (double& x : v) x = std::round(n01(rng) * 64) / 64;  // ties on the range bounds
  for (std::size_t i = 0; i < v.size(); i += 211) v[i] = kNaN;
  for (std::size_t i = 5; i < v.size(); i += 307) v[i] = i % 2 ? kInf : -kInf;
  for (std::size_t i = 9; i < v.size(); i += 101) v[i] = i % 2 ? 0.0 : -0.0;
  std::vector<std::uint64_t> use(v.size());
  for (auto& u : use) u = rng() % 3 ? ~std::uint64_t{0} : 0;
  const double lo1[1] = {-0.25}, hi1[1] = {0.25};
  const double lo2[2] = {-kInf, 1.0}, hi2[2] = {-2.0, kInf};
  const double lo4[4] = {-3, -1, 0, 2}, hi4[4] = {-2, -0.5, 0.5, 2.5};
  expect_bracket<1>(v, nullptr, 0, 0, lo1, hi1);
  expect_bracket<1>(v, &use, 0, 0, lo1, hi1);
  expect_bracket<1>(v, nullptr, -1, 0.0, lo1, hi1);
  expect_bracket<1>(v, nullptr, 1, -0.0, lo1, hi1);
  expect_bracket<2>(v, nullptr, 0, 0, lo2, hi2);
  expect_bracket<2>(v, &use, 0, 0, lo2, hi2);
  expect_bracket<4>(v, nullptr, 0, 0, lo4, hi4);
  expect_bracket<4>(v, &use, 0, 0, lo4, hi4);
  expect_bracket<4>(v, nullptr, 1, 0.5, lo4, hi4);
}

TEST(FinderSimd, LargestAndNotFiniteAsInOrder) {
  std::mt19937_64 rng(29);
  std::normal_distribution<double> n01(0, 1);
  for (const std::size_t n : {0u, 1u, 7u, 8u, 9u, 1000u, 4099u}) {
    std::vector<double> v(n);
    for (double& x : v) x = n01(rng);
    if (n > 3) {
      v[n / 2] = kNaN;
      v[n / 3] = kInf;
    }
    for (const double start : {0.0, -1e300, 1.5}) {
      double want = start;
      for (const double x : v) want = want < x ? x : want;
      const double got = detail::largest_of(v.data(), v.size(), start);
      EXPECT_EQ(got, want) << n << " from " << start;
    }
    std::size_t bad = 0;
    for (const double x : v) bad += !std::isfinite(x);
    EXPECT_EQ(detail::count_not_finite(v.data(), v.size()), bad) << n;
  }
}

}  // namespace
