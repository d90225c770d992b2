// cytopipe merge SHARDDIR...: the shards of a sharded run (cytopipe run --shard I/N) combined into
// the outputs of the whole run: read-outs, statistics, figures and report, tables byte-identical
// to an unsharded run of the same config. Reads the shards' per-sample results, no events.
#include <iostream>

#include "cli/command.hpp"
#include "cytopipe/pipeline/shard.hpp"

namespace {

struct MergeArgs {
  std::vector<std::string> shards;
  std::string output;
};

int merge(const MergeArgs& args) {
  using namespace cytopipe::pipeline;
  RunOptions options;
  if (!args.output.empty()) options.output_dir = args.output;
  std::vector<std::filesystem::path> folders(args.shards.begin(), args.shards.end());
  const auto result = merge_shards(folders, options);
  std::cout << "merged " << folders.size() << " shards: " << result.samples.samples.size() << " files, "
            << result.events << " events; " << result.files_failed << " files failed, " << result.failures.size()
            << " problems\n";
  for (const auto& line : result.summary_lines) std::cout << "  " << line << '\n';
  std::cout << "outputs in " << result.output_dir.string() << "/:";
  for (const auto& f : result.written) std::cout << ' ' << f;
  std::cout << '\n';
  return result.failures.empty() ? 0 : 1;
}

const cytopipe::cli::RegisterCommand kMerge{{
    "merge",
    "Combine the shards of a sharded run (run --shard I/N) into the whole run's outputs",
    [](CLI::App& app) -> std::function<int()> {
      auto args = std::make_shared<MergeArgs>();
      app.add_option("shards", args->shards, "the shard folders (run --shard I/N -o DIR), every shard once")->required();
      app.add_option("-o,--output", args->output,
                     "output folder, replaced as a whole (default: outputs.directory of the shards' config)");
      app.footer(
          "Checks that the folders are shards 1..N of one run of one config (a shard missing or given twice\n"
          "is an error naming it) and that every sample of the design is in exactly one, then computes the\n"
          "read-outs, statistics, plots and report as `cytopipe run` does. See docs/sharded-runs.md.\n"
          "Exit codes: 0 done; 1 refused (the message names the shard or sample) or some files or read-outs\n"
          "failed (failures.csv); 2 usage; 3 internal or system error.");
      return [args]() { return merge(*args); };
    }}};

}  // namespace
