#include "pipeline/folder_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>

#include "cytopipe/error.hpp"

namespace cytopipe::pipeline::detail {
namespace {

std::string holder_text() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "?");
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char started[32];
  std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return "pid " + std::to_string(::getpid()) + " on host " + host + ", started " + started;
}

// The holder writes its line right after locking; a refused run may look in between.
std::string read_holder(int fd) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    char buf[512];
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      std::string text(buf, static_cast<std::size_t>(n));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
      if (!text.empty()) return text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "a process that has not yet said who it is";
}

bool same_file(int fd, const std::filesystem::path& path) {
  struct stat open_file {}, named {};
  return ::fstat(fd, &open_file) == 0 && ::stat(path.c_str(), &named) == 0 &&
         open_file.st_ino == named.st_ino && open_file.st_dev == named.st_dev;
}

}  // namespace

FolderLock::FolderLock(std::filesystem::path lock_file, const std::filesystem::path& folder)
    : file_(std::move(lock_file)) {
  const ErrorContext where{folder.string(), "output folder", 0, 0};
  // The holder unlinks the file when it is done; a lock taken on a file that was unlinked
  // meanwhile guards nothing, so take it again on the file now at that name.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot create the lock file " + file_.string() + ": " + std::strerror(errno), where);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = err == EWOULDBLOCK ? read_holder(fd) : "";
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw Error("in use by another run (" + holder + "; lock file " + file_.string() +
                        "): not writing into it",
                    where);
      throw Error("cannot lock " + file_.string() + ": " + std::strerror(err), where);
    }
    if (same_file(fd, file_)) {
      fd_ = fd;
      break;
    }
    ::close(fd);
  }
  if (fd_ < 0) throw Error("cannot lock " + file_.string() + ": it keeps being replaced", where);
  const std::string text = holder_text() + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int err = errno;
    ::unlink(file_.c_str());
    ::close(fd_);
    throw Error("cannot write the lock file " + file_.string() + ": " + std::strerror(err), where);
  }
}

FolderLock::~FolderLock() {
  // Unlink while still holding the lock, so no one locks a file that is about to go away
  // unnoticed (the inode check above catches the rest).
  ::unlink(file_.c_str());
  ::close(fd_);
}

}  // namespace cytopipe::pipeline::detail
