// Export and re-import: every compliance-suite strategy written as Gating-ML (validated against
// the Gating-ML 2.0 schema with xmllint when it is installed) and as YAML gives the same gates
// and the same event-level results as the original.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/io.hpp"
#include "gating/synthetic.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cytopipe::gating;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Pair {
  const char* xml;
  const char* fcs;
};
const Pair kSets[] = {
    {"gatingMLData/Gating-MLFiles/gates1.xml", "gatingMLData/FCSFiles/data1.fcs"},
    {"gatingMLData/Gating-MLFiles/gates2.xml", "gatingMLData/FCSFiles/data2.fcs"},
    {"gatingMLData/Gating-MLFiles/gates3.xml", "gatingMLData/FCSFiles/9399_1_3_NKR.fcs"},
    {"gatingMLData/Gating-MLFiles/gates4.xml", "gatingMLData/FCSFiles/9399_1_3_NKR.fcs"},
    {"gatingMLData/Gating-MLFiles/gates5.xml", "gatingMLData/FCSFiles/9399_1_3_NKR.fcs"},
};

void expect_same_gates(const GatingStrategy& a, const GatingStrategy& b) {
  ASSERT_EQ(a.gates().size(), b.gates().size());
  for (std::size_t i = 0; i < a.gates().size(); ++i) {
    SCOPED_TRACE(a.gates()[i].id);
    EXPECT_EQ(a.gates()[i].id, b.gates()[i].id);
    EXPECT_EQ(a.gates()[i].parent, b.gates()[i].parent);
    // Transformation ids may be renamed on export; compare the gates without them.
    auto strip = [](Gate g) {
      auto clear = [](Dimension& d) {
        d.scale.id.clear();
        if (d.ratio) d.ratio->id.clear();
      };
      std::visit([&](auto& gate) {
        using T = std::decay_t<decltype(gate)>;
        if constexpr (std::is_same_v<T, QuadrantGate>) {
          for (auto& div : gate.dividers) clear(div.dimension);
        } else if constexpr (!std::is_same_v<T, BooleanGate>) {
          for (auto& d : gate.dimensions) clear(d);
        }
      }, g);
      return g;
    };
    EXPECT_TRUE(strip(a.gates()[i].gate) == strip(b.gates()[i].gate));
  }
  EXPECT_TRUE(a.matrices() == b.matrices());
}

void expect_same_results(const GatingResults& a, const GatingResults& b) {
  ASSERT_EQ(a.populations().size(), b.populations().size());
  for (std::size_t i = 0; i < a.populations().size(); ++i) {
    EXPECT_EQ(a.populations()[i].path, b.populations()[i].path);
    EXPECT_TRUE(a.populations()[i].members == b.populations()[i].members)
        << a.populations()[i].name << " differs after the round trip";
  }
}

bool have_xmllint() { return std::system("xmllint --version > /dev/null 2>&1") == 0; }

class RoundTrip : public ::testing::TestWithParam<Pair> {};

TEST_P(RoundTrip, GatingMLAndYamlReimportIdentically) {
  CYTOPIPE_SHARED_OR_SKIP(xml_path, std::string("gatingml_ref/") + GetParam().xml);
  CYTOPIPE_SHARED_OR_SKIP(fcs_path, std::string("gatingml_ref/") + GetParam().fcs);
  CYTOPIPE_SHARED_OR_SKIP(schema, "gatingml_ref/schema/Gating-ML.v2.0.xsd");
  const auto original = parse_gatingml(slurp(xml_path), xml_path.string());
  cytopipe::fcs::ReadOptions options;
  options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
  const auto sample = cytopipe::fcs::read_fcs(fcs_path, options);
  const auto expected = gate_sample(original, sample);
  ASSERT_GT(expected.populations().size(), 0u);

  const std::string xml = to_gatingml(original);
  const auto from_xml = parse_gatingml(xml, "export.xml");
  expect_same_gates(original, from_xml);
  expect_same_results(expected, gate_sample(from_xml, sample));

  const std::string yaml = to_yaml(original);
  const auto from_yaml = parse_strategy_yaml(yaml, "export.yaml");
  expect_same_gates(original, from_yaml);
  expect_same_results(expected, gate_sample(from_yaml, sample));
  // And YAML -> Gating-ML -> YAML is stable.
  EXPECT_EQ(to_yaml(parse_gatingml(to_gatingml(from_yaml))), to_yaml(from_yaml));

  if (!have_xmllint()) GTEST_SKIP() << "xmllint not installed; schema validation not run";
  const fs::path out = fs::temp_directory_path() /
                       ("cytopipe_gating_export_" + fs::path(GetParam().xml).stem().string() + ".xml");
  {
    std::ofstream f(out);
    f << xml;
  }
  const std::string cmd = "xmllint --noout --schema '" + schema.string() + "' '" + out.string() +
                          "' > '" + out.string() + ".log' 2>&1";
  const int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << "xmllint rejected the export:\n" << slurp(out.string() + ".log");
  fs::remove(out);
  fs::remove(out.string() + ".log");
}

