#pragma once
// Reading a tidy CSV table (one row per replicate) and turning it into a DoseFigure, for
// `cytopipe plot dose` and for anyone holding a readout table as text.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/plot/dose.hpp"

namespace cytopipe::plot {

struct CsvTable {
  std::string source;                          // file name, for messages
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as header
  std::vector<int> row_lines;                  // 1-based line on which each row starts

  // Index of a column; Error listing the columns there are when it is missing.
  std::size_t column(std::string_view name) const;
};

// RFC 4180 CSV: comma separated, "quoted" fields with "" escapes and embedded newlines, CRLF or
// LF. Error (with file and line) for an unterminated quote or a row whose field count differs
// from the header's; an empty file or a header-only file is an Error too.
CsvTable parse_csv(std::string_view text, std::string source = "<csv>");
CsvTable read_csv(const std::filesystem::path& file);

struct DoseColumns {
  std::string value;                  // numeric read-out, e.g. "viability_pct"
  std::string group;                  // dose group, e.g. "dose_nM"
  std::optional<std::string> facet;   // panel, e.g. "cell_line"
  std::optional<std::string> series;  // legend series, e.g. "effector"
  std::optional<std::string> stars;   // significance label per row (same for a group's rows)
};

// Groups rows into panels (first-appearance order), groups (per panel, stats::ordered_levels:
// numeric order when every group label is a number, else first-appearance order) and series.
// The first group is the control: a non-empty stars value on other groups becomes a
// SignificanceMark above that group.
// Rows whose value is empty or NA are left out and counted in DoseFigure::missing_values.
// Error (file, line, column) for a non-numeric value, or conflicting stars within one group.
DoseFigure dose_figure_from_table(const CsvTable& table, const DoseColumns& columns);

}  // namespace cytopipe::plot
