// stats.csv rows: the marks against the control that figures and summaries show, and reading the
// file back (for `cytopipe plot dose --stats`).
#include <charconv>
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

std::string sizes_text(std::span<const GroupSize> sizes) {
  std::string out;
  for (const auto& g : sizes) out += (out.empty() ? "" : ";") + g.label + ":" + std::to_string(g.n);
  return out;
}

std::vector<GroupSize> parse_sizes(std::string_view text, const std::string& source, int line) {
  std::vector<GroupSize> out;
  if (text.empty()) return out;
  for (;;) {
    const auto end = text.find(';');
    const std::string_view part = text.substr(0, end);
    // The count follows the last colon: a level may hold one ("a:b"), a count never does.
    const auto colon = part.rfind(':');
    const std::string_view count = colon == std::string_view::npos ? std::string_view() : part.substr(colon + 1);
    std::size_t n = 0;
    const auto [stop, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (count.empty() || ec != std::errc() || stop != count.data() + count.size())
      throw Error("'" + std::string(part) + "' is not level:n (e.g. 0:3)", {source, "n", line, 0});
    out.push_back({std::string(part.substr(0, colon)), n});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
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
    r.sizes = parse_sizes(cells("n")[i], table.source, static_cast<int>(i + 2));
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
