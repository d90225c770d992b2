#pragma once
// Large buffers straight from mmap, 2 MiB aligned and marked MADV_HUGEPAGE (up to 1 MiB: a piece
// of such a page shared with other buffers of the same size).
// Why: first touching fresh memory costs one page fault per page, and on our 2-core VMs a 4 KiB
// fault costs ~12 us of CPU, so a fresh 128 MB event matrix spent ~0.4 s in faults before a
// single value was decoded; with transparent huge pages (`madvise` mode on Debian) the same
// matrix faults 61 times and costs ~13 ms (the kernel still zeroes it). Released mappings are
// kept for reuse (bounded, see huge_pages.cpp), so a batch of reads faults once.
#include <cstddef>
#include <memory>
#include <span>

namespace cytopipe::fcs::detail {

inline constexpr std::size_t huge_page_bytes = std::size_t{2} << 20;
// Below this a buffer comes from the heap: rounding up to whole huge pages would waste too much.
// Low, because a fresh 4 KiB page costs ~22 us here (64 MB touched: 370 ms on 4 KiB pages, 8-12
// ms on huge pages), so a 512 KiB heap column costs ~2.8 ms to fault in, more than a whole 2 MiB
// huge page (~0.15 ms): block-wise gating builds several such columns per thread.
inline constexpr std::size_t huge_buffer_threshold = std::size_t{256} << 10;
#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer checks bounds on heap blocks only: sanitizer builds keep everything there.
inline constexpr bool huge_buffers_enabled = false;
#else
inline constexpr bool huge_buffers_enabled = true;
#endif

struct HugeMapping {
  void* data = nullptr;
  std::size_t length = 0;  // whole huge pages
};
// At least `bytes` of uninitialised memory (fresh from the kernel, or a released mapping reused;
// at most 1 MiB: a piece of a shared huge page, `length` its power-of-two size from 32 KiB);
// {nullptr, 0} when mmap fails.
HugeMapping map_huge(std::size_t bytes) noexcept;
// As map_huge, but always a new mapping from the kernel (never a cached one); release it with
// munmap or unmap_huge.
HugeMapping map_huge_fresh(std::size_t bytes) noexcept;
// Releases a mapping: kept (bounded) for reuse by map_huge, else returned to the kernel.
void unmap_huge(HugeMapping mapping) noexcept;
// Returns every kept mapping to the kernel (benchmarks of a first read; memory pressure).
void release_cached_huge_mappings() noexcept;

// A reusable scratch buffer: a huge-page mapping when large (and enabled), the heap otherwise.
// Contents are not kept when it grows.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ~ScratchBuffer() { unmap_huge(mapping_); }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  std::span<std::byte> get(std::size_t bytes);

 private:
  HugeMapping mapping_;
  std::unique_ptr<std::byte[]> heap_;
  std::size_t size_ = 0;
};

}  // namespace cytopipe::fcs::detail
