// Channel transforms and compensation applied to whole samples (the CLI's --transform and
// --compensate), including bad requests.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/transform/sample_ops.hpp"
#include "support/shared_data.hpp"

namespace ct = cytopipe::transform;
namespace fcs = cytopipe::fcs;

namespace {

fcs::Sample two_channels() {
  fcs::Sample s;
  s.source = "two.fcs";
  for (int i = 0; i < 2; ++i) {
    fcs::Channel c;
    c.index = i + 1;
    c.name = i == 0 ? "FSC-A" : "FITC-A";
    s.channels.push_back(c);
  }
  s.events = fcs::EventMatrix(200, 2);
  for (std::size_t e = 0; e < 200; ++e) {
    s.events.column(0)[e] = static_cast<double>(e);
    s.events.column(1)[e] = static_cast<double>(e) * 50 - 1000;  // -1000 .. 8950
  }
  return s;
}

}  // namespace

TEST(SampleOps, ExplicitTransformChangesOnlyItsChannel) {
  fcs::Sample s = two_channels();
  const auto applied = ct::apply_channel_transform(
      s, ct::ChannelTransform::parse("FITC-A=logicle(T=262144,W=0.5,M=4.5,A=0)"));
  EXPECT_EQ(applied.column, 1u);
  EXPECT_TRUE(applied.note.empty());
  const ct::Transform t(ct::Logicle{262144, 0.5, 4.5, 0});
  for (std::size_t e = 0; e < 200; e += 7) {
    EXPECT_NEAR(s.events.column(1)[e], t.apply(static_cast<double>(e) * 50 - 1000), 1e-12);
    EXPECT_EQ(s.events.column(0)[e], static_cast<double>(e));
  }
}

TEST(SampleOps, AutoLogicleResolvesAndReportsParameters) {
  fcs::Sample s = two_channels();
  const auto applied = ct::apply_channel_transform(s, ct::ChannelTransform::parse("FITC-A=logicle(auto)"));
  const auto& p = std::get<ct::Logicle>(applied.transform.params());
  // Negatives -1000, -950, ..., -50 (20 values): type-7 5th percentile = -1000 + 0.95 * 50.
  EXPECT_DOUBLE_EQ(p.T, 8950);
  EXPECT_NEAR(p.W, (4.5 - std::log10(8950 / 952.5)) / 2, 1e-12);
  EXPECT_NE(applied.note.find("20 negative values"), std::string::npos) << applied.note;
  fcs::Sample with_t = two_channels();
  const auto fixed = ct::apply_channel_transform(
      with_t, ct::ChannelTransform::parse("FITC-A=logicle(auto, T=262144, M=5)"));
  EXPECT_EQ(std::get<ct::Logicle>(fixed.transform.params()).T, 262144.0);
  EXPECT_EQ(std::get<ct::Logicle>(fixed.transform.params()).M, 5.0);
  EXPECT_THROW(ct::apply_channel_transform(with_t, ct::ChannelTransform::parse("FITC-A=logicle(auto,W=1)")),
               cytopipe::Error);
}

TEST(SampleOps, BadRequestsAreClearErrors) {
  fcs::Sample s = two_channels();
  EXPECT_THROW(ct::ChannelTransform::parse("logicle(T=1,W=0,M=4,A=0)"), cytopipe::Error);
  EXPECT_THROW(ct::ChannelTransform::parse("FITC-A"), cytopipe::Error);
  try {
    ct::apply_channel_transform(s, ct::ChannelTransform::parse("PE-A=linear"));
    FAIL();
  } catch (const cytopipe::Error& e) {
    EXPECT_EQ(e.context().file, "two.fcs");
    EXPECT_NE(std::string(e.what()).find("FSC-A FITC-A"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ct::apply_channel_transform(s, ct::ChannelTransform::parse("FITC-A=logicle(T=1)")),
               cytopipe::Error);
  try {
    (void)ct::compensation_for(s, "file");
    FAIL();
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no spillover"), std::string::npos);
    EXPECT_EQ(e.context().file, "two.fcs");
  }
}

TEST(SampleOps, CompensateFromFileKeywordOrTableThenTransformCompName) {
  CYTOPIPE_SHARED_OR_SKIP(path, "fcs_corpus/FlowIO_FACSAria.fcs");
  fcs::Sample s = fcs::read_fcs(path);
  ASSERT_TRUE(s.spillover.has_value());
  const ct::Compensation from_file = ct::compensation_for(s, "file");
  // The same matrix written as a FlowJo-style table gives the same compensation.
  const auto table = std::filesystem::temp_directory_path() /
                     ("cytopipe_test_spill_" + std::to_string(std::random_device{}()) + ".csv");
  {
    std::ofstream out(table);
    for (const auto& d : s.spillover->detectors) out << ',' << d;
    out << '\n';
    out.precision(17);
    for (std::size_t r = 0; r < s.spillover->rows(); ++r) {
      out << s.spillover->fluorochromes[r];
      for (std::size_t c = 0; c < s.spillover->cols(); ++c) out << ',' << s.spillover->at(r, c);
      out << '\n';
    }
  }
  const ct::Compensation from_table = ct::compensation_for(s, table.string());
  std::filesystem::remove(table);
  const auto a = from_file.compensate(s), b = from_table.compensate(s);
  for (std::size_t j = 0; j < a.channels(); ++j)
    for (std::size_t e = 0; e < a.events(); e += 31) EXPECT_EQ(a.column(j)[e], b.column(j)[e]);

  from_file.apply_in_place(s, "Comp-");
  const std::string first = from_file.detectors().front();
  // A transform may name the channel with or without the prefix.
  const auto applied = ct::apply_channel_transform(
      s, ct::ChannelTransform::parse(first + "=asinh(cofactor=150)"), "Comp-");
  EXPECT_EQ(s.channels[applied.column].name, "Comp-" + first);
  for (std::size_t e = 0; e < s.event_count(); e += 101)
    EXPECT_NEAR(s.events.column(applied.column)[e], std::asinh(a.column(0)[e] / 150), 1e-12);
}
