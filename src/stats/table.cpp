#include "cytopipe/stats/table.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "cytopipe/error.hpp"
#include "cytopipe/input_file.hpp"

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
  std::vector<std::vector<std::string>> records;
  std::vector<int> record_line;
  std::vector<std::string> record;
  std::string cell;
  bool quoted = false, cell_started = false;
  int line = 1, start_line = 1;
  auto end_cell = [&] {
    record.push_back(std::move(cell));
    cell.clear();
    cell_started = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
        else quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
    } else if (c == '"' && cell.empty()) {
      quoted = cell_started = true;
    } else if (c == ',') {
      end_cell();
      cell_started = true;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (!record.empty() || !cell.empty() || cell_started) {
        end_cell();
        records.push_back(std::move(record));
        record_line.push_back(start_line);
        record.clear();
      }
      ++line;
      start_line = line;
    } else {
      cell += c;
      cell_started = true;
    }
  }
  if (quoted) throw Error("unterminated quoted cell", {source, {}, start_line, 0});
  if (!record.empty() || !cell.empty() || cell_started) {
    end_cell();
    records.push_back(std::move(record));
    record_line.push_back(start_line);
  }
  if (records.empty()) throw Error("empty CSV: no header line", {source, {}, 1, 0});
  std::set<std::string> seen;
  for (const auto& name : records[0])
    if (!seen.insert(name).second)
      throw Error("duplicate column name '" + name + "'", {source, name, record_line[0], 0});
  Table table(records[0]);
  table.source = source;
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != records[0].size())
      throw Error("row has " + std::to_string(records[r].size()) + " cells, header has " +
                      std::to_string(records[0].size()),
                  {source, {}, record_line[r], 0});
    table.add_row(std::move(records[r]));
  }
  return table;
}

Table read_csv(const std::filesystem::path& path) {
  require_regular_file(path, "table");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open file", {path.string(), {}, 0, 0});
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_csv(buffer.str(), path.string());
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
