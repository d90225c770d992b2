// Membership: the bitset of a population, on huge-page pieces when large.
#include <algorithm>
#include <cstring>

#include "cytopipe/gating/evaluate.hpp"
#include "fcs/huge_pages.hpp"
#include "gating/word_kernels.hpp"

namespace cytopipe::gating {

namespace {

namespace huge = fcs::detail;

// From this size a bitset is a piece of a shared 2 MiB huge page (fcs/huge_pages.hpp). A fresh
// 4 KiB page costs ~12-22 us of CPU here and a whole huge page ~0.15 ms, so already at 32 KiB
// (8 pages, 262,144 events) a piece is cheaper once a few bitsets share the page, which they do:
// a gating makes a bitset per population and statistics make more. Released pieces are handed
// out again by map_huge, so a batch of files of similar size faults its bitsets in once.
// Smaller bitsets stay on the heap, which recycles them itself.
constexpr std::size_t huge_bitset_bytes = std::size_t{32} << 10;

}  // namespace

void Membership::Release::operator()(std::uint64_t* words) const noexcept {
  if (mapped_bytes > 0)
    huge::unmap_huge({words, mapped_bytes});
  else
    std::default_delete<std::uint64_t[]>()(words);
}

Membership::Storage Membership::allocate(std::size_t words) {
  if (words == 0) return {};
  const std::size_t bytes = words * sizeof(std::uint64_t);
  if (huge::huge_buffers_enabled && bytes >= huge_bitset_bytes)
    if (const auto mapping = huge::map_huge(bytes); mapping.data)
      return Storage(static_cast<std::uint64_t*>(mapping.data), Release{mapping.length});
  return Storage(std::make_unique_for_overwrite<std::uint64_t[]>(words).release(), Release{0});
}

// Storage may be a reused piece holding an earlier bitset's words: every word is written here.
Membership::Membership(std::size_t events, bool all) : events_(events), words_(allocate(word_count())) {
  const std::size_t n = word_count();
  if (n == 0) return;
  std::fill_n(words_.get(), n, all ? ~std::uint64_t{0} : std::uint64_t{0});
  if (all && events % 64) words_[n - 1] = (std::uint64_t{1} << (events % 64)) - 1;
}

Membership::Membership(const Membership& other) : events_(other.events_), words_(allocate(other.word_count())) {
  if (const std::size_t n = word_count(); n > 0) std::memcpy(words_.get(), other.words_.get(), n * sizeof(std::uint64_t));
}

Membership& Membership::operator=(const Membership& other) {
  if (this == &other) return *this;
  if (words_ && word_count() == other.word_count()) {  // same size: keep our storage
    events_ = other.events_;
    std::memcpy(words_.get(), other.words_.get(), word_count() * sizeof(std::uint64_t));
  } else {
    *this = Membership(other);
  }
  return *this;
}

Membership& Membership::operator=(Membership&& other) noexcept {
  if (this != &other) {
    events_ = std::exchange(other.events_, 0);
    words_ = std::move(other.words_);  // releases ours (back to map_huge's pieces when one)
  }
  return *this;
}

bool Membership::operator==(const Membership& other) const noexcept {
  return events_ == other.events_ && std::ranges::equal(words(), other.words());
}

std::size_t Membership::count() const noexcept { return detail::popcount_words(words_.get(), word_count()); }

std::vector<std::uint8_t> Membership::to_flags() const {
  std::vector<std::uint8_t> out(events_);
  for (std::size_t i = 0; i < events_; ++i) out[i] = test(i) ? 1 : 0;
  return out;
}

}  // namespace cytopipe::gating
