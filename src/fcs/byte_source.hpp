#pragma once
// Where the bytes of an FCS file come from: memory already held by the caller, or an open file
// read in pieces (so a large DATA segment never sits in memory beside its decoded doubles).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace cytopipe::fcs::detail {

class ByteSource {
 public:
  // Bytes already in memory; views are sub-spans, nothing is copied.
  explicit ByteSource(std::span<const std::byte> bytes);
  // An open file (read with pread); throws FcsError when it cannot be opened.
  explicit ByteSource(const std::filesystem::path& file);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  std::uint64_t size() const noexcept { return size_; }
  // The `length` bytes at `offset` (which the caller has checked lie inside the file), either a
  // view into memory or read into `scratch`.
  std::span<const std::byte> view(std::uint64_t offset, std::size_t length,
                                  std::vector<std::byte>& scratch) const;
  // As above, reading into `buffer` (at least `length` bytes). Safe to call concurrently.
  std::span<const std::byte> view(std::uint64_t offset, std::size_t length,
                                  std::span<std::byte> buffer) const;
  bool is_file() const noexcept { return fd_ >= 0; }

 private:
  std::span<const std::byte> memory_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string name_;
};

}  // namespace cytopipe::fcs::detail
