// The two passes of a sharded run: thresholds once (pass 1), then 1/N of the samples per shard.
#include "cytopipe/pipeline/shard.hpp"

#include <tbb/task_arena.h>

#include <charconv>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "pipeline/output_set.hpp"
#include "pipeline/run_steps.hpp"
#include "pipeline/shard_record.hpp"

namespace cytopipe::pipeline {
namespace {

namespace fs = std::filesystem;
using detail::Json;

std::optional<std::size_t> whole_number(std::string_view text) {
  std::size_t value = 0;
  if (text.empty() || text.size() > 9) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

fs::path required_output(const RunOptions& options, const char* pass) {
  if (!options.output_dir) throw Error(std::string("a ") + pass + " needs its own output folder (-o DIR)");
  return options.output_dir->lexically_normal();
}

fs::path thresholds_file(const fs::path& given) {
  return fs::is_directory(given) ? given / detail::kThresholdsFile : given;
}

// The config's threshold gates, for messages.
std::string gate_names(const Config& config) {
  std::string names;
  for (const auto& g : config.gating.thresholds) names += (names.empty() ? "" : ", ") + g.name;
  return names;
}

// Pass 1's record checked against the current config and controls; its thresholds.
detail::PlacedThresholds load_thresholds(const Config& config, const SampleSet& samples,
                                         const std::optional<fs::path>& given, std::string* sha256) {
  if (config.gating.thresholds.empty()) {
    detail::PlacedThresholds none;
    if (sha256) *sha256 = sha256_hex(detail::placed_json(config, none).dump());
    return none;
  }
  if (!given)
    throw Error("the config has threshold gates (" + gate_names(config) +
                    "), placed on controls that may sit in other shards: run the thresholds pass first "
                    "(cytopipe run CONFIG --thresholds-only -o DIR) and give its folder with --thresholds DIR",
                {config.file.string(), "gating.thresholds", 0, 0});
  const fs::path file = thresholds_file(*given);
  const Json record = detail::read_record(file, "thresholds");
  if (record.at("fingerprint") != detail::fingerprint(config))
    throw Error("placed for another config, strategy, sample sheet or cytopipe version than " + config.file.string() +
                    ": run the thresholds pass again",
                {file.string(), "fingerprint", 0, 0});
  std::vector<std::string> controls;
  for (const auto i : detail::control_samples(config, samples)) controls.push_back(samples.samples[i].name);
  std::vector<std::string> recorded;
  for (const auto& c : record.at("controls")) recorded.push_back(c.at("file").get<std::string>());
  if (recorded != controls)
    throw Error("placed on " + std::to_string(recorded.size()) + " control files, the config now selects " +
                    std::to_string(controls.size()) + " (files added, removed or renamed): run the thresholds pass again",
                {file.string(), "controls", 0, 0});
  if (sha256) *sha256 = sha256_hex(record.at("placed").dump());
  return detail::read_placed(config, record.at("placed"), file.string());
}

std::vector<std::size_t> samples_of(const SampleSet& samples, const Shard& shard) {
  std::vector<std::size_t> selected;
  for (std::size_t i = 0; i < samples.samples.size(); ++i)
    if (shard_of(samples.samples[i].name, shard.count) == shard.index) selected.push_back(i);
  return selected;
}

// A pass's own view of a run: only its samples, for its run.json.
RunResult view_of(const RunResult& whole, const std::vector<std::size_t>& selected) {
  RunResult view;
  view.output_dir = whole.output_dir;
  view.samples.factor_names = whole.samples.factor_names;
  view.samples.notices = whole.samples.notices;
  for (const auto i : selected) view.samples.samples.push_back(whole.samples.samples[i]);
  view.failures = whole.failures;
  view.thresholds = whole.thresholds;
  view.files_failed = whole.files_failed;
  view.events = whole.events;
  view.seconds = whole.seconds;
  return view;
}

// Why a pass recorded over `files` (its record's list, in the same order) cannot be reused: ""
// when each is the file recorded and unchanged since the pass started, else the first reason.
std::string recorded_files_changed(const SampleSet& samples, const std::vector<std::size_t>& files,
                                   const Json& record, const char* list, std::string_view other_files,
                                   std::string_view changed) {
  const auto& recorded = record.at(list);
  if (recorded.size() != files.size()) return std::string(other_files);
  const auto started = record.at("started_unix_ns").get<std::int64_t>();
  for (std::size_t k = 0; k < files.size(); ++k) {
    const auto& entry = samples.samples[files[k]];
    const auto& r = recorded[k];
    if (r.at("file").get<std::string>() != entry.name || r.at("path").get<std::string>() != detail::record_path(entry.path))
      return std::string(other_files);
    if (!detail::unchanged(entry.path, r.at("sha256").is_string() ? r.at("sha256").get<std::string>() : "",
                           detail::identity_of(r.at("identity")), started))
      return entry.name + std::string(changed);
  }
  return "";
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const ErrorContext where{"--shard", std::string(text), 0, 0};
  const auto slash = text.find('/');
  const auto index = slash == std::string_view::npos ? std::nullopt : whole_number(text.substr(0, slash));
  const auto count = slash == std::string_view::npos ? std::nullopt : whole_number(text.substr(slash + 1));
  if (!index || !count)
    throw Error("expected I/N, the shard's number and the number of shards as whole numbers (e.g. 3/8), not '" +
                    std::string(text) + "'",
                where);
  if (*count == 0) throw Error("the number of shards N must be at least 1 (got '" + std::string(text) + "')", where);
  if (*index == 0)
    throw Error("shards are numbered from 1 to N (as Slurm's --array=1-N): got I = 0 in '" + std::string(text) + "'", where);
  if (*index > *count)
    throw Error("shard " + std::to_string(*index) + " is past the last of " + std::to_string(*count) + " shards in '" +
                    std::string(text) + "'",
                where);
  return {*index, *count};
}

std::string to_string(const Shard& shard) { return std::to_string(shard.index) + "/" + std::to_string(shard.count); }

std::size_t shard_of(std::string_view sample_name, std::size_t count) {
  if (count == 0) throw Error("shard_of: no shards");
  const std::string hex = sha256_hex(sample_name);
  const std::uint64_t h = std::stoull(hex.substr(0, 16), nullptr, 16);
  return static_cast<std::size_t>(h % count) + 1;
}

std::string threshold_pass_outdated(const Config& config, const fs::path& folder) {
  try {
    const fs::path file = folder / detail::kThresholdsFile;
    if (!fs::exists(file)) return "not run yet";
    const Json record = detail::read_record(file, "thresholds");
    if (record.at("fingerprint") != detail::fingerprint(config)) return "the config, strategy, sheet or cytopipe changed";
    const SampleSet samples = resolve_samples(config);
    return recorded_files_changed(samples, detail::control_samples(config, samples), record, "controls",
                                  "other control files", " changed");
  } catch (const std::exception& e) {
    return std::string("unreadable record: ") + e.what();
  }
}

std::string shard_outdated(const Config& config, const Shard& shard, const fs::path& folder,
                           const std::optional<fs::path>& thresholds) {
  try {
    const fs::path file = folder / detail::kShardFile;
    if (!fs::exists(file)) return "not run yet";
    const Json record = detail::read_record(file, "shard");
    if (record.at("fingerprint") != detail::fingerprint(config)) return "the config, strategy, sheet or cytopipe changed";
    if (record.at("shard").get<std::string>() != to_string(shard)) return "another shard";
    const SampleSet samples = resolve_samples(config);
    std::string placed_sha;
    load_thresholds(config, samples, thresholds, &placed_sha);
    if (record.at("thresholds_sha256").get<std::string>() != placed_sha) return "other thresholds";
    return recorded_files_changed(samples, samples_of(samples, shard), record, "samples", "other files",
                                  " changed (or was not hashed)");
  } catch (const std::exception& e) {
    return std::string("cannot be reused: ") + e.what();
  }
}

PassResult run_threshold_pass(const Config& config, const RunOptions& options, bool force) {
  using namespace detail;
  const auto t0 = Clock::now();
  const fs::path folder = required_output(options, "thresholds pass");
  PassResult pass;
  if (!force) {
    if (const auto why = threshold_pass_outdated(config, folder); why.empty()) {
      pass.skipped = true;
      pass.note = "complete, controls unchanged";
      pass.run.output_dir = folder;
      return pass;
    }
  }
  Timings timings;
  const RunSetup setup = run_setup(options);
  RunResult result;
  result.samples = resolve_samples(config);
  Plan plan = make_plan(config, load_checked_strategy(config));
  result.output_dir = folder;
  OutputSet output_set(folder);
  timings.resolve = since(t0);
  const auto started = std::chrono::system_clock::now();
  tbb::task_arena arena(setup.threads);
  plan.parallel_within_file = setup.in_flight < static_cast<std::size_t>(setup.threads);
  arena.execute([&] { resolve_thresholds(plan, result, options, setup); });
  timings.thresholds = since(t0) - timings.resolve;

  // The controls' hashes (a separate read: controls are few), so a rerun can tell they are unchanged.
  const auto controls = control_samples(config, result.samples);
  std::vector<InputHash> hashes(result.samples.samples.size());
  Json record;
  record["kind"] = "cytopipe thresholds";
  record["format"] = kRecordFormat;
  record["fingerprint"] = fingerprint(config);
  record["started_unix_ns"] = unix_ns(started);
  auto& listed = record["controls"] = Json::array();
  for (const auto i : controls) {
    const auto& entry = result.samples.samples[i];
    InputHash& h = hashes[i];
    if (options.hash_inputs) {
      const auto before = identify(entry.path);
      try {
        h.sha256 = sha256_file(entry.path);
      } catch (const Error&) {
        // unreadable: its failure is listed already
      }
      if (!h.sha256.empty() && identify(entry.path) == before) h.identity = before;
    }
    listed.push_back({{"file", entry.name},
                      {"path", record_path(entry.path)},
                      {"sha256", h.sha256.empty() ? Json() : Json(h.sha256)},
                      {"identity", h.identity ? to_json(*h.identity) : Json()}});
  }
  PlacedThresholds placed;
  for (const auto& t : result.thresholds) {
    std::size_t g = 0;
    while (config.gating.thresholds[g].name != t.gate) ++g;
    placed.gate.push_back(g);
    placed.thresholds.push_back(t);
  }
  placed.failures = result.failures;
  record["placed"] = placed_json(config, placed);

  const auto& dir = output_set.staging();
  write_file_atomically(dir / kThresholdsFile, record.dump(1, ' ', false, Json::error_handler_t::replace) + "\n");
  write_failures(dir / "failures.csv", result.failures);
  result.written = {kThresholdsFile, "failures.csv", "run.json"};
  timings.total = since(t0);
  result.seconds = timings.total;
  RunResult view = view_of(result, controls);
  view.written = result.written;
  std::vector<InputHash> control_hashes;
  for (const auto i : controls) control_hashes.push_back(hashes[i]);
  write_run_json(dir / "run.json", config, view, timings, control_hashes, unix_ns(started));
  output_set.publish();
  view.published = true;
  pass.run = std::move(view);
  return pass;
}

PassResult run_shard(const Config& config, const Shard& shard, const std::optional<fs::path>& thresholds,
                     const RunOptions& options, bool force) {
  using namespace detail;
  const auto t0 = Clock::now();
  const fs::path folder = required_output(options, "shard");
  PassResult pass;
  if (options.fail_fast) throw Error("--fail-fast does not apply to a shard: the merge needs every sample's outcome");
  if (!force) {
    if (const auto why = shard_outdated(config, shard, folder, thresholds); why.empty()) {
      pass.skipped = true;
      pass.note = "complete, inputs and thresholds unchanged";
      pass.run.output_dir = folder;
      return pass;
    }
  }
  Timings timings;
  const RunSetup setup = run_setup(options);
  RunResult result;
  result.samples = resolve_samples(config);
  Plan plan = make_plan(config, load_checked_strategy(config));
  plan_histograms(plan, result.samples);
  std::string placed_sha;
  const PlacedThresholds placed = load_thresholds(config, result.samples, thresholds, &placed_sha);
  apply(placed, plan);
  result.thresholds = placed.thresholds;
  result.output_dir = folder;
  OutputSet output_set(folder);
  timings.resolve = since(t0);

  const auto selected = samples_of(result.samples, shard);
  std::vector<SampleOutcome> outcomes(result.samples.samples.size());
  std::vector<InputHash> hashes(result.samples.samples.size());
  const auto started = std::chrono::system_clock::now();
  tbb::task_arena arena(setup.threads);
  plan.parallel_within_file = setup.in_flight < static_cast<std::size_t>(setup.threads);
  arena.execute([&] {
    plan_sample_gates(plan, result.samples);
    const auto t = Clock::now();
    analyse_samples(plan, result, selected, options, setup, outcomes, hashes);
    timings.samples = since(t);
  });

  auto t = Clock::now();
  Json record;
  record["kind"] = "cytopipe shard";
  record["format"] = kRecordFormat;
  record["fingerprint"] = fingerprint(config);
  record["shard"] = to_string(shard);
  record["started_unix_ns"] = unix_ns(started);
  record["thresholds_sha256"] = placed_sha;
  record["thresholds"] = placed_json(config, placed);
  auto& listed = record["samples"] = Json::array();
  for (const auto i : selected) listed.push_back(outcome_json(result.samples.samples[i], outcomes[i], hashes[i]));
  const auto& dir = output_set.staging();
  write_file_atomically(dir / kShardFile, record.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
  write_failures(dir / "failures.csv", result.failures);
  result.written = {kShardFile, "failures.csv", "run.json"};
  timings.outputs = since(t);
  timings.total = since(t0);
  result.seconds = timings.total;
  RunResult view = view_of(result, selected);
  view.written = result.written;
  std::vector<InputHash> own_hashes;
  for (const auto i : selected) own_hashes.push_back(hashes[i]);
  write_run_json(dir / "run.json", config, view, timings, own_hashes, unix_ns(started));
  output_set.publish();
  view.published = true;
  pass.run = std::move(view);
  return pass;
}

}  // namespace cytopipe::pipeline
