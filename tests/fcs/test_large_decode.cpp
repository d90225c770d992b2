// Files large enough to span several decode chunks, sub-blocks and huge-page buffers: every
// value must equal what the rules give for the stored word (computed here, value by value),
// bit for bit, read from memory or from a file, in parallel or not.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include <unistd.h>

#include "cytopipe/fcs/reader.hpp"
#include "fcs_builder.hpp"

namespace {

using namespace cytopipe::test;
using cytopipe::fcs::ReadOptions;
using cytopipe::fcs::Sample;

// Stored words of one event per channel -> expected double, by the rules.
using Expect = std::function<double(std::size_t channel, std::uint64_t word)>;

struct Layout {
  FcsBuild build;
  std::vector<std::vector<std::uint64_t>> words;  // [channel][event], as stored
};

bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

// Reads `b` four ways and compares each value with `expect` (exact bits unless a tolerance is
// given for a channel).
void check_all_reads(const Layout& layout, const Expect& expect, const std::string& what,
                     double log_tolerance = 0, std::size_t log_channel = SIZE_MAX) {
  const auto bytes = build_fcs(layout.build);
  const auto path = std::filesystem::temp_directory_path() /
                    ("cytopipe_test_large_decode_" + std::to_string(::getpid()) + ".fcs");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  for (int way = 0; way < 4; ++way) {
    ReadOptions options;
    options.parallel = way % 2 == 0;
    const Sample s = way < 2 ? cytopipe::fcs::read_fcs(bytes, "large.fcs", options)
                             : cytopipe::fcs::read_fcs(path, options);
    const std::string label = what + (way < 2 ? " memory" : " file") + (options.parallel ? " parallel" : " serial");
    ASSERT_EQ(s.events.channels(), layout.words.size()) << label;
    std::size_t mismatches = 0;
    for (std::size_t c = 0; c < layout.words.size(); ++c) {
      ASSERT_EQ(s.events.events(), layout.words[c].size()) << label;
      const auto column = s.events.column(c);
      for (std::size_t e = 0; e < column.size(); ++e) {
        const double want = expect(c, layout.words[c][e]);
        const bool ok = c == log_channel
                            ? std::abs(column[e] - want) <= log_tolerance * std::abs(want)
                            : same_bits(column[e], want);
        if (!ok && ++mismatches <= 5)
          ADD_FAILURE() << label << " channel " << c + 1 << " event " << e << ": " << column[e]
                        << " != " << want;
      }
    }
    EXPECT_EQ(mismatches, 0u) << label;
  }
  std::filesystem::remove(path);
}

// Lays out events channel by channel with a per-channel width and byte order.
void put(std::vector<std::uint8_t>& data, std::uint64_t word, int bytes, const std::vector<int>& order) {
  // order[j] = significance (1-based) of file byte j, as in $BYTEORD.
  for (int j = 0; j < bytes; ++j) data.push_back(static_cast<std::uint8_t>(word >> (8 * (order[static_cast<std::size_t>(j)] - 1))));
}

std::vector<int> ascending(int n) {
  std::vector<int> o;
  for (int i = 1; i <= n; ++i) o.push_back(i);
  return o;
}
std::vector<int> descending(int n) {
  std::vector<int> o;
  for (int i = n; i >= 1; --i) o.push_back(i);
  return o;
}

// Random 32-bit float patterns including NaN, infinities, denormals and -0.
std::uint32_t float_word(std::mt19937_64& random) {
  const std::uint32_t w = static_cast<std::uint32_t>(random());
  switch (random() % 16) {
    case 0: return 0x7FC00001u;  // quiet NaN with payload
    case 1: return 0x7F800001u;  // signalling NaN
    case 2: return 0x7F800000u;  // +inf
    case 3: return 0x80000000u;  // -0
    case 4: return w & 0x007FFFFFu;  // denormal
    default: return w;
  }
}

TEST(LargeDecode, Float32BothByteOrdersWithTruncation) {
  for (bool big : {false, true}) {
    constexpr std::size_t events = 700'000, par = 3;  // 8.4 MB: three 4 MiB chunks
    Layout l{basic_fcs("F", par, events, 32, "262144", big ? "4,3,2,1" : "1,2,3,4"), {}};
    l.build.set("$P2R", "1000");  // this channel truncates most values
    l.words.assign(par, {});
    std::mt19937_64 random(big ? 2 : 1);
    const auto order = big ? descending(4) : ascending(4);
    for (std::size_t e = 0; e < events; ++e)
      for (std::size_t c = 0; c < par; ++c) {
        const std::uint32_t w = float_word(random);
        l.words[c].push_back(w);
        put(l.build.data, w, 4, order);
      }
    const double range[] = {262144, 1000, 262144};
    check_all_reads(l, [&](std::size_t c, std::uint64_t w) {
      const double v = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(w)));
      return v > range[c] ? range[c] : v;  // NaN stays NaN
    }, big ? "float32 big endian" : "float32 little endian");
  }
}

