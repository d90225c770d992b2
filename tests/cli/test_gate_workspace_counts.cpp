// `gate --workspace` without --stats/--events counts each file block by block as it is decoded
// (the strategy path's count_only): its output must be the full path's, which --stats forces.
// Checked on every shared FlowJo workspace with its FCS file, in both evaluation modes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <unistd.h>

#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::test::read_text_file;
using cytopipe::test::run_cytopipe;

std::set<std::string> count_lines(const std::string& out) {
  std::set<std::string> lines;
  for (std::size_t at = 0, end; at < out.size(); at = end + 1) {
    end = out.find('\n', at);
    if (end == std::string::npos) end = out.size();
    if (out.compare(at, 3, "  /") == 0) lines.insert(out.substr(at, end - at));
  }
  return lines;
}

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

// Two nested rectangle gates on FSC-A and SSC-A as Gating-ML: "big" (FSC-A >= 60000) and "side"
// within it (SSC-A >= 30000).
void write_two_rectangles(const fs::path& xml) {
  std::ofstream(xml) << "<?xml version=\"1.0\"?>\n<gating:Gating-ML"
                        " xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\""
                        " xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n"
                        "<gating:RectangleGate gating:id=\"big\"><gating:dimension gating:min=\"60000\">"
                        "<data-type:fcs-dimension data-type:name=\"FSC-A\"/></gating:dimension></gating:RectangleGate>\n"
                        "<gating:RectangleGate gating:id=\"side\" gating:parent_id=\"big\"><gating:dimension gating:min=\"30000\">"
                        "<data-type:fcs-dimension data-type:name=\"SSC-A\"/></gating:dimension></gating:RectangleGate>\n"
                        "</gating:Gating-ML>\n";
}

// In a workspace written from write_two_rectangles' strategy, the first sample's "big" gate
// moved from 60000 to 90000 (the first min of the first <Sample>, which must lie within it).
void move_first_samples_first_gate(const fs::path& wsp) {
  std::string text = read_text_file(wsp);
  const std::size_t first_sample = text.find("<Sample>");
  const std::string from = "gating:min=\"60000\"";
  const std::size_t min = text.find(from, first_sample);
  ASSERT_NE(min, std::string::npos);
  ASSERT_LT(min, text.find("<Sample>", first_sample + 1));
  text.replace(min, from.size(), "gating:min=\"90000\"");
  std::ofstream(wsp, std::ios::trunc) << text;
}

// One file is counted while the workspace is still being read, with the first sample it matches
// alone; that count is used only if the file's final match is that sample. Here the file b.fcs
// matches sample a.fcs first by its $FIL (both are copies of 68983.fcs), but sample b.fcs by
// name, which wins: its counts must be sample b's gates' (the Gating-ML strategy's, which wrote
// them), not sample a's (whose first gate is changed), alone as in a batch.
TEST(GateWorkspaceCounts, OneFileCountedEarlyOnlyWithTheSampleItFinallyMatches) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/flowjo/FlowSOM_example/68983.fcs");
  const fs::path scratch = fs::temp_directory_path() / ("cytopipe_ws_early_" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  const fs::path a = scratch / "a.fcs", b = scratch / "b.fcs", xml = scratch / "s.xml", wsp = scratch / "w.wsp";
  fs::copy_file(fcs, a);
  fs::copy_file(fcs, b);
  write_two_rectangles(xml);
  const auto written = run_cytopipe({"gate", "--strategy", xml.string(), "--values", "flowcore", a.string(), b.string(),
                                     "--write-wsp", wsp.string()},
                                    scratch);
  ASSERT_EQ(written.code, 0) << written.err;
  // Sample a's first gate moved.
  ASSERT_NO_FATAL_FAILURE(move_first_samples_first_gate(wsp));

  const auto alone = run_cytopipe({"gate", "--workspace", wsp.string(), b.string()}, scratch);
  const auto batch = run_cytopipe({"gate", "--workspace", wsp.string(), a.string(), b.string()}, scratch);
  const auto a_alone = run_cytopipe({"gate", "--workspace", wsp.string(), a.string()}, scratch);
  ASSERT_EQ(alone.code, 0) << alone.err;
  ASSERT_EQ(batch.code, 0) << batch.err;
  ASSERT_EQ(a_alone.code, 0) << a_alone.err;
  const std::string b_in_batch = batch.out.substr(batch.out.find(b.string() + " ("));
  EXPECT_EQ(alone.out, b_in_batch);
  const std::string b_by_strategy = written.out.substr(written.out.find(b.string() + " ("));
  EXPECT_EQ(count_lines(alone.out), count_lines(b_by_strategy));
  EXPECT_NE(count_lines(a_alone.out), count_lines(alone.out));  // sample a's gates count otherwise
  EXPECT_EQ(count_lines(a_alone.out), count_lines(batch.out.substr(0, batch.out.find(b.string() + " ("))));
  fs::remove_all(scratch);
}


