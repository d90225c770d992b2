// FlowJo workspaces against FlowJo's own numbers: every population count compared with the
// count FlowJo stored in the .wsp (shared/gatingml_ref/flowjo/), FlowSOM's per-event labels of
// 68983 as a second opinion.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/transform/flowjo_biex.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe::gating;
namespace fs = std::filesystem;

struct Compared {
  std::size_t equal = 0, total = 0;
  long long worst = 0;
};

// Gates every sample of `wsp` on `fcs` (all samples of the workspace must be that file) and
// compares each population with FlowJo's stored count; prints the table.
Compared compare(const fs::path& wsp, const fs::path& fcs_file, WorkspaceEvaluation mode,
                 GatingResults* keep = nullptr) {
  const Workspace ws = load_workspace(wsp, {mode});
  const auto sample = cytopipe::fcs::read_fcs(fcs_file);
  Compared c;
  for (const auto& s : ws.samples) {
    check_workspace_sample(ws, s, sample);
    const auto results = gate_sample(s.strategy, sample);
    EXPECT_EQ(static_cast<long long>(results.events()), s.stored_total) << wsp;
    std::printf("  %s [%s]\n", wsp.filename().c_str(), mode == WorkspaceEvaluation::FlowJo ? "flowjo" : "gating-ml");
    for (const auto& p : results.populations()) {
      const auto it = s.stored_counts.find(p.name);
      if (it == s.stored_counts.end() || it->second < 0) continue;
      const long long d = static_cast<long long>(p.count) - it->second;
      std::printf("    %-40s cytopipe %8zu  FlowJo %8lld  %s\n", p.path.c_str(), p.count, it->second,
                  d == 0 ? "equal" : ("diff " + std::to_string(d)).c_str());
      ++c.total;
      c.equal += d == 0;
      c.worst = std::max(c.worst, std::llabs(d));
    }
    if (keep) *keep = results;
  }
  return c;
}

TEST(FlowJoWorkspace, QuadrantGateEqualsFlowJoCounts) {
  // FlowJo stores a quadrant as four rectangles: exact in FlowJo, so exact here.
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowKit_simple_diamond_example/simple_diamond_example_quad_gate.wsp");
  const fs::path fcs = wsp.parent_path() / "test_data_diamond_01.fcs";
  const auto c = compare(wsp, fcs, WorkspaceEvaluation::GatingMl);
  EXPECT_EQ(c.total, 4u);
  EXPECT_EQ(c.equal, 4u);
  // Spelled out from the README (FlowJo 10.6.2's counts): Q1..Q4.
  const Workspace ws = load_workspace(wsp);
  ASSERT_EQ(ws.samples.size(), 1u);
  EXPECT_EQ(ws.samples[0].stored_counts.at("Q1: channel_A- , channel_B+"), 49671);
  EXPECT_EQ(ws.samples[0].stored_counts.at("Q4: channel_A- , channel_B-"), 49403);
}

TEST(FlowJoWorkspace, RectanglesOnAsinhAndBiexAxesEqualFlowJoCounts) {
  for (const char* name : {"test_data_diamond_asinh_rect.wsp", "test_data_diamond_asinh_rect2.wsp",
                           "test_data_diamond_biex_rect.wsp"}) {
    CYTOPIPE_SHARED_OR_SKIP(wsp, std::string("gatingml_ref/flowjo/FlowKit_simple_diamond_example/") + name);
    const fs::path fcs = wsp.parent_path() / "test_data_diamond_01.fcs";
    for (auto mode : {WorkspaceEvaluation::GatingMl, WorkspaceEvaluation::FlowJo}) {
      const auto c = compare(wsp, fcs, mode);
      EXPECT_EQ(c.total, 1u) << name;
      EXPECT_EQ(c.equal, c.total) << name;
    }
  }
}

