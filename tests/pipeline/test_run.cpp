// End-to-end runs over tiny batches written by the test: every expected number follows from how
// the tubes were built (counts by construction, R type-7 percentiles of a 1..n ramp).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/design_check.hpp"
#include "cytopipe/pipeline/samples.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "cytopipe/plot/number_format.hpp"
#include "cytopipe/stats/analysis.hpp"
#include "cytopipe/stats/table.hpp"
#include "pipeline/prepare.hpp"
#include "tiny_batch.hpp"

using namespace cytopipe::pipeline;
using namespace cytopipe::pipeline::test;

namespace {

// Group A: isotype control (live marker 1..1000) and two samples; group B: one sample (and an
// isotype unless `control_for_b` is false). Threshold = 99th percentile of the control's live
// marker values = 1 + 0.99 * 999 = 990.01.
struct Batch {
  TempDir dir;
  std::string sheet = "file,group,role,replicate\n";

  void tube(const std::string& name, const std::string& group, const std::string& role,
            const std::string& replicate, const Tube& t) {
    std::filesystem::create_directories(dir / "data");
    write_tube(dir / "data" / name, t);
    sheet += name + "," + group + "," + role + "," + replicate + "\n";
  }

  Config config(const std::string& extra_readouts = "", const std::string& extra = "") {
    write_text(dir / "data" / "samples.csv", sheet);
    write_text(dir / "strategy.yaml", kTinyStrategy);
    write_text(dir / "p.yaml", R"(name: tiny
inputs:
  files: data/
  sample_sheet: data/samples.csv
  factors: [group, role]
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
  thresholds:
    - name: M+
      parent: live
      channel: BCMA
      percentile: 99
      control: {role: isotype}
      match: [group]
readouts:
  viability: viability(live of cells)
  positive: percent(M+ of live)
  median_marker: median(BCMA, live)
  live_count: count(live)
)" + extra_readouts + R"(
outputs:
  directory: out
)" + extra);
    return load_config(dir / "p.yaml");
  }
};

// A sample: 50 debris, `dead` dead cells, and live cells of which `positive` have marker 2000
// (above 990.01) and the rest marker 500.
Tube sample_tube(std::size_t dead, std::size_t live, std::size_t positive) {
  Tube t;
  t.debris = 50;
  t.dead = dead;
  for (std::size_t i = 0; i < live; ++i) t.live_marker.push_back(i < positive ? 2000 : 500);
  return t;
}

Tube isotype_tube() {
  Tube t;
  t.debris = 20;
  t.dead = 100;
  t.live_marker = ramp(1000);
  return t;
}

// Group A: isotype and two samples (25 % and 50 % positive); group B: isotype and one sample
// (80 % positive).
void add_two_groups(Batch& b) {
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  b.tube("a_2.fcs", "A", "sample", "2", sample_tube(200, 300, 150));
  b.tube("b_iso.fcs", "B", "isotype", "1", isotype_tube());
  b.tube("b_1.fcs", "B", "sample", "1", sample_tube(0, 250, 200));
}

// Group A only: isotype and two samples (25 % and 37.5 % positive).
void add_group_a(Batch& b) {
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  b.tube("a_2.fcs", "A", "sample", "2", sample_tube(10, 40, 15));
}

RunOptions quiet() {
  RunOptions o;
  o.progress = false;
  o.threads = 2;
  return o;
}

// The run refuses the config with an error containing `message` (file:line:column and what).
void expect_run_error(const Config& config, const std::string& message) {
  try {
    run_pipeline(config, quiet());
    FAIL() << "no error";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

std::map<std::string, std::map<std::string, std::string>> read_table(const std::filesystem::path& file) {
  std::istringstream in(read_text(file));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream hs(line);
  for (std::string cell; std::getline(hs, cell, ',');) header.push_back(cell);
  std::map<std::string, std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    std::stringstream ls(line);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(ls, cell, ',');) cells.push_back(cell);
    cells.resize(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) rows[cells[0]][header[i]] = cells[i];
  }
  return rows;
}

// run.json's inputs after a run into `out`: path -> the input's JSON.
std::map<std::string, nlohmann::json> run_inputs(const std::filesystem::path& out) {
  std::map<std::string, nlohmann::json> inputs;
  const auto run = nlohmann::json::parse(read_text(out / "run.json"));
  for (const auto& input : run.at("inputs"))
    inputs[input.at("file").get<std::string>()] = input;
  return inputs;
}

// Hashes are carried over from the previous run.json only for files unchanged since it (and
// settled: last changed over a second before that run started); each is the file's own SHA-256.
TEST(Run, UnchangedInputsKeepTheirHashFromThePreviousRun) {
  Batch b;
  add_group_a(b);
  const auto config = b.config();
  const auto out = b.dir / "out";
  const auto data = b.dir / "data";
  auto expect_hashes = [&](const std::string& when, const std::map<std::string, std::string>& from) {
    const auto inputs = run_inputs(out);
    ASSERT_EQ(inputs.size(), from.size()) << when;
    for (const auto& [file, source] : from) {
      const auto& input = inputs.at(file);
      EXPECT_EQ(input.at("sha256").get<std::string>(), sha256_file(data / file)) << when << " " << file;
      EXPECT_EQ(input.at("sha256_from").get<std::string>(), source) << when << " " << file;
      EXPECT_EQ(input.at("identity").at("size").get<std::uint64_t>(), std::filesystem::file_size(data / file));
    }
  };
  const std::string read = "read", carried = "previous run (file unchanged)";

  // Just written: not settled when the first run starts, so the second run hashes them again.
  run_pipeline(config, quiet());
  expect_hashes("first run", {{"a_iso.fcs", read}, {"a_1.fcs", read}, {"a_2.fcs", read}});
  run_pipeline(config, quiet());
  expect_hashes("second run, files changed just before the first", {{"a_iso.fcs", read}, {"a_1.fcs", read}, {"a_2.fcs", read}});

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  run_pipeline(config, quiet());  // the files are now settled relative to this run's start
  const auto tables = read_text(out / "readouts.csv");
  run_pipeline(config, quiet());
  expect_hashes("unchanged", {{"a_iso.fcs", carried}, {"a_1.fcs", carried}, {"a_2.fcs", carried}});
  EXPECT_EQ(read_text(out / "readouts.csv"), tables);

  // Rewritten with other values of the same size: hashed again, the others still carried over.
  write_tube(data / "a_2.fcs", sample_tube(10, 40, 25));
  run_pipeline(config, quiet());
  expect_hashes("one rewritten", {{"a_iso.fcs", carried}, {"a_1.fcs", carried}, {"a_2.fcs", read}});

  // --rehash hashes everything; hashing off records none.
  auto options = quiet();
  options.reuse_hashes = false;
  run_pipeline(config, options);
  expect_hashes("rehash", {{"a_iso.fcs", read}, {"a_1.fcs", read}, {"a_2.fcs", read}});
  options.hash_inputs = false;
  run_pipeline(config, options);
  for (const auto& [file, input] : run_inputs(out)) {
    EXPECT_TRUE(input.at("sha256").is_null()) << file;
    EXPECT_FALSE(input.contains("identity")) << file;
  }
}

// A previous run.json that is not one this version wrote (or not JSON) is ignored.
TEST(Run, AnUnreadablePreviousRunJsonIsIgnored) {
  Batch b;
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto out = b.dir / "out";
  for (const std::string text : {"{\"inputs\": [", "[]", "{\"started_unix_ns\": \"x\", \"inputs\": 3}"}) {
    std::filesystem::create_directories(out);
    write_text(out / "run.json", text);
    const auto result = run_pipeline(b.config(), quiet());
    ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
    for (const auto& [file, input] : run_inputs(out))
      EXPECT_EQ(input.at("sha256").get<std::string>(), sha256_file(b.dir / "data" / file)) << text;
  }
  // A forged entry with the right identity but a wrong hash would be believed: the identity is
  // the proof, so a run.json edited by hand is the user's responsibility. An entry whose
  // identity does not match is not.
  auto j = nlohmann::json::parse(read_text(out / "run.json"));
  for (auto& input : j.at("inputs")) {
    input["sha256"] = std::string(64, '0');
    input["identity"]["ctime_ns"] = input["identity"]["ctime_ns"].get<std::int64_t>() - 1;
  }
  write_text(out / "run.json", j.dump());
  run_pipeline(b.config(), quiet());
  for (const auto& [file, input] : run_inputs(out))
    EXPECT_EQ(input.at("sha256").get<std::string>(), sha256_file(b.dir / "data" / file)) << file;
}

}  // namespace

