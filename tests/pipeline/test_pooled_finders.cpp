// Finders placed on the pooled events of a group of files (pool: FACTORS), and the
// control_percentile finder (the pipeline's control thresholds as a strategy gate). Every expected
// number follows from how the tubes were built.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "tiny_batch.hpp"

using namespace cytopipe::pipeline;
using namespace cytopipe::pipeline::test;

namespace {

// Live cells whose marker is `negatives` values spread over 60..140 and `positives` over
// 1900..2100 (evenly), plus 50 debris: the valley lies between 140 and 1900.
Tube bimodal_tube(std::size_t negatives, std::size_t positives) {
  Tube t;
  t.debris = 50;
  for (std::size_t i = 0; i < negatives; ++i) t.live_marker.push_back(60 + 80.0 * i / std::max<std::size_t>(negatives, 1));
  for (std::size_t i = 0; i < positives; ++i) t.live_marker.push_back(1900 + 200.0 * i / std::max<std::size_t>(positives, 1));
  return t;
}

struct Plate {
  TempDir dir;
  std::string sheet = "file,plate,role\n";
  void tube(const std::string& name, const std::string& plate, const std::string& role, const Tube& t) {
    std::filesystem::create_directories(dir / "data");
    write_tube(dir / "data" / name, t);
    sheet += name + "," + plate + "," + role + "\n";
  }
  Config config(const std::string& finder, const std::string& extra_gating = "") {
    write_text(dir / "data" / "samples.csv", sheet);
    write_text(dir / "strategy.yaml", R"(name: pooled
gates:
  - id: cells
    type: range
    dimension: FSC-A
    min: 10000
  - id: live
    parent: cells
    type: range
    dimension: Viability
    max: 1000
  - id: pos
    parent: live
)" + finder);
    write_text(dir / "p.yaml", R"(name: pooled
inputs:
  files: data/
  sample_sheet: data/samples.csv
  factors: [plate, role]
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
)" + extra_gating + R"(
readouts:
  positive: percent(pos of live)
outputs:
  directory: out
)");
    return load_config(dir / "p.yaml");
  }
};

RunOptions quiet(const std::filesystem::path& out) {
  RunOptions o;
  o.progress = false;
  o.threads = 2;
  o.output_dir = out;
  return o;
}

// gates_resolved.yaml's placed cut of gate 'pos' per file (the range's min).
std::map<std::string, double> placed_cuts(const std::filesystem::path& file) {
  std::map<std::string, double> out;
  const YAML::Node root = YAML::LoadFile(file.string());
  for (const auto& p : root["placed"]) {
    const YAML::Node strategy = YAML::Load(p["strategy_yaml"].as<std::string>());
    for (const auto& g : strategy["gates"])
      if (g["id"].as<std::string>() == "pos") out[p["file"].as<std::string>()] = g["min"].as<double>();
  }
  return out;
}

// populations.csv value of (file, population, statistic).
double population_value(const std::filesystem::path& file, const std::string& sample, const std::string& population,
                        const std::string& statistic) {
  std::istringstream in(read_text(file));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) f.push_back(cell);
    if (f.size() == 6 && f[0] == sample && f[1] == population && f[3] == statistic) return std::stod(f[5]);
  }
  ADD_FAILURE() << "no row " << sample << "," << population << "," << statistic;
  return 0;
}

const char* kValley = R"(    find: valley
    dimension: BCMA
    keep: above
)";

