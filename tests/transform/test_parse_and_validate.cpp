// Transform text form, parameter constraints of Gating-ML 2.0, bad input, auto logicle.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/transform/flowjo_biex.hpp"
#include "cytopipe/transform/transform.hpp"
#include "support/shared_data.hpp"

namespace ct = cytopipe::transform;

namespace {

std::string error_of(const std::string& spec) {
  try {
    (void)ct::Transform::parse(spec);
  } catch (const cytopipe::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TransformText, RoundTripsExactly) {
  const std::vector<ct::Transform> all = {
      ct::Transform(),
      ct::Transform(ct::Flin{10000, 500}),
      ct::Transform(ct::Flog{262144, 4.1}),
      ct::Transform(ct::Fasinh{1.1752011936438014, 0.43429448190325176, 0}),
      ct::Transform(ct::Logicle{262144, 1.0 / 3, 4.5, 0.1}),
      ct::Transform(ct::Hyperlog{250000, 0.1, 4, 0}),
      ct::Transform(ct::Log10{0.7}),
      ct::Transform(ct::ArcsinhCofactor{150}),
      ct::Transform(ct::FlowJoBiex{262144.000029, -7.943282, 4.41854, 1}),
  };
  for (const ct::Transform& t : all) {
    const ct::Transform back = ct::Transform::parse(t.to_string());
    EXPECT_TRUE(back == t) << t.to_string();
    EXPECT_EQ(back.to_string(), t.to_string());
    EXPECT_EQ(back.name(), t.name());
  }
  EXPECT_EQ(ct::Transform::parse("logicle(T=262144,W=0.5,M=4.5,A=0)").to_string(),
            "logicle(T=262144,W=0.5,M=4.5,A=0)");
  // Spaces, other key order and case are accepted.
  EXPECT_TRUE(ct::Transform::parse(" logicle( w=0.5, t=262144 ,A=0,M=4.5 ) ") ==
              ct::Transform(ct::Logicle{262144, 0.5, 4.5, 0}));
  EXPECT_EQ(ct::Transform::parse("linear").name(), "linear");
  EXPECT_EQ(ct::Transform::parse("asinh(cofactor=5)").apply(5), std::asinh(1.0));
}

TEST(TransformText, BadSpecificationsAreClearErrors) {
  EXPECT_NE(error_of("logicle(T=262144,W=0.5,M=4.5)").find("missing parameter 'A'"),
            std::string::npos);
  EXPECT_NE(error_of("logicle(T=262144,W=0.5,M=4.5,A=0,Q=1)").find("unknown parameter 'Q'"),
            std::string::npos);
  EXPECT_NE(error_of("logicle(T=abc,W=0.5,M=4.5,A=0)").find("'T' is not a number"),
            std::string::npos);
  EXPECT_NE(error_of("logicle(T=1,T=2,W=0.5,M=4.5,A=0)").find("given twice"), std::string::npos);
  EXPECT_NE(error_of("logicle(T=1").find("missing ')'"), std::string::npos);
  EXPECT_NE(error_of("loglog(T=1)").find("unknown transform 'loglog'"), std::string::npos);
  // The spec text is the error's location.
  EXPECT_EQ(error_of("flin(T=1)").rfind("flin(T=1): ", 0), 0u) << error_of("flin(T=1)");
}

TEST(TransformText, GatingMlConstraintsAreEnforced) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"logicle(T=0,W=0.5,M=4.5,A=0)", "T must be > 0"},
      {"logicle(T=1000,W=0.5,M=0,A=0)", "M must be > 0"},
      {"logicle(T=1000,W=-0.1,M=4.5,A=0)", "W must be >= 0"},
      {"logicle(T=1000,W=2.5,M=4.5,A=0)", "W must be <= M/2"},
      {"logicle(T=1000,W=0.5,M=4.5,A=-0.6)", "A must be >= -W"},
      {"logicle(T=1000,W=1,M=4,A=2.5)", "A must be <= M - 2W"},
      {"hyperlog(T=1000,W=0,M=4,A=0)", "W must be > 0"},
      {"flin(T=1000,A=-1)", "A must be >= 0"},
      {"flin(T=1000,A=2000)", "A must be <= T"},
      {"flog(T=-5,M=4)", "T must be > 0"},
      {"fasinh(T=1000,M=4,A=5)", "A must be <= M"},
      {"log10(floor=0)", "floor must be"},
      {"asinh(cofactor=-5)", "cofactor must be"},
      {"biex(maxRange=262144,width=-0.5,pos=4.5,neg=0)", "width must be <= -1"},
      {"logicle(T=inf,W=0.5,M=4.5,A=0)", "finite"},
  };
  for (const auto& [spec, message] : bad)
    EXPECT_NE(error_of(spec).find(message), std::string::npos) << spec << " -> " << error_of(spec);
  // Boundary cases the specification allows.
  EXPECT_NO_THROW(ct::Transform(ct::Logicle{1000, 2, 4, 0}));      // W = M/2
  EXPECT_NO_THROW(ct::Transform(ct::Logicle{1000, 0.5, 4, -0.5})); // A = -W
  EXPECT_NO_THROW(ct::Transform(ct::Logicle{1000, 1, 4, 2}));      // A = M - 2W
  EXPECT_NO_THROW(ct::Transform(ct::Flin{1000, 1000}));            // A = T
}

