// validate's one pass over everything a run would fail on, before any event is read.
#include <algorithm>
#include <map>
#include <set>

#include "cytopipe/base/yaml_reader.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/pipeline/check.hpp"
#include "cytopipe/pipeline/design_check.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/transform/sample_ops.hpp"
#include "pipeline/pooled_finders.hpp"
#include "pipeline/prepare.hpp"

namespace cytopipe::pipeline {
namespace {

// Where a name is used, for the message's location and its "used by".
struct Use {
  ErrorContext at;
  std::string by;
};

// A name (channel or marker) and the files that lack it.
struct Missing {
  std::vector<Use> uses;
  std::vector<std::string> files;
  std::string first_channels;       // the first such file's channels (with their markers)
  std::vector<std::string> names;   // ... and its names, for "did you mean"
};

std::string list_some(const std::vector<std::string>& names, std::size_t most = 5) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > most) out += ", ... (" + std::to_string(names.size() - most) + " more)";
  return out;
}

// Every name the run looks up in a file after the panel gave it its markers, with its uses.
std::map<std::string, std::vector<Use>> names_used(const Config& config, const gating::GatingStrategy& strategy) {
  std::map<std::string, std::vector<Use>> used;
  const std::string strategy_file = config.resolve(config.gating.strategy).string();
  for (const auto& node : strategy.gates())
    for (const auto* d : gating::dimensions_of(node.gate)) {
      const Use use{{strategy_file, "gate '" + node.id + "'", 0, 0}, "gate '" + node.id + "'"};
      if (d->ratio) {
        used[d->ratio->numerator].push_back(use);
        used[d->ratio->denominator].push_back(use);
      } else {
        used[d->channel].push_back(use);
      }
    }
  for (const auto& g : config.gating.thresholds)
    used[g.channel].push_back({g.at.context("gating.thresholds." + g.name + ".channel"), "threshold '" + g.name + "'"});
  for (const auto& r : config.readouts)
    for_each_channel_statistic(r.parsed, [&](const Expression& x) {
      used[x.channel].push_back({r.expression_at.context("readouts." + r.name), "read-out '" + r.name + "'"});
    });
  if (!config.outputs.statistics.empty())
    for (const auto& c : config.outputs.channels)
      used[c].push_back({{config.file.string(), "outputs.channels", 0, 0}, "outputs.channels"});
  return used;
}

std::vector<std::string> names_of(const fcs::Sample& sample) {
  std::vector<std::string> out;
  for (const auto& c : sample.channels) {
    out.push_back(c.name);
    for (const auto& a : c.aliases) out.push_back(a);
    if (!c.marker.empty()) out.push_back(c.marker);
  }
  return out;
}

// "FSC-A, PE-A (BCMA), ...": $PnN with the file's own $PnS, as the file has them.
std::string channels_with_markers(const fcs::Sample& sample) {
  std::string out;
  for (const auto& c : sample.channels)
    out += (out.empty() ? "" : ", ") + c.name + (c.marker.empty() || c.marker == c.name ? "" : " (" + c.marker + ")");
  return out;
}

void note_missing(Missing& m, const std::string& file, const fcs::Sample& sample) {
  if (m.files.empty()) {
    m.first_channels = channels_with_markers(sample);
    m.names = names_of(sample);
  }
  m.files.push_back(file);
}

Error missing_error(const std::string& name, const Missing& m, std::size_t files, const std::string& what) {
  std::string by;
  for (std::size_t i = 0; i < m.uses.size() && i < 3; ++i) by += (i ? ", " : "") + m.uses[i].by;
  if (m.uses.size() > 3) by += ", ...";
  std::string message = what + " '" + name + "' (used by " + by + ") is not in " +
                        std::to_string(m.files.size()) + " of " + std::to_string(files) +
                        " files: " + list_some(m.files) + "; " + m.files.front() + " has ($PnN ($PnS)): " + m.first_channels;
  if (auto guess = yaml::closest_name(name, m.names); !guess.empty()) message += " (did you mean '" + guess + "'?)";
  return Error(message, m.uses.front().at);
}

}  // namespace

