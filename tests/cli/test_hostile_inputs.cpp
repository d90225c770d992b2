// Inputs that must be refused cleanly (exit 1, the file named), not hang or exit 3: a FIFO given
// as any input file, an input folder that cannot be listed.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/tiny_batch.hpp"
#include "support/cli_run.hpp"

using namespace cytopipe::pipeline::test;
using cytopipe::test::run_cytopipe;

namespace {

// A small valid batch (two tubes, sheet, strategy, config) in `dir`; returns the config.
std::filesystem::path make_batch(const TempDir& dir) {
  std::filesystem::create_directories(dir / "data");
  for (const char* name : {"a.fcs", "b.fcs"}) {
    Tube t;
    t.live_marker = ramp(50);
    write_tube(dir / "data" / name, t);
  }
  write_text(dir / "data" / "sheet.csv", "file,role\na.fcs,sample\nb.fcs,sample\n");
  write_text(dir / "strategy.yaml", kTinyStrategy);
  write_text(dir / "p.yaml", R"(name: hostile
inputs:
  files: data/
  sample_sheet: data/sheet.csv
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
readouts:
  viability: viability(live of cells)
outputs:
  directory: out
)");
  return dir / "p.yaml";
}

// Runs cytopipe with `fifo` in place while a watcher checks whether anything opened it for
// reading: a writer's non-blocking open succeeds only then. Each time it does, the watcher
// closes again at once, so a reader blocked in open() (the old hang) gets end-of-file instead
// of hanging the test; `opened` then fails the test.
struct FifoOutcome {
  cytopipe::test::CliResult result;
  bool opened = false;
};
FifoOutcome run_with_fifo(const std::filesystem::path& fifo, const std::vector<std::string>& args,
                          const std::filesystem::path& scratch) {
  std::filesystem::remove(fifo);
  EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::atomic<bool> done{false}, opened{false};
  std::thread watcher([&] {
    while (!done) {
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) {
        opened = true;
        ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  FifoOutcome o;
  o.result = run_cytopipe(args, scratch);
  done = true;
  watcher.join();
  o.opened = opened;
  return o;
}

void expect_refused(const FifoOutcome& o, const std::filesystem::path& fifo) {
  EXPECT_FALSE(o.opened) << "the FIFO was opened for reading";
  EXPECT_EQ(o.result.code, 1) << o.result.err;
  EXPECT_NE(o.result.err.find(fifo.string()), std::string::npos) << o.result.err;
  EXPECT_NE(o.result.err.find("not a regular file (a FIFO)"), std::string::npos) << o.result.err;
}

TEST(FifoInput, AsFcsFileForInfoAndGate) {
  TempDir dir;
  const auto config = make_batch(dir);
  const auto fifo = dir / "tube.fcs";
  expect_refused(run_with_fifo(fifo, {"info", fifo.string()}, dir / "scratch"), fifo);
  expect_refused(run_with_fifo(fifo, {"gate", "--strategy", (dir / "strategy.yaml").string(), fifo.string()},
                               dir / "scratch"),
                 fifo);
}

TEST(FifoInput, AsConfigStrategyAndSampleSheet) {
  TempDir dir;
  make_batch(dir);
  const auto fifo_config = dir / "fifo.yaml";
  expect_refused(run_with_fifo(fifo_config, {"validate", fifo_config.string()}, dir / "scratch"), fifo_config);

  const std::string config = read_text(dir / "p.yaml");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string c = config;
    c.replace(c.find(from), from.size(), to);
    write_text(dir / "q.yaml", c);
    return (dir / "q.yaml").string();
  };
  const auto strategy = dir / "strategy_fifo.yaml";
  const auto q1 = with("strategy: strategy.yaml", "strategy: strategy_fifo.yaml");
  expect_refused(run_with_fifo(strategy, {"validate", q1}, dir / "scratch"), strategy);
  expect_refused(run_with_fifo(strategy, {"gate", "--strategy", strategy.string(), (dir / "data" / "a.fcs").string()},
                               dir / "scratch"),
                 strategy);

  const auto sheet = dir / "data" / "sheet_fifo.csv";
  const auto q2 = with("sample_sheet: data/sheet.csv", "sample_sheet: data/sheet_fifo.csv");
  expect_refused(run_with_fifo(sheet, {"validate", q2}, dir / "scratch"), sheet);
  expect_refused(run_with_fifo(sheet, {"run", q2}, dir / "scratch"), sheet);

  // Named in inputs.files (a folder listing skips non-regular files; a named one is refused).
  const auto tube = dir / "data" / "c.fcs";
  const auto q3 = with("files: data/", "files: data/c.fcs");
  expect_refused(run_with_fifo(tube, {"run", q3}, dir / "scratch"), tube);
}

// `cytopipe args...` as an unprivileged user (root lists any folder whatever its mode), stderr
// captured; the exit code, or -1.
std::pair<int, std::string> run_unprivileged(const std::vector<std::string>& args) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {-1, "pipe failed"};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 2);
    ::close(pipe_fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(99);
    std::vector<char*> argv{const_cast<char*>(CYTOPIPE_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(CYTOPIPE_BINARY, argv.data());
    ::_exit(98);
  }
  ::close(pipe_fds[1]);
  std::string err;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

TEST(UnlistableInput, FolderWithoutReadPermissionIsBadInput) {
  TempDir dir;
  const auto config = make_batch(dir);
  // Searchable but not readable: its files could be opened by name, the folder not listed.
  std::filesystem::permissions(dir / "data", std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec);
  std::filesystem::permissions(dir / "data", std::filesystem::perms::owner_read | std::filesystem::perms::group_read,
                               std::filesystem::perm_options::remove);
  const auto [code, err] = run_unprivileged({"validate", config.string()});
  std::filesystem::permissions(dir / "data", std::filesystem::perms::owner_all);
  ASSERT_NE(code, 99) << "could not drop privileges";
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find("cannot list the input folder " + (dir / "data").string()), std::string::npos) << err;
  EXPECT_NE(err.find("Permission denied"), std::string::npos) << err;
}

// CellQuest writes 0xAA (in CREATOR); `info --json` printed nothing and exited 3.
TEST(NonUtf8, InfoJsonOnCellQuestFiles) {
  const auto corpus = std::filesystem::path(CYTOPIPE_SOURCE_DIR) / ".." / "shared" / "fcs_corpus";
  if (!std::filesystem::exists(corpus)) GTEST_SKIP() << "no ../shared/fcs_corpus";
  TempDir dir;
  for (const char* name : {"FlowIO_FACScan.fcs", "fcsparser_FACSCaliburHTS.fcs", "flowCore_FACSCalibur.fcs",
                           "cytoflow_FACE-Float-FCS2.0.fcs"}) {
    const auto r = run_cytopipe({"info", "--json", "--keywords", (corpus / name).string()}, dir / "scratch");
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    const auto json = nlohmann::json::parse(r.out);
    EXPECT_EQ(json.at(0).at("text_encoding"), "Latin-1") << name;
    bool noticed = false;
    for (const auto& n : json.at(0).at("notices")) noticed |= n.get<std::string>().find("read as Latin-1") != std::string::npos;
    EXPECT_TRUE(noticed) << name;
  }
  const auto r = run_cytopipe({"info", (corpus / "FlowIO_FACScan.fcs").string()}, dir / "scratch");
  EXPECT_NE(r.out.find("TEXT Latin-1"), std::string::npos) << r.out;
}

// A stray file whose name is not UTF-8 (skipped under --allow-unmatched: not in the sheet) made
// `run` exit 3 writing run.json.
TEST(NonUtf8, StrayFileNameInTheInputFolder) {
  TempDir dir;
  const auto config = make_batch(dir);
  std::filesystem::copy_file(dir / "data" / "a.fcs", dir / "data" / "stray\xE9.fcs");
  const auto refused = run_cytopipe({"run", config.string(), "--no-hash"}, dir / "scratch");
  EXPECT_EQ(refused.code, 1) << refused.err;
  EXPECT_NE(refused.err.find("has no row in the sample sheet"), std::string::npos) << refused.err;
  const auto r = run_cytopipe({"run", config.string(), "--no-hash", "--allow-unmatched"}, dir / "scratch");
  EXPECT_EQ(r.code, 0) << r.err;
  const auto run = nlohmann::json::parse(read_text(dir / "out" / "run.json"));  // valid JSON
  EXPECT_NE(run.dump().find("stray\xEF\xBF\xBD.fcs"), std::string::npos);  // named, the byte as U+FFFD
}

// A Latin-1 byte in the sample sheet failed while drawing a plot and named the SVG.
TEST(NonUtf8, Latin1SampleSheetIsRefusedNamingTheSheet) {
  TempDir dir;
  const auto config = make_batch(dir);
  write_text(dir / "data" / "sheet.csv", "file,role\na.fcs,sample\nb.fcs,sampl\xE9\n");
  for (const char* command : {"validate", "run"}) {
    const auto r = run_cytopipe({command, config.string()}, dir / "scratch");
    EXPECT_EQ(r.code, 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find((dir / "data" / "sheet.csv").string() + ":3:12"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not valid UTF-8 (byte 0xE9)"), std::string::npos) << r.err;
  }
}

// --max-memory: the decoded size is checked before allocating, and the refusal has the numbers.
TEST(MemoryLimit, ExportRefusesAboveMaxMemory) {
  TempDir dir;
  make_batch(dir);
  const auto tube = (dir / "data" / "a.fcs").string();
  auto r = run_cytopipe({"export", tube, "-o", (dir / "a.csv").string(), "--max-memory", "1K"}, dir / "scratch");
  EXPECT_EQ(r.code, 1) << r.err;
  for (const char* part : {"a.fcs", "above the memory limit of 1024 bytes", "--max-memory"})
    EXPECT_NE(r.err.find(part), std::string::npos) << part << " not in " << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "a.csv"));
  r = run_cytopipe({"export", tube, "-o", (dir / "a.csv").string(), "--max-memory", "64MiB"}, dir / "scratch");
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_cytopipe({"export", tube, "-o", (dir / "a.csv").string(), "--max-memory", "lots"}, dir / "scratch");
  EXPECT_EQ(r.code, 2) << r.err;  // a usage error
}

}  // namespace
