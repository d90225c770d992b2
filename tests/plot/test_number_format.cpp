// format_significant against R's format(x, digits = 4) and format.pval(p, digits = 2)
// (goldens from tests/plot/golden/number_format.R).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cytopipe/plot/number_format.hpp"

namespace cytopipe::plot {
namespace {

TEST(FormatSignificant, MatchesRFormatWithFourDigits) {
  const std::vector<std::pair<double, std::string>> golden{
      {0.03478972192, "0.03479"}, {123456.789, "123457"},   {12.5, "12.5"},
      {1e-5, "1e-05"},            {0.000123456, "0.0001235"}, {-2.718281828, "-2.718"},
      {100, "100"},               {0.1 + 0.2, "0.3"},         {1234567890, "1.235e+09"},
      {9.99996, "10"},            {-0.000012345, "-1.234e-05"}};
  for (const auto& [value, text] : golden) EXPECT_EQ(format_significant(value, kReportDigits), text) << value;
}

TEST(FormatSignificant, PValuesAsRFormatPvalWithTwoDigits) {
  const std::vector<std::pair<double, std::string>> golden{
      {0.5678, "0.57"}, {0.0123, "0.012"}, {1.234e-05, "1.2e-05"}, {0.000123, "0.00012"},
      {0.05, "0.05"},   {1, "1"},          {0.999, "1"},           {3e-12, "3e-12"},
      {0.04996, "0.05"}};
  for (const auto& [p, text] : golden) EXPECT_EQ(format_significant(p, kReportPDigits), text) << p;
}

TEST(FormatSignificant, ZeroAndNonFinite) {
  EXPECT_EQ(format_significant(0.0, 4), "0");
  EXPECT_EQ(format_significant(-0.0, 4), "0");
  EXPECT_EQ(format_significant(-0.00001, 1), "-1e-05");
  EXPECT_EQ(format_significant(std::numeric_limits<double>::quiet_NaN(), 4), "NaN");
  EXPECT_EQ(format_significant(-std::numeric_limits<double>::infinity(), 4), "-Inf");
}

}  // namespace
}  // namespace cytopipe::plot
