// `cytopipe run` and its output folder as one unit: a lock against a second run, a set published
// in one step (never a mixture of two runs, even under kill -9), failed runs that keep the
// previous set, stale outputs that go, leftovers of killed runs that are cleaned. Real processes
// on the shipped pipelines (sample_fcs/) and on tiny batches.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "pipeline/tiny_batch.hpp"
#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using cytopipe::pipeline::test::read_text;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;
using Files = std::map<std::string, std::string>;  // relative path -> bytes ("<dir>" for folders)

fs::path pipeline(const std::string& name) { return cytopipe::test::source_dir() / "pipelines" / (name + ".yaml"); }

// Starts `cytopipe args...` in the background, stdout and stderr into files.
pid_t spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> all = {CYTOPIPE_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, CYTOPIPE_BINARY, &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// The exit code, or -(signal) for a process that was killed.
int wait_for(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1000;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

Files snapshot(const fs::path& folder) {
  Files files;
  if (!fs::exists(folder)) return files;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    files[e.path().lexically_relative(folder).generic_string()] = e.is_directory() ? "<dir>" : read_text(e.path());
  return files;
}

void restore(const fs::path& folder, const Files& files) {
  fs::remove_all(folder);
  fs::create_directories(folder);
  for (const auto& [name, bytes] : files) {
    if (bytes == "<dir>") {
      fs::create_directories(folder / name);
    } else {
      fs::create_directories((folder / name).parent_path());
      write_text(folder / name, bytes);
    }
  }
}

std::set<std::string> names_in(const fs::path& folder) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.insert(e.path().filename().string());
  return names;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether a run has begun writing into a staging folder in `parent`.
bool writing_outputs(const fs::path& parent) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec))
    if (e.path().filename().string().find(".staging-") != std::string::npos && !fs::is_empty(e.path(), ec))
      return true;
  return false;
}

// A set that is one run's: exactly the files its run.json lists, a readouts row per sample, and
// populations rows (six fields each) for exactly the samples of the read-outs.
void expect_complete_set(const fs::path& folder) {
  const auto files = snapshot(folder);
  ASSERT_TRUE(files.count("run.json")) << folder;
  const auto run = nlohmann::json::parse(files.at("run.json"));
  std::set<std::string> listed, present;
  for (const auto& f : run.at("outputs")) listed.insert(f.get<std::string>());
  for (const auto& [name, bytes] : files)
    if (bytes != "<dir>") present.insert(name);
  EXPECT_EQ(present, listed);
  const auto readouts = lines_of(files.at("readouts.csv"));
  ASSERT_EQ(readouts.size(), run.at("counts").at("samples").get<std::size_t>() + 1);
  std::set<std::string> samples, populated;
  for (std::size_t i = 1; i < readouts.size(); ++i) samples.insert(readouts[i].substr(0, readouts[i].find(',')));
  const auto populations = lines_of(files.at("populations.csv"));
  ASSERT_GT(populations.size(), 1u);
  EXPECT_EQ(populations[0], "file,population,parent,statistic,channel,value");
  for (std::size_t i = 1; i < populations.size(); ++i) {
    EXPECT_EQ(std::count(populations[i].begin(), populations[i].end(), ','), 5) << "row " << i << ": " << populations[i];
    populated.insert(populations[i].substr(0, populations[i].find(',')));
  }
  EXPECT_EQ(populated, samples);
}

