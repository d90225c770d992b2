// FlowJo workspace export: what is written reads back as the same gates (round trip), checked
// against the Gating-ML compliance truth files (data1.fcs) and FlowJo's 68983 workspace.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/gating/io.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe::gating;
namespace fs = std::filesystem;

template <class... F>
struct Overloads : F... {
  using F::operator()...;
};
template <class... F>
Overloads(F...) -> Overloads<F...>;

// FlowSOM's 68983 as FlowJo gated it: import, export, import again: the same gates, matrix and
// transforms, hence the same counts (in both evaluation modes).
TEST(FlowJoExport, RoundTripOfFlowJosOwnWorkspaceKeepsEveryCount) {
  CYTOPIPE_SHARED_OR_SKIP(wsp, "gatingml_ref/flowjo/FlowSOM_example/gating.wsp");
  const fs::path fcs = wsp.parent_path() / "68983.fcs";
  const auto sample = cytopipe::fcs::read_fcs(fcs);
  for (auto mode : {WorkspaceEvaluation::GatingMl, WorkspaceEvaluation::FlowJo}) {
    const Workspace first = load_workspace(wsp, {mode});
    const auto before = gate_sample(first.samples[0].strategy, sample);
    WorkspaceExport what;
    what.files = {fcs};
    what.metadata = {&sample};
    std::map<std::string, std::size_t> counts;
    for (const auto& p : before.populations()) counts[p.name] = p.count;
    what.counts = {counts};
    const std::string text = to_flowjo_workspace(first.samples[0].strategy, what);
    const Workspace second = parse_workspace(text, "written.wsp", {mode});
    ASSERT_EQ(second.samples.size(), 1u);
    const auto after = gate_sample(second.samples[0].strategy, sample);
    ASSERT_EQ(after.populations().size(), before.populations().size());
    for (std::size_t i = 0; i < before.populations().size(); ++i) {
      EXPECT_EQ(after.populations()[i].path, before.populations()[i].path);
      EXPECT_EQ(after.populations()[i].members, before.populations()[i].members) << before.populations()[i].path;
      EXPECT_EQ(second.samples[0].stored_counts.at(before.populations()[i].name),
                static_cast<long long>(before.populations()[i].count));
    }
    // The file is matched back by its name; the compensation is FlowJo's Comp- matrix.
    EXPECT_EQ(second.samples[0].compensation, "Acquisition-defined");
    EXPECT_EQ(second.samples[0].strategy.matrices(), first.samples[0].strategy.matrices());
    // In the flowjo mode the polygons carry their biex axes, written as FlowJo transforms.
    if (mode == WorkspaceEvaluation::FlowJo) {
      EXPECT_EQ(second.samples[0].scales.at("Comp-APC-A").kind, "biex");
    }
  }
}

// Gating-ML set 1 on data1.fcs: every gate FlowJo can hold is exported, read back and evaluated;
// each population with a truth file must equal it event by event.
TEST(FlowJoExport, GatingMlSuiteGatesSurviveTheRoundTripAgainstTheTruthFiles) {
  CYTOPIPE_SHARED_OR_SKIP(xml, "gatingml_ref/gatingMLData/Gating-MLFiles/gates1.xml");
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  CYTOPIPE_SHARED_OR_SKIP(truth_dir, "gatingml_ref/gatingMLData/ExpectedResults/set_1");
  cytopipe::fcs::ReadOptions read;
  read.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
  const auto sample = cytopipe::fcs::read_fcs(fcs, read);
  GatingStrategy s = load_strategy(xml);
  WorkspaceExport what;
  what.files = {fcs};
  what.metadata = {&sample};
  // data1.fcs has no spillover keyword, so "FCS" leaves values uncompensated (Gating-ML): said
  // so explicitly, as a FlowJo workspace would.
  auto plain = [](Dimension& d) {
    if (d.compensation == kFileCompensation) d.compensation = std::string(kUncompensated);
  };
  for (const auto& g : std::vector<GateNode>(s.gates())) {
    Gate gate = g.gate;
    std::visit(Overloads{[&](RectangleGate& r) { for (auto& d : r.dimensions) plain(d); },
                         [&](PolygonGate& p) { for (auto& d : p.dimensions) plain(d); },
                         [&](EllipsoidGate& e) { for (auto& d : e.dimensions) plain(d); },
                         [&](QuadrantGate& q) { for (auto& d : q.dividers) plain(d.dimension); },
                         [](BooleanGate&) {}},
               gate);
    s.replace(g.id, gate);
  }
  // Drop what FlowJo cannot hold (ratios, bounds, complements, a second compensation), gate by
  // gate as the export names them.
  std::string text;
  std::vector<std::string> dropped;
  for (int tries = 0; tries < 200; ++tries) {
    try {
      text = to_flowjo_workspace(s, what);
      break;
    } catch (const cytopipe::Error& e) {
      std::smatch m;
      const std::string msg = e.what();
      ASSERT_TRUE(std::regex_search(msg, m, std::regex("gate '([^']+)'"))) << msg;
      dropped.push_back(m[1]);
      std::printf("  not exportable: %s\n", m[1].str().c_str());
      s.remove(m[1].str());
    }
  }
  ASSERT_FALSE(text.empty());
  const Workspace ws = parse_workspace(text, "written.wsp");
  const auto r = gate_sample(ws.samples[0].strategy, sample);
  std::size_t compared = 0;
  for (const auto& p : r.populations()) {
    std::ifstream in(truth_dir / ("Results_" + p.name + ".txt"));
    if (!in) continue;
    std::size_t e = 0, wrong = 0;
    for (std::string line; std::getline(in, line); ++e) wrong += (line == "1") != p.members.test(e);
    EXPECT_EQ(e, r.events());
    EXPECT_EQ(wrong, 0u) << p.name;
    ++compared;
  }
  std::printf("  %zu populations compared with their truth files after the round trip; %zu gates dropped\n", compared,
              dropped.size());
  // Polygons, rectangles, ranges on flog/fasinh/logicle/hyperlog scales, the ellipse, quadrants
  // and And/Or/Not at least.
  EXPECT_GE(compared, 40u);
  for (const char* must : {"Polygon1", "Rectangle1", "Ellipse1", "FL2P-FL4P", "And1", "Or1", "Not1", "ScaleRange2"})
    EXPECT_TRUE(r.find(must)) << must << " was dropped";
}

TEST(FlowJoExport, WhatFlowJoCannotHoldIsRefusedNamingTheGate) {
  GatingStrategy s;
  GateNode g;
  g.id = "ratio";
  RectangleGate r;
  Dimension d;
  d.ratio = Ratio{"R", "A", "B", 1, 0, 0};
  r.dimensions = {d};
  r.intervals = {Interval{1.0, {}}};
  g.gate = r;
  s.add(g);
  cytopipe::fcs::Sample meta;
  meta.source = "x.fcs";
  WorkspaceExport what;
  what.files = {"x.fcs"};
  what.metadata = {&meta};
  try {
    to_flowjo_workspace(s, what);
    FAIL() << "no error";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gate 'ratio' cannot be written to a FlowJo workspace: ratio"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
