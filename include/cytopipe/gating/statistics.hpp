#pragma once
// Population statistics of one channel's values (raw, compensated or transformed), over the
// events of a population.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/gating/evaluate.hpp"

namespace cytopipe::gating {

struct StatisticsOptions {
  std::vector<double> percentiles = {5, 25, 75, 95};  // in percent, 0..100
  std::size_t mode_bins = 256;  // histogram of [min, max] of the population's values
};

struct PopulationStatistics {
  std::size_t count = 0;
  double percent_parent = 0;   // 100 x count / parent count (NaN if the parent is empty)
  double percent_total = 0;    // 100 x count / all events (NaN if there are none)
  // The following are NaN for an empty population (SD, CV need >= 2 events).
  double mean = 0;
  double median = 0;           // exact: mean of the two middle values for an even count
  double geometric_mean = 0;   // of the positive values only ...
  std::size_t geometric_mean_excluded = 0;  // ... this many values <= 0 were left out
  double mode = 0;             // centre of the fullest bin of a mode_bins histogram
  double sd = 0;               // sample standard deviation (n - 1)
  double cv = 0;               // 100 x sd / mean
  // FlowJo: robust SD = 0.5 x (P84.13 - P15.87) (the spread holding 68.26 % of the events
  // around the median); robust CV = 100 x robust SD / median.
  double robust_sd = 0;
  double robust_cv = 0;
  std::vector<std::pair<double, double>> percentiles;  // (percent, value), exact, type 7
};

// Statistics of `values` (one per event of the sample) over `members`. `parent_count` and
// `total_events` give the percentages.
PopulationStatistics population_statistics(std::span<const double> values,
                                           const Membership& members, std::size_t parent_count,
                                           std::size_t total_events,
                                           const StatisticsOptions& options = {});
// The same with `logs` = log_values(values), made once per channel and shared by every
// population's geometric mean (no log per population and event); bit for bit the same result.
PopulationStatistics population_statistics(std::span<const double> values, std::span<const double> logs,
                                           const Membership& members, std::size_t parent_count,
                                           std::size_t total_events, const StatisticsOptions& options = {});
// Every population's statistics on every channel: out[p * channels.size() + c] equals
// population_statistics(channels[c], log_values(channels[c]), *members[p], parent_counts[p],
// total_events, options) bit for bit. In parallel (TBB), a task per channel: two sweeps over the
// column in cache-sized chunks serve every population (its logs made there, once per event);
// overlapping populations' min/max and key histograms come from the disjoint sets of events they
// share (scanned once per event), their sums in each population's event order.
std::vector<PopulationStatistics> population_statistics_table(std::span<const std::span<const double>> channels,
                                                               std::span<const Membership* const> members,
                                                               std::span<const std::size_t> parent_counts,
                                                               std::size_t total_events,
                                                               const StatisticsOptions& options = {});
// One channel's values for the table: doubles, or float32 values (widened to double as the
// sweeps read them, so a float column gives the results of a double column holding the same
// values, bit for bit). Exactly one is set (both empty: a sample without events).
struct ChannelValues {
  std::span<const double> doubles;
  std::span<const float> floats;
  std::size_t size() const noexcept { return doubles.empty() ? floats.size() : doubles.size(); }
};
// population_statistics_table of channels given as doubles or floats (e.g. gate_blocks_keeping's).
std::vector<PopulationStatistics> population_statistics_table(std::span<const ChannelValues> channels,
                                                               std::span<const Membership* const> members,
                                                               std::span<const std::size_t> parent_counts,
                                                               std::size_t total_events,
                                                               const StatisticsOptions& options = {});
// log(x) of each finite positive value, -inf for the others.
std::vector<double> log_values(std::span<const double> values);
// The same into `logs` (one per value; e.g. uninitialised storage reused between samples).
void log_values(std::span<const double> values, std::span<double> logs);
// The same over a plain list of values (count-based fields then describe that list).
PopulationStatistics value_statistics(std::vector<double> values,
                                      const StatisticsOptions& options = {});

// Exact percentile (0..100) by selection, linear interpolation between order statistics
// (R's type 7). Reorders `values`. NaN for an empty span.
double percentile(std::span<double> values, double percent);

// The values of `channel` for the events of `members` (in event order).
std::vector<double> select(std::span<const double> values, const Membership& members);
// The same into `out`, which must hold at least members.count() values (throws otherwise, or
// when `values` is not one per event); returns how many were written. For callers that reuse
// one buffer.
std::size_t gather(std::span<const double> values, const Membership& members, std::span<double> out);

// One statistic at a time, with the definitions and arithmetic of value_statistics (equal to its
// field bit for bit), for callers that need only a few (the pipeline's batch path): nothing else
// is computed and nothing is copied.
enum class Statistic { Mean, Median, GeometricMean, Sd, Cv, RobustSd, RobustCv };
// Non-finite values are ignored, as value_statistics does. Median and the robust statistics
// reorder `values` (a permutation: every value stays in the span); the others leave it as is.
// NaN when no finite value is left (SD, CV: fewer than 2).
double statistic(Statistic statistic, std::span<double> values);

}  // namespace cytopipe::gating
