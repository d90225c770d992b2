// The run: inputs -> thresholds from controls -> every sample -> read-outs -> outputs.
#include "cytopipe/pipeline/run.hpp"

#include <tbb/task_arena.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <iostream>

#include "cytopipe/gating/statistics.hpp"
#include "pipeline/analyse.hpp"
#include "pipeline/input_hashes.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/output_set.hpp"
#include "pipeline/outputs.hpp"

namespace cytopipe::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::pair<std::string, std::string>> group_of(const SampleEntry& s, const std::vector<std::string>& factors) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : factors) out.emplace_back(f, std::string(s.factor(f).value_or("")));
  return out;
}

// Pass 1: pool each threshold gate's parent-population values over the matched controls.
void resolve_thresholds(detail::Plan& plan, RunResult& result, const RunOptions& options,
                        std::size_t in_flight, std::ostream* log, bool terminal) {
  const Config& config = *plan.config;
  const auto& gates = config.gating.thresholds;
  if (gates.empty()) return;
  std::vector<std::size_t> controls;                 // sample indices
  std::vector<std::vector<std::size_t>> serves;      // gate indices per control
  for (std::size_t i = 0; i < result.samples.samples.size(); ++i) {
    std::vector<std::size_t> g_list;
    for (std::size_t g = 0; g < gates.size(); ++g)
      if (result.samples.samples[i].matches(gates[g].control)) g_list.push_back(g);
    if (!g_list.empty()) {
      controls.push_back(i);
      serves.push_back(std::move(g_list));
    }
  }
  struct Pool {
    std::vector<double> values;
    ResolvedThreshold resolved;
  };
  std::vector<std::map<std::string, Pool>> pools(gates.size());
  detail::Progress progress(options.progress ? log : nullptr, terminal, "controls", controls.size());
  gating::stream_samples<detail::ControlOutcome>(
      controls.size(), in_flight,
      [&](std::size_t k) { return detail::measure_control(plan, result.samples.samples[controls[k]], serves[k]); },
      [&](std::size_t k, detail::ControlOutcome&& outcome) {
        progress.file_done(outcome.events);
        const auto& entry = result.samples.samples[controls[k]];
        if (outcome.failure) {
          result.failures.push_back(*outcome.failure);
          return !options.fail_fast;
        }
        for (auto& [g, values] : outcome.values) {
          auto& pool = pools[g][detail::group_key(entry, gates[g].match)];
          pool.values.insert(pool.values.end(), values.begin(), values.end());
          pool.resolved.gate = gates[g].name;
          pool.resolved.group = group_of(entry, gates[g].match);
          pool.resolved.controls.push_back(entry.name);
        }
        return true;
      });
  progress.finish();
  for (std::size_t g = 0; g < gates.size(); ++g) {
    for (auto& [key, pool] : pools[g]) {
      pool.resolved.control_events = pool.values.size();
      if (pool.values.empty()) {
        for (const auto& c : pool.resolved.controls)
          result.failures.push_back({c, "threshold",
                                     "threshold gate '" + gates[g].name + "': parent population '" + gates[g].parent +
                                         "' is empty in this control, so no threshold for " + key});
        continue;
      }
      pool.resolved.value = detail::control_threshold(gates[g]).place(pool.values);
      plan.thresholds[g][key] = pool.resolved;
      result.thresholds.push_back(pool.resolved);
      std::vector<double>().swap(pool.values);
    }
  }
}

