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

}  // namespace
