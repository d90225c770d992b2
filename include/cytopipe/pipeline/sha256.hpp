#pragma once
// SHA-256 (FIPS 180-4) of files and text, for run.json: which exact inputs a run saw.
// Two engines compute the same digest: the x86 SHA extensions (SHA-NI) when the CPU has them,
// chosen at run time, and a portable one everywhere else.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace cytopipe::pipeline {

class Sha256 {
 public:
  enum class Engine { Auto, Portable, ShaNi };

  // Auto: SHA-NI if available, else portable. ShaNi on a CPU without it: Error.
  explicit Sha256(Engine engine = Engine::Auto);
  static bool sha_ni_available();
  Engine engine() const noexcept { return engine_; }  // never Auto

  void update(std::span<const std::byte> bytes);
  void update(std::string_view text);
  std::string hex();  // finishes; the object is then spent

 private:
  using Compress = void (*)(std::uint32_t* state, const std::uint8_t* blocks, std::size_t count);
  Engine engine_;
  Compress compress_;
  std::uint32_t h_[8];
  std::uint8_t buffer_[64];
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;
};

std::string sha256_hex(std::string_view text);
// Error naming the file when it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace cytopipe::pipeline
