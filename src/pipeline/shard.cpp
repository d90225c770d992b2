// The two passes of a sharded run: thresholds once (pass 1), then 1/N of the samples per shard.
#include "cytopipe/pipeline/shard.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "pipeline/output_set.hpp"
#include "pipeline/pooled_finders.hpp"
#include "pipeline/run_steps.hpp"
#include "pipeline/shard_record.hpp"
#include "pipeline/sheet_record.hpp"

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

// What pass 1 places, each once: the config's control groups, then the pooled finders' groups.
// Part K/M places every M-th of this list from the K-th.
struct PassUnits {
  std::vector<detail::ControlGroup> thresholds;
  std::vector<detail::PoolGroup> pools;
  std::size_t size() const { return thresholds.size() + pools.size(); }
};

PassUnits pass_units(const Config& config, const gating::GatingStrategy& strategy, const SampleSet& samples) {
  PassUnits units;
  units.thresholds = detail::control_groups(config, samples);
  if (detail::has_pooled_finders(strategy)) units.pools = detail::pool_groups(strategy, samples);
  return units;
}

// The units of part `part`: its control groups and its pool groups (indices into each list).
struct PartUnits {
  std::vector<std::size_t> thresholds, pools;
};
PartUnits units_of_part(const PassUnits& units, const Shard& part) {
  PartUnits selected;
  for (std::size_t j = part.index - 1; j < units.size(); j += part.count) {
    if (j < units.thresholds.size()) selected.thresholds.push_back(j);
    else selected.pools.push_back(j - units.thresholds.size());
  }
  return selected;
}

// The controls those groups pool (sample indices, ascending, each once).
std::vector<std::size_t> controls_of(const std::vector<detail::ControlGroup>& groups,
                                     const std::vector<std::size_t>& selected) {
  std::set<std::size_t> controls;
  for (const auto s : selected) controls.insert(groups[s].controls.begin(), groups[s].controls.end());
  return {controls.begin(), controls.end()};
}

// The pool groups a part places: its own, and those its controls are gated with (placed again
// for itself, not recorded: same files, same events, the same gate as their own part places, so
// no task of the array waits for another).
std::vector<std::size_t> pools_to_place(const gating::GatingStrategy& strategy, const SampleSet& samples,
                                        const PassUnits& units, const PartUnits& part) {
  std::set<std::size_t> pools(part.pools.begin(), part.pools.end());
  if (!units.pools.empty())
    for (const auto u : detail::pool_groups_of(strategy, samples, units.pools, controls_of(units.thresholds, part.thresholds)))
      pools.insert(u);
  return {pools.begin(), pools.end()};
}

// Every file a part reads (its controls and its pools' members), ascending: a rerun places the
// part again when one of them changed.
std::vector<std::size_t> files_of_part(const gating::GatingStrategy& strategy, const SampleSet& samples,
                                       const PassUnits& units, const PartUnits& part) {
  std::set<std::size_t> files;
  for (const auto i : controls_of(units.thresholds, part.thresholds)) files.insert(i);
  for (const auto u : pools_to_place(strategy, samples, units, part))
    files.insert(units.pools[u].members.begin(), units.pools[u].members.end());
  return {files.begin(), files.end()};
}

// What names a control group in a record: its gate, key and control files.
Json group_identity(const Config& config, const SampleSet& samples, const detail::ControlGroup& group) {
  Json controls = Json::array();
  for (const auto i : group.controls) controls.push_back(samples.samples[i].name);
  return {{"gate", config.gating.thresholds[group.gate].name}, {"key", group.key}, {"controls", std::move(controls)}};
}

// ... and a pool group: its finder's gate, key and member files.
Json pool_identity(const gating::GatingStrategy& strategy, const SampleSet& samples, const detail::PoolGroup& group) {
  Json files = Json::array();
  for (const auto i : group.members) files.push_back(samples.samples[i].name);
  return {{"gate", strategy.gates()[group.gate].id}, {"key", group.key}, {"files", std::move(files)}};
}

// Whether a part's record lists exactly the groups of `part`, over the same files.
bool same_groups(const Config& config, const gating::GatingStrategy& strategy, const SampleSet& samples,
                 const PassUnits& units, const PartUnits& part, const Json& record) {
  const auto& listed = record.at("groups");
  if (listed.size() != part.thresholds.size()) return false;
  for (std::size_t s = 0; s < part.thresholds.size(); ++s) {
    const Json want = group_identity(config, samples, units.thresholds[part.thresholds[s]]);
    for (const char* field : {"gate", "key", "controls"})
      if (listed[s].at(field) != want.at(field)) return false;
  }
  const auto& pools = record.at("pools");
  if (pools.size() != part.pools.size()) return false;
  for (std::size_t s = 0; s < part.pools.size(); ++s) {
    const Json want = pool_identity(strategy, samples, units.pools[part.pools[s]]);
    for (const char* field : {"gate", "key", "files"})
      if (pools[s].at(field) != want.at(field)) return false;
  }
  return true;
}

