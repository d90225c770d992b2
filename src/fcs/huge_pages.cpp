#include "fcs/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <vector>

namespace cytopipe::fcs::detail {
namespace {

// Released mappings kept for the next buffer of about the same size. On our VMs giving a large
// mapping back to the kernel and faulting a new one in (zeroed) costs more CPU than decoding
// into it, and a batch reads many files of similar size. Bounded: at most `cache_entries`
// mappings and `cache_bytes` in all; anything beyond is unmapped at once.
constexpr std::size_t cache_entries = 32;  // a batch file: its matrix plus a few scaled gate columns
constexpr std::size_t cache_bytes = std::size_t{512} << 20;

// False before the cache is built and after it is destroyed at exit (a matrix released later,
// e.g. a static one, is unmapped directly).
constinit bool cache_alive = false;

struct MappingCache {
  std::mutex mutex;
  std::vector<HugeMapping> free;  // oldest first
  std::size_t bytes = 0;
  MappingCache() { cache_alive = true; }
  ~MappingCache() {
    cache_alive = false;
    drop();
  }
  void drop() noexcept {
    for (const auto& m : free) ::munmap(m.data, m.length);
    free.clear();
    bytes = 0;
  }
};

MappingCache& cache() {
  static MappingCache instance;
  return instance;
}

// A cached mapping of at least `length` bytes wasting at most a quarter of it (best fit).
HugeMapping take_cached(std::size_t length) noexcept {
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  auto best = c.free.end();
  for (auto it = c.free.begin(); it != c.free.end(); ++it)
    if (it->length >= length && it->length - length <= length / 4 &&
        (best == c.free.end() || it->length < best->length))
      best = it;
  if (best == c.free.end()) return {};
  const HugeMapping found = *best;
  c.free.erase(best);
  c.bytes -= found.length;
  return found;
}

}  // namespace

void release_cached_huge_mappings() noexcept {
  if (!cache_alive) return;
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  c.drop();
}

HugeMapping map_huge_fresh(std::size_t bytes) noexcept {
  if (bytes == 0 || bytes > SIZE_MAX - 2 * huge_page_bytes) return {};
  const std::size_t length = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  // Over-map by one huge page and trim, so the kept range starts on a 2 MiB boundary (a huge
  // page can only back an aligned range).
  const std::size_t reserved = length + huge_page_bytes;
  void* raw = ::mmap(nullptr, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return {};
  const auto begin = reinterpret_cast<std::uintptr_t>(raw);
  const auto aligned = (begin + huge_page_bytes - 1) & ~std::uintptr_t{huge_page_bytes - 1};
  if (aligned > begin) ::munmap(raw, aligned - begin);
  if (const std::size_t tail = begin + reserved - (aligned + length); tail > 0)
    ::munmap(reinterpret_cast<void*>(aligned + length), tail);
  void* data = reinterpret_cast<void*>(aligned);
#ifdef MADV_HUGEPAGE
  ::madvise(data, length, MADV_HUGEPAGE);  // advice only: without THP the mapping still works
#endif
  return {data, length};
}

HugeMapping map_huge(std::size_t bytes) noexcept {
  if (bytes == 0 || bytes > SIZE_MAX - 2 * huge_page_bytes) return {};
  const std::size_t length = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  if (const HugeMapping reused = take_cached(length); reused.data) return reused;
  return map_huge_fresh(bytes);
}

void unmap_huge(HugeMapping mapping) noexcept {
  if (!mapping.data) return;
  if (mapping.length > cache_bytes || !cache_alive) {
    ::munmap(mapping.data, mapping.length);
    return;
  }
  auto& c = cache();
  std::lock_guard lock(c.mutex);
  c.free.push_back(mapping);
  c.bytes += mapping.length;
  while (c.free.size() > cache_entries || c.bytes > cache_bytes) {
    ::munmap(c.free.front().data, c.free.front().length);
    c.bytes -= c.free.front().length;
    c.free.erase(c.free.begin());
  }
}

std::span<std::byte> ScratchBuffer::get(std::size_t bytes) {
  if (bytes > size_) {
    unmap_huge(mapping_);
    mapping_ = {};
    heap_.reset();
    size_ = 0;
    // A scratch buffer is reused, so rounding it up to whole huge pages wastes nothing that
    // matters, while a heap block of this size comes and goes with glibc's heap trimming and is
    // faulted in again, 4 KiB at a time, by the next read.
    if (huge_buffers_enabled && bytes >= huge_page_bytes) mapping_ = map_huge(bytes);
    if (mapping_.data) {
      size_ = mapping_.length;
    } else {
      heap_ = std::make_unique_for_overwrite<std::byte[]>(bytes);
      size_ = bytes;
    }
  }
  return {mapping_.data ? static_cast<std::byte*>(mapping_.data) : heap_.get(), bytes};
}

}  // namespace cytopipe::fcs::detail
