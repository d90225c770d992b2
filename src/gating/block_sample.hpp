#pragma once
// What block-by-block gating and statistics share: a thread's small sample for a block of
// events, and which of a file's channels a block must decode.
#include <cstddef>
#include <span>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating::detail {

// The metadata gating reads (channels, spillover, source); the keywords stay with the reader.
fcs::Sample block_sample(const fcs::Sample& metadata);

// The channels of `metadata` (indices, in file order) that reading `dimensions` takes: each
// dimension's channel (or a ratio's two), found as the gates find it, and every detector of a
// compensation a dimension uses (a matrix of `strategy`, or the file's). Names the file lacks are
// left out: the caller's check against the whole metadata names them. A channel found among
// these is found as the same channel among all: find_channel takes the first channel at the best
// kind of match, and none before it matches better or as well among all channels, so none does
// among these.
std::vector<std::size_t> channels_read(std::span<const Dimension* const> dimensions, const GatingStrategy& strategy,
                                       const fcs::Sample& metadata);
// The same for every dimension of the strategy's gates.
std::vector<std::size_t> channels_read(const GatingStrategy& strategy, const fcs::Sample& metadata);

}  // namespace cytopipe::gating::detail
