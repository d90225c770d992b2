// Counts per volume ($VOL), the root population `all`, and read-outs that cannot mean what they
// say (refused with a message, not computed).
#include <gtest/gtest.h>

#include "cytopipe/pipeline/check.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "tiny_batch.hpp"

namespace cytopipe::pipeline {
namespace {

Location here() { return {"p.yaml", 3, 10}; }

TEST(Volume, VolKeywordIsNanolitresUnlessItStatesAUnit) {
  EXPECT_DOUBLE_EQ(volume_microlitres("50000"), 50.0);  // FCS 3.1: nL
  EXPECT_DOUBLE_EQ(volume_microlitres("50000 nL"), 50.0);
  EXPECT_DOUBLE_EQ(volume_microlitres("50 uL"), 50.0);
  EXPECT_DOUBLE_EQ(volume_microlitres("50\xC2\xB5L"), 50.0);
  EXPECT_DOUBLE_EQ(volume_microlitres("0.05 mL"), 50.0);
  EXPECT_THROW(volume_microlitres("fifty"), Error);
  EXPECT_THROW(volume_microlitres("50 gallons"), Error);
  EXPECT_THROW(volume_microlitres("-3"), Error);
}

TEST(Volume, ConcentrationAndTheRootPopulation) {
  SampleValues s;
  s.total_events = 1000;
  s.populations["live"] = {"", 250, {}};
  s.volume_uL = 12.5;
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("concentration(live)", here()), s), 20.0);  // 250 / 12.5 µL
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("concentration(all)", here()), s), 80.0);   // 1000 / 12.5
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("count(all)", here()), s), 1000.0);
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("percent(live of all)", here()), s), 25.0);
  // Count-based killing with volume counts, as with beads: 100 * (1 - 20 / 40).
  SampleValues control = s;
  control.populations["live"].count = 500;
  EXPECT_DOUBLE_EQ(evaluate(parse_expression("killing(concentration(live))", here()), s, {&control}), 50.0);
  // Without $VOL: an error saying so, never a number.
  s.volume_uL.reset();
  s.volume_problem = "the file has no $VOL keyword (acquired volume)";
  try {
    evaluate(parse_expression("concentration(live)", here()), s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no $VOL keyword"), std::string::npos) << e.what();
  }
}

TEST(Volume, ReadoutsThatCannotMeanWhatTheySayAreRefused) {
  for (const char* bad : {"killing(percent(dead of targets))", "killing(median(CD3, live))",
                          "specific_lysis(count(dead))", "specific_lysis(concentration(dead))"}) {
    try {
      parse_expression(bad, here());
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("p.yaml:3:"), std::string::npos) << e.what();
    }
  }
}

// A keyword (the volume, read as a factor) or a volume column used where the beads added are
// expected: validate refuses it at the read-out's line, naming the column.
TEST(Volume, AVolumeOrKeywordAsTheBeadCountIsRefused) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "data");
  test::Tube t;
  t.live_marker = test::ramp(10);
  test::write_tube(dir / "data" / "a.fcs", t);
  test::write_text(dir / "data" / "sheet.csv", "file,role,volume_uL\na.fcs,sample,50\n");
  test::write_text(dir / "strategy.yaml", test::kTinyStrategy);
  test::write_text(dir / "p.yaml", R"(name: v
inputs:
  files: data/*.fcs
  sample_sheet: data/sheet.csv
  keywords: {vol: $VOL}
panel:
  markers: {Viability: V-A}
compensation: none
gating:
  strategy: strategy.yaml
readouts:
  a: absolute_count(live, cells, vol)
  b: absolute_count(live, cells, volume_uL)
  c: concentration(live)
  d: mean(Viability, all)
)");
  const auto check = check_pipeline(load_config(dir / "p.yaml"));
  std::string text;
  for (const auto& e : check.errors) text += std::string(e.what()) + "\n";
  EXPECT_NE(text.find("p.yaml:12:6: readouts.a: absolute_count takes the number of beads added from a sample-sheet column, but 'vol' is the FCS keyword $VOL"),
            std::string::npos) << text;
  EXPECT_NE(text.find("p.yaml:13:6: readouts.b: absolute_count would use the volume column 'volume_uL'"), std::string::npos) << text;
  EXPECT_NE(text.find("p.yaml:15:6: readouts.d: 'mean(Viability, all)': channel statistics need a gated population"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("readouts.c"), std::string::npos) << text;  // concentration(live) is fine
}

}  // namespace
}  // namespace cytopipe::pipeline
