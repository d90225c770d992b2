#pragma once
// Reading a data set's events block by block, for callers that use each block once (count
// gated events, convert to another format) and need never hold the whole event matrix: memory
// stays at a block per thread whatever the file's size, and no large buffer is faulted in.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::fcs {

class EventBlocks {
 public:
  // Reads HEADER and TEXT and plans the DATA segment exactly as read_fcs does (same checks, same
  // FcsError for a bad or truncated file, same notices, and the same options.max_memory limit on
  // the whole sample's decoded size, though it is never held); no event is decoded yet.
  // options.read_events does not apply.
  explicit EventBlocks(const std::filesystem::path& file, const ReadOptions& options = {});

  // What the constructor above reads before any event (HEADER, TEXT and the DATA layout planned
  // from them), held without the file open: for a caller that needs a file's metadata first (to
  // match files to workspace samples) and its events later, so that the file's TEXT is read and
  // parsed once. The same checks and FcsErrors as the constructor, except the memory limit,
  // which is checked when the blocks are made.
  class Text {
   public:
    explicit Text(const std::filesystem::path& file, const ReadOptions& options = {});
    ~Text();
    Text(Text&&) noexcept;
    Text& operator=(Text&&) noexcept;
    const Sample& sample() const noexcept;  // (not of a Text used or moved from)
    // Frees the keywords (sample() and the blocks' metadata() then hold none): gating reads the
    // channels, spillover and source only, and a batch holds one Text per file until it is gated.
    void drop_keywords() noexcept;

   private:
    friend class EventBlocks;
    struct State;
    std::unique_ptr<State> state_;
  };
  // Blocks of the file `text` was read from, without reading its TEXT again (unless the file's
  // size changed since: then it is read afresh, as by the constructor above). Takes `text` over
  // (a Text makes one EventBlocks; std::logic_error for a Text already used or moved from).
  explicit EventBlocks(Text&& text);
  ~EventBlocks();
  EventBlocks(EventBlocks&&) noexcept;
  EventBlocks& operator=(EventBlocks&&) noexcept;

  // The data set as read_fcs returns it, without events (event_total is set).
  const Sample& metadata() const noexcept;
  std::size_t events() const noexcept;
  // Whether decode() works: binary data whose values need nothing from the whole column. ASCII
  // data, and a float channel without a valid $PnR (its range is the column's maximum), need
  // read_fcs.
  bool block_by_block() const noexcept;
  // Whether every value decode() gives of `channel` is a float32 exactly (a float32 channel or an
  // integer one of at most 24 bits, neither scaled nor divided, clamped at most at a $PnR that is
  // a float itself): a caller may then keep it as float32 and lose nothing.
  bool exact_in_float(std::size_t channel) const noexcept;
  // Decodes events [first_event, first_event + count) of metadata().channels into rows
  // [0, count) of `out` (one column per channel; at least `count` rows), with read_fcs's value
  // rules: every value equals read_fcs's. first_event is a multiple of 64. Safe to call
  // concurrently (each thread reads into its own buffer).
  void decode(std::size_t first_event, std::size_t count, EventMatrix& out) const;
  // As decode, for the channels `channels` only (indices into metadata().channels, any order):
  // column j of `out` (one column per index) gets channel channels[j], each value decode's. The
  // other channels' values are not converted (counts-only gating reads a few of a file's channels).
  void decode(std::size_t first_event, std::size_t count, std::span<const std::size_t> channels,
              EventMatrix& out) const;
  // Events [first_event, first_event + count) as float32, event-major: out[e * channels.size() + j]
  // = static_cast<float>(decode's value of event first_event + e, channel channels[j]) (indices
  // into metadata().channels). Float32 channels without value rules go from the bytes in one
  // pass; when the file's rows are laid out as the output's (all channels in order, native byte
  // order) they are read into `out` itself and converted there. Same conditions as decode; safe
  // to call concurrently.
  void decode_rows(std::size_t first_event, std::size_t count, std::span<const std::size_t> channels, float* out) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cytopipe::fcs
