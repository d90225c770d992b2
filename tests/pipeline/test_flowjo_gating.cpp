// Pipelines gated with a FlowJo workspace (gating: {workspace: FILE.wsp, group: NAME}): FlowSOM's
// 68983 with its FlowJo gating, read-outs against the counts FlowJo stored.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "support/shared_data.hpp"
#include "tiny_batch.hpp"

namespace {

using namespace cytopipe::pipeline;
using namespace cytopipe::pipeline::test;

std::string config_text(const std::filesystem::path& wsp, const std::string& gating_extra = "  group: All Samples\n") {
  return "name: flowjo_ws\ninputs:\n  files: data/*.fcs\n  sample_sheet: sheet.csv\ncompensation: none\ngating:\n"
         "  workspace: " + wsp.string() + "\n" + gating_extra +
         "readouts:\n  cd4_pct: percent(CD4 T cells of ab T cells)\n  nk_count: count(NK cells)\n";
}

TEST(FlowJoGating, PipelineRunsOnTheWorkspacesGroupGates) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowSOM_example/gating.wsp");
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  std::filesystem::copy_file(wsp.parent_path() / "68983.fcs", dir / "data" / "68983.fcs");
  write_text(dir / "sheet.csv", "file,group\n68983.fcs,A\n");
  write_text(dir / "p.yaml", config_text(wsp));
  const Config config = load_config(dir / "p.yaml");
  EXPECT_TRUE(config.gating.from_workspace);
  EXPECT_EQ(config.gating.group, "All Samples");
  RunOptions options;
  options.progress = false;
  std::ostringstream log;
  options.log = &log;
  options.hash_inputs = false;
  const auto result = run_pipeline(config, options);
  ASSERT_TRUE(result.failures.empty()) << result.failures.front().reason;
  const std::string readouts = read_text(result.output_dir / "readouts.csv");
  std::istringstream in(readouts);
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(header, "file,group,cd4_pct,nk_count");
  // NK cells: rectangles on compensated biex axes; FlowJo stored 312.
  EXPECT_EQ(row.substr(row.rfind(',') + 1), "312");
  // CD4 of ab T cells: FlowJo stored 7480 of 9188 (its polygon edges on display bins move a few
  // events): within 0.05 percentage points.
  const auto first = row.find(',', row.find(',') + 1) + 1;
  const double cd4 = std::stod(row.substr(first, row.rfind(',') - first));
  EXPECT_NEAR(cd4, 100.0 * 7480 / 9188, 0.05);
}

TEST(FlowJoGating, ConfigErrors) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowSOM_example/gating.wsp");
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  write_text(dir / "sheet.csv", "file,group\n");
  write_text(dir / "s.yaml", "gates: []\n");
  auto error_of = [&](const std::string& text) -> std::string {
    write_text(dir / "p.yaml", text);
    try {
      const auto c = load_config(dir / "p.yaml");
      load_checked_strategy(c);
    } catch (const cytopipe::Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of(config_text(wsp, "  strategy: s.yaml\n")).find("either 'strategy' or 'workspace'"),
            std::string::npos);
  EXPECT_NE(error_of(config_text(wsp, "  group: Stained\n")).find("no group 'Stained'"), std::string::npos);
  const std::string no_ws = "name: x\ninputs:\n  files: data/*.fcs\n  sample_sheet: sheet.csv\ncompensation: none\n"
                            "gating:\n  strategy: s.yaml\n  group: A\nreadouts:\n  n: count(a)\n";
  EXPECT_NE(error_of(no_ws).find("give 'workspace' too"), std::string::npos);
}

}  // namespace
