#include "fcs/byte_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/input_file.hpp"

namespace cytopipe::fcs::detail {

ByteSource::ByteSource(std::span<const std::byte> bytes) : memory_(bytes), size_(bytes.size()) {}

ByteSource::ByteSource(const std::filesystem::path& file) : name_(file.string()) {
  // Anything but a regular file is refused before it is opened: even a moment's open of a FIFO
  // for reading lets a writer waiting on it in (and test_cli's FifoInput.* saw it, now and then).
  struct stat before {};
  if (::stat(file.c_str(), &before) == 0 && !S_ISREG(before.st_mode))
    throw FcsError(FcsErrorKind::Other, std::string("not a regular file (") + file_kind(before.st_mode) + ")", {name_, ""});
  // O_NONBLOCK: should the path become a FIFO after that check, opening it must not wait for a
  // writer; it is refused below (no effect on a regular file's reads).
  fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd_ < 0)
    throw FcsError(FcsErrorKind::Other, std::string("cannot open: ") + std::strerror(errno), {name_, ""});
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    throw FcsError(FcsErrorKind::Other, std::string("not a regular file (") + file_kind(info.st_mode) + ")", {name_, ""});
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

ByteSource::~ByteSource() {
  if (fd_ >= 0) ::close(fd_);
}

std::span<const std::byte> ByteSource::view(std::uint64_t offset, std::size_t length,
                                            std::vector<std::byte>& scratch) const {
  if (fd_ < 0) return memory_.subspan(static_cast<std::size_t>(offset), length);
  if (scratch.size() < length) scratch.resize(length);
  return view(offset, length, std::span(scratch));
}

std::span<const std::byte> ByteSource::view(std::uint64_t offset, std::size_t length,
                                            std::span<std::byte> buffer) const {
  if (fd_ < 0) return memory_.subspan(static_cast<std::size_t>(offset), length);
  std::size_t done = 0;
  while (done < length) {
    ssize_t got = ::pread(fd_, buffer.data() + done, length - done,
                          static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw FcsError(FcsErrorKind::Truncated,
                     "read failed at byte " + std::to_string(offset + done) +
                         (got < 0 ? std::string(": ") + std::strerror(errno) : std::string(": end of file")),
                     {name_, ""});
    done += static_cast<std::size_t>(got);
  }
  return {buffer.data(), length};
}

}  // namespace cytopipe::fcs::detail