TEST(FlowJoWorkspace, ReadsTransformsOfEveryAxis) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowKit_simple_diamond_example/test_data_diamond_asinh_rect2.wsp");
  const Workspace ws = load_workspace(wsp);
  ASSERT_EQ(ws.samples.size(), 1u);
  const auto& scales = ws.samples[0].scales;
  ASSERT_EQ(scales.size(), 2u);
  // The second axis: fasinh T=262144, M=1.3, A=0 as written in the file.
  const auto& b = scales.at("channel_B");
  EXPECT_EQ(b.kind, "fasinh");
  const auto* f = std::get_if<cytopipe::transform::Fasinh>(&b.transform.params());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->M, 1.3);
  EXPECT_EQ(f->T, 262144);
}

TEST(FlowJoWorkspace, EllipseCountEqualsFlowJo) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowKit_simple_line_example/single_ellipse_51_events.wsp");
  const fs::path fcs = wsp.parent_path() / "data_set_simple_line_100.fcs";
  for (auto mode : {WorkspaceEvaluation::GatingMl, WorkspaceEvaluation::FlowJo}) {
    const auto c = compare(wsp, fcs, mode);
    EXPECT_EQ(c.total, 1u);
    EXPECT_EQ(c.equal, 1u);
  }
}

TEST(FlowJoWorkspace, PolygonAndRectangleWithoutStoredCountsRead) {
  // FlowJo left no usable counts in these two (-1 / 0): the gates are read and evaluated.
  for (const char* name : {"simple_poly_and_rect.wsp", "simple_poly_and_rect_v2_poly50.wsp"}) {
    CYTOPIPE_SHARED_OR_SKIP(wsp, std::string("gatingml_ref/flowjo/FlowKit_simple_line_example/") + name);
    const Workspace ws = load_workspace(wsp);
    ASSERT_EQ(ws.samples.size(), 1u);
    const auto& s = ws.samples[0].strategy;
    ASSERT_TRUE(s.find_gate("poly1"));
    ASSERT_TRUE(s.find_gate("rect1"));
    EXPECT_EQ(gate_kind(s.find_gate("poly1")->gate), "polygon");
    EXPECT_EQ(gate_kind(s.find_gate("rect1")->gate), "rectangle");
    const auto sample = cytopipe::fcs::read_fcs(wsp.parent_path() / "data_set_simple_line_100.fcs");
    const auto r = gate_sample(s, sample);
    // Counted here from the event values and the rectangle's limits as written in the file.
    const auto& rect = std::get<RectangleGate>(s.find_gate("rect1")->gate);
    const auto a = sample.events.column(sample.channel_index("channel_A"));
    const auto b = sample.events.column(sample.channel_index("channel_B"));
    std::size_t inside = 0;
    for (std::size_t e = 0; e < sample.event_count(); ++e)
      inside += rect.intervals[0].contains(a[e]) && rect.intervals[1].contains(b[e]);
    EXPECT_EQ(r.count("rect1"), inside);
    if (std::string(name) == "simple_poly_and_rect.wsp") {  // as written in the file
      EXPECT_EQ(rect.intervals[0].min.value(), 59478.02197802198);
    }
  }
}

