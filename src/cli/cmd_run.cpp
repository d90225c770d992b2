// cytopipe run PIPELINE.yaml: the whole analysis over a folder of FCS files, with a short human
// summary at the end. Exit code 1 when any file or read-out failed (the outputs are still written,
// except that a run stopped by --fail-fast never replaces a previous set), or when another run
// holds the output folder.
#include <iostream>
#include <thread>

#include "cli/command.hpp"
#include "cytopipe/base/yaml_reader.hpp"
#include "cytopipe/pipeline/check.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/listing.hpp"
#include "cytopipe/pipeline/design_check.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/pipeline/samples.hpp"
#include "cytopipe/pipeline/shard.hpp"

namespace {

struct RunArgs {
  std::string config;
  int threads = 0;
  std::size_t in_flight = 0;
  bool fail_fast = false;
  bool dry_run = false;
  bool quiet = false;
  bool no_hash = false;
  bool rehash = false;
  bool allow_unmatched = false;
  std::string output;
  std::string shard;          // I/N: this shard's samples only (pass 2 of a sharded run)
  bool thresholds_only = false;  // pass 1 of a sharded run
  std::string control_group;  // K/M: pass 1's part K of M of the control groups (an array task)
  std::string thresholds;     // pass 1's folder, for --shard
  bool force = false;         // redo a pass even when its folder holds it over unchanged inputs
  std::string frozen_gates;
};

// The two passes of a sharded run (docs/sharded-runs.md): a line each, for the job's log.
int run_pass(const RunArgs& args, const cytopipe::pipeline::Config& config, const cytopipe::pipeline::RunOptions& options) {
  using namespace cytopipe::pipeline;
  if (args.output.empty()) throw cytopipe::Error("a sharded pass needs its own output folder: -o DIR");
  PassResult pass;
  std::string what;
  if (args.thresholds_only) {
    const Shard part = args.control_group.empty() ? Shard{1, 1} : parse_shard(args.control_group, "--control-group");
    pass = run_threshold_pass(config, options, args.force, part);
    what = "thresholds pass" + (args.control_group.empty() ? std::string() : " (control groups " + to_string(part) + ")");
  } else {
    const Shard shard = parse_shard(args.shard);
    std::optional<std::filesystem::path> thresholds;
    if (!args.thresholds.empty()) thresholds = args.thresholds;
    pass = run_shard(config, shard, thresholds, options, args.force);
    what = "shard " + to_string(shard);
  }
  const auto& r = pass.run;
  if (pass.skipped) {
    std::cout << config.name << " " << what << ": " << pass.note << "; left as it is in " << r.output_dir.string()
              << "/ (--force redoes it)\n";
    return 0;
  }
  std::cout << config.name << " " << what << ": " << r.samples.samples.size() << " files, " << r.events << " events in "
            << r.seconds << " s; " << r.files_failed << " files failed, " << r.failures.size() << " problems; "
            << r.thresholds.size() << " thresholds\noutputs in " << r.output_dir.string() << "/:";
  std::size_t sheets = 0;  // sheets/FILE.json, one per file the report could show: counted, not listed
  for (const auto& f : r.written) {
    if (f.find('/') == std::string::npos) std::cout << ' ' << f;
    else ++sheets;
  }
  if (sheets) std::cout << " sheets/ (" << sheets << " gating sheets)";
  std::cout << '\n';
  // The pass did its job: files that failed are outcomes the merge lists (and exits 1 for), not a
  // failed job that would hold back the scheduler's dependent jobs.
  if (!r.failures.empty()) std::cout << "  " << r.failures.size() << " problems in failures.csv (the merge lists them)\n";
  return 0;
}

int run(const RunArgs& args) {
  using namespace cytopipe::pipeline;
  auto config = load_config(args.config);
  if (args.allow_unmatched) config.inputs.unmatched_warn = true;
  // What validate finds stops the run before anything is read or written.
  const auto check = check_pipeline(config);
  if (!check.ok()) {
    for (const auto& w : check.warnings) std::cerr << "cytopipe: warning: " << w << '\n';
    std::cerr << "cytopipe: not starting the run: " << check.errors.size() << " problem(s) (cytopipe validate "
              << args.config << " lists the same)\n";
    cytopipe::yaml::throw_all(check.errors);
  }
  if (args.dry_run) {
    print_plan(std::cout, config, *check.strategy, *check.samples);
    RunOptions o;
    if (!args.output.empty()) o.output_dir = args.output;
    std::cout << "outputs would go to " << output_directory(config, o).string() << '\n';
    return 0;
  }
  RunOptions options;
  options.threads = args.threads;
  options.files_in_flight = args.in_flight;
  options.fail_fast = args.fail_fast;
  options.progress = !args.quiet;
  options.hash_inputs = !args.no_hash;
  options.reuse_hashes = !args.rehash;
  if (!args.output.empty()) options.output_dir = args.output;
  if (!args.frozen_gates.empty()) options.frozen_gates = args.frozen_gates;
  if (args.thresholds_only || !args.shard.empty()) return run_pass(args, config, options);
  const auto result = run_pipeline(config, options);

  auto& out = std::cout;
  out << config.name << ": " << result.samples.samples.size() << " files, " << result.events << " events in "
      << result.seconds << " s; " << result.files_failed << " files failed, " << result.failures.size()
      << " problems" << (result.stopped_early ? " (stopped at the first failure: --fail-fast)" : "") << '\n';
  if (!result.thresholds.empty())
    out << result.thresholds.size() << " control-derived thresholds (gates_resolved.yaml)\n";
  for (const auto& line : result.summary_lines) out << "  " << line << '\n';
  for (const auto& w : result.samples.warnings) out << "warning: " << w << '\n';
  for (const auto& w : design_warnings(config, result.samples)) out << "warning: " << w.located() << '\n';
  const std::size_t shown = std::min<std::size_t>(result.failures.size(), 5);
  for (std::size_t i = 0; i < shown; ++i)
    out << "  failed: " << result.failures[i].file << " [" << result.failures[i].stage << "] "
        << result.failures[i].reason << '\n';
  if (result.failures.size() > shown) out << "  ... see failures.csv\n";
  // Values given with a warning: read-outs on few events, files acquisition QC flagged.
  const std::size_t warned = std::min<std::size_t>(result.warnings.size(), 10);
  for (std::size_t i = 0; i < warned; ++i)
    out << "  warning: " << result.warnings[i].file << " [" << result.warnings[i].stage << "] "
        << result.warnings[i].reason << '\n';
  if (result.warnings.size() > warned)
    out << "  ... " << result.warnings.size() - warned << " more warnings in warnings.csv\n";
  if (result.published) {
    out << "outputs in " << result.output_dir.string() << "/:";
    for (const auto& f : result.written) out << ' ' << f;
    out << '\n';
  } else {
    out << "outputs in " << result.output_dir.string()
        << "/ left as the previous run wrote them: a run stopped by --fail-fast does not replace them\n";
  }
  return result.failures.empty() ? 0 : 1;
}

const cytopipe::cli::RegisterCommand kRun{{
    "run",
    "Run a pipeline (pipelines/*.yaml) over its FCS files: gates, read-outs, statistics, report",
    [](CLI::App& app) -> std::function<int()> {
      auto args = std::make_shared<RunArgs>();
      app.add_option("config", args->config, "pipeline YAML (pipelines/*.yaml)")->required();
      // Zero or negative is a usage error (a negative --in-flight used to wrap to "unbounded").
      app.add_option("-j,--threads", args->threads, "worker threads (default: all cores)")->check(CLI::PositiveNumber);
      app.add_option("--in-flight", args->in_flight, "files held in memory at once (default: threads)")
          ->check(CLI::PositiveNumber);
      app.add_flag("--fail-fast", args->fail_fast, "stop at the first file that fails");
      app.add_flag("-n,--dry-run", args->dry_run, "validate and list the samples with their factors; read no events");
      app.add_flag("-q,--quiet", args->quiet, "no progress output");
      app.add_flag("--no-hash", args->no_hash, "skip the SHA-256 of each input in run.json (faster)");
      app.add_flag("--rehash", args->rehash,
                   "hash every input again, even files unchanged since the output folder's previous run.json");
      app.add_flag("--allow-unmatched", args->allow_unmatched,
                   "a sample-sheet row without its file, or a file without its row, is a warning (listed in the "
                   "summary and the report), not an error; as 'inputs.unmatched: warn'");
      auto* frozen = app.add_option("--frozen-gates", args->frozen_gates,
                     "a previous run's gates_resolved.yaml: gate every file with the gates placed for it there (no finder runs again)")
          ->check(CLI::ExistingFile);
      app.add_option("-o,--output", args->output, "output folder, replaced as a whole by each run (default: outputs.directory of the config)");
      auto* shard = app.add_option("--shard", args->shard,
                                   "I/N: run shard I (1..N) of the samples only, into -o DIR, for cytopipe merge");
      auto* pass1 = app.add_flag("--thresholds-only", args->thresholds_only,
                                 "pass 1 of a sharded run: place the control-derived thresholds only, into -o DIR");
      pass1->excludes(shard);
      app.add_option("--control-group", args->control_group,
                     "K/M with --thresholds-only: place part K of M of the control groups (every M-th group from "
                     "the K-th), into -o DIR; the shards read the folder holding the M parts' folders")
          ->needs(pass1);
      // Sharded passes place and record their gates themselves; frozen gates are a whole-run option.
      frozen->excludes(shard);
      frozen->excludes(pass1);
      app.add_option("--thresholds", args->thresholds, "with --shard: the folder of the --thresholds-only pass")
          ->needs(shard);
      app.add_flag("--force", args->force, "with --shard/--thresholds-only: redo even a complete pass over unchanged inputs");
      // What a new user needs before the first run: where the format is, how paths resolve, and
      // what a script should read from the exit code.
      app.footer(
          "The config format (inputs, panel, compensation, gating, thresholds, read-outs, analysis,\n"
          "outputs) is documented in docs/pipeline-config.md; pipelines/*.yaml are worked examples.\n"
          "Relative paths in the config (files, sample sheet, strategy, matrix, output directory) are\n"
          "relative to the config file's folder, not the current directory; -o is relative to the\n"
          "current directory.\n"
          "Check a config first with: cytopipe validate CONFIG (or run --dry-run).\n"
          "Exit codes: 0 every file and read-out done; 1 the config or an input was refused (nothing\n"
          "run; the message names file:line:column) or some files or read-outs failed (failures.csv\n"
          "lists them); 2 bad command-line usage; 3 internal or system error (e.g. a full disk: the\n"
          "previous output set is left as it was). A --shard or --thresholds-only pass exits 0 once its\n"
          "outputs are written, failed files included (cytopipe merge reports them); see docs/sharded-runs.md.");
      return [args]() { return run(*args); };
    }}};

}  // namespace