TEST(Run, ReadoutsThresholdsAndTablesOnATinyBatch) {
  Batch b;
  add_two_groups(b);
  const auto config = b.config();
  const auto result = run_pipeline(config, quiet());
  EXPECT_TRUE(result.failures.empty()) << result.failures.front().reason;
  ASSERT_EQ(result.thresholds.size(), 2u);
  for (const auto& t : result.thresholds) {
    EXPECT_NEAR(t.value, 990.01, 1e-9);
    EXPECT_EQ(t.control_events, 1000u);
  }
  const auto out = b.dir / "out";
  const auto readouts = read_table(out / "readouts.csv");
  ASSERT_EQ(readouts.size(), 5u);
  EXPECT_EQ(readouts.at("a_1.fcs").at("viability"), "80");             // 400 / 500
  EXPECT_EQ(readouts.at("a_1.fcs").at("positive"), "25");              // 100 / 400
  EXPECT_EQ(readouts.at("a_2.fcs").at("viability"), "60");             // 300 / 500
  EXPECT_EQ(readouts.at("a_2.fcs").at("positive"), "50");              // 150 / 300
  EXPECT_EQ(readouts.at("b_1.fcs").at("positive"), "80");              // 200 / 250
  EXPECT_EQ(readouts.at("b_1.fcs").at("median_marker"), "2000");
  EXPECT_EQ(readouts.at("a_iso.fcs").at("positive"), "1");             // 10 of 1..1000 above 990.01
  EXPECT_EQ(readouts.at("a_iso.fcs").at("median_marker"), "500.5");
  EXPECT_EQ(readouts.at("a_iso.fcs").at("live_count"), "1000");
  EXPECT_EQ(readouts.at("a_1.fcs").at("group"), "A");

  const auto pops = read_text(out / "populations.csv");
  EXPECT_NE(pops.find("a_1.fcs,cells,,count,,500\n"), std::string::npos) << pops.substr(0, 400);
  EXPECT_NE(pops.find("a_1.fcs,live,cells,percent_parent,,80\n"), std::string::npos);
  EXPECT_NE(pops.find("a_1.fcs,M+,live,count,,100\n"), std::string::npos);
  EXPECT_NE(pops.find("a_1.fcs,live,cells,median,BCMA,500\n"), std::string::npos);

  const auto gates = read_text(out / "gates_resolved.yaml");
  EXPECT_NE(gates.find("threshold: 990.01"), std::string::npos) << gates;
  EXPECT_NE(gates.find("controls: [a_iso.fcs]"), std::string::npos) << gates;
  EXPECT_EQ(read_text(out / "failures.csv"), "file,stage,reason\n");
  const auto json = read_text(out / "run.json");
  EXPECT_NE(json.find("\"config_sha256\""), std::string::npos);
  EXPECT_NE(json.find(sha256_file(b.dir / "data" / "a_1.fcs")), std::string::npos);
  const auto formulas = read_text(out / "readout_formulas.csv");
  EXPECT_NE(formulas.find("positive,percent(M+ of live),100 * count(M+) / count(live)"), std::string::npos) << formulas;
  // Each formula states the read-out's description and unit (empty where the config gives none).
  EXPECT_EQ(formulas.substr(0, formulas.find('\n')), "readout,expression,formula,applies_to,control,match,description,unit");
}

