#include "cli/workspace_early_counts.hpp"

#include <string_view>
#include <utility>


namespace cytopipe::cli {
namespace {

// The last part of a path or URI, as match_samples takes a file name from it (which also decodes
// %XX: names holding '%' are left out here).
std::string_view last_part(std::string_view path) {
  const auto slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

WorkspaceEarlyCounts::WorkspaceEarlyCounts(std::filesystem::path workspace, gating::WorkspaceOptions options,
                                           tbb::task_arena& arena, const std::vector<fcs::Sample>& metadata,
                                           const std::vector<std::size_t>& usable,
                                           std::vector<std::optional<fcs::EventBlocks::Text>>& texts)
    : workspace_(std::move(workspace)),
      options_(std::move(options)),
      arena_(arena),
      metadata_(metadata),
      usable_(usable),
      texts_(texts) {
  options_.scanned = {};
  arena_.enqueue(work_.defer([this] { work(); }));
}

WorkspaceEarlyCounts::~WorkspaceEarlyCounts() { stop(); }

void WorkspaceEarlyCounts::scanned(std::size_t index, const gating::WorkspaceSample& identity,
                                   std::size_t described_as, bool files_read) {
  if (!files_read) {
    passed_.push_back({index, identity, described_as});
    return;
  }
  for (const auto& p : passed_) match(p.index, p.identity, p.described_as);
  passed_.clear();
  match(index, identity, described_as);
}

void WorkspaceEarlyCounts::match(std::size_t index, const gating::WorkspaceSample& identity,
                                 std::size_t described_as) {
  if (model_ && *model_ != described_as) return;  // another sample's gates: not read early
  if (!indexed_) {
    indexed_ = true;
    queued_.assign(metadata_.size(), false);
    for (std::size_t k = 0; k < metadata_.size(); ++k)
      if (const auto name = last_part(metadata_[k].source); name.find('%') == std::string_view::npos)
        by_name_[std::string(name)].push_back(k);
  }
  // The files this sample matches by their name (match_samples' first rule: a file's name against
  // a sample's $FIL, name or DataSet file name), which comes before the others: a file matched
  // later by its $FIL or keywords (every copy of a file holds its $FIL) is left to the usual
  // counting. Names holding '%' (percent-decoded there) are left out.
  std::vector<Job> found;
  auto candidates = [&](std::string_view name) {
    if (name.empty()) return;
    const auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return;
    for (std::size_t k : it->second)
      if (!queued_[k]) {
        queued_[k] = true;
        found.push_back({k, index, described_as});
      }
  };
  if (const auto fil = identity.keywords.find("$FIL"); fil != identity.keywords.end()) candidates(fil->second);
  candidates(identity.name);
  if (const auto uri = last_part(identity.uri); uri.find('%') == std::string_view::npos) candidates(uri);
  if (found.empty()) return;
  model_ = described_as;  // (read by this thread only)
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.insert(jobs_.end(), found.begin(), found.end());
  }
  wake_.notify_one();
}

void WorkspaceEarlyCounts::stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  // (A task not started yet, e.g. with every worker thread busy, returns at once when it starts:
  // this thread may run it here.)
  arena_.execute([this] { work_.wait(); });
}

std::optional<WorkspaceEarlyCounts::Counted> WorkspaceEarlyCounts::take(std::size_t file, std::size_t sample) {
  const auto it = done_.find(file);
  if (it == done_.end() || it->second.first != sample) return std::nullopt;
  Counted out = std::move(it->second.second);
  done_.erase(it);
  return out;
}

void WorkspaceEarlyCounts::work() {
  std::optional<gating::WorkspaceSample> model;  // read at the first job
  bool model_failed = false;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = jobs_.front();
      jobs_.pop_front();
    }
    if (model_failed) continue;
    const std::size_t file = usable_[job.k];
    try {
      if (!model) model = gating::load_workspace_sample(workspace_, job.model, options_);
      const gating::GatingStrategy& strategy = model->strategy;
      strategy.check_sample(metadata_[job.k]);
      auto& text = texts_[file];
      if (!text) continue;
      const fcs::EventBlocks blocks(*std::exchange(text, std::nullopt));
      if (!gating::counts_block_by_block(strategy, blocks)) continue;
      Counted counted{blocks.metadata().source, gating::count_populations(strategy, blocks)};
      const std::lock_guard lock(mutex_);
      done_.emplace(file, std::pair{job.sample, std::move(counted)});
    } catch (...) {  // (std::bad_alloc too: nothing may leave a TBB task here)
      // Left to the usual counting, which reports any fault as it always does (a model that
      // cannot be read: the workspace's own reading reports it, if a file needs that sample).
      if (!model) model_failed = true;
    }
  }
}

}  // namespace cytopipe::cli
