#include "cytopipe/pipeline/design_check.hpp"

#include <cmath>
#include <algorithm>
#include <map>

#include "pipeline/outputs.hpp"

namespace cytopipe::pipeline {
namespace {

// A percentage of the gate is what the percentile fixes on the controls (a channel statistic of
// the gate's events is still a measurement).
bool uses_population(const Expression& e, const std::string& population) {
  if (e.kind == Expression::Kind::Percent && e.population == population) return true;
  for (const auto& inner : e.inner)
    if (uses_population(inner, population)) return true;
  return false;
}

}  // namespace

std::vector<DesignWarning> threshold_control_warnings(const Config& config, const SampleSet& samples) {
  std::vector<DesignWarning> warnings;
  for (const auto& g : config.gating.thresholds) {
    for (const auto& r : config.readouts) {
      if (!uses_population(r.parsed, g.name)) continue;
      std::vector<std::string> fixed;  // controls of the gate that get it and are measured by r
      for (const auto& s : samples.samples)
        if (s.matches(g.control) && s.matches(g.applies_to) && s.matches(r.applies_to)) fixed.push_back(s.name);
      if (fixed.empty()) continue;
      std::string message = "read-out '" + r.name + "' measures threshold gate '" + g.name +
                            "' on " + std::to_string(fixed.size()) + " of its own control samples (" +
                            fixed.front() + (fixed.size() > 1 ? ", ..." : "") +
                            "): there its value is fixed by the percentile (" +
                            detail::format_number(100 - g.percentile) +
                            " % of the pooled controls above it), not measured";
      warnings.push_back({r.expression_at, std::move(message)});
    }
  }
  return warnings;
}

std::vector<DesignWarning> small_group_warnings(const Config& config, const SampleSet& samples) {
  std::vector<DesignWarning> warnings;
  for (const auto& a : config.analyses) {
    const auto r = std::find_if(config.readouts.begin(), config.readouts.end(),
                                [&](const ReadoutConfig& x) { return x.name == a.readout; });
    // stratum level -> group level -> files, in first-seen order of the strata
    std::vector<std::pair<std::string, std::map<std::string, std::vector<std::string>>>> strata;
    for (const auto& s : samples.samples) {
      if (!s.matches(a.select) || (r != config.readouts.end() && !s.matches(r->applies_to))) continue;
      const std::string stratum(a.stratum ? s.factor(*a.stratum).value_or("") : "");
      const std::string group(s.factor(a.group).value_or(""));
      auto it = std::find_if(strata.begin(), strata.end(), [&](const auto& x) { return x.first == stratum; });
      if (it == strata.end()) it = strata.insert(strata.end(), {stratum, {}});
      it->second[group].push_back(s.name);
    }
    std::size_t largest = 0;
    for (const auto& [stratum, groups] : strata)
      for (const auto& [group, files] : groups) largest = std::max(largest, files.size());
    for (const auto& [stratum, groups] : strata)
      for (const auto& [group, files] : groups) {
        if (files.size() >= largest) continue;
        std::string message = "analysis '" + (a.name.empty() ? a.readout : a.name) + "': group " + a.group + " = " +
                              group + (a.stratum ? " (" + *a.stratum + " = " + stratum + ")" : "") + " has n = " +
                              std::to_string(files.size()) + " where the design's largest group has n = " +
                              std::to_string(largest) + " (";
        for (std::size_t i = 0; i < files.size(); ++i) message += (i ? ", " : "") + files[i];
        message += "): a sample missing from the sheet or the folder?";
        warnings.push_back({a.at, std::move(message)});
      }
  }
  return warnings;
}

std::vector<DesignWarning> design_warnings(const Config& config, const SampleSet& samples) {
  auto warnings = threshold_control_warnings(config, samples);
  auto small = small_group_warnings(config, samples);
  warnings.insert(warnings.end(), small.begin(), small.end());
  return warnings;
}

}  // namespace cytopipe::pipeline
