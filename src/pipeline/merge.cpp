// cytopipe merge: the shards' per-sample results back into the whole run's outputs.
#include <map>
#include <set>

#include "cytopipe/pipeline/shard.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "pipeline/output_set.hpp"
#include "pipeline/run_steps.hpp"
#include "pipeline/shard_record.hpp"
#include "pipeline/sheet_record.hpp"

namespace cytopipe::pipeline {
namespace {

namespace fs = std::filesystem;
using detail::Json;

struct ShardRecord {
  fs::path folder;
  Json record;
  Shard shard;
};

std::string list(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// Every folder a finished shard of one config and one count, each shard once, none missing.
std::vector<ShardRecord> read_shards(const std::vector<fs::path>& folders) {
  if (folders.empty()) throw Error("no shard folders given");
  std::vector<ShardRecord> shards;
  for (const auto& folder : folders) {
    ShardRecord s;
    s.folder = folder;
    s.record = detail::read_record(folder / detail::kShardFile, "shard");
    try {
      s.shard = parse_shard(s.record.at("shard").get<std::string>());
    } catch (const Error& e) {
      throw Error(e.message(), {(folder / detail::kShardFile).string(), "shard", 0, 0});
    }
    shards.push_back(std::move(s));
  }
  const auto& first = shards.front();
  std::map<std::size_t, const ShardRecord*> by_index;
  for (const auto& s : shards) {
    const ErrorContext where{(s.folder / detail::kShardFile).string(), "", 0, 0};
    if (s.record.at("fingerprint") != first.record.at("fingerprint"))
      throw Error("a shard of another config (" + s.record.at("fingerprint").value("config", std::string("?")) +
                      ", or another version of it, its strategy or sample sheet, or of cytopipe) than " +
                      first.folder.string() + " (" + first.record.at("fingerprint").value("config", std::string("?")) + ")",
                  where);
    if (s.shard.count != first.shard.count)
      throw Error("shard " + to_string(s.shard) + " of a run in " + std::to_string(s.shard.count) + " shards, but " +
                      first.folder.string() + " is shard " + to_string(first.shard),
                  where);
    if (s.record.at("thresholds_sha256") != first.record.at("thresholds_sha256"))
      throw Error("gated with other thresholds than " + first.folder.string() +
                      " (the thresholds pass was run again in between): rerun the shards gated with the old ones",
                  where);
    const auto [it, inserted] = by_index.emplace(s.shard.index, &s);
    if (!inserted)
      throw Error("shard " + to_string(s.shard) + " given twice: " + it->second->folder.string() + " and " + s.folder.string(),
                  where);
  }
  std::vector<std::string> missing;
  for (std::size_t i = 1; i <= first.shard.count; ++i)
    if (!by_index.count(i)) missing.push_back(to_string(Shard{i, first.shard.count}));
  if (!missing.empty())
    throw Error("incomplete set of shards: " + std::to_string(shards.size()) + " of " + std::to_string(first.shard.count) +
                " given; missing shard" + (missing.size() > 1 ? "s " : " ") + list(missing) +
                " (run them, e.g. rerun the failed array tasks, then merge again)");
  return shards;
}

}  // namespace

RunResult merge_shards(const std::vector<fs::path>& folders, const RunOptions& options) {
  using namespace detail;
  const auto t0 = Clock::now();
  Timings timings;
  const auto shards = read_shards(folders);
  const auto& first = shards.front();
  const fs::path config_file = first.record.at("fingerprint").at("config").get<std::string>();
  const Config config = load_config(config_file);
  if (fingerprint(config) != first.record.at("fingerprint"))
    throw Error("changed since the shards ran (its hash, its strategy's, its sample sheet's or cytopipe's version "
                "differs from the shards' record): run the passes again",
                {config_file.string(), "", 0, 0});

  RunResult result;
  result.samples = resolve_samples(config);
  Plan plan = make_plan(config, load_checked_strategy(config));
  plan_histograms(plan, result.samples);
  const PlacedThresholds placed =
      read_placed(config, first.record.at("thresholds"), (first.folder / kShardFile).string());
  apply(placed, plan, result.samples);
  // The report's gating sheets read their few files again, gated as the shards gated them.
  plan_sample_gates(plan, result.samples);
  result.thresholds = placed.thresholds;
  result.failures = placed.failures;
  result.output_dir = output_directory(config, options);

  // Every sample of the design from exactly one shard, the one its name assigns it to.
  const auto& samples = result.samples.samples;
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < samples.size(); ++i) index_of.emplace(samples[i].name, i);
  std::vector<const Json*> record_of(samples.size(), nullptr);
  std::vector<const ShardRecord*> shard_of_sample(samples.size(), nullptr);
  for (const auto& s : shards) {
    const ErrorContext where{(s.folder / kShardFile).string(), "samples", 0, 0};
    for (const auto& r : s.record.at("samples")) {
      const auto name = r.at("file").get<std::string>();
      const auto it = index_of.find(name);
      if (it == index_of.end())
        throw Error("holds sample " + name + ", which the config no longer selects: run the passes again", where);
      if (shard_of_sample[it->second])
        throw Error("sample " + name + " is in two shards: " + shard_of_sample[it->second]->folder.string() + " and " +
                        s.folder.string(),
                    where);
      if (r.at("path").get<std::string>() != record_path(samples[it->second].path))
        throw Error("sample " + name + " was read from " + r.at("path").get<std::string>() + ", the config now reads " +
                        record_path(samples[it->second].path),
                    where);
      record_of[it->second] = &r;
      shard_of_sample[it->second] = &s;
    }
  }
  std::vector<std::string> absent;
  for (std::size_t i = 0; i < samples.size(); ++i)
    if (!record_of[i])
      absent.push_back(samples[i].name + " (shard " + to_string(Shard{shard_of(samples[i].name, first.shard.count),
                                                                        first.shard.count}) + ")");
  if (!absent.empty())
    throw Error(std::to_string(absent.size()) + " sample" + (absent.size() > 1 ? "s" : "") +
                " of the design in no shard (files added since the shards ran?): " + list(absent));

  OutputSet output_set(result.output_dir);
  std::vector<SampleOutcome> outcomes(samples.size());
  std::vector<InputHash> hashes(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    try {
      read_outcome(*record_of[i], outcomes[i], hashes[i]);
    } catch (const std::exception& e) {
      throw Error(std::string("sample ") + samples[i].name + ": " + e.what(),
                  {(shard_of_sample[i]->folder / kShardFile).string(), "samples", 0, 0});
    }
    // In sample order, as the whole run lists them.
    result.events += outcomes[i].events;
    if (outcomes[i].failure) {
      result.failures.push_back(*outcomes[i].failure);
      ++result.files_failed;
    }
    for (const auto& p : outcomes[i].problems) result.failures.push_back(p);
  }
  // The report's gating sheets as the shards laid them out. A sample without one, or whose sheet
  // file is gone or damaged, is read again as in a whole run: the report stays the same.
  plan.stored_sheet = [&](std::size_t i) -> std::optional<StoredSheet> {
    const auto& sheet = record_of[i]->contains("sheet") ? record_of[i]->at("sheet") : Json();
    if (!sheet.is_string()) return std::nullopt;
    try {
      return sheet_of(read_record_json(shard_of_sample[i]->folder / sheet.get<std::string>()));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  timings.resolve = since(t0);
  const auto started = std::chrono::system_clock::now();
  write_outputs(plan, outcomes, result, output_set.staging(), timings, t0, hashes, unix_ns(started));
  output_set.publish();
  result.published = true;
  return result;
}

}  // namespace cytopipe::pipeline
