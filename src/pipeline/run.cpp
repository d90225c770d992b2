// The run: inputs -> thresholds from controls -> every sample -> read-outs -> outputs.
#include "cytopipe/pipeline/run.hpp"

#include <tbb/task_arena.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <utility>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "pipeline/analyse.hpp"
#include "pipeline/gating_sheets.hpp"
#include "pipeline/input_hashes.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/output_set.hpp"
#include "pipeline/outputs.hpp"
#include "pipeline/pooled_finders.hpp"
#include "pipeline/run_steps.hpp"

namespace cytopipe::pipeline {
namespace detail {
namespace {

std::vector<std::pair<std::string, std::string>> group_of(const SampleEntry& s, const std::vector<std::string>& factors) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : factors) out.emplace_back(f, std::string(s.factor(f).value_or("")));
  return out;
}

// The populations whose size a read-out's value rests on (its denominators and statistic
// populations), with their event counts in this sample; "" = all events.
void denominators(const Expression& e, const SampleValues& values, std::vector<std::pair<std::string, double>>& out) {
  auto count_of = [&](const std::string& population) -> std::optional<double> {
    if (population.empty()) return values.total_events;
    const auto it = values.populations.find(population);
    if (it == values.populations.end()) return std::nullopt;
    return it->second.count;
  };
  auto add = [&](const std::string& population) {
    if (const auto n = count_of(population)) out.emplace_back(population, *n);
  };
  switch (e.kind) {
    case Expression::Kind::Count:
    case Expression::Kind::Concentration: break;  // the count itself, not a ratio of two
    case Expression::Kind::Percent: {
      if (!e.parent.empty()) {
        add(e.parent);
      } else if (const auto it = values.populations.find(e.population); it != values.populations.end()) {
        add(it->second.parent);
      }
      break;
    }
    case Expression::Kind::Channel: add(e.population); break;
    case Expression::Kind::AbsoluteCount: add(e.beads); break;
    case Expression::Kind::SpecificLysis:
    case Expression::Kind::Killing:
      for (const auto& inner : e.inner) denominators(inner, values, out);
      break;
  }
}

// Read-outs whose value rests on fewer than min_events events (an empty population is a failure
// of its own, reported by the evaluation).
void low_count_warnings(const Plan& plan, const std::vector<SampleOutcome>& outcomes, RunResult& result) {
  const Config& config = *plan.config;
  if (config.min_events == 0) return;
  const auto& samples = result.samples.samples;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!outcomes[i].analysed) continue;
    for (std::size_t r = 0; r < config.readouts.size(); ++r) {
      if (!samples[i].matches(config.readouts[r].applies_to)) continue;
      std::vector<std::pair<std::string, double>> pops;
      denominators(plan.readouts[r], outcomes[i].values, pops);
      for (const auto& [population, n] : pops) {
        if (n <= 0 || n >= static_cast<double>(config.min_events)) continue;
        result.warnings.push_back({samples[i].name, "low_count",
                                   config.readouts[r].name + ": " +
                                       (population.empty() ? std::string("the file") : "population '" + population + "'") +
                                       " holds " + format_number(n, kTableNumber) + " events, fewer than min_events (" +
                                       std::to_string(config.min_events) + "); the value is given but rests on few cells"});
      }
    }
  }
}

// Files whose acquisition QC removed events, failed or could not be done.
void qc_warnings(const std::vector<SampleOutcome>& outcomes, RunResult& result) {
  const auto& samples = result.samples.samples;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& qc = outcomes[i].qc;
    if (!qc || qc->verdict == transform::QcVerdict::Pass) continue;
    std::string text = std::string(transform::to_string(qc->verdict));
    if (qc->removed_events) {
      char pct[32];
      std::snprintf(pct, sizeof pct, "%.3g", 100 * qc->removed_fraction());
      text += ", " + std::string(pct) + " % of events removed";
    } else if (qc->verdict == transform::QcVerdict::Flagged) {
      text += ", nothing removed (qc.remove: false or empty bins)";
    }
    result.warnings.push_back({samples[i].name, "qc", text + ": " + qc->reason});
  }
}