// FlowSOM's 68983: 15 populations under a polygon (FSC-A/SSC-A, gate resolution 1024), with
// rectangles on compensated biex axes and two polygons on compensated biex axes.
TEST(FlowJoWorkspace, FlowSom68983AgainstFlowJoAndLabels) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowSOM_example/gating.wsp");
  const fs::path fcs = wsp.parent_path() / "68983.fcs";
  const Workspace ws = load_workspace(wsp);
  ASSERT_EQ(ws.samples.size(), 1u);
  const auto& s = ws.samples[0];
  EXPECT_EQ(s.stored_counts.size(), 15u);
  EXPECT_EQ(s.compensation, "Acquisition-defined");
  EXPECT_EQ(s.strategy.matrices().at("Acquisition-defined").spectrum.detectors.size(), 11u);
  // Gates on Comp- channels read the compensated detector.
  const auto* nk = s.strategy.find_gate("NK1_1+");
  ASSERT_TRUE(nk);
  const auto dims = dimensions_of(nk->gate);
  EXPECT_EQ(dims[0]->channel, "PE-A");
  EXPECT_EQ(dims[0]->compensation, "Acquisition-defined");
  // The file is matched by its name, as FlowJo's $FIL keyword spells it (the DataSet uri names
  // it lymphocytes.fcs).
  cytopipe::fcs::ReadOptions meta;
  meta.read_events = false;
  std::vector<cytopipe::fcs::Sample> files;
  files.push_back(cytopipe::fcs::read_fcs(fcs, meta));
  const auto candidates = ws.group("All Samples");
  const auto match = match_samples(candidates, files);
  ASSERT_TRUE(match.sample_of_file[0].has_value()) << match.report();
  EXPECT_TRUE(match.report().empty());

  for (auto mode : {WorkspaceEvaluation::GatingMl, WorkspaceEvaluation::FlowJo}) {
    GatingResults r;
    const auto c = compare(wsp, fcs, mode, &r);
    std::printf("  68983 [%s]: %zu of %zu populations equal to FlowJo's stored count, worst %lld events\n",
                mode == WorkspaceEvaluation::FlowJo ? "flowjo" : "gating-ml", c.equal, c.total, c.worst);
    EXPECT_EQ(c.total, 15u);
    if (mode == WorkspaceEvaluation::FlowJo) {
      // On FlowJo's gate grid every population equals the count FlowJo stored.
      EXPECT_EQ(c.equal, 15u);
      EXPECT_EQ(c.worst, 0);
    } else {
      // Exact polygons (edges straight on the axes' transforms, no grid): the rectangles that
      // only see rectangle parents are FlowJo's (FlowJo tests rectangles on data values too), and
      // so is gd T cells (a polygon on biex axes); the rest differ by the events of the polygons'
      // edges, at most the 13 events of the outer polygon FlowJo's grid leaves out. (Before
      // polygons were read on their transforms, edges straight in data space: 5 of 15, gd T
      // cells 1,468.)
      for (const char* name : {"NK1_1+", "NK cells", "NK T cells", "CD8 T cells", "DP T cells", "gd T cells"})
        EXPECT_EQ(static_cast<long long>(r.count(name)), ws.samples[0].stored_counts.at(name)) << name;
      EXPECT_EQ(c.equal, 6u);
      EXPECT_LE(c.worst, 13);
    }

    // gatingResult.csv: one label per event (leaf population or Unlabeled) from flowWorkspace.
    std::ifstream in(wsp.parent_path() / "gatingResult.csv");
    ASSERT_TRUE(in);
    std::vector<std::string> labels;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() >= 2 && line.front() == '"') line = line.substr(1, line.size() - 2);
      labels.push_back(line);
    }
    ASSERT_EQ(labels.size(), r.events());
    const std::vector<std::string> leaves = {"NK cells", "NK T cells", "B cells", "CD4 T cells",
                                             "CD8 T cells", "gd T cells"};
    std::size_t agree = 0;
    for (std::size_t e = 0; e < labels.size(); ++e) {
      std::string mine = "Unlabeled";
      for (const auto& leaf : leaves)
        if (r.at(leaf).members.test(e)) mine = leaf;
      agree += mine == labels[e];
    }
    std::printf("  68983 [%s]: %zu of %zu events carry gatingResult.csv's label\n",
                mode == WorkspaceEvaluation::FlowJo ? "flowjo" : "gating-ml", agree, labels.size());
    // flowWorkspace's labels are a second opinion (its CD4 T cells 7487 against FlowJo's 7480):
    // both modes agree with it on all but a handful of events.
    EXPECT_GE(static_cast<double>(agree), 0.999 * static_cast<double>(labels.size()));
  }
}

}  // namespace

