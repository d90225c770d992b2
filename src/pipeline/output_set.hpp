#pragma once
// A run's outputs as one unit. The whole set is written into a staging folder beside the output
// folder (same filesystem), then published in one step: renameat2(RENAME_EXCHANGE) swaps the
// staging folder with the output folder, so the output path always names a complete set, the
// previous one or the new one, even under kill -9. A run that fails before publishing leaves
// the previous set as it was. Files of the previous set that this run does not write (plots no
// longer made) go with the old folder; files a user put there (neither listed in its run.json
// nor a name a run writes) are carried over as hard links.
//
// Beside `results/NAME/` while a run holds it:
//   results/.NAME.lock              the folder lock (see FolderLock), removed at the end
//   results/.NAME.staging-PID-N/    this run's set while it is written
//   results/.NAME.previous/         only on filesystems without RENAME_EXCHANGE (see publish)
// Whatever a killed run left of these is cleaned (or restored) by the next run into the folder.
#include <filesystem>
#include <optional>

#include "pipeline/folder_lock.hpp"

namespace cytopipe::pipeline::detail {

class OutputSet {
 public:
  // Locks `folder` (an Error naming the holder if another run has it), restores or removes what
  // killed runs left beside it, and creates an empty staging folder. An Error, before any work,
  // for a non-empty folder that no run wrote (no run.json and files that are not outputs).
  explicit OutputSet(const std::filesystem::path& folder);
  ~OutputSet();  // removes the staging folder if it was not published; releases the lock
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Where this run writes its outputs.
  const std::filesystem::path& staging() const { return staging_; }
  // Whether the output folder holds a previous set (exists and is not empty).
  bool holds_previous_set() const;
  // How the staging folder replaces an existing output folder: one exchange, or (where the
  // filesystem has none, and in tests) two renames through `.NAME.previous`.
  enum class Swap { exchange, two_renames };
  // Makes the staging folder the output folder.
  void publish(Swap swap = Swap::exchange);

 private:
  std::filesystem::path folder_;   // absolute, symlinks resolved
  std::filesystem::path shown_;    // as the user named it, for messages
  std::optional<FolderLock> lock_;
  std::filesystem::path staging_;
  bool published_ = false;
};

}  // namespace cytopipe::pipeline::detail
