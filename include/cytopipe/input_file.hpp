#pragma once
// The one check every input file (FCS, config, strategy, sample sheet, tables) passes before it
// is opened: it must be a regular file. Opening a FIFO for reading blocks until a writer comes
// (a hang), and a directory or device is never what was meant.
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cytopipe/error.hpp"

namespace cytopipe {

// What kind of non-regular file `mode` is, for the message.
inline const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

// Throws Error naming `file` unless it exists and is a regular file (symbolic links followed).
// `what` says what the file was meant to be ("pipeline config", "sample sheet", ...).
inline void require_regular_file(const std::filesystem::path& file, const std::string& what) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0)
    throw Error("cannot open " + what + ": " + std::strerror(errno), {file.string(), "", 0, 0});
  if (!S_ISREG(info.st_mode))
    throw Error(std::string("not a regular file (") + file_kind(info.st_mode) + "), refused as " + what,
                {file.string(), "", 0, 0});
}

// The whole input file as bytes, after require_regular_file; Error naming it when it cannot be
// opened or read. Every reader of a whole text input (config, design, strategy, tables) uses it.
inline std::string read_input_file(const std::filesystem::path& file, const std::string& what) {
  require_regular_file(file, what);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + what, {file.string(), "", 0, 0});
  // Read straight into a string of the file's size, then whatever follows if it grew: the bytes
  // are copied once (a string stream grew by doubling and copied them again; 10 % of importing a
  // 5 MB FlowJo workspace).
  std::string text;
  std::error_code size_error;
  const auto size = std::filesystem::file_size(file, size_error);
  if (!size_error && size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<std::size_t>(in.gcount()));
  }
  if (!in.bad() && !in.eof()) {
    std::array<char, 1 << 16> block;
    while (in.read(block.data(), block.size()) || in.gcount() > 0)
      text.append(block.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error("cannot read " + what, {file.string(), "", 0, 0});
  return text;
}

}  // namespace cytopipe
