// `cytopipe run` and `cytopipe validate` as a user calls them: exit codes, summary and messages.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <thread>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "pipeline/tiny_batch.hpp"

using namespace cytopipe::pipeline::test;

namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Outcome run_cli(const std::string& args) {
  const std::string command = std::string(CYTOPIPE_BINARY) + " " + args + " 2>&1";
  Outcome o;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return o;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) o.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

// Two samples and their isotype control; `corrupt` adds an unreadable file to the sheet.
std::filesystem::path make_batch(const TempDir& dir, bool corrupt) {
  std::filesystem::create_directories(dir / "data");
  std::string sheet = "file,dose_nM,role\n";
  Tube iso;
  iso.dead = 10;
  iso.live_marker = ramp(200);
  write_tube(dir / "data" / "iso.fcs", iso);
  sheet += "iso.fcs,0,isotype\n";
  for (int i = 0; i < 2; ++i) {
    Tube t;
    t.debris = 5;
    t.dead = 20;
    for (int k = 0; k < 80; ++k) t.live_marker.push_back(k < 20 ? 5000 : 10);
    const std::string name = "s" + std::to_string(i) + ".fcs";
    write_tube(dir / "data" / name, t);
    sheet += name + ",0,sample\n";
  }
  if (corrupt) {
    write_text(dir / "data" / "broken.fcs", "FCS3.1    garbage");
    sheet += "broken.fcs,0,sample\n";
  }
  write_text(dir / "data" / "sheet.csv", sheet);
  write_text(dir / "strategy.yaml", kTinyStrategy);
  write_text(dir / "p.yaml", R"(name: tiny_cli
inputs:
  files: data/*.fcs
  sample_sheet: data/sheet.csv
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
  thresholds:
    - {name: M+, parent: live, channel: BCMA, percentile: 99, control: {role: isotype}, match: [dose_nM]}
readouts:
  viability: viability(live of cells)
  positive: percent(M+ of live)
outputs:
  directory: out
)");
  return dir / "p.yaml";
}

}  // namespace

TEST(CliRun, GoodBatchExitsZeroWithASummary) {
  TempDir dir;
  const auto config = make_batch(dir, false);
  const auto o = run_cli("run --quiet " + config.string());
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("tiny_cli: 3 files"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("0 files failed"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("outputs in " + (dir / "out").string()), std::string::npos) << o.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "readouts.csv"));
  // 20 of 80 live cells above the isotype's 99th percentile (198.01).
  EXPECT_NE(read_text(dir / "out" / "readouts.csv").find("s0.fcs,0,sample,80,25\n"), std::string::npos)
      << read_text(dir / "out" / "readouts.csv");
}

// --no-hash records no hashes; --rehash hashes every file again (files settled over a second
// before the first run, so a plain rerun carries the hashes over).
TEST(CliRun, NoHashAndRehash) {
  TempDir dir;
  const auto config = make_batch(dir, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto sources = [&] {
    std::string all;
    const auto run = nlohmann::json::parse(read_text(dir / "out" / "run.json"));
    for (const auto& input : run.at("inputs"))
      all += (input.contains("sha256_from") ? input.at("sha256_from").get<std::string>() : "none") + ";";
    return all;
  };
  ASSERT_EQ(run_cli("run --quiet --no-hash " + config.string()).exit_code, 0);
  EXPECT_EQ(sources(), "none;none;none;");
  ASSERT_EQ(run_cli("run --quiet " + config.string()).exit_code, 0);
  EXPECT_EQ(sources(), "read;read;read;");
  ASSERT_EQ(run_cli("run --quiet " + config.string()).exit_code, 0);
  const std::string carried = "previous run (file unchanged);";
  EXPECT_EQ(sources(), carried + carried + carried);
  ASSERT_EQ(run_cli("run --quiet --rehash " + config.string()).exit_code, 0);
  EXPECT_EQ(sources(), "read;read;read;");
}

TEST(CliRun, AFailedFileGivesExitOneAndFailuresCsv) {
  TempDir dir;
  const auto config = make_batch(dir, true);
  const auto o = run_cli("run --quiet -j 2 " + config.string());
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("1 files failed"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("failed: broken.fcs [read]"), std::string::npos) << o.output;
  EXPECT_NE(read_text(dir / "out" / "failures.csv").find("broken.fcs,read,"), std::string::npos);
  EXPECT_NE(read_text(dir / "out" / "readouts.csv").find("s1.fcs,0,sample,80,25\n"), std::string::npos);
}

TEST(CliRun, ValidateAndDryRunListSamplesWithoutWritingOutputs) {
  TempDir dir;
  const auto config = make_batch(dir, false);
  for (const std::string command : {"validate ", "run --dry-run "}) {
    const auto o = run_cli(command + config.string());
    EXPECT_EQ(o.exit_code, 0) << o.output;
    EXPECT_NE(o.output.find("3 samples"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("iso.fcs  0        isotype"), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("threshold gate M+: BCMA above percentile 99 of live in 1 control samples"),
              std::string::npos)
        << o.output;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

TEST(CliRun, BadConfigExitsOneWithTheLocation) {
  TempDir dir;
  const auto config = make_batch(dir, false);
  auto text = read_text(config);
  text.replace(text.find("readouts:"), 9, "readout:");
  write_text(config, text);
  const auto o = run_cli("validate " + config.string());
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.output.find("p.yaml:12:1: readout: unknown key 'readout' (did you mean 'readouts'?)"), std::string::npos)
      << o.output;
  EXPECT_EQ(run_cli("run").exit_code, 2);
}

TEST(CliRun, ZeroOrNegativeThreadsOrInFlightAreUsageErrors) {
  TempDir dir;
  const auto config = make_batch(dir, false);
  for (const char* bad : {"--in-flight 0", "--in-flight -1", "-j 0", "-j -1"}) {
    const auto o = run_cli("run " + config.string() + " -q --no-hash " + bad);
    EXPECT_EQ(o.exit_code, 2) << bad << ": " << o.output;
  }
}

// A typo in `tests:` is a config error: validate names its line:column and the known tests, and
// the run stops before reading any FCS file (no outputs folder, no failures.csv).
TEST(CliRun, UnknownTestNameFailsValidateAndTheRunDoesNotStart) {
  TempDir dir;
  const auto config = make_batch(dir, false);
  write_text(config, read_text(config) +
                         "analysis:\n  - readout: viability\n    group: dose_nM\n    tests: [anova, dunet]\n");
  const auto o = run_cli("validate " + config.string());
  EXPECT_EQ(o.exit_code, 1) << o.output;
  EXPECT_NE(o.output.find("p.yaml:20:20: analysis[0].tests: unknown test 'dunet' (did you mean 'dunnett'?; "
                          "known: anova, welch,"),
            std::string::npos)
      << o.output;
  const auto run = run_cli("run --quiet " + config.string());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("p.yaml:20:20:"), std::string::npos) << run.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
}

// A new user's first question: where is the format, how do paths resolve, what does the exit mean.
TEST(RunCli, HelpPointsToTheConfigDocsPathsAndExitCodes) {
  const auto o = run_cli("run --help");
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("docs/pipeline-config.md"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("relative to the config file's folder"), std::string::npos) << o.output;
  for (const char* code : {"Exit codes: 0 ", "; 1 ", "; 2 bad command-line usage", "; 3 internal"})
    EXPECT_NE(o.output.find(code), std::string::npos) << code << "\n" << o.output;
}
