// The one number formatter: each output kind's precision and missing-value spelling.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "cytopipe/base/number_text.hpp"

namespace cytopipe {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(NumberText, TablesWriteWholeNumbersAsIntegersTenDigitsOtherwiseAndNaNEmpty) {
  EXPECT_EQ(format_number(1e6, kTableNumber), "1000000");  // %g would write 1e+06
  EXPECT_EQ(format_number(-0.0, kTableNumber), "0");
  EXPECT_EQ(format_number(0.1 + 0.2, kTableNumber), "0.3");
  EXPECT_EQ(format_number(2.0 / 3.0, kTableNumber), "0.6666666667");
  EXPECT_EQ(format_number(1e20, kTableNumber), "1e+20");
  EXPECT_EQ(format_number(kNaN, kTableNumber), "");
  EXPECT_EQ(format_number(kInf, kTableNumber), "Inf");
  EXPECT_EQ(format_number(-kInf, kTableNumber), "-Inf");
}

TEST(NumberText, StatisticsKeepEveryDigit) {
  EXPECT_EQ(format_number(0.1, kStatisticsNumber), "0.10000000000000001");
  EXPECT_EQ(std::stod(format_number(2.0 / 3.0, kStatisticsNumber)), 2.0 / 3.0);
  EXPECT_EQ(format_number(kNaN, kStatisticsNumber), "");
  EXPECT_EQ(format_number(-kInf, kStatisticsNumber), "-Inf");
}

TEST(NumberText, GateTablesSpellNaNAsNA) {
  EXPECT_EQ(format_number(kNaN, kGateNumber), "NA");
  EXPECT_EQ(format_number(12.5, kGateNumber), "12.5");
  EXPECT_EQ(format_number(1e6, kGateNumber), "1000000");
  EXPECT_EQ(format_number(1e11, kGateNumber), "1e+11");
}

TEST(NumberText, ExactEventAndShortestStyles) {
  EXPECT_EQ(format_number(0.1, kExactNumber), "0.10000000000000001");
  EXPECT_EQ(format_number(0.1f, kEventNumber), "0.100000001");
  EXPECT_EQ(format_number(0.1, kShortestNumber), "0.1");
  EXPECT_EQ(format_number(262144, kShortestNumber), "262144");
  EXPECT_EQ(std::stod(format_number(1.0 / 3.0, kShortestNumber)), 1.0 / 3.0);
}

}  // namespace
}  // namespace cytopipe
