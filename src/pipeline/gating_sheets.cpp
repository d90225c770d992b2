#include "pipeline/gating_sheets.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/find_gates.hpp"
#include "pipeline/analyse.hpp"
#include "cytopipe/pipeline/gating_sheet.hpp"
#include "cytopipe/plot/number_format.hpp"
#include "cytopipe/stats/levels.hpp"
#include "pipeline/prepare.hpp"

namespace cytopipe::pipeline {

GatingSheet gating_sheet_for_file(const Config& config, const std::filesystem::path& file, GatingSheetOptions options) {
  const gating::GatingStrategy strategy = load_checked_strategy(config);
  SampleEntry entry;
  entry.path = file;
  entry.name = file.filename().string();
  const fcs::Sample sample = detail::prepare_sample(config, entry, detail::load_matrix_compensation(config));
  // Finder gates are drawn as placed on this file.
  gating::PlacedGates placed = gating::place_gates(strategy, sample);
  const gating::GatingStrategy& drawn = placed.strategy;
  const gating::GatingResults& results = placed.results;
  if (!options.display_scale)
    options.display_scale = [&config](std::string_view channel) -> const transform::Transform* {
      const auto* t = transform_for(config, channel);
      return t ? &t->transform : nullptr;
    };
  return gating_sheet(drawn, sample, results, options);
}

namespace detail {
namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// % of parent of every population of an analysed sample.
std::map<std::string, double> percents_of(const SampleOutcome& o) {
  std::map<std::string, double> out;
  for (const auto& [name, p] : o.values.populations) {
    double parent = o.values.total_events;
    if (!p.parent.empty()) {
      auto it = o.values.populations.find(p.parent);
      if (it == o.values.populations.end()) continue;
      parent = it->second.count;
    }
    if (parent > 0) out[name] = 100.0 * p.count / parent;
  }
  return out;
}

}  // namespace

std::vector<SheetChoice> choose_sheet_samples(const Config& config, const SampleSet& samples,
                                              const std::vector<SampleOutcome>& outcomes) {
  std::vector<SheetChoice> chosen;
  std::set<std::size_t> taken;
  // (analysis, stratum, group) -> samples, in file-name order (the sample set's order).
  std::map<std::tuple<std::size_t, std::string, std::string>, std::vector<std::size_t>> groups;
  std::vector<std::tuple<std::size_t, std::string, std::string>> order;
  for (std::size_t a = 0; a < config.analyses.size(); ++a) {
    const auto& analysis = config.analyses[a];
    for (std::size_t i = 0; i < samples.samples.size() && i < outcomes.size(); ++i) {
      const auto& s = samples.samples[i];
      if (!outcomes[i].analysed || !s.matches(analysis.select)) continue;
      const std::string stratum = analysis.stratum ? std::string(s.factor(*analysis.stratum).value_or("")) : "";
      const std::string group(s.factor(analysis.group).value_or(""));
      auto key = std::make_tuple(a, stratum, group);
      auto [it, added] = groups.try_emplace(key);
      if (added) order.push_back(key);
      it->second.push_back(i);
    }
  }
  // Representatives, strata and groups in their level order.
  for (std::size_t a = 0; a < config.analyses.size(); ++a) {
    const auto& analysis = config.analyses[a];
    std::vector<std::string> strata, levels;
    for (const auto& [key, members] : groups)
      if (std::get<0>(key) == a) strata.push_back(std::get<1>(key)), levels.push_back(std::get<2>(key));
    for (const auto& stratum : stats::ordered_levels(strata))
      for (const auto& level : stats::ordered_levels(levels)) {
        auto it = groups.find({a, stratum, level});
        if (it == groups.end()) continue;
        const std::size_t first = it->second.front();
        if (!taken.insert(first).second) continue;
        std::string why = "representative of ";
        if (analysis.stratum) why += *analysis.stratum + " " + stratum + ", ";
        chosen.push_back({first, why + analysis.group + " " + level});
      }
  }
  // Outliers of their group.
  for (const auto& key : order) {
    const auto& members = groups.at(key);
    if (members.size() < 3) continue;
    std::map<std::string, std::vector<double>> by_population;
    std::vector<std::map<std::string, double>> percents;
    for (std::size_t i : members) {
      percents.push_back(percents_of(outcomes[i]));
      for (const auto& [name, pct] : percents.back()) by_population[name].push_back(pct);
    }
    for (std::size_t m = 0; m < members.size(); ++m) {
      if (taken.count(members[m])) continue;
      std::string reasons;
      for (const auto& [name, all] : by_population) {
        if (all.size() < 3) continue;
        const double med = median_of(all);
        std::vector<double> dev;
        for (double v : all) dev.push_back(std::abs(v - med));
        const double limit = std::max(10.0, 3 * 1.4826 * median_of(dev));
        auto it = percents[m].find(name);
        if (it == percents[m].end() || std::abs(it->second - med) <= limit) continue;
        reasons += std::string(reasons.empty() ? "" : "; ") + name + " " + plot::format_significant(it->second, 3) +
                   " % of parent vs the group's median " + plot::format_significant(med, 3) + " %";
      }
      if (reasons.empty()) continue;
      taken.insert(members[m]);
      chosen.push_back({members[m], "outlier of its group: " + reasons});
    }
  }
  return chosen;
}

std::vector<bool> likely_sheet_samples(const Config& config, const SampleSet& samples) {
  std::vector<bool> likely(samples.samples.size(), false);
  for (const auto& analysis : config.analyses) {
    std::set<std::pair<std::string, std::string>> seen;  // (stratum, group)
    for (std::size_t i = 0; i < samples.samples.size(); ++i) {
      const auto& s = samples.samples[i];
      if (!s.matches(analysis.select)) continue;
      const std::string stratum = analysis.stratum ? std::string(s.factor(*analysis.stratum).value_or("")) : "";
      if (seen.emplace(stratum, std::string(s.factor(analysis.group).value_or(""))).second) likely[i] = true;
    }
  }
  return likely;
}

GatingSheetOptions report_sheet_options(const Config& config, const std::string& name) {
  GatingSheetOptions options;
  options.display_scale = [&config](std::string_view channel) -> const transform::Transform* {
    const auto* t = transform_for(config, channel);
    return t ? &t->transform : nullptr;
  };
  options.columns = 4;
  options.panel_size = 120;
  options.bins = 96;
  options.max_events = 30000;
  options.title = name;
  return options;
}

std::vector<SheetFigure> gating_sheets(const Plan& plan, const SampleSet& samples,
                                       const std::vector<SheetChoice>& chosen, std::vector<std::string>& summary) {
  const Config& config = *plan.config;
  std::vector<SheetFigure> out;
  for (const auto& choice : chosen) {
    const SampleEntry& entry = samples.samples.at(choice.sample);
    try {
      std::optional<StoredSheet> stored = plan.stored_sheet ? plan.stored_sheet(choice.sample) : std::nullopt;
      if (!stored) {
        fcs::Sample sample = prepare_sample(config, entry, plan.matrix, nullptr, true);
        // The events the run gated: with acquisition QC, its flagged bins removed.
        acquisition_qc(config, sample, entry);
        // The file's strategy with its finder gates placed (or frozen) as the run placed them.
        gating::PlacedGates placed = gating::place_gates(sample_strategy(plan, choice.sample, entry.name), sample);
        stored.emplace();
        stored->layout = gating_sheet_layout(placed.strategy, sample, placed.results, report_sheet_options(config, entry.name));
      }
      if (!stored->layout) throw Error(stored->problem);
      out.push_back({entry.name, choice.why, gating_sheet_figure(std::move(*stored->layout), {choice.why})});
    } catch (const Error& e) {
      summary.push_back("gating sheet of " + entry.name + " skipped: " + e.message());
    }
  }
  return out;
}

}  // namespace detail
}  // namespace cytopipe::pipeline
