// Sharded runs: every N from 1 to 7 merged gives the tables of the whole run computed in the same
// test, byte for byte (run.json aside); bad shard sets are refused naming the fault; a rerun
// skips a finished shard until one of its inputs changes.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/pipeline/samples.hpp"
#include "cytopipe/pipeline/shard.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "tiny_batch.hpp"

using namespace cytopipe::pipeline;
using namespace cytopipe::pipeline::test;
namespace fs = std::filesystem;

namespace {

RunOptions quiet(const fs::path& out) {
  RunOptions o;
  o.progress = false;
  o.threads = 2;
  o.output_dir = out;
  return o;
}

// Every file of `dir` (recursively, run.json aside) -> its bytes. Cairo numbers the surfaces (and
// images, patterns, clips) of an SVG with a counter per process, so figures drawn later in the same process (as here: the
// whole run, then the merges) get other ids; two processes (cytopipe run, cytopipe merge) write
// the same ids, which the Slurm test and check_outputs compare. Only those ids are normalised.
std::map<std::string, std::string> outputs_of(const fs::path& dir) {
  static const std::regex surface_id("(surface|image|pattern|clip|mask|source)[0-9]+");
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "run.json") {
      auto text = read_text(e.path());
      if (e.path().extension() == ".svg" || e.path().extension() == ".html")
        text = std::regex_replace(text, surface_id, "$1#");
      files[e.path().lexically_relative(dir).generic_string()] = std::move(text);
    }
  return files;
}

void expect_same_outputs(const fs::path& whole, const fs::path& merged, const std::string& what) {
  const auto a = outputs_of(whole), b = outputs_of(merged);
  std::set<std::string> names_a, names_b;
  for (const auto& [n, t] : a) names_a.insert(n);
  for (const auto& [n, t] : b) names_b.insert(n);
  ASSERT_EQ(names_a, names_b) << what;
  for (const auto& [name, text] : a) EXPECT_TRUE(text == b.at(name)) << what << ": " << name << " differs";
}

// Pass 1 once, then for each N the N shards and their merge, each against the whole run.
void expect_every_sharding_gives_the_whole_run(const Config& config, const fs::path& dir, std::size_t max_n) {
  run_pipeline(config, quiet(dir / "whole"));
  const auto samples = resolve_samples(config);
  for (std::size_t n = 1; n <= max_n; ++n) {
    // Pass 1 split into n parts of the control groups (an array of n tasks), each into its own
    // folder under one, which the shards read; for n = 1 the unsplit pass's own folder.
    std::optional<fs::path> thresholds;
    if (needs_threshold_pass(config)) {
      thresholds = dir / ("n" + std::to_string(n)) / "thresholds";
      for (std::size_t k = 1; k <= n; ++k)
        run_threshold_pass(config, quiet(n == 1 ? *thresholds : *thresholds / ("group-" + std::to_string(k))), false, {k, n});
    }
    std::vector<fs::path> shards;
    std::size_t analysed = 0;
    for (std::size_t i = 1; i <= n; ++i) {
      shards.push_back(dir / ("n" + std::to_string(n)) / ("shard-" + std::to_string(i)));
      const auto pass = run_shard(config, {i, n}, thresholds, quiet(shards.back()));
      EXPECT_FALSE(pass.skipped);
      analysed += pass.run.samples.samples.size();
    }
    EXPECT_EQ(analysed, samples.samples.size()) << "N = " << n;
    const auto merged = dir / ("merged" + std::to_string(n));
    merge_shards(shards, quiet(merged));
    expect_same_outputs(dir / "whole", merged, "N = " + std::to_string(n));
  }
}

