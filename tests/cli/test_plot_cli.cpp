// `cytopipe plot dose|density`, run as the built binary: exit codes, messages, output files.
#include <gtest/gtest.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

namespace {

using PlotRun = cytopipe::test::CliResult;

std::string read_all(const std::filesystem::path& path) { return cytopipe::test::read_text_file(path); }

class PlotCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cytopipe_cli_plot_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    // Two cell lines x four doses x triplicates, doses deliberately out of order.
    std::ofstream csv(dir_ / "readout.csv");
    csv << "cell_line,dose_nM,replicate,bcma_pos_pct,stars\n";
    const char* doses[] = {"100", "0", "50", "25"};
    const char* stars[] = {"***", "", "**", "*"};
    for (const char* line : {"MM1S", "U266"})
      for (int d = 0; d < 4; ++d)
        for (int r = 1; r <= 3; ++r)
          csv << line << ',' << doses[d] << ',' << r << ',' << 40 + 10 * d + r << ',' << stars[d] << '\n';
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  PlotRun run(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {"plot"};
    full.insert(full.end(), args.begin(), args.end());
    return cytopipe::test::run_cytopipe(full, dir_);
  }

  std::filesystem::path dir_;
};

// Paths filled with #0072B2 (the replicate points) in a Cairo SVG, outside <defs>.
int count_point_paths(const std::string& svg) {
  xmlDoc* doc = xmlReadMemory(svg.data(), static_cast<int>(svg.size()), "f.svg", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!doc) return -1;
  int count = 0;
  std::function<void(xmlNode*)> walk = [&](xmlNode* node) {
    for (; node; node = node->next) {
      if (node->type != XML_ELEMENT_NODE) continue;
      const std::string name = reinterpret_cast<const char*>(node->name);
      if (name == "defs") continue;
      if (name == "path") {
        xmlChar* style = xmlGetProp(node, reinterpret_cast<const xmlChar*>("style"));
        if (style && std::strstr(reinterpret_cast<const char*>(style), "fill:rgb(0%,44.705882%,69.803922%)")) ++count;
        xmlFree(style);
      }
      walk(node->children);
    }
  };
  walk(xmlDocGetRootElement(doc));
  xmlFreeDoc(doc);
  return count;
}

