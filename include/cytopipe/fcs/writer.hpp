#pragma once
// Writing FCS 3.1 list-mode files (float32, little-endian).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::fcs {

class EventBlocks;  // cytopipe/fcs/event_blocks.hpp

struct WriteOptions {
  std::optional<std::vector<std::size_t>> channels;  // indices into sample.channels; all if unset
  std::optional<std::vector<std::uint8_t>> keep_event;  // one flag per event; all if unset
};

// Serialises a sample as FCS 3.1. Keywords that still hold are kept; $PAR, $TOT, $PnB, offsets,
// $DATATYPE and $BYTEORD are rewritten; a spillover is kept for the channels written.
std::vector<std::byte> to_fcs_bytes(const Sample& sample, const WriteOptions& options = {});

// Writes atomically: a temporary file beside `file`, then a rename, so a failure leaves nothing
// half-written.
void write_fcs(const std::filesystem::path& file, const Sample& sample,
               const WriteOptions& options = {});

// The same file from a block reader, without the whole sample in memory: byte for byte what
// write_fcs(file, read_fcs(...), options) writes with the reader's options. Events are decoded
// and encoded block by block (in parallel with TBB), written in order. keep_event is not
// supported here (an Error).
void write_fcs(const std::filesystem::path& file, const EventBlocks& blocks, const WriteOptions& options = {});

}  // namespace cytopipe::fcs
