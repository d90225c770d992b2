#pragma once
// Distance between doubles in units in the last place, for statistics that may differ from a
// reference in their last bits only.
#include <bit>
#include <cmath>
#include <cstdint>

namespace cytopipe::gating::test {

// How many doubles lie between a and b (0: the same bits). Different NaN-ness, infinities that
// differ, or a sign change count as far apart.
inline std::uint64_t ulps_apart(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : UINT64_MAX;
  if (std::isinf(a) || std::isinf(b)) return a == b ? 0 : UINT64_MAX;
  const auto key = [](double x) {
    const auto u = std::bit_cast<std::uint64_t>(x);
    return u >> 63 ? ~u : u | (std::uint64_t{1} << 63);
  };
  const std::uint64_t ka = key(a), kb = key(b);
  return ka > kb ? ka - kb : kb - ka;
}

}  // namespace cytopipe::gating::test