// percent(M+ of live) read on the isotype tubes that placed M+ is fixed by the percentile: warned,
// at the read-out's line; the same read-out restricted to role: sample is not.
TEST(Run, ThresholdMeasuredOnItsOwnControlsIsWarned) {
  Batch b;
  add_two_groups(b);
  const auto config = b.config("  positive_samples:\n    expression: percent(M+ of live)\n    where: {role: sample}\n");
  const auto warnings = threshold_control_warnings(config, resolve_samples(config));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].at.line, 20);  // "  positive: percent(M+ of live)"
  for (const char* part : {"read-out 'positive'", "gate 'M+'", "2 of its own control samples", "a_iso.fcs",
                           "fixed by the percentile (1 %"})
    EXPECT_NE(warnings[0].message.find(part), std::string::npos) << part << ": " << warnings[0].message;
  run_pipeline(config, quiet());
  const auto report = read_text(b.dir / "out" / "report.html");
  EXPECT_NE(report.find("Note: read-out &#39;positive&#39; measures threshold gate"), std::string::npos)
      << report.substr(0, 3000);
}

// Numeric levels are listed by value in gates_resolved.yaml (25 before 100), not as text.
TEST(Run, GatesResolvedListsNumericGroupsByValue) {
  Batch b;
  b.tube("h_iso.fcs", "100", "isotype", "1", isotype_tube());
  b.tube("h_1.fcs", "100", "sample", "1", sample_tube(100, 400, 100));
  b.tube("l_iso.fcs", "25", "isotype", "1", isotype_tube());
  b.tube("l_1.fcs", "25", "sample", "1", sample_tube(100, 400, 100));
  run_pipeline(b.config(), quiet());
  const auto gates = read_text(b.dir / "out" / "gates_resolved.yaml");
  const auto at25 = gates.find("group: 25"), at100 = gates.find("group: 100");
  ASSERT_NE(at25, std::string::npos) << gates;
  ASSERT_NE(at100, std::string::npos) << gates;
  EXPECT_LT(at25, at100) << gates;
}

