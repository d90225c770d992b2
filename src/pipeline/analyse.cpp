#include "pipeline/analyse.hpp"

#include <time.h>

#include <bit>
#include <cmath>
#include <optional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/input_file.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "pipeline/gating_sheets.hpp"
#include "pipeline/pool.hpp"
#include "pipeline/pooled_finders.hpp"
#include "pipeline/prepare.hpp"

namespace cytopipe::pipeline::detail {
namespace {

// The values of the members, in event order, into `out` (`count` = the members' count).
void gather_members(std::span<const double> values, const gating::Membership& members, std::size_t count,
                    std::vector<double>& out) {
  out.resize(count);
  gating::gather(values, members, out);
}

// Gather buffers kept between samples (a few MB each).
using BufferPool = Pool<std::vector<double>>;

BufferPool& gather_buffers() {
  static BufferPool pool;
  return pool;
}

// Each statistic by gating's definition, on the same buffer: the sums first, in event order
// (as gating sums them), then the order statistics, which permute the buffer.
void compute_all(const std::vector<Statistic>& wanted, std::vector<double>& values,
                 std::map<Statistic, double>& out) {
  static constexpr Statistic order[] = {Statistic::Mean, Statistic::Sd, Statistic::Cv, Statistic::GeometricMean,
                                        Statistic::Median, Statistic::RobustSd, Statistic::RobustCv};
  for (auto s : order)
    if (std::find(wanted.begin(), wanted.end(), s) != wanted.end()) out[s] = gating::statistic(s, values);
}

// Every channel analyse_sample reads from this sample (names or panel markers): the strategy's
// dimensions (uncompensated ones: this is for gating while decoding), the read-outs' and the
// table's statistics, the report's histograms.
std::vector<std::string> channels_read(const Plan& plan, const gating::GatingStrategy& strategy,
                                       const SampleEntry& entry) {
  std::set<std::string> names;
  for (const auto& node : strategy.gates())
    for (const auto* d : gating::dimensions_of(node.gate)) {
      if (d->ratio) {
        names.insert(d->ratio->numerator);
        names.insert(d->ratio->denominator);
      } else {
        names.insert(d->channel);
      }
    }
  for (const auto& [population, statistics] : plan.needed)
    for (const auto& [channel, statistic] : statistics) {
      const auto scale = plan.scales.find(channel);
      names.insert(scale != plan.scales.end() ? scale->second.channel : channel);
    }
  if (!plan.table_statistics.empty()) names.insert(plan.table_channels.begin(), plan.table_channels.end());
  if (auto keep = plan.keep.find(entry.name); keep != plan.keep.end())
    for (const auto& [population, channel] : keep->second) names.insert(channel);
  return {names.begin(), names.end()};
}

Failure failure_of(const SampleEntry& entry, const StageError& e) {
  return {entry.name, e.stage(), e.what()};
}

}  // namespace

std::optional<transform::AcquisitionQc> acquisition_qc(const Config& config, fcs::Sample& sample,
                                                       const SampleEntry& entry) {
  if (!config.qc.present || !config.qc.enabled) return std::nullopt;
  transform::QcOptions options = config.qc.options;
  if (options.channels.empty())
    for (const auto& [marker, channel] : config.panel.markers)
      if (sample.find_channel(marker)) options.channels.push_back(marker);
  transform::AcquisitionQc qc;
  try {
    qc = transform::check_acquisition(sample, options);
    if (config.qc.remove) transform::remove_flagged(sample, qc);
  } catch (const Error& e) {
    throw StageError("qc", Error("acquisition QC: " + e.message(), {entry.path.string(), e.context().where, 0, 0}));
  }
  return qc;
}

gating::ControlThreshold control_threshold(const ThresholdGate& gate) {
  return {gate.name, gate.parent, gate.channel, gate.percentile};
}

void plan_sample_gates(Plan& plan, const SampleSet& samples) {
  const Config& config = *plan.config;
  plan.gating_set = gating::GatingSet(plan.strategy, samples.samples.size());
  plan.missing_thresholds.assign(samples.samples.size(), {});
  for (std::size_t i = 0; i < samples.samples.size(); ++i) {
    const SampleEntry& entry = samples.samples[i];
    for (std::size_t g = 0; g < config.gating.thresholds.size(); ++g) {
      const auto& gate = config.gating.thresholds[g];
      if (!entry.matches(gate.applies_to)) continue;
      const auto key = group_key(entry, gate.match);
      auto it = plan.thresholds[g].find(key);
      if (it == plan.thresholds[g].end()) {
        plan.missing_thresholds[i].push_back({entry.name, "threshold",
                                              "threshold gate '" + gate.name + "': no usable control sample (" +
                                                  describe(gate.control) + ") for " +
                                                  (key.empty() ? "this sample" : key) +
                                                  "; populations below it are not computed"});
        continue;
      }
      plan.gating_set.add_sample_gate(i, control_threshold(gate).gate(it->second.value));
    }
  }
}

gating::GatingStrategy sample_strategy(const Plan& plan, std::size_t index, const std::string& name) {
  if (!plan.frozen_run) return with_pooled_gates(plan, index, plan.gating_set.strategy_for(index));
  const auto it = plan.frozen.find(name);
  if (it == plan.frozen.end())
    throw StageError("gate", Error("--frozen-gates: no gates placed for this file in the frozen gates_resolved.yaml",
                                   {name, "placed", 0, 0}));
  return it->second;
}

std::map<std::string, gating::GatingStrategy> read_frozen_gates(const std::filesystem::path& file) {
  const std::string where = file.string();
  YAML::Node root;
  try {
    root = YAML::Load(read_input_file(file, "frozen gates"));
  } catch (const YAML::Exception& e) {
    throw Error(std::string("not a readable gates_resolved.yaml: ") + e.what(), {where, "", 0, 0});
  }
  const YAML::Node placed = root.IsMap() ? root["placed"] : YAML::Node();
  if (!placed || !placed.IsSequence())
    throw Error("no 'placed' list of per-file strategies (written by a run whose strategy has finder gates, or by a "
                "frozen run)", {where, "placed", 0, 0});
  std::map<std::string, gating::GatingStrategy> out;
  for (const auto& p : placed) {
    const auto mark = p.Mark();
    if (!p.IsMap() || !p["file"] || !p["strategy_yaml"] || !p["file"].IsScalar() || !p["strategy_yaml"].IsScalar())
      throw Error("each entry of 'placed' needs 'file' and 'strategy_yaml'", {where, "placed", mark.line + 1, mark.column + 1});
    const std::string name = p["file"].Scalar();
    out.insert_or_assign(name, gating::parse_strategy_yaml(p["strategy_yaml"].Scalar(), where + ": placed '" + name + "'"));
  }
  return out;
}

std::string describe(const Selector& selector) {
  std::string text;
  for (const auto& [factor, levels] : selector.conditions) {
    text += (text.empty() ? "" : ", ") + factor + "=";
    for (std::size_t i = 0; i < levels.size(); ++i) text += (i ? "|" : "") + levels[i];
  }
  return text;
}

std::string group_key(const SampleEntry& sample, const std::vector<std::string>& factors) {
  std::string key;
  for (const auto& f : factors) {
    const auto v = sample.factor(f);
    key += f + "=" + std::string(v ? *v : std::string_view("")) + ", ";
  }
  if (!key.empty()) key.resize(key.size() - 2);
  return key;
}

Plan make_plan(const Config& config, gating::GatingStrategy strategy) {
  Plan plan;
  plan.config = &config;
  plan.strategy = std::move(strategy);
  plan.matrix = load_matrix_compensation(config);
  for (const auto& r : config.readouts) {
    plan.readouts.push_back(r.parsed);
    // A channel statistic names its population last; record it per population.
    for_each_channel_statistic(plan.readouts.back(), [&](const Expression& e) {
      plan.needed[e.population].emplace(statistic_channel(e), e.statistic);
      if (e.scaled) {
        const auto* entry = transform_for(config, e.channel);
        if (!entry) throw Error("no transforms: entry for '" + e.channel + "'", r.expression_at.context("readouts." + r.name));
        plan.scales.try_emplace(statistic_channel(e), Plan::Scale{e.channel, entry->transform});
      }
    });
  }
  const auto& o = config.outputs;
  plan.table_count = plan.table_percent_parent = plan.table_percent_total = false;
  for (const auto& name : o.statistics) {
    if (name == "count") plan.table_count = true;
    else if (name == "percent_parent") plan.table_percent_parent = true;
    else if (name == "percent_total") plan.table_percent_total = true;
    else if (auto s = parse_statistic(name)) plan.table_statistics.push_back(*s);
  }
  plan.table_channels = o.channels;
  if (plan.table_channels.empty())
    for (const auto& [marker, channel] : config.panel.markers) plan.table_channels.push_back(marker);
  plan.thresholds.resize(config.gating.thresholds.size());
  return plan;
}

void plan_histograms(Plan& plan, const SampleSet& samples) {
  const Config& config = *plan.config;
  if (!config.outputs.report) return;
  for (std::size_t a = 0; a < config.analyses.size(); ++a) {
    const auto& analysis = config.analyses[a];
    std::size_t r = 0;
    while (r < config.readouts.size() && config.readouts[r].name != analysis.readout) ++r;
    if (r == config.readouts.size()) continue;
    // The marker: a channel statistic's channel, or the channel a threshold gate is set on (in
    // its parent, so both sides of the threshold show). Other read-outs have no single marker.
    const Expression& e = plan.readouts[r];
    Plan::Histogram h;
    h.analysis = a;
    if (e.kind == Expression::Kind::Channel) {
      h.population = e.population;
      h.channel = e.channel;
    } else if (e.kind == Expression::Kind::Percent) {
      for (const auto& gate : config.gating.thresholds)
        if (gate.name == e.population) {
          h.population = gate.parent;
          h.channel = gate.channel;
        }
    }
    if (h.channel.empty()) continue;
    for (const auto& s : samples.samples) {
      if (!s.matches(analysis.select) || !s.matches(config.readouts[r].applies_to)) continue;
      const std::string stratum = analysis.stratum ? std::string(s.factor(*analysis.stratum).value_or("")) : "all";
      const std::string group(s.factor(analysis.group).value_or(""));
      if (h.samples.try_emplace({stratum, group}, s.name).second) plan.keep[s.name].emplace(h.population, h.channel);
    }
    if (!h.samples.empty()) plan.histograms.push_back(std::move(h));
  }
}

SampleOutcome analyse_sample(const Plan& plan, std::size_t index, const SampleEntry& entry, std::string* sha256) {
  SampleOutcome out;
  const Config& config = *plan.config;
  try {
    // This sample's strategy: the loaded one plus the threshold gates of its group.
    out.problems = plan.frozen_run ? std::vector<Failure>() : plan.missing_thresholds.at(index);
    gating::GatingStrategy strategy = [&] {
      try {
        return sample_strategy(plan, index, entry.name);
      } catch (const Error&) {
        // Not read (e.g. its group's pooled gate could not be placed), but hashed: a rerun can
        // tell the file is unchanged, so a shard holding it is reused.
        if (sha256) try {
            *sha256 = sha256_file(entry.path);
          } catch (const Error&) {
          }
        throw;
      }
    }();
    // A control's finders were placed when its threshold values were measured, on the same
    // events (read, compensated and cleaned alike) and the same strategy but for the threshold
    // gates, which no finder descends from: the file is gated with those gates, not placed again.
    const PlacedFinders* placed_before =
        !plan.frozen_run && index < plan.placed_on_controls.size() && plan.placed_on_controls[index]
            ? &*plan.placed_on_controls[index]
            : nullptr;
    if (placed_before)
      for (const auto& [id, gate] : placed_before->gates) strategy.replace(id, gate);

    gating::GateOptions gate_options;
    gate_options.parallel = plan.parallel_within_file;
    auto gate_error = [&](const Error& e) {
      return StageError("gate", Error(e.message(), {entry.path.string(), e.context().where, 0, 0}));
    };
    gating::GatingResults gated;
    fcs::Sample sample;
    gating::GatingStrategy placed_gates;  // with finders: the strategy as placed on this file
    const gating::GatingStrategy* drawn = &strategy;
    // With acquisition QC the whole file is read first: which events are gated depends on it.
    const bool qc = config.qc.present && config.qc.enabled;
    if (!qc && gating::gates_while_decoding(strategy) && !strategy.has_finders()) {
      // Gate each chunk as it is decoded and compensated, while its values are in cache.
      std::optional<gating::GatingRun> run;
      Streaming streaming;
      streaming.ready = [&](fcs::Sample& s) {
        try {
          run.emplace(strategy, s, gate_options);
        } catch (const Error& e) {
          throw gate_error(e);
        }
      };
      streaming.decoded = [&](std::size_t first, std::size_t count) { run->evaluate(first, count); };
      // Channels nothing reads are not decoded: for a typical panel that is a third or more of
      // the file's values never converted or written.
      streaming.channels = channels_read(plan, strategy, entry);
      sample = prepare_sample(config, entry, plan.matrix, sha256, plan.parallel_within_file, &streaming);
      if (!run) throw Error("internal: the reader did not announce the sample");  // it always does
      gated = run->finish();
    } else {
      sample = prepare_sample(config, entry, plan.matrix, sha256, plan.parallel_within_file);
      out.qc = acquisition_qc(config, sample, entry);
      try {
        if (strategy.has_finders()) {
          // Finder gates are placed on this file's events before it is gated.
          gating::PlacedGates placed = gating::place_gates(strategy, sample, gate_options);
          gated = std::move(placed.results);
          out.finder_reports = std::move(placed.reports);
          out.placed_strategy = gating::to_yaml(placed.strategy);
          placed_gates = std::move(placed.strategy);
          drawn = &placed_gates;
        } else {
          gated = gating::gate_sample(strategy, sample, gate_options);
          if (plan.frozen_run) out.placed_strategy = gating::to_yaml(strategy);
        }
      } catch (const Error& e) {
        throw gate_error(e);
      }
    }
    out.events = out.qc ? out.qc->events : sample.event_count();
    if (placed_before) {
      // As place_gates reports them: the fraction each finder's gate keeps of its parent here.
      out.finder_reports = placed_before->reports;
      for (auto& r : out.finder_reports) {
        const double parent = static_cast<double>(gated.parent_count(r.gate));
        r.fraction = parent > 0 ? static_cast<double>(gated.count(r.gate)) / parent : 0.0;
      }
      out.placed_strategy = gating::to_yaml(strategy);
    }
    if (index < plan.draw_sheet.size() && plan.draw_sheet[index]) {
      // As the report's gating section draws it from the file read again (gating_sheets).
      StoredSheet sheet;
      // CPU time of this thread: on a shared node, wall time mostly measures the other jobs.
      const auto cpu_now = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
      };
      const double t = cpu_now();
      try {
        sheet.layout = gating_sheet_layout(*drawn, sample, gated, report_sheet_options(config, entry.name));
      } catch (const Error& e) {
        sheet.problem = e.message();
      }
      out.sheet = std::move(sheet);
      out.sheet_seconds = cpu_now() - t;
    }
    if (!plan.pooled.empty()) {
      // Gates placed on this file's pooled group: what they saw (over the pool), the fraction
      // kept in this file; and the strategy as applied, for --frozen-gates.
      std::vector<gating::FinderReport> reports;
      for (const auto& p : plan.pooled.at(index).gates) {
        gating::FinderReport r = p.report;
        const double parent = static_cast<double>(gated.parent_count(r.gate));
        r.fraction = parent > 0 ? static_cast<double>(gated.count(r.gate)) / parent : 0.0;
        reports.push_back(std::move(r));
      }
      reports.insert(reports.end(), out.finder_reports.begin(), out.finder_reports.end());
      out.finder_reports = std::move(reports);
      if (out.placed_strategy.empty()) out.placed_strategy = gating::to_yaml(strategy);
    }

    if (auto keep = plan.keep.find(entry.name); keep != plan.keep.end()) {
      for (const auto& [population, channel] : keep->second) {
        const auto* pop = gated.find(population);
        if (!pop) continue;  // e.g. a threshold gate without a control: reported elsewhere
        std::span<const double> values;
        try {
          values = sample.values(channel);
        } catch (const Error&) {
          continue;  // the read-out on this channel reports it
        }
        std::vector<double> all;
        gather_members(values, pop->members, pop->count, all);
        const std::size_t stride = (all.size() + kHistogramValues - 1) / kHistogramValues;
        auto& kept = out.histograms[{population, channel}];
        kept.reserve(all.size() / std::max<std::size_t>(stride, 1) + 1);
        for (std::size_t i = 0; i < all.size(); i += stride) kept.push_back(all[i]);
        if (const auto* t = transform_for(config, channel)) t->transform.apply(kept, kept);
      }
    }

    out.values.total_events = static_cast<double>(gated.events());
    for (const auto& [k, v] : entry.factors) out.values.factors[k] = v;
    if (const auto vol = sample.keywords.find("$VOL")) {
      try {
        out.values.volume_uL = volume_microlitres(*vol);
      } catch (const Error& e) {
        out.values.volume_problem = e.message();
      }
    } else {
      out.values.volume_problem = "the file has no $VOL keyword (acquired volume)";
    }
    BufferPool::Lease lease(gather_buffers());
    std::vector<double>& buffer = lease.get();
    for (const auto& pop : gated.populations()) {
      auto& pv = out.values.populations[pop.name];
      pv.parent = pop.parent;
      pv.count = static_cast<double>(pop.count);
      gating::append_count_rows(out.rows, gated, pop,
                                {plan.table_count, plan.table_percent_parent, plan.table_percent_total});

      // Channels: those of the table (all statistics asked) and those the read-outs need here.
      std::map<std::string, std::vector<Statistic>> wanted;
      for (const auto& ch : plan.table_channels) wanted[ch] = plan.table_statistics;
      if (auto it = plan.needed.find(pop.name); it != plan.needed.end())
        for (const auto& [ch, s] : it->second)
          if (std::find(wanted[ch].begin(), wanted[ch].end(), s) == wanted[ch].end()) wanted[ch].push_back(s);
      for (const auto& [channel, stats] : wanted) {
        if (stats.empty()) continue;
        const auto scale = plan.scales.find(channel);
        const std::string& source = scale != plan.scales.end() ? scale->second.channel : channel;
        std::span<const double> values;
        try {
          values = sample.values(source);
        } catch (const Error& e) {
          throw StageError("statistics", Error(e.message(), {entry.path.string(), source, 0, 0}));
        }
        gather_members(values, pop.members, pop.count, buffer);
        if (scale != plan.scales.end()) scale->second.transform.apply(buffer, buffer);
        std::map<Statistic, double> computed;
        compute_all(stats, buffer, computed);
        for (const auto& [s, v] : computed) {
          pv.statistics[{channel, s}] = v;
          if (std::find(plan.table_statistics.begin(), plan.table_statistics.end(), s) != plan.table_statistics.end() &&
              std::find(plan.table_channels.begin(), plan.table_channels.end(), channel) != plan.table_channels.end())
            out.rows.push_back({pop.name, pop.parent, std::string(to_string(s)), channel, v});
        }
      }
    }
    // What each finder saw, after the file's population rows (none without finders).
    gating::append_finder_rows(out.rows, out.finder_reports);
    out.analysed = true;
  } catch (const StageError& e) {
    out.failure = failure_of(entry, e);
  } catch (const Error& e) {
    out.failure = Failure{entry.name, "analyse", e.what()};
  } catch (const std::exception& e) {
    // Allocation failures and the like: still one file's problem, not the batch's.
    out.failure = Failure{entry.name, "analyse", std::string("internal error: ") + e.what()};
  }
  return out;
}

