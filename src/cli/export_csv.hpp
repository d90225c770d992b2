#pragma once
// Events as CSV: a header row of channel names, then one row per event, values as %.9g.
// Streams in blocks so the text is never built whole in memory.
#include <cstddef>
#include <ostream>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::cli {

void write_csv(std::ostream& out, const fcs::Sample& sample, const std::vector<std::size_t>& channels);

}  // namespace cytopipe::cli
