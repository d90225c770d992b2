// Gating block by block while keeping some channels as float32 columns (see the header).
#include "cytopipe/gating/block_statistics.hpp"

#include <tbb/blocked_range.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <optional>
#include <string>

#include "fcs/huge_pages.hpp"
#include "gating/block_sample.hpp"

namespace cytopipe::gating {

FloatColumns::FloatColumns(std::size_t events, std::size_t channels) : events_(events), channels_(channels) {
  const std::size_t count = events * channels;
  if (count == 0) return;
  // As fcs::EventMatrix: large columns on huge pages (a fresh 4 KiB page's fault costs more than
  // zeroing a huge page here), kept for reuse when released.
  if (fcs::detail::huge_buffers_enabled && count * sizeof(float) >= fcs::detail::huge_buffer_threshold) {
    if (const auto mapping = fcs::detail::map_huge(count * sizeof(float)); mapping.data) {
      data_ = std::unique_ptr<float[], Release>(static_cast<float*>(mapping.data), Release{mapping.length});
      return;
    }
  }
  data_ = std::unique_ptr<float[], Release>(std::make_unique_for_overwrite<float[]>(count).release(), Release{0});
}

void FloatColumns::Release::operator()(float* data) const noexcept {
  if (mapped_bytes > 0)
    fcs::detail::unmap_huge({data, mapped_bytes});
  else
    std::default_delete<float[]>()(data);
}

KeptChannels::KeptChannels(std::size_t events, const std::vector<char>& as_float)
    : as_float_(as_float), slot_(as_float.size()) {
  std::size_t floats = 0, doubles = 0;
  for (std::size_t j = 0; j < as_float.size(); ++j) slot_[j] = as_float[j] ? floats++ : doubles++;
  floats_ = FloatColumns(events, floats);
  doubles_ = fcs::EventMatrix(doubles ? events : 0, doubles);
}

ChannelValues KeptChannels::values(std::size_t j) const noexcept {
  ChannelValues v;
  if (as_float_[j]) v.floats = floats_.column(slot_[j]);
  else v.doubles = doubles_.column(slot_[j]);
  return v;
}

void KeptChannels::set(std::size_t j, std::size_t first, std::span<const double> block) noexcept {
  const auto at = static_cast<std::ptrdiff_t>(first);
  if (as_float_[j])
    std::transform(block.begin(), block.end(), floats_.column(slot_[j]).begin() + at,
                   [](double x) { return static_cast<float>(x); });
  else
    std::copy(block.begin(), block.end(), doubles_.column(slot_[j]).begin() + at);
}

GatedBlocks gate_blocks_keeping(const GatingStrategy& strategy, const fcs::EventBlocks& blocks,
                                std::span<const std::size_t> keep, std::size_t block_events) {
  if (!counts_block_by_block(strategy, blocks))
    throw Error("gate_blocks_keeping: the strategy has finders, or the events cannot be decoded block by block",
                {blocks.metadata().source, ""});
  const fcs::Sample& metadata = blocks.metadata();
  std::vector<char> as_float(keep.size());
  for (std::size_t j = 0; j < keep.size(); ++j) {
    if (keep[j] >= metadata.channels.size())
      throw Error("gate_blocks_keeping: channel index " + std::to_string(keep[j]) + " of " +
                      std::to_string(metadata.channels.size()),
                  {metadata.source, ""});
    as_float[j] = blocks.exact_in_float(keep[j]);
  }
  const std::size_t n = blocks.events();
  BlockGating gating(strategy, metadata, n, block_events);  // checks block_events and the strategy
  // Each block decodes the channels the gates read and those kept, once.
  std::vector<std::size_t> read = detail::channels_read(strategy, metadata);
  read.insert(read.end(), keep.begin(), keep.end());
  std::sort(read.begin(), read.end());
  read.erase(std::unique(read.begin(), read.end()), read.end());
  std::vector<std::size_t> kept_at(keep.size());  // kept channel j: column kept_at[j] of a block
  for (std::size_t j = 0; j < keep.size(); ++j)
    kept_at[j] = static_cast<std::size_t>(std::lower_bound(read.begin(), read.end(), keep[j]) - read.begin());
  GatedBlocks out{{}, KeptChannels(n, as_float)};
  tbb::combinable<std::optional<fcs::Sample>> samples;
  const std::size_t block_count = (n + block_events - 1) / block_events;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, block_count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t b = r.begin(); b != r.end(); ++b) {
      const std::size_t first = b * block_events, count = std::min(block_events, n - first);
      // Isolated, as BlockGating::gate: compensation and scales run nested parallel loops, and
      // this thread's block sample must not be taken by another block meanwhile.
      tbb::this_task_arena::isolate([&] {
        std::optional<fcs::Sample>& w = samples.local();
        if (!w) {
          w = detail::block_sample(metadata);
          w->channels.clear();
          for (std::size_t c : read) w->channels.push_back(metadata.channels[c]);
        }
        if (w->events.events() != count) w->events = fcs::EventMatrix(count, read.size());
        blocks.decode(first, count, read, w->events);
        for (std::size_t j = 0; j < keep.size(); ++j) out.kept.set(j, first, w->events.column(kept_at[j]));
        gating.gate_block(first, *w);
      });
    }
  });
  out.results = std::move(gating).finish();
  return out;
}

}  // namespace cytopipe::gating
