#include "cytopipe/stats/table.hpp"

#include <charconv>
#include <cmath>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/error.hpp"

namespace cytopipe::stats {

Table::Table(std::vector<std::string> column_names)
    : names_(std::move(column_names)), columns_(names_.size()) {}

bool Table::has_column(std::string_view name) const {
  for (const auto& n : names_)
    if (n == name) return true;
  return false;
}

std::size_t Table::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return i;
  std::string known;
  for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
  throw Error("no column '" + std::string(name) + "' (columns: " + known + ")",
              {source, std::string(name), 0, 0});
}

const std::vector<std::string>& Table::column(std::string_view name) const {
  return columns_[column_index(name)];
}

void Table::add_row(std::vector<std::string> cells) {
  if (cells.size() != names_.size())
    throw Error("row has " + std::to_string(cells.size()) + " cells, expected " +
                    std::to_string(names_.size()),
                {source, {}, static_cast<int>(rows_ + 2), 0});
  for (std::size_t i = 0; i < cells.size(); ++i) columns_[i].push_back(std::move(cells[i]));
  ++rows_;
}

void Table::add_column(std::string name, std::vector<std::string> cells) {
  if (has_column(name)) throw Error("duplicate column '" + name + "'", {source, name, 0, 0});
  if (!names_.empty() && cells.size() != rows_)
    throw Error("column '" + name + "' has " + std::to_string(cells.size()) + " cells, expected " +
                    std::to_string(rows_),
                {source, name, 0, 0});
  rows_ = cells.size();
  names_.push_back(std::move(name));
  columns_.push_back(std::move(cells));
}

Table parse_csv(std::string_view text, const std::string& source) {
  csv::Document doc = csv::parse(text, source);
  Table table(std::move(doc.header));
  table.source = source;
  for (auto& row : doc.rows) table.add_row(std::move(row));
  return table;
}

Table read_csv(const std::filesystem::path& path) {
  csv::Document doc = csv::read(path, {}, "table");
  Table table(std::move(doc.header));
  table.source = doc.source;
  for (auto& row : doc.rows) table.add_row(std::move(row));
  return table;
}

std::optional<double> parse_number(std::string_view cell) {
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
  if (cell.empty() || cell == "NA" || cell == "NaN" || cell == "nan") return std::nan("");
  if (cell.front() == '+') cell.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (error != std::errc() || end != cell.data() + cell.size() || std::isinf(value))
    return std::nullopt;
  return value;
}

}  // namespace cytopipe::stats
