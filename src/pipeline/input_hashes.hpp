#pragma once
// Input SHA-256s carried over from the previous run.json of the same output folder, for files
// provably unchanged since (git's stat-cache idea). Hashing costs about three reads of a file
// (SHA-256 runs at ~1.3 GB/s per core, decoding at ~4 GB/s), so re-running a pipeline after
// editing a gate would otherwise spend most of its time re-hashing the same bytes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cytopipe::pipeline::detail {

// What stat() says about a file; any change of its bytes changes ctime (which no user can set).
struct FileIdentity {
  std::uint64_t size = 0, inode = 0, device = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};
std::optional<FileIdentity> identify(const std::filesystem::path& file);

nlohmann::ordered_json to_json(const FileIdentity& identity);

// A file's hash as a run records it: the identity the file had while it was hashed (none when
// it changed meanwhile), and whether the hash was carried over from the previous run.
struct InputHash {
  std::string sha256;  // empty: not computed (unreadable file, or hashing off)
  std::optional<FileIdentity> identity;
  bool carried_over = false;
};

class PreviousHashes {
 public:
  // A file last changed this close to (or after) the start of the run that hashed it could have
  // changed again within the same timestamp tick: its hash is not carried over.
  static constexpr std::int64_t kSettleNs = 1'000'000'000;

  // The inputs of `run_json` (missing, unreadable or of another form: none, never an error).
  static PreviousHashes load(const std::filesystem::path& run_json);

  // The hash recorded for `path` if `now` is the identity it was hashed with, and the file had
  // last changed at least kSettleNs before that run started.
  std::optional<std::string> find(const std::filesystem::path& path, const FileIdentity& now) const;

 private:
  struct Entry {
    std::string sha256;
    FileIdentity identity;
  };
  std::map<std::string, Entry> entries_;  // generic path -> entry
  std::int64_t started_ns_ = 0;
};

}  // namespace cytopipe::pipeline::detail
