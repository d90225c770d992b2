// Loading the config's gating strategy and checking every population the config refers to.
#include <algorithm>
#include <set>

#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "pipeline/yaml_reader.hpp"

namespace cytopipe::pipeline {

gating::GatingStrategy load_checked_strategy(const Config& config) {
  auto strategy = load_config_strategy(config);
  const auto errors = strategy_problems(config, strategy);
  if (!errors.empty()) detail::throw_all(errors);
  return strategy;
}

gating::GatingStrategy load_config_strategy(const Config& config) {
  return config.gating.from_workspace
             ? gating::group_strategy(gating::load_workspace(config.resolve(config.gating.strategy), {},
                                                                    gating::samples_of_group(config.gating.group)),
                                     config.gating.group)
             : gating::load_strategy(config.resolve(config.gating.strategy));
}

std::vector<Error> strategy_problems(const Config& config, const gating::GatingStrategy& strategy) {
  std::vector<Error> errors;
  auto error = [&](const Location& at, std::string where, std::string message) {
    errors.emplace_back(std::move(message), at.context(std::move(where)));
  };

  // The pipeline compensates whole files before gating; a gate that compensates again would
  // apply the spillover twice.
  if (config.compensation.source != CompensationSource::None) {
    for (const auto& node : strategy.gates())
      for (const auto* dim : gating::dimensions_of(node.gate))
        if (dim->compensation != gating::kUncompensated) {
          error(config.gating.strategy_at, "gating.strategy",
                "gate '" + node.id + "' compensates its dimension " + dim->label() + " ('" + dim->compensation +
                    "') but the pipeline already compensates every file (compensation: " +
                    (config.compensation.source == CompensationSource::File ? "file" : "matrix") +
                    "); use uncompensated dimensions or set 'compensation: none'");
          break;
        }
  }

  std::vector<std::string> strategy_names;
  for (const auto& p : strategy.populations()) strategy_names.push_back(p.name);
  std::vector<std::string> all_names = strategy_names;
  all_names.emplace_back(kAllEvents);  // every event of the file: no gate needed
  for (const auto& g : config.gating.thresholds) {
    if (std::find(strategy_names.begin(), strategy_names.end(), g.name) != strategy_names.end())
      error(g.at, "gating.thresholds." + g.name, "'" + g.name + "' is already a population of the strategy");
    if (std::find(strategy_names.begin(), strategy_names.end(), g.parent) == strategy_names.end()) {
      std::string msg = "parent '" + g.parent + "' is not a population of the strategy " +
                        config.gating.strategy.string();
      if (auto guess = detail::closest_name(g.parent, strategy_names); !guess.empty())
        msg += " (did you mean '" + guess + "'?)";
      error(g.at, "gating.thresholds." + g.name + ".parent", msg);
    }
    all_names.push_back(g.name);
  }
  for (const auto& r : config.readouts) {
    const Expression& e = r.parsed;
    // A statistic on the transformed scale needs a transforms: entry for its channel.
    for_each_channel_statistic(e, [&](const Expression& x) {
      if (x.scaled && !transform_for(config, x.channel)) {
        error(r.expression_at, "readouts." + r.name,
              "'" + to_string(x) + "' asks for the transformed scale of '" + x.channel +
                  "' but transforms: has no entry for it (add '" + x.channel +
                  ": SPEC' or 'default' for panel markers)");
      }
    });
    // A sheet column read as the number of beads added that is not one: a keyword, or a volume.
    std::set<std::string> columns;
    collect_columns(e, columns);
    for (const auto& column : columns) {
      for (const auto& k : config.inputs.keywords)
        if (k.factor == column)
          error(r.expression_at, "readouts." + r.name,
                "absolute_count takes the number of beads added from a sample-sheet column, but '" + column +
                    "' is the FCS keyword " + k.keyword + " (inputs.keywords); for the acquired volume use concentration(POP)");
      std::string l = column;
      std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (l.find("vol") != std::string::npos || l.ends_with("_ul") || l.ends_with("_nl") || l.ends_with("_ml"))
        error(r.expression_at, "readouts." + r.name,
              "absolute_count would use the volume column '" + column +
                  "' as a count of beads added; for events per volume use concentration(POP) (the file's $VOL)");
    }
    for_each_channel_statistic(e, [&](const Expression& x) {
      if (x.population == kAllEvents &&
          std::find(strategy_names.begin(), strategy_names.end(), x.population) == strategy_names.end())
        error(r.expression_at, "readouts." + r.name,
              "'" + to_string(x) + "': channel statistics need a gated population; 'all' (every event) is for counts");
    });
    std::set<std::string> used;
    collect_populations(e, used);
    for (const auto& name : used) {
      if (std::find(all_names.begin(), all_names.end(), name) != all_names.end()) continue;
      std::string msg = "undefined population '" + name + "'";
      if (auto guess = detail::closest_name(name, all_names); !guess.empty())
        msg += " (did you mean '" + guess + "'?)";
      else
        msg += " (the strategy defines " + std::to_string(strategy_names.size()) + " populations)";
      error(r.expression_at, "readouts." + r.name, msg);
    }
  }
  return errors;
}

}  // namespace cytopipe::pipeline
