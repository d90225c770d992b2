#pragma once
// The read-out expression language of pipeline configs:
//   count(POP)                       events in POP
//   percent(POP of PARENT)           100 x count(POP) / count(PARENT)   (percent(POP): of its parent)
//   viability(LIVE of PARENT)        the same, named as viability
//   mean|median|geomean|sd|cv|rsd|rcv(CHANNEL, POP)   a statistic of a marker/channel in POP
//                                    (definitions: gating/statistics.hpp), on linear values
//   mean|...(CHANNEL, POP, scaled)   the same on the channel's `transforms:` scale
//   absolute_count(POP, BEADS, COLUMN)            count(POP) / count(BEADS) x sheet column COLUMN
//   concentration(POP)               count(POP) / acquired volume in µL ($VOL: nL unless it states a unit)
//   specific_lysis(X)                100 x (X - X_control) / (100 - X_control), X = % dead targets
//   killing(X)                       100 x (1 - X / X_control), X = live targets (counts)
// where X_control is X averaged over the matched control samples (the read-out's `control` and
// `match`). Every read-out can state the formula it computes (formula()).
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/expression.hpp"

namespace cytopipe::pipeline {

// The expression written back in canonical form, and the formula it computes in words.
std::string to_string(const Expression& e);
std::string formula(const Expression& e);

// Where a Channel statistic is kept in PopulationValues::statistics: the channel, or
// "scaled(CHANNEL)" for one on the transformed scale.
std::string statistic_channel(const Expression& e);

// Names the expression refers to, for validation against the gate tree and the panel.
void collect_populations(const Expression& e, std::set<std::string>& out);
// Calls `visit` for every channel statistic in `e`, nested ones included.
void for_each_channel_statistic(const Expression& e, const std::function<void(const Expression&)>& visit);
void collect_columns(const Expression& e, std::set<std::string>& out);

// What the evaluator needs to know about one gated sample.
struct PopulationValues {
  std::string parent;
  double count = 0;
  std::map<std::pair<std::string, Statistic>, double> statistics;  // (channel, stat) -> value
};
struct SampleValues {
  double total_events = 0;
  std::optional<double> volume_uL;   // the file's $VOL in µL
  std::string volume_problem;        // why there is none (no $VOL, not a number...)
  std::map<std::string, PopulationValues> populations;
  std::map<std::string, std::string> factors;
};

// The value of a quantity without controls. Error naming the population, channel or column when
// it is absent from the sample, or the population when a denominator / statistic population is
// empty (never a silent NaN).
double evaluate(const Expression& e, const SampleValues& sample);

// The acquired volume in µL from a $VOL value: FCS 3.1 states nanolitres; a value that names its
// unit ("50 uL", "0.05 mL", "50000 nL") is read in that unit. Error for anything else.
double volume_microlitres(std::string_view vol);

// The population every strategy has without a gate: all events of the file.
inline constexpr std::string_view kAllEvents = "all";
// With controls (needs_control()): the matched controls' values of the inner quantity are
// averaged. Error when `controls` is empty.
double evaluate(const Expression& e, const SampleValues& sample,
                const std::vector<const SampleValues*>& controls);

}  // namespace cytopipe::pipeline
