// ColumnCache's compensation outputs, computed when first read (the outputs the strategy's gates
// read together, any other with the rest), against the whole compensation of the sample
// (transform::Compensation::compensate, every output at once): the same values to the bit, in
// whichever order they are asked for; errors of the matrix and its detectors when the
// compensation is first named, as before.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "gating/columns.hpp"
#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::gating::ColumnCache;
using cytopipe::gating::Dimension;

Dimension compensated(const std::string& channel, const std::string& compensation = "FCS") {
  Dimension d;
  d.channel = channel;
  d.compensation = compensation;
  return d;
}

std::size_t mismatches(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) return a.size() + b.size();
  std::size_t n = 0;
  for (std::size_t e = 0; e < a.size(); ++e) n += std::bit_cast<std::uint64_t>(a[e]) != std::bit_cast<std::uint64_t>(b[e]);
  return n;
}

TEST(ColumnCache, CompensationOutputsComputedWhenReadEqualTheWholeCompensation) {
  CYTOPIPE_SHARED_OR_SKIP(xml, "gatingml_ref/gatingMLData/Gating-MLFiles/gates5.xml");
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/9399_1_3_NKR.fcs");
  const auto strategy = cytopipe::gating::parse_gatingml(cytopipe::test::read_text_file(xml), xml.string());
  cytopipe::fcs::ReadOptions options;
  options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
  const auto sample = cytopipe::fcs::read_fcs(fcs, options);
  ASSERT_TRUE(sample.spillover);
  const auto& outputs = sample.spillover->fluorochromes;
  ASSERT_EQ(outputs.size(), 5u);  // the gates read four of them; Pacific Blue-A is not gated
  const cytopipe::transform::Compensation whole_matrix(*sample.spillover, "FCS");
  const auto whole = whole_matrix.compensate(sample);

  // A gated output first (the gated ones computed), then every output; an ungated one first.
  for (const std::string first : {"PE-A", "Pacific Blue-A"}) {
    SCOPED_TRACE("first " + first);
    ColumnCache cache(strategy, sample);
    const auto early = cache.get(compensated(first));
    for (std::size_t o = 0; o < outputs.size(); ++o)
      EXPECT_EQ(mismatches(cache.get(compensated(outputs[o])), whole.column(o)), 0u) << outputs[o];
    // The first column is still valid (and unchanged) after the others were computed.
    const auto at = static_cast<std::size_t>(std::find(outputs.begin(), outputs.end(), first) - outputs.begin());
    EXPECT_EQ(mismatches(early, whole.column(at)), 0u);
    // A channel outside the matrix through the compensation: its values as they are.
    EXPECT_EQ(mismatches(cache.get(compensated("FSC-A")), sample.values("FSC-A")), 0u);
  }
}

TEST(ColumnCache, MatrixErrorsRaisedWhenTheCompensationIsFirstNamed) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/9399_1_3_NKR.fcs");
  const auto sample = cytopipe::fcs::read_fcs(fcs);
  cytopipe::gating::GatingStrategy strategy;
  cytopipe::gating::SpectrumMatrix missing;
  missing.spectrum.detectors = {"PE-A", "NOPE-A"};
  missing.spectrum.fluorochromes = {"PE-A", "NOPE-A"};
  missing.spectrum.values = {1, 0.1, 0.2, 1};
  strategy.add_matrix("M", missing);
  cytopipe::gating::SpectrumMatrix singular;
  singular.spectrum.detectors = {"PE-A", "APC-A"};
  singular.spectrum.fluorochromes = {"PE-A", "APC-A"};
  singular.spectrum.values = {1, 1, 1, 1};
  strategy.add_matrix("S", singular);
  for (const std::string channel : {"PE-A", "FSC-A"}) {  // an output, and a channel outside the matrix
    ColumnCache cache(strategy, sample);
    try {
      (void)cache.get(compensated(channel, "M"));
      ADD_FAILURE() << "a detector the file lacks was accepted";
    } catch (const cytopipe::Error& e) {
      EXPECT_NE(std::string(e.what()).find("NOPE-A"), std::string::npos) << e.what();
    }
    try {
      (void)cache.get(compensated(channel, "S"));
      ADD_FAILURE() << "a singular matrix was accepted";
    } catch (const cytopipe::Error& e) {
      EXPECT_NE(std::string(e.what()).find("singular"), std::string::npos) << e.what();
    }
  }
}

// Caches on one thread naming matrices that differ in one value, in a name or only in a zero's
// sign, one after the other: each gives the values of its own matrix solved afresh (a thread
// reuses the matrix it solved last only when it is the same).
TEST(ColumnCache, EachMatrixSolvedAsItsOwnWhenCachesFollowEachOther) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/9399_1_3_NKR.fcs");
  const auto sample = cytopipe::fcs::read_fcs(fcs);
  auto matrix = [](double off, double zero) {
    cytopipe::gating::SpectrumMatrix m;
    m.spectrum.detectors = {"PE-A", "APC-A", "FSC-A"};
    m.spectrum.fluorochromes = m.spectrum.detectors;
    m.spectrum.values = {1, off, zero, 0.05, 1, 0.01, 0.002, 0.03, 1};
    return m;
  };
  const std::vector<std::pair<std::string, cytopipe::gating::SpectrumMatrix>> matrices{
      {"A", matrix(0.2, 0.0)}, {"A", matrix(0.2, -0.0)}, {"B", matrix(0.2, 0.0)}, {"A", matrix(0.25, 0.0)},
      {"A", matrix(0.2, 0.0)}};
  for (int round = 0; round < 2; ++round)
    for (const auto& [name, m] : matrices) {
      cytopipe::gating::GatingStrategy strategy;
      strategy.add_matrix(name, m);
      ColumnCache cache(strategy, sample);
      const auto whole = cytopipe::transform::Compensation(m.spectrum, name).compensate(sample);
      for (std::size_t o = 0; o < 3; ++o)
        EXPECT_EQ(mismatches(cache.get(compensated(m.spectrum.fluorochromes[o], name)), whole.column(o)), 0u)
            << name << " output " << o;
    }
}

}  // namespace
