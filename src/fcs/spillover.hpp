#pragma once
// The spillover keyword ($SPILLOVER / SPILL / spillover): "n,name1..namen,v11,v12,...,vnn".
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::fcs::detail {

struct SpilloverParse {
  std::optional<Spillover> matrix;
  std::string error;  // set when a spillover keyword is present but malformed
};

// Looks the keyword up as SPILL, then spillover, then $SPILLOVER (case-insensitive, as flowCore)
// and parses it. A malformed value is reported in `error`, never thrown: the events are fine.
SpilloverParse parse_spillover(const Keywords& keywords);

// The keyword text for a matrix (used by the writer).
std::string format_spillover(const Spillover& spillover);

}  // namespace cytopipe::fcs::detail
