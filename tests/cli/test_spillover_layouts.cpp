// A spillover matrix in FlowJo's export layout (title line, empty corner cell, row names) works
// in both `cytopipe export --compensate=FILE` and `cytopipe run` (compensation: {matrix: FILE}),
// and gives what the plain layout (header + square rows) gives.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "pipeline/tiny_batch.hpp"
#include "support/cli_run.hpp"

using namespace cytopipe::pipeline::test;

namespace {

// V-A spills 10 % into M-A; nothing spills back.
constexpr const char* kFlowJo = "Compensation Matrix\r\n,V-A,M-A\r\nV-A,1,0.1\r\nM-A,0,1\r\n";
constexpr const char* kPlain = "V-A,M-A\n1,0.1\n0,1\n";

void make_tubes(const TempDir& dir) {
  std::filesystem::create_directories(dir / "data");
  for (int i = 0; i < 2; ++i) {
    Tube t;
    t.dead = 10;
    t.live_marker = ramp(50, 1000 + 100 * i);
    write_tube(dir / "data" / ("s" + std::to_string(i) + ".fcs"), t);
  }
  write_text(dir / "data" / "sheet.csv", "file,dose_nM\ns0.fcs,0\ns1.fcs,25\n");
  write_text(dir / "flowjo.csv", kFlowJo);
  write_text(dir / "plain.csv", kPlain);
  write_text(dir / "strategy.yaml", kTinyStrategy);
}

std::vector<std::vector<double>> numbers(const std::string& csv_text) {
  std::istringstream in(csv_text);
  std::string line;
  std::getline(in, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

TEST(SpilloverLayouts, FlowJoLayoutWorksInExport) {
  const TempDir dir;
  make_tubes(dir);
  const auto fcs = dir / "data" / "s0.fcs";
  const auto flowjo = cytopipe::test::run_cytopipe(
      {"export", fcs.string(), "--channels", "V-A,M-A", "--compensate=" + (dir / "flowjo.csv").string(), "-o",
       (dir / "flowjo_out.csv").string()},
      dir / "scratch");
  ASSERT_EQ(flowjo.code, 0) << flowjo.err;
  const auto plain = cytopipe::test::run_cytopipe(
      {"export", fcs.string(), "--channels", "V-A,M-A", "--compensate=" + (dir / "plain.csv").string(), "-o",
       (dir / "plain_out.csv").string()},
      dir / "scratch");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(read_text(dir / "flowjo_out.csv"), read_text(dir / "plain_out.csv"));

  // compensated = raw x inverse(S): with S = [[1, 0.1], [0, 1]], M' = M - 0.1 V and V' = V.
  const auto raw = cytopipe::fcs::read_fcs(fcs);
  const auto v = raw.values("V-A");
  const auto m = raw.values("M-A");
  const auto rows = numbers(read_text(dir / "flowjo_out.csv"));
  ASSERT_EQ(rows.size(), v.size());
  for (std::size_t e = 0; e < rows.size(); ++e) {
    ASSERT_EQ(rows[e].size(), 2u);
    EXPECT_NEAR(rows[e][0], v[e], 1e-6 * std::abs(v[e]));
    EXPECT_NEAR(rows[e][1], m[e] - 0.1 * v[e], 1e-6 * std::abs(m[e]) + 1e-6) << "event " << e;
  }
}

TEST(SpilloverLayouts, FlowJoLayoutWorksInRun) {
  const TempDir dir;
  make_tubes(dir);
  const auto config = [&](const std::string& matrix, const std::string& out) {
    const auto file = dir / (out + ".yaml");
    write_text(file, "name: spill\ninputs:\n  files: data/*.fcs\n  sample_sheet: data/sheet.csv\n"
                     "panel:\n  markers: {Viability: V-A, BCMA: M-A}\n"
                     "compensation: {matrix: " + matrix + "}\n"
                     "gating:\n  strategy: strategy.yaml\n"
                     "readouts:\n  bcma_median: median(BCMA, live)\n"
                     "outputs:\n  directory: " + out + "\n");
    return file;
  };
  const auto flowjo = cytopipe::test::run_cytopipe({"run", "--quiet", config("flowjo.csv", "out_flowjo").string()},
                                                   dir / "scratch");
  ASSERT_EQ(flowjo.code, 0) << flowjo.out << flowjo.err;
  const auto plain = cytopipe::test::run_cytopipe({"run", "--quiet", config("plain.csv", "out_plain").string()},
                                                  dir / "scratch");
  ASSERT_EQ(plain.code, 0) << plain.out << plain.err;
  const auto readouts = read_text(dir / "out_flowjo" / "readouts.csv");
  EXPECT_EQ(readouts, read_text(dir / "out_plain" / "readouts.csv"));
  EXPECT_EQ(read_text(dir / "out_flowjo" / "populations.csv"), read_text(dir / "out_plain" / "populations.csv"));
  // Live cells have V = 100, so compensation moves their marker down by 10: the median of
  // 1000..1049 is 1024.5 (1014.5 compensated), of 1100..1149 1124.5 (1114.5).
  EXPECT_NE(readouts.find("s0.fcs,0,1014.5\n"), std::string::npos) << readouts;
  EXPECT_NE(readouts.find("s1.fcs,25,1114.5\n"), std::string::npos) << readouts;
}

}  // namespace
