#include "cytopipe/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <system_error>

#include "cytopipe/error.hpp"

namespace cytopipe {
namespace {

// `.NAME.tmpPID-N`: the pid keeps two processes writing the same target from sharing a temporary.
std::filesystem::path temporary_beside(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.parent_path() /
         ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& target,
                           const std::function<void(std::ostream&)>& write) {
  const auto temp = temporary_beside(target);
  try {
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      if (!out) throw Error("cannot create output file", ErrorContext{target.string(), {}, 0, 0});
      write(out);
      out.flush();
      if (!out) throw Error("write failed (disk full or no permission?)", ErrorContext{target.string(), {}, 0, 0});
    }
    std::error_code ec;
    std::filesystem::rename(temp, target, ec);
    if (ec) throw Error("cannot rename temporary file into place: " + ec.message(), ErrorContext{target.string(), {}, 0, 0});
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw;
  }
}

void write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes) {
  write_file_atomically(target, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
}

void write_file_atomically(const std::filesystem::path& target, std::string_view text) {
  write_file_atomically(target, [&](std::ostream& out) {
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  });
}

}  // namespace cytopipe
