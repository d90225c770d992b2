#pragma once
// The simulator's own random numbers: xoshiro256** seeded through splitmix64, with normal
// deviates by Marsaglia's polar method. Standard-library distributions differ between
// implementations, so committed sample files would not be reproducible with them.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace cytopipe::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept {
    for (auto& word : state_) word = splitmix64(seed);
  }

  // A seed for a named stream (e.g. one per file), so files do not depend on generation order.
  static std::uint64_t derive(std::uint64_t seed, std::string_view name) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the name, then mixed with the seed
    for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
    std::uint64_t s = seed ^ h;
    return splitmix64(s);
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_open0() noexcept { return 1.0 - uniform(); }

  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }
  double normal(double mean, double sd) noexcept { return mean + sd * normal(); }
  double lognormal(double median, double sdlog) noexcept {
    return median * std::exp(sdlog * normal());
  }
  double exponential(double mean) noexcept { return -mean * std::log(uniform_open0()); }
  bool bernoulli(double p) noexcept { return uniform() < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_[4]{};
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace cytopipe::sim
