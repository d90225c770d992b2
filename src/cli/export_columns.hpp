#pragma once
// The one place where a read Sample becomes export output: which channels, in which order.
// (Compensation and scale options are applied to the Sample before this, in place.)
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::cli {

// Indices of the requested channels ("a,b" split by the caller), all channels when empty.
// An unknown name is an Error listing the channels the file has.
std::vector<std::size_t> export_channels(const fcs::Sample& sample,
                                         const std::vector<std::string>& requested);

}  // namespace cytopipe::cli