// Read-outs need every sample's values (controls are other samples), so they come last.
void compute_readouts(const Plan& plan, const std::vector<SampleOutcome>& outcomes, RunResult& result) {
  const Config& config = *plan.config;
  const auto& samples = result.samples.samples;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ReadoutRow row;
    row.sample = &samples[i];
    if (config.qc.present) {
      row.qc.emplace();
      if (const auto& qc = outcomes[i].qc) {
        row.qc->verdict = std::string(transform::to_string(qc->verdict));
        row.qc->removed_pct = 100 * qc->removed_fraction();
        row.qc->reason = qc->reason;
      } else if (config.qc.enabled) {
        row.qc->removed_pct = std::nan("");  // the file was not analysed
      } else {
        row.qc->verdict = "off";
      }
    }
    row.values.assign(config.readouts.size(), std::nan(""));
    if (outcomes[i].analysed) {
      for (std::size_t r = 0; r < config.readouts.size(); ++r) {
        const auto& rc = config.readouts[r];
        if (!samples[i].matches(rc.applies_to)) continue;
        try {
          std::vector<const SampleValues*> controls;
          if (plan.readouts[r].needs_control()) {
            const auto key = group_key(samples[i], rc.match);
            for (std::size_t j = 0; j < samples.size(); ++j)
              if (outcomes[j].analysed && samples[j].matches(rc.control) && group_key(samples[j], rc.match) == key)
                controls.push_back(&outcomes[j].values);
            if (controls.empty()) {
              throw Error("no analysed control sample (" + describe(rc.control) + ") with " + (key.empty() ? "any factors" : key));
            }
          }
          row.values[r] = evaluate(plan.readouts[r], outcomes[i].values, controls);
        } catch (const Error& e) {
          result.failures.push_back({samples[i].name, "readout", rc.name + ": " + e.what()});
        }
      }
    }
    result.readouts.push_back(std::move(row));
  }
}

}  // namespace

RunSetup run_setup(const RunOptions& options) {
  RunSetup setup;
  setup.log = options.log ? options.log : &std::cerr;
  setup.terminal = setup.log == &std::cerr && ::isatty(2);
  setup.threads = options.threads > 0 ? options.threads : tbb::this_task_arena::max_concurrency();
  setup.in_flight = options.files_in_flight ? options.files_in_flight : static_cast<std::size_t>(setup.threads);
  return setup;
}

std::int64_t unix_ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::vector<std::size_t> control_samples(const Config& config, const SampleSet& samples) {
  std::vector<std::size_t> controls;
  for (std::size_t i = 0; i < samples.samples.size(); ++i)
    for (const auto& gate : config.gating.thresholds)
      if (samples.samples[i].matches(gate.control)) {
        controls.push_back(i);
        break;
      }
  return controls;
}

std::vector<ControlGroup> control_groups(const Config& config, const SampleSet& samples) {
  const auto& gates = config.gating.thresholds;
  std::vector<ControlGroup> groups;
  for (std::size_t g = 0; g < gates.size(); ++g) {
    std::map<std::string, std::vector<std::size_t>> by_key;  // keys in the order a run lists them
    for (std::size_t i = 0; i < samples.samples.size(); ++i)
      if (samples.samples[i].matches(gates[g].control)) by_key[group_key(samples.samples[i], gates[g].match)].push_back(i);
    for (auto& [key, controls] : by_key) groups.push_back({g, key, std::move(controls)});
  }
  return groups;
}

