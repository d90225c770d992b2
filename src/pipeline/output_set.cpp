#include "pipeline/output_set.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cytopipe/error.hpp"

namespace cytopipe::pipeline::detail {
namespace {

namespace fs = std::filesystem;

fs::path beside(const fs::path& folder, const std::string& suffix) {
  return folder.parent_path() / ("." + folder.filename().string() + suffix);
}

// `.NAME.tmpPID-N`: what an atomic write leaves when its process is killed.
bool is_temporary(const std::string& name) {
  return name.size() > 1 && name.front() == '.' && name.find(".tmp") != std::string::npos;
}

// What a run writes into an output folder: the names every run writes, and those its run.json
// lists (so a new kind of output is known without being added here). Anything else is a user's.
class OutputNames {
 public:
  explicit OutputNames(const fs::path& folder) {
    std::ifstream in(folder / "run.json");
    if (!in) return;
    try {
      const auto run = nlohmann::json::parse(in);
      for (const auto& f : run.at("outputs")) add(f.get<std::string>());
    } catch (const std::exception&) {
      // not a run.json this code wrote: the fixed names only
    }
  }

  bool is_file(const fs::path& relative) const {
    const auto name = relative.filename().string();
    if (is_temporary(name) || listed_.count(relative.generic_string())) return true;
    static const std::set<std::string> top = {"populations.csv",     "readouts.csv", "readout_formulas.csv",
                                              "gates_resolved.yaml", "stats.csv",    "failures.csv", "warnings.csv",
                                              "report.html",         "run.json"};
    const auto depth = std::distance(relative.begin(), relative.end());
    if (depth == 1) return top.count(name) > 0;
    // plots/*.pdf|png (outputs.plot_formats) count only when the previous run.json lists them
    // (listed_ above): a PNG a user put in plots/ stays.
    return depth == 2 && *relative.begin() == "plots" && relative.extension() == ".svg";
  }
  // A folder outputs go into (it may also hold a user's files).
  bool is_folder(const fs::path& relative) const {
    return relative == "plots" || folders_.count(relative.generic_string()) > 0;
  }