// Two samples and their isotype control; `broken` adds an unreadable file to the sheet.
fs::path tiny_batch(const TempDir& dir, bool broken) {
  using namespace cytopipe::pipeline::test;
  fs::create_directories(dir / "data");
  std::string sheet = "file,dose_nM,role\n";
  Tube iso;
  iso.dead = 10;
  iso.live_marker = ramp(200);
  write_tube(dir / "data" / "iso.fcs", iso);
  sheet += "iso.fcs,0,isotype\n";
  for (int i = 0; i < 2; ++i) {
    Tube t;
    t.dead = 20;
    for (int k = 0; k < 80; ++k) t.live_marker.push_back(k < 20 ? 5000 : 10);
    write_tube(dir / "data" / ("s" + std::to_string(i) + ".fcs"), t);
    sheet += "s" + std::to_string(i) + ".fcs,0,sample\n";
  }
  if (broken) {
    write_text(dir / "data" / "a_broken.fcs", "FCS3.1    garbage");
    sheet += "a_broken.fcs,0,sample\n";
  } else {
    fs::remove(dir / "data" / "a_broken.fcs");  // a file without its sheet row is refused
  }
  write_text(dir / "data" / "sheet.csv", sheet);
  write_text(dir / "strategy.yaml", kTinyStrategy);
  write_text(dir / "p.yaml", R"(name: tiny_outputs
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

// Both runs start together; whichever locks the folder first runs, the other refuses at once
// naming it, and the folder holds the survivor's complete set.
TEST(CliRunOutputs, TwoRunsIntoOneFolderOneRefusesNamingTheHolder) {
  TempDir dir;
  const auto out = dir / "out";
  const std::vector<std::string> args = {"run", "-q", "-j", "1", "--no-hash", pipeline("fig3_selinexor").string(),
                                         "-o", out.string()};
  // A run takes over a second, so the two overlap unless one is held up that long before it
  // starts; a second try then (without a lock both exit 0 every time).
  pid_t a = -1, b = -1;
  int code_a = 0, code_b = 0;
  for (int attempt = 0; attempt < 3 && code_a == 0 && code_b == 0; ++attempt) {
    a = spawn(args, dir / "a.out", dir / "a.err");
    b = spawn(args, dir / "b.out", dir / "b.err");
    ASSERT_GT(a, 0);
    ASSERT_GT(b, 0);
    code_a = wait_for(a);
    code_b = wait_for(b);
  }
  const bool a_refused = code_a == 1;
  ASSERT_EQ(std::set<int>({code_a, code_b}), std::set<int>({0, 1}))
      << read_text(dir / "a.err") << read_text(dir / "b.err");
  const auto refusal = read_text(dir / (a_refused ? "a.err" : "b.err"));
  const pid_t holder = a_refused ? b : a;
  EXPECT_NE(refusal.find("output folder: in use by another run (pid " + std::to_string(holder) + " on host "),
            std::string::npos)
      << refusal;
  EXPECT_NE(refusal.find(", started 20"), std::string::npos) << refusal;
  EXPECT_EQ(read_text(dir / (a_refused ? "a.out" : "b.out")), "");
  expect_complete_set(out);
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"out", "a.out", "a.err", "b.out", "b.err"}));
}

