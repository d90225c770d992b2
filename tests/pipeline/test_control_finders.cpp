// A control file's finder gates are placed once, when its threshold values are measured, and its
// own analysis gates with them: the gates and what the finders saw must be those of the same file
// analysed as a plain sample (a run without the threshold), and where the tubes put the valley.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "tiny_batch.hpp"

using namespace cytopipe::pipeline;
using namespace cytopipe::pipeline::test;

namespace {

// Live cells whose marker is `negatives` values over 60..140 and `positives` over 1900..2100,
// plus 50 debris: the marker's valley lies between 140 and 1900.
Tube bimodal_tube(std::size_t negatives, std::size_t positives) {
  Tube t;
  t.debris = 50;
  for (std::size_t i = 0; i < negatives; ++i) t.live_marker.push_back(60 + 80.0 * i / negatives);
  for (std::size_t i = 0; i < positives; ++i) t.live_marker.push_back(1900 + 200.0 * i / positives);
  return t;
}

const char* kThreshold = R"(  thresholds:
    - name: M+
      parent: live
      channel: BCMA
      percentile: 98
      control: {role: isotype}
)";

Config batch_config(const TempDir& dir, const std::string& thresholds) {
  write_text(dir / "strategy.yaml", R"(name: control finders
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
    find: valley
    dimension: BCMA
    keep: above
)");
  write_text(dir / "p.yaml", R"(name: control finders
inputs:
  files: data/
  sample_sheet: data/samples.csv
  factors: [role]
panel:
  markers: {Viability: V-A, BCMA: M-A}
compensation: none
gating:
  strategy: strategy.yaml
)" + thresholds + R"(
readouts:
  positive: percent(pos of live)
outputs:
  directory: out
)");
  return load_config(dir / "p.yaml");
}

RunOptions quiet(const std::filesystem::path& out) {
  RunOptions o;
  o.progress = false;
  o.threads = 2;
  o.output_dir = out;
  return o;
}

// gates_resolved.yaml's placed strategy of `file`: gate id -> the gate's YAML.
std::map<std::string, std::string> placed_gates(const std::filesystem::path& resolved, const std::string& file) {
  std::map<std::string, std::string> out;
  for (const auto& p : YAML::LoadFile(resolved.string())["placed"])
    if (p["file"].as<std::string>() == file)
      for (const auto& g : YAML::Load(p["strategy_yaml"].as<std::string>())["gates"])
        out[g["id"].as<std::string>()] = YAML::Dump(g);
  return out;
}

// populations.csv's rows of `file` saying what a finder saw (statistic finder_*).
std::vector<std::string> finder_rows(const std::filesystem::path& populations, const std::string& file) {
  std::vector<std::string> out;
  std::istringstream in(read_text(populations));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(file + ",") && line.find(",finder_") != std::string::npos) out.push_back(line);
  return out;
}

TEST(ControlFinders, AControlIsGatedWithTheFindersPlacedWhenItsThresholdWasMeasured) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  write_tube(dir / "data" / "iso.fcs", bimodal_tube(700, 300));
  write_tube(dir / "data" / "s1.fcs", bimodal_tube(400, 600));
  write_tube(dir / "data" / "s2.fcs", bimodal_tube(500, 500));
  write_text(dir / "data" / "samples.csv", "file,role\niso.fcs,isotype\ns1.fcs,sample\ns2.fcs,sample\n");

  const auto with = run_pipeline(batch_config(dir, kThreshold), quiet(dir / "with"));
  ASSERT_TRUE(with.failures.empty()) << with.failures.front().reason;
  ASSERT_EQ(with.thresholds.size(), 1u);
  const auto without = run_pipeline(batch_config(dir, ""), quiet(dir / "without"));
  ASSERT_TRUE(without.failures.empty()) << without.failures.front().reason;

  const auto as_control = placed_gates(dir / "with" / "gates_resolved.yaml", "iso.fcs");
  const auto as_sample = placed_gates(dir / "without" / "gates_resolved.yaml", "iso.fcs");
  ASSERT_TRUE(as_control.count("pos") && as_sample.count("pos"));
  EXPECT_EQ(as_control.at("pos"), as_sample.at("pos"));
  EXPECT_TRUE(as_control.count("M+"));  // the control's own threshold gate is in its strategy
  const double cut = YAML::Load(as_control.at("pos"))["min"].as<double>();
  EXPECT_GT(cut, 140);
  EXPECT_LT(cut, 1900);
  // 300 of the 700 + 300 live events above the valley.
  const auto rows = finder_rows(dir / "with" / "populations.csv", "iso.fcs");
  EXPECT_FALSE(rows.empty());
  EXPECT_EQ(rows, finder_rows(dir / "without" / "populations.csv", "iso.fcs"));
  bool fraction = false;
  for (const auto& r : rows)
    if (r.find(",finder_fraction,") != std::string::npos) {
      fraction = true;
      EXPECT_DOUBLE_EQ(std::stod(r.substr(r.rfind(',') + 1)), 0.3) << r;
    }
  EXPECT_TRUE(fraction);
}

}  // namespace