namespace {

// A constructed workspace over 68983.fcs with FlowJo exclusion gates (eventsInside="0"): "Mid"
// and its excluded twin "NotMid" (siblings, so they share one rectangle pass), and "HighSSC"
// below the exclusion. Counts are checked against the event values directly.
TEST(FlowJoWorkspace, ExclusionGatesAreTheirGatesComplementWithinTheParent) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/flowjo/FlowSOM_example/68983.fcs");
  auto rect = [](const char* inside, const char* channel, const char* lo, const char* hi) {
    return std::string("<Gate><gating:RectangleGate eventsInside=\"") + inside +
           "\"><gating:dimension gating:min=\"" + lo + "\" gating:max=\"" + hi +
           "\"><data-type:fcs-dimension data-type:name=\"" + channel + "\"/></gating:dimension></gating:RectangleGate></Gate>";
  };
  const std::string xml =
      std::string("<?xml version=\"1.0\"?>\n<Workspace version=\"20.0\"") +
      " xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\""
      " xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\""
      " xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n"
      "<Groups><GroupNode name=\"All Samples\"><Group name=\"All Samples\"><SampleRefs><SampleRef sampleID=\"1\"/>"
      "</SampleRefs></Group></GroupNode></Groups>\n<SampleList><Sample><DataSet uri=\"file:/x/68983.fcs\" sampleID=\"1\"/>"
      "<SampleNode name=\"68983.fcs\" count=\"19225\" sampleID=\"1\"><Subpopulations>"
      "<Population name=\"Mid\">" + rect("1", "FSC-A", "60000", "100000") + "</Population>"
      "<Population name=\"NotMid\">" + rect("0", "FSC-A", "60000", "100000") +
      "<Subpopulations><Population name=\"HighSSC\">" + rect("1", "SSC-A", "40000", "262144") +
      "</Population></Subpopulations></Population>"
      "</Subpopulations></SampleNode></Sample></SampleList></Workspace>\n";
  const Workspace ws = parse_workspace(xml, "exclude.wsp");
  ASSERT_EQ(ws.samples.size(), 1u);
  EXPECT_TRUE(ws.samples[0].strategy.find_gate("NotMid")->exclude);
  EXPECT_FALSE(ws.samples[0].strategy.find_gate("Mid")->exclude);
  const auto sample = cytopipe::fcs::read_fcs(fcs);
  const auto r = gate_sample(ws.samples[0].strategy, sample);
  const auto fsc = sample.events.column(sample.channel_index("FSC-A"));
  const auto ssc = sample.events.column(sample.channel_index("SSC-A"));
  std::size_t mid = 0, not_mid = 0, high = 0;
  for (std::size_t e = 0; e < sample.event_count(); ++e) {
    const bool in = fsc[e] >= 60000 && fsc[e] < 100000;
    mid += in;
    not_mid += !in;
    high += !in && ssc[e] >= 40000 && ssc[e] < 262144;
    EXPECT_EQ(r.at("NotMid").members.test(e), !in) << e;
  }
  ASSERT_GT(mid, 0u);
  ASSERT_GT(not_mid, 0u);
  ASSERT_GT(high, 0u);
  EXPECT_EQ(r.count("Mid"), mid);
  EXPECT_EQ(r.count("NotMid"), not_mid);
  EXPECT_EQ(r.count("HighSSC"), high);
  // Written back as FlowJo's exclusion gate and read again: the same events.
  WorkspaceExport what;
  what.files = {fcs};
  what.metadata = {&sample};
  const std::string text = to_flowjo_workspace(ws.samples[0].strategy, what);
  EXPECT_NE(text.find("eventsInside=\"0\""), std::string::npos);
  const Workspace again = parse_workspace(text, "written.wsp");
  const auto r2 = gate_sample(again.samples[0].strategy, sample);
  EXPECT_EQ(r2.at("NotMid").members, r.at("NotMid").members);
  EXPECT_EQ(r2.count("HighSSC"), high);
  // Gating-ML and YAML have no exclusion gate: refused, naming it.
  EXPECT_THROW(to_gatingml(ws.samples[0].strategy), cytopipe::Error);
}

