#pragma once
// Decoding DATA bytes into per-channel double columns, with flowCore's value rules applied in
// the same pass (mask, truncation at $PnR, linearisation of log integer channels, gain).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "fcs/huge_pages.hpp"

namespace cytopipe::fcs::detail {

struct ChannelPlan {
  enum class Kind { UInt, Float32, Float64, Packed };
  Kind kind = Kind::Float32;
  std::size_t byte_offset = 0;  // within an event (byte-aligned layouts)
  std::size_t bit_offset = 0;   // within an event (packed layouts)
  int bits = 32;
  int bytes = 4;
  bool big_endian = false;
  bool permuted = false;                   // byte order neither little nor big endian
  std::array<std::uint8_t, 8> shift{};     // permuted: file byte j holds bits shift[j]..+7
  std::uint64_t mask = ~std::uint64_t{0};  // integer bit mask (all ones = none)
  // Value rules, in this order.
  bool truncate = false;
  double range = 0;
  bool linearise = false;
  double decades = 0, offset = 1;  // 10^(decades * x / range) * offset
  double divide_by = 1;            // $PnG when applied
};

struct DataPlan {
  std::vector<ChannelPlan> channels;
  std::size_t bits_per_event = 0;  // multiple of 8 unless packed
  bool packed = false;
  std::size_t bytes_for(std::uint64_t events) const {
    return static_cast<std::size_t>((events * bits_per_event + 7) / 8);
  }
};

// Decodes `count` events whose bytes start at `bytes` (byte-aligned: for packed layouts the
// first event must start on a byte boundary) into rows [first_event, first_event + count).
void decode_block(const DataPlan& plan, std::span<const std::byte> bytes, std::size_t count,
                  EventMatrix& out, std::size_t first_event);

// Returns DATA bytes [offset, offset + length) (offsets within the DATA segment), as a view of
// memory or read into `scratch`. Called concurrently, each thread with its own scratch.
using FetchBytes =
    std::function<std::span<const std::byte>(std::size_t offset, std::size_t length, ScratchBuffer& scratch)>;

// Bytes of DATA fetched and decoded at a time by decode_chunked. Small enough that a chunk's
// decoded doubles are still in cache for DecodeHooks::decoded (the pipeline gates them there);
// 4 MiB chunks measured slower for the batch and no faster for plain reads.
inline constexpr std::size_t chunk_bytes = std::size_t{1} << 20;

// Decodes all `count` events chunk by chunk, each chunk fetched by the thread that decodes it
// (in parallel when `parallel` is set and the library was built with TBB), so the DATA segment
// never sits whole in memory beside its decoded doubles. Chunks are whole 64-event words; after
// each, `decoded` (when set) is called with its events, from the decoding thread.
void decode_chunked(const DataPlan& plan, std::size_t count, EventMatrix& out, bool parallel,
                    const FetchBytes& fetch,
                    const std::function<void(std::size_t first, std::size_t count)>& decoded = {});

}  // namespace cytopipe::fcs::detail