// kill -9 at random moments of a run into a folder holding another complete set: the folder is
// always byte for byte the old set or the new one (run.json aside, which records timings; its
// list of outputs is the new set's).
TEST(CliRunOutputs, AKilledRunLeavesTheOldSetOrTheNewOneNeverAMixture) {
  TempDir dir;
  const auto out = dir / "out";
  const auto ref = dir / "ref" / "car";
  ASSERT_EQ(cytopipe::test::run_cytopipe({"run", "-q", pipeline("fig3_selinexor").string(), "-o", out.string()},
                                         dir / "cli").code, 0);
  const auto old_set = snapshot(out);
  const auto started = std::chrono::steady_clock::now();
  const std::vector<std::string> new_run = {"run", "-q", pipeline("car_kinetics").string(), "-o"};
  auto args = new_run;
  args.push_back(ref.string());
  ASSERT_EQ(cytopipe::test::run_cytopipe(args, dir / "cli").code, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto new_set = snapshot(ref);
  const auto new_run_json = nlohmann::json::parse(new_set.at("run.json"));
  new_set.erase("run.json");
  ASSERT_NE(old_set.count("plots/killing.svg"), new_set.count("plots/killing.svg"));

  args = new_run;
  args.push_back(out.string());
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", a run takes " + std::to_string(seconds) + " s");
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> moment(0.0, seconds * 1.2);
  int old_seen = 0, new_seen = 0;
  // Writing the set takes about timings_seconds.outputs; a little more covers the swap.
  const double writing = new_run_json.at("timings_seconds").at("outputs").get<double>();
  std::uniform_real_distribution<double> shortly(0.0, writing * 1.3 + 0.005);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const pid_t pid = spawn(args, dir / "k.out", dir / "k.err");
    ASSERT_GT(pid, 0);
    // Half the kills at any moment of the run, half once it has begun writing its set.
    double after = moment(random);
    bool ended = false;  // (a loaded machine may let the whole output phase pass between two looks)
    if (attempt % 2) {
      after = shortly(random);
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      int status = 0;
      while (!writing_outputs(dir.path()) && std::chrono::steady_clock::now() < until && !ended)
        ended = ::waitpid(pid, &status, WNOHANG) == pid;
    }
    if (!ended) {
      std::this_thread::sleep_for(std::chrono::duration<double>(after));
      ::kill(pid, SIGKILL);
      wait_for(pid);
    }
    auto now = snapshot(out);
    if (now == old_set) {
      ++old_seen;
      continue;
    }
    ASSERT_TRUE(now.count("run.json")) << "killed after " << after << " s: neither set";
    const auto run_json = nlohmann::json::parse(now.at("run.json"));
    now.erase("run.json");
    EXPECT_EQ(now, new_set) << "killed after " << after << " s: neither the old set nor the new one";
    EXPECT_EQ(run_json.at("outputs"), new_run_json.at("outputs"));
    ++new_seen;
    restore(out, old_set);
  }
  std::cout << "kill -9 at random moments: " << old_seen << " left the old set, " << new_seen << " the new one\n";
  // The next run cleans whatever the killed ones left beside the folder (staging, lock file).
  ASSERT_EQ(cytopipe::test::run_cytopipe(args, dir / "cli").code, 0);
  auto final_set = snapshot(out);
  final_set.erase("run.json");
  EXPECT_EQ(final_set, new_set);
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"out", "ref", "cli", "k.out", "k.err"}));
}

// A run that stops at the first failure, and one that fails writing its outputs (a file size
// limit, as a full disk), leave the previous complete set as it was, byte for byte.
TEST(CliRunOutputs, AFailedRunKeepsThePreviousSet) {
  TempDir dir;
  const auto config = tiny_batch(dir, false);
  ASSERT_EQ(cytopipe::test::run_cytopipe({"run", "-q", config.string()}, dir / "cli").code, 0);
  const auto complete = snapshot(dir / "out");
  expect_complete_set(dir / "out");

  tiny_batch(dir, true);
  auto r = cytopipe::test::run_cytopipe({"run", "-q", "--fail-fast", "--in-flight", "1", config.string()}, dir / "cli");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find("stopped at the first failure"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("left as the previous run wrote them"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot(dir / "out"), complete);

  tiny_batch(dir, false);
  const std::string limited = "trap '' XFSZ; ulimit -f 1; exec '" + std::string(CYTOPIPE_BINARY) + "' run -q '" +
                              config.string() + "' 2>'" + (dir / "err.txt").string() + "'";
  const int status = std::system(("bash -c \"" + limited + "\" >/dev/null").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(read_text(dir / "err.txt").find("write failed"), std::string::npos) << read_text(dir / "err.txt");
  EXPECT_EQ(snapshot(dir / "out"), complete);
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"out", "data", "strategy.yaml", "p.yaml", "cli", "err.txt"}));
}

