// cytopipe gate: end to end on the Gating-ML compliance data (set 1 on data1.fcs): the per-event
// membership columns equal the suite's truth files, the tidy statistics table holds the counts,
// and bad input gives exit code 1 with a message naming the problem.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;

struct Run {
  int code;
  std::string output;
};

Run run(const std::string& args) {
  const fs::path log = fs::temp_directory_path() / ("cytopipe_gate_test_" + std::to_string(::getpid()) + ".log");
  const std::string cmd = std::string(CYTOPIPE_BINARY) + " " + args + " > '" + log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(log);
  std::ostringstream s;
  s << in.rdbuf();
  fs::remove(log);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, s.str()};
}

std::vector<std::string> split(const std::string& line, char sep = ',') {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(field);
  return out;
}

fs::path temp(const std::string& name) {
  return fs::temp_directory_path() / ("cytopipe_gate_" + std::to_string(::getpid()) + "_" + name);
}

TEST(GateCommand, EventsMatchTruthFilesAndStatsHoldCounts) {
  CYTOPIPE_SHARED_OR_SKIP(xml, "gatingml_ref/gatingMLData/Gating-MLFiles/gates1.xml");
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  CYTOPIPE_SHARED_OR_SKIP(truth_dir, "gatingml_ref/gatingMLData/ExpectedResults/set_1");
  const fs::path events = temp("events.csv"), stats = temp("stats.csv");
  const auto r = run("gate --strategy '" + xml.string() + "' '" + fcs.string() + "' --events '" +
                     events.string() + "' --stats '" + stats.string() + "' --channels FL1-H,FSC-H");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("/Polygon1"), std::string::npos) << r.output;

  // Per-event columns against the truth files.
  std::ifstream in(events);
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  ASSERT_GE(header.size(), 3u);
  EXPECT_EQ(header[0], "sample");
  EXPECT_EQ(header[1], "event");
  std::map<std::string, std::vector<char>> columns;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    const auto f = split(line);
    ASSERT_EQ(f.size(), header.size());
    for (std::size_t c = 2; c < f.size(); ++c) columns[header[c]].push_back(f[c] == "1");
  }
  std::size_t compared = 0;
  std::map<std::string, std::size_t> truth_counts;
  for (std::size_t c = 2; c < header.size(); ++c) {
    const fs::path truth = truth_dir / ("Results_" + header[c] + ".txt");
    if (!fs::exists(truth)) continue;  // Polygon3 has no truth file
    std::ifstream t(truth);
    std::size_t e = 0, mismatches = 0, ones = 0;
    while (std::getline(t, line)) {
      ones += line == "1";
      mismatches += (line == "1") != static_cast<bool>(columns[header[c]].at(e++));
    }
    EXPECT_EQ(e, 13367u);
    EXPECT_EQ(mismatches, 0u) << header[c];
    truth_counts[header[c]] = ones;
    ++compared;
  }
  EXPECT_GE(compared, 50u);

  // The tidy table: counts agree with the truth files; per-channel statistics are present.
  std::ifstream st(stats);
  std::getline(st, line);
  EXPECT_EQ(line, "file,population,parent,statistic,channel,value");
  std::size_t count_rows = 0, median_rows = 0;
  while (std::getline(st, line)) {
    const auto f = split(line);
    ASSERT_EQ(f.size(), 6u) << line;
    if (f[3] == "count" && truth_counts.contains(f[1])) {
      EXPECT_EQ(std::stoul(f[5]), truth_counts[f[1]]) << f[1];
      ++count_rows;
    }
    if (f[3] == "median" && (f[4] == "FL1-H" || f[4] == "FSC-H")) ++median_rows;
  }
  EXPECT_EQ(count_rows, truth_counts.size());
  EXPECT_GE(median_rows, 2 * truth_counts.size());
  fs::remove(events);
  fs::remove(stats);
}

