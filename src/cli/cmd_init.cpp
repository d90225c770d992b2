// cytopipe init DIR -o OUTDIR: a first samples.csv, pipeline.yaml and gating.yaml for a folder of
// FCS exports, from their headers only; prints what it found and what the user must decide.
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "cytopipe/atomic_file.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/pipeline/init.hpp"

namespace {

struct InitArgs {
  std::string folder;
  std::string output;
  bool force = false;
};

int run_init(const InitArgs& args) {
  namespace fs = std::filesystem;
  const fs::path out = args.output;
  const auto t0 = std::chrono::steady_clock::now();
  const auto result = cytopipe::pipeline::infer_experiment(args.folder, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fs::create_directories(out);
  for (const char* name : {"samples.csv", "pipeline.yaml", "gating.yaml"})
    if (fs::exists(out / name) && !args.force)
      throw cytopipe::Error("already exists; not overwriting it (--force to replace)", {(out / name).string(), "", 0, 0});
  cytopipe::write_file_atomically(out / "samples.csv", result.samples_csv);
  cytopipe::write_file_atomically(out / "pipeline.yaml", result.pipeline_yaml);
  cytopipe::write_file_atomically(out / "gating.yaml", result.gating_yaml);
  std::cout << "read the headers of " << result.files << " FCS files in " << seconds << " s\n";
  std::cout << "found:\n";
  for (const auto& f : result.found) std::cout << "  " << f << '\n';
  std::cout << "check / decide:\n";
  for (const auto& d : result.to_decide) std::cout << "  " << d << '\n';
  std::cout << "wrote " << (out / "samples.csv").string() << ", " << (out / "pipeline.yaml").string() << ", "
            << (out / "gating.yaml").string() << "\nnext: cytopipe validate " << (out / "pipeline.yaml").string()
            << '\n';
  return 0;
}

const cytopipe::cli::RegisterCommand kInit{{
    "init",
    "Start a pipeline for a folder of FCS files: sample sheet, pipeline and gating skeleton from their headers",
    [](CLI::App& app) -> std::function<int()> {
      auto args = std::make_shared<InitArgs>();
      app.add_option("folder", args->folder, "folder of FCS files (searched recursively)")->required();
      app.add_option("-o,--output", args->output, "folder for samples.csv, pipeline.yaml, gating.yaml")->required();
      app.add_flag("--force", args->force, "replace those files if they exist");
      app.footer(
          "Reads only HEADER and TEXT of each file (no events). Factors (dose, replicate, cell line,\n"
          "effector, role) are parsed from tube names or file names; what could not be parsed is left\n"
          "empty and listed. Check and edit the three files, then: cytopipe validate OUTDIR/pipeline.yaml");
      return [args]() { return run_init(*args); };
    }}};

}  // namespace