TEST(Run, RerunGivesIdenticalTables) {
  Batch b;
  add_group_a(b);
  const auto config = b.config();
  auto options = quiet();
  run_pipeline(config, options);
  const auto out = b.dir / "out";
  std::map<std::string, std::string> first;
  for (auto name : {"populations.csv", "readouts.csv", "gates_resolved.yaml", "failures.csv", "readout_formulas.csv"})
    first[name] = read_text(out / name);
  options.threads = 1;
  options.output_dir = b.dir / "out2";
  run_pipeline(config, options);
  for (const auto& [name, text] : first) EXPECT_EQ(read_text(b.dir / "out2" / name), text) << name;
}

// A strategy on compensated dimensions cannot be gated while the file is decoded: the runner
// gates after reading instead. Both ways give the same tables (here "FCS" compensation on files
// without a spillover leaves the values as they are).
TEST(Run, GatingAfterReadingGivesTheTablesOfGatingWhileDecoding) {
  Batch b;
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  b.tube("b_iso.fcs", "B", "isotype", "1", isotype_tube());
  b.tube("b_1.fcs", "B", "sample", "1", sample_tube(0, 250, 200));
  const auto config = b.config();
  auto options = quiet();
  run_pipeline(config, options);
  std::string compensated = kTinyStrategy;
  const std::string plain = "    dimension: FSC-A\n";
  compensated.replace(compensated.find(plain), plain.size(), "    dimension: {channel: FSC-A, compensation: FCS}\n");
  write_text(b.dir / "strategy.yaml", compensated);
  options.output_dir = b.dir / "out2";
  const auto result = run_pipeline(config, options);
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  for (auto name : {"populations.csv", "readouts.csv"})
    EXPECT_EQ(read_text(b.dir / "out2" / name), read_text(b.dir / "out" / name)) << name;
  EXPECT_NE(read_text(b.dir / "out2" / "readouts.csv").find("a_1.fcs"), std::string::npos);
}