// The records of the thresholds pass: `given` is a thresholds.json, a folder holding one (a pass
// of every control group), or a folder whose subfolders each hold a part (--control-group K/M).
std::vector<std::pair<fs::path, Json>> threshold_records(const fs::path& given) {
  std::vector<fs::path> files;
  if (!fs::is_directory(given) || fs::exists(given / detail::kThresholdsFile)) {
    files.push_back(thresholds_file(given));
  } else {
    for (const auto& e : fs::directory_iterator(given))
      if (e.is_directory() && fs::exists(e.path() / detail::kThresholdsFile)) files.push_back(e.path() / detail::kThresholdsFile);
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw Error("no thresholds.json here or in its folders: run the thresholds pass into it first (cytopipe run CONFIG "
                  "--thresholds-only [--control-group K/M] -o DIR)",
                  {given.string(), "", 0, 0});
  }
  std::vector<std::pair<fs::path, Json>> records;
  for (const auto& file : files) records.emplace_back(file, detail::read_record(file, "thresholds"));
  return records;
}

// The thresholds pass's records (every part of one split of the control and pool groups) checked
// against the current config and files; the thresholds and pooled gates of the whole run, in its
// order.
detail::PlacedThresholds load_thresholds(const Config& config, const gating::GatingStrategy& strategy,
                                         const SampleSet& samples, const std::optional<fs::path>& given,
                                         std::string* sha256) {
  const PassUnits units = pass_units(config, strategy, samples);
  if (config.gating.thresholds.empty() && !detail::has_pooled_finders(strategy)) {
    detail::PlacedThresholds none;
    if (sha256) *sha256 = sha256_hex(detail::placed_json(config, none).dump());
    return none;
  }
  if (!given) {
    std::string what;
    if (!config.gating.thresholds.empty()) what = "threshold gates (" + gate_names(config) + ")";
    if (detail::has_pooled_finders(strategy)) {
      std::string pooled;
      for (const auto& node : strategy.gates())
        if (node.finder && gating::pooled(*node.finder)) pooled += (pooled.empty() ? "" : ", ") + node.id;
      what += (what.empty() ? "" : " and ") + std::string("pooled finders (") + pooled + ")";
    }
    throw Error("the config has " + what +
                    ", placed on files that may sit in other shards: run the thresholds pass first "
                    "(cytopipe run CONFIG --thresholds-only -o DIR) and give its folder with --thresholds DIR",
                {config.file.string(), config.gating.thresholds.empty() ? "gating.strategy" : "gating.thresholds", 0, 0});
  }
  const auto records = threshold_records(*given);
  std::map<std::size_t, const std::pair<fs::path, Json>*> by_part;
  std::size_t parts = 0;
  for (const auto& record : records) {
    const ErrorContext where{record.first.string(), "part", 0, 0};
    if (record.second.at("fingerprint") != detail::fingerprint(config))
      throw Error("placed for another config, strategy, sample sheet or cytopipe version than " + config.file.string() +
                      ": run the thresholds pass again",
                  {record.first.string(), "fingerprint", 0, 0});
    const Shard part = parse_shard(record.second.at("part").get<std::string>());
    if (parts == 0) parts = part.count;
    if (part.count != parts)
      throw Error("part " + to_string(part) + " of the control groups, but " + records.front().first.string() +
                      " is a part of " + std::to_string(parts) + ": the folder mixes two splits (remove the stale one)",
                  where);
    const auto [it, inserted] = by_part.emplace(part.index, &record);
    if (!inserted)
      throw Error("part " + to_string(part) + " of the control groups twice: " + it->second->first.string() + " and " +
                      record.first.string(),
                  where);
    if (!same_groups(config, strategy, samples, units, units_of_part(units, part), record.second))
      throw Error("placed on other control or pool groups or files than the config now selects (files added, removed "
                      "or renamed): run the thresholds pass again",
                  {record.first.string(), "groups", 0, 0});
  }
  std::vector<std::string> missing;
  for (std::size_t k = 1; k <= parts; ++k)
    if (!by_part.count(k)) missing.push_back(to_string(Shard{k, parts}));
  if (!missing.empty()) {
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    throw Error("the thresholds pass is incomplete: " + std::to_string(by_part.size()) + " of " + std::to_string(parts) +
                    " parts of the control groups here; missing part" + (missing.size() > 1 ? "s " : " ") + names +
                    " (run --thresholds-only --control-group K/" + std::to_string(parts) + " for each)",
                {given->string(), "", 0, 0});
  }
  // The union, as the whole run lists it: the pool members' failures, then the controls' (each
  // once, in sample order), then per group in the run's order its threshold or its failures.
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < samples.samples.size(); ++i) index_of.emplace(samples.samples[i].name, i);
  std::map<std::size_t, Failure> pool_failures, control_failures;
  std::vector<std::optional<ResolvedThreshold>> thresholds(units.thresholds.size());
  std::vector<std::vector<Failure>> group_failures(units.thresholds.size());
  std::vector<std::optional<detail::PlacedThresholds::Pooled>> pooled(units.pools.size());
  for (const auto& [k, record] : by_part) {
    const auto& json = record->second;
    auto collect = [&](const char* list, std::map<std::size_t, Failure>& into) {
      for (const auto& f : json.at(list)) {
        Failure failure = detail::failure_of(f);
        const auto it = index_of.find(failure.file);
        if (it == index_of.end())
          throw Error("a failure of " + failure.file + ", which the config does not select", {record->first.string(), list, 0, 0});
        into.try_emplace(it->second, std::move(failure));
      }
    };
    collect("pool_failures", pool_failures);
    collect("control_failures", control_failures);
    const PartUnits selected = units_of_part(units, Shard{k, parts});
    const auto& listed = json.at("groups");
    for (std::size_t s = 0; s < selected.thresholds.size(); ++s) {
      const auto j = selected.thresholds[s];
      if (!listed[s].at("threshold").is_null()) thresholds[j] = detail::threshold_of(listed[s].at("threshold"));
      for (const auto& f : listed[s].at("failures")) group_failures[j].push_back(detail::failure_of(f));
    }
    const auto& pools = json.at("pools");
    for (std::size_t s = 0; s < selected.pools.size(); ++s) {
      try {
        pooled[selected.pools[s]] = detail::pooled_of(pools[s]);
      } catch (const std::exception& e) {
        throw Error(std::string("a pooled gate that cannot be read back: ") + e.what(), {record->first.string(), "pools", 0, 0});
      }
    }
  }
  detail::PlacedThresholds placed;
  for (auto& [i, failure] : pool_failures) placed.failures.push_back(std::move(failure));
  for (auto& [i, failure] : control_failures) placed.failures.push_back(std::move(failure));
  for (std::size_t j = 0; j < units.thresholds.size(); ++j) {
    placed.failures.insert(placed.failures.end(), group_failures[j].begin(), group_failures[j].end());
    if (!thresholds[j]) continue;
    placed.gate.push_back(units.thresholds[j].gate);
    placed.thresholds.push_back(std::move(*thresholds[j]));
  }
  for (auto& p : pooled) placed.pooled.push_back(std::move(*p));  // every part is there: every group
  if (sha256) *sha256 = sha256_hex(detail::placed_json(config, placed).dump());
  return placed;
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

