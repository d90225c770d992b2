#include "fcs/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace cytopipe::fcs::detail {

HugeMapping map_huge(std::size_t bytes) noexcept {
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

void unmap_huge(HugeMapping mapping) noexcept {
  if (mapping.data) ::munmap(mapping.data, mapping.length);
}

std::span<std::byte> ScratchBuffer::get(std::size_t bytes) {
  if (bytes > size_) {
    unmap_huge(mapping_);
    mapping_ = {};
    heap_.reset();
    size_ = 0;
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
