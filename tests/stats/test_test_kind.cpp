// The public list of test and adjustment names: every name maps to one kind and back, lookups
// ignore case, and an unknown name gets the known list and a close suggestion.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/stats/test_kind.hpp"

namespace cytopipe::stats {
namespace {

TEST(TestKinds, EveryNameRoundTripsAndNamesAreDistinct) {
  std::set<std::string_view> names;
  std::set<TestKind> kinds;
  for (const auto& t : known_tests()) {
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_TRUE(kinds.insert(t.kind).second) << t.name;
    EXPECT_EQ(find_test(t.name), t.kind);
    EXPECT_EQ(name_of(t.kind), t.name);
  }
  EXPECT_EQ(find_test("Dunnett-Greater"), TestKind::dunnett_greater);
  EXPECT_EQ(find_test("AUTO"), TestKind::automatic);
  EXPECT_FALSE(find_test("dunnet-greater ").has_value());
  EXPECT_FALSE(find_test("").has_value());
}

TEST(TestKinds, UnknownTestListsTheKnownNames) {
  const auto names = test_names();
  ASSERT_EQ(names.size(), known_tests().size());
  EXPECT_EQ(names.front(), "anova");
  const std::string m = unknown_test_message("mann-witney", "mann-whitney");
  EXPECT_NE(m.find("unknown test 'mann-witney' (did you mean 'mann-whitney'?; known: anova, welch,"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("two-way-iii, auto)"), std::string::npos) << m;
  EXPECT_EQ(unknown_test_message("regression").find("did you mean"), std::string::npos);
  EXPECT_THROW(parse_test("anovva"), Error);
  EXPECT_EQ(parse_test("Kruskal"), TestKind::kruskal);
}

TEST(TestKinds, AdjustmentNames) {
  EXPECT_EQ(find_adjustment("HOLM"), Adjustment::holm);
  EXPECT_EQ(find_adjustment("bh"), Adjustment::bh);
  EXPECT_EQ(find_adjustment("fdr"), Adjustment::bh);
  EXPECT_EQ(find_adjustment("Benjamini-Hochberg"), Adjustment::bh);
  EXPECT_EQ(find_adjustment("none"), Adjustment::none);
  EXPECT_FALSE(find_adjustment("sidak").has_value());
  EXPECT_EQ(parse_adjustment("Bonferroni"), Adjustment::bonferroni);
  try {
    parse_adjustment("sidak");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("known: none, holm, bonferroni, BH, fdr, benjamini-hochberg"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cytopipe::stats
