#pragma once
// `gate --stats` without the event matrix: a sample read block by block (fcs::EventBlocks) is
// gated as it is decoded, and the channels of its statistics table are kept, as float32 columns
// where every value is a float32 exactly (fcs::EventBlocks::exact_in_float): half the memory of
// the matrix the table would otherwise read, and half its fresh pages.
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/gating/block_counts.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

// Events x channels of float32, column-major, uninitialised until written.
class FloatColumns {
 public:
  FloatColumns() = default;
  FloatColumns(std::size_t events, std::size_t channels);
  std::size_t events() const noexcept { return events_; }
  std::size_t channels() const noexcept { return channels_; }
  std::span<float> column(std::size_t c) noexcept { return {data_.get() + c * events_, events_}; }
  std::span<const float> column(std::size_t c) const noexcept { return {data_.get() + c * events_, events_}; }

 private:
  struct Release {
    std::size_t mapped_bytes;  // > 0: a huge-page mapping; 0: a heap block
    void operator()(float* data) const noexcept;
  };
  std::size_t events_ = 0;
  std::size_t channels_ = 0;
  std::unique_ptr<float[], Release> data_;
};

// Channels of a sample kept for its statistics table: each as float32 when every value of it is
// one (fcs::EventBlocks::exact_in_float), else as doubles.
class KeptChannels {
 public:
  KeptChannels() = default;
  // `as_float[j]`: kept channel j is held as float32.
  KeptChannels(std::size_t events, const std::vector<char>& as_float);
  std::size_t channels() const noexcept { return slot_.size(); }
  ChannelValues values(std::size_t j) const noexcept;
  // Events [first, first + block.size()) of kept channel j.
  void set(std::size_t j, std::size_t first, std::span<const double> block) noexcept;

 private:
  std::vector<char> as_float_;
  std::vector<std::size_t> slot_;  // the channel's column in floats_ or doubles_
  FloatColumns floats_;
  fcs::EventMatrix doubles_;
};

struct GatedBlocks {
  GatingResults results;  // gate_sample's
  KeptChannels kept;      // kept channel j: channel keep[j] of every event
};

// gate_sample's results (the same memberships and counts) for the events of `blocks`, and the
// channels `keep` (indices into blocks.metadata().channels) of every event, as float32 where
// exact_in_float, else as doubles (half the memory of the event matrix read_fcs would fill where
// channels are float32, and only the channels kept), both from one decoding of each block, in
// parallel over blocks (TBB). The conditions are count_populations' (counts_block_by_block), and so
// are the errors; a channel index past the metadata's is an Error.
GatedBlocks gate_blocks_keeping(const GatingStrategy& strategy, const fcs::EventBlocks& blocks,
                                std::span<const std::size_t> keep, std::size_t block_events = kGateBlockEvents);

}  // namespace cytopipe::gating