TEST(Run, CorruptFileMissingChannelAndEmptyPopulationAreReportedAndTheRestGoesOn) {
  Batch b;
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  // A corrupt file: a valid one cut in half.
  b.tube("a_2.fcs", "A", "sample", "2", sample_tube(100, 400, 100));
  const auto whole = read_text(b.dir / "data" / "a_2.fcs");
  write_text(b.dir / "data" / "a_2.fcs", whole.substr(0, whole.size() / 2));
  // No viability channel.
  Tube no_v = sample_tube(10, 100, 10);
  no_v.with_viability_channel = false;
  b.tube("a_3.fcs", "A", "sample", "3", no_v);
  // Only debris: the 'cells' population is empty.
  Tube debris;
  debris.debris = 100;
  b.tube("a_4.fcs", "A", "sample", "4", debris);
  const auto result = run_pipeline(b.config(), quiet());

  const auto failures = read_text(b.dir / "out" / "failures.csv");
  EXPECT_EQ(result.files_failed, 2u);
  EXPECT_NE(failures.find("a_2.fcs,read,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("a_3.fcs,panel,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("marker 'Viability': channel 'V-A' is not in the file (it has: FSC-A, SSC-A, M-A)"),
            std::string::npos)
      << failures;
  EXPECT_NE(failures.find("a_4.fcs,readout,viability: population 'cells' is empty (0 events)"), std::string::npos)
      << failures;
  EXPECT_NE(failures.find("a_4.fcs,readout,positive: population 'live' is empty (0 events)"), std::string::npos)
      << failures;
  // The good file is complete.
  const auto readouts = read_table(b.dir / "out" / "readouts.csv");
  EXPECT_EQ(readouts.at("a_1.fcs").at("positive"), "25");
  EXPECT_EQ(readouts.at("a_2.fcs").at("positive"), "");
  EXPECT_EQ(readouts.at("a_4.fcs").at("live_count"), "0");
}

TEST(Run, ControlMissingForOneGroup) {
  Batch b;
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  b.tube("b_1.fcs", "B", "sample", "1", sample_tube(0, 250, 200));
  const auto result = run_pipeline(b.config(), quiet());
  EXPECT_EQ(result.files_failed, 0u);
  ASSERT_EQ(result.thresholds.size(), 1u);
  const auto failures = read_text(b.dir / "out" / "failures.csv");
  EXPECT_NE(failures.find("b_1.fcs,threshold,threshold gate 'M+': no usable control sample (role=isotype) for group=B"),
            std::string::npos)
      << failures;
  EXPECT_NE(failures.find("b_1.fcs,readout,positive: population 'M+' was not computed for this sample"),
            std::string::npos)
      << failures;
  const auto readouts = read_table(b.dir / "out" / "readouts.csv");
  EXPECT_EQ(readouts.at("a_1.fcs").at("positive"), "25");
  EXPECT_EQ(readouts.at("b_1.fcs").at("positive"), "");
  EXPECT_EQ(readouts.at("b_1.fcs").at("viability"), "100");
}

TEST(Run, FailFastStopsAtTheFirstFailure) {
  Batch b;
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  write_text(b.dir / "data" / "a_2.fcs", "not an FCS file at all");
  b.sheet += "a_2.fcs,A,sample,2\n";
  for (int i = 3; i < 12; ++i)
    b.tube("a_" + std::to_string(i) + ".fcs", "A", "sample", std::to_string(i), sample_tube(1, 10, 1));
  auto config = b.config();
  config.gating.thresholds.clear();
  config.readouts.erase(config.readouts.begin() + 1);  // 'positive' needs the threshold gate
  auto options = quiet();
  options.fail_fast = true;
  options.files_in_flight = 1;
  const auto result = run_pipeline(config, options);
  EXPECT_TRUE(result.stopped_early);
  EXPECT_EQ(result.files_failed, 1u);
  EXPECT_EQ(result.failures.front().file, "a_2.fcs");
  // Files after the failure were not analysed (no readouts for them).
  const auto readouts = read_table(b.dir / "out" / "readouts.csv");
  EXPECT_EQ(readouts.at("a_1.fcs").at("viability"), "80");
  EXPECT_EQ(readouts.at("a_9.fcs").at("viability"), "");
}

TEST(Run, UndefinedPopulationIsAConfigErrorWithLocation) {
  Batch b;
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  expect_run_error(b.config("  bad: percent(liv of cells)\n"),
                   "p.yaml:23:8: readouts.bad: undefined population 'liv' (did you mean 'live'?)");
}

// One sample whose true marker is 1000 on every live cell, with `fraction` of `detector` (valued
// `value` on live cells) spilling into M-A, and a config that compensates with the file's
// spillover and reads median_marker (read-out 1).
Config spillover_batch(Batch& b, const std::string& detector, double fraction, double value) {
  Tube t = sample_tube(100, 400, 0);
  cytopipe::fcs::Spillover s;
  s.keyword = "$SPILLOVER";
  s.detectors = s.fluorochromes = {detector, "M-A"};
  s.values = {1, fraction, 0, 1};
  t.spillover = s;
  for (auto& m : t.live_marker) m = 1000 + fraction * value;
  b.tube("a_1.fcs", "A", "sample", "1", t);
  auto config = b.config();
  config.gating.thresholds.clear();
  config.readouts.erase(config.readouts.begin() + 1);
  config.compensation.source = CompensationSource::File;
  return config;
}

TEST(Run, CompensatesWithTheFilesSpillover) {
  // 10 % of V-A (100 on live cells) spills into M-A: raw M = 1000 + 0.1 * 100.
  Batch b;
  const auto result = run_pipeline(spillover_batch(b, "V-A", 0.1, 100), quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  EXPECT_NEAR(result.readouts.front().values[1], 1000, 1e-3);  // median_marker
}

// The runner decodes only the channels it reads, plus every detector of the spillover: here
// SSC-A, which no gate or statistic reads, spills 5 % into M-A (raw M = 1000 + 0.05 x 20000).
TEST(Run, ADetectorNothingElseReadsStillCompensates) {
  Batch b;
  auto config = spillover_batch(b, "SSC-A", 0.05, 20000);
  auto result = run_pipeline(config, quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  EXPECT_NEAR(result.readouts.front().values[1], 1000, 1e-9);  // median_marker, compensated
  config.compensation.source = CompensationSource::None;
  result = run_pipeline(config, quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  EXPECT_EQ(result.readouts.front().values[1], 2000);  // the raw values
}

// The panel gives a channel its marker as an alias: the file's $PnN stays (M-A), and strategies
// and read-outs find the channel by either name.
TEST(Run, PanelMarkersAreAliasesOfTheFilesChannels) {
  Batch b;
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  auto config = b.config("  raw_median: median(M-A, live)\n");
  config.gating.thresholds.clear();
  config.readouts.erase(config.readouts.begin() + 1);  // positive: needs the threshold gate

  const auto entry = resolve_samples(config).samples.front();
  const auto sample = detail::prepare_sample(config, entry, std::nullopt);
  const auto bcma = sample.find_channel("BCMA");
  ASSERT_TRUE(bcma);
  EXPECT_EQ(sample.channels[*bcma].name, "M-A");
  EXPECT_EQ(sample.channels[*bcma].aliases, std::vector<std::string>{"BCMA"});
  EXPECT_EQ(sample.find_channel("M-A"), bcma);
  EXPECT_EQ(sample.channels[*sample.find_channel("Viability")].name, "V-A");

  // Live cells: 100 with marker 2000, 300 with 500; the median is 500 by either name.
  const auto result = run_pipeline(config, quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  EXPECT_EQ(result.readouts.front().values[1], 500);  // median(BCMA, live)
  EXPECT_EQ(result.readouts.front().values[3], 500);  // median(M-A, live)
}

// A channel only the populations table reads (no gate, no read-out) is still decoded for it.
TEST(Run, AChannelOnlyTheTableReadsIsDecoded) {
  Batch b;
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  const auto result = run_pipeline(b.config("", "  channels: [SSC-A]\n  statistics: [count, mean]\n"), quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  const auto pops = read_text(b.dir / "out" / "populations.csv");
  EXPECT_NE(pops.find("a_1.fcs,live,cells,mean,SSC-A,20000\n"), std::string::npos) << pops.substr(0, 600);
  EXPECT_NE(pops.find("a_1.fcs,dead,cells,mean,SSC-A,20000\n"), std::string::npos) << pops.substr(0, 600);
}

// Compensation faults are found while the file is being decoded (the pipeline compensates each
// chunk as it arrives): a file without a spillover, and one whose spillover names a channel it
// does not have, are reported under "compensate" with the file and the reason; the rest goes on.
TEST(Run, CompensationFaultsAreReportedPerFileAndTheRestGoesOn) {
  Batch b;
  cytopipe::fcs::Spillover good;
  good.keyword = "$SPILLOVER";
  good.detectors = good.fluorochromes = {"V-A", "M-A"};
  good.values = {1, 0.1, 0, 1};
  Tube t = sample_tube(100, 400, 0);
  t.spillover = good;
  b.tube("a_1.fcs", "A", "sample", "1", t);
  b.tube("a_2.fcs", "A", "sample", "2", sample_tube(100, 400, 0));  // no spillover
  b.tube("a_3.fcs", "A", "sample", "3", t);
  {  // its spillover names Q-A instead of M-A (same length: the offsets stay right)
    std::string bytes = read_text(b.dir / "data" / "a_3.fcs");
    const auto at = bytes.find(",V-A,M-A,");
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, 9, ",V-A,Q-A,");
    write_text(b.dir / "data" / "a_3.fcs", bytes);
  }
  auto config = b.config();
  config.gating.thresholds.clear();
  config.readouts.erase(config.readouts.begin() + 1);
  config.compensation.source = CompensationSource::File;
  const auto result = run_pipeline(config, quiet());
  EXPECT_EQ(result.files_failed, 2u);
  const auto failures = read_text(b.dir / "out" / "failures.csv");
  EXPECT_NE(failures.find("a_2.fcs,compensate,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("the file has no SPILL/$SPILLOVER/SPILLOVER keyword"), std::string::npos) << failures;
  EXPECT_NE(failures.find("a_3.fcs,compensate,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("Q-A"), std::string::npos) << failures;  // the missing detector is named
  const auto readouts = read_table(b.dir / "out" / "readouts.csv");
  EXPECT_EQ(readouts.at("a_1.fcs").at("viability"), "80");
  EXPECT_EQ(readouts.at("a_2.fcs").at("viability"), "");
}

TEST(Run, ScaledReadoutsUseTheTransformsSection) {
  // b_1: 200 live cells with BCMA 2000 and 50 with 500; a_iso: live BCMA 1..1000, V 100.
  Batch b;
  b.tube("a_iso.fcs", "A", "isotype", "1", isotype_tube());
  b.tube("b_1.fcs", "B", "sample", "1", sample_tube(0, 250, 200));
  const auto config = b.config(
      "  log_mean: mean(BCMA, live, scaled)\n"
      "  v_scaled: median(Viability, live, scaled)\n"
      "  rsd_marker: rsd(BCMA, live)\n",
      "transforms:\n  BCMA: log10(floor=1)\n  default: asinh(cofactor=150)\n");
  const auto result = run_pipeline(config, quiet());
  const auto readouts = read_table(b.dir / "out" / "readouts.csv");
  // Mean of log10 values, not log10 of the mean.
  const double log_mean = (200 * std::log10(2000.0) + 50 * std::log10(500.0)) / 250;
  EXPECT_NEAR(std::stod(readouts.at("b_1.fcs").at("log_mean")), log_mean, 1e-9);
  EXPECT_NEAR(std::stod(readouts.at("a_iso.fcs").at("log_mean")),
              [] {
                double s = 0;
                for (int i = 1; i <= 1000; ++i) s += std::log10(i);
                return s / 1000;
              }(),
              1e-9);
  // Viability has no entry of its own: the panel's default applies.
  EXPECT_NEAR(std::stod(readouts.at("b_1.fcs").at("v_scaled")), std::asinh(100.0 / 150.0), 1e-9);
  // FlowJo robust SD of 1..1000: (P84.13 - P15.87) / 2 with P = 1 + p/100 * 999.
  EXPECT_NEAR(std::stod(readouts.at("a_iso.fcs").at("rsd_marker")), 0.5 * (0.8413 - 0.1587) * 999, 1e-9);
  const auto formulas = read_text(b.dir / "out" / "readout_formulas.csv");
  EXPECT_NE(formulas.find("mean(BCMA, live, scaled)"), std::string::npos) << formulas;
  EXPECT_NE(formulas.find("log10(floor=1)"), std::string::npos) << formulas;
}

TEST(Run, ScaledReadoutWithoutATransformIsAConfigError) {
  Batch b;
  b.tube("a_1.fcs", "A", "sample", "1", sample_tube(100, 400, 100));
  expect_run_error(b.config("  log_mean: mean(BCMA, live, scaled)\n"),
                   "p.yaml:23:13: readouts.log_mean: 'mean(BCMA, live, scaled)' asks for the "
                   "transformed scale of 'BCMA' but transforms: has no entry for it");
}

TEST(Run, ReportHasAHistogramOfTheMarkerPerGroup) {
  Batch b;
  add_two_groups(b);
  const auto config = b.config("", "analysis:\n  - readout: median_marker\n    where: {role: sample}\n"
                                   "    group: group\n    tests: []\n");
  const auto result = run_pipeline(config, quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  const auto report = read_text(b.dir / "out" / "report.html");
  // One representative per group, the first sample by file name; the marker in the population
  // the read-out measures.
  EXPECT_NE(report.find("BCMA in live: one sample per group (a_1.fcs, b_1.fcs)"), std::string::npos);
  EXPECT_EQ(report.find("a_2.fcs, b_1.fcs"), std::string::npos);
}

// The histogram names what it shows in the config's words: the read-out's description for the
// population, the marker and its detector on the x axis; no population id.
TEST(Run, ReportHistogramTitlesAreTheConfigsReadableNames) {
  Batch b;
  add_two_groups(b);
  const auto config = b.config("  marker_of_live:\n    expression: median(BCMA, live)\n"
                               "    description: BCMA of viable cells\n    unit: a.u.\n",
                               "analysis:\n  - readout: marker_of_live\n    where: {role: sample}\n"
                               "    group: group\n    tests: []\n");
  const auto result = run_pipeline(config, quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  const auto report = read_text(b.dir / "out" / "report.html");
  EXPECT_NE(report.find(">BCMA (M-A)</text>"), std::string::npos);          // x title
  EXPECT_NE(report.find(">BCMA of viable cells</text>"), std::string::npos);  // figure title
  EXPECT_NE(report.find("BCMA of viable cells: one sample per group (a_1.fcs, b_1.fcs)"), std::string::npos);
  EXPECT_EQ(report.find("BCMA in live"), std::string::npos);
}

TEST(Run, ReportRoundsNumbersForReadingAndStatsCsvKeepsThem) {
  Batch b;
  add_two_groups(b);
  b.tube("b_2.fcs", "B", "sample", "2", sample_tube(30, 270, 170));  // n = 2 in B: a finite F
  const auto config = b.config("", "analysis:\n  - readout: median_marker\n    where: {role: sample}\n"
                                   "    group: group\n    tests: [anova]\n");
  const auto result = run_pipeline(config, quiet());
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  const auto report = read_text(b.dir / "out" / "report.html");
  const auto rows = cytopipe::stats::read_rows(cytopipe::stats::read_csv((b.dir / "out" / "stats.csv").string()));
  bool anova = false;
  for (const auto& r : rows) {
    if (r.test != "one-way ANOVA") continue;
    ASSERT_TRUE(std::isfinite(r.statistic));
    anova = true;
    // 4 significant digits for the statistic, p as format.pval(p, digits = 2).
    const std::string f = cytopipe::plot::format_significant(r.statistic, 4);
    EXPECT_LE(f.size(), 8u) << f;
    EXPECT_NE(report.find("<td>F = " + f + "</td>"), std::string::npos) << f;
    EXPECT_NE(report.find("<td>" + cytopipe::plot::format_significant(r.p, 2) + "</td>"), std::string::npos);
  }
  EXPECT_TRUE(anova);
}