// The tiny batch of test_run with the problems a run lists in failures.csv: a corrupt file, a
// file without a channel, a tube of debris only, a group without its control, a corrupt control.
// With `more_controls`: a second threshold gate (V+, every isotype pooled: its controls serve two
// gates in other groupings, the corrupt one fails in both) and a group D whose isotype is debris
// only (its M+ group has an empty parent population).
// With `pooled`: live is a valley on the viability dye placed per group on the pooled events of
// its files, and 'bright' the 95th percentile of BCMA on cells pooled over the group's isotypes
// (group B has none, C's is corrupt: its files fail with the reason); the thresholds' controls are
// gated below the pooled live gate.
constexpr const char* kPooledStrategy = R"(name: tiny pooled
gates:
  - id: cells
    type: range
    dimension: FSC-A
    min: 10000
  - id: live
    parent: cells
    find: valley
    dimension: Viability
    keep: below
    pool: group
  - id: dead
    parent: cells
    type: range
    dimension: Viability
    min: 1000
  - id: bright
    parent: cells
    find: control_percentile
    dimension: BCMA
    percentile: 95
    control: {role: isotype}
    match: [group]
)";

struct TroubledBatch {
  TempDir dir;
  Config config;
  explicit TroubledBatch(bool more_controls = false, bool pooled = false) {
    std::string sheet = "file,group,role\n";
    fs::create_directories(dir / "data");
    auto tube = [&](const std::string& name, const std::string& group, const std::string& role, const Tube& t) {
      write_tube(dir / "data" / name, t);
      sheet += name + "," + group + "," + role + "\n";
    };
    auto sample = [](std::size_t dead, std::size_t live, std::size_t positive) {
      Tube t;
      t.debris = 50;
      t.dead = dead;
      for (std::size_t i = 0; i < live; ++i) t.live_marker.push_back(i < positive ? 2000 : 500);
      return t;
    };
    Tube iso;
    iso.debris = 20;
    iso.dead = 100;
    iso.live_marker = ramp(1000);
    tube("a_iso.fcs", "A", "isotype", iso);
    tube("c_iso.fcs", "C", "isotype", iso);
    for (int r = 1; r <= 6; ++r) tube("a_" + std::to_string(r) + ".fcs", "A", "sample", sample(10 * r, 100 + 20 * r, 7 * r));
    tube("b_1.fcs", "B", "sample", sample(0, 250, 200));
    tube("c_1.fcs", "C", "sample", sample(5, 80, 20));
    Tube no_v = sample(10, 100, 10);
    no_v.with_viability_channel = false;
    tube("a_nov.fcs", "A", "sample", no_v);
    Tube debris;
    debris.debris = 100;
    tube("a_debris.fcs", "A", "sample", debris);
    if (more_controls) {
      tube("d_iso.fcs", "D", "isotype", debris);
      tube("d_1.fcs", "D", "sample", sample(5, 90, 30));
    }
    for (const char* cut : {"a_cut.fcs", "c_iso.fcs"}) {
      const auto bytes = read_text(dir / "data" / cut);
      if (std::string(cut) == "a_cut.fcs") sheet += "a_cut.fcs,A,sample\n";
      write_text(dir / "data" / cut, (std::string(cut) == "a_cut.fcs" ? read_text(dir / "data" / "a_1.fcs") : bytes)
                                         .substr(0, bytes.empty() ? 3000 : bytes.size() / 2));
    }
    write_text(dir / "data" / "samples.csv", sheet);
    write_text(dir / "strategy.yaml", pooled ? kPooledStrategy : kTinyStrategy);
    const std::string second_gate = more_controls ? R"(    - name: V+
      parent: cells
      channel: Viability
      percentile: 90
      control: {role: isotype}
)"
                                                  : "";
    write_text(dir / "p.yaml", std::string(R"(name: tiny
inputs:
  files: data/
  sample_sheet: data/samples.csv
  factors: [group, role]
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
transforms:
  default: logicle(T=262144,W=0.5,M=4.5,A=0)
gating:
  strategy: strategy.yaml
  thresholds:
    - name: M+
      parent: live
      channel: BCMA
      percentile: 99
      control: {role: isotype}
      match: [group]
)") + second_gate + R"(readouts:
  viability: viability(live of cells)
  positive: percent(M+ of live)
  median_marker: median(BCMA, live)
  mean_scaled: mean(BCMA, live, scaled)
  live_count: count(live)
analysis:
  - readout: positive
    group: group
    tests: [anova]
outputs:
  directory: out
  statistics: [count, percent_parent, mean, median, rsd]
  report: true
  plots: true
)");
    config = load_config(dir / "p.yaml");
  }
};

}  // namespace

