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
// e.g. a static one, is then left to the kernel: see `exiting`).
constinit bool cache_alive = false;
// Set when the cache is destroyed, at exit: mappings are then left to the kernel, which tears the
// whole address space down anyway. Unmapping them one by one took ~17 munmap calls at the end of
// every command (each splitting a huge page and flushing the other CPU's TLB).
constinit bool exiting = false;

// Buffers of at most half a huge page share huge pages: a 2 MiB page is split into equal pieces
// of the next power of two from 32 KiB. A whole page each was zeroed by the kernel at first
// touch for a quarter of it used: the four scaled gate columns of a 64k-event block (512 KiB
// each) faulted in 8 MiB where 2 MiB now serve. The small classes serve gating's bitsets (a
// 1M-event population is 122 KiB; gating/membership.cpp), while EventMatrix and ScratchBuffer
// ask for pieces from huge_buffer_threshold.
constexpr std::size_t smallest_piece = std::size_t{32} << 10;
constexpr std::size_t piece_classes = 6;  // 32 KiB, 64 KiB, ..., 1 MiB
static_assert(smallest_piece << (piece_classes - 1) == huge_page_bytes / 2);
std::size_t piece_class(std::size_t bytes) noexcept {
  std::size_t c = 0;
  while ((smallest_piece << c) < bytes) ++c;
  return c;
}

struct MappingCache {
  std::mutex mutex;
  std::vector<HugeMapping> free;  // oldest first
  std::size_t bytes = 0;
  // Free pieces of split huge pages, by class; kept until exit (at most what was in use at once).
  std::vector<void*> pieces[piece_classes];
  MappingCache() { cache_alive = true; }
  ~MappingCache() {
    cache_alive = false;
    exiting = true;
  }
  void drop() noexcept {
    for (const auto& m : free) ::munmap(m.data, m.length);
    free.clear();
    bytes = 0;
    for (std::size_t c = 0; c < piece_classes; ++c) {
      for (void* p : pieces[c]) ::munmap(p, smallest_piece << c);  // part of a huge page: allowed
      pieces[c].clear();
    }
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

namespace {

// A piece of `c`'s size: a free one, else the first of a huge page split for the class.
HugeMapping map_piece(std::size_t c) noexcept {
  const std::size_t length = smallest_piece << c;
  auto& cache_ = cache();
  {
    std::lock_guard lock(cache_.mutex);
    if (!cache_.pieces[c].empty()) {
      void* p = cache_.pieces[c].back();
      cache_.pieces[c].pop_back();
      return {p, length};
    }
  }
  HugeMapping page = take_cached(huge_page_bytes);
  if (!page.data) page = map_huge_fresh(huge_page_bytes);
  if (!page.data) return {};
  auto* base = static_cast<std::byte*>(page.data);
  std::lock_guard lock(cache_.mutex);
  for (std::size_t at = page.length - length; at > 0; at -= length) cache_.pieces[c].push_back(base + at);
  return {base, length};
}

}  // namespace

HugeMapping map_huge(std::size_t bytes) noexcept {
  if (bytes == 0 || bytes > SIZE_MAX - 2 * huge_page_bytes) return {};
  if (bytes <= huge_page_bytes / 2) return map_piece(piece_class(bytes));
  const std::size_t length = (bytes + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  if (const HugeMapping reused = take_cached(length); reused.data) return reused;
  return map_huge_fresh(bytes);
}

void unmap_huge(HugeMapping mapping) noexcept {
  if (!mapping.data || exiting) return;
  if (mapping.length < huge_page_bytes && cache_alive) {  // a piece
    auto& c = cache();
    std::lock_guard lock(c.mutex);
    c.pieces[piece_class(mapping.length)].push_back(mapping.data);
    return;
  }
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
    // A scratch buffer is reused, so rounding it up (to a piece of a huge page, or whole pages)
    // wastes nothing that matters, while a heap block of this size comes and goes with glibc's
    // heap trimming and is faulted in again, 4 KiB at a time, by the next read.
    if (huge_buffers_enabled && bytes >= huge_buffer_threshold) mapping_ = map_huge(bytes);
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