TEST(GateCommand, BadStrategyIsExitOneNamingFileAndGate) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  const fs::path yaml = temp("bad.yaml");
  {
    std::ofstream out(yaml);
    out << "gates:\n  - id: tri\n    type: polygon\n    dimensions: [FSC-H, SSC-H]\n"
           "    vertices: [[0, 0], [1, 1]]\n";
  }
  const auto r = run("gate --strategy '" + yaml.string() + "' '" + fcs.string() + "'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("bad.yaml:2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("gate 'tri'"), std::string::npos) << r.output;
  fs::remove(yaml);
}

TEST(GateCommand, ChannelMissingFromSampleIsExitOne) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  const fs::path yaml = temp("cd3.yaml");
  {
    std::ofstream out(yaml);
    out << "gates:\n  - {id: T, type: range, dimension: CD3, min: 100}\n";
  }
  const auto r = run("gate --strategy '" + yaml.string() + "' '" + fcs.string() + "'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("'CD3'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("data1.fcs"), std::string::npos) << r.output;
  fs::remove(yaml);
}

TEST(GateCommand, MissingArgumentsAreUsageErrors) {
  EXPECT_EQ(run("gate").code, 2);
  EXPECT_EQ(run("gate --strategy /nonexistent.yaml x.fcs").code, 2);
}

// Files stream through in argument order, whatever the number held at once: the same outputs
// with one file in flight as with three, each file's rows in the order the files were given.
TEST(GateCommand, StreamsFilesInOrderWhateverIsInFlight) {
  CYTOPIPE_SHARED_OR_SKIP(xml, "gatingml_ref/gatingMLData/Gating-MLFiles/gates1.xml");
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  std::string inputs;
  std::vector<std::string> names;
  for (const char* name : {"c.fcs", "a.fcs", "b.fcs", "d.fcs"}) {
    fs::copy_file(fcs, temp(name), fs::copy_options::overwrite_existing);
    inputs += " '" + temp(name).string() + "'";
    names.push_back(temp(name).string());
  }
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  std::vector<std::string> outputs;
  for (const char* options : {"-j 1 --in-flight 1", "-j 2 --in-flight 3", ""}) {
    const fs::path events = temp("events.csv"), stats = temp("stats.csv");
    const auto r = run("gate --strategy '" + xml.string() + "'" + inputs + " --events '" + events.string() +
                       "' --stats '" + stats.string() + "' --channels FL1-H " + options);
    ASSERT_EQ(r.code, 0) << r.output;
    outputs.push_back(r.output + slurp(events) + slurp(stats));
    // The stats rows come file by file, in argument order.
    std::ifstream st(stats);
    std::string line;
    std::vector<std::string> order;
    std::getline(st, line);
    while (std::getline(st, line)) {
      const auto sample = split(line).at(0);
      if (order.empty() || order.back() != sample) order.push_back(sample);
    }
    EXPECT_EQ(order, names) << options;
    fs::remove(events);
    fs::remove(stats);
  }
  EXPECT_EQ(outputs[0], outputs[1]);
  EXPECT_EQ(outputs[0], outputs[2]);
  for (const auto& n : names) fs::remove(n);
}

