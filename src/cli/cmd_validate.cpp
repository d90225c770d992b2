// cytopipe validate PIPELINE.yaml: checks a pipeline config without reading any event, and lists
// the samples it would analyse with their factors.
#include <iostream>

#include "cli/command.hpp"
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
      app.add_flag("-q,--quiet", *quiet, "print nothing when the config is valid");
      return [=]() {
        const auto config = cytopipe::pipeline::load_config(*config_path);
        const auto strategy = cytopipe::pipeline::load_checked_strategy(config);
        const auto samples = cytopipe::pipeline::resolve_samples(config);
        if (!*quiet) cytopipe::pipeline::print_plan(std::cout, config, strategy, samples);
        return 0;
      };
    }}};

}  // namespace
