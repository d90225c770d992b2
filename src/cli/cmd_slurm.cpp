// cytopipe slurm PIPELINE.yaml --array N: a sharded run (docs/sharded-runs.md) as three Slurm
// jobs: the threshold pass (a small array, one task per control group up to N), a job array of N
// shards after it, and the merge after every shard
// (--dependency=afterok). Writes the sbatch scripts into a work folder and submits them, printing
// the job ids; --dry-run only writes them. A rerun submits only what is not already done over
// unchanged inputs (each pass also skips itself when its folder is current).
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "cytopipe/atomic_file.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/pipeline/shard.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct SlurmArgs {
  std::string config;
  std::size_t array = 0;
  std::string partition, time, mem, work, output;
  int cpus = 1;
  int retries = 1;
  bool dry_run = false;
};

// A word for bash, single-quoted.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string absolute_path(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

// The header every job shares; `what` names the job and its log.
std::string header(const SlurmArgs& a, const std::string& name, const std::string& log) {
  std::ostringstream s;
  s << "#!/bin/bash\n# Written by cytopipe slurm; resubmit with cytopipe slurm (it skips what is done).\n";
  s << "#SBATCH --job-name=" << name << "\n#SBATCH --output=" << log << "\n";
  s << "#SBATCH --cpus-per-task=" << a.cpus << "\n";
  if (!a.partition.empty()) s << "#SBATCH --partition=" << a.partition << "\n";
  if (!a.time.empty()) s << "#SBATCH --time=" << a.time << "\n";
  if (!a.mem.empty()) s << "#SBATCH --mem=" << a.mem << "\n";
  return s.str();
}

// A pass, tried again on failure (a node's hiccup): a retry skips what the try finished.
std::string with_retries(const SlurmArgs& a, const std::string& command) {
  std::ostringstream s;
  s << "set -uo pipefail\n";
  s << "for attempt in $(seq 1 " << a.retries + 1 << "); do\n";
  s << "  " << command << " && exit 0\n";
  s << "  echo \"cytopipe: attempt $attempt failed\" >&2\n";
  s << "done\nexit 1\n";
  return s.str();
}

// Runs `args` (sbatch ...), returns its standard output; Error with its message when it fails.
std::string run_capture(const std::vector<std::string>& args) {
  int out[2];
  if (::pipe(out) != 0) throw cytopipe::Error("cannot create a pipe for " + args.front());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args.front().c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (err != 0) {
    ::close(out[0]);
    throw cytopipe::Error("cannot run " + args.front() + " (" + std::strerror(err) +
                          "): is this a Slurm login node? (--dry-run writes the scripts only)");
  }
  std::string text;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = ::read(out[0], buffer.data(), buffer.size())) > 0;) text.append(buffer.data(), n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string command;
  for (const auto& a : args) command += (command.empty() ? "" : " ") + a;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw cytopipe::Error(command + " failed (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                          "); its message is above");
  return text;
}

// "1-8" or "2,5,7" for the tasks to submit.
std::string task_list(const std::vector<std::size_t>& tasks, std::size_t n) {
  if (tasks.size() == n) return "1-" + std::to_string(n);
  std::string list;
  for (auto t : tasks) list += (list.empty() ? "" : ",") + std::to_string(t);
  return list;
}