PlacedGroups place_control_groups(const Plan& plan, const SampleSet& samples, const std::vector<ControlGroup>& groups,
                                  const std::vector<std::size_t>& selected, const RunOptions& options,
                                  const RunSetup& setup) {
  const Config& config = *plan.config;
  const auto& gates = config.gating.thresholds;
  PlacedGroups placed;
  placed.groups.resize(selected.size());
  // The controls to read (ascending) and, per control, where each gate's values go (-1: a group
  // not asked for).
  std::map<std::size_t, std::vector<std::ptrdiff_t>> target;
  for (std::size_t s = 0; s < selected.size(); ++s) {
    const auto& group = groups.at(selected[s]);
    for (const auto i : group.controls) {
      auto& slots = target.try_emplace(i, gates.size(), -1).first->second;
      slots[group.gate] = static_cast<std::ptrdiff_t>(s);
    }
  }
  std::vector<std::size_t> controls;
  std::vector<std::vector<std::size_t>> serves;  // every gate each control serves
  for (const auto& [i, slots] : target) {
    controls.push_back(i);
    std::vector<std::size_t> g_list;
    for (std::size_t g = 0; g < gates.size(); ++g)
      if (samples.samples[i].matches(gates[g].control)) g_list.push_back(g);
    serves.push_back(std::move(g_list));
  }
  struct Pool {
    std::vector<double> values;
    ResolvedThreshold resolved;
  };
  std::vector<Pool> pools(selected.size());
  Progress progress(options.progress ? setup.log : nullptr, setup.terminal, "controls", controls.size());
  gating::stream_samples<ControlOutcome>(
      controls.size(), setup.in_flight,
      [&](std::size_t k) { return measure_control(plan, controls[k], samples.samples[controls[k]], serves[k]); },
      [&](std::size_t k, ControlOutcome&& outcome) {
        progress.file_done(outcome.events);
        placed.events += outcome.events;
        const auto& entry = samples.samples[controls[k]];
        if (outcome.failure) {
          placed.control_failures.push_back(*outcome.failure);
          if (options.fail_fast) placed.stopped_early = true;
          return !options.fail_fast;
        }
        if (outcome.placed) placed.placed_finders.emplace(controls[k], std::move(*outcome.placed));
        const auto& slots = target.at(controls[k]);
        for (auto& [g, values] : outcome.values) {
          if (slots[g] < 0) continue;
          auto& pool = pools[static_cast<std::size_t>(slots[g])];
          pool.values.insert(pool.values.end(), values.begin(), values.end());
          pool.resolved.gate = gates[g].name;
          pool.resolved.group = group_of(entry, gates[g].match);
          pool.resolved.controls.push_back(entry.name);
        }
        return true;
      });
  progress.finish();
  for (std::size_t s = 0; s < selected.size(); ++s) {
    auto& pool = pools[s];
    if (pool.resolved.controls.empty()) continue;  // none of its controls could be measured
    const auto& group = groups[selected[s]];
    const auto& gate = gates[group.gate];
    pool.resolved.control_events = pool.values.size();
    if (pool.values.empty()) {
      for (const auto& c : pool.resolved.controls)
        placed.groups[s].failures.push_back({c, "threshold",
                                             "threshold gate '" + gate.name + "': parent population '" + gate.parent +
                                                 "' is empty in this control, so no threshold for " + group.key});
      continue;
    }
    pool.resolved.value = control_threshold(gate).place(pool.values);
    placed.groups[s].threshold = std::move(pool.resolved);
    std::vector<double>().swap(pool.values);
  }
  return placed;
}

