#pragma once
// SHA-256 (FIPS 180-4) of files and text, for run.json: which exact inputs a run saw.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace cytopipe::pipeline {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const std::byte> bytes);
  void update(std::string_view text);
  std::string hex();  // finishes; the object is then spent

 private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buffer_[64];
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

std::string sha256_hex(std::string_view text);
// Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace cytopipe::pipeline
