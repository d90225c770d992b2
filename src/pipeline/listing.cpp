#include "cytopipe/pipeline/listing.hpp"

#include <algorithm>
#include <iomanip>

#include "cytopipe/pipeline/design_check.hpp"
#include "cytopipe/pipeline/readout.hpp"

namespace cytopipe::pipeline {

void print_plan(std::ostream& out, const Config& config, const gating::GatingStrategy& strategy,
                const SampleSet& samples) {
  out << "pipeline " << config.name << " (" << config.file.string() << "): valid\n";
  out << samples.samples.size() << " samples\n";
  // A fixed-width table: file, then every factor that is set for at least one sample.
  std::vector<std::string> columns;
  for (const auto& f : samples.factor_names)
    if (std::any_of(samples.samples.begin(), samples.samples.end(),
                    [&](const auto& s) { auto v = s.factor(f); return v && !v->empty(); }))
      columns.push_back(f);
  std::vector<std::size_t> width = {4};
  for (const auto& s : samples.samples) width[0] = std::max(width[0], s.name.size());
  for (const auto& c : columns) {
    std::size_t w = c.size();
    for (const auto& s : samples.samples) w = std::max(w, s.factor(c).value_or("").size());
    width.push_back(w);
  }
  out << "  " << std::left << std::setw(static_cast<int>(width[0])) << "file";
  for (std::size_t i = 0; i < columns.size(); ++i) out << "  " << std::setw(static_cast<int>(width[i + 1])) << columns[i];
  out << '\n';
  for (const auto& s : samples.samples) {
    out << "  " << std::setw(static_cast<int>(width[0])) << s.name;
    for (std::size_t i = 0; i < columns.size(); ++i)
      out << "  " << std::setw(static_cast<int>(width[i + 1])) << std::string(s.factor(columns[i]).value_or(""));
    out << '\n';
  }
  out << std::right;
  for (const auto& n : samples.notices) out << "notice: " << n << '\n';
  out << "populations:";
  for (const auto& p : strategy.populations()) out << ' ' << p.name;
  out << '\n';
  for (const auto& g : config.gating.thresholds) {
    std::size_t controls = 0;
    for (const auto& s : samples.samples) controls += s.matches(g.control);
    out << "threshold gate " << g.name << ": " << g.channel << " above percentile " << g.percentile << " of "
        << g.parent << " in " << controls << " control samples";
    if (!g.match.empty()) {
      out << ", matched by";
      for (const auto& m : g.match) out << ' ' << m;
    }
    out << '\n';
  }
  for (const auto& w : samples.warnings) out << "warning: " << w << '\n';
  for (const auto& w : design_warnings(config, samples)) out << "warning: " << w.located() << '\n';
  for (const auto& r : config.readouts) {
    out << "read-out " << r.name << " = " << to_string(r.parsed) << ": " << formula(r.parsed) << '\n';
  }
}

}  // namespace cytopipe::pipeline