// `gate --stats` without --events keeps only the table's channels while each file is gated block
// by block (float32 where every value is one); with --events it reads the whole event matrix.
// Both give the same table, byte for byte, and the same counts: gates5 on NKR (float channels and
// a Time channel divided by its gain, kept as doubles), gates1 on data1 (integer channels), all
// channels and a reordered subset, two files at once; and the same error for a channel the file
// lacks.
TEST(GateCommand, StatsWithoutEventsEqualTheEventMatrixPath) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/gatingMLData");
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const fs::path xml5 = dir / "Gating-MLFiles/gates5.xml", xml1 = dir / "Gating-MLFiles/gates1.xml";
  const fs::path nkr = dir / "FCSFiles/9399_1_3_NKR.fcs", data1 = dir / "FCSFiles/data1.fcs";
  struct Case {
    fs::path xml;
    std::string files, options;
  };
  const std::vector<Case> cases = {
      {xml5, "'" + nkr.string() + "'", ""},
      {xml5, "'" + nkr.string() + "'", "--channels Time,PE-A,FSC-A --percentiles 1,50,99"},
      {xml1, "'" + data1.string() + "' '" + data1.string() + "'", "-j 2"},
      {xml1, "'" + data1.string() + "'", "--channels FL2-H,FL1-H"},
  };
  std::size_t rows = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.xml.filename().string() + " " + c.files + " " + c.options);
    const fs::path kept = temp("kept.csv"), whole = temp("whole.csv"), events = temp("kept_events.csv");
    const auto a = run("gate --strategy '" + c.xml.string() + "' " + c.files + " --stats '" + kept.string() + "' " + c.options);
    const auto b = run("gate --strategy '" + c.xml.string() + "' " + c.files + " --stats '" + whole.string() +
                       "' --events '" + events.string() + "' " + c.options);
    ASSERT_EQ(a.code, 0) << a.output;
    ASSERT_EQ(b.code, 0) << b.output;
    EXPECT_EQ(a.output, b.output);
    const std::string table = slurp(kept);
    EXPECT_EQ(table, slurp(whole));
    rows += static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n'));
    for (const auto& f : {kept, whole, events}) fs::remove(f);
  }
  EXPECT_GT(rows, 1000u);
  // A channel the file lacks: named alike on both paths.
  const fs::path s1 = temp("lack1.csv"), s2 = temp("lack2.csv"), e2 = temp("lack_events.csv");
  const auto a = run("gate --strategy '" + xml1.string() + "' '" + data1.string() + "' --stats '" + s1.string() +
                     "' --channels FL1-H,No-Such");
  const auto b = run("gate --strategy '" + xml1.string() + "' '" + data1.string() + "' --stats '" + s2.string() +
                     "' --events '" + e2.string() + "' --channels FL1-H,No-Such");
  EXPECT_EQ(a.code, 1);
  EXPECT_EQ(a.code, b.code);
  EXPECT_NE(a.output.find("No-Such"), std::string::npos) << a.output;
  EXPECT_EQ(a.output, b.output);
  for (const auto& f : {s1, s2, e2}) fs::remove(f);
}

TEST(GateCommand, ZeroOrNegativeThreadsOrInFlightAreUsageErrors) {
  CYTOPIPE_SHARED_OR_SKIP(xml, "gatingml_ref/gatingMLData/Gating-MLFiles/gates1.xml");
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  const std::string base = "gate --strategy '" + xml.string() + "' '" + fcs.string() + "' ";
  for (const char* bad : {"--in-flight 0", "--in-flight -1", "-j 0", "-j -2", "--threads=-1", "--in-flight x"}) {
    const auto r = run(base + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.output;
  }
  EXPECT_EQ(run(base + "-j 1 --in-flight 1").code, 0);
}

}  // namespace

namespace {

// cytopipe gate --workspace: FlowSOM's 68983 gated with its FlowJo workspace.
TEST(GateCommand, WorkspaceGatesEachFileWithItsSamplesGates) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowSOM_example/gating.wsp");
  const fs::path fcs = wsp.parent_path() / "68983.fcs";
  const fs::path events = temp("wsp_events.csv"), stats = temp("wsp_stats.csv");
  const auto r = run("gate --workspace '" + wsp.string() + "' --group 'All Samples' '" + fcs.string() +
                     "' --events '" + events.string() + "' --stats '" + stats.string() + "' --channels FSC-A,Comp-PE-A");
  ASSERT_EQ(r.code, 0) << r.output;
  // Rows: file,population,parent,statistic,channel,value (populations.csv's layout).
  std::map<std::string, std::map<std::string, std::string>> value;  // population -> statistic(/channel) -> value
  std::ifstream in(stats);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "file,population,parent,statistic,channel,value");
  while (std::getline(in, line)) {
    const auto f = split(line);
    ASSERT_GE(f.size(), 6u) << line;
    value[f[1]][f[3] + (f[4].empty() ? "" : "/" + f[4])] = f[5];
  }
  EXPECT_EQ(value.size(), 15u);
  // FlowJo's stored counts (README of shared/gatingml_ref): carried as flowjo_count.
  EXPECT_EQ(value["CD4 T cells"]["flowjo_count"], "7480");
  EXPECT_EQ(value["Lymphocytes"]["flowjo_count"], "19212");
  // Rectangles on compensated biex axes under exact parents: FlowJo's counts.
  EXPECT_EQ(value["NK1_1+"]["count"], "923");
  EXPECT_EQ(value["NK cells"]["count"], "312");
  // Frequency of grandparent: NK cells / Singlets2.
  EXPECT_NEAR(std::stod(value["NK cells"]["percent_grandparent"]),
              100.0 * 312 / std::stod(value["Singlets2"]["count"]), 1e-6);
  // Statistics on the compensated channel, named as FlowJo names it.
  EXPECT_TRUE(value["NK cells"].contains("median/Comp-PE-A"));
  EXPECT_TRUE(value["NK cells"].contains("rcv/FSC-A"));
  // One events row per event of the file and one column per population.
  std::ifstream ev(events);
  std::getline(ev, line);
  EXPECT_EQ(split(line).size(), 2u + 15u);
  std::size_t rows = 0;
  while (std::getline(ev, line)) ++rows;
  EXPECT_EQ(rows, 19225u);
  fs::remove(events);
  fs::remove(stats);
}

