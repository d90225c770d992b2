// The one level ordering shared by the statistics, the report and the plots.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cytopipe/stats/levels.hpp"

namespace cytopipe::stats {
namespace {

using Levels = std::vector<std::string>;

TEST(Levels, NumbersSortAsNumbersNotAsText) {
  // As text, "100" < "25"; as doses 0 < 25 < 100.
  const Levels doses = {"100", "25", "0", "25", "100", "0"};
  EXPECT_EQ(ordered_levels(doses), (Levels{"0", "25", "100"}));
  EXPECT_EQ(ordered_levels(Levels{"1e2", "-5", "2.5", "+3"}), (Levels{"-5", "2.5", "+3", "1e2"}));
}

TEST(Levels, TextKeepsFirstAppearanceAndOneTextLevelMakesAllText) {
  EXPECT_EQ(ordered_levels(Levels{"U266", "MM1S", "U266"}), (Levels{"U266", "MM1S"}));
  EXPECT_EQ(ordered_levels(Levels{"100", "control", "25", "0"}), (Levels{"100", "control", "25", "0"}));
  // Missing-value spellings are not numbers.
  EXPECT_EQ(ordered_levels(Levels{"10", "NA", "1"}), (Levels{"10", "NA", "1"}));
  EXPECT_FALSE(is_numeric_level(""));
  EXPECT_FALSE(is_numeric_level("NaN"));
  EXPECT_TRUE(is_numeric_level(" 25 "));
}

TEST(Levels, EqualNumbersKeepTheirOrderOfAppearance) {
  EXPECT_EQ(ordered_levels(Levels{"10", "0.0", "0"}), (Levels{"0.0", "0", "10"}));
  EXPECT_TRUE(ordered_levels(Levels{}).empty());
}

}  // namespace
}  // namespace cytopipe::stats
