// Membership's storage: large bitsets are pieces of huge pages handed out again once released
// (holding the words of the bitset before), small ones heap blocks. Whatever the block held,
// a new bitset starts with exactly the bits it should (bits past events() zero), copies and
// moves keep the bits, and live bitsets never share storage.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "cytopipe/gating/evaluate.hpp"
#include "fcs/huge_pages.hpp"

namespace {

using cytopipe::gating::Membership;

// Sizes on either side of the storage's limits: heap blocks (up to 32 KiB), huge-page pieces of
// each class (a 1M-event bitset is 122 KiB), and a bitset over 1 MiB (whole huge pages).
const std::vector<std::size_t> kEvents = {0, 1, 63, 64, 65, 1000, 262'143, 262'144, 262'145,
                                          1'000'000, 1'048'577, 9'000'001};

// Sets about a third of the events, the same ones for the same seed; returns them as flags.
std::vector<bool> fill_random(Membership& m, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<bool> flags(m.events());
  for (std::size_t i = 0; i < m.events(); ++i)
    if (rng() % 3 == 0) {
      m.set(i);
      flags[i] = true;
    }
  return flags;
}

// Every bit as the flags say (words built here from the flags, so bits past events() must be
// zero), and test() and count() agree.
void expect_bits(const Membership& m, const std::vector<bool>& flags) {
  ASSERT_EQ(m.events(), flags.size());
  std::vector<std::uint64_t> expected((flags.size() + 63) / 64, 0);
  std::size_t expected_count = 0;
  for (std::size_t i = 0; i < flags.size(); ++i)
    if (flags[i]) {
      expected[i / 64] |= std::uint64_t{1} << (i % 64);
      ++expected_count;
    }
  const auto words = m.words();
  ASSERT_EQ(words.size(), expected.size());
  for (std::size_t w = 0; w < words.size(); ++w)
    ASSERT_EQ(words[w], expected[w]) << "word " << w << " of a bitset of " << flags.size() << " events";
  EXPECT_EQ(m.count(), expected_count) << flags.size();
  for (std::size_t i = 0; i < flags.size(); i += 997) ASSERT_EQ(m.test(i), flags[i]) << i;
}

// Whether a bitset of `events` is a piece of a huge page (see gating/membership.cpp).
bool on_huge_piece(std::size_t events) {
  const std::size_t bytes = (events + 63) / 64 * 8;
  return cytopipe::fcs::detail::huge_buffers_enabled && bytes >= (std::size_t{32} << 10) &&
         bytes <= cytopipe::fcs::detail::huge_page_bytes / 2;
}

TEST(Membership, NewBitsetsStartEmptyOrFullOnStorageThatHeldOnes) {
  for (const std::size_t events : kEvents) {
    const std::uint64_t* first = nullptr;
    {
      Membership dirty(events);
      for (auto& w : dirty.words()) w = ~std::uint64_t{0};  // every bit, past events() too
      first = dirty.words().data();
    }
    // The released storage of the same size is handed out again (huge-page pieces always; the
    // heap usually), holding ones.
    Membership empty(events);
    if (on_huge_piece(events)) {
      EXPECT_EQ(empty.words().data(), first) << events << ": the released piece was not reused";
    }
    expect_bits(empty, std::vector<bool>(events, false));
    for (auto& w : empty.words()) w = ~std::uint64_t{0};
    empty = Membership();  // released again, dirty
    const Membership all(events, true);
    expect_bits(all, std::vector<bool>(events, true));
  }
}

TEST(Membership, CopiesAndMovesKeepTheBits) {
  for (const std::size_t events : kEvents) {
    SCOPED_TRACE(events);
    Membership original(events);
    const std::vector<bool> flags = fill_random(original, static_cast<unsigned>(events));
    expect_bits(original, flags);

    Membership copy(original);
    expect_bits(copy, flags);
    EXPECT_EQ(copy, original);
    if (events > 0) {
      EXPECT_NE(copy.words().data(), original.words().data());
    }

    Membership moved(std::move(copy));
    expect_bits(moved, flags);
    EXPECT_EQ(moved, original);
    EXPECT_EQ(copy.events(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_TRUE(copy.words().empty());
    EXPECT_EQ(copy, Membership());

    // Copy assignment over a bitset of the same size, of another size, and onto itself.
    Membership same(events, true);
    same = original;
    expect_bits(same, flags);
    Membership other(events / 2 + 7, true);
    other = original;
    expect_bits(other, flags);
    other = std::as_const(other);
    expect_bits(other, flags);

    // Move assignment releases the target's storage and takes the source's.
    Membership target(events + 1000, true);
    const std::uint64_t* source_words = moved.words().data();
    target = std::move(moved);
    expect_bits(target, flags);
    EXPECT_EQ(target.words().data(), source_words);

    // Equality needs the same events and the same bits.
    if (events > 0) {
      Membership changed(original);
      const std::size_t last = events - 1;
      if (changed.test(last)) {
        Membership fresh(events);
        for (std::size_t i = 0; i + 1 < events; ++i)
          if (original.test(i)) fresh.set(i);
        EXPECT_NE(fresh, original);
      } else {
        changed.set(last);
        EXPECT_NE(changed, original);
      }
    }
    if (events % 64 != 0) {
      EXPECT_NE(Membership(events), Membership(events + 1));  // as many words, all 0
    }
  }
}

TEST(Membership, LiveBitsetsNeverShareStorage) {
  // Many large and small bitsets at once, some released and made again in between: each keeps
  // its own bits.
  std::vector<Membership> live;
  std::vector<std::vector<bool>> flags;
  for (unsigned i = 0; i < 40; ++i) {
    const std::size_t events = (i % 4 == 0) ? 1000 + i : (i % 4 == 1) ? 300'000 + i : 1'000'000 - i;
    live.emplace_back(events);
    flags.push_back(fill_random(live.back(), i));
    if (i % 5 == 4) {  // release an earlier one and take its place with a new bitset
      const std::size_t k = i / 2;
      live[k] = Membership(live[k].events());
      flags[k] = fill_random(live[k], 1000 + i);
    }
  }
  for (std::size_t i = 0; i < live.size(); ++i) {
    SCOPED_TRACE(i);
    expect_bits(live[i], flags[i]);
  }
}

}  // namespace