TEST(GateCommand, WorkspaceWithoutASampleForTheFileIsAnError) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowSOM_example/gating.wsp");
  CYTOPIPE_SHARED_OR_SKIP(other, "gatingml_ref/flowjo/FlowKit_simple_line_example/data_set_simple_line_100.fcs");
  const auto r = run("gate --workspace '" + wsp.string() + "' '" + other.string() + "'");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("no workspace sample matches the file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("data_set_simple_line_100.fcs"), std::string::npos) << r.output;
  const auto g = run("gate --workspace '" + wsp.string() + "' --group Stained '" + other.string() + "'");
  EXPECT_EQ(g.code, 1);
  EXPECT_NE(g.output.find("no group 'Stained'"), std::string::npos) << g.output;
  const auto both = run("gate '" + other.string() + "'");
  EXPECT_EQ(both.code, 2);
}

}  // namespace

namespace {

// gate --write-wsp: the strategy written as a FlowJo workspace over the files; gating the same
// files with that workspace gives every population the same count, and FlowJo's stored counts in
// the workspace are those counts.
TEST(GateCommand, WriteWspRoundTripsThroughTheWorkspaceReader) {
  const fs::path root = CYTOPIPE_SOURCE_DIR;
  const fs::path strategy = temp("strategy.yaml");
  {
    // A polygon, a range on a logicle axis of a compensated channel, a quadrant and booleans.
    std::ofstream y(strategy);
    y << "gates:\n"
         "  - {id: cells, type: polygon, dimensions: [FSC-A, SSC-A],\n"
         "     vertices: [[20000, 5000], [250000, 5000], [250000, 250000], [20000, 250000]]}\n"
         "  - id: live\n    type: range\n    parent: cells\n"
         "    dimension: {channel: APC-Cy7-A, compensation: FCS, transform: \"logicle(T=262144,W=0.5,M=4.5,A=0)\"}\n"
         "    max: 0.45\n"
         "  - id: q\n    type: quadrant\n    parent: live\n    dividers:\n"
         "      - {id: d4, dimension: {channel: PerCP-Cy5-5-A, compensation: FCS}, values: [1000]}\n"
         "      - {id: d8, dimension: {channel: PE-Cy7-A, compensation: FCS}, values: [1000]}\n"
         "    quadrants:\n"
         "      - {name: CD4+CD8-, positions: {d4: 2000, d8: 0}}\n"
         "      - {name: CD4-CD8+, positions: {d4: 0, d8: 2000}}\n"
         "  - {id: single_positive, type: boolean, parent: live, op: or, operands: [CD4+CD8-, CD4-CD8+]}\n"
         "  - {id: not_single, type: boolean, parent: live, op: not, operands: [single_positive]}\n";
  }
  const fs::path a = root / "sample_fcs" / "bcma_MM1S_0nM_r1.fcs", b = root / "sample_fcs" / "bcma_MM1S_100nM_r2.fcs";
  const fs::path wsp = temp("written.wsp"), s1 = temp("s1.csv"), s2 = temp("s2.csv");
  const auto first = run("gate --strategy '" + strategy.string() + "' '" + a.string() + "' '" + b.string() +
                         "' --stats '" + s1.string() + "' --channels FSC-A --write-wsp '" + wsp.string() + "'");
  ASSERT_EQ(first.code, 0) << first.output;
  // Read back in the default exact mode: every count is the written run's (the polygon here is on
  // linear axes, so its edges are the same straight lines in data space).
  const auto second = run("gate --workspace '" + wsp.string() + "' '" + b.string() + "' '" + a.string() +
                          "' --stats '" + s2.string() + "' --channels FSC-A");
  ASSERT_EQ(second.code, 0) << second.output;
  // file,population -> count, from each table (file,population,parent,statistic,channel,value).
  auto counts = [&](const fs::path& file, const char* statistic) {
    std::map<std::string, std::string> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      const auto f = split(line);
      if (f.size() >= 6 && f[3] == statistic) out[fs::path(f[0]).filename().string() + "|" + f[1]] = f[5];
    }
    return out;
  };
  const auto c1 = counts(s1, "count");
  EXPECT_EQ(counts(s2, "count"), c1);
  EXPECT_EQ(counts(s2, "flowjo_count"), c1);
  // Every population of the strategy, in both files.
  EXPECT_EQ(c1.size(), 2u * 6u);

