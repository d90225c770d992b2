#pragma once
// The one CSV reader and writer every stage uses (stats tables, plot tables, sample sheets, every
// output table), so a file reads the same wherever it is given.
//
// Reading follows RFC 4180: comma-separated fields, "quoted" fields with "" for a quote and with
// embedded commas and line breaks; records end at LF, CRLF or CR. Beyond the RFC: a UTF-8 byte
// order mark at the start is skipped (spreadsheet exports write one), blank lines are skipped
// (so an empty trailing line is no record), and a quote opens a quoted field only at its start.
// Cells are returned as written: trimming is the caller's policy.
#include <filesystem>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cytopipe::csv {

struct ReadOptions {
  // The field separator; '\0' picks a tab when the header line holds one, else a comma.
  char separator = ',';
  // Lines starting with '#' (at the start of a record) are comments (sample sheets allow them).
  bool comment_lines = false;
};

// A header line and the rows under it, each row as long as the header.
struct Document {
  std::string source;                          // file name, for messages
  std::vector<std::string> header;
  int header_line = 0;                         // 1-based
  std::vector<std::vector<std::string>> rows;
  std::vector<int> row_lines;                  // 1-based line on which each row starts
};

// One record as written, with the line it starts on (1-based).
struct Record {
  std::vector<std::string> fields;
  int line = 0;
};

// The records alone, without a header's rules (records may differ in length): for formats laid
// out in CSV that are not tables, such as FlowJo's spillover export. Throws cytopipe::Error naming
// source and line for an unterminated quoted field. A separator of '\0' means a comma.
std::vector<Record> parse_records(std::string_view text, const std::string& source = "<csv>",
                                  const ReadOptions& options = {});

// Throws cytopipe::Error naming source and line for an unterminated quoted field, a row whose
// field count differs from the header's, a duplicate column name, or no header line at all.
// A header without rows is a valid document (the caller decides whether it is enough).
Document parse(std::string_view text, std::string source = "<csv>", const ReadOptions& options = {});
// The whole file as bytes; Error naming it when it is not a regular file (a FIFO would hang) or
// cannot be opened or read.
std::string read_text(const std::filesystem::path& file, const std::string& what = "CSV file");
// Reads the whole file; Error naming it when it is not a regular file (a FIFO would hang) or
// cannot be opened or read. `what` names the file's role in that message ("sample sheet").
Document read(const std::filesystem::path& file, const ReadOptions& options = {},
              const std::string& what = "CSV file");

// A field as RFC 4180 writes it: quoted (with doubled quotes) only when it holds a comma, a quote
// or a line break.
std::string field(std::string_view text);
// One record: the fields, quoted as needed, comma-separated, ending in '\n'.
void write_row(std::ostream& out, std::span<const std::string> fields);

}  // namespace cytopipe::csv
