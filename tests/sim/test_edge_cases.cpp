// Bad requests and awkward inputs: clear errors, never silent wrong numbers.
#include <gtest/gtest.h>

#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/sim/calibur.hpp"
#include "cytopipe/sim/simulate.hpp"
#include "sim_test_support.hpp"

namespace cytopipe::sim {
namespace {

std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SimEdge, RestrictingToUnknownExperimentNamesIt) {
  Design d = test::committed_design();
  const auto e = error_text([&] { restrict_experiments(d, {"tumor_bcma"}); });
  EXPECT_NE(e.find("unknown experiment 'tumor_bcma'"), std::string::npos) << e;
  restrict_experiments(d, {"car_kinetics"});
  for (const auto& t : plan_tubes(d)) EXPECT_EQ(t.experiment, "car_kinetics");
  const auto again = error_text([&] { restrict_experiments(d, {"coculture"}); });
  EXPECT_NE(again.find("not enabled"), std::string::npos) << again;
}

TEST(SimEdge, CocultureWithoutBeadEventsCannotCountAbsolutely) {
  Design d = test::committed_design();
  restrict_experiments(d, {"coculture"});
  scale_design(d, 10, 1);
  d.coculture.beads_per_tube = 1e-6;  // practically no beads in the tube
  const auto tubes = plan_tubes(d);
  const auto e = error_text([&] { file_truth(simulate_tube(d, tubes[0]), tubes[0]); });
  EXPECT_NE(e.find(tubes[0].file), std::string::npos) << e;
  EXPECT_NE(e.find("no bead events"), std::string::npos) << e;
}

TEST(SimEdge, SingleReplicateAndSingleDoseStillPlan) {
  Design d = test::committed_design();
  d.tumour_bcma.common.replicates = 1;
  restrict_experiments(d, {"tumour_bcma"});
  const auto tubes = plan_tubes(d);
  EXPECT_EQ(tubes.size(), 2u * 4 * 2);  // one isotype + one sample per line and dose
}

// FCS 2.0 readers split TEXT plainly, so the writer must pick a delimiter no value contains.
TEST(SimEdge, Fcs20TextKeepsValuesThatContainSlashes) {
  Design d = test::committed_design();
  scale_design(d, 50, 1);
  const auto tubes = plan_tubes(d);
  auto simulated = simulate_tube(d, tubes[0]);
  simulated.sample.keywords.set("$SRC", "MM1S / 25 nM//x");
  const auto bytes = to_facscalibur_bytes(simulated, d, tubes[0]);
  const auto read = fcs::read_fcs(bytes, "escaped.fcs");
  EXPECT_EQ(read.keywords.find("$SRC"), std::optional<std::string_view>("MM1S / 25 nM//x"));
  EXPECT_EQ(read.event_count(), 50u);
}

}  // namespace
}  // namespace cytopipe::sim
