#pragma once
// An exclusive lock on an output folder, held for a whole run: flock(2) on a lock file beside the
// folder, so the kernel releases it when the process ends, however it ends. The file holds who
// took it (pid, host, start time) for the message of a run that is refused.
#include <filesystem>
#include <string>

namespace cytopipe::pipeline::detail {

class FolderLock {
 public:
  // Takes the lock at `lock_file` for `folder` (named in messages), or throws an Error naming
  // the holder at once: a second run never waits behind the first.
  FolderLock(std::filesystem::path lock_file, const std::filesystem::path& folder);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  std::filesystem::path file_;
  int fd_ = -1;
};

}  // namespace cytopipe::pipeline::detail