int slurm(const SlurmArgs& a) {
  using namespace cytopipe::pipeline;
  if (a.array == 0) throw cytopipe::Error("--array: the number of shards must be at least 1");
  const auto config = load_config(a.config);
  load_checked_strategy(config);  // a bad config fails here, not in the first job
  RunOptions options;
  if (!a.output.empty()) options.output_dir = a.output;
  const fs::path output = absolute_path(output_directory(config, options));
  const fs::path work = absolute_path(a.work.empty() ? fs::path(output.string() + ".slurm") : fs::path(a.work));
  fs::create_directories(work / "logs");
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string config_path = absolute_path(config.file);
  const std::string n = std::to_string(a.array);
  const bool has_thresholds = needs_threshold_pass(config);  // threshold gates or pooled finders
  const fs::path thresholds = work / "thresholds";
  const std::string jobs = "-j \"${SLURM_CPUS_PER_TASK:-1}\" -q";

  // Pass 1 as a small array: part K of M of the control groups per task (each group placed once),
  // M = the number of groups, at most N; each part into thresholds/group-K, read together by the shards.
  const std::size_t groups = has_thresholds ? control_group_count(config) : 0;
  const std::size_t parts = has_thresholds ? std::max<std::size_t>(1, std::min(groups, a.array)) : 0;
  const std::string m = std::to_string(parts);
  auto part_folder = [&](std::size_t k) { return thresholds / ("group-" + std::to_string(k)); };
  const fs::path thresholds_script = work / "thresholds.sbatch";
  if (has_thresholds)
    cytopipe::write_file_atomically(
        thresholds_script,
        header(a, config.name + "-thresholds", (work / "logs" / "thresholds-%a-%A.out").string()) +
            "#SBATCH --array=1-" + m + "\n" +
            with_retries(a, quoted(self) + " run " + quoted(config_path) + " --thresholds-only --control-group \"${SLURM_ARRAY_TASK_ID}/" +
                                m + "\" -o " + quoted((thresholds / "group-").string()) + "\"${SLURM_ARRAY_TASK_ID}\" " + jobs));
  const fs::path shards_script = work / "shards.sbatch";
  cytopipe::write_file_atomically(
      shards_script,
      header(a, config.name + "-shard", (work / "logs" / "shard-%a-%A.out").string()) + "#SBATCH --array=1-" + n +
          "\n" +
          with_retries(a, quoted(self) + " run " + quoted(config_path) + " --shard \"${SLURM_ARRAY_TASK_ID}/" + n +
                              "\"" + (has_thresholds ? " --thresholds " + quoted(thresholds.string()) : "") + " -o " +
                              quoted((work / "shard-").string()) + "\"${SLURM_ARRAY_TASK_ID}\" " + jobs));
  std::string shard_folders;
  for (std::size_t i = 1; i <= a.array; ++i) shard_folders += " " + quoted((work / ("shard-" + std::to_string(i))).string());
  const fs::path merge_script = work / "merge.sbatch";
  cytopipe::write_file_atomically(merge_script,
                                  header(a, config.name + "-merge", (work / "logs" / "merge-%j.out").string()) +
                                      "set -uo pipefail\n" + quoted(self) + " merge" + shard_folders + " -o " +
                                      quoted(output.string()) + "\n");

  // What is already done over unchanged inputs is not submitted again.
  std::vector<std::size_t> parts_to_run;
  for (std::size_t k = 1; k <= parts; ++k)
    if (!threshold_pass_outdated(config, part_folder(k), {k, parts}).empty()) parts_to_run.push_back(k);
  const bool submit_thresholds = !parts_to_run.empty();
  if (has_thresholds && !a.dry_run && fs::exists(thresholds)) {
    // Parts of an earlier split into more parts (or a pass 1 written here whole) would be read
    // with the new ones: they go.
    for (const auto& e : fs::directory_iterator(thresholds)) {
      const auto name = e.path().filename().string();
      bool current = false;
      for (std::size_t k = 1; k <= parts; ++k) current = current || name == "group-" + std::to_string(k);
      if (!current && (name.starts_with("group-") || name == "thresholds.json")) fs::remove_all(e.path());
    }
  }
  std::vector<std::size_t> tasks;
  for (std::size_t i = 1; i <= a.array; ++i) {
    const auto folder = work / ("shard-" + std::to_string(i));
    // With new thresholds coming, every shard is submitted; each skips itself if still current.
    if (submit_thresholds ||
        !shard_outdated(config, {i, a.array}, folder, has_thresholds ? std::optional<fs::path>(thresholds) : std::nullopt)
             .empty())
      tasks.push_back(i);
  }

  std::cout << "sbatch scripts in " << work.string() << "/: " << (has_thresholds ? "thresholds.sbatch " : "")
            << "shards.sbatch merge.sbatch\n";
  if (has_thresholds)
    std::cout << "thresholds: " << groups << " control groups in " << parts << " array tasks"
              << (submit_thresholds ? "" : "; done, controls unchanged (not submitted)") << "\n";
  if (tasks.size() < a.array)
    std::cout << "shards: " << a.array - tasks.size() << " of " << a.array
              << " done over unchanged inputs (not submitted)\n";

  auto sbatch = [&](std::vector<std::string> args, const std::string& what) {
    args.insert(args.begin(), {"sbatch", "--parsable"});
    if (a.dry_run) {
      std::string line;
      for (const auto& x : args) line += (line.empty() ? "" : " ") + x;
      std::cout << "would submit " << what << ": " << line << '\n';
      return std::string("<" + what + ">");
    }
    std::string id = run_capture(args);
    id = id.substr(0, id.find_first_of(";\n"));
    std::cout << what << ": job " << id << '\n';
    return id;
  };
  std::string after;
  if (submit_thresholds)
    after = sbatch({"--array=" + task_list(parts_to_run, parts), thresholds_script.string()},
                   "thresholds (array " + task_list(parts_to_run, parts) + ")");
  if (!tasks.empty()) {
    std::vector<std::string> args = {"--array=" + task_list(tasks, a.array)};
    if (!after.empty()) args.push_back("--dependency=afterok:" + after);
    args.push_back(shards_script.string());
    after = sbatch(args, "shards (array " + task_list(tasks, a.array) + ")");
  }
  std::vector<std::string> args;
  if (!after.empty()) args.push_back("--dependency=afterok:" + after);
  args.push_back(merge_script.string());
  sbatch(args, "merge");
  std::cout << "outputs will be in " << output.string() << "/\n";
  return 0;
}