void resolve_thresholds(Plan& plan, RunResult& result, const RunOptions& options, const RunSetup& setup) {
  const Config& config = *plan.config;
  if (config.gating.thresholds.empty()) return;
  const auto groups = control_groups(config, result.samples);
  std::vector<std::size_t> all(groups.size());
  for (std::size_t s = 0; s < all.size(); ++s) all[s] = s;
  auto placed = place_control_groups(plan, result.samples, groups, all, options, setup);
  plan.placed_on_controls.resize(result.samples.samples.size());
  for (auto& [i, finders] : placed.placed_finders) plan.placed_on_controls[i] = std::move(finders);
  result.failures.insert(result.failures.end(), placed.control_failures.begin(), placed.control_failures.end());
  for (std::size_t s = 0; s < groups.size(); ++s) {
    auto& group = placed.groups[s];
    result.failures.insert(result.failures.end(), group.failures.begin(), group.failures.end());
    if (!group.threshold) continue;
    plan.thresholds[groups[s].gate][groups[s].key] = *group.threshold;
    result.thresholds.push_back(std::move(*group.threshold));
  }
}

void analyse_samples(const Plan& plan, RunResult& result, const std::vector<std::size_t>& selected,
                     const RunOptions& options, const RunSetup& setup, std::vector<SampleOutcome>& outcomes,
                     std::vector<InputHash>& hashes,
                     const std::function<void(std::size_t sample, SampleOutcome& outcome)>& done) {
  const auto& samples = result.samples.samples;
  const auto previous = options.hash_inputs && options.reuse_hashes
                            ? PreviousHashes::load(result.output_dir / "run.json")
                            : PreviousHashes();
  Progress progress(options.progress ? setup.log : nullptr, setup.terminal, "samples", selected.size());
  struct Done {
    SampleOutcome outcome;
    InputHash hash;
  };
  gating::stream_samples<Done>(
      selected.size(), setup.in_flight,
      [&](std::size_t k) {
        const std::size_t i = selected[k];
        Done d;
        if (!options.hash_inputs) {
          d.outcome = analyse_sample(plan, i, samples[i], nullptr);
          return d;
        }
        const auto& path = samples[i].path;
        const auto before = identify(path);
        // Unchanged since the previous run hashed it (and unchanged while read now): its hash.
        if (const auto known = before ? previous.find(path, *before) : std::nullopt) {
          d.outcome = analyse_sample(plan, i, samples[i], nullptr);
          if (identify(path) == before) {
            d.hash = {*known, before, true};
            return d;
          }
        }
        // The hash comes from the bytes read for decoding (unreadable: empty, the read failed).
        d.outcome = analyse_sample(plan, i, samples[i], &d.hash.sha256);
        if (!d.hash.sha256.empty() && identify(path) == before) d.hash.identity = before;
        return d;
      },
      [&](std::size_t k, Done&& d) {
        const std::size_t i = selected[k];
        progress.file_done(d.outcome.events);
        result.events += d.outcome.events;
        hashes[i] = std::move(d.hash);
        bool keep_going = true;
        if (d.outcome.failure) {
          result.failures.push_back(*d.outcome.failure);
          ++result.files_failed;
          keep_going = !options.fail_fast;
        }
          for (const auto& p : d.outcome.problems) result.failures.push_back(p);  // kept too: a shard records them
        if (!d.outcome.problems.empty() && options.fail_fast) keep_going = false;
        if (done) done(i, d.outcome);
        outcomes[i] = std::move(d.outcome);
        if (!keep_going) result.stopped_early = true;
        return keep_going;
      });
  progress.finish();
}

