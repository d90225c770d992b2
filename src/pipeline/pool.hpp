#pragma once
// Objects lent one per use and kept between uses (at most `Kept`), e.g. multi-megabyte buffers:
// a fresh one per file cost more in page faults, as glibc trims and regrows its heap, than the
// work done in it. A pool rather than thread_local storage: a TBB thread waiting inside one
// file's work may start another file's, which must not get the same object.
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace cytopipe::pipeline::detail {

template <class T, std::size_t Kept = 8>  // more than files in flight on our machines
class Pool {
 public:
  Pool() { free_.reserve(Kept); }  // so give() never allocates

  class Lease {
   public:
    explicit Lease(Pool& pool) : pool_(pool), object_(pool.take()) {}
    ~Lease() { pool_.give(std::move(object_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& get() noexcept { return object_; }

   private:
    Pool& pool_;
    T object_;
  };

 private:
  T take() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return T{};
    T object = std::move(free_.back());
    free_.pop_back();
    return object;
  }
  void give(T&& object) noexcept {
    std::lock_guard lock(mutex_);
    if (free_.size() < Kept) free_.push_back(std::move(object));
  }

  std::mutex mutex_;
  std::vector<T> free_;
};

}  // namespace cytopipe::pipeline::detail
