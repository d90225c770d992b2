// Counting populations block by block: each thread decodes a block into its own small sample
// (the file's metadata, a block of events), gates it with GatingRun and adds up the counts.
#include "cytopipe/gating/block_counts.hpp"

#include <tbb/blocked_range.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>

#include "cytopipe/gating/evaluate.hpp"
#include "gating/block_sample.hpp"
#include "gating/dimension_channels.hpp"

namespace cytopipe::gating {

fcs::Sample detail::block_sample(const fcs::Sample& metadata) {
  fcs::Sample s;
  s.source = metadata.source;
  s.version = metadata.version;
  s.datatype = metadata.datatype;
  s.dataset_index = metadata.dataset_index;
  s.channels = metadata.channels;
  s.spillover = metadata.spillover;
  s.spillover_error = metadata.spillover_error;
  return s;
}

std::vector<std::size_t> detail::channels_read(std::span<const Dimension* const> dimensions,
                                               const GatingStrategy& strategy, const fcs::Sample& metadata) {
  std::vector<char> read(metadata.channels.size(), 0);
  auto add = [&](const std::string& name) {
    if (const auto c = metadata.find_channel(name)) read[*c] = 1;
  };
  std::vector<const fcs::Spillover*> matrices;  // whose detectors are added
  for (const Dimension* d : dimensions) {
    for_each_channel(*d, add);
    if (d->compensation == kUncompensated) continue;
    const fcs::Spillover* matrix = nullptr;
    if (d->compensation == kFileCompensation) {
      if (metadata.spillover) matrix = &*metadata.spillover;
    } else if (const auto it = strategy.matrices().find(d->compensation); it != strategy.matrices().end()) {
      matrix = &it->second.spectrum;
    }
    // Each matrix's detectors once (most dimensions share one matrix of a dozen detectors).
    if (matrix && std::find(matrices.begin(), matrices.end(), matrix) == matrices.end()) {
      matrices.push_back(matrix);
      for (const auto& detector : matrix->detectors) add(detector);
    }
  }
  std::vector<std::size_t> out;
  for (std::size_t c = 0; c < read.size(); ++c)
    if (read[c]) out.push_back(c);
  return out;
}

std::vector<std::size_t> detail::channels_read(const GatingStrategy& strategy, const fcs::Sample& metadata) {
  std::vector<const Dimension*> dimensions;
  for (const auto& node : strategy.gates())
    for (const Dimension* d : dimensions_of(node.gate)) dimensions.push_back(d);
  return channels_read(dimensions, strategy, metadata);
}

namespace {

using detail::block_sample;
using detail::channels_read;

// Each block gated on one thread: the parallelism is over blocks.
GateOptions serial_options() {
  GateOptions options;
  options.parallel = false;
  return options;
}

}  // namespace

std::size_t PopulationCounts::parent_count(const PopulationCount& population) const {
  if (population.parent.empty()) return events;
  for (const auto& p : populations)
    if (p.name == population.parent) return p.count;
  return 0;
}

bool counts_block_by_block(const GatingStrategy& strategy, const fcs::EventBlocks& blocks) {
  return blocks.block_by_block() && blocks.events() > 0 && !strategy.has_finders();
}

PopulationCounts count_populations(const GatingStrategy& strategy, const fcs::EventBlocks& blocks,
                                   bool parallel, std::size_t block_events) {
  if (!counts_block_by_block(strategy, blocks))
    throw Error("count_populations: the strategy has finders, or the events cannot be decoded block by block",
                {blocks.metadata().source, ""});
  if (block_events == 0 || block_events % 64 != 0)
    throw Error("count_populations: blocks of " + std::to_string(block_events) + " events (a multiple of 64 is needed)");
  const std::size_t n = blocks.events();
  const std::size_t block_count = (n + block_events - 1) / block_events;
  const std::size_t populations = strategy.populations().size();
  // Every block sample has this many rows, the last block too (its rows past the file's end are
  // gated as padding and left out of the counts): the last block's smaller columns came from the
  // heap, 4 KiB pages faulted in one by one (~120 faults at 1M events), where a full block's
  // reuse the thread's huge pages.
  const std::size_t rows = std::min(block_events, (n + 63) / 64 * 64);
  // Only the channels the gates read are decoded (gates5.xml reads 5 of the NKR file's 8).
  const std::vector<std::size_t> read = channels_read(strategy, blocks.metadata());

  struct Worker {
    std::optional<fcs::Sample> sample;
    std::vector<std::size_t> counts;
  };
  tbb::combinable<Worker> workers;
  PopulationCounts out;
  const GateOptions options = serial_options();
  auto gate_one_block = [&](std::size_t b) {
    Worker& w = workers.local();
    if (!w.sample) {
      w.sample = block_sample(blocks.metadata());
      w.sample->channels.clear();
      for (std::size_t c : read) w.sample->channels.push_back(blocks.metadata().channels[c]);
      // Set values throughout (a last block's rows past its words are compensated, not gated).
      w.sample->events = fcs::EventMatrix(rows, read.size());
      std::fill(w.sample->events.data(), w.sample->events.data() + rows * read.size(), 0.0);
      w.counts.assign(populations, 0);
    }
    const std::size_t first = b * block_events, count = std::min(block_events, n - first);
    fcs::Sample& s = *w.sample;
    blocks.decode(first, count, read, s.events);
    // Whole 64-event words are gated; the padding of the file's last word is given set values
    // (its bits are masked out below).
    const std::size_t gated = (count + 63) / 64 * 64;
    for (std::size_t c = 0; c < read.size(); ++c)
      std::fill(s.events.column(c).begin() + static_cast<std::ptrdiff_t>(count),
                s.events.column(c).begin() + static_cast<std::ptrdiff_t>(gated), 0.0);
    GatingRun run(strategy, s, options);
    run.evaluate(0, gated);
    const GatingResults results = run.finish();
    const std::uint64_t padding = count % 64 ? ~std::uint64_t{0} << (count % 64) : 0;
    for (std::size_t p = 0; p < populations; ++p) {
      const Membership& members = results.populations()[p].members;
      w.counts[p] += results.populations()[p].count -
                     (padding ? static_cast<std::size_t>(std::popcount(members.words()[count / 64] & padding)) : 0);
    }
  };
  auto gate_block = [&](std::size_t b) {
    // Isolated: compensation and scales run nested parallel loops, and a thread waiting in one
    // must not start another block here (it would reuse this thread's block sample mid-gating).
    tbb::this_task_arena::isolate([&] { gate_one_block(b); });
  };
  // First the strategy against the sample's metadata, with no events: every error surfaces
  // here, once, as gate_sample raises it; and the populations' names and paths.
  {
    const fcs::Sample empty = block_sample(blocks.metadata());
    GatingRun run(strategy, empty, options);
    const GatingResults none = run.finish();
    for (const auto& r : none.populations()) out.populations.push_back({r.name, r.parent, r.path, 0});
  }
  if (parallel && block_count > 1)
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, block_count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
      for (std::size_t b = r.begin(); b != r.end(); ++b) gate_block(b);
    });
  else
    for (std::size_t b = 0; b < block_count; ++b) gate_block(b);
  out.events = n;
  workers.combine_each([&](const Worker& w) {
    for (std::size_t p = 0; p < populations && p < w.counts.size(); ++p) out.populations[p].count += w.counts[p];
  });
  return out;
}

