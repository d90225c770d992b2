#include "pipeline/shard_record.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <map>

#include "cytopipe/error.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "pipeline/pooled_finders.hpp"

namespace cytopipe::pipeline::detail {

std::string record_path(const std::filesystem::path& file) {
  return std::filesystem::absolute(file).lexically_normal().generic_string();
}

// nlohmann writes the shortest text that reads back to the same double; JSON has no NaN or
// infinity, so those are strings.
Json number_json(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

double number_of(const Json& value) {
  if (value.is_number()) return value.get<double>();
  const auto text = value.get<std::string>();
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  throw Error("'" + text + "' is not a number");
}

Json failure_json(const Failure& f) { return Json::array({f.file, f.stage, f.reason}); }
Failure failure_of(const Json& j) { return {j.at(0).get<std::string>(), j.at(1).get<std::string>(), j.at(2).get<std::string>()}; }

std::optional<FileIdentity> identity_of(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  FileIdentity id;
  id.size = j.at("size").get<std::uint64_t>();
  id.inode = j.at("inode").get<std::uint64_t>();
  id.device = j.at("device").get<std::uint64_t>();
  id.mtime_ns = j.at("mtime_ns").get<std::int64_t>();
  id.ctime_ns = j.at("ctime_ns").get<std::int64_t>();
  return id;
}

Json outcome_json(const SampleEntry& entry, const SampleOutcome& o, const InputHash& hash) {
  Json j;
  j["file"] = entry.name;
  j["path"] = record_path(entry.path);
  j["sha256"] = hash.sha256.empty() ? Json() : Json(hash.sha256);
  j["sha256_carried_over"] = hash.carried_over;
  j["identity"] = hash.identity ? to_json(*hash.identity) : Json();
  j["analysed"] = o.analysed;
  j["events"] = o.events;
  j["failure"] = o.failure ? failure_json(*o.failure) : Json();
  auto& problems = j["problems"] = Json::array();
  for (const auto& p : o.problems) problems.push_back(failure_json(p));
  j["total_events"] = number_json(o.values.total_events);
  j["factors"] = Json::object();
  for (const auto& [k, v] : o.values.factors) j["factors"][k] = v;
  auto& populations = j["populations"] = Json::array();
  for (const auto& [name, p] : o.values.populations) {
    Json statistics = Json::array();
    for (const auto& [key, value] : p.statistics)
      statistics.push_back(Json::array({key.first, static_cast<int>(key.second), number_json(value)}));
    populations.push_back(Json::array({name, p.parent, number_json(p.count), std::move(statistics)}));
  }
  auto& rows = j["rows"] = Json::array();
  for (const auto& r : o.rows)
    rows.push_back(Json::array({r.population, r.parent, r.statistic, r.channel, number_json(r.value)}));
  auto& histograms = j["histograms"] = Json::array();
  for (const auto& [key, values] : o.histograms) {
    Json v = Json::array();
    for (double x : values) v.push_back(number_json(x));
    histograms.push_back(Json::array({key.first, key.second, std::move(v)}));
  }
  // Strategies with finder gates: what each finder saw and the strategy as placed (the merge
  // writes them into gates_resolved.yaml as the whole run does).
  if (!o.placed_strategy.empty()) {
    Json finders = Json::array();
    for (const auto& r : o.finder_reports) finders.push_back(finder_report_json(r));
    j["finders"] = std::move(finders);
    j["placed_strategy"] = o.placed_strategy;
  }
  // The acquisition QC (configs with a qc: section): what readouts.csv, warnings and the report
  // show of it (the per-channel levels stay in the shard).
  if (o.qc) {
    const auto& qc = *o.qc;
    Json bins = Json::array();
    for (const auto& b : qc.bins)
      bins.push_back(Json::array({number_json(b.start), number_json(b.end), b.first_event, b.events,
                                  number_json(b.rate), number_json(b.rate_z), b.flags}));
    j["qc"] = {{"verdict", static_cast<int>(qc.verdict)}, {"reason", qc.reason}, {"time_channel", qc.time_channel},
               {"timestep", number_json(qc.timestep)}, {"timestep_known", qc.timestep_known}, {"events", qc.events},
               {"flagged_events", qc.flagged_events}, {"removed_events", qc.removed_events},
               {"typical_rate", number_json(qc.typical_rate)}, {"rate_spread", number_json(qc.rate_spread)},
               {"bins", std::move(bins)}};
  }
  return j;
}

void read_outcome(const Json& j, SampleOutcome& o, InputHash& hash) {
  hash.sha256 = j.at("sha256").is_string() ? j.at("sha256").get<std::string>() : "";
  hash.carried_over = j.at("sha256_carried_over").get<bool>();
  hash.identity = identity_of(j.at("identity"));
  o.analysed = j.at("analysed").get<bool>();
  o.events = j.at("events").get<std::size_t>();
  if (!j.at("failure").is_null()) o.failure = failure_of(j.at("failure"));
  for (const auto& p : j.at("problems")) o.problems.push_back(failure_of(p));
  o.values.total_events = number_of(j.at("total_events"));
  for (const auto& [k, v] : j.at("factors").items()) o.values.factors[k] = v.get<std::string>();
  for (const auto& p : j.at("populations")) {
    auto& pv = o.values.populations[p.at(0).get<std::string>()];
    pv.parent = p.at(1).get<std::string>();
    pv.count = number_of(p.at(2));
    for (const auto& s : p.at(3))
      pv.statistics[{s.at(0).get<std::string>(), static_cast<Statistic>(s.at(1).get<int>())}] = number_of(s.at(2));
  }
  for (const auto& r : j.at("rows"))
    o.rows.push_back({r.at(0).get<std::string>(), r.at(1).get<std::string>(), r.at(2).get<std::string>(),
                      r.at(3).get<std::string>(), number_of(r.at(4))});
  for (const auto& h : j.at("histograms")) {
    auto& values = o.histograms[{h.at(0).get<std::string>(), h.at(1).get<std::string>()}];
    values.reserve(h.at(2).size());
    for (const auto& x : h.at(2)) values.push_back(number_of(x));
  }
  if (j.contains("placed_strategy")) {
    o.placed_strategy = j.at("placed_strategy").get<std::string>();
    for (const auto& f : j.at("finders")) o.finder_reports.push_back(finder_report_of(f));
  }
  if (j.contains("qc")) {
    const auto& q = j.at("qc");
    auto& qc = o.qc.emplace();
    qc.verdict = static_cast<transform::QcVerdict>(q.at("verdict").get<int>());
    qc.reason = q.at("reason").get<std::string>();
    qc.time_channel = q.at("time_channel").get<std::string>();
    qc.timestep = number_of(q.at("timestep"));
    qc.timestep_known = q.at("timestep_known").get<bool>();
    qc.events = q.at("events").get<std::size_t>();
    qc.flagged_events = q.at("flagged_events").get<std::size_t>();
    qc.removed_events = q.at("removed_events").get<std::size_t>();
    qc.typical_rate = number_of(q.at("typical_rate"));
    qc.rate_spread = number_of(q.at("rate_spread"));
    for (const auto& b : q.at("bins"))
      qc.bins.push_back({number_of(b.at(0)), number_of(b.at(1)), b.at(2).get<std::size_t>(), b.at(3).get<std::size_t>(),
                         number_of(b.at(4)), number_of(b.at(5)), b.at(6).get<std::uint8_t>()});
  }
}

Json finder_report_json(const gating::FinderReport& r) {
  Json peaks = Json::array();
  for (double p : r.peaks) peaks.push_back(number_json(p));
  return {{"gate", r.gate}, {"parent", r.parent}, {"method", static_cast<int>(r.method)},
          {"dimensions", r.dimensions}, {"events", r.events}, {"ignored", r.ignored},
          {"peaks", std::move(peaks)}, {"valley", r.valley ? number_json(*r.valley) : Json()},
          {"cut", r.cut ? number_json(*r.cut) : Json()}, {"centre_x", number_json(r.centre_x)},
          {"centre_y", number_json(r.centre_y)}, {"slope", number_json(r.slope)},
          {"intercept", number_json(r.intercept)}, {"pooled_files", r.pooled_files},
          {"fallback", r.fallback}, {"fraction", number_json(r.fraction)}};
}

gating::FinderReport finder_report_of(const Json& f) {
  gating::FinderReport r;
  r.gate = f.at("gate").get<std::string>();
  r.parent = f.at("parent").get<std::string>();
  r.method = static_cast<gating::FinderMethod>(f.at("method").get<int>());
  r.dimensions = f.at("dimensions").get<std::vector<std::string>>();
  r.events = f.at("events").get<std::size_t>();
  r.ignored = f.at("ignored").get<std::size_t>();
  for (const auto& p : f.at("peaks")) r.peaks.push_back(number_of(p));
  if (!f.at("valley").is_null()) r.valley = number_of(f.at("valley"));
  if (!f.at("cut").is_null()) r.cut = number_of(f.at("cut"));
  r.centre_x = number_of(f.at("centre_x"));
  r.centre_y = number_of(f.at("centre_y"));
  r.slope = number_of(f.at("slope"));
  r.intercept = number_of(f.at("intercept"));
  r.pooled_files = f.at("pooled_files").get<std::size_t>();
  r.fallback = f.at("fallback").get<std::string>();
  r.fraction = number_of(f.at("fraction"));
  return r;
}

// A placed gate travels as a one-gate strategy in cytopipe's YAML, whose numbers read back exactly.
Json pooled_json(const PlacedThresholds::Pooled& p) {
  Json j{{"gate", p.gate}, {"key", p.key}};
  if (const auto* placed = std::get_if<Plan::PooledGate>(&p.placed)) {
    gating::GatingStrategy one;
    gating::GateNode node;
    node.id = placed->id;
    node.gate = placed->gate;
    one.add(std::move(node));
    j["strategy_yaml"] = gating::to_yaml(one);
    j["report"] = finder_report_json(placed->report);
    j["problem"] = Json();
  } else {
    j["strategy_yaml"] = Json();
    j["report"] = Json();
    j["problem"] = std::get<std::string>(p.placed);
  }
  return j;
}

PlacedThresholds::Pooled pooled_of(const Json& j) {
  PlacedThresholds::Pooled p;
  p.gate = j.at("gate").get<std::string>();
  p.key = j.at("key").get<std::string>();
  if (j.at("problem").is_string()) {
    p.placed = j.at("problem").get<std::string>();
    return p;
  }
  const gating::GatingStrategy one = gating::parse_strategy_yaml(j.at("strategy_yaml").get<std::string>(), "pooled gate");
  const gating::GateNode* node = one.find_gate(p.gate);
  if (!node) throw Error("pooled gate '" + p.gate + "' is not in its record");
  p.placed = Plan::PooledGate{p.gate, node->gate, finder_report_of(j.at("report"))};
  return p;
}

Json threshold_json(const std::string& gate_name, const ResolvedThreshold& r) {
  Json group = Json::array();
  for (const auto& [f, v] : r.group) group.push_back(Json::array({f, v}));
  return {{"gate", gate_name},
          {"group", std::move(group)},
          {"controls", r.controls},
          {"control_events", r.control_events},
          {"value", number_json(r.value)}};
}

ResolvedThreshold threshold_of(const Json& t) {
  ResolvedThreshold r;
  r.gate = t.at("gate").get<std::string>();
  for (const auto& fv : t.at("group")) r.group.emplace_back(fv.at(0).get<std::string>(), fv.at(1).get<std::string>());
  r.controls = t.at("controls").get<std::vector<std::string>>();
  r.control_events = t.at("control_events").get<std::size_t>();
  r.value = number_of(t.at("value"));
  return r;
}

Json placed_json(const Config& config, const PlacedThresholds& placed) {
  Json j;
  auto& thresholds = j["thresholds"] = Json::array();
  for (std::size_t t = 0; t < placed.thresholds.size(); ++t)
    thresholds.push_back(threshold_json(config.gating.thresholds.at(placed.gate[t]).name, placed.thresholds[t]));
  auto& failures = j["failures"] = Json::array();
  for (const auto& f : placed.failures) failures.push_back(failure_json(f));
  if (!placed.pooled.empty()) {
    auto& pooled = j["pooled"] = Json::array();
    for (const auto& p : placed.pooled) pooled.push_back(pooled_json(p));
  }
  return j;
}

PlacedThresholds read_placed(const Config& config, const Json& j, const std::string& source) {
  PlacedThresholds placed;
  const auto& gates = config.gating.thresholds;
  for (const auto& t : j.at("thresholds")) {
    ResolvedThreshold r = threshold_of(t);
    std::size_t g = 0;
    while (g < gates.size() && gates[g].name != r.gate) ++g;
    if (g == gates.size()) throw Error("threshold gate '" + r.gate + "' is not in the config", {source, "thresholds", 0, 0});
    placed.gate.push_back(g);
    placed.thresholds.push_back(std::move(r));
  }
  for (const auto& f : j.at("failures")) placed.failures.push_back(failure_of(f));
  if (j.contains("pooled")) {
    try {
      for (const auto& p : j.at("pooled")) placed.pooled.push_back(pooled_of(p));
    } catch (const std::exception& e) {
      throw Error(std::string("a pooled gate that cannot be read back: ") + e.what(), {source, "pooled", 0, 0});
    }
  }
  return placed;
}

void apply(const PlacedThresholds& placed, Plan& plan, const SampleSet& samples) {
  if (has_pooled_finders(plan.strategy)) {
    const auto groups = pool_groups(plan.strategy, samples);
    std::map<std::pair<std::string, std::string>, const PlacedThresholds::Pooled*> by_group;
    for (const auto& p : placed.pooled) by_group.emplace(std::pair(p.gate, p.key), &p);
    std::vector<std::optional<PlacedPool>> by_unit(groups.size());
    for (std::size_t u = 0; u < groups.size(); ++u) {
      const std::string& id = plan.strategy.gates()[groups[u].gate].id;
      const auto it = by_group.find({id, groups[u].key});
      by_unit[u] = it != by_group.end() ? it->second->placed
                                        : PlacedPool(std::string("pooled gate '" + id + "' for " + groups[u].key +
                                                                 " is not in the thresholds pass's record: run it again"));
    }
    assign_pooled(plan, samples, groups, by_unit);
  }
  for (std::size_t t = 0; t < placed.thresholds.size(); ++t) {
    const auto& r = placed.thresholds[t];
    // The key group_key gives a sample of this group.
    std::string key;
    for (const auto& [f, v] : r.group) key += (key.empty() ? "" : ", ") + f + "=" + v;
    plan.thresholds.at(placed.gate[t])[key] = r;
  }
}

Json fingerprint(const Config& config) {
  Json j;
  j["cytopipe_version"] = CYTOPIPE_VERSION;
  j["config"] = std::filesystem::absolute(config.file).lexically_normal().generic_string();
  j["config_sha256"] = sha256_hex(config.text);
  j["strategy_sha256"] = sha256_file(config.resolve(config.gating.strategy));
  j["sample_sheet_sha256"] =
      config.inputs.sample_sheet ? Json(sha256_file(config.resolve(*config.inputs.sample_sheet))) : Json();
  return j;
}

Json read_record_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + file.filename().string(), {file.string(), "", 0, 0});
  try {
    return Json::parse(in);
  } catch (const std::exception& e) {
    throw Error(std::string("not JSON (") + e.what() + ")", {file.string(), "", 0, 0});
  }
}

Json read_record(const std::filesystem::path& file, const std::string& kind) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("no " + file.filename().string() + " here: not a finished " + kind, {file.string(), "", 0, 0});
  Json j;
  try {
    j = Json::parse(in);
  } catch (const std::exception& e) {
    throw Error(std::string("not a cytopipe record (") + e.what() + ")", {file.string(), "", 0, 0});
  }
  if (!j.is_object() || j.value("kind", "") != "cytopipe " + kind || j.value("format", 0) != kRecordFormat)
    throw Error("not a cytopipe " + kind + " record of format " + std::to_string(kRecordFormat), {file.string(), "kind", 0, 0});
  return j;
}

bool unchanged(const std::filesystem::path& file, const std::string& sha256, const std::optional<FileIdentity>& identity,
               std::int64_t started_ns) {
  if (sha256.empty()) return false;
  const auto now = identify(file);
  if (!now) return false;
  if (identity && *identity == *now && now->ctime_ns != 0 &&
      std::max(now->mtime_ns, now->ctime_ns) <= started_ns - PreviousHashes::kSettleNs)
    return true;
  try {
    return sha256_file(file) == sha256;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace cytopipe::pipeline::detail
