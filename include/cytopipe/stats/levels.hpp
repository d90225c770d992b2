#pragma once
// The one ordering of factor levels (doses, groups) that the statistics, the report and the plots
// share: numeric order when every level is a number (0, 25, 100; not the text order 0, 100, 25),
// else the order of first appearance.
#include <span>
#include <string>
#include <vector>

namespace cytopipe::stats {

// True when `level` reads as a number (parse_number, NaN excluded).
bool is_numeric_level(const std::string& level);

// The distinct levels of `labels`, in that order.
std::vector<std::string> ordered_levels(std::span<const std::string> labels);

}  // namespace cytopipe::stats