Shard parse_shard(std::string_view text, std::string_view option) {
  const ErrorContext where{std::string(option), std::string(text), 0, 0};
  const bool shard = option == "--shard";
  const std::string noun = shard ? "shard" : "part";
  const auto slash = text.find('/');
  const auto index = slash == std::string_view::npos ? std::nullopt : whole_number(text.substr(0, slash));
  const auto count = slash == std::string_view::npos ? std::nullopt : whole_number(text.substr(slash + 1));
  if (!index || !count)
    throw Error("expected I/N, the " + noun + "'s number and the number of " + noun +
                    "s as whole numbers (e.g. 3/8), not '" + std::string(text) + "'",
                where);
  if (*count == 0)
    throw Error("the number of " + noun + "s N must be at least 1 (got '" + std::string(text) + "')", where);
  if (*index == 0)
    throw Error(noun + "s are numbered from 1 to N (as Slurm's --array=1-N): got I = 0 in '" + std::string(text) + "'",
                where);
  if (*index > *count)
    throw Error(noun + " " + std::to_string(*index) + " is past the last of " + std::to_string(*count) + " " + noun +
                    "s in '" + std::string(text) + "'",
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

std::string threshold_pass_outdated(const Config& config, const fs::path& folder, const Shard& part) {
  try {
    const fs::path file = folder / detail::kThresholdsFile;
    if (!fs::exists(file)) return "not run yet";
    const Json record = detail::read_record(file, "thresholds");
    if (record.at("fingerprint") != detail::fingerprint(config)) return "the config, strategy, sheet or cytopipe changed";
    if (record.at("part").get<std::string>() != to_string(part)) return "another part of the control groups";
    const SampleSet samples = resolve_samples(config);
    const auto strategy = load_checked_strategy(config);
    const PassUnits units = pass_units(config, strategy, samples);
    const PartUnits selected = units_of_part(units, part);
    if (!same_groups(config, strategy, samples, units, selected, record)) return "other control or pool groups or files";
    return recorded_files_changed(samples, files_of_part(strategy, samples, units, selected), record, "files",
                                  "other control or pool files", " changed");
  } catch (const std::exception& e) {
    return std::string("unreadable record: ") + e.what();
  }
}

std::size_t control_group_count(const Config& config) {
  return pass_units(config, load_checked_strategy(config), resolve_samples(config)).size();
}

bool needs_threshold_pass(const Config& config) {
  return !config.gating.thresholds.empty() || detail::has_pooled_finders(load_checked_strategy(config));
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
    load_thresholds(config, load_checked_strategy(config), samples, thresholds, &placed_sha);
    if (record.at("thresholds_sha256").get<std::string>() != placed_sha) return "other thresholds";
    return recorded_files_changed(samples, samples_of(samples, shard), record, "samples", "other files",
                                  " changed (or was not hashed)");
  } catch (const std::exception& e) {
    return std::string("cannot be reused: ") + e.what();
  }
}

PassResult run_threshold_pass(const Config& config, const RunOptions& options, bool force, const Shard& part) {
  using namespace detail;
  const auto t0 = Clock::now();
  const fs::path folder = required_output(options, "thresholds pass");
  PassResult pass;
  if (!force) {
    if (const auto why = threshold_pass_outdated(config, folder, part); why.empty()) {
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
  if (auto unknown = unknown_pool_factors(plan.strategy, result.samples.factor_names); !unknown.empty())
    throw std::move(unknown.front());
  OutputSet output_set(folder);
  timings.resolve = since(t0);
  const auto started = std::chrono::system_clock::now();
  const PassUnits units = pass_units(config, plan.strategy, result.samples);
  const PartUnits selected = units_of_part(units, part);
  tbb::task_arena arena(setup.threads);
  plan.parallel_within_file = setup.in_flight < static_cast<std::size_t>(setup.threads);
  // The pool groups first (as a whole run places them before the thresholds): this part's own, and
  // those its controls are gated with.
  const auto pools = pools_to_place(plan.strategy, result.samples, units, selected);
  PlacedPools placed_pools;
  PlacedGroups placed;
  arena.execute([&] {
    if (!pools.empty()) {
      placed_pools = place_pool_groups(plan, result.samples, units.pools, pools, options, setup);
      std::vector<std::optional<PlacedPool>> by_group(units.pools.size());
      for (std::size_t s = 0; s < pools.size(); ++s) by_group[pools[s]] = placed_pools.groups[s];
      assign_pooled(plan, result.samples, units.pools, by_group);
    }
    placed = place_control_groups(plan, result.samples, units.thresholds, selected.thresholds, options, setup);
  });
  timings.thresholds = since(t0) - timings.resolve;
  result.events = placed.events;

  // The files' hashes (a separate read: controls and pools are few), so a rerun can tell they are unchanged.
  const auto files = files_of_part(plan.strategy, result.samples, units, selected);
  std::vector<InputHash> hashes(result.samples.samples.size());
  Json record;
  record["kind"] = "cytopipe thresholds";
  record["format"] = kRecordFormat;
  record["fingerprint"] = fingerprint(config);
  record["part"] = to_string(part);
  record["started_unix_ns"] = unix_ns(started);
  auto& listed = record["files"] = Json::array();
  for (const auto i : files) {
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
  // A file read for a pool group of another part fails there too: only this part's own pools'
  // members' failures are recorded here (the union lists each once).
  std::set<std::size_t> own_members;
  for (const auto u : selected.pools) own_members.insert(units.pools[u].members.begin(), units.pools[u].members.end());
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < result.samples.samples.size(); ++i) index_of.emplace(result.samples.samples[i].name, i);
  auto& pool_failures = record["pool_failures"] = Json::array();
  for (const auto& f : placed_pools.failures)
    if (own_members.contains(index_of.at(f.file))) {
      pool_failures.push_back(failure_json(f));
      result.failures.push_back(f);
    }
  result.failures.insert(result.failures.end(), placed.control_failures.begin(), placed.control_failures.end());
  auto& control_failures = record["control_failures"] = Json::array();
  for (const auto& f : placed.control_failures) control_failures.push_back(failure_json(f));
  auto& placed_groups = record["groups"] = Json::array();
  for (std::size_t s = 0; s < selected.thresholds.size(); ++s) {
    const auto& group = placed.groups[s];
    const auto& unit = units.thresholds[selected.thresholds[s]];
    Json entry = group_identity(config, result.samples, unit);
    const auto& gate_name = config.gating.thresholds[unit.gate].name;
    entry["threshold"] = group.threshold ? threshold_json(gate_name, *group.threshold) : Json();
    auto& failures = entry["failures"] = Json::array();
    for (const auto& f : group.failures) failures.push_back(failure_json(f));
    placed_groups.push_back(std::move(entry));
    result.failures.insert(result.failures.end(), group.failures.begin(), group.failures.end());
    if (group.threshold) result.thresholds.push_back(*group.threshold);
  }
  auto& placed_pool_groups = record["pools"] = Json::array();
  for (const auto u : selected.pools) {
    const auto at = static_cast<std::size_t>(std::lower_bound(pools.begin(), pools.end(), u) - pools.begin());
    Json entry = pool_identity(plan.strategy, result.samples, units.pools[u]);
    const Json placed_gate = pooled_json({plan.strategy.gates()[units.pools[u].gate].id, units.pools[u].key,
                                          placed_pools.groups.at(at)});
    for (const auto& [k, v] : placed_gate.items())
      if (k != "gate" && k != "key") entry[k] = v;
    placed_pool_groups.push_back(std::move(entry));
  }

  const auto& dir = output_set.staging();
  write_file_atomically(dir / kThresholdsFile, record.dump(1, ' ', false, Json::error_handler_t::replace) + "\n");
  write_failures(dir / "failures.csv", result.failures);
  result.written = {kThresholdsFile, "failures.csv", "run.json"};
  timings.total = since(t0);
  result.seconds = timings.total;
  RunResult view = view_of(result, files);
  view.written = result.written;
  std::vector<InputHash> file_hashes;
  for (const auto i : files) file_hashes.push_back(hashes[i]);
  write_run_json(dir / "run.json", config, view, timings, file_hashes, unix_ns(started));
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
  const PlacedThresholds placed = load_thresholds(config, plan.strategy, result.samples, thresholds, &placed_sha);
  apply(placed, plan, result.samples);
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
  // The report's gating sheets of this shard's files, laid out from the events in hand (the
  // merge picks the few it shows, and reads no events): every file an analysis selects, since
  // which are shown (the first of each group, outliers of its group) depends on other shards.
  const auto& dir = output_set.staging();
  std::vector<bool> sheet_written(result.samples.samples.size(), false);
  if (config.outputs.report) {
    plan.draw_sheet.assign(result.samples.samples.size(), false);
    for (const auto i : selected)
      for (const auto& analysis : config.analyses)
        if (result.samples.samples[i].matches(analysis.select)) plan.draw_sheet[i] = true;
  }
  double sheet_seconds = 0;  // CPU time laying the sheets out, summed over the files (bench/sharded_run.sh)
  auto write_sheet = [&](std::size_t i, SampleOutcome& outcome) {
    if (!outcome.sheet) return;
    sheet_seconds += outcome.sheet_seconds;
    fs::create_directories(dir / kSheetsFolder);
    write_file_atomically(dir / sheet_file(result.samples.samples[i].name), sheet_json(*outcome.sheet).dump() + "\n");
    sheet_written[i] = true;
    outcome.sheet.reset();  // a shard of many files does not hold every sheet
  };
  arena.execute([&] {
    plan_sample_gates(plan, result.samples);
    const auto t = Clock::now();
    analyse_samples(plan, result, selected, options, setup, outcomes, hashes, write_sheet);
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
  record["gating_sheet_cpu_seconds"] = sheet_seconds;
  auto& listed = record["samples"] = Json::array();
  for (const auto i : selected) {
    listed.push_back(outcome_json(result.samples.samples[i], outcomes[i], hashes[i]));
    listed.back()["sheet"] = sheet_written[i] ? Json(sheet_file(result.samples.samples[i].name).generic_string()) : Json();
  }
  write_file_atomically(dir / kShardFile, record.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
  write_failures(dir / "failures.csv", result.failures);
  result.written = {kShardFile, "failures.csv", "run.json"};
  for (const auto i : selected)
    if (sheet_written[i]) result.written.push_back(sheet_file(result.samples.samples[i].name).generic_string());
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