void write_outputs(const Plan& plan, const std::vector<SampleOutcome>& outcomes, RunResult& result,
                   const std::filesystem::path& dir, Timings& timings, Clock::time_point t0,
                   const std::vector<InputHash>& hashes, std::int64_t started_unix_ns) {
  const Config& config = *plan.config;
  auto t = Clock::now();
  compute_readouts(plan, outcomes, result);
  qc_warnings(outcomes, result);
  low_count_warnings(plan, outcomes, result);
  timings.readouts = since(t);

  t = Clock::now();
  write_populations(dir / "populations.csv", result.samples, outcomes);
  write_readouts(dir / "readouts.csv", config, result.samples, result.readouts);
  write_formulas(dir / "readout_formulas.csv", config, plan);
  write_gates_resolved(dir / "gates_resolved.yaml", config, plan.strategy, result.thresholds, result.samples,
                       outcomes);
  result.written = {"populations.csv", "readouts.csv", "readout_formulas.csv", "gates_resolved.yaml"};
  auto more = write_analyses(dir, config, plan, result, outcomes, result.summary_lines);
  result.written.insert(result.written.end(), more.begin(), more.end());
  write_failures(dir / "failures.csv", result.failures);
  result.written.push_back("failures.csv");
  if (!result.warnings.empty()) {
    write_failures(dir / "warnings.csv", result.warnings);
    result.written.push_back("warnings.csv");
  }
  result.written.push_back("run.json");
  timings.outputs = since(t);
  timings.total = since(t0);
  result.seconds = timings.total;
  write_run_json(dir / "run.json", config, result, timings, hashes, started_unix_ns);
}

}  // namespace detail

std::filesystem::path output_directory(const Config& config, const RunOptions& options) {
  if (options.output_dir) return options.output_dir->lexically_normal();
  if (config.outputs.directory.empty()) return std::filesystem::path("results") / config.name;
  return config.resolve(config.outputs.directory).lexically_normal();
}

RunResult run_pipeline(const Config& config, const RunOptions& options) {
  using namespace detail;
  const auto t0 = Clock::now();
  Timings timings;
  const RunSetup setup = run_setup(options);

  RunResult result;
  result.samples = resolve_samples(config);
  Plan plan = make_plan(config, load_checked_strategy(config));
  plan_histograms(plan, result.samples);
  if (options.frozen_gates) {
    plan.frozen = read_frozen_gates(*options.frozen_gates);
    plan.frozen_run = true;
  }
  result.output_dir = output_directory(config, options);
  // Before any event is read (a second run refuses at once), after the config's own checks (a
  // bad config leaves the disk alone).
  OutputSet output_set(result.output_dir);
  timings.resolve = since(t0);

  tbb::task_arena arena(setup.threads);
  plan.parallel_within_file = setup.in_flight < static_cast<std::size_t>(setup.threads);

  const auto& samples = result.samples.samples;
  std::vector<SampleOutcome> outcomes(samples.size());
  std::vector<InputHash> hashes(samples.size());
  // The report's likely gating sheets are laid out while their files' events are in hand, as a
  // shard does, instead of reading, cleaning and placing those files again for the report.
  std::vector<std::optional<StoredSheet>> sheets(samples.size());
  if (config.outputs.report) {
    plan.draw_sheet = likely_sheet_samples(config, result.samples);
    // Each chosen sample's sheet is asked for once (one report task per sheet): it is moved out.
    plan.stored_sheet = [&sheets](std::size_t i) { return std::exchange(sheets.at(i), std::nullopt); };
  }
  const auto keep_sheet = [&sheets](std::size_t i, SampleOutcome& outcome) { sheets[i] = std::move(outcome.sheet); };
  const auto started = std::chrono::system_clock::now();
  arena.execute([&] {
    auto t = Clock::now();
    place_pooled_finders(plan, result, options, setup);
    resolve_thresholds(plan, result, options, setup);
    plan_sample_gates(plan, result.samples);
    timings.thresholds = since(t);
    if (options.fail_fast && !result.failures.empty()) {
      result.stopped_early = true;
      return;
    }
    t = Clock::now();
    std::vector<std::size_t> all(samples.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    analyse_samples(plan, result, all, options, setup, outcomes, hashes, keep_sheet);
    timings.samples = since(t);
  });

  write_outputs(plan, outcomes, result, output_set.staging(), timings, t0, hashes, unix_ns(started));
  // A run cut short by --fail-fast is not a set to replace a complete one with.
  if (!(result.stopped_early && output_set.holds_previous_set())) {
    output_set.publish();
    result.published = true;
  }
  return result;
}

}  // namespace cytopipe::pipeline