INSTANTIATE_TEST_SUITE_P(Suite, RoundTrip, ::testing::ValuesIn(kSets),
                         [](const auto& info) { return fs::path(info.param.xml).stem().string(); });

// One gate of every kind (scaled, ratio and compensated dimensions among them), each giving a
// population that is neither empty nor all of its parent: a writer or reader that dropped or
// emptied a kind changes a count. A new gate kind fails the coverage check until it is added.
TEST(RoundTrip, EveryGateKindKeepsItsCountsThroughYamlAndGatingML) {
  std::vector<double> x, y;
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 40; ++j) {
      x.push_back(5.0 * i);
      y.push_back(5.0 * j + 1);
    }
  auto sample = cytopipe::gating::test::make_sample({{"FSC-A", x}, {"SSC-A", y}});
  auto dim = [](std::string channel) {
    Dimension d;
    d.channel = std::move(channel);
    return d;
  };
  Dimension scaled = dim("FSC-A");
  scaled.scale.transform = cytopipe::transform::Transform(cytopipe::transform::Fasinh{1000, 4, 1});
  Dimension ratio;
  ratio.ratio = Ratio{"R", "SSC-A", "FSC-A", 1, 0, 0};
  Dimension unmixed = dim("SSC-A");
  unmixed.compensation = "M";

  GatingStrategy s;
  SpectrumMatrix m;
  m.spectrum.fluorochromes = {"FSC-A", "SSC-A"};
  m.spectrum.detectors = {"FSC-A", "SSC-A"};
  m.spectrum.values = {1, 0.1, 0, 1};
  s.add_matrix("M", m);
  s.add({"cells", "", RectangleGate{{dim("FSC-A")}, {Interval{20.0, 180.0}}}, {}});
  s.add({"box", "cells", RectangleGate{{scaled, unmixed}, {Interval{0.05, std::nullopt}, Interval{30.0, 150.0}}}, {}});
  s.add({"tri", "cells", PolygonGate{{dim("FSC-A"), dim("SSC-A")}, {{{20, 0}, {180, 0}, {100, 190}}}}, {}});
  s.add({"round", "cells", EllipsoidGate{{dim("FSC-A"), dim("SSC-A")}, {100, 100}, {2500, 0, 0, 900}, 1}, {}});
  QuadrantGate q;
  q.dividers = {{"D1", ratio, {1.0}}, {"D2", dim("SSC-A"), {60.0}}};
  q.quadrants = {{"lo_lo", {{"D1", 0.5}, {"D2", 0}}}, {"hi_lo", {{"D1", 2}, {"D2", 0}}},
                 {"lo_hi", {{"D1", 0.5}, {"D2", 100}}}, {"hi_hi", {{"D1", 2}, {"D2", 100}}}};
  s.add({"quad", "cells", q, {}});
  s.add({"box_and_tri", "cells", BooleanGate{BooleanGate::Op::And, {{"box", false}, {"tri", false}}}, {}});
  s.add({"not_round", "cells", BooleanGate{BooleanGate::Op::Not, {{"round", false}}}, {}});

  std::vector<bool> kinds(std::variant_size_v<Gate>, false);
  for (const auto& node : s.gates()) kinds[node.gate.index()] = true;
  for (std::size_t k = 0; k < kinds.size(); ++k) EXPECT_TRUE(kinds[k]) << "gate kind " << k << " is not covered";

  const auto expected = gate_sample(s, sample);
  for (const auto& p : expected.populations()) {
    EXPECT_GT(p.count, 0u) << p.name;
    EXPECT_LT(p.count, expected.parent_count(p.name)) << p.name;
  }
  const auto from_yaml = parse_strategy_yaml(to_yaml(s), "kinds.yaml");
  const auto from_xml = parse_gatingml(to_gatingml(s), "kinds.xml");
  expect_same_gates(s, from_yaml);
  expect_same_gates(s, from_xml);
  expect_same_results(expected, gate_sample(from_yaml, sample));
  expect_same_results(expected, gate_sample(from_xml, sample));
}

// Gate names are free text: markup characters and white space other than a plain space survive
// the Gating-ML round trip (a raw tab or newline in an attribute would be read back as a space).
TEST(RoundTrip, GatingMLKeepsMarkupAndWhiteSpaceInNames) {
  auto dim = [](std::string channel) {
    Dimension d;
    d.channel = std::move(channel);
    return d;
  };
  const std::string odd = "CD4+ & <CD8>\t\"a\" 'b'\nline2";
  GatingStrategy s;
  s.add({odd, "", RectangleGate{{dim("FSC-A")}, {Interval{20.0, 180.0}}}, {}});
  const auto back = parse_gatingml(to_gatingml(s), "names.xml");
  ASSERT_EQ(back.gates().size(), 1u);
  EXPECT_EQ(back.gates().front().id, odd);
}

}  // namespace