namespace {

// Blocks are whole bitset words.
void check_block_events(std::size_t block_events) {
  if (block_events == 0 || block_events % 64 != 0)
    throw Error("gate_in_blocks: blocks of " + std::to_string(block_events) + " events (a multiple of 64 is needed)");
}

}  // namespace

struct BlockGating::Workers {
  tbb::combinable<std::optional<fcs::Sample>> samples;
};

BlockGating::~BlockGating() = default;

BlockGating::BlockGating(const GatingStrategy& strategy, const fcs::Sample& sample, std::size_t block_events)
    : BlockGating(strategy, sample, sample.event_count(), block_events) {}

BlockGating::BlockGating(const GatingStrategy& strategy, const fcs::Sample& metadata, std::size_t events,
                         std::size_t block_events)
    : strategy_(strategy), sample_(metadata), block_events_(block_events), workers_(std::make_unique<Workers>()) {
  check_block_events(block_events);
  if (strategy.has_finders())
    throw Error("gate_in_blocks: a strategy with finders places its gates on the whole sample first");
  const GateOptions options = serial_options();
  // The strategy against the sample's metadata first, with no events: every error surfaces here,
  // once, as gate_sample raises it (count_populations' check); and the populations' names and paths.
  {
    const fcs::Sample empty = block_sample(metadata);
    GatingRun run(strategy, empty, options);
    out_ = run.finish();
  }
  out_.events_ = events;
  for (auto& p : out_.populations_) p.members = Membership(events);
}