// Read-outs need every sample's values (controls are other samples), so they come last.
void compute_readouts(const detail::Plan& plan, const std::vector<detail::SampleOutcome>& outcomes,
                      RunResult& result) {
  const Config& config = *plan.config;
  const auto& samples = result.samples.samples;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ReadoutRow row;
    row.sample = &samples[i];
    row.values.assign(config.readouts.size(), std::nan(""));
    if (outcomes[i].analysed) {
      for (std::size_t r = 0; r < config.readouts.size(); ++r) {
        const auto& rc = config.readouts[r];
        if (!samples[i].matches(rc.applies_to)) continue;
        try {
          std::vector<const SampleValues*> controls;
          if (plan.readouts[r].needs_control()) {
            const auto key = detail::group_key(samples[i], rc.match);
            for (std::size_t j = 0; j < samples.size(); ++j)
              if (outcomes[j].analysed && samples[j].matches(rc.control) &&
                  detail::group_key(samples[j], rc.match) == key)
                controls.push_back(&outcomes[j].values);
            if (controls.empty()) {
              throw Error("no analysed control sample (" + detail::describe(rc.control) + ") with " + (key.empty() ? "any factors" : key));
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

std::filesystem::path output_directory(const Config& config, const RunOptions& options) {
  if (options.output_dir) return options.output_dir->lexically_normal();
  if (config.outputs.directory.empty()) return std::filesystem::path("results") / config.name;
  return config.resolve(config.outputs.directory).lexically_normal();
}

RunResult run_pipeline(const Config& config, const RunOptions& options) {
  const auto t0 = Clock::now();
  detail::Timings timings;
  std::ostream* log = options.log ? options.log : &std::cerr;
  const bool terminal = log == &std::cerr && ::isatty(2);

  RunResult result;
  result.samples = resolve_samples(config);
  detail::Plan plan = detail::make_plan(config, load_checked_strategy(config));
  detail::plan_histograms(plan, result.samples);
  result.output_dir = output_directory(config, options);
  // Before any event is read (a second run refuses at once), after the config's own checks (a
  // bad config leaves the disk alone).
  detail::OutputSet output_set(result.output_dir);
  timings.resolve = since(t0);

  const int threads = options.threads > 0 ? options.threads : tbb::this_task_arena::max_concurrency();
  const std::size_t in_flight = options.files_in_flight ? options.files_in_flight : static_cast<std::size_t>(threads);
  tbb::task_arena arena(threads);
  plan.parallel_within_file = in_flight < static_cast<std::size_t>(threads);

  const auto& samples = result.samples.samples;
  std::vector<detail::SampleOutcome> outcomes(samples.size());
  std::vector<detail::InputHash> hashes(samples.size());
  const auto started = std::chrono::system_clock::now();
  const auto previous = options.hash_inputs && options.reuse_hashes
                            ? detail::PreviousHashes::load(result.output_dir / "run.json")
                            : detail::PreviousHashes();
  arena.execute([&] {
    auto t = Clock::now();
    resolve_thresholds(plan, result, options, in_flight, log, terminal);
    detail::plan_sample_gates(plan, result.samples);
    timings.thresholds = since(t);
    if (options.fail_fast && !result.failures.empty()) {
      result.stopped_early = true;
      return;
    }

    t = Clock::now();
    detail::Progress progress(options.progress ? log : nullptr, terminal, "samples", samples.size());
    struct Done {
      detail::SampleOutcome outcome;
      detail::InputHash hash;
    };
    plan.gating_set.stream<Done>(
        in_flight,
        [&](std::size_t i) {
          Done d;
          if (!options.hash_inputs) {
            d.outcome = detail::analyse_sample(plan, i, samples[i], nullptr);
            return d;
          }
          const auto& path = samples[i].path;
          const auto before = detail::identify(path);
          // Unchanged since the previous run hashed it (and unchanged while read now): its hash.
          if (const auto known = before ? previous.find(path, *before) : std::nullopt) {
            d.outcome = detail::analyse_sample(plan, i, samples[i], nullptr);
            if (detail::identify(path) == before) {
              d.hash = {*known, before, true};
              return d;
            }
          }
          // The hash comes from the bytes read for decoding (unreadable: empty, the read failed).
          d.outcome = detail::analyse_sample(plan, i, samples[i], &d.hash.sha256);
          if (!d.hash.sha256.empty() && detail::identify(path) == before) d.hash.identity = before;
          return d;
        },
        [&](std::size_t i, Done&& d) {
          progress.file_done(d.outcome.events);
          result.events += d.outcome.events;
          hashes[i] = std::move(d.hash);
          bool keep_going = true;
          if (d.outcome.failure) {
            result.failures.push_back(*d.outcome.failure);
            ++result.files_failed;
            keep_going = !options.fail_fast;
          }
          for (auto& p : d.outcome.problems) result.failures.push_back(std::move(p));
          if (!d.outcome.problems.empty() && options.fail_fast) keep_going = false;
          outcomes[i] = std::move(d.outcome);
          if (!keep_going) result.stopped_early = true;
          return keep_going;
        });
    progress.finish();
    timings.samples = since(t);
  });

  auto t = Clock::now();
  compute_readouts(plan, outcomes, result);
  timings.readouts = since(t);

  t = Clock::now();
  const auto& dir = output_set.staging();
  detail::write_populations(dir / "populations.csv", result.samples, outcomes);
  detail::write_readouts(dir / "readouts.csv", config, result.samples, result.readouts);
  detail::write_formulas(dir / "readout_formulas.csv", config, plan);
  detail::write_gates_resolved(dir / "gates_resolved.yaml", config, plan.strategy, result.thresholds);
  result.written = {"populations.csv", "readouts.csv", "readout_formulas.csv", "gates_resolved.yaml"};
  auto more = detail::write_analyses(dir, config, plan, result, outcomes, result.summary_lines);
  result.written.insert(result.written.end(), more.begin(), more.end());
  detail::write_failures(dir / "failures.csv", result.failures);
  result.written.push_back("failures.csv");
  result.written.push_back("run.json");
  timings.outputs = since(t);
  timings.total = since(t0);
  result.seconds = timings.total;
  detail::write_run_json(dir / "run.json", config, result, timings, hashes,
                         std::chrono::duration_cast<std::chrono::nanoseconds>(started.time_since_epoch()).count());
  // A run cut short by --fail-fast is not a set to replace a complete one with.
  if (!(result.stopped_early && output_set.holds_previous_set())) {
    output_set.publish();
    result.published = true;
  }
  return result;
}

}  // namespace cytopipe::pipeline
