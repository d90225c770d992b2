// One CSV file reads the same through every stage that takes CSV: the statistics table
// (`cytopipe stats`), the plot table (`cytopipe plot dose`) and the pipeline's sample sheet.
#include <gtest/gtest.h>

#include "cytopipe/pipeline/samples.hpp"
#include "cytopipe/plot/table.hpp"
#include "cytopipe/stats/table.hpp"
#include "tiny_batch.hpp"

namespace {

using cytopipe::Error;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;
using Rows = std::vector<std::vector<std::string>>;

struct Read {
  std::vector<std::string> header;
  Rows rows;
};

Read through_stats(const std::filesystem::path& file) {
  const auto t = cytopipe::stats::read_csv(file);
  Read r{t.column_names(), Rows(t.rows())};
  for (const auto& name : t.column_names())
    for (std::size_t i = 0; i < t.rows(); ++i) r.rows[i].push_back(t.column(name)[i]);
  return r;
}
Read through_plot(const std::filesystem::path& file) {
  const auto t = cytopipe::plot::read_csv(file);
  return {t.header, t.rows};
}
Read through_sheet(const std::filesystem::path& file) {
  const auto s = cytopipe::pipeline::read_sample_sheet(file);
  return {s.header, s.rows};
}

const std::vector<std::string> kHeader{"file", "note", "dose"};
const Rows kRows{{"a.fcs", "x, y", "0"}, {"b.fcs", "say \"hi\"", "25"}, {"c.fcs", "", "50"}};

TEST(CsvConsumers, EdgeCasesReadTheSameEverywhere) {
  const TempDir dir;
  const std::string body = "a.fcs,\"x, y\",0\nb.fcs,\"say \"\"hi\"\"\",25\nc.fcs,,50\n";
  std::string crlf;
  for (char c : body) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain", "file,note,dose\n" + body},
      {"bom", "\xEF\xBB\xBF" "file,note,dose\n" + body},
      {"crlf", "file,note,dose\r\n" + crlf},
      {"bom_crlf_trailing_blank", "\xEF\xBB\xBF" "file,note,dose\r\n" + crlf + "\r\n"},
      {"no_final_newline", "file,note,dose\n" + body.substr(0, body.size() - 1)},
      {"trailing_blank_lines", "file,note,dose\n" + body + "\n\n"},
  };
  for (const auto& [name, text] : cases) {
    const auto file = dir / (name + ".csv");
    write_text(file, text);
    for (const auto& [reader, read] : {std::pair{"stats", through_stats(file)},
                                       std::pair{"plot", through_plot(file)},
                                       std::pair{"sheet", through_sheet(file)}}) {
      EXPECT_EQ(read.header, kHeader) << name << " via " << reader;
      EXPECT_EQ(read.rows, kRows) << name << " via " << reader;
    }
  }
}

TEST(CsvConsumers, RaggedRowIsTheSameErrorEverywhere) {
  const TempDir dir;
  const auto file = dir / "ragged.csv";
  write_text(file, "\xEF\xBB\xBF" "file,note,dose\r\na.fcs,\"multi\r\nline\",0\r\nb.fcs,25\r\n");
  const std::string expected = file.string() + ":4: row has 2 fields but the header has 3";
  const auto message = [](const auto& read) {
    try {
      read();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { through_stats(file); }), expected);
  EXPECT_EQ(message([&] { through_plot(file); }), expected);
  EXPECT_EQ(message([&] { through_sheet(file); }), expected);
}

}  // namespace