TEST(LargeDecode, DoubleBigEndianNoRange) {
  constexpr std::size_t events = 300'000, par = 2;  // 4.8 MB
  Layout l{basic_fcs("D", par, events, 64, "1e300", "8,7,6,5,4,3,2,1"), {}};
  l.words.assign(par, {});
  std::mt19937_64 random(3);
  for (std::size_t e = 0; e < events; ++e)
    for (std::size_t c = 0; c < par; ++c) {
      const std::uint64_t w = random();
      l.words[c].push_back(w);
      put(l.build.data, w, 8, descending(8));
    }
  check_all_reads(l, [](std::size_t, std::uint64_t w) {
    const double v = std::bit_cast<double>(w);
    return v > 1e300 ? 1e300 : v;
  }, "float64 big endian");
}

TEST(LargeDecode, MixedIntegerWidthsMasksTruncationAndLog) {
  // Little endian: 8-bit, 16-bit masked to 10 bits and truncated at 1000, 16-bit log channel,
  // 24-bit (generic byte loop), 32-bit.
  constexpr std::size_t events = 500'000;
  FcsBuild b = basic_fcs("I", 5, events, 16, "65536");
  b.set("$P1B", "8").set("$P1R", "256");
  b.set("$P2R", "1000");  // mask 2^10 - 1, then truncate at 1000
  b.set("$P3R", "1024").set("$P3E", "4,1");  // log: 10^(4 x / 1024)
  b.set("$P4B", "24").set("$P4R", "16777216");
  b.set("$P5B", "32").set("$P5R", "4294967296");
  Layout l{b, std::vector<std::vector<std::uint64_t>>(5)};
  std::mt19937_64 random(4);
  const int widths[] = {1, 2, 2, 3, 4};
  for (std::size_t e = 0; e < events; ++e)
    for (std::size_t c = 0; c < 5; ++c) {
      const std::uint64_t w = random() & ((std::uint64_t{1} << (8 * widths[c])) - 1);
      l.words[c].push_back(w);
      put(l.build.data, w, widths[c], ascending(widths[c]));
    }
  check_all_reads(l, [](std::size_t c, std::uint64_t w) {
    switch (c) {
      case 1: {
        const double v = static_cast<double>(w % 1024);
        return v > 1000 ? 1000.0 : v;
      }
      case 2: return std::pow(10.0, 4.0 * static_cast<double>(w % 1024) / 1024.0);
      default: return static_cast<double>(w);
    }
  }, "mixed integers", 1e-13, 2);
}

TEST(LargeDecode, Permuted32BitIntegers) {
  constexpr std::size_t events = 400'000, par = 3;  // 4.8 MB
  Layout l{basic_fcs("I", par, events, 32, "4294967296", "3,4,1,2"), {}};
  l.words.assign(par, {});
  std::mt19937_64 random(5);
  for (std::size_t e = 0; e < events; ++e)
    for (std::size_t c = 0; c < par; ++c) {
      const std::uint64_t w = random() & 0xFFFFFFFFu;
      l.words[c].push_back(w);
      put(l.build.data, w, 4, {3, 4, 1, 2});
    }
  check_all_reads(l, [](std::size_t, std::uint64_t w) { return static_cast<double>(w); },
                  "permuted 32-bit");
}

TEST(LargeDecode, PackedTenBitFcs2) {
  // 3 channels x 10 bits = 30 bits per event, packed most significant bit first: chunks must
  // start on a byte, so they hold a multiple of 8 events.
  constexpr std::size_t events = 1'300'000, par = 3;  // 4.9 MB
  Layout l{basic_fcs("I", par, events, 10, "1000", "4,3,2,1"), {}};
  l.build.version = "FCS2.0";
  l.words.assign(par, {});
  std::mt19937_64 random(6);
  std::uint64_t acc = 0;
  int acc_bits = 0;
  for (std::size_t e = 0; e < events; ++e)
    for (std::size_t c = 0; c < par; ++c) {
      const std::uint64_t w = random() & 1023;
      l.words[c].push_back(w);
      acc = (acc << 10) | w;
      acc_bits += 10;
      while (acc_bits >= 8) {
        l.build.data.push_back(static_cast<std::uint8_t>(acc >> (acc_bits - 8)));
        acc_bits -= 8;
      }
    }
  if (acc_bits > 0) l.build.data.push_back(static_cast<std::uint8_t>(acc << (8 - acc_bits)));
  check_all_reads(l, [](std::size_t, std::uint64_t w) {
    const double v = static_cast<double>(w);
    return v > 1000 ? 1000.0 : v;
  }, "packed 10-bit");
}

}  // namespace
