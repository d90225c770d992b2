#include <gtest/gtest.h>

#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/sim/design.hpp"
#include "sim_test_support.hpp"

namespace cytopipe::sim {
namespace {

// A small valid design to mutate; every experiment enabled.
const std::string kBase = R"(seed: 5
date: 02-MAR-2025
instrument:
  spillover:
    FITC-A: {PE-A: 0.2}
cell_types:
  T:
    fsc: [60000, 0.1]
    ssc: [20000, 0.2]
    autofluorescence: [200, 0.5]
    markers:
      CD3: {positive: [10000, 0.3], positive_pct: 100}
  Tumour:
    fsc: [110000, 0.1]
    ssc: [50000, 0.2]
    autofluorescence: [300, 0.5]
    markers:
      BCMA: {negative: [300, 0.4], positive: [3000, 0.3]}
experiments:
  tumour_bcma:
    events: 200
    doses: [0, 100]
    lines:
      MM1S: {cell_type: Tumour, viability_pct: 85, bcma_pos_pct: [50, 70], bcma_mean: [1500, 1600]}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The error's text for a design, or "" when it parses.
std::string error_of(const std::string& yaml) {
  try {
    parse_design(yaml, "bad.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SimDesign, CommittedDesignParsesWithThePaperGroups) {
  const Design d = test::committed_design();
  EXPECT_EQ(d.tcell_viability.lines.size(), 2u);
  EXPECT_EQ(d.tumour_bcma.common.doses, (std::vector<double>{0, 25, 50, 100}));
  EXPECT_EQ(d.car_kinetics.days, (std::vector<int>{0, 4, 7, 10, 14, 21, 28, 60, 90}));
  ASSERT_TRUE(d.car_kinetics.pleural_effusion);
  EXPECT_NEAR(d.car_kinetics.pleural_effusion->car_pos_pct, 95.08, 1e-9);
  // The spillover diagonal is 1 and the off-diagonal terms the design gives are there.
  EXPECT_EQ(d.instrument.spillover[0][0], 1.0);
  EXPECT_NEAR(d.instrument.spillover[0][1], 0.22, 1e-12);  // FITC into PE
}

TEST(SimDesign, BaseDesignParses) {
  const Design d = parse_design(kBase, "base.yaml");
  EXPECT_TRUE(d.tumour_bcma.common.enabled);
  EXPECT_FALSE(d.coculture.common.enabled);
  EXPECT_EQ(d.tumour_bcma.lines[0].viability_pct, (std::vector<double>{85, 85}));
  // Unlisted markers take the cell type's autofluorescence.
  EXPECT_EQ(d.cell_type("T").markers[CAR].negative.median, 200);
}

TEST(SimDesign, ErrorsNameTheKeyAndLine) {
  std::string e = error_of(replace(kBase, "seed: 5\n", ""));
  EXPECT_NE(e.find("seed"), std::string::npos) << e;
  EXPECT_NE(e.find("missing required key"), std::string::npos) << e;

  e = error_of(replace(kBase, "events: 200", "events: 200\n    evnets: 3"));
  EXPECT_NE(e.find("experiments.tumour_bcma.evnets"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("bad.yaml:22:5"), std::string::npos) << e;  // line and column of the typo

  e = error_of(replace(kBase, "bcma_pos_pct: [50, 70]", "bcma_pos_pct: [50, 60, 70]"));
  EXPECT_NE(e.find("experiments.tumour_bcma.lines.MM1S.bcma_pos_pct"), std::string::npos) << e;
  EXPECT_NE(e.find("expected 2 values"), std::string::npos) << e;

  e = error_of(replace(kBase, "cell_type: Tumour", "cell_type: Tumor"));
  EXPECT_NE(e.find("unknown cell type 'Tumor'"), std::string::npos) << e;

  e = error_of(replace(kBase, "FITC-A: {PE-A: 0.2}", "FITC-A: {PE-B: 0.2}"));
  EXPECT_NE(e.find("instrument.spillover.FITC-A"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown detector 'PE-B'"), std::string::npos) << e;

  e = error_of(replace(kBase, "date: 02-MAR-2025", "date: 2025-03-02"));
  EXPECT_NE(e.find("date"), std::string::npos) << e;

  e = error_of(replace(kBase, "events: 200", "events: lots"));
  EXPECT_NE(e.find("experiments.tumour_bcma.events"), std::string::npos) << e;
  EXPECT_NE(e.find("expected a finite number"), std::string::npos) << e;

  e = error_of(replace(kBase, "viability_pct: 85", "viability_pct: 185"));
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;

  e = error_of(replace(kBase, "CD3: {", "CD33: {"));
  EXPECT_NE(e.find("unknown marker 'CD33'"), std::string::npos) << e;

  // A BCMA mean the positive component cannot reach.
  e = error_of(replace(kBase, "bcma_mean: [1500, 1600]", "bcma_mean: [1500, 400]"));
  EXPECT_NE(e.find("bcma_mean"), std::string::npos) << e;
  EXPECT_NE(e.find("too low"), std::string::npos) << e;

  e = error_of("seed: [1, 2\n");
  EXPECT_NE(e.find("not valid YAML"), std::string::npos) << e;
  e = error_of("- just a list\n");
  EXPECT_NE(e.find("mapping"), std::string::npos) << e;
}

TEST(SimDesign, MissingFileIsAnErrorNamingIt) {
  try {
    load_design("no/such/design.yaml");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/design.yaml"), std::string::npos);
  }
}

TEST(SimDesign, ScalingReplacesEventsAndReplicates) {
  Design d = parse_design(kBase, "base.yaml");
  scale_design(d, 1000000, 7);
  EXPECT_EQ(d.tumour_bcma.common.events, 1000000u);
  EXPECT_EQ(d.tumour_bcma.common.replicates, 7u);
}

}  // namespace
}  // namespace cytopipe::sim