TEST_F(PlotCli, DoseWritesAnSvgWithOnePointPerReplicate) {
  const auto out = dir_ / "fig3.svg";
  const PlotRun r = run({"dose", (dir_ / "readout.csv").string(), "--value", "bcma_pos_pct", "--by", "dose_nM",
                         "--facet", "cell_line", "--stars", "stars", "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count_point_paths(read_all(out)), 24);
}

// stats.csv as `cytopipe run` writes it gives the marks: each group's first comparison against the
// panel's control. The figure equals the one drawn from a hand-written stars column with those
// marks; a comparison against another group (50 - 25) and the omnibus row give none.
TEST_F(PlotCli, DoseTakesItsMarksFromStatsCsv) {
  std::ofstream stats(dir_ / "stats.csv");
  stats << "readout,stratum,test,comparison,statistic_name,statistic,df1,df2,estimate,ci_low,ci_high,p,"
           "p_adjusted,adjustment,significance,n,alternative,method,message\n";
  for (const char* line : {"MM1S", "U266"}) {
    stats << "bcma_pos_pct," << line << ",one-way ANOVA,,F,12.5,3,8,,,,0.002,,,**,,two-sided,,\n";
    stats << "bcma_pos_pct," << line << ",Tukey,50 - 25,q,1,8,,1,,,,0.5,Tukey,ns,,two-sided,,\n";
    for (auto [dose, mark] : {std::pair{"25", "*"}, {"50", "**"}, {"100", "***"}})
      stats << "bcma_pos_pct," << line << ",Dunnett," << dose << " - 0,t,3,8,,1,0,2,,0.01,single-step (Dunnett),"
            << mark << ",,two-sided,,\n";
    stats << "other," << line << ",Dunnett,25 - 0,t,3,8,,1,0,2,,0.01,single-step (Dunnett),ns,,two-sided,,\n";
  }
  stats.close();
  const std::string csv = (dir_ / "readout.csv").string();
  auto draw = [&](const std::vector<std::string>& marks, const std::string& name) {
    std::vector<std::string> args = {"dose", csv, "--value", "bcma_pos_pct", "--by", "dose_nM", "--facet",
                                     "cell_line", "-o", (dir_ / name).string()};
    args.insert(args.end(), marks.begin(), marks.end());
    const PlotRun r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return read_all(dir_ / name);
  };
  const std::string from_stats = draw({"--stats", (dir_ / "stats.csv").string()}, "from_stats.svg");
  const std::string from_column = draw({"--stars", "stars"}, "from_column.svg");
  const std::string unmarked = draw({}, "unmarked.svg");
  EXPECT_EQ(from_stats, from_column);
  EXPECT_NE(from_stats, unmarked);

  // Another read-out's name, a read-out stats.csv does not have, and --stars with --stats.
  const std::string other = draw({"--stats", (dir_ / "stats.csv").string(), "--readout", "other"}, "other.svg");
  EXPECT_NE(other, from_stats);
  PlotRun r = run({"dose", csv, "--value", "bcma_pos_pct", "--by", "dose_nM", "--stats",
                   (dir_ / "stats.csv").string(), "--readout", "nope", "-o", (dir_ / "x.svg").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no rows for read-out 'nope' (read-outs there: 'bcma_pos_pct', 'other')"), std::string::npos)
      << r.err;
  r = run({"dose", csv, "--value", "bcma_pos_pct", "--by", "dose_nM", "--stats", (dir_ / "stats.csv").string(),
           "--stars", "stars", "-o", (dir_ / "x.svg").string()});
  EXPECT_EQ(r.code, 2);
}

TEST_F(PlotCli, DosePngAndPdf) {
  for (const char* name : {"fig3.png", "fig3.pdf"}) {
    const auto out = dir_ / name;
    const PlotRun r = run({"dose", (dir_ / "readout.csv").string(), "--value", "bcma_pos_pct", "--by", "dose_nM",
                           "--summary", "mean-sd", "--dpi", "72", "-o", out.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string bytes = read_all(out);
    EXPECT_TRUE(bytes.starts_with(std::string(name).ends_with("png") ? "\x89PNG" : "%PDF-")) << name;
  }
}

TEST_F(PlotCli, BadInputExitsOneWithTheReason) {
  const std::string csv = (dir_ / "readout.csv").string();
  PlotRun r = run({"dose", csv, "--value", "nope", "--by", "dose_nM", "-o", (dir_ / "x.svg").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no column 'nope'"), std::string::npos) << r.err;
  r = run({"dose", csv, "--value", "bcma_pos_pct", "--by", "dose_nM", "-o", (dir_ / "x.jpg").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown figure format '.jpg'"), std::string::npos) << r.err;
  r = run({"dose", csv, "--value", "cell_line", "--by", "dose_nM", "-o", (dir_ / "x.svg").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("readout.csv:2: cell_line: value 'MM1S' is not a finite number"), std::string::npos) << r.err;
  r = run({"dose", csv, "--value", "bcma_pos_pct", "--by", "dose_nM", "-o", (dir_ / "missing" / "x.svg").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("x.svg"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.svg"));
}

TEST_F(PlotCli, MissingRequiredOptionIsUsageError) {
  const PlotRun r = run({"dose", (dir_ / "readout.csv").string(), "--by", "dose_nM", "-o", (dir_ / "x.svg").string()});
  EXPECT_EQ(r.code, 2);
}

TEST_F(PlotCli, DensityOfARealFileOnLogicleAxes) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/FlowKit_LSRII.fcs");
  const auto out = dir_ / "cd3_cd4.png";
  const PlotRun r = run({"density", fcs.string(), "--x", "PE-Cy7-A", "--y", "PacBlu-A", "--x-scale",
                         "logicle(T=262144,W=0.5,M=4.5,A=0)", "--y-scale", "logicle(T=262144,W=0.5,M=4.5,A=0)",
                         "--dpi", "72", "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("10703 events"), std::string::npos) << r.out;  // $TOT of this file
  EXPECT_TRUE(read_all(out).starts_with("\x89PNG"));
}

// --compensate: the file's $SPILLOVER is applied before plotting (the picture changes: PE spills
// 22 % of FITC); a file without a matrix is refused, naming it.
TEST_F(PlotCli, DensityCompensatesWithTheFilesSpillover) {
  const auto root = cytopipe::test::source_dir();
  const auto tube = root / "sample_fcs" / "cocult_MM1S_0nM_r1.fcs";
  const auto plain = dir_ / "plain.svg", compensated = dir_ / "comp.svg";
  ASSERT_EQ(run({"density", tube.string(), "--x", "FITC-A", "--y", "PE-A", "-o", plain.string()}).code, 0);
  const PlotRun r = run({"density", tube.string(), "--x", "FITC-A", "--y", "PE-A", "--compensate", "-o", compensated.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(read_all(plain), read_all(compensated));
  const auto calibur = root / "sample_fcs" / "facscalibur" / "bcma_MM1S_0nM_r1.fcs";
  const PlotRun refused = run({"density", calibur.string(), "--x", "FITC-A", "--y", "PE-A", "--compensate", "-o",
                               (dir_ / "c.svg").string()});
  EXPECT_EQ(refused.code, 1) << refused.err;
  EXPECT_NE(refused.err.find("bcma_MM1S_0nM_r1.fcs"), std::string::npos) << refused.err;
}

TEST_F(PlotCli, DensityUnknownChannelListsTheChannels) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/FlowKit_LSRII.fcs");
  const PlotRun r = run({"density", fcs.string(), "--x", "FSC", "--y", "SSC-A", "-o", (dir_ / "x.png").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("FSC-A"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.png"));
}

}  // namespace

namespace {

// `plot gates`: a sheet of a shipped tube as `cytopipe run` gates it (finder gates as placed on
// it), in all three formats; one panel per gate that is not a boolean (beads, bead_scatter,
// scatter, singlets, live, tcells, targets); the booleans ('cells', 'dead' = singlets beyond the
// live cut, 'targets_live' ...) are listed as not drawn.
TEST_F(PlotCli, GatingSheetOfATubeInEveryFormat) {
  const auto root = std::filesystem::path(CYTOPIPE_SOURCE_DIR);
  for (const char* ext : {".svg", ".pdf", ".png"}) {
    const auto out = dir_ / (std::string("sheet") + ext);
    const PlotRun r = run({"gates", "--config", (root / "pipelines/fig3_selinexor.yaml").string(),
                           (root / "sample_fcs/cocult_MM1S_0nM_r1.fcs").string(), "-o", out.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("(7 panels)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("not drawn: cells: a boolean gate"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("not drawn: dead: a boolean gate"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("not drawn: targets_live: a boolean gate"), std::string::npos) << r.out;
    const std::string bytes = read_all(out);
    if (std::string(ext) == ".svg") { EXPECT_NE(bytes.find("<svg"), std::string::npos); }
    if (std::string(ext) == ".pdf") { EXPECT_EQ(bytes.substr(0, 5), "%PDF-"); }
    if (std::string(ext) == ".png") { EXPECT_EQ(bytes.substr(1, 3), "PNG"); }
  }
  const PlotRun neither = run({"gates", (root / "sample_fcs/cocult_MM1S_0nM_r1.fcs").string(), "-o",
                               (dir_ / "x.svg").string()});
  EXPECT_EQ(neither.code, 1);
  EXPECT_NE(neither.err.find("needs --strategy FILE or --config"), std::string::npos) << neither.err;
}

}  // namespace
