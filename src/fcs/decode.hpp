#pragma once
// Decoding DATA bytes into per-channel double columns, with flowCore's value rules applied in
// the same pass (mask, truncation at $PnR, linearisation of log integer channels, gain).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

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

// As decode_block, split into blocks of events decoded in parallel when `parallel` is set and
// the library was built with TBB.
void decode_events(const DataPlan& plan, std::span<const std::byte> bytes, std::size_t count,
                   EventMatrix& out, std::size_t first_event, bool parallel);

}  // namespace cytopipe::fcs::detail