  // In --evaluation flowjo the written polygon (gateResolution 256 on FSC-A x SSC-A, 0..262144) is
  // tested on FlowJo's gate grid, as FlowJo will when it opens the file: an event and a vertex in
  // the same 1024-unit grid channel are no longer told apart. Independently of the grid code:
  // every count may move only by events of the parent whose FSC-A or SSC-A lies within one grid
  // channel of the polygon's edges (20000, 250000 on FSC-A; 5000, 250000 on SSC-A).
  const fs::path s3 = temp("s3.csv");
  const auto third = run("gate --workspace '" + wsp.string() + "' '" + a.string() + "' '" + b.string() +
                         "' --stats '" + s3.string() + "' --channels FSC-A --evaluation flowjo");
  ASSERT_EQ(third.code, 0) << third.output;
  const auto c3 = counts(s3, "count");
  ASSERT_EQ(c3.size(), c1.size());
  for (const auto& f : {a, b}) {
    const cytopipe::fcs::Sample sample = cytopipe::fcs::read_fcs(f.string());
    const auto x = sample.values("FSC-A"), y = sample.values("SSC-A");
    std::size_t near_edge = 0;
    auto near = [](double v, double edge) { return std::abs(v - edge) <= 1024.0; };
    for (std::size_t i = 0; i < x.size(); ++i)
      if (near(x[i], 20000) || near(x[i], 250000) || near(y[i], 5000) || near(y[i], 250000)) ++near_edge;
    for (const auto& [key, value] : c1) {
      if (key.rfind(f.filename().string() + "|", 0) != 0) continue;
      const double moved = std::abs(std::stod(c3.at(key)) - std::stod(value));
      EXPECT_LE(moved, static_cast<double>(near_edge)) << key;
    }
  }
  for (const auto& f : {wsp, s1, s2, s3, strategy}) fs::remove(f);
}

// A workspace of more samples than files: the files are gated with their own samples' gates and
// the samples no file matches are named on stderr (the run is not refused); a file no sample
// matches is an error naming it.
TEST(GateCommand, WorkspaceSamplesWithoutAFileAreNamed) {
  const fs::path root = CYTOPIPE_SOURCE_DIR;
  const fs::path strategy = temp("two.yaml"), wsp = temp("two.wsp");
  {
    std::ofstream y(strategy);
    y << "gates:\n  - {id: big, type: range, dimension: FSC-A, min: 50000}\n";
  }
  const fs::path a = root / "sample_fcs" / "bcma_MM1S_0nM_r1.fcs", b = root / "sample_fcs" / "bcma_MM1S_100nM_r2.fcs";
  const auto written = run("gate --strategy '" + strategy.string() + "' '" + a.string() + "' '" + b.string() +
                           "' --write-wsp '" + wsp.string() + "'");
  ASSERT_EQ(written.code, 0) << written.output;
  const auto one = run("gate --workspace '" + wsp.string() + "' '" + b.string() + "'");
  ASSERT_EQ(one.code, 0) << one.output;
  EXPECT_NE(one.output.find("note: 1 of the 2 samples of the workspace match none of the files given and are not "
                            "gated:\nno file matches the workspace sample 'bcma_MM1S_0nM_r1.fcs'"),
            std::string::npos)
      << one.output;
  EXPECT_EQ(one.output.find("bcma_MM1S_100nM_r2.fcs'"), std::string::npos) << one.output;
  // The one file's counts are the written run's.
  auto count_line = [](const std::string& out, const std::string& file) {
    const auto at = out.find(file + " (");
    return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', out.find("big", at)) - at);
  };
  EXPECT_EQ(count_line(one.output, b.string()), count_line(written.output, b.string()));
  EXPECT_FALSE(count_line(one.output, b.string()).empty());
  fs::remove(strategy);
  fs::remove(wsp);
}