std::vector<Error> header_problems(const Config& config, const gating::GatingStrategy& strategy,
                                   const SampleSet& samples, std::vector<std::string>& unreadable) {
  std::vector<Error> errors;
  std::optional<transform::Compensation> matrix;
  try {
    matrix = detail::load_matrix_compensation(config);
  } catch (const Error& e) {
    errors.push_back(e);
    return errors;
  }
  const auto used = names_used(config, strategy);
  std::map<std::string, Missing> missing_channel;  // panel channel -> files without it
  std::map<std::string, Missing> missing_name;     // name used -> files without it
  std::map<std::string, std::vector<std::string>> compensation;  // problem -> files
  std::size_t read = 0;
  for (const auto& entry : samples.samples) {
    fcs::Sample sample;
    try {
      fcs::ReadOptions options;
      options.read_events = false;
      sample = fcs::read_fcs(entry.path, options);
    } catch (const Error& e) {
      // As a run does: the file is listed in failures.csv and the batch goes on without it.
      unreadable.push_back(std::string(e.what()) + " (run lists this file in failures.csv and goes on)");
      continue;
    }
    ++read;
    const std::string& file = entry.name;
    // Compensation: the file's own matrix must be there and its detectors in the file.
    if (config.compensation.source != CompensationSource::None) {
      try {
        std::optional<transform::Compensation> own;
        const auto source = config.compensation.source == CompensationSource::File
                                ? transform::CompensationSource::File
                                : transform::CompensationSource::Matrix;
        if (const auto* c = transform::choose_compensation(source, matrix ? &*matrix : nullptr, sample, own,
                                                            "set 'compensation: none' or give a matrix"))
          (void)c->detector_columns(sample);
      } catch (const Error& e) {
        compensation[e.message()].push_back(file);
      }
    }
    // The panel: each marker's channel, then the markers as aliases.
    const auto cyt = sample.keywords.find("$CYT");
    std::set<std::string> unexplained;  // markers whose channel is missing: reported once, as the channel
    for (const auto& [marker, channel] : detail::panel_for(config.panel, cyt ? *cyt : std::string_view())) {
      if (const auto index = sample.find_channel(channel)) {
        sample.channels[*index].aliases.push_back(marker);
      } else {
        auto& m = missing_channel[channel];
        if (m.uses.empty() || m.uses.back().by != "panel." + marker)
          if (std::none_of(m.uses.begin(), m.uses.end(), [&](const Use& u) { return u.by == "panel." + marker; }))
            m.uses.push_back({config.panel.at.context("panel." + marker), "panel." + marker});
        note_missing(m, file, sample);
        unexplained.insert(marker);
      }
    }
    for (const auto& [name, uses] : used) {
      if (unexplained.count(name) || sample.find_channel(name)) continue;
      auto& m = missing_name[name];
      if (m.uses.empty()) m.uses = uses;
      note_missing(m, file, sample);
    }
  }
  for (const auto& [problem, files] : compensation) {
    errors.emplace_back(problem + ": " + std::to_string(files.size()) + " of " + std::to_string(read) +
                            " files: " + list_some(files),
                        config.compensation.at.context("compensation"));
  }
  for (const auto& [channel, m] : missing_channel) errors.push_back(missing_error(channel, m, read, "channel"));
  for (const auto& [name, m] : missing_name) errors.push_back(missing_error(name, m, read, "channel or marker"));
  return errors;
}

PipelineCheck check_pipeline(const Config& config) {
  PipelineCheck check;
  try {
    check.strategy = load_config_strategy(config);
    auto problems = strategy_problems(config, *check.strategy);
    check.errors.insert(check.errors.end(), problems.begin(), problems.end());
  } catch (const Error& e) {
    check.errors.push_back(e);
  }
  try {
    check.samples = resolve_samples(config, check.errors);
  } catch (const Error& e) {
    check.errors.push_back(e);
  }
  if (!check.samples) return check;
  // A sheet column a read-out reads (beads added, volume...) must be one of the samples' factors.
  for (const auto& r : config.readouts) {
    std::set<std::string> columns;
    collect_columns(r.parsed, columns);
    for (const auto& column : columns)
      if (std::find(check.samples->factor_names.begin(), check.samples->factor_names.end(), column) ==
          check.samples->factor_names.end()) {
        std::string message = "column '" + column + "' is not a column of the sample sheet";
        if (auto guess = yaml::closest_name(column, check.samples->factor_names); !guess.empty())
          message += " (did you mean '" + guess + "'?)";
        check.errors.emplace_back(message, r.expression_at.context("readouts." + r.name));
      }
  }
  if (check.strategy) {
    auto unknown = detail::unknown_pool_factors(*check.strategy, check.samples->factor_names);
    check.errors.insert(check.errors.end(), unknown.begin(), unknown.end());
  }
  check.warnings = check.samples->warnings;
  if (check.strategy) {
    auto problems = header_problems(config, *check.strategy, *check.samples, check.warnings);
    check.errors.insert(check.errors.end(), problems.begin(), problems.end());
  }
  for (const auto& w : design_warnings(config, *check.samples)) check.warnings.push_back(w.located());
  return check;
}

}  // namespace cytopipe::pipeline
