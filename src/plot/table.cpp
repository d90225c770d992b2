#include "cytopipe/plot/table.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>
#include <map>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/stats/levels.hpp"
#include "plot/layout_util.hpp"

namespace cytopipe::plot {
namespace {

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Index of `name` in `list`, appending it when new.
std::size_t intern(std::vector<std::string>& list, const std::string& name) {
  const auto it = std::find(list.begin(), list.end(), name);
  if (it != list.end()) return static_cast<std::size_t>(it - list.begin());
  list.push_back(name);
  return list.size() - 1;
}

}  // namespace

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  std::string known;
  for (const auto& h : header) known += (known.empty() ? "" : ", ") + h;
  throw Error("no column '" + std::string(name) + "' (columns: " + known + ")", detail::file_context(source));
}

namespace {

// The one CSV reader's document, with the header names trimmed; a header without rows is no table
// to plot.
CsvTable from_document(csv::Document doc) {
  CsvTable table;
  table.source = std::move(doc.source);
  table.header = std::move(doc.header);
  for (auto& h : table.header) h = std::string(trim(h));
  table.rows = std::move(doc.rows);
  table.row_lines = std::move(doc.row_lines);
  if (table.rows.empty()) throw Error("CSV file has a header but no rows", detail::file_context(table.source));
  return table;
}

}  // namespace

CsvTable parse_csv(std::string_view text, std::string source) {
  return from_document(csv::parse(text, std::move(source)));
}

CsvTable read_csv(const std::filesystem::path& file) { return from_document(csv::read(file, {}, "CSV file")); }

DoseFigure dose_figure_from_table(const CsvTable& table, const DoseColumns& columns) {
  const std::size_t value_col = table.column(columns.value);
  const std::size_t group_col = table.column(columns.group);
  const auto optional_col = [&](const std::optional<std::string>& name) -> std::optional<std::size_t> {
    if (!name) return std::nullopt;
    return table.column(*name);
  };
  const auto facet_col = optional_col(columns.facet);
  const auto series_col = optional_col(columns.series);
  const auto stars_col = optional_col(columns.stars);

  std::vector<std::string> facets, series, groups;
  struct Cell {
    std::vector<double> values;
    std::string stars;
    int stars_line = 0;
  };
  std::map<std::tuple<std::size_t, std::size_t, std::string>, Cell> cells;  // (facet, series, group)
  std::map<std::size_t, std::vector<std::string>> facet_groups;
  std::size_t skipped_missing = 0;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    const int line = r < table.row_lines.size() ? table.row_lines[r] : 0;
    // An empty or NA cell is a read-out that does not apply to that row (e.g. a control tube):
    // left out and counted, as R drops NA; anything else that is not a number is an error.
    const std::string_view value_text = trim(row[value_col]);
    if (value_text.empty() || value_text == "NA") {
      ++skipped_missing;
      continue;
    }
    const auto value = parse_number(row[value_col]);
    if (!value || !std::isfinite(*value))
      throw Error("value '" + row[value_col] + "' is not a finite number", detail::file_context(table.source, columns.value, line));
    const std::string group(trim(row[group_col]));
    if (group.empty()) throw Error("empty dose group", detail::file_context(table.source, columns.group, line));
    const std::size_t f = intern(facets, facet_col ? std::string(trim(row[*facet_col])) : std::string());
    const std::size_t s = intern(series, series_col ? std::string(trim(row[*series_col])) : std::string());
    intern(groups, group);
    intern(facet_groups[f], group);
    Cell& cell = cells[{f, s, group}];
    cell.values.push_back(*value);
    if (stars_col) {
      const std::string stars(trim(row[*stars_col]));
      if (!stars.empty()) {
        if (!cell.stars.empty() && cell.stars != stars)
          throw Error("significance label '" + stars + "' differs from '" + cell.stars + "' on line " +
                          std::to_string(cell.stars_line) + " for the same group",
                      detail::file_context(table.source, *columns.stars, line));
        cell.stars = stars;
        cell.stars_line = line;
      }
    }
  }

  if (cells.empty())
    throw Error("no row has a value (every cell is empty or NA)", detail::file_context(table.source, columns.value, 0));
  DoseFigure figure;
  figure.missing_values = skipped_missing;
  figure.x_title = columns.group;
  figure.y_title = columns.value;
  for (std::size_t f = 0; f < facets.size(); ++f) {
    DosePanel panel;
    panel.title = facets[f];
    // Doses sort as numbers when they all are numbers ("0, 25, 50, 100", not "0, 100, 25, 50").
    panel.groups = stats::ordered_levels(facet_groups[f]);
    for (std::size_t s = 0; s < series.size(); ++s) {
      DoseSeries ds;
      ds.name = series[s];
      for (std::size_t g = 0; g < panel.groups.size(); ++g) {
        const auto it = cells.find({f, s, panel.groups[g]});
        if (it == cells.end()) {
          ds.values.emplace_back();  // dose_figure reports the empty group by name
          continue;
        }
        ds.values.push_back(it->second.values);
        if (g > 0 && !it->second.stars.empty()) panel.marks.push_back({g, std::nullopt, s, it->second.stars});
      }
      panel.series.push_back(std::move(ds));
    }
    figure.panels.push_back(std::move(panel));
  }
  return figure;
}

}  // namespace cytopipe::plot
