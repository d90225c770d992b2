#pragma once
// Multiple-comparison adjustment of p values, as R's p.adjust.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cytopipe::stats {

enum class Adjustment { none, holm, bonferroni, bh };

std::string to_string(Adjustment adjustment);  // "none", "holm", "bonferroni", "BH"
// Accepts none, holm, bonferroni, bh/BH/fdr; throws cytopipe::Error otherwise.
Adjustment parse_adjustment(std::string_view name);

// NaN p values are passed through and do not count towards the number of tests (as p.adjust).
std::vector<double> adjust_p(std::span<const double> p, Adjustment adjustment);

}  // namespace cytopipe::stats