TEST(PooledFinders, AFileTooSparseAloneGetsItsPoolsGate) {
  Plate plate;
  plate.tube("p1_rich.fcs", "1", "sample", bimodal_tube(600, 400));
  plate.tube("p1_sparse.fcs", "1", "sample", bimodal_tube(20, 10));  // 30 live events: < min_events
  plate.tube("p2_rich.fcs", "2", "sample", bimodal_tube(500, 500));
  {
    // Alone, the sparse file cannot place its valley: a failure naming why.
    const auto result = run_pipeline(plate.config(kValley), quiet(plate.dir / "alone"));
    ASSERT_EQ(result.failures.size(), 1u);
    EXPECT_EQ(result.failures[0].file, "p1_sparse.fcs");
    EXPECT_NE(result.failures[0].reason.find("30 events"), std::string::npos) << result.failures[0].reason;
  }
  const auto result = run_pipeline(plate.config(std::string(kValley) + "    pool: plate\n"), quiet(plate.dir / "pooled"));
  for (const auto& f : result.failures) ADD_FAILURE() << f.file << ": " << f.reason;
  const auto cuts = placed_cuts(plate.dir / "pooled" / "gates_resolved.yaml");
  ASSERT_EQ(cuts.size(), 3u);
  // One gate per plate: the sparse file has its plate's; each cut lies in the gap between the
  // negatives (<= 140) and the positives (>= 1900).
  EXPECT_EQ(cuts.at("p1_sparse.fcs"), cuts.at("p1_rich.fcs"));
  for (const auto& [file, cut] : cuts) {
    EXPECT_GT(cut, 140) << file;
    EXPECT_LT(cut, 1900) << file;
  }
  // The sparse file's 10 positives of 30 live: exactly a third.
  const auto out = plate.dir / "pooled" / "populations.csv";
  EXPECT_NEAR(population_value(out, "p1_sparse.fcs", "pos", "percent_parent"), 100.0 / 3, 1e-6);
  EXPECT_NEAR(population_value(out, "p2_rich.fcs", "pos", "percent_parent"), 50.0, 1e-9);
  // What the finder saw, over the pool: both files of plate 1 (1000 + 30 live events).
  EXPECT_EQ(population_value(out, "p1_sparse.fcs", "pos", "finder_pooled_files"), 2);
  EXPECT_EQ(population_value(out, "p1_sparse.fcs", "pos", "finder_events"), 1030);
  EXPECT_EQ(population_value(out, "p2_rich.fcs", "pos", "finder_pooled_files"), 1);
  EXPECT_NEAR(population_value(out, "p1_sparse.fcs", "pos", "finder_fraction"), 1.0 / 3, 1e-9);
  EXPECT_NEAR(population_value(out, "p1_sparse.fcs", "pos", "finder_cut"), cuts.at("p1_sparse.fcs"), 1e-6 * cuts.at("p1_sparse.fcs"));
  // A frozen rerun applies the same gates without pooling.
  RunOptions frozen = quiet(plate.dir / "frozen");
  frozen.frozen_gates = plate.dir / "pooled" / "gates_resolved.yaml";
  const auto again = run_pipeline(plate.config(std::string(kValley) + "    pool: plate\n"), frozen);
  EXPECT_TRUE(again.failures.empty());
  EXPECT_EQ(read_text(plate.dir / "pooled" / "readouts.csv"), read_text(plate.dir / "frozen" / "readouts.csv"));
}

