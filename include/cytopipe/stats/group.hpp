#pragma once
// The input of the one-factor tests: named groups of numeric values, in their natural order
// (dose order for trend tests; the control is named by index where a test needs one).
#include <span>
#include <string>
#include <vector>

#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

struct Group {
  std::string label;
  std::vector<double> values;
};

// Sizes of the groups, for TestResult::groups.
std::vector<GroupSize> group_sizes(std::span<const Group> groups);

// The first reason the groups cannot support a k-group comparison, or empty:
// fewer than `min_groups` groups, a NaN/infinite value, a group smaller than `min_n`.
std::string check_groups(std::span<const Group> groups, std::size_t min_groups, std::size_t min_n);

}  // namespace cytopipe::stats