TEST(TransformBulk, LengthMismatchIsAnErrorAndAliasingWorks) {
  const ct::Transform t(ct::Logicle{262144, 0.5, 4.5, 0});
  std::vector<double> in = {-100, 0, 100, 1e5};
  std::vector<double> short_out(3);
  EXPECT_THROW(t.apply(in, short_out), cytopipe::Error);
  std::vector<double> expected;
  for (double x : in) expected.push_back(t.apply(x));
  t.apply(in, in);  // in place
  for (std::size_t i = 0; i < in.size(); ++i) EXPECT_NEAR(in[i], expected[i], 1e-12);
  std::vector<double> a = {1, 2}, b = {3, 4}, r(3);
  EXPECT_THROW(ct::ratio(a, b, 1, 0, 0, r), cytopipe::Error);
}

TEST(AutoLogicle, FifthPercentileOfNegativesRule) {
  // Negatives -1 .. -100 and positives up to 10000: the type-7 5th percentile of the negatives
  // is between the 5th and 6th smallest, -96 + 0.95 = -95.05 (worked by hand).
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(-i);
  for (int i = 1; i <= 10000; ++i) v.push_back(i);
  v.push_back(NAN);
  const ct::LogicleEstimate e = ct::estimate_logicle(v, 0, 4.5, 0);
  EXPECT_EQ(e.negatives, 100u);
  EXPECT_NEAR(e.negative_percentile, -95.05, 1e-12);
  EXPECT_DOUBLE_EQ(e.params.T, 10000);
  EXPECT_NEAR(e.params.W, (4.5 - std::log10(10000 / 95.05)) / 2, 1e-12);
  EXPECT_NO_THROW(ct::Transform{e.params});
  // No negatives: W = 0; explicit T is kept.
  const std::vector<double> positive = {1, 10, 100};
  EXPECT_EQ(ct::estimate_logicle(positive, 262144).params.W, 0.0);
  EXPECT_EQ(ct::estimate_logicle(positive, 262144).params.T, 262144.0);
  // Very wide negatives: W clamps to M/2.
  const std::vector<double> wide = {-1e6, -1e6, 10};
  EXPECT_EQ(ct::estimate_logicle(wide, 262144, 4.5).params.W, 2.25);
  const std::vector<double> nothing = {NAN};
  EXPECT_THROW(ct::estimate_logicle(nothing), cytopipe::Error);
  const std::vector<double> all_negative = {-5, -1};
  EXPECT_THROW(ct::estimate_logicle(all_negative), cytopipe::Error);  // no positive top
}

TEST(FlowJoBiex, MatchesFlowJoLookupTableWithinAChannel) {
  // shared/gatingml_ref/flowjo/FlowKit_flowjo_xforms: a 4096-row table FlowJo made for its biex
  // with width -7.943282, neg 1, pos 4.41854, maxRange 262144.000029; column 2 is the data value,
  // column 1 its channel (0..4095). We evaluate biex as the continuous logicle it is built on;
  // FlowJo additionally snaps the zero point to a whole channel, so the two agree to within one
  // channel of 4096 (2.4e-4 of the scale) everywhere, not exactly.
  CYTOPIPE_SHARED_OR_SKIP(path, "gatingml_ref/flowjo/FlowKit_flowjo_xforms/"
                                "tr_biex_l256_w-7.943282_n1.000000_m4.418540_r262144.000029.csv");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> channel, x;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string a, b;
    std::getline(row, a, ',');
    std::getline(row, b, ',');
    channel.push_back(std::stod(a));
    x.push_back(std::stod(b));
  }
  ASSERT_EQ(x.size(), 4096u);
  const ct::Transform t(ct::FlowJoBiex{262144.000029, -7.943282, 4.41854, 1});
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::abs(4096 * t.apply(x[i]) - channel[i]));
  std::printf("  biex vs FlowJo table: worst difference %.3f channel of 4096\n", worst);
  EXPECT_LT(worst, 1.0);
  // The zero point: data value 0 sits at channel 1096 in FlowJo's table.
  EXPECT_NEAR(4096 * t.apply(0), 1096, 0.1);
}

TEST(FlowJoBiexTable, ReproducesFlowJosExportedTableTo1e6OfTheScale) {
  // FlowJo's own biex table (width -7.943282, neg 1, pos 4.41854, maxRange 262144.000029): row i
  // holds the data value at channel i of 4096. FlowJo's table math (zero snapped to a whole
  // channel) puts each of those values back at channel i: |scale(x_i) - i/4096| <= 1e-6, and the
  // table values themselves agree to FlowJo's 6 printed significant digits (within one unit of
  // the last digit).
  CYTOPIPE_SHARED_OR_SKIP(path, "gatingml_ref/flowjo/FlowKit_flowjo_xforms/"
                                "tr_biex_l256_w-7.943282_n1.000000_m4.418540_r262144.000029.csv");
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<double> channel, x;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string a, b;
    std::getline(row, a, ',');
    std::getline(row, b, ',');
    channel.push_back(std::stod(a));
    x.push_back(std::stod(b));
  }
  ASSERT_EQ(x.size(), 4096u);
  const ct::FlowJoBiexTable t(262144.000029, -7.943282, 4.41854, 1, 4096);
  EXPECT_EQ(t.zero_channel(), 1096u);
  double worst_scale = 0, worst_digits = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    worst_scale = std::max(worst_scale, std::abs(t.scale(x[i]) - channel[i] / 4096));
    if (x[i] != 0) {
      const double unit = std::pow(10.0, std::floor(std::log10(std::abs(x[i]))) - 5);
      worst_digits = std::max(worst_digits, std::abs(t.values()[i] - x[i]) / unit);
    } else {
      EXPECT_EQ(t.values()[i], 0.0);
    }
  }
  std::printf("  FlowJo biex table: worst |scale - i/4096| %.3g, worst value difference %.3f units of the 6th digit\n",
              worst_scale, worst_digits);
  EXPECT_LE(worst_scale, 1e-6);
  EXPECT_LT(worst_digits, 1.0);
}
