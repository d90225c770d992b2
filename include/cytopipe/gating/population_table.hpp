#pragma once
// The population table: one tidy row per sample x population x statistic x channel, in the one
// layout that `cytopipe run` (populations.csv) and `cytopipe gate --stats` both write:
//   file,population,parent,statistic,channel,value
// Text cells are quoted as RFC 4180 needs; values in the output-table number style
// (kTableNumber: 10 significant digits, whole numbers as integers, NaN as an empty cell).
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/finder.hpp"

namespace cytopipe::gating {

struct PopulationRow {
  std::string population;
  std::string parent;      // empty for a root population
  std::string statistic;   // count, percent_parent, percent_total, mean, median, rsd, p95, ...
  std::string channel;     // empty for the count rows
  double value = 0;
};

// Which of the rows every population has (they need no channel).
struct CountRows {
  bool count = true;
  bool percent_parent = true;  // of the parent population (of all events for a root population)
  bool percent_total = true;   // of all events
};

// Appends population `p`'s count rows; a percentage of no events is NaN (an empty cell).
void append_count_rows(std::vector<PopulationRow>& rows, const GatingResults& results,
                       const PopulationResult& p, const CountRows& which = {});

// What each finder saw, as rows of the gate it placed (statistic finder_*; see gating/README.md,
// "What a finder saw"): positions in the dimension's scale units, channel = the dimension's label.
void append_finder_rows(std::vector<PopulationRow>& rows, std::span<const FinderReport> reports);

// The header line.
void write_population_header(std::ostream& out);
// The rows of one sample (file).
void write_population_rows(std::ostream& out, std::string_view file, std::span<const PopulationRow> rows);

}  // namespace cytopipe::gating
