// cytopipe validate PIPELINE.yaml: checks a pipeline config without reading any event (each
// selected file's header only), lists every problem at once, and lists the samples it would
// analyse with their factors.
#include <iostream>

#include "cli/command.hpp"
#include "cytopipe/base/yaml_reader.hpp"
#include "cytopipe/pipeline/check.hpp"
#include "cytopipe/pipeline/listing.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/pipeline/samples.hpp"

namespace {

const cytopipe::cli::RegisterCommand kValidate{{
    "validate",
    "Check a pipeline config (keys, types, files, populations, read-outs) and list its samples",
    [](CLI::App& app) -> std::function<int()> {
      auto config_path = std::make_shared<std::string>();
      auto quiet = std::make_shared<bool>(false);
      app.add_option("config", *config_path, "pipeline YAML (pipelines/*.yaml)")->required();
      auto allow_unmatched = std::make_shared<bool>(false);
      app.add_flag("-q,--quiet", *quiet, "print nothing when the config is valid");
      app.add_flag("--allow-unmatched", *allow_unmatched,
                   "a sample-sheet row without its file, or a file without its row, is a warning, not an error "
                   "(as 'inputs.unmatched: warn')");
      return [=]() {
        auto config = cytopipe::pipeline::load_config(*config_path);
        if (*allow_unmatched) config.inputs.unmatched_warn = true;
        const auto check = cytopipe::pipeline::check_pipeline(config);
        if (!check.ok()) {
          for (const auto& w : check.warnings) std::cerr << "cytopipe: warning: " << w << '\n';
          cytopipe::yaml::throw_all(check.errors);
        }
        if (!*quiet) cytopipe::pipeline::print_plan(std::cout, config, *check.strategy, *check.samples);
        return 0;
      };
    }}};

}  // namespace