ControlOutcome measure_control(const Plan& plan, std::size_t index, const SampleEntry& entry,
                               const std::vector<std::size_t>& gates) {
  ControlOutcome out;
  const Config& config = *plan.config;
  try {
    fcs::Sample sample = prepare_sample(config, entry, plan.matrix, nullptr, plan.parallel_within_file);
    out.events = sample.event_count();
    acquisition_qc(config, sample, entry);  // controls are cleaned as the samples they serve
    gating::GateOptions gate_options;
    gate_options.parallel = plan.parallel_within_file;
    gating::GatingResults gated;
    try {
      // A control is gated with its own placed finder gates (frozen ones in a frozen run).
      const auto frozen = plan.frozen.find(entry.name);
      const gating::GatingStrategy strategy =
          frozen != plan.frozen.end() ? frozen->second : with_pooled_gates(plan, index, plan.strategy);
      if (strategy.has_finders()) {
        gating::PlacedGates placed = gating::place_gates(strategy, sample, gate_options);
        PlacedFinders kept;
        for (const auto& r : placed.reports) kept.gates.emplace_back(r.gate, placed.strategy.find_gate(r.gate)->gate);
        kept.reports = std::move(placed.reports);
        out.placed = std::move(kept);
        gated = std::move(placed.results);
      } else {
        gated = gating::gate_sample(strategy, sample, gate_options);
      }
    } catch (const Error& e) {
      throw StageError("gate", Error(e.message(), {entry.path.string(), e.context().where, 0, 0}));
    }
    for (auto g : gates) {
      const auto& gate = config.gating.thresholds[g];
      try {
        out.values.emplace_back(g, control_threshold(gate).control_values(sample, gated));
      } catch (const Error& e) {
        throw StageError("threshold", Error(e.message(), {entry.path.string(), gate.channel, 0, 0}));
      }
    }
  } catch (const StageError& e) {
    out.failure = failure_of(entry, e);
  } catch (const Error& e) {
    out.failure = Failure{entry.name, "threshold", e.what()};
  } catch (const std::exception& e) {
    out.failure = Failure{entry.name, "threshold", std::string("internal error: ") + e.what()};
  }
  return out;
}

}  // namespace cytopipe::pipeline::detail
