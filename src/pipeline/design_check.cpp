#include "cytopipe/pipeline/design_check.hpp"

#include <cmath>

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

}  // namespace cytopipe::pipeline
