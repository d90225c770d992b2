#include "pipeline/input_hashes.hpp"

#include <sys/stat.h>

#include <fstream>

namespace cytopipe::pipeline::detail {

std::optional<FileIdentity> identify(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  FileIdentity id;
  id.size = static_cast<std::uint64_t>(info.st_size);
  id.inode = static_cast<std::uint64_t>(info.st_ino);
  id.device = static_cast<std::uint64_t>(info.st_dev);
  id.mtime_ns = ns(info.st_mtim);
  id.ctime_ns = ns(info.st_ctim);
  return id;
}

nlohmann::ordered_json to_json(const FileIdentity& id) {
  return {{"size", id.size},         {"inode", id.inode},       {"device", id.device},
          {"mtime_ns", id.mtime_ns}, {"ctime_ns", id.ctime_ns}};
}

PreviousHashes PreviousHashes::load(const std::filesystem::path& run_json) {
  PreviousHashes out;
  std::ifstream in(run_json);
  if (!in) return out;
  try {
    const auto j = nlohmann::json::parse(in);
    out.started_ns_ = j.at("started_unix_ns").get<std::int64_t>();
    for (const auto& input : j.at("inputs")) {
      if (!input.contains("identity") || !input.at("sha256").is_string()) continue;
      const auto& id = input.at("identity");
      Entry e;
      e.sha256 = input.at("sha256").get<std::string>();
      e.identity.size = id.at("size").get<std::uint64_t>();
      e.identity.inode = id.at("inode").get<std::uint64_t>();
      e.identity.device = id.at("device").get<std::uint64_t>();
      e.identity.mtime_ns = id.at("mtime_ns").get<std::int64_t>();
      e.identity.ctime_ns = id.at("ctime_ns").get<std::int64_t>();
      if (e.sha256.size() != 64) continue;
      out.entries_[input.at("path").get<std::string>()] = std::move(e);
    }
  } catch (const std::exception&) {
    return {};  // not a run.json this code wrote: hash everything again
  }
  return out;
}

std::optional<std::string> PreviousHashes::find(const std::filesystem::path& path, const FileIdentity& now) const {
  const auto it = entries_.find(path.generic_string());
  if (it == entries_.end() || !(it->second.identity == now)) return std::nullopt;
  const std::int64_t changed = std::max(now.mtime_ns, now.ctime_ns);
  if (now.ctime_ns == 0 || changed > started_ns_ - kSettleNs) return std::nullopt;
  return it->second.sha256;
}

}  // namespace cytopipe::pipeline::detail