// A strategy with finders: each file gets its own gate, placed on its own events, in every mode
// (counts on stdout, --stats, --events, --write-wsp). Before, `gate` counted with the finders'
// placeholder gates (every event inside, "100% of parent") without a word. Checked against the
// file's values directly: the valley cut each file reports splits its FSC-A where the counts say.
TEST(GateCommand, FinderGatesArePlacedOnEachFile) {
  const fs::path root = CYTOPIPE_SOURCE_DIR;
  const fs::path strategy = temp("finders.yaml");
  {
    std::ofstream y(strategy);
    y << "gates:\n"
         "  - {id: scatter, find: valley, dimension: FSC-A, keep: above, single_peak: positive}\n"
         "  - {id: singlets, parent: scatter, find: singlets, dimensions: [FSC-A, FSC-H]}\n";
  }
  const fs::path a = root / "sample_fcs" / "bcma_MM1S_0nM_r1.fcs", b = root / "sample_fcs" / "tcell_CAR-T_100nM_r1.fcs";
  ASSERT_TRUE(fs::exists(a) && fs::exists(b));
  const fs::path stats = temp("finder_stats.csv"), events = temp("finder_events.csv"), wsp = temp("finders.wsp");
  const auto r = run("gate --strategy '" + strategy.string() + "' '" + a.string() + "' '" + b.string() + "' --stats '" +
                     stats.string() + "' --channels FSC-A --events '" + events.string() + "' --write-wsp '" +
                     wsp.string() + "'");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("found 'scatter' (valley on FSC-A): cut "), std::string::npos) << r.output;
  // file -> statistic -> value, for the scatter and singlets populations.
  std::map<std::string, std::map<std::string, double>> table;
  {
    std::ifstream in(stats);
    std::string line;
    while (std::getline(in, line)) {
      const auto f = split(line);
      if (f.size() >= 6 && (f[1] == "scatter" || f[1] == "singlets") && f[4].empty() == (f[3] != "finder_cut"))
        table[fs::path(f[0]).filename().string() + "|" + f[1]][f[3]] = std::stod(f[5]);
    }
  }
  std::vector<double> cuts;
  std::map<std::string, std::vector<int>> member;  // file -> scatter column of --events
  {
    std::ifstream in(events);
    std::string line;
    std::getline(in, line);
    const auto header = split(line);
    ASSERT_EQ(header.size(), 4u);
    ASSERT_EQ(header[2], "scatter");
    while (std::getline(in, line)) {
      const auto f = split(line);
      member[fs::path(f[0]).filename().string()].push_back(std::stoi(f[2]));
    }
  }
  for (const auto& f : {a, b}) {
    const std::string name = f.filename().string();
    const auto& scatter = table[name + "|scatter"];
    ASSERT_TRUE(scatter.contains("finder_cut")) << name;
    const double cut = scatter.at("finder_cut");
    cuts.push_back(cut);
    const cytopipe::fcs::Sample sample = cytopipe::fcs::read_fcs(f.string());
    const auto x = sample.values("FSC-A");
    std::size_t above = 0, near = 0;
    const auto& m = member[name];
    ASSERT_EQ(m.size(), x.size()) << name;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::abs(x[i] - cut) <= 1e-6 * std::abs(cut)) ++near;  // the 10-digit cut cannot tell these
      above += x[i] >= cut;
      if (std::abs(x[i] - cut) > 1e-6 * std::abs(cut)) {
        EXPECT_EQ(m[i], x[i] >= cut ? 1 : 0) << name << " event " << i;
      }
    }
    ASSERT_EQ(near, 0u) << name;
    EXPECT_EQ(scatter.at("count"), static_cast<double>(above)) << name;
    // A real cut: debris below it, most events above (a placeholder kept all of them).
    EXPECT_GT(above, x.size() / 2) << name;
    EXPECT_LT(above, x.size()) << name;
    const auto& singlets = table[name + "|singlets"];
    EXPECT_LT(singlets.at("count"), static_cast<double>(above)) << name;
    EXPECT_GT(singlets.at("count"), 0.5 * static_cast<double>(above)) << name;
    EXPECT_EQ(singlets.at("finder_events"), static_cast<double>(above)) << name;
  }
  EXPECT_NE(cuts[0], cuts[1]);  // each file's own gate
  // The written workspace holds each file's gates as placed on it: read back, the same counts.
  const auto back = run("gate --workspace '" + wsp.string() + "' '" + a.string() + "' '" + b.string() + "'");
  ASSERT_EQ(back.code, 0) << back.output;
  for (const auto& f : {a, b}) {
    const std::string name = f.filename().string();
    const auto line = "/scatter  " + std::to_string(static_cast<long>(table[name + "|scatter"].at("count"))) + "  (";
    const auto at = back.output.find(f.string() + " (");
    ASSERT_NE(at, std::string::npos) << back.output;
    EXPECT_NE(back.output.find(line, at), std::string::npos) << name << "\n" << back.output;
  }

  // Too few events for a finder: an error naming the file and the gate, nothing written.
  const fs::path tiny = temp("ten.fcs");
  {
    const cytopipe::fcs::Sample sample = cytopipe::fcs::read_fcs(a.string());
    cytopipe::fcs::WriteOptions first_ten;
    first_ten.keep_event = std::vector<std::uint8_t>(sample.event_count(), 0);
    std::fill_n(first_ten.keep_event->begin(), 10, std::uint8_t{1});
    cytopipe::fcs::write_fcs(tiny, sample, first_ten);
  }
  const fs::path none = temp("none.csv");
  const auto small = run("gate --strategy '" + strategy.string() + "' '" + tiny.string() + "' --stats '" + none.string() + "'");
  EXPECT_EQ(small.code, 1) << small.output;
  EXPECT_NE(small.output.find(tiny.string() + ": gate 'scatter'"), std::string::npos) << small.output;
  EXPECT_NE(small.output.find("min_events"), std::string::npos) << small.output;
  EXPECT_FALSE(fs::exists(none));
  const auto counts_only = run("gate --strategy '" + strategy.string() + "' '" + tiny.string() + "'");
  EXPECT_EQ(counts_only.code, 1) << counts_only.output;
  for (const auto& f : {strategy, stats, events, wsp, tiny}) fs::remove(f);

  // The shipped strategies name channels by the pipelines' panel markers: gated directly, the
  // first gate on a marker is named with its line, and the channel that carries the marker.
  const auto markers = run("gate --strategy '" + (root / "gating" / "fig3_selinexor.yaml").string() + "' '" + a.string() + "'");
  EXPECT_EQ(markers.code, 1) << markers.output;
  EXPECT_NE(markers.output.find("fig3_selinexor.yaml:"), std::string::npos) << markers.output;
  EXPECT_NE(markers.output.find("'Viability' is the marker ($PnS) of APC-Cy7-A"), std::string::npos) << markers.output;
}

