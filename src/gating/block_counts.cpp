// Counting populations block by block: each thread decodes a block into its own small sample
// (the file's metadata, a block of events), gates it with GatingRun and adds up the counts.
#include "cytopipe/gating/block_counts.hpp"

#include <tbb/blocked_range.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <optional>

#include "cytopipe/gating/evaluate.hpp"

namespace cytopipe::gating {
namespace {

// The metadata gating reads (channels, spillover, source); the keywords stay with the reader.
fcs::Sample block_sample(const fcs::Sample& metadata) {
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

  struct Worker {
    std::optional<fcs::Sample> sample;
    std::vector<std::size_t> counts;
  };
  tbb::combinable<Worker> workers;
  PopulationCounts out;
  GateOptions options;
  options.parallel = false;  // parallel over blocks instead
  auto gate_one_block = [&](std::size_t b) {
    Worker& w = workers.local();
    if (!w.sample) {
      w.sample = block_sample(blocks.metadata());
      w.counts.assign(populations, 0);
    }
    const std::size_t first = b * block_events, count = std::min(block_events, n - first);
    fcs::Sample& s = *w.sample;
    if (s.events.events() != count) s.events = fcs::EventMatrix(count, s.channels.size());
    blocks.decode(first, count, s.events);
    GatingRun run(strategy, s, options);
    run.evaluate(0, count);
    const GatingResults results = run.finish();
    for (std::size_t p = 0; p < populations; ++p) w.counts[p] += results.populations()[p].count;
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

GatingResults gate_in_blocks(const GatingStrategy& strategy, const fcs::Sample& sample, std::size_t block_events) {
  if (block_events == 0 || block_events % 64 != 0)
    throw Error("gate_in_blocks: blocks of " + std::to_string(block_events) + " events (a multiple of 64 is needed)");
  const std::size_t n = sample.event_count();
  GateOptions options;
  options.parallel = false;  // parallel over blocks instead
  // One block (or finders, which gate_sample refuses): the sample as it is.
  if (n <= block_events || strategy.has_finders()) return gate_sample(strategy, sample, options);
  GatingResults out;
  // The strategy against the sample's metadata first, with no events: every error surfaces here,
  // once, as gate_sample raises it (count_populations' check); and the populations' names and paths.
  {
    const fcs::Sample empty = block_sample(sample);
    GatingRun run(strategy, empty, options);
    out = run.finish();
  }
  out.events_ = n;
  for (auto& p : out.populations_) p.members = Membership(n);

  const std::size_t channels = sample.channels.size();
  const std::size_t block_count = (n + block_events - 1) / block_events;
  tbb::combinable<std::optional<fcs::Sample>> workers;
  auto gate_one_block = [&](std::size_t b) {
    std::optional<fcs::Sample>& w = workers.local();
    if (!w) w = block_sample(sample);
    const std::size_t first = b * block_events, count = std::min(block_events, n - first);
    fcs::Sample& s = *w;
    if (s.events.events() != count) s.events = fcs::EventMatrix(count, channels);
    for (std::size_t c = 0; c < channels; ++c) {
      const auto from = sample.events.column(c).subspan(first, count);
      std::copy(from.begin(), from.end(), s.events.column(c).begin());
    }
    GatingRun run(strategy, s, options);
    run.evaluate(0, count);
    const GatingResults block = run.finish();
    for (std::size_t p = 0; p < out.populations_.size(); ++p) {
      const auto words = block.populations()[p].members.words();
      std::copy(words.begin(), words.end(), out.populations_[p].members.words().begin() + static_cast<std::ptrdiff_t>(first / 64));
    }
  };
  // Isolated, as count_populations' blocks: a thread waiting in a nested loop must not start
  // another block on its own block sample.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, block_count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t b = r.begin(); b != r.end(); ++b) tbb::this_task_arena::isolate([&] { gate_one_block(b); });
  });
  for (auto& p : out.populations_) p.count = p.members.count();
  return out;
}

}  // namespace cytopipe::gating
