// Population statistics against values worked out by hand (R definitions named per test).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cytopipe/pipeline/statistics.hpp"

using namespace cytopipe::pipeline;

TEST(Statistics, MedianMeanSdCvGeomeanRsd) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(compute_statistic(Statistic::Median, v), 2.5);  // even count: mean of middle two
  v = {4, 1, 3, 2, 100};
  EXPECT_DOUBLE_EQ(compute_statistic(Statistic::Median, v), 3);
  v = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(compute_statistic(Statistic::Mean, v), 5);
  // sum of squares 32 over n - 1 = 7
  EXPECT_DOUBLE_EQ(compute_statistic(Statistic::Sd, v), std::sqrt(32.0 / 7.0));
  EXPECT_DOUBLE_EQ(compute_statistic(Statistic::Cv, v), 100 * std::sqrt(32.0 / 7.0) / 5);
  // Geometric mean of the positive values only: sqrt(1 * 100), the -5 and 0 are left out.
  v = {1, -5, 100, 0};
  EXPECT_NEAR(compute_statistic(Statistic::GeoMean, v), 10, 1e-12);
  // rSD = 1.4826 * MAD: values 1..5, median 3, |dev| = 2,1,0,1,2 -> MAD 1
  v = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(compute_statistic(Statistic::Rsd, v), 1.4826);
  v = {};
  EXPECT_TRUE(std::isnan(compute_statistic(Statistic::Mean, v)));
  v = {3};
  EXPECT_TRUE(std::isnan(compute_statistic(Statistic::Sd, v)));
}
