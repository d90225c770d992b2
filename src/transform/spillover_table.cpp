// Spillover matrices from CSV / TSV files (FlowJo's export layout or a plain header + rows).
#include <cctype>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/input_file.hpp"
#include "cytopipe/transform/compensation.hpp"

namespace cytopipe::transform {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    s = trim(s.substr(1, s.size() - 2));
  return s;
}

std::optional<double> number(std::string_view cell) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (cell.empty() || ec != std::errc() || ptr != cell.data() + cell.size()) return std::nullopt;
  return v;
}

struct Line {
  int number = 0;  // 1-based
  std::vector<std::string> cells;
};

// The one CSV reader's records (quotes, BOM, line endings), cells trimmed; lines with nothing but
// spaces are left out, as are empty cells at the end of a line (FlowJo writes a trailing
// separator).
std::vector<Line> split(std::string_view text, char delimiter, const std::string& name) {
  csv::ReadOptions options;
  options.separator = delimiter;
  std::vector<Line> lines;
  for (auto& record : csv::parse_records(text, name, options)) {
    Line line{record.line, {}};
    bool blank = true;
    for (const auto& field : record.fields) {
      line.cells.emplace_back(trim(field));
      blank = blank && line.cells.back().empty();
    }
    if (blank) continue;
    while (line.cells.size() > 1 && line.cells.back().empty()) line.cells.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

fcs::Spillover parse_spillover_table(std::string_view text, const std::string& name) {
  auto fail = [&](const std::string& what, int line = 0, int column = 0) -> Error {
    ErrorContext c;
    c.file = name;
    c.line = line;
    c.column = column;
    return Error("spillover table: " + what, std::move(c));
  };
  std::size_t tabs = 0, commas = 0;
  for (char ch : text) tabs += ch == '\t', commas += ch == ',';
  const char delimiter = tabs > commas ? '\t' : (commas > 0 ? ',' : ';');
  const std::vector<Line> lines = split(text, delimiter, name);

  // The header: the first line with at least two cells (a one-cell title line may precede it).
  std::size_t h = 0;
  while (h < lines.size() && lines[h].cells.size() < 2) ++h;
  if (h == lines.size()) throw fail("no header row of detector names");
  const Line& header = lines[h];
  const bool corner = header.cells.front().empty();  // FlowJo: empty cell above the row names
  fcs::Spillover s;
  s.keyword = name;
  for (std::size_t c = corner ? 1 : 0; c < header.cells.size(); ++c) {
    if (number(header.cells[c]))
      throw fail("header cell '" + header.cells[c] + "' is a number, expected a detector name",
                 header.number, static_cast<int>(c + 1));
    s.detectors.push_back(header.cells[c]);
  }
  const std::size_t cols = s.detectors.size();

  bool named_rows = corner;
  for (std::size_t r = h + 1; r < lines.size(); ++r) {
    const Line& line = lines[r];
    const bool has_name = line.cells.size() == cols + 1 && !number(line.cells.front());
    if (r == h + 1) named_rows = named_rows || has_name;
    if (line.cells.size() != cols + (named_rows ? 1 : 0))
      throw fail("expected " + std::to_string(cols) + " values" +
                     (named_rows ? " after the row name" : "") + ", found " +
                     std::to_string(line.cells.size() - (named_rows ? 1 : 0)),
                 line.number);
    std::size_t c = 0;
    if (named_rows) {
      if (line.cells.front().empty()) throw fail("missing row name", line.number, 1);
      s.fluorochromes.push_back(line.cells.front());
      c = 1;
    }
    for (; c < line.cells.size(); ++c) {
      const auto v = number(line.cells[c]);
      if (!v)
        throw fail("cell '" + line.cells[c] + "' is not a number", line.number,
                   static_cast<int>(c + 1));
      s.values.push_back(*v);
    }
  }
  const std::size_t rows = s.values.size() / cols;
  if (rows == 0) throw fail("no matrix rows after the header", header.number);
  if (!named_rows) {
    if (rows != cols)
      throw fail("without row names the matrix must be square, it is " + std::to_string(rows) +
                 " x " + std::to_string(cols));
    s.fluorochromes = s.detectors;
  }
  return s;
}

fcs::Spillover read_spillover_table(const std::filesystem::path& file) {
  return parse_spillover_table(read_input_file(file, "spillover table"), file.string());
}

}  // namespace cytopipe::transform