void BlockGating::gate(std::size_t first, std::size_t count) {
  // (Made from metadata alone, the sample holds no events: its blocks come by gate_block.)
  if (first + count > sample_.event_count())
    throw Error("BlockGating::gate: events [" + std::to_string(first) + ", " + std::to_string(first + count) +
                ") of a sample holding " + std::to_string(sample_.event_count()));
  const std::size_t channels = sample_.channels.size();
  for (std::size_t at = first; at < first + count; at += block_events_) {
    const std::size_t events = std::min(block_events_, first + count - at);
    // Isolated: a thread waiting in a nested parallel loop must not start another block (another
    // decoded run's hook, or gate_in_blocks' next block) on its own block sample.
    tbb::this_task_arena::isolate([&] {
      std::optional<fcs::Sample>& w = workers_->samples.local();
      if (!w) w = block_sample(sample_);
      fcs::Sample& s = *w;
      if (s.events.events() != events) s.events = fcs::EventMatrix(events, channels);
      for (std::size_t c = 0; c < channels; ++c) {
        const auto from = sample_.events.column(c).subspan(at, events);
        std::copy(from.begin(), from.end(), s.events.column(c).begin());
      }
      gate_block(at, s);
    });
  }
}

void BlockGating::gate_block(std::size_t first, const fcs::Sample& block) {
  const std::size_t events = block.event_count();
  if (first % 64 != 0 || first + events > out_.events_)
    throw Error("BlockGating: events [" + std::to_string(first) + ", " + std::to_string(first + events) + ") of " +
                std::to_string(out_.events_) + " (the first must be a multiple of 64)");
  GatingRun run(strategy_, block, serial_options());
  run.evaluate(0, events);
  const GatingResults gated = run.finish();
  for (std::size_t p = 0; p < out_.populations_.size(); ++p) {
    const auto words = gated.populations()[p].members.words();
    std::copy(words.begin(), words.end(), out_.populations_[p].members.words().begin() + static_cast<std::ptrdiff_t>(first / 64));
  }
}

GatingResults BlockGating::finish() && {
  for (auto& p : out_.populations_) p.count = p.members.count();
  return std::move(out_);
}

GatingResults gate_in_blocks(const GatingStrategy& strategy, const fcs::Sample& sample, std::size_t block_events) {
  check_block_events(block_events);
  const std::size_t n = sample.event_count();
  const GateOptions options = serial_options();
  // One block (or finders, which gate_sample refuses): the sample as it is.
  if (n <= block_events || strategy.has_finders()) return gate_sample(strategy, sample, options);
  BlockGating gating(strategy, sample, block_events);
  const std::size_t block_count = (n + block_events - 1) / block_events;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, block_count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t b = r.begin(); b != r.end(); ++b)
      gating.gate(b * block_events, std::min(block_events, n - b * block_events));
  });
  return std::move(gating).finish();
}

}  // namespace cytopipe::gating