// FlowJo's biex grid for a length other than 256. Only length 256 is backed by data: FlowJo's own
// exported table (4096 channels, FlowKit_flowjo_xforms/) and FlowSOM's 68983, whose stored counts
// the 256-channel grid reproduces; every biex axis in ../shared/gatingml_ref/flowjo/ has length
// 256. For another length the reader assumes FlowJo keeps 16 table channels per display channel
// (a table of 16 x length channels, its zero snapped to one of them) and cuts the 0..1 scale into
// gateResolution channels as for 256. This pins that assumption (README, FlowJo workspaces): a
// change to it must be deliberate.
TEST(FlowJoWorkspace, BiexGridForOtherLengthsAssumesSixteenTableChannelsPerDisplayChannel) {
  auto workspace = [](int length) {
    const std::string dim = "<gating:dimension><data-type:fcs-dimension data-type:name=\"Comp-A\"/></gating:dimension>";
    std::string v;
    for (const auto& [x, y] : {std::pair{100, 100}, {5000, 100}, {5000, 5000}})
      v += "<gating:vertex><gating:coordinate data-type:value=\"" + std::to_string(x) +
           "\"/><gating:coordinate data-type:value=\"" + std::to_string(y) + "\"/></gating:vertex>";
    return "<Workspace xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\" "
           "xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\" "
           "xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\"><SampleList><Sample>"
           "<DataSet uri=\"file:/x/s.fcs\" sampleID=\"1\"/><Transformations><transforms:biex transforms:length=\"" +
           std::to_string(length) +
           "\" transforms:maxRange=\"262144\" transforms:neg=\"0\" transforms:width=\"-10\" transforms:pos=\"4.418539922\">"
           "<data-type:parameter data-type:name=\"Comp-A\"/></transforms:biex></Transformations>"
           "<SampleNode name=\"s.fcs\" sampleID=\"1\"><Subpopulations><Population name=\"P\"><Gate>"
           "<gating:PolygonGate gateResolution=\"256\">" + dim + dim + v +
           "</gating:PolygonGate></Gate></Population></Subpopulations></SampleNode></Sample></SampleList></Workspace>";
  };
  const std::vector<double> values = {-500, -20, 0, 3, 40, 700, 9000, 150000, 262143};
  std::map<int, std::vector<double>> grid;  // length -> grid channel of each value
  for (const int length : {64, 128, 256, 512}) {
    const Workspace ws = parse_workspace(workspace(length), "biex.wsp", {WorkspaceEvaluation::FlowJo});
    const auto& scale = std::get<PolygonGate>(ws.samples[0].strategy.find_gate("P")->gate).dimensions[0].scale;
    ASSERT_TRUE(scale.biex_table) << length;
    EXPECT_EQ(scale.biex_table->channels(), static_cast<std::size_t>(16 * length));
    EXPECT_EQ(scale.grid_scale, 256.0);
    const cytopipe::transform::FlowJoBiexTable table(262144, -10, 4.418539922, 0, static_cast<std::size_t>(16 * length));
    for (const double v : values) {
      const double channel = std::floor(table.channel(v) / (16.0 * length) * 256);  // 0..1 scale cut in 256
      EXPECT_EQ(scale.apply(v), channel) << "length " << length << ", value " << v;
      grid[length].push_back(channel);
    }
  }
  // At 256 the grid channel is the display channel, table channel / 16; the other lengths place
  // some of these values differently, so the assumption decides counts near polygon edges.
  for (std::size_t i = 0; i < values.size(); ++i) {
    const cytopipe::transform::FlowJoBiexTable t256(262144, -10, 4.418539922, 0, 4096);
    EXPECT_EQ(grid[256][i], std::floor(t256.channel(values[i]) / 16)) << values[i];
  }
  EXPECT_NE(grid[64], grid[256]);
  EXPECT_NE(grid[512], grid[256]);
}

}  // namespace