// Several files, counts only: files are counted on a second thread while the workspace is still
// read, each with the first sample its name matches, and such a count is used only if that is
// the file's final match. Two copies of 68983.fcs both named x.fcs (in two folders) match the two
// samples named x.fcs in turn, but both match the first by name first: the second file's early
// count (with the first sample's gates, whose first gate is moved here) must not be used. Many
// samples after them keep the reading going while the files are counted. Every output equals the
// run on one thread (-j 1: no early counting) and each file's counts its own sample's gates'.
// A file whose DATA is cut short (its TEXT intact: read for matching, then refused while counted)
// is named and left out as on one thread, the batch going on.
TEST(GateWorkspaceCounts, FilesCountedWhileTheWorkspaceIsReadAsOnOneThread) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/flowjo/FlowSOM_example/68983.fcs");
  const fs::path scratch = fs::temp_directory_path() / ("cytopipe_ws_batch_early_" + std::to_string(::getpid()));
  fs::create_directories(scratch / "one");
  fs::create_directories(scratch / "two");
  fs::create_directories(scratch / "pad");
  const fs::path x1 = scratch / "one" / "x.fcs", x2 = scratch / "two" / "x.fcs", y = scratch / "y.fcs",
                 cut = scratch / "cut.fcs", xml = scratch / "s.xml", wsp = scratch / "w.wsp";
  for (const auto& f : {x1, x2, y, cut}) fs::copy_file(fcs, f);
  std::vector<std::string> args = {"gate", "--strategy", xml.string(), "--values", "flowcore", x1.string(), x2.string(),
                                   y.string(), cut.string()};
  for (int i = 0; i < 150; ++i) {
    const fs::path pad = scratch / "pad" / ("p" + std::to_string(i) + ".fcs");
    fs::create_symlink(fcs, pad);
    args.push_back(pad.string());
  }
  args.insert(args.end(), {"--write-wsp", wsp.string()});
  write_two_rectangles(xml);
  const auto written = run_cytopipe(args, scratch);
  ASSERT_EQ(written.code, 0) << written.err;
  // The first sample's first gate moved.
  ASSERT_NO_FATAL_FAILURE(move_first_samples_first_gate(wsp));
  // cut.fcs: its last 1000 bytes of DATA gone.
  fs::resize_file(cut, fs::file_size(cut) - 1000);

  const std::vector<std::string> files = {x1.string(), x2.string(), y.string()};
  auto gate = [&](std::vector<std::string> given, const char* threads) {
    std::vector<std::string> a = {"gate", "--workspace", wsp.string(), "-j", threads};
    a.insert(a.end(), given.begin(), given.end());
    return run_cytopipe(a, scratch);
  };
  for (int run = 0; run < 3; ++run) {
    const auto batch = gate(files, "2"), alone = gate(files, "1");
    ASSERT_EQ(batch.code, 0) << batch.err;
    EXPECT_EQ(batch.out, alone.out);
    EXPECT_EQ(batch.err, alone.err);
    const auto with_cut = gate({x1.string(), cut.string(), x2.string(), y.string()}, "2");
    const auto with_cut_alone = gate({x1.string(), cut.string(), x2.string(), y.string()}, "1");
    EXPECT_EQ(with_cut.code, 1);
    EXPECT_EQ(with_cut.code, with_cut_alone.code);
    EXPECT_EQ(with_cut.out, with_cut_alone.out);
    EXPECT_EQ(with_cut.err, with_cut_alone.err);
    EXPECT_NE(with_cut.err.find(cut.string()), std::string::npos) << with_cut.err;
    EXPECT_EQ(with_cut.out, batch.out);  // the other three gated as without it
    // x2 and y have the strategy's counts; x1 (the moved gate) others.
    auto of = [](const std::string& out, const fs::path& f) {
      const std::size_t at = out.find(f.string() + " (");
      return count_lines(out.substr(at, out.find(" events)\n", out.find('\n', at)) - at));
    };
    EXPECT_EQ(of(batch.out, x2), of(written.out, x2));
    EXPECT_EQ(of(batch.out, y), of(written.out, y));
    EXPECT_NE(of(batch.out, x1), of(written.out, x1));
  }
  fs::remove_all(scratch);
}

}  // namespace
