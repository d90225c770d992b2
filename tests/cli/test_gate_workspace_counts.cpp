// `gate --workspace` without --stats/--events counts each file block by block as it is decoded
// (the strategy path's count_only): its output must be the full path's, which --stats forces.
// Checked on every shared FlowJo workspace with its FCS file, in both evaluation modes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::test::run_cytopipe;

TEST(GateWorkspaceCounts, CountsOnlyPrintsWhatTheFullPathPrints) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/flowjo");
  const fs::path scratch = fs::temp_directory_path() / ("cytopipe_ws_counts_" + std::to_string(::getpid()));
  std::size_t compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".wsp") continue;
    for (const auto& f : fs::directory_iterator(entry.path().parent_path())) {
      if (f.path().extension() != ".fcs") continue;
      for (const char* mode : {"gating-ml", "flowjo"}) {
        SCOPED_TRACE(entry.path().string() + " " + f.path().string() + " " + mode);
        const auto counts = run_cytopipe({"gate", "--workspace", entry.path().string(), "--evaluation", mode,
                                          f.path().string()},
                                         scratch);
        const auto full = run_cytopipe({"gate", "--workspace", entry.path().string(), "--evaluation", mode,
                                        f.path().string(), "--stats", (scratch / "stats.csv").string()},
                                       scratch);
        EXPECT_EQ(counts.code, full.code);
        EXPECT_EQ(counts.out, full.out);
        EXPECT_EQ(counts.err, full.err);
        if (counts.code == 0) {
          EXPECT_NE(counts.out.find(" events)\n"), std::string::npos);
          ++compared;
        }
      }
    }
  }
  fs::remove_all(scratch);
  // 68983's workspace, the diamond and line examples: at least 8 gated pairs in both modes.
  EXPECT_GE(compared, 16u);
}

}  // namespace
