#pragma once
// A read-out expression as a syntax tree (the language is described in readout.hpp). The config
// parses each expression once into this value; validation, listing, planning and the run use it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/gating/statistics.hpp"
#include "cytopipe/pipeline/location.hpp"

namespace cytopipe::pipeline {

// Per-channel statistics a read-out or populations.csv can ask for: gating's, so a pipeline
// statistic means exactly what `cytopipe gate` reports (mean, median, geomean, sd, cv, rsd, rcv).
using Statistic = gating::Statistic;
// The canonical name ("rsd", "rcv", ...), the one every pipeline output writes.
std::string_view to_string(Statistic statistic);
// A canonical name, or an alias `cytopipe gate` writes ("robust_sd", "robust_cv").
std::optional<Statistic> parse_statistic(std::string_view name);

struct Expression {
  enum class Kind { Count, Percent, Channel, AbsoluteCount, SpecificLysis, Killing, Concentration };
  Kind kind = Kind::Count;
  std::string function;            // as written ("percent", "viability", "median", ...)
  std::string population;
  std::string parent;              // Percent: empty = the population's parent in the gate tree
  std::string channel;             // Channel
  Statistic statistic = Statistic::Median;
  bool scaled = false;             // Channel: values mapped through the channel's transforms: entry
  std::string beads;               // AbsoluteCount: bead population
  std::string column;              // AbsoluteCount: sample sheet column with beads added
  std::vector<Expression> inner;   // SpecificLysis / Killing: the per-sample quantity

  bool needs_control() const { return kind == Kind::SpecificLysis || kind == Kind::Killing; }
};

// Throws Error at `at` (file, line, column of the expression) for a malformed expression.
Expression parse_expression(std::string_view text, const Location& at);

}  // namespace cytopipe::pipeline