 private:
  void add(const std::string& file) {
    listed_.insert(file);
    for (auto p = fs::path(file).parent_path(); !p.empty(); p = p.parent_path()) folders_.insert(p.generic_string());
  }
  std::set<std::string> listed_, folders_;
};

// Under the lock no other run is writing here: anything staged beside the folder is a killed
// run's. A `.previous` is the old set of a run killed between its two renames (see publish).
void clean_up_after_killed_runs(const fs::path& folder, const ErrorContext& where) {
  std::error_code ec;
  const auto previous = beside(folder, ".previous");
  if (fs::exists(previous, ec)) {
    if (!fs::exists(folder, ec)) {
      fs::rename(previous, folder, ec);
      if (ec) throw Error("cannot restore the previous set from " + previous.string() + ": " + ec.message(), where);
    } else {
      fs::remove_all(previous, ec);
    }
  }
  const std::string staged = "." + folder.filename().string() + ".staging-";
  for (const auto& entry : fs::directory_iterator(folder.parent_path(), ec))
    if (entry.path().filename().string().starts_with(staged)) fs::remove_all(entry.path(), ec);
}

// An existing folder the swap may replace: a folder, not a mount point, and a run's (it has a
// run.json, or holds only outputs): replacing a folder no run wrote would lose what it holds.
void check_replaceable(const fs::path& folder, const ErrorContext& where) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw Error("exists and is not a folder", where);
  struct stat inside {}, above {};
  if (::stat(folder.c_str(), &inside) == 0 && ::stat(folder.parent_path().c_str(), &above) == 0 &&
      inside.st_dev != above.st_dev)
    throw Error("is a mount point, which cannot be swapped for the new set: mount the folder above it, or "
                "write into a folder inside it",
                where);
  if (fs::exists(folder / "run.json", ec)) return;
  const OutputNames outputs(folder);
  for (auto it = fs::recursive_directory_iterator(folder, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const auto relative = it->path().lexically_relative(folder);
    std::error_code type_ec;
    const bool is_folder = it->is_directory(type_ec) && !it->is_symlink(type_ec);
    if (!(is_folder ? outputs.is_folder(relative) : outputs.is_file(relative)))
      throw Error("holds " + relative.generic_string() +
                      ", which is not a cytopipe output, and no run.json: not replacing it (choose a new or empty folder)",
                  where);
  }
}

// Files a user put into `folder` belong to no run: hard links carry them into `staging`.
void carry_over_user_files(const fs::path& folder, const fs::path& staging) {
  const OutputNames outputs(folder);
  for (auto it = fs::recursive_directory_iterator(folder); it != fs::recursive_directory_iterator(); ++it) {
    const auto relative = it->path().lexically_relative(folder);
    const bool is_folder = it->is_directory() && !it->is_symlink();
    if (is_folder ? outputs.is_folder(relative) : outputs.is_file(relative)) continue;
    const auto target = staging / relative;
    fs::create_directories(target.parent_path());
    std::error_code ec;
    if (it->is_symlink()) {
      fs::copy_symlink(it->path(), target);
    } else if (is_folder) {
      fs::copy(it->path(), target,
               fs::copy_options::recursive | fs::copy_options::create_hard_links | fs::copy_options::copy_symlinks);
      it.disable_recursion_pending();
    } else if (fs::create_hard_link(it->path(), target, ec); ec) {
      fs::copy_file(it->path(), target);
    }
  }
}

}  // namespace

OutputSet::OutputSet(const fs::path& folder) : shown_(folder) {
  const ErrorContext where{shown_.string(), "output folder", 0, 0};
  std::error_code ec;
  auto absolute = fs::absolute(folder, ec).lexically_normal();
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  // A symlinked output folder stays where it points: the set is staged and swapped there.
  folder_ = fs::weakly_canonical(absolute, ec);
  if (ec) throw Error("cannot resolve the path: " + ec.message(), where);
  if (!folder_.has_filename() || folder_ == folder_.root_path())
    throw Error("the root folder cannot be an output folder", where);
  fs::create_directories(folder_.parent_path(), ec);
  if (ec) throw Error("cannot create output folder: " + ec.message(), where);

  lock_.emplace(beside(folder_, ".lock"), shown_);
  clean_up_after_killed_runs(folder_, where);
  const bool exists = fs::exists(folder_, ec);
  if (exists) check_replaceable(folder_, where);

  static std::atomic<unsigned> counter{0};
  staging_ = beside(folder_, ".staging-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directory(staging_, ec);
  if (ec) throw Error("cannot create the staging folder " + staging_.string() + ": " + ec.message(), where);
  if (exists) fs::permissions(staging_, fs::status(folder_, ec).permissions(), ec);  // the folder keeps its mode
}

OutputSet::~OutputSet() {
  std::error_code ignored;
  if (!published_) fs::remove_all(staging_, ignored);
}

bool OutputSet::holds_previous_set() const {
  std::error_code ec;
  return fs::exists(folder_, ec) && !fs::is_empty(folder_, ec);
}

void OutputSet::publish(Swap swap) {
  const ErrorContext where{shown_.string(), "output folder", 0, 0};
  std::error_code ec;
  const bool replacing = fs::exists(folder_, ec);
  if (replacing) {
    try {
      carry_over_user_files(folder_, staging_);
    } catch (const fs::filesystem_error& e) {
      throw Error(std::string("cannot carry a file over into the new set: ") + e.what(), where);
    }
  }
  if (!replacing) {
    if (std::rename(staging_.c_str(), folder_.c_str()) != 0)
      throw Error("cannot publish the outputs: " + std::string(std::strerror(errno)), where);
    published_ = true;
    return;
  }
  // One step: the output path names the old set until it names the new one.
  if (swap == Swap::exchange) {
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, folder_.c_str(), RENAME_EXCHANGE) == 0) {
      published_ = true;
      fs::remove_all(staging_, ec);  // now the old set; if this fails, the next run removes it
      return;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      throw Error("cannot publish the outputs: " + std::string(std::strerror(errno)), where);
  }
  // No exchange on this filesystem (some network and FUSE ones): two renames. A run killed
  // between them leaves the old set at `.NAME.previous`, which the next run puts back.
  const auto previous = beside(folder_, ".previous");
  if (std::rename(folder_.c_str(), previous.c_str()) != 0)
    throw Error("cannot move the previous set aside: " + std::string(std::strerror(errno)), where);
  if (std::rename(staging_.c_str(), folder_.c_str()) != 0) {
    const int err = errno;
    std::rename(previous.c_str(), folder_.c_str());
    throw Error("cannot publish the outputs: " + std::string(std::strerror(err)), where);
  }
  published_ = true;
  fs::remove_all(previous, ec);
}

}  // namespace cytopipe::pipeline::detail
