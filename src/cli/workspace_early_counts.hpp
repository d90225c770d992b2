#pragma once
// gate --workspace, counts only, several files: files counted on another core while the first
// pass is still reading the workspace (megabytes of XML, before which no file was counted). A file
// is counted with the first sample its name matches (match_samples' first rule: the file's name
// against a sample's $FIL, name or DataSet file name), as soon as the pass has passed that
// sample, if that sample is described alike the first sample a file matched this way (FlowJo's
// group gating gives every sample of a group the same gates): that one model is read once
// (load_workspace_sample, the workspace read only up to the sample after it). Only one model: in
// a workspace whose every sample has gates of its own, reading each early would read the
// workspace again per file.
// A count is used only if the whole workspace was read without an error and the file's final
// match is that sample (the same gates, so the same counts); any fault (reading the file or the
// model, a channel missing, counting) leaves the file to the usual counting, which reports it as
// it always does.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/gating/block_counts.hpp"
#include "cytopipe/gating/flowjo.hpp"

namespace cytopipe::cli {

class WorkspaceEarlyCounts {
 public:
  struct Counted {
    std::string source;
    gating::PopulationCounts counts;
  };
  // The files' metadata as matching reads them (`metadata[k]` is file `usable[k]`) and their
  // TEXT as read for gating (`texts`, by file index: a file counted early takes its own over), all
  // complete when scanned() is first told so and left alone by the caller until stop(). Files are
  // counted by a task in `arena`, the one the caller counts the other files in afterwards: on
  // its worker threads (the caller's thread is reading the workspace), which then count the rest
  // with memory already theirs.
  WorkspaceEarlyCounts(std::filesystem::path workspace, gating::WorkspaceOptions options, tbb::task_arena& arena,
                       const std::vector<fcs::Sample>& metadata,
                       const std::vector<std::size_t>& usable,
                       std::vector<std::optional<fcs::EventBlocks::Text>>& texts);
  WorkspaceEarlyCounts(const WorkspaceEarlyCounts&) = delete;
  WorkspaceEarlyCounts& operator=(const WorkspaceEarlyCounts&) = delete;
  ~WorkspaceEarlyCounts();

  // WorkspaceOptions::scanned (the thread reading the workspace): queues the files this sample is
  // the first to match, if its gates are the model's. Until `files_read` (the metadata complete)
  // the sample is kept and matched later: the workspace is read on meanwhile (waiting for the
  // files there put their reading, ~50 us each, before the scan instead of beside it).
  void scanned(std::size_t index, const gating::WorkspaceSample& identity, std::size_t described_as,
               bool files_read);
  // No file is started after this; the one being counted is finished (the caller's thread joins
  // the arena to help).
  void stop();
  // File `file`'s counts if it was counted early with sample `sample` (document order); after
  // stop().
  std::optional<Counted> take(std::size_t file, std::size_t sample);

 private:
  struct Job {
    std::size_t k = 0;       // into metadata / usable
    std::size_t sample = 0;  // the sample it matched
    std::size_t model = 0;   // the sample whose reading counts it (described alike)
  };
  void work();
  void match(std::size_t index, const gating::WorkspaceSample& identity, std::size_t described_as);

  std::filesystem::path workspace_;
  gating::WorkspaceOptions options_;  // without `scanned`
  tbb::task_arena& arena_;
  const std::vector<fcs::Sample>& metadata_;
  const std::vector<std::size_t>& usable_;
  std::vector<std::optional<fcs::EventBlocks::Text>>& texts_;
  // Files by name (as match_samples takes it from the path). Built at the first scanned().
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
  bool indexed_ = false;
  struct Passed {
    std::size_t index = 0;
    gating::WorkspaceSample identity;
    std::size_t described_as = 0;
  };
  std::vector<Passed> passed_;  // samples scanned before the files were read
  std::vector<bool> queued_;  // by k
  std::optional<std::size_t> model_;  // the sample whose gates early files are counted with

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  // By file index: the sample it was counted with and its counts.
  std::map<std::size_t, std::pair<std::size_t, Counted>> done_;
  tbb::task_group work_;  // the task running work()
  bool stopped_ = false;
};

}  // namespace cytopipe::cli
