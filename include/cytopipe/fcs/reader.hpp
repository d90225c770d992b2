#pragma once
// Reading FCS 2.0-3.2 files with flowCore's default value rules (shared/docs/flowcore_reading.md).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::fcs {

// Which data offsets to trust when HEADER and TEXT disagree.
enum class OffsetPolicy {
  Auto,    // the pair whose length fits $TOT x bytes/event (HEADER if both fit), with a notice
  Header,  // always the HEADER pair (unless it is zero)
  Text,    // always $BEGINDATA/$ENDDATA
};

// How stored values become event values.
enum class ValueRule {
  FlowCore,           // default read.FCS: mask, truncate at $PnR, linearise log integer channels
  FlowCoreWithGain,   // as FlowCore, and linear channels divided by $PnG (Gating-ML's preparation)
  Raw,                // stored values only (bit mask applied, nothing else)
};

// Half of the machine's physical memory: the default ReadOptions::max_memory.
std::uint64_t default_max_memory();

struct ReadOptions {
  std::size_t dataset = 0;           // 0-based index in the $NEXTDATA chain
  OffsetPolicy offsets = OffsetPolicy::Auto;
  ValueRule values = ValueRule::FlowCore;
  bool read_events = true;           // false: HEADER + TEXT only (fast metadata)
  bool allow_ascii = true;           // $DATATYPE A as an extension (with a notice)
  bool parallel = true;              // decode blocks of events in parallel
  // The most the decoded events may take (events x channels x 8 bytes), checked before any
  // allocation: a file whose events would need more is refused (FcsError with both numbers), so
  // a 2 GiB file of 8-bit integers claiming 16 GiB of doubles fails cleanly instead of with
  // std::bad_alloc or the OOM killer. The CLI's --max-memory.
  std::uint64_t max_memory = default_max_memory();
  // Decode only these channels ($PnN; exact, else case-insensitive match), as flowCore's
  // read.FCS(column.pattern = ...): the sample holds just them, in the file's order, and the
  // others are never decoded. Empty = every channel. A name the file lacks is an FcsError.
  std::vector<std::string> channels{};
};

// A hand in the middle of a read, for callers that process events while they are decoded (in
// cache) rather than after.
// - `metadata` sees the sample once its metadata is final (channels, keywords, spillover, notices
//   so far; after ReadOptions::channels), before any event storage exists. It may edit metadata
//   (e.g. rename channels) and may erase channels from `sample.channels`: those are then not
//   decoded at all (the matrix holds the rest, in order). Erasing is the only change to the
//   channel list allowed (no adding or reordering: that is an Error); editing a channel's other
//   fields does not change how it is decoded.
// - `prepare` then sees the sample with its event matrix allocated but not yet filled; it may
//   still edit metadata other than the channel list (e.g. rename channels).
// - `decoded` is then called for runs of events whose values are final: whole 64-event words
//   (count a multiple of 64 unless the run ends at the last event), from the decoding threads
//   (concurrently, in any order, each event exactly once).
// An exception from any of them ends the read and propagates.
struct DecodeHooks {
  std::function<void(Sample& sample)> metadata;
  std::function<void(Sample& sample)> prepare;
  std::function<void(std::size_t first_event, std::size_t count)> decoded;
};

// Reads one data set. Throws FcsError naming the file and the fault.
Sample read_fcs(const std::filesystem::path& file, const ReadOptions& options = {},
                const DecodeHooks& hooks = {});
// The same from bytes already in memory; `name` is used in messages.
Sample read_fcs(std::span<const std::byte> bytes, std::string_view name,
                const ReadOptions& options = {}, const DecodeHooks& hooks = {});

// The $NEXTDATA chain of a file, without decoding events.
std::vector<DataSetInfo> list_datasets(const std::filesystem::path& file);

}  // namespace cytopipe::fcs
