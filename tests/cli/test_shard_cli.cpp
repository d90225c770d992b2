// `cytopipe run --shard`, `merge` and `slurm --dry-run` as a user calls them: exit codes, messages
// naming the fault, a relative config path and another working folder, the sbatch scripts.
#include <fstream>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/cli_run.hpp"

namespace fs = std::filesystem;
using cytopipe::test::run_cytopipe;
using cytopipe::test::read_text_file;

namespace {

struct Scratch {
  fs::path path = fs::temp_directory_path() / ("cytopipe_shard_cli_" + std::to_string(::getpid()) + "_" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Scratch() { fs::create_directories(path); }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

const fs::path kConfig = fs::path(CYTOPIPE_SOURCE_DIR) / "pipelines" / "fig3_selinexor.yaml";

}  // namespace

TEST(ShardCli, BadShardIsExitOneNamingTheFault) {
  Scratch s;
  for (const auto& [shard, message] : std::vector<std::pair<std::string, std::string>>{
           {"0/3", "numbered from 1 to N"}, {"4/3", "past the last of 3"}, {"x/3", "whole numbers"},
           {"2/0", "at least 1"}}) {
    const auto r = run_cytopipe({"run", kConfig.string(), "--shard", shard, "--thresholds", (s.path / "t").string(), "-o",
                                 (s.path / "out").string()},
                                s.path / "io");
    EXPECT_EQ(r.code, 1) << shard << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << shard << ": " << r.err;
  }
  // Without the thresholds pass: named, exit 1; --thresholds without --shard: usage, exit 2.
  auto r = run_cytopipe({"run", kConfig.string(), "--shard", "1/2", "-o", (s.path / "out").string()}, s.path / "io");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--thresholds-only"), std::string::npos) << r.err;
  r = run_cytopipe({"run", kConfig.string(), "--thresholds", "x"}, s.path / "io");
  EXPECT_EQ(r.code, 2) << r.err;
  // --control-group: a part K/M of pass 1 only; a bad K/M named as for --shard.
  r = run_cytopipe({"run", kConfig.string(), "--control-group", "1/2", "-o", (s.path / "out").string()}, s.path / "io");
  EXPECT_EQ(r.code, 2) << r.err;
  r = run_cytopipe({"run", kConfig.string(), "--thresholds-only", "--control-group", "3/2", "-o", (s.path / "out").string()},
                   s.path / "io");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("part 3 is past the last of 2 parts"), std::string::npos) << r.err;
  // Shards given a folder of parts with one missing: named.
  ASSERT_EQ(run_cytopipe({"run", kConfig.string(), "--thresholds-only", "--control-group", "2/3", "-q", "-o",
                          (s.path / "parts" / "group-2").string()},
                         s.path / "io").code, 0);
  r = run_cytopipe({"run", kConfig.string(), "--shard", "1/2", "--thresholds", (s.path / "parts").string(), "-o",
                    (s.path / "out").string()},
                   s.path / "io");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("missing parts 1/3, 3/3"), std::string::npos) << r.err;
  // --frozen-gates is a whole-run option: with a sharded pass it is a usage error, not ignored.
  const fs::path frozen = s.path / "gates_resolved.yaml";
  { std::ofstream(frozen) << "placed: {}\n"; }
  for (const std::vector<std::string>& pass : {std::vector<std::string>{"--shard", "1/2"}, std::vector<std::string>{"--thresholds-only"}}) {
    std::vector<std::string> argv{"run", kConfig.string(), "--frozen-gates", frozen.string(), "-o", (s.path / "out").string()};
    argv.insert(argv.end(), pass.begin(), pass.end());
    r = run_cytopipe(argv, s.path / "io");
    EXPECT_EQ(r.code, 2) << pass.front() << ": " << r.err;
    EXPECT_NE(r.err.find("--frozen-gates"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(s.path / "out"));
}

TEST(ShardCli, PassesFromAnotherFolderMergeToTheWholeRun) {
  Scratch s;
  // The config named relative to the repository, the passes run from there, the merge elsewhere.
  const auto relative = kConfig.lexically_relative(fs::current_path());
  ASSERT_TRUE(run_cytopipe({"run", kConfig.string(), "-q", "-o", (s.path / "whole").string()}, s.path / "io").code == 0);
  // Pass 1 in two parts of the control groups (two array tasks), each into its folder under thr/.
  for (const char* k : {"1", "2"})
    ASSERT_EQ(run_cytopipe({"run", relative.string(), "--thresholds-only", "--control-group", std::string(k) + "/2", "-q",
                            "-o", (s.path / "thr" / ("group-" + std::string(k))).string()},
                           s.path / "io").code, 0);
  for (const char* i : {"1", "2"})
    ASSERT_EQ(run_cytopipe({"run", relative.string(), "--shard", std::string(i) + "/2", "--thresholds",
                            (s.path / "thr").string(), "-q", "-o", (s.path / ("s" + std::string(i))).string()},
                           s.path / "io").code, 0);
  // Missing shard: exit 1 naming it; then the whole set.
  auto r = run_cytopipe({"merge", (s.path / "s2").string(), "-o", (s.path / "merged").string()}, s.path / "io");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing shard 1/2"), std::string::npos) << r.err;
  const auto cwd = fs::current_path();
  fs::current_path(s.path);
  r = run_cytopipe({"merge", "s1", "s2", "-o", "merged"}, s.path / "io");
  fs::current_path(cwd);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& e : fs::recursive_directory_iterator(s.path / "whole")) {
    if (!e.is_regular_file() || e.path().filename() == "run.json") continue;
    const auto rel = e.path().lexically_relative(s.path / "whole");
    EXPECT_TRUE(read_text_file(e.path()) == read_text_file(s.path / "merged" / rel)) << rel << " differs";
  }
}

TEST(ShardCli, SlurmDryRunWritesTheThreeJobsWithTheirDependencies) {
  Scratch s;
  const auto r = run_cytopipe({"slurm", kConfig.string(), "--array", "5", "--partition", "short", "--time", "00:20:00",
                               "--mem", "3G", "--work", (s.path / "work").string(), "-o", (s.path / "out").string(),
                               "--dry-run"},
                              s.path / "io");
  ASSERT_EQ(r.code, 0) << r.err;
  // Pass 1 is a small array: fig3_selinexor's 12 control groups (BCMA+ per cell line and dose,
  // CAR+ per dose) in 5 tasks, the shards after every one of them.
  EXPECT_NE(r.out.find("thresholds: 12 control groups in 5 array tasks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would submit thresholds (array 1-5): sbatch --parsable --array=1-5 " +
                       (s.path / "work" / "thresholds.sbatch").string()),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--array=1-5 --dependency=afterok:<thresholds (array 1-5)>"), std::string::npos) << r.out;
  const auto thresholds = read_text_file(s.path / "work" / "thresholds.sbatch");
  for (const std::string& line : {std::string("#SBATCH --array=1-5"), std::string("--thresholds-only --control-group \"${SLURM_ARRAY_TASK_ID}/5\""),
                                 "-o '" + (s.path / "work" / "thresholds" / "group-").string() + "'\"${SLURM_ARRAY_TASK_ID}\""})
    EXPECT_NE(thresholds.find(line), std::string::npos) << line << "\n" << thresholds;
  EXPECT_NE(r.out.find("would submit merge: sbatch --parsable --dependency=afterok:<shards"), std::string::npos) << r.out;
  const auto shards = read_text_file(s.path / "work" / "shards.sbatch");
  for (const char* line : {"#SBATCH --array=1-5", "#SBATCH --partition=short", "#SBATCH --time=00:20:00", "#SBATCH --mem=3G",
                           "--shard \"${SLURM_ARRAY_TASK_ID}/5\""})
    EXPECT_NE(shards.find(line), std::string::npos) << line << "\n" << shards;
  EXPECT_NE(shards.find("--thresholds '" + (s.path / "work" / "thresholds").string() + "' "), std::string::npos) << shards;
  const auto merge = read_text_file(s.path / "work" / "merge.sbatch");
  EXPECT_NE(merge.find("merge '" + (s.path / "work" / "shard-1").string()), std::string::npos) << merge;
  EXPECT_NE(merge.find((s.path / "work" / "shard-5").string()), std::string::npos) << merge;
  EXPECT_FALSE(fs::exists(s.path / "out"));
  // More array tasks than control groups: one threshold task per group.
  const auto wide = run_cytopipe({"slurm", kConfig.string(), "--array", "20", "--work", (s.path / "wide").string(), "-o",
                                  (s.path / "out").string(), "--dry-run"},
                                 s.path / "io");
  ASSERT_EQ(wide.code, 0) << wide.err;
  EXPECT_NE(wide.out.find("would submit thresholds (array 1-12): sbatch --parsable --array=1-12 "), std::string::npos) << wide.out;
  EXPECT_NE(read_text_file(s.path / "wide" / "thresholds.sbatch").find("--control-group \"${SLURM_ARRAY_TASK_ID}/12\""),
            std::string::npos);
  const auto bad = run_cytopipe({"slurm", kConfig.string(), "--array", "0", "--dry-run", "--work", (s.path / "w").string()},
                                s.path / "io");
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_NE(bad.err.find("at least 1"), std::string::npos) << bad.err;
}
