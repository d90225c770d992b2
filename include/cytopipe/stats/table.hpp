#pragma once
// A tidy table: named columns of text cells, one row per observation. The stats stage reads
// numbers and factor levels out of it by column name.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cytopipe::stats {

class Table {
 public:
  Table() = default;
  explicit Table(std::vector<std::string> column_names);

  const std::vector<std::string>& column_names() const { return names_; }
  std::size_t rows() const { return rows_; }
  bool has_column(std::string_view name) const;
  // Throws cytopipe::Error naming the column (and the known columns) when absent.
  std::size_t column_index(std::string_view name) const;
  const std::vector<std::string>& column(std::string_view name) const;

  // Appends a row; throws cytopipe::Error when the cell count differs from the column count.
  void add_row(std::vector<std::string> cells);
  // Adds a whole column (as many cells as rows(), or the first column of an empty table).
  void add_column(std::string name, std::vector<std::string> cells);

  // `source` names the table in error messages (usually the file).
  std::string source;

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<std::string>> columns_;
  std::size_t rows_ = 0;
};

// RFC 4180 CSV (comma, double quotes, CRLF or LF) with a header line. Throws cytopipe::Error
// naming file and line on a ragged row, unterminated quote or duplicate column name.
Table read_csv(const std::filesystem::path& path);
Table parse_csv(std::string_view text, const std::string& source = "<csv>");

// A number from a cell, or nullopt for anything that is not entirely a finite or NaN decimal
// (empty cells and "NA" are NaN, i.e. missing).
std::optional<double> parse_number(std::string_view cell);

}  // namespace cytopipe::stats