const cytopipe::cli::RegisterCommand kSlurm{{
    "slurm",
    "Run a pipeline on a Slurm cluster: threshold pass, a job array of shards, the merge",
    [](CLI::App& app) -> std::function<int()> {
      auto args = std::make_shared<SlurmArgs>();
      app.add_option("config", args->config, "pipeline YAML (pipelines/*.yaml)")->required();
      app.add_option("--array", args->array, "number of shards (array tasks 1..N)")->required();
      app.add_option("--partition", args->partition, "sbatch --partition");
      app.add_option("--time", args->time, "sbatch --time of each job (e.g. 00:30:00)");
      app.add_option("--mem", args->mem, "sbatch --mem of each job (e.g. 4G)");
      app.add_option("--cpus", args->cpus, "sbatch --cpus-per-task; each pass uses that many threads (default 1)")
          ->check(CLI::PositiveNumber);
      app.add_option("--retries", args->retries, "times a failed pass is tried again within its job (default 1)")
          ->check(CLI::NonNegativeNumber);
      app.add_option("--work", args->work, "folder of the scripts, logs, thresholds and shards (default: OUTPUT.slurm)");
      app.add_option("-o,--output", args->output, "the merge's output folder (default: outputs.directory of the config)");
      app.add_flag("-n,--dry-run", args->dry_run, "write the scripts and show the sbatch commands; submit nothing");
      app.footer(
          "Jobs: thresholds.sbatch (--array=1-M, cytopipe run --thresholds-only --control-group\n"
          "$SLURM_ARRAY_TASK_ID/M: M = the control groups, at most N), shards.sbatch (--array=1-N, cytopipe run\n"
          "--shard $SLURM_ARRAY_TASK_ID/N) after every threshold task, merge.sbatch after every shard\n"
          "(--dependency=afterok).\n"
          "Run it again after a failure: passes done over unchanged inputs are not submitted again.\n"
          "See docs/sharded-runs.md.");
      return [args]() { return slurm(*args); };
    }}};

}  // namespace
