// stats.csv rows: the marks against the control that figures and summaries show, and reading the
// file back (for `cytopipe plot dose --stats`).
#include <cmath>
#include <limits>

#include "cytopipe/error.hpp"
#include "cytopipe/stats/analysis.hpp"

namespace cytopipe::stats {

std::map<std::string, std::string> marks_against_control(std::span<const ResultRow> rows,
                                                         std::string_view stratum,
                                                         std::string_view control) {
  std::map<std::string, std::string> out;
  for (const auto& r : rows) {
    if (r.stratum != stratum || r.reference != control || r.group.empty() || r.significance.empty())
      continue;
    out.try_emplace(r.group, r.significance);
  }
  return out;
}

std::vector<ResultRow> read_rows(const Table& table) {
  // sd, sem and p_bound came later: a stats.csv without them still reads.
  const auto optional = [](const std::string& name) { return name == "sd" || name == "sem" || name == "p_bound"; };
  for (const auto& name : row_columns())
    if (!optional(name)) (void)table.column_index(name);  // names a missing column
  auto cells = [&](const char* name) -> const std::vector<std::string>& { return table.column(name); };
  auto number = [&](const char* name, std::size_t i) {
    const std::string& cell = table.column(name)[i];
    if (cell == "Inf") return std::numeric_limits<double>::infinity();
    if (cell == "-Inf") return -std::numeric_limits<double>::infinity();
    const auto v = parse_number(cell);
    if (!v)
      throw Error("'" + cell + "' is not a number", {table.source, name, static_cast<int>(i + 2), 0});
    return *v;
  };
  std::vector<ResultRow> rows(table.rows());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ResultRow& r = rows[i];
    r.readout = cells("readout")[i];
    r.stratum = cells("stratum")[i];
    r.test = cells("test")[i];
    r.comparison = cells("comparison")[i];
    // The file keeps a comparison as its label only; this is the one place it is split.
    if (const auto dash = r.comparison.find(" - "); dash != std::string::npos) {
      r.group = r.comparison.substr(0, dash);
      r.reference = r.comparison.substr(dash + 3);
    }
    r.statistic_name = cells("statistic_name")[i];
    r.statistic = number("statistic", i);
    r.df1 = number("df1", i);
    r.df2 = number("df2", i);
    r.estimate = number("estimate", i);
    r.ci_low = number("ci_low", i);
    r.ci_high = number("ci_high", i);
    r.p = number("p", i);
    r.p_adjusted = number("p_adjusted", i);
    r.adjustment = cells("adjustment")[i];
    r.significance = cells("significance")[i];
    r.n = cells("n")[i];
    r.alternative = cells("alternative")[i];
    r.method = cells("method")[i];
    r.message = cells("message")[i];
    if (table.has_column("sd")) r.sd = number("sd", i);
    if (table.has_column("sem")) r.sem = number("sem", i);
    if (table.has_column("p_bound")) r.p_bound = cells("p_bound")[i];
  }
  return rows;
}

}  // namespace cytopipe::stats