// A batch with a bad file (truncated DATA) among good ones: the bad file is named with its
// problem, the others are gated and written as they are alone, and the exit code is 1, in every
// mode (counts only, --stats/--events, a workspace); when every file fails nothing is written.
TEST(GateCommand, ABadFileIsNamedAndTheBatchGoesOn) {
  const fs::path root = CYTOPIPE_SOURCE_DIR;
  const fs::path a = root / "sample_fcs" / "bcma_MM1S_0nM_r1.fcs", b = root / "sample_fcs" / "bcma_MM1S_100nM_r2.fcs";
  const fs::path bad = temp("truncated.fcs"), strategy = temp("batch.yaml");
  {
    std::ifstream in(a, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    std::ofstream(strategy) << "gates:\n  - {id: big, type: range, dimension: FSC-A, min: 50000}\n"
                               "  - {id: side, parent: big, type: range, dimension: SSC-A, max: 100000}\n";
  }
  const std::string files = "'" + a.string() + "' '" + bad.string() + "' '" + b.string() + "'";
  auto lines_of = [](const fs::path& f) {
    std::ifstream in(f);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
  };
  // Counts only.
  const auto counts = run("gate --strategy '" + strategy.string() + "' " + files);
  EXPECT_EQ(counts.code, 1) << counts.output;
  EXPECT_NE(counts.output.find("cytopipe: error: " + bad.string() + ": DATA"), std::string::npos) << counts.output;
  EXPECT_NE(counts.output.find("1 of 3 files failed"), std::string::npos) << counts.output;
  // Independently: the good files' counts are the events of each in the range.
  for (const auto& f : {a, b}) {
    const cytopipe::fcs::Sample sample = cytopipe::fcs::read_fcs(f.string());
    const auto x = sample.values("FSC-A");
    const auto n = std::count_if(x.begin(), x.end(), [](double v) { return v >= 50000; });
    const auto at = counts.output.find(f.string() + " (");
    ASSERT_NE(at, std::string::npos) << counts.output;
    EXPECT_NE(counts.output.find("/big  " + std::to_string(n) + "  (", at), std::string::npos) << counts.output;
  }
  // Tables: the good files' rows are those of a run without the bad file.
  const fs::path s1 = temp("batch_s1.csv"), e1 = temp("batch_e1.csv"), s2 = temp("batch_s2.csv"), e2 = temp("batch_e2.csv");
  const auto with_bad = run("gate --strategy '" + strategy.string() + "' " + files + " --stats '" + s1.string() +
                            "' --events '" + e1.string() + "' --channels FSC-A");
  EXPECT_EQ(with_bad.code, 1) << with_bad.output;
  EXPECT_NE(with_bad.output.find(bad.string() + ": DATA"), std::string::npos) << with_bad.output;
  const auto good = run("gate --strategy '" + strategy.string() + "' '" + a.string() + "' '" + b.string() + "' --stats '" +
                        s2.string() + "' --events '" + e2.string() + "' --channels FSC-A");
  ASSERT_EQ(good.code, 0) << good.output;
  EXPECT_EQ(lines_of(s1), lines_of(s2));
  EXPECT_EQ(lines_of(e1), lines_of(e2));
  EXPECT_GT(lines_of(e1).size(), 2u);
  // A workspace over the good files, run with the bad one too.
  const fs::path wsp = temp("batch.wsp");
  ASSERT_EQ(run("gate --strategy '" + strategy.string() + "' '" + a.string() + "' '" + b.string() + "' --write-wsp '" +
                wsp.string() + "'").code,
            0);
  const auto ws = run("gate --workspace '" + wsp.string() + "' " + files + " --stats '" + s1.string() + "' --channels FSC-A");
  EXPECT_EQ(ws.code, 1) << ws.output;
  EXPECT_NE(ws.output.find(bad.string() + ": "), std::string::npos) << ws.output;
  std::size_t rows = 0;
  for (const auto& line : lines_of(s1)) rows += line.find(",big,,count,,") != std::string::npos;
  EXPECT_EQ(rows, 2u);
  // Only bad files: nothing written.
  fs::remove(s1);
  const auto none = run("gate --strategy '" + strategy.string() + "' '" + bad.string() + "' --stats '" + s1.string() + "'");
  EXPECT_EQ(none.code, 1) << none.output;
  EXPECT_NE(none.output.find("1 of 1 files failed (each named above); nothing was written"), std::string::npos) << none.output;
  EXPECT_FALSE(fs::exists(s1));
  for (const auto& f : {bad, strategy, s1, e1, s2, e2, wsp}) fs::remove(f);
}

}  // namespace