// The control_percentile finder in the strategy places what the config's gating.thresholds place:
// the 99th percentile (type 7) of the isotype's live marker values 1..1000 = 990.01, per plate.
TEST(PooledFinders, ControlPercentileInTheStrategyEqualsTheConfigThreshold) {
  Plate plate;
  Tube iso;
  iso.debris = 20;
  iso.live_marker = ramp(1000);
  plate.tube("p1_iso.fcs", "1", "isotype", iso);
  plate.tube("p1_s.fcs", "1", "sample", bimodal_tube(300, 100));  // 25 % above 990.01
  Tube iso2 = iso;
  iso2.live_marker = ramp(1000, 1001);  // 1001..2000: 99th percentile 1990.01
  plate.tube("p2_iso.fcs", "2", "isotype", iso2);
  plate.tube("p2_s.fcs", "2", "sample", bimodal_tube(100, 300));  // positives 1900..2100: 45 of 300 above 1990.01
  const auto finder = run_pipeline(plate.config(R"(    find: control_percentile
    dimension: BCMA
    percentile: 99
    control: {role: isotype}
    match: [plate]
)"), quiet(plate.dir / "finder"));
  for (const auto& f : finder.failures) ADD_FAILURE() << f.file << ": " << f.reason;
  const auto cuts = placed_cuts(plate.dir / "finder" / "gates_resolved.yaml");
  EXPECT_NEAR(cuts.at("p1_s.fcs"), 990.01, 1e-9);
  EXPECT_NEAR(cuts.at("p2_s.fcs"), 1990.01, 1e-9);
  const auto out = plate.dir / "finder" / "populations.csv";
  EXPECT_NEAR(population_value(out, "p1_s.fcs", "pos", "percent_parent"), 25.0, 1e-9);
  // The config's threshold gate on the same files: the same readouts, cell for cell.
  Plate same;
  same.tube("p1_iso.fcs", "1", "isotype", iso);
  same.tube("p1_s.fcs", "1", "sample", bimodal_tube(300, 100));
  same.tube("p2_iso.fcs", "2", "isotype", iso2);
  same.tube("p2_s.fcs", "2", "sample", bimodal_tube(100, 300));
  const auto config = same.config(R"(    type: range
    dimension: BCMA
    min: 0
)",
                                  R"(  thresholds:
    - name: M+
      parent: live
      channel: BCMA
      percentile: 99
      control: {role: isotype}
      match: [plate]
)");
  const auto threshold = run_pipeline(config, quiet(same.dir / "threshold"));
  EXPECT_TRUE(threshold.failures.empty());
  const std::string resolved = read_text(same.dir / "threshold" / "gates_resolved.yaml");
  EXPECT_NE(resolved.find("threshold: 990.01"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("threshold: 1990.01"), std::string::npos) << resolved;
}

// A factor the samples do not have (a typo) would pool every file together, or select no control:
// refused naming the gate, the factor and the factors there are, before any file is gated.
TEST(PooledFinders, AnUnknownPoolOrControlFactorIsRefusedNamingIt) {
  Plate plate;
  plate.tube("p1_rich.fcs", "1", "sample", bimodal_tube(600, 400));
  plate.tube("p2_rich.fcs", "2", "sample", bimodal_tube(500, 500));
  for (const std::string& finder : {std::string(kValley) + "    pool: plates\n",
                                    std::string("    find: control_percentile\n    dimension: BCMA\n    percentile: 99\n"
                                                "    control: {rol: isotype}\n    match: [plate]\n")}) {
    const std::string factor = finder.find("plates") != std::string::npos ? "plates" : "rol";
    try {
      run_pipeline(plate.config(finder), quiet(plate.dir / "typo"));
      ADD_FAILURE() << "ran with unknown factor '" << factor << "'";
    } catch (const cytopipe::Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("unknown factor '" + factor + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("gate '"), std::string::npos) << what;
      EXPECT_NE(what.find("(the samples have: "), std::string::npos) << what;
    }
    EXPECT_FALSE(std::filesystem::exists(plate.dir / "typo" / "readouts.csv"));
  }
}

TEST(PooledFinders, APooledFinderIsNotPlacedOnOneFileAlone) {
  // Per-file placement (cytopipe gate, a shard) refuses it with the reason, instead of placing
  // the group's gate on one file's events.
  const auto strategy = cytopipe::gating::parse_strategy_yaml(R"(gates:
  - id: pos
    find: valley
    dimension: M-A
    pool: plate
)", "pooled.yaml");
  const auto sample = make_tube(bimodal_tube(600, 400), "one.fcs");
  try {
    cytopipe::gating::place_gates(strategy, sample);
    FAIL() << "placed a pooled finder on one file";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("pooled events of several files"), std::string::npos) << e.what();
  }
}

}  // namespace
