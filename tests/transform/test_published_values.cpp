// Scales against values published outside this project.
//
// The example tables are those of the Gating-ML 2.0 specification (ISAC, 2013), section 6
// ("Transformations"), which tabulates each scale at x = -10, -5, -1, 0, 0.3, 1, 3, 10, 100, 1000
// to six decimals. Tolerance: half a unit in the last printed place.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <numbers>

#include "cytopipe/transform/transform.hpp"

namespace ct = cytopipe::transform;

namespace {

constexpr std::array<double, 10> kX = {-10, -5, -1, 0, 0.3, 1, 3, 10, 100, 1000};
constexpr double kHalfUlpOfTable = 5e-7 + 1e-12;

// `truncated` = index of an entry whose last digit is cut rather than rounded (a full unit).
void expect_table(const ct::Transform& t, const std::array<double, 10>& expected,
                  std::size_t truncated = kX.size()) {
  std::array<double, 10> bulk{};
  t.apply(kX, bulk);
  for (std::size_t i = 0; i < kX.size(); ++i) {
    const double tolerance = i == truncated ? 2 * kHalfUlpOfTable : kHalfUlpOfTable;
    EXPECT_NEAR(t.apply(kX[i]), expected[i], tolerance) << t.to_string() << " at x=" << kX[i];
    EXPECT_NEAR(bulk[i], expected[i], tolerance) << t.to_string() << " (bulk) at x=" << kX[i];
  }
}

}  // namespace

TEST(PublishedValues, LogicleT1000W1M4A0) {
  // Gating-ML 2.0 spec, logicle example table, Logicle(x, 1000, 1, 4, 0).
  expect_table(ct::Transform(ct::Logicle{1000, 1, 4, 0}),
               {0.067574, 0.147986, 0.228752, 0.25, 0.256384, 0.271248, 0.312897, 0.432426,
                0.739548, 1});
}

TEST(PublishedValues, LogicleT1000W1M4A1) {
  // Gating-ML 2.0 spec, logicle example table, Logicle(x, 1000, 1, 4, 1); x = 1000 maps to 1 by
  // definition (B(1) = T).
  expect_table(ct::Transform(ct::Logicle{1000, 1, 4, 1}),
               {0.254059, 0.318389, 0.383001, 0.4, 0.405107, 0.416999, 0.450318, 0.545941,
                0.791638, 1});
}

TEST(PublishedValues, LogicleWithZeroWidthIsFasinh) {
  // Gating-ML 2.0 spec, logicle example table, Logicle(x, 1000, 0, 4, 1); the spec states that
  // fasinh(T, M, A) equals Logicle(T, 0, M, A), so the same row checks fasinh.
  const std::array<double, 10> row = {-0.200009, -0.139829, -0.000856, 0.2,      0.303776,
                                      0.400856,  0.495521,  0.600009,  0.8,      1};
  expect_table(ct::Transform(ct::Logicle{1000, 0, 4, 1}), row);
  expect_table(ct::Transform(ct::Fasinh{1000, 4, 1}), row);
}

TEST(PublishedValues, HyperlogT1000W1M4A0) {
  // Gating-ML 2.0 spec, hyperlog example table, Hyperlog(x, 1000, 1, 4, 0). The entry at x = 3
  // (0.309091) is 8.5e-7 below the root of EH(y) = 3, 0.30909185 (checked independently in
  // test_oracles against EH in long double): its last digit is cut, not rounded, so it gets one
  // full unit of tolerance; the other nine agree to half a unit.
  expect_table(ct::Transform(ct::Hyperlog{1000, 1, 4, 0}),
               {0.083554, 0.155868, 0.229477, 0.25, 0.256239, 0.270523, 0.309091, 0.416446,
                0.731875, 1},
               6);
}

TEST(PublishedValues, ClosedFormsFromTheirDefinitions) {
  // flin, flog and fratio are closed forms: check them at points whose values follow by hand.
  const ct::Transform flin(ct::Flin{1000, 0});
  EXPECT_DOUBLE_EQ(flin.apply(-10), -0.01);
  EXPECT_DOUBLE_EQ(flin.apply(1000), 1.0);
  const ct::Transform flin_a(ct::Flin{10000, 500});
  EXPECT_DOUBLE_EQ(flin_a.apply(-500), 0.0);  // -A maps to 0
  EXPECT_DOUBLE_EQ(flin_a.apply(10000), 1.0);
  const ct::Transform flog(ct::Flog{1000, 4});
  EXPECT_DOUBLE_EQ(flog.apply(1000), 1.0);
  EXPECT_DOUBLE_EQ(flog.apply(0.1), 0.0);  // M decades below T
  EXPECT_DOUBLE_EQ(flog.apply(10), 0.5);
  EXPECT_TRUE(std::isinf(flog.apply(0)) && flog.apply(0) < 0);
  EXPECT_TRUE(std::isnan(flog.apply(-1)));  // outside the domain (0, inf) of flog
  EXPECT_DOUBLE_EQ(ct::ratio(10, 4, 2.7, -100, -300), 2.7 * 110 / 304);
  EXPECT_DOUBLE_EQ(ct::Transform(ct::ArcsinhCofactor{5}).apply(5), std::asinh(1.0));
  EXPECT_DOUBLE_EQ(ct::Transform(ct::Log10{1}).apply(0.5), 0.0);  // floored
  EXPECT_DOUBLE_EQ(ct::Transform(ct::Log10{1}).apply(1000), 3.0);
}

TEST(PublishedValues, FasinhSpecialCaseFromGatesFile) {
  // gates XML (shared/gatingml_ref) uses fasinh(T = sinh(1), M = log10(e), A = 0), which is
  // exactly asinh(x) / 1: sinh(M ln 10) = sinh(1) = T.
  const ct::Transform t(ct::Fasinh{1.1752011936438014, 0.43429448190325176, 0.0});
  for (double x : {-1000.0, -3.0, -0.5, 0.0, 0.25, 1.0, 7.0, 1e5})
    EXPECT_NEAR(t.apply(x), std::asinh(x), 1e-13 * std::max(1.0, std::abs(std::asinh(x))));
}