// Plots the new run does not make go with the old set; a file the user put in the folder stays.
TEST(CliRunOutputs, StaleOutputsGoAndAUsersFilesStay) {
  TempDir dir;
  const auto out = dir / "out";
  ASSERT_EQ(cytopipe::test::run_cytopipe({"run", "-q", "--no-hash", pipeline("fig3_selinexor").string(), "-o",
                                          out.string()},
                                         dir / "cli").code, 0);
  ASSERT_TRUE(fs::exists(out / "plots" / "killing.svg"));
  write_text(out / "notes.txt", "my notes");
  fs::create_directories(out / "mine");
  write_text(out / "mine" / "a.txt", "a");
  write_text(out / "plots" / "sketch.png", "png");
  ASSERT_EQ(cytopipe::test::run_cytopipe({"run", "-q", "--no-hash", pipeline("car_kinetics").string(), "-o",
                                          out.string()},
                                         dir / "cli").code, 0);
  EXPECT_EQ(names_in(out / "plots"), (std::set<std::string>{"car_kinetics_blood.svg", "sketch.png"}));
  EXPECT_EQ(read_text(out / "notes.txt"), "my notes");
  EXPECT_EQ(read_text(out / "mine" / "a.txt"), "a");
  EXPECT_EQ(read_text(out / "plots" / "sketch.png"), "png");
  // The set itself is the new run's alone.
  fs::remove(out / "notes.txt");
  fs::remove_all(out / "mine");
  fs::remove(out / "plots" / "sketch.png");
  expect_complete_set(out);
}

// What killed runs leave is cleaned by the next run: staging folders and the lock file beside
// the folder, temporaries inside it. A previous set moved aside by a run killed between its two
// renames (filesystems without RENAME_EXCHANGE) is put back first, so a failing run keeps it.
TEST(CliRunOutputs, LeftoversOfKilledRunsAreCleaned) {
  TempDir dir;
  const auto config = tiny_batch(dir, false);
  ASSERT_EQ(cytopipe::test::run_cytopipe({"run", "-q", config.string()}, dir / "cli").code, 0);
  const auto complete = snapshot(dir / "out");
  fs::rename(dir / "out", dir / ".out.previous");
  const auto limited = "trap '' XFSZ; ulimit -f 1; exec '" + std::string(CYTOPIPE_BINARY) + "' run -q '" +
                       config.string() + "' 2>/dev/null";
  EXPECT_EQ(WEXITSTATUS(std::system(("bash -c \"" + limited + "\" >/dev/null").c_str())), 1);
  EXPECT_EQ(snapshot(dir / "out"), complete);
  EXPECT_FALSE(fs::exists(dir / ".out.previous"));

  fs::create_directories(dir / ".out.staging-999999-0" / "plots");
  write_text(dir / ".out.staging-999999-0" / "populations.csv", "half");
  write_text(dir / ".out.lock", "pid 999999 on host gone, started 2026-01-01T00:00:00Z\n");
  write_text(dir / "out" / ".readouts.csv.tmp3", "half");
  fs::create_directories(dir / ".out.previous");
  write_text(dir / ".out.previous" / "readouts.csv", "old");
  ASSERT_EQ(cytopipe::test::run_cytopipe({"run", "-q", config.string()}, dir / "cli").code, 0);
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"out", "data", "strategy.yaml", "p.yaml", "cli"}));
  expect_complete_set(dir / "out");
}

// A folder no run wrote (no run.json, files that are not outputs) is not replaced.
TEST(CliRunOutputs, AFolderNoRunWroteIsRefused) {
  TempDir dir;
  const auto config = tiny_batch(dir, false);
  fs::create_directories(dir / "out");
  write_text(dir / "out" / "thesis.tex", "x");
  const auto r = cytopipe::test::run_cytopipe({"run", "-q", config.string()}, dir / "cli");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("output folder: holds thesis.tex, which is not a cytopipe output, and no run.json"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(names_in(dir / "out"), std::set<std::string>{"thesis.tex"});
  EXPECT_FALSE(fs::exists(dir / ".out.lock"));
}
