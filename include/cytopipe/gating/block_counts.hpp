#pragma once
// Population counts of a sample gated block by block while it is decoded (fcs::EventBlocks),
// never holding its whole event matrix: for counts-only gating, where the memberships are not
// kept. Every event's membership depends on that event's values alone (compensation, scales
// and gates are per event), so the counts equal gate_sample's on the whole sample.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

struct PopulationCount {
  std::string name;
  std::string parent;  // empty = root
  std::string path;    // "/cells/singlets/live"
  std::size_t count = 0;
};

struct PopulationCounts {
  std::size_t events = 0;
  std::vector<PopulationCount> populations;  // in GatingStrategy::populations() order
  // Count of the population's parent (events for a root population).
  std::size_t parent_count(const PopulationCount& population) const;
};

// Events per block of count_populations and gate_in_blocks: a block's decoded values (8 channels:
// 2 MB), compensated and scaled columns (256 KB each) take one or two huge pages per thread,
// where 65,536 faulted in twice as many fresh pages (a counts-only run's peak RSS 41 -> 25 MB).
inline constexpr std::size_t kGateBlockEvents = 32768;

// Whether count_populations can gate `strategy` on `blocks`: the events decode block by block
// and no gate is placed by a finder (a finder looks at the whole sample first). An empty data
// set is left to gate_sample too.
bool counts_block_by_block(const GatingStrategy& strategy, const fcs::EventBlocks& blocks);

// Gates the events in blocks of `block_events` (a multiple of 64), in parallel over blocks
// (TBB) when `parallel`, and adds up each population's count. The strategy is validated and
// checked against the sample before any event is decoded: every error is gate_sample's.
PopulationCounts count_populations(const GatingStrategy& strategy, const fcs::EventBlocks& blocks,
                                   bool parallel = true, std::size_t block_events = kGateBlockEvents);

// gate_sample's results (the same memberships and counts) for a sample already in memory, gated
// in blocks of `block_events` (a multiple of 64) in parallel (TBB): each block's values copied
// into a thread's small sample, so compensated and scaled columns exist a block at a time (in
// cache, reused) instead of for the whole sample (tens of MB faulted in per file when the
// memberships are wanted, e.g. for --stats). Errors are gate_sample's, raised before any event
// is gated; a strategy with finders is refused as gate_sample refuses it.
GatingResults gate_in_blocks(const GatingStrategy& strategy, const fcs::Sample& sample,
                             std::size_t block_events = kGateBlockEvents);

// gate_in_blocks' work run by run, for a caller that gates events while they are decoded (in
// cache) rather than after: made once the sample's metadata is final and its event matrix
// allocated (fcs::DecodeHooks::prepare; the strategy is checked against the metadata here, with
// gate_sample's errors), gate() for each run of final events (fcs::DecodeHooks::decoded: `first`
// a multiple of 64; from several threads at once, each event once), then finish(), which gives
// gate_sample's memberships and counts. The sample must outlive the gate() calls only; a
// strategy with finders is refused (its gates are placed on the whole sample first).
class BlockGating {
 public:
  BlockGating(const GatingStrategy& strategy, const fcs::Sample& sample, std::size_t block_events = kGateBlockEvents);
  // For events that never sit in one matrix (fcs::EventBlocks, gate_blocks_keeping):
  // `metadata`'s channels and spillover, `events` in all, each block handed to gate_block().
  BlockGating(const GatingStrategy& strategy, const fcs::Sample& metadata, std::size_t events,
              std::size_t block_events);
  BlockGating(const BlockGating&) = delete;
  BlockGating& operator=(const BlockGating&) = delete;
  ~BlockGating();
  void gate(std::size_t first, std::size_t count);
  // Gates `block`: events [first, first + block.event_count()) (first a multiple of 64), with the
  // metadata's channels or those the strategy reads. From several threads at once, each event once.
  void gate_block(std::size_t first, const fcs::Sample& block);
  GatingResults finish() &&;

 private:
  struct Workers;  // each thread's block sample
  const GatingStrategy& strategy_;
  const fcs::Sample& sample_;
  std::size_t block_events_;
  GatingResults out_;
  std::unique_ptr<Workers> workers_;
};

}  // namespace cytopipe::gating
