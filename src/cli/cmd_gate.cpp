// cytopipe gate --strategy FILE.yaml|FILE.xml DATA.fcs... [--events OUT.csv] [--stats OUT.csv]
// Applies a gating strategy to FCS files (in parallel) and writes a tidy statistics table (one
// row per sample x population x statistic x channel) and, optionally, per-event membership.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include <tbb/parallel_for.h>

#include "cli/command.hpp"
#include "cytopipe/atomic_file.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/gating.hpp"

namespace cytopipe::cli {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "NA";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string csv(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

struct GateCommand {
  std::string strategy_file;
  std::vector<std::string> files;
  std::string events_out;
  std::string stats_out;
  std::vector<std::string> channels;
  std::string compensation = "none";
  std::string values = "auto";
  std::vector<double> percentiles = {5, 25, 75, 95};

  struct Gated {
    fcs::Sample sample;
    gating::GatingResults results;
  };

  int run() const {
    const auto strategy = gating::load_strategy(strategy_file);
    fcs::ReadOptions read;
    const bool xml = strategy_file.ends_with(".xml") || strategy_file.ends_with(".XML");
    if (values == "gain" || (values == "auto" && xml)) read.values = fcs::ValueRule::FlowCoreWithGain;
    else read.values = fcs::ValueRule::FlowCore;

    // Samples in parallel; each gating is itself parallel over blocks of events.
    std::vector<std::optional<Gated>> gated(files.size());
    tbb::parallel_for(std::size_t{0}, files.size(), [&](std::size_t i) {
      fcs::Sample sample = fcs::read_fcs(files[i], read);
      auto results = gating::gate_sample(strategy, sample);
      gated[i].emplace(Gated{std::move(sample), std::move(results)});
    });

    // Summary on stdout: counts per population.
    for (const auto& g : gated) {
      std::cout << g->sample.source << " (" << g->results.events() << " events)\n";
      for (const auto& p : g->results.populations()) {
        const double parent = static_cast<double>(g->results.parent_count(p.name));
        std::cout << "  " << p.path << "  " << p.count << "  ("
                  << number(parent > 0 ? 100.0 * static_cast<double>(p.count) / parent : NAN)
                  << "% of parent)\n";
      }
    }
    if (!stats_out.empty()) write_stats(strategy, gated);
    if (!events_out.empty()) write_events(gated);
    return 0;
  }

  void write_stats(const gating::GatingStrategy& strategy,
                   const std::vector<std::optional<Gated>>& gated) const {
    gating::StatisticsOptions options;
    options.percentiles = percentiles;
    write_file_atomically(stats_out, [&](std::ostream& out) {
      out << "sample,population,path,parent,statistic,channel,value\n";
      for (const auto& g : gated) {
        const auto& s = g->sample;
        std::vector<std::string> names = channels;
        if (names.empty())
          for (const auto& c : s.channels) names.push_back(c.name);
        // One column of values per channel, computed once for every population.
        std::vector<std::vector<double>> columns;
        for (const auto& name : names) {
          gating::Dimension d;
          d.channel = name;
          if (compensation == "file") d.compensation = std::string(gating::kFileCompensation);
          columns.push_back(gating::dimension_values(strategy, s, d));
        }
        for (const auto& p : g->results.populations()) {
          const std::string head = csv(s.source) + ',' + csv(p.name) + ',' + csv(p.path) + ',' +
                                   csv(p.parent) + ',';
          const auto parent_count = g->results.parent_count(p.name);
          const auto events = g->results.events();
          out << head << "count,," << p.count << '\n';
          out << head << "percent_parent,,"
              << number(parent_count ? 100.0 * static_cast<double>(p.count) / static_cast<double>(parent_count) : NAN) << '\n';
          out << head << "percent_total,,"
              << number(events ? 100.0 * static_cast<double>(p.count) / static_cast<double>(events) : NAN) << '\n';
          for (std::size_t c = 0; c < names.size(); ++c) {
            const auto st = gating::population_statistics(columns[c], p.members, parent_count, events, options);
            const std::string ch = csv(names[c]);
            auto row = [&](const std::string& stat, double v) {
              out << head << stat << ',' << ch << ',' << number(v) << '\n';
            };
            row("mean", st.mean);
            row("median", st.median);
            row("geomean", st.geometric_mean);
            row("geomean_excluded", static_cast<double>(st.geometric_mean_excluded));
            row("mode", st.mode);
            row("sd", st.sd);
            row("cv", st.cv);
            row("robust_sd", st.robust_sd);
            row("robust_cv", st.robust_cv);
            for (const auto& [pct, v] : st.percentiles) row("p" + number(pct), v);
          }
        }
      }
    });
  }

  void write_events(const std::vector<std::optional<Gated>>& gated) const {
    write_file_atomically(events_out, [&](std::ostream& out) {
      out << "sample,event";
      for (const auto& p : gated.front()->results.populations()) out << ',' << csv(p.name);
      out << '\n';
      std::string line;
      for (const auto& g : gated) {
        const std::string source = csv(g->sample.source);
        const auto& pops = g->results.populations();
        for (std::size_t e = 0; e < g->results.events(); ++e) {
          line = source;
          line += ',';
          line += std::to_string(e + 1);
          for (const auto& p : pops) {
            line += ',';
            line += p.members.test(e) ? '1' : '0';
          }
          line += '\n';
          out << line;
        }
      }
    });
  }
};

const RegisterCommand registered{Command{
    "gate", "apply a gating strategy (YAML or Gating-ML 2.0) to FCS files",
    [](CLI::App& app) -> std::function<int()> {
      auto cmd = std::make_shared<GateCommand>();
      app.add_option("--strategy", cmd->strategy_file, "gating strategy: gating/*.yaml or Gating-ML 2.0 .xml")
          ->required()
          ->check(CLI::ExistingFile);
      app.add_option("files", cmd->files, "FCS files")->required()->check(CLI::ExistingFile);
      app.add_option("--events", cmd->events_out, "write per-event 0/1 membership (one column per population) to this CSV");
      app.add_option("--stats", cmd->stats_out,
                     "write the tidy statistics table (sample, population, statistic, channel, value) to this CSV");
      app.add_option("--channels", cmd->channels, "channels for per-channel statistics (default: all)")->delimiter(',');
      app.add_option("--compensation", cmd->compensation, "statistics on 'none' or 'file' (spillover) compensated values")
          ->check(CLI::IsMember({"none", "file"}));
      app.add_option("--values", cmd->values,
                     "value preparation: 'auto' (Gating-ML files: linear channels divided by $PnG), 'flowcore', 'gain'")
          ->check(CLI::IsMember({"auto", "flowcore", "gain"}));
      app.add_option("--percentiles", cmd->percentiles, "percentiles to report (default 5,25,75,95)")->delimiter(',');
      return [cmd] { return cmd->run(); };
    }}};

}  // namespace
}  // namespace cytopipe::cli
