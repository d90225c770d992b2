#pragma once
// Rank tests: Kruskal-Wallis (tie-corrected, R: kruskal.test), Mann-Whitney (R: wilcox.test:
// exact when both n < 50 and there are no ties, else normal approximation with tie correction and
// continuity correction), Dunn's test after Kruskal-Wallis (tie-corrected z on mean ranks, pooled
// over all groups as Dunn 1964, adjusted as asked).
#include <cstddef>
#include <span>

#include "cytopipe/stats/adjust.hpp"
#include "cytopipe/stats/group.hpp"
#include "cytopipe/stats/result.hpp"

namespace cytopipe::stats {

TestResult kruskal_wallis(std::span<const Group> groups);
TestResult mann_whitney(const Group& a, const Group& b,
                        Alternative alternative = Alternative::two_sided);
// All pairs, or only each group against `control` when control < groups.size().
TestResult dunn(std::span<const Group> groups, Adjustment adjustment,
                std::size_t control = static_cast<std::size_t>(-1));

}  // namespace cytopipe::stats