TEST(Shard, ParseNamesTheFault) {
  EXPECT_EQ(parse_shard("3/8"), (Shard{3, 8}));
  EXPECT_EQ(parse_shard("1/1"), (Shard{1, 1}));
  auto refused = [](const std::string& text, const std::string& message) {
    try {
      parse_shard(text);
      ADD_FAILURE() << text << " accepted";
    } catch (const cytopipe::Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  refused("0/3", "numbered from 1 to N");
  refused("4/3", "shard 4 is past the last of 3");
  refused("2/0", "must be at least 1");
  refused("a/3", "whole numbers");
  refused("-1/3", "whole numbers");
  refused("1/3x", "whole numbers");
  refused("3", "whole numbers");
  refused("", "whole numbers");
}

TEST(Shard, AssignmentDependsOnTheSampleOnly) {
  // Each name lands in exactly one shard of 1..N, the same whatever else is in the batch or in
  // which order: the assignment is a function of the name and N (SHA-256 of the name).
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("tube_" + std::to_string(i) + ".fcs");
  for (std::size_t n = 1; n <= 7; ++n) {
    std::vector<std::size_t> per_shard(n + 1, 0);
    for (const auto& name : names) {
      const auto s = shard_of(name, n);
      ASSERT_GE(s, 1u);
      ASSERT_LE(s, n);
      ++per_shard[s];
      const auto hex = sha256_hex(name);
      EXPECT_EQ(s, std::stoull(hex.substr(0, 16), nullptr, 16) % n + 1);
    }
    // 200 names spread over every shard (a constant assignment would fail this).
    for (std::size_t s = 1; s <= n; ++s) EXPECT_GT(per_shard[s], 200 / n / 3) << "N = " << n << ", shard " << s;
  }
}

TEST(Shard, EveryShardingOfSampleFcsGivesTheWholeRunsTables) {
  const fs::path config_file = fs::path(CYTOPIPE_SOURCE_DIR) / "pipelines" / "fig3_selinexor.yaml";
  if (!fs::exists(config_file)) GTEST_SKIP() << "no " << config_file;
  TempDir dir;
  expect_every_sharding_gives_the_whole_run(load_config(config_file), dir.path(), 7);
}

TEST(Shard, EveryShardingOfABatchWithFailuresGivesTheWholeRunsTables) {
  TroubledBatch b;
  expect_every_sharding_gives_the_whole_run(b.config, b.dir.path(), 7);
  // The batch does exercise failures: a cut file, a missing channel, no control for B.
  const auto failures = read_text(b.dir / "whole" / "failures.csv");
  EXPECT_NE(failures.find("a_cut.fcs,read,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("c_iso.fcs,read,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("a_nov.fcs,panel,"), std::string::npos) << failures;
  EXPECT_NE(failures.find("b_1.fcs,threshold,"), std::string::npos) << failures;
}

TEST(Shard, MergeRefusesAnIncompleteDoubledOrForeignSet) {
  TroubledBatch b;
  TroubledBatch other;  // another config (another folder)
  const auto& config = b.config;
  run_threshold_pass(config, quiet(b.dir / "thr"));
  run_threshold_pass(other.config, quiet(other.dir / "thr"));
  std::vector<fs::path> shards;
  for (std::size_t i = 1; i <= 4; ++i) {
    shards.push_back(b.dir / ("s" + std::to_string(i)));
    run_shard(config, {i, 4}, b.dir / "thr", quiet(shards.back()));
  }
  const auto foreign = other.dir / "s2";
  run_shard(other.config, {2, 4}, other.dir / "thr", quiet(foreign));
  const auto three = b.dir / "three";
  run_shard(config, {1, 3}, b.dir / "thr", quiet(three));
  auto refused = [&](const std::vector<fs::path>& set, const std::vector<std::string>& messages) {
    try {
      merge_shards(set, quiet(b.dir / "merged"));
      ADD_FAILURE() << "merged";
    } catch (const cytopipe::Error& e) {
      for (const auto& m : messages) EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << e.what();
    }
  };
  refused({shards[0], shards[2]}, {"incomplete set of shards: 2 of 4 given; missing shards 2/4, 4/4"});
  refused({shards[0], shards[1], shards[2], shards[3], shards[1]},
          {"shard 2/4 given twice: " + shards[1].string() + " and " + shards[1].string()});
  refused({shards[0], foreign, shards[2], shards[3]}, {foreign.string(), "a shard of another config"});
  refused({shards[0], shards[1], shards[2], three}, {three.string(), "shard 1/3 of a run in 3 shards"});
  refused({shards[0], shards[1], b.dir / "thr", shards[3]}, {(b.dir / "thr" / "shard.json").string(), "not a finished shard"});
  EXPECT_FALSE(fs::exists(b.dir / "merged"));  // nothing written by a refused merge
  // The complete set merges; then a changed config is refused.
  merge_shards(shards, quiet(b.dir / "merged"));
  write_text(b.dir / "p.yaml", read_text(b.dir / "p.yaml") + "# edited\n");
  refused({shards[0], shards[1], shards[2], shards[3]}, {"changed since the shards ran"});
}

TEST(Shard, ARerunSkipsFinishedShardsUntilAnInputChanges) {
  TroubledBatch b;
  const auto& config = b.config;
  const auto thr = b.dir / "thr", s1 = b.dir / "s1", s2 = b.dir / "s2";
  // The files must be settled relative to the passes' start for their identity to be trusted;
  // without that the passes hash them again, which gives the same answer.
  EXPECT_FALSE(run_threshold_pass(config, quiet(thr)).skipped);
  EXPECT_FALSE(run_shard(config, {1, 2}, thr, quiet(s1)).skipped);
  EXPECT_FALSE(run_shard(config, {2, 2}, thr, quiet(s2)).skipped);
  EXPECT_EQ(threshold_pass_outdated(config, thr), "");
  EXPECT_TRUE(run_threshold_pass(config, quiet(thr)).skipped);
  EXPECT_EQ(shard_outdated(config, {1, 2}, s1, thr), "");
  EXPECT_TRUE(run_shard(config, {1, 2}, thr, quiet(s1)).skipped);
  EXPECT_TRUE(run_shard(config, {2, 2}, thr, quiet(s2)).skipped);
  EXPECT_FALSE(run_shard(config, {2, 2}, thr, quiet(s2), true).skipped);  // --force
  EXPECT_NE(shard_outdated(config, {1, 2}, s2, thr), "");                 // another shard's folder

  // A sample file rewritten with other events: only its shard runs again.
  const std::string changed = "a_3.fcs";
  const std::size_t its = shard_of(changed, 2), not_its = 3 - its;
  Tube t;
  t.debris = 10;
  t.dead = 10;
  t.live_marker = ramp(50);
  write_tube(b.dir / "data" / changed, t);
  const auto folder = [&](std::size_t i) { return i == 1 ? s1 : s2; };
  EXPECT_NE(shard_outdated(config, {its, 2}, folder(its), thr).find(changed), std::string::npos);
  EXPECT_EQ(shard_outdated(config, {not_its, 2}, folder(not_its), thr), "");
  EXPECT_FALSE(run_shard(config, {its, 2}, thr, quiet(folder(its))).skipped);
  EXPECT_TRUE(run_shard(config, {not_its, 2}, thr, quiet(folder(not_its))).skipped);
  // And the merge of the rerun set is the whole run over the changed batch.
  merge_shards({s1, s2}, quiet(b.dir / "merged"));
  run_pipeline(config, quiet(b.dir / "whole"));
  expect_same_outputs(b.dir / "whole", b.dir / "merged", "after a rerun");

  // A control rewritten: pass 1 is outdated, and shards refuse the stale thresholds until it reruns.
  write_tube(b.dir / "data" / "a_iso.fcs", t);
  EXPECT_NE(threshold_pass_outdated(config, thr).find("a_iso.fcs"), std::string::npos);
  EXPECT_FALSE(run_threshold_pass(config, quiet(thr)).skipped);
  EXPECT_EQ(shard_outdated(config, {1, 2}, s1, thr), "other thresholds");
}

TEST(Shard, AShardNeedsThePlacedThresholdsOfItsConfig) {
  TroubledBatch b;
  try {
    run_shard(b.config, {1, 2}, std::nullopt, quiet(b.dir / "s1"));
    ADD_FAILURE() << "ran without thresholds";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--thresholds-only"), std::string::npos) << e.what();
  }
  TroubledBatch other;
  run_threshold_pass(other.config, quiet(other.dir / "thr"));
  try {
    run_shard(b.config, {1, 2}, other.dir / "thr", quiet(b.dir / "s1"));
    ADD_FAILURE() << "ran with another config's thresholds";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("placed for another config"), std::string::npos) << e.what();
  }
}

TEST(Shard, ThresholdsPlacedInPartsGiveTheWholeRunsTables) {
  // Two gates whose controls are grouped differently (M+ per group, V+ all isotypes pooled), a
  // corrupt control (failing in both gates' groups, listed once), a control group with an empty
  // parent population: every split of pass 1 into 1..7 parts gives the whole run's tables.
  TroubledBatch b(true);
  expect_every_sharding_gives_the_whole_run(b.config, b.dir.path(), 7);
  const auto failures = read_text(b.dir / "whole" / "failures.csv");
  EXPECT_NE(failures.find("d_iso.fcs,threshold,\"threshold gate 'M+': parent population 'live' is empty"), std::string::npos)
      << failures;
  // The corrupt isotype: once as a control (not once per gate it serves), once as a sample.
  std::size_t listed = 0;
  for (auto at = failures.find("c_iso.fcs,read,"); at != std::string::npos; at = failures.find("c_iso.fcs,read,", at + 1)) ++listed;
  EXPECT_EQ(listed, 2u) << failures;
  const auto samples = resolve_samples(b.config);
  // M+ over groups A, C, D and V+ over all isotypes: 4 groups, in the order the run lists them.
  EXPECT_EQ(control_group_count(b.config), 4u);
  // Each part's thresholds are its own groups' only, and the parts together are the whole pass.
  std::size_t placed = 0;
  for (std::size_t k = 1; k <= 3; ++k) placed += run_threshold_pass(b.config, quiet(b.dir / "p3" / std::to_string(k)), false, {k, 3}).run.thresholds.size();
  EXPECT_EQ(placed, run_threshold_pass(b.config, quiet(b.dir / "p1")).run.thresholds.size());
  // A shard gated with the whole pass is current with any complete split's thresholds.
  run_shard(b.config, {1, 2}, b.dir / "p1", quiet(b.dir / "s1"));
  EXPECT_EQ(shard_outdated(b.config, {1, 2}, b.dir / "s1", b.dir / "p3"), "");
  EXPECT_EQ(shard_outdated(b.config, {1, 2}, b.dir / "s1", b.dir / "n7" / "thresholds"), "");
}

TEST(Shard, ThresholdPartsIncompleteMixedOrStaleAreRefused) {
  TroubledBatch b(true);
  const auto& config = b.config;
  const auto parts = b.dir / "thr";
  for (std::size_t k = 1; k <= 3; ++k) run_threshold_pass(config, quiet(parts / ("group-" + std::to_string(k))), false, {k, 3});
  auto refused = [&](const std::string& message) {
    try {
      run_shard(config, {1, 2}, parts, quiet(b.dir / "s1"));
      ADD_FAILURE() << "ran";
    } catch (const cytopipe::Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  // A part missing: named.
  fs::rename(parts / "group-2", b.dir / "aside");
  refused("missing part 2/3");
  fs::rename(b.dir / "aside", parts / "group-2");
  // A part of another split in the same folder.
  run_threshold_pass(config, quiet(parts / "group-9"), false, {1, 2});
  refused("mixes two splits");
  fs::remove_all(parts / "group-9");
  EXPECT_FALSE(run_shard(config, {1, 2}, parts, quiet(b.dir / "s1")).skipped);
  // A new control file (another group's tube): the parts no longer list the config's groups.
  Tube iso;
  iso.debris = 5;
  iso.dead = 5;
  iso.live_marker = ramp(300);
  write_tube(b.dir / "data" / "b_iso.fcs", iso);
  write_text(b.dir / "data" / "samples.csv", read_text(b.dir / "data" / "samples.csv") + "b_iso.fcs,B,isotype\n");
  const Config changed = load_config(b.dir / "p.yaml");
  EXPECT_EQ(control_group_count(changed), 5u);
  try {
    run_shard(changed, {1, 2}, parts, quiet(b.dir / "s1"));
    ADD_FAILURE() << "ran with stale parts";
  } catch (const cytopipe::Error& e) {
    // The sheet changed, so the config's fingerprint did too: every part is stale.
    EXPECT_NE(std::string(e.what()).find("run the thresholds pass again"), std::string::npos) << e.what();
  }
  EXPECT_NE(threshold_pass_outdated(changed, parts / "group-1", {1, 3}), "");
}

TEST(Shard, ARerunPlacesOnlyThePartsWhoseControlsChanged) {
  TroubledBatch b(true);
  const auto& config = b.config;
  const auto parts = b.dir / "thr";
  auto folder = [&](std::size_t k) { return parts / ("group-" + std::to_string(k)); };
  // 4 groups in 4 parts: M+ A, M+ C, M+ D, V+ (all isotypes).
  for (std::size_t k = 1; k <= 4; ++k) EXPECT_FALSE(run_threshold_pass(config, quiet(folder(k)), false, {k, 4}).skipped);
  for (std::size_t k = 1; k <= 4; ++k) {
    EXPECT_EQ(threshold_pass_outdated(config, folder(k), {k, 4}), "") << k;
    EXPECT_TRUE(run_threshold_pass(config, quiet(folder(k)), false, {k, 4}).skipped) << k;
  }
  EXPECT_EQ(threshold_pass_outdated(config, folder(1), {1, 3}), "another part of the control groups");
  // Group D's isotype rewritten: part 3 (M+ D) and part 4 (V+ pools it) are outdated, 1 and 2 not.
  Tube iso;
  iso.debris = 5;
  iso.dead = 5;
  iso.live_marker = ramp(300);
  write_tube(b.dir / "data" / "d_iso.fcs", iso);
  EXPECT_EQ(threshold_pass_outdated(config, folder(1), {1, 4}), "");
  EXPECT_EQ(threshold_pass_outdated(config, folder(2), {2, 4}), "");
  EXPECT_NE(threshold_pass_outdated(config, folder(3), {3, 4}).find("d_iso.fcs"), std::string::npos);
  EXPECT_NE(threshold_pass_outdated(config, folder(4), {4, 4}).find("d_iso.fcs"), std::string::npos);
  EXPECT_TRUE(run_threshold_pass(config, quiet(folder(1)), false, {1, 4}).skipped);
  EXPECT_FALSE(run_threshold_pass(config, quiet(folder(3)), false, {3, 4}).skipped);
  EXPECT_FALSE(run_threshold_pass(config, quiet(folder(4)), false, {4, 4}).skipped);
  // The rerun parts with the kept ones are the whole pass over the changed controls.
  for (std::size_t i = 1; i <= 2; ++i) run_shard(config, {i, 2}, parts, quiet(b.dir / ("s" + std::to_string(i))));
  merge_shards({b.dir / "s1", b.dir / "s2"}, quiet(b.dir / "merged"));
  run_pipeline(config, quiet(b.dir / "whole"));
  expect_same_outputs(b.dir / "whole", b.dir / "merged", "after rerunning two parts");
  // Group D now has a threshold (its isotype has live cells): the empty-population failure is gone.
  EXPECT_EQ(read_text(b.dir / "whole" / "failures.csv").find("d_iso.fcs,threshold"), std::string::npos);
}

TEST(Shard, TheMergeDrawsTheShardsGatingSheetsWithoutReadingEvents) {
  TroubledBatch b;
  const auto& config = b.config;
  run_pipeline(config, quiet(b.dir / "whole"));
  const auto report = read_text(b.dir / "whole" / "report.html");
  ASSERT_NE(report.find("Gating"), std::string::npos);
  run_threshold_pass(config, quiet(b.dir / "thr"));
  std::vector<fs::path> shards = {b.dir / "s1", b.dir / "s2"};
  for (std::size_t i = 1; i <= 2; ++i) run_shard(config, {i, 2}, b.dir / "thr", quiet(shards[i - 1]));
  // Every analysed file the analysis selects has its sheet laid out in its shard.
  const std::string representative = "a_1.fcs";  // the first of group A by name
  const auto& holder = shards[shard_of(representative, 2) - 1];
  ASSERT_TRUE(fs::exists(holder / "sheets" / (representative + ".json")));
  std::size_t sheets = 0;
  for (const auto& s : shards) sheets += static_cast<std::size_t>(std::distance(fs::directory_iterator(s / "sheets"), {}));
  EXPECT_EQ(sheets, 10u);  // 13 files, 3 not analysed (the cut file, the one without V-A, the corrupt isotype)
  // A sheet file gone: that file is read again, and the report is the same.
  fs::remove(holder / "sheets" / (representative + ".json"));
  merge_shards(shards, quiet(b.dir / "merged1"));
  expect_same_outputs(b.dir / "whole", b.dir / "merged1", "one sheet read again");
  // Every FCS file made unreadable: the merge, which reads only the shards' summaries and
  // sheets, still gives the whole run's report (but the sheet it would read again is skipped).
  run_shard(config, {shard_of(representative, 2), 2}, b.dir / "thr", quiet(holder), true);
  for (const auto& e : fs::directory_iterator(b.dir / "data"))
    if (e.path().extension() == ".fcs") write_text(e.path(), "not an FCS file any more");
  merge_shards(shards, quiet(b.dir / "merged2"));
  expect_same_outputs(b.dir / "whole", b.dir / "merged2", "no event read by the merge");
}

// Pooled finders in a sharded run: pass 1 places each pool group once (in the part the split gives
// it), the shards gate with the union, and every split of pass 1 into 1..7 parts with every
// sharding gives the whole run's tables; the thresholds' controls are gated below a pooled gate,
// so a part placing a control group places its controls' pool groups for itself.
TEST(Shard, PooledFindersPlacedInThePartsGiveTheWholeRunsTables) {
  TroubledBatch b(true, true);
  // Control groups M+ A, C, D and V+; pool groups live A, B, C, D and bright A, C, D.
  EXPECT_EQ(control_group_count(b.config), 11u);
  expect_every_sharding_gives_the_whole_run(b.config, b.dir.path(), 7);
  const auto whole = b.dir / "whole";
  const auto failures = read_text(whole / "failures.csv");
  const auto resolved = read_text(whole / "gates_resolved.yaml");
  // The pooled gates were placed (group A's live valley lies between the live cells' dye, 100, and
  // the dead cells', 20000), and their problems are the whole run's: no isotype in group B, C's
  // isotype unreadable.
  EXPECT_NE(read_text(whole / "populations.csv").find("finder_pooled_files"), std::string::npos);
  const auto cuts = [&] {
    std::vector<double> values;
    const std::string key = "id: live";
    for (auto at = resolved.find(key); at != std::string::npos; at = resolved.find(key, at + 1)) {
      const auto max = resolved.find("max: ", at);
      if (max != std::string::npos && max - at < 200) values.push_back(std::stod(resolved.substr(max + 5, 30)));
    }
    return values;
  }();
  ASSERT_FALSE(cuts.empty()) << resolved;
  for (const double cut : cuts) {
    EXPECT_GT(cut, 100);
    EXPECT_LT(cut, 20000);
  }
  // Group B's files are all live (dye 100): no valley to place.
  EXPECT_NE(failures.find("b_1.fcs,gate,\"gate 'live' (find: valley, pooled over group=B): all 250 values are (nearly) "
                          "equal"),
            std::string::npos) << failures;
  EXPECT_NE(failures.find("c_1.fcs,gate,\"gate 'bright' (find: control_percentile, pooled over group=C): none of its 1 "
                          "files could be read"),
            std::string::npos) << failures;
}

TEST(Shard, PooledFindersAloneNeedPassOneAndStaleOrMissingPartsAreRefused) {
  // No threshold gate: the pooled finders alone make pass 1 needed.
  TroubledBatch b(false, true);
  auto text = read_text(b.dir / "p.yaml");
  const auto from = text.find("  thresholds:"), to = text.find("readouts:");
  text.erase(from, to - from);
  text.replace(text.find("  positive: percent(M+ of live)"), 31, "  positive: percent(bright of cells)");
  write_text(b.dir / "p.yaml", text);
  const Config config = load_config(b.dir / "p.yaml");
  ASSERT_TRUE(config.gating.thresholds.empty());
  EXPECT_TRUE(needs_threshold_pass(config));
  try {
    run_shard(config, {1, 2}, std::nullopt, quiet(b.dir / "s1"));
    ADD_FAILURE() << "a shard placed pooled finders alone";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("pooled finders (live, bright)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--thresholds-only"), std::string::npos) << e.what();
  }
  expect_every_sharding_gives_the_whole_run(config, b.dir.path(), 4);

  const auto parts = b.dir / "thr";
  auto folder = [&](std::size_t k) { return parts / ("group-" + std::to_string(k)); };
  auto refused = [&](const std::string& message) {
    try {
      run_shard(config, {1, 2}, parts, quiet(b.dir / "s1"));
      ADD_FAILURE() << "ran";
    } catch (const cytopipe::Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  // Pool groups live A, B, C and bright A, C over 3 parts: 1 = live A, bright A; 2 = live B,
  // bright C; 3 = live C.
  ASSERT_EQ(control_group_count(config), 5u);
  for (std::size_t k = 1; k <= 3; ++k) EXPECT_FALSE(run_threshold_pass(config, quiet(folder(k)), false, {k, 3}).skipped);
  fs::rename(folder(2), b.dir / "aside");
  refused("missing part 2/3");
  fs::rename(b.dir / "aside", folder(2));
  EXPECT_FALSE(run_shard(config, {1, 2}, parts, quiet(b.dir / "s1")).skipped);
  EXPECT_EQ(shard_outdated(config, {1, 2}, b.dir / "s1", parts), "");
  // A member of group C rewritten: only part 3 (live C) is outdated; 2 places bright C over C's
  // isotype only, 1 reads group A.
  Tube t;
  t.debris = 10;
  t.dead = 40;
  t.live_marker = ramp(60);
  write_tube(b.dir / "data" / "c_1.fcs", t);
  EXPECT_EQ(threshold_pass_outdated(config, folder(1), {1, 3}), "");
  EXPECT_EQ(threshold_pass_outdated(config, folder(2), {2, 3}), "");
  EXPECT_NE(threshold_pass_outdated(config, folder(3), {3, 3}).find("c_1.fcs changed"), std::string::npos);
  EXPECT_TRUE(run_threshold_pass(config, quiet(folder(1)), false, {1, 3}).skipped);
  EXPECT_FALSE(run_threshold_pass(config, quiet(folder(3)), false, {3, 3}).skipped);
  // The shard gated with the old live C gate is outdated; rerun, the merge is the whole run again.
  EXPECT_EQ(shard_outdated(config, {1, 2}, b.dir / "s1", parts), "other thresholds");
  for (std::size_t i = 1; i <= 2; ++i) run_shard(config, {i, 2}, parts, quiet(b.dir / ("s" + std::to_string(i))));
  merge_shards({b.dir / "s1", b.dir / "s2"}, quiet(b.dir / "merged"));
  run_pipeline(config, quiet(b.dir / "whole2"));
  expect_same_outputs(b.dir / "whole2", b.dir / "merged", "after rerunning the part of a changed pool file");
  // A part of another split in the same folder, and a record whose pool groups are not the
  // config's any more (a sheet row moves c_1 to group A: the fingerprint changes).
  run_threshold_pass(config, quiet(parts / "group-9"), false, {1, 2});
  refused("mixes two splits");
  fs::remove_all(parts / "group-9");
  write_text(b.dir / "data" / "samples.csv", [&] {
    auto sheet = read_text(b.dir / "data" / "samples.csv");
    sheet.replace(sheet.find("c_1.fcs,C"), 9, "c_1.fcs,A");
    return sheet;
  }());
  const Config moved = load_config(b.dir / "p.yaml");
  try {
    run_shard(moved, {1, 2}, parts, quiet(b.dir / "s1"));
    ADD_FAILURE() << "ran with stale parts";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("run the thresholds pass again"), std::string::npos) << e.what();
  }
}
