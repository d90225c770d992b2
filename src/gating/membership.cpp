// Membership: the bitset of a population, with its storage recycled between samples.
#include <algorithm>
#include <mutex>
#include <vector>

#include "cytopipe/gating/evaluate.hpp"
#include "gating/word_kernels.hpp"

namespace cytopipe::gating {

namespace {

// Recycled word storage for Membership (see evaluate.hpp). Bounded in entries and bytes; small
// bitsets are not worth a lock and go straight to the heap.
class WordPool {
 public:
  static constexpr std::size_t kMinWords = 1024;  // 65536 events
  static constexpr std::size_t kEntries = 256;
  static constexpr std::size_t kBytes = std::size_t{64} << 20;

  static WordPool* instance() noexcept {
    static WordPool pool;
    return alive_ ? &pool : nullptr;  // null during and after static destruction
  }
  // `words` zeroed words, recycled when the pool has a block of about that size.
  std::vector<std::uint64_t> take(std::size_t words) {
    std::vector<std::uint64_t> found;
    {
      std::lock_guard lock(mutex_);
      for (std::size_t i = free_.size(); i-- > 0;) {
        const std::size_t cap = free_[i].capacity();
        if (cap >= words && cap - words <= words / 4) {
          found = std::move(free_[i]);
          free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(i));
          bytes_ -= cap * sizeof(std::uint64_t);
          break;
        }
      }
    }
    found.assign(words, 0);
    return found;
  }
  void give(std::vector<std::uint64_t>&& words) noexcept {
    const std::size_t bytes = words.capacity() * sizeof(std::uint64_t);
    std::lock_guard lock(mutex_);
    if (free_.size() >= kEntries || bytes_ + bytes > kBytes) return;  // freed by the caller
    free_.push_back(std::move(words));  // capacity reserved: never allocates
    bytes_ += bytes;
  }

 private:
  WordPool() {
    free_.reserve(kEntries);
    alive_ = true;
  }
  ~WordPool() { alive_ = false; }
  static inline bool alive_ = false;
  std::mutex mutex_;
  std::vector<std::vector<std::uint64_t>> free_;
  std::size_t bytes_ = 0;
};

std::vector<std::uint64_t> zeroed_words(std::size_t words) {
  if (words >= WordPool::kMinWords)
    if (auto* pool = WordPool::instance()) return pool->take(words);
  return std::vector<std::uint64_t>(words, 0);
}

void recycle(std::vector<std::uint64_t>& words) noexcept {
  if (words.capacity() < WordPool::kMinWords) return;
  if (auto* pool = WordPool::instance()) pool->give(std::move(words));
}

}  // namespace

Membership::Membership(const Membership& other) : events_(other.events_), words_(zeroed_words(other.words_.size())) {
  std::copy(other.words_.begin(), other.words_.end(), words_.begin());
}

Membership& Membership::operator=(const Membership& other) {
  if (this != &other) {
    Membership copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Membership& Membership::operator=(Membership&& other) noexcept {
  if (this != &other) {
    recycle(words_);
    events_ = other.events_;
    words_ = std::move(other.words_);
    other.events_ = 0;
    other.words_.clear();
  }
  return *this;
}

Membership::~Membership() { recycle(words_); }

Membership::Membership(std::size_t events, bool all) : events_(events), words_(zeroed_words((events + 63) / 64)) {
  if (all && events > 0) {
    std::fill(words_.begin(), words_.end(), ~std::uint64_t{0});
    if (events % 64) words_.back() = (std::uint64_t{1} << (events % 64)) - 1;
  }
}

std::size_t Membership::count() const noexcept { return detail::popcount_words(words_.data(), words_.size()); }

std::vector<std::uint8_t> Membership::to_flags() const {
  std::vector<std::uint8_t> out(events_);
  for (std::size_t i = 0; i < events_; ++i) out[i] = test(i) ? 1 : 0;
  return out;
}

}  // namespace cytopipe::gating
