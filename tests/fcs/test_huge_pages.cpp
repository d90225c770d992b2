// The huge-page buffers behind EventMatrix, ScratchBuffer and gating's bitsets: sizes up to
// 1 MiB are pieces of a shared 2 MiB page (power-of-two sizes from 32 KiB), larger ones whole
// pages; pieces never overlap, are reused once released, and hold what is written to them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "fcs/huge_pages.hpp"

namespace {

using cytopipe::fcs::detail::HugeMapping;
using cytopipe::fcs::detail::huge_page_bytes;
using cytopipe::fcs::detail::map_huge;
using cytopipe::fcs::detail::unmap_huge;

bool overlap(const HugeMapping& a, const HugeMapping& b) {
  const auto a0 = reinterpret_cast<std::uintptr_t>(a.data), b0 = reinterpret_cast<std::uintptr_t>(b.data);
  return a0 < b0 + b.length && b0 < a0 + a.length;
}

TEST(HugePages, SmallBuffersArePiecesOfASharedPage) {
  const std::size_t kib = 1024;
  const std::vector<std::pair<std::size_t, std::size_t>> sizes = {
      {1, 32 * kib}, {256 * kib, 256 * kib}, {256 * kib + 1, 512 * kib}, {512 * kib, 512 * kib},
      {700 * kib, 1024 * kib}, {1024 * kib, 1024 * kib}, {1024 * kib + 8, 2048 * kib}, {3 * 1024 * kib, 4096 * kib},
      {32 * kib + 1, 64 * kib}, {125'000, 128 * kib}, {200 * kib, 256 * kib}};
  std::vector<HugeMapping> held;
  for (int round = 0; round < 3; ++round)
    for (const auto& [bytes, length] : sizes) {
      const HugeMapping m = map_huge(bytes);
      ASSERT_NE(m.data, nullptr) << bytes;
      EXPECT_EQ(m.length, length) << bytes;
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.data) % std::min(length, huge_page_bytes), 0u) << bytes;
      std::memset(m.data, round * 16 + static_cast<int>(length >> 18), m.length);  // writable, all of it
      for (const auto& h : held) EXPECT_FALSE(overlap(m, h)) << bytes;
      held.push_back(m);
    }
  // Every buffer still holds its own bytes (no piece shared by two live buffers).
  for (std::size_t i = 0; i < held.size(); ++i) {
    const auto* p = static_cast<const unsigned char*>(held[i].data);
    const auto expected = static_cast<unsigned char>((i / sizes.size()) * 16 + (held[i].length >> 18));
    EXPECT_TRUE(std::all_of(p, p + held[i].length, [&](unsigned char c) { return c == expected; })) << i;
  }
  // A released piece is handed out again for the same size.
  const HugeMapping piece = held[2];  // 512 KiB
  unmap_huge(piece);
  held.erase(held.begin() + 2);
  const HugeMapping again = map_huge(300 * kib);
  EXPECT_EQ(again.data, piece.data);
  EXPECT_EQ(again.length, piece.length);
  held.push_back(again);
  for (const auto& h : held) unmap_huge(h);
}

TEST(HugePages, PiecesFromManyThreadsNeverOverlap) {
  constexpr int kThreads = 4, kEach = 40;
  std::vector<std::vector<HugeMapping>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::size_t bytes = (std::size_t{256} << (i % 3)) * 1024 - 8 * static_cast<std::size_t>(t);
        HugeMapping m = map_huge(bytes);
        std::memset(m.data, t, m.length);
        if (i % 4 == 3) unmap_huge(std::exchange(m, {}));  // some released, taken again by others
        else got[t].push_back(m);
      }
    });
  for (auto& th : threads) th.join();
  std::vector<HugeMapping> all;
  for (int t = 0; t < kThreads; ++t)
    for (const auto& m : got[t]) {
      const auto* p = static_cast<const unsigned char*>(m.data);
      EXPECT_TRUE(std::all_of(p, p + m.length, [&](unsigned char c) { return c == t; }));
      all.push_back(m);
    }
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = i + 1; j < all.size(); ++j) EXPECT_FALSE(overlap(all[i], all[j])) << i << " " << j;
  for (const auto& m : all) unmap_huge(m);
}

TEST(HugePages, EventMatricesOfPieceSizeKeepTheirValues) {
  std::vector<cytopipe::fcs::EventMatrix> matrices;
  for (std::size_t events : {32768u, 40000u, 65536u, 131072u, 32768u})
    matrices.emplace_back(events, 1);
  for (std::size_t m = 0; m < matrices.size(); ++m)
    for (std::size_t e = 0; e < matrices[m].events(); ++e) matrices[m].column(0)[e] = static_cast<double>(m * 1000003 + e);
  for (std::size_t m = 0; m < matrices.size(); ++m)
    for (std::size_t e = 0; e < matrices[m].events(); e += 997)
      ASSERT_EQ(matrices[m].column(0)[e], static_cast<double>(m * 1000003 + e));
}

}  // namespace
