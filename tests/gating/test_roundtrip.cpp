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

}  // namespace
