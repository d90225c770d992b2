// The one CSV reader and writer (cytopipe/base/csv.hpp): RFC 4180 quoting, BOM, line endings,
// blank lines, and located errors.
#include <gtest/gtest.h>

#include <sstream>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/error.hpp"

namespace cytopipe::csv {
namespace {

using Row = std::vector<std::string>;

std::string error_of(std::string_view text) {
  try {
    parse(text, "t.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Csv, QuotedCommasQuotesAndLineBreaks) {
  const Document d = parse("name,note\n\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",\"\"\n", "t.csv");
  EXPECT_EQ(d.header, (Row{"name", "note"}));
  ASSERT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.rows[0], (Row{"a,b", "say \"hi\""}));
  EXPECT_EQ(d.rows[1], (Row{"two\nlines", ""}));
  EXPECT_EQ(d.row_lines, (std::vector<int>{2, 3}));  // the quoted line break counts as a line
}

TEST(Csv, ByteOrderMarkCrlfAndTrailingBlankLinesReadLikePlainLf) {
  const Document plain = parse("file,dose\na.fcs,0\nb.fcs,25\n");
  for (std::string_view text : {"\xEF\xBB\xBF" "file,dose\na.fcs,0\nb.fcs,25\n",
                                "file,dose\r\na.fcs,0\r\nb.fcs,25\r\n",
                                "file,dose\ra.fcs,0\rb.fcs,25",
                                "\xEF\xBB\xBF" "file,dose\r\na.fcs,0\r\nb.fcs,25\r\n\r\n\r\n",
                                "file,dose\n\na.fcs,0\nb.fcs,25\n\n"}) {
    const Document d = parse(text);
    EXPECT_EQ(d.header, plain.header) << text;
    EXPECT_EQ(d.rows, plain.rows) << text;
  }
  EXPECT_EQ(plain.header[0], "file");  // not "\xEF\xBB\xBF" "file"
}

TEST(Csv, EmptyFieldsAtTheEndOfARowCount) {
  const Document d = parse("a,b,c\n1,,\n,,\n");
  ASSERT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.rows[0], (Row{"1", "", ""}));
  EXPECT_EQ(d.rows[1], (Row{"", "", ""}));
}

TEST(Csv, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("a,b\n1,2\n\n3\n"), "t.csv:4: row has 1 fields but the header has 2");
  EXPECT_EQ(error_of("a,b\r\n1,2\r\n1,2,3\r\n"), "t.csv:3: row has 3 fields but the header has 2");
  EXPECT_EQ(error_of("a,b\n1,2\n\"open,3\n\n"), "t.csv:3: unterminated quoted field");
  EXPECT_EQ(error_of("a,b,a\n"), "t.csv:1: a: duplicate column name 'a'");
  EXPECT_EQ(error_of(""), "t.csv: CSV file is empty");
  EXPECT_EQ(error_of("\xEF\xBB\xBF\n\n"), "t.csv: CSV file is empty");
  try {
    read("/nonexistent/folder/t.csv");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.context().file, "/nonexistent/folder/t.csv");
  }
}

TEST(Csv, SeparatorDetectionAndComments) {
  ReadOptions options;
  options.separator = '\0';
  options.comment_lines = true;
  const Document tsv = parse("# written by hand\nfile\tnote\na.fcs\tx,y\n#b.fcs\tskipped\n", "s.tsv", options);
  EXPECT_EQ(tsv.header, (Row{"file", "note"}));
  ASSERT_EQ(tsv.rows.size(), 1u);
  EXPECT_EQ(tsv.rows[0], (Row{"a.fcs", "x,y"}));
  EXPECT_EQ(tsv.header_line, 2);
  const Document comma = parse("file,note\na.fcs,x\ty\n", "s.csv", options);
  EXPECT_EQ(comma.rows[0], (Row{"a.fcs", "x\ty"}));
  // Without comment lines a '#' is data.
  EXPECT_EQ(parse("k\n#1\n").rows[0], (Row{"#1"}));
}

TEST(Csv, WriterQuotesOnlyWhenNeededAndReadsBack) {
  EXPECT_EQ(field("plain"), "plain");
  EXPECT_EQ(field("a,b"), "\"a,b\"");
  EXPECT_EQ(field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(field("x\ny"), "\"x\ny\"");
  EXPECT_EQ(field("x\ry"), "\"x\ry\"");
  const Row header{"name", "note, with comma"};
  const Row row{"\"quoted\"", "two\r\nlines"};
  std::ostringstream out;
  write_row(out, header);
  write_row(out, row);
  EXPECT_EQ(out.str(), "name,\"note, with comma\"\n\"\"\"quoted\"\"\",\"two\r\nlines\"\n");
  const Document back = parse(out.str());
  EXPECT_EQ(back.header, header);
  ASSERT_EQ(back.rows.size(), 1u);
  EXPECT_EQ(back.rows[0], row);
}

}  // namespace
}  // namespace cytopipe::csv
