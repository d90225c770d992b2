// Every strategy in the repository's gating/ folder parses, validates and survives a YAML round
// trip; the example strategy gates hand-placed events into the populations it names.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cytopipe/gating/gating.hpp"
#include "gating/synthetic.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cytopipe::gating;

TEST(StrategyFiles, EveryFileInGatingFolderLoads) {
  const fs::path dir = cytopipe::test::source_dir() / "gating";
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".yaml" && ext != ".yml" && ext != ".xml") continue;
    SCOPED_TRACE(entry.path().string());
    GatingStrategy s;
    ASSERT_NO_THROW(s = load_strategy(entry.path()));
    EXPECT_FALSE(s.gates().empty());
    const auto again = parse_strategy_yaml(to_yaml(s));
    EXPECT_EQ(to_yaml(again), to_yaml(s));
    ++n;
  }
  EXPECT_GE(n, 1u);
}

TEST(StrategyFiles, ExampleStrategyPutsEventsWhereExpected) {
  const auto s = load_strategy(cytopipe::test::source_dir() / "gating/tcells_example.yaml");
  // Event 0: live CD4+ activated T cell. 1: live B cell. 2: dead cell. 3: debris.
  // 4: doublet (FSC-H far below FSC-A). 5: live resting CD8+ T cell.
  const auto sample = cytopipe::gating::test::make_sample({
      {"FSC-A", {90000, 90000, 90000, 5000, 120000, 90000}},
      {"FSC-H", {76000, 76000, 76000, 4000, 20000, 76000}},
      {"SSC-A", {50000, 50000, 50000, 1000, 50000, 50000}},
      {"Viability", {10, 20, 20000, 10, 10, 0}},
      {"CD3", {8000, 10, 8000, 0, 8000, 8000}},
      {"CD19", {10, 6000, 10, 0, 10, 10}},
      {"CD4", {7000, 0, 0, 0, 0, 0}},
      {"CD8", {0, 0, 0, 0, 0, 9000}},
      {"CD69", {9000, 0, 0, 0, 0, 0}},
  });
  const auto r = gate_sample(s, sample);
  auto in = [&](const char* pop) {
    std::vector<int> out;
    for (std::size_t e = 0; e < sample.event_count(); ++e) out.push_back(r.at(pop).members.test(e));
    return out;
  };
  EXPECT_EQ(in("cells"), (std::vector<int>{1, 1, 1, 0, 1, 1}));
  EXPECT_EQ(in("singlets"), (std::vector<int>{1, 1, 1, 0, 0, 1}));
  EXPECT_EQ(in("live"), (std::vector<int>{1, 1, 0, 0, 0, 1}));
  EXPECT_EQ(in("dead"), (std::vector<int>{0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(in("T cells"), (std::vector<int>{1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(in("B cells"), (std::vector<int>{0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(in("activated CD4"), (std::vector<int>{1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(in("resting CD8"), (std::vector<int>{0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(in("lymphocytes"), (std::vector<int>{1, 1, 0, 0, 0, 1}));
  EXPECT_EQ(r.at("activated CD4").path, "/activated CD4");
  EXPECT_EQ(r.at("CD4+").path, "/cells/singlets/live/T cells/CD4+");
}

}  // namespace
