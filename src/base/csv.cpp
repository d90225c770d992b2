#include "cytopipe/base/csv.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "cytopipe/error.hpp"
#include "cytopipe/input_file.hpp"

namespace cytopipe::csv {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// The separator of the first line that is neither blank nor a comment.
char detect_separator(std::string_view text, bool comment_lines) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find_first_of("\r\n", start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (!line.empty() && !(comment_lines && line.front() == '#'))
      return line.find('\t') != std::string_view::npos ? '\t' : ',';
    start = end + 1;
  }
  return ',';
}

}  // namespace

std::vector<Record> parse_records(std::string_view text, const std::string& source,
                                  const ReadOptions& options) {
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  const char separator = options.separator ? options.separator : ',';
  std::vector<Record> records;
  Record record;
  std::string field_text;
  bool quoted = false, field_started = false;
  int line = 1;
  record.line = 1;

  const auto end_record = [&] {
    record.fields.push_back(std::move(field_text));
    field_text.clear();
    field_started = false;
    records.push_back(std::move(record));
    record = Record{};
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field_text += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n' || (c == '\r' && !(i + 1 < text.size() && text[i + 1] == '\n'))) ++line;
        field_text += c;
      }
      continue;
    }
    const bool record_empty = record.fields.empty() && field_text.empty() && !field_started;
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (!record_empty) end_record();  // a blank line is no record
      ++line;
      record.line = line;
    } else if (record_empty && options.comment_lines && c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n' && text[i + 1] != '\r') ++i;
    } else if (c == '"' && field_text.empty() && !field_started) {
      quoted = field_started = true;
    } else if (c == separator) {
      record.fields.push_back(std::move(field_text));
      field_text.clear();
      field_started = false;
    } else {
      field_text += c;
      field_started = true;
    }
  }
  if (quoted) throw Error("unterminated quoted field", {source, {}, record.line, 0});
  if (!(record.fields.empty() && field_text.empty() && !field_started)) end_record();
  return records;
}

Document parse(std::string_view text, std::string source, const ReadOptions& options) {
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  ReadOptions resolved = options;
  if (!resolved.separator) resolved.separator = detect_separator(text, options.comment_lines);
  std::vector<Record> records = parse_records(text, source, resolved);
  Document doc;
  doc.source = std::move(source);
  if (records.empty()) throw Error("CSV file is empty", {doc.source, {}, 0, 0});
  std::set<std::string_view> seen;
  for (const auto& name : records.front().fields)
    if (!seen.insert(name).second)
      throw Error("duplicate column name '" + name + "'", {doc.source, name, records.front().line, 0});
  doc.header = std::move(records.front().fields);
  doc.header_line = records.front().line;
  for (std::size_t r = 1; r < records.size(); ++r) {
    if (records[r].fields.size() != doc.header.size())
      throw Error("row has " + std::to_string(records[r].fields.size()) + " fields but the header has " +
                      std::to_string(doc.header.size()),
                  {doc.source, {}, records[r].line, 0});
    doc.rows.push_back(std::move(records[r].fields));
    doc.row_lines.push_back(records[r].line);
  }
  return doc;
}

std::string read_text(const std::filesystem::path& file, const std::string& what) {
  return read_input_file(file, what);
}

Document read(const std::filesystem::path& file, const ReadOptions& options, const std::string& what) {
  return parse(read_text(file, what), file.string(), options);
}

std::string field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

void write_row(std::ostream& out, std::span<const std::string> fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out << ',';
    out << field(fields[i]);
  }
  out << '\n';
}

}  // namespace cytopipe::csv
