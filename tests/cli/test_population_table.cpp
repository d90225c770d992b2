// The population table has one layout: `cytopipe run`'s populations.csv and `cytopipe gate
// --stats` on the same file and strategy write the same header and the same rows, with values
// known by construction of the tube.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/tiny_batch.hpp"
#include "support/cli_run.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::pipeline::test::read_text;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// "file,rest" -> rest
std::string after_file(const std::string& line) { return line.substr(line.find(',') + 1); }

TEST(PopulationTable, RunAndGateWriteOneLayoutWithTheSameRows) {
  using namespace cytopipe::pipeline::test;
  TempDir dir;
  fs::create_directories(dir / "data");
  // 10 debris, 20 dead (marker 150), 80 live: 60 with marker 10, 20 with marker 5000.
  Tube t;
  t.debris = 10;
  t.dead = 20;
  for (int k = 0; k < 80; ++k) t.live_marker.push_back(k % 4 == 0 ? 5000 : 10);
  write_tube(dir / "data" / "s0.fcs", t);
  write_text(dir / "data" / "sheet.csv", "file,dose_nM\ns0.fcs,0\n");
  write_text(dir / "strategy.yaml", R"(gates:
  - {id: cells, type: range, dimension: FSC-A, min: 10000}
  - {id: live, parent: cells, type: range, dimension: V-A, max: 1000}
  - {id: dead, parent: cells, type: range, dimension: V-A, min: 1000}
)");
  write_text(dir / "p.yaml", R"(name: one_layout
inputs:
  files: data/*.fcs
  sample_sheet: data/sheet.csv
compensation: none
gating:
  strategy: strategy.yaml
readouts:
  live_count: count(live)
outputs:
  directory: out
  statistics: [count, percent_parent, percent_total, mean, median, rsd, rcv]
  channels: [M-A]
  plots: false
  report: false
)");
  const auto run = cytopipe::test::run_cytopipe({"run", "-q", (dir / "p.yaml").string()}, dir / "cli");
  ASSERT_EQ(run.code, 0) << run.err;
  const fs::path gate_table = dir / "gate.csv";
  const fs::path fcs = dir / "data" / "s0.fcs";
  const auto gate = cytopipe::test::run_cytopipe(
      {"gate", "--strategy", (dir / "strategy.yaml").string(), fcs.string(), "--stats", gate_table.string(),
       "--channels", "M-A"},
      dir / "cli");
  ASSERT_EQ(gate.code, 0) << gate.err;

  const auto pipeline_lines = lines_of(read_text(dir / "out" / "populations.csv"));
  const auto gate_lines = lines_of(read_text(gate_table));
  ASSERT_GT(pipeline_lines.size(), 1u);
  ASSERT_GT(gate_lines.size(), 1u);
  EXPECT_EQ(pipeline_lines[0], "file,population,parent,statistic,channel,value");
  EXPECT_EQ(gate_lines[0], pipeline_lines[0]);

  // Every row of populations.csv is in the gate table (which adds more statistics), cell for
  // cell; only the file cell differs (the sheet's name there, the path given here).
  std::set<std::string> gate_rows;
  for (std::size_t i = 1; i < gate_lines.size(); ++i) {
    EXPECT_EQ(gate_lines[i].substr(0, gate_lines[i].find(',')), fcs.string());
    gate_rows.insert(after_file(gate_lines[i]));
  }
  std::map<std::string, std::string> value;  // "population,parent,statistic,channel" -> value
  for (std::size_t i = 1; i < pipeline_lines.size(); ++i) {
    EXPECT_EQ(pipeline_lines[i].substr(0, pipeline_lines[i].find(',')), "s0.fcs");
    const std::string row = after_file(pipeline_lines[i]);
    EXPECT_TRUE(gate_rows.contains(row)) << row;
    value[row.substr(0, row.rfind(','))] = row.substr(row.rfind(',') + 1);
  }
  // 3 populations x 3 count rows + 3 x 4 statistics of M-A.
  EXPECT_EQ(value.size(), 21u);
  // By construction: 100 cells of 110 events, 80 live, 20 dead.
  EXPECT_EQ(value["cells,,count,"], "100");
  EXPECT_EQ(value["cells,,percent_parent,"], "90.90909091");  // 100 / 110 to 10 digits
  EXPECT_EQ(value["live,cells,count,"], "80");
  EXPECT_EQ(value["live,cells,percent_parent,"], "80");
  EXPECT_EQ(value["live,cells,percent_total,"], "72.72727273");  // 80 / 110
  EXPECT_EQ(value["dead,cells,percent_parent,"], "20");
  // live marker: (20 x 5000 + 60 x 10) / 80; median 10; robust SD (P84.13 - P15.87) / 2 with
  // R type-7 positions 66.46 (a 5000) and 12.54 (a 10) of the 80 sorted values.
  EXPECT_EQ(value["live,cells,mean,M-A"], "1257.5");
  EXPECT_EQ(value["live,cells,median,M-A"], "10");
  EXPECT_EQ(value["live,cells,rsd,M-A"], "2495");
  EXPECT_EQ(value["live,cells,rcv,M-A"], "24950");
  EXPECT_EQ(value["dead,cells,mean,M-A"], "150");
  EXPECT_EQ(value["dead,cells,rsd,M-A"], "0");
}

}  // namespace
