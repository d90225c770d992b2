// Compensation against independent computations on synthetic samples: Gaussian elimination written
// here (square), the defining identity compensated x S == raw, and the least-squares normal
// equations (non-square unmixing).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/transform/compensation.hpp"

namespace ct = cytopipe::transform;
namespace fcs = cytopipe::fcs;
using ld = long double;

namespace {

fcs::Sample make_sample(const std::vector<std::string>& names, std::size_t events, unsigned seed) {
  fcs::Sample s;
  s.source = "synthetic.fcs";
  for (std::size_t i = 0; i < names.size(); ++i) {
    fcs::Channel c;
    c.index = static_cast<int>(i + 1);
    c.name = names[i];
    s.channels.push_back(c);
    s.keywords.set("$P" + std::to_string(i + 1) + "N", names[i]);
  }
  s.events = fcs::EventMatrix(events, names.size());
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> value(2000, 3000);
  for (std::size_t c = 0; c < names.size(); ++c)
    for (double& v : s.events.column(c)) v = value(rng);
  return s;
}

fcs::Spillover square(std::vector<std::string> names, std::vector<double> values) {
  fcs::Spillover s;
  s.keyword = "SPILL";
  s.detectors = names;
  s.fluorochromes = std::move(names);
  s.values = std::move(values);
  return s;
}

// x S = y for one event by Gaussian elimination with partial pivoting on S^T x^T = y^T.
std::vector<ld> solve(const fcs::Spillover& S, const std::vector<ld>& y) {
  const std::size_t n = S.rows();
  std::vector<std::vector<ld>> m(n, std::vector<ld>(n + 1));
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < n; ++c) m[r][c] = S.at(c, r);  // transpose
    m[r][n] = y[r];
  }
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t p = k;
    for (std::size_t r = k + 1; r < n; ++r)
      if (std::abs(m[r][k]) > std::abs(m[p][k])) p = r;
    std::swap(m[k], m[p]);
    for (std::size_t r = k + 1; r < n; ++r) {
      const ld f = m[r][k] / m[k][k];
      for (std::size_t c = k; c <= n; ++c) m[r][c] -= f * m[k][c];
    }
  }
  std::vector<ld> x(n);
  for (std::size_t k = n; k-- > 0;) {
    ld sum = m[k][n];
    for (std::size_t c = k + 1; c < n; ++c) sum -= m[k][c] * x[c];
    x[k] = sum / m[k][k];
  }
  return x;
}

}  // namespace

TEST(Compensation, SquareMatchesGaussianEliminationAndReproducesRaw) {
  // Detectors in a different order than the file's channels, plus channels not in the matrix.
  fcs::Sample sample = make_sample({"FSC-A", "PE-A", "Time", "FITC-A", "APC-A"}, 5000, 1);
  const fcs::Spillover S = square({"FITC-A", "PE-A", "APC-A"},
                                  {1.0, 0.21, 0.013,  //
                                   0.04, 1.0, 0.11,   //
                                   0.002, 0.07, 1.0});
  const ct::Compensation comp(S, "MySpill");
  EXPECT_EQ(comp.outputs(), S.detectors);
  EXPECT_GT(comp.condition_number(), 1.0);
  const fcs::EventMatrix out = comp.compensate(sample);
  ASSERT_EQ(out.channels(), 3u);
  ASSERT_EQ(out.events(), 5000u);
  const std::size_t cols[] = {3, 1, 4};  // FITC-A, PE-A, APC-A in the sample
  for (std::size_t e = 0; e < out.events(); ++e) {
    std::vector<ld> raw(3);
    for (std::size_t i = 0; i < 3; ++i) raw[i] = sample.events.column(cols[i])[e];
    const std::vector<ld> x = solve(S, raw);
    for (std::size_t j = 0; j < 3; ++j) {
      ASSERT_NEAR(out.column(j)[e], static_cast<double>(x[j]), 1e-9 * (1 + std::abs(x[j])));
      // compensated x S == raw
      ld back = 0;
      for (std::size_t k = 0; k < 3; ++k) back += static_cast<ld>(out.column(k)[e]) * S.at(k, j);
      ASSERT_NEAR(static_cast<double>(back), static_cast<double>(raw[j]), 1e-9 * (1 + std::abs(raw[j])));
    }
  }
  // In place: detector columns replaced, the others untouched, optional "Comp-" names.
  const fcs::EventMatrix before = sample.events.clone();
  comp.apply_in_place(sample, "Comp-");
  for (std::size_t j = 0; j < 3; ++j)
    for (std::size_t e = 0; e < 5000; e += 97)
      EXPECT_EQ(sample.events.column(cols[j])[e], out.column(j)[e]);
  for (std::size_t other : {0u, 2u})
    for (std::size_t e = 0; e < 5000; e += 97)
      EXPECT_EQ(sample.events.column(other)[e], before.column(other)[e]);
  EXPECT_EQ(sample.channels[3].name, "Comp-FITC-A");
  EXPECT_EQ(sample.keywords.find("$P4N").value(), "Comp-FITC-A");
  EXPECT_EQ(sample.channels[0].name, "FSC-A");
}

TEST(Compensation, NonSquareUnmixingIsLeastSquares) {
  // 3 fluorochromes x 5 detectors (Gating-ML set 3 has such a spectrum matrix).
  fcs::Spillover S;
  S.detectors = {"D1", "D2", "D3", "D4", "D5"};
  S.fluorochromes = {"F1", "F2", "F3"};
  S.values = {1.0, 0.5, 0.1, 0.02, 0.0,  //
              0.1, 0.3, 1.0, 0.4, 0.05,  //
              0.0, 0.02, 0.2, 0.6, 1.0};
  fcs::Sample sample = make_sample({"D1", "D2", "D3", "D4", "D5"}, 2000, 2);
  // Half the events: exact mixtures of known abundances, which unmixing must recover.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> abundance(-100, 5000);
  std::vector<std::array<double, 3>> truth(1000);
  for (std::size_t e = 0; e < 1000; ++e) {
    for (double& a : truth[e]) a = abundance(rng);
    for (std::size_t d = 0; d < 5; ++d) {
      double y = 0;
      for (std::size_t f = 0; f < 3; ++f) y += truth[e][f] * S.at(f, d);
      sample.events.column(d)[e] = y;
    }
  }
  const ct::Compensation comp(S, "MySpectrum");
  EXPECT_EQ(comp.outputs(), S.fluorochromes);
  const fcs::EventMatrix x = comp.compensate(sample);
  for (std::size_t e = 0; e < 1000; ++e)
    for (std::size_t f = 0; f < 3; ++f)
      ASSERT_NEAR(x.column(f)[e], truth[e][f], 1e-9 * (1 + std::abs(truth[e][f])));
  // The other half (noise): the residual y - x S is orthogonal to every row of S.
  for (std::size_t e = 1000; e < 2000; ++e) {
    for (std::size_t f = 0; f < 3; ++f) {
      ld dot = 0, scale = 0;
      for (std::size_t d = 0; d < 5; ++d) {
        ld fitted = 0;
        for (std::size_t k = 0; k < 3; ++k) fitted += static_cast<ld>(x.column(k)[e]) * S.at(k, d);
        dot += (sample.events.column(d)[e] - fitted) * S.at(f, d);
        scale += std::abs(sample.events.column(d)[e] * S.at(f, d));
      }
      ASSERT_LE(std::abs(static_cast<double>(dot)), 1e-12 * static_cast<double>(scale) + 1e-9);
    }
  }
  fcs::Sample copy = make_sample({"D1", "D2", "D3", "D4", "D5"}, 10, 4);
  EXPECT_THROW(comp.apply_in_place(copy), cytopipe::Error);
}

TEST(Compensation, SingularAndIllConditionedMatricesAreErrors) {
  try {
    ct::Compensation(square({"A", "B"}, {1, 0.5, 2, 1}), "Broken");
    FAIL() << "singular matrix accepted";
  } catch (const cytopipe::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Broken"), std::string::npos) << what;
    EXPECT_NE(what.find("condition number"), std::string::npos) << what;
    EXPECT_NE(what.find("singular"), std::string::npos) << what;
  }
  try {
    ct::Compensation(square({"A", "B"}, {1, 1, 1, 1 + 1e-14}), "Nearly");
    FAIL() << "ill-conditioned matrix accepted";
  } catch (const cytopipe::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Nearly"), std::string::npos) << what;
    EXPECT_NE(what.find("condition number "), std::string::npos) << what;
    EXPECT_NE(what.find("e+14 (limit 1e+12)"), std::string::npos) << what;  // ~4 / 1e-14
  }
}

TEST(Compensation, BadMatricesAndMissingChannelsAreClearErrors) {
  EXPECT_THROW(ct::Compensation(square({"A", "A"}, {1, 0, 0, 1})), cytopipe::Error);  // duplicate
  EXPECT_THROW(ct::Compensation(square({"A", "B"}, {1, 0, 0})), cytopipe::Error);     // short
  EXPECT_THROW(ct::Compensation(square({"A", "B"}, {1, NAN, 0, 1})), cytopipe::Error);
  fcs::Spillover tall;
  tall.detectors = {"A", "B"};
  tall.fluorochromes = {"F1", "F2", "F3"};
  tall.values = {1, 0, 0, 1, 1, 1};
  EXPECT_THROW(ct::Compensation(tall, "Tall"), cytopipe::Error);  // underdetermined

  const ct::Compensation comp(square({"FITC-A", "PE-A"}, {1, 0.1, 0.2, 1}), "FCS");
  const fcs::Sample sample = make_sample({"FSC-A", "FITC-A"}, 10, 5);
  try {
    (void)comp.compensate(sample);
    FAIL() << "missing detector accepted";
  } catch (const cytopipe::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("synthetic.fcs"), std::string::npos) << what;
    EXPECT_NE(what.find("'PE-A'"), std::string::npos) << what;
    EXPECT_NE(what.find("FSC-A FITC-A"), std::string::npos) << what;  // what the file has
  }
}

TEST(SpilloverTable, FlowJoLayoutWithTitleAndCornerCell) {
  const std::string text =
      "Compensation matrix exported\n"
      "\tFITC-A\tPE-A\tAPC-A\n"
      "FITC-A\t1\t0.25\t0.01\n"
      "PE-A\t0.03\t1\t0.2\r\n"
      "APC-A\t0\t0.05\t1\n";
  const fcs::Spillover s = ct::parse_spillover_table(text, "comp.tsv");
  EXPECT_EQ(s.detectors, (std::vector<std::string>{"FITC-A", "PE-A", "APC-A"}));
  EXPECT_EQ(s.fluorochromes, s.detectors);
  EXPECT_EQ(s.values, (std::vector<double>{1, 0.25, 0.01, 0.03, 1, 0.2, 0, 0.05, 1}));
}

TEST(SpilloverTable, PlainHeaderAndRowsCsv) {
  const fcs::Spillover s =
      ct::parse_spillover_table("\"FL1-H\",\"FL2-H\"\n1,0.5\n0.125,1\n", "m.csv");
  EXPECT_EQ(s.detectors, (std::vector<std::string>{"FL1-H", "FL2-H"}));
  EXPECT_EQ(s.fluorochromes, s.detectors);
  EXPECT_EQ(s.values, (std::vector<double>{1, 0.5, 0.125, 1}));
  // Named rows without a corner cell, non-square (spectrum) matrix.
  const fcs::Spillover u = ct::parse_spillover_table("D1,D2,D3\nF1,1,0.5,0\nF2,0,0.5,1\n", "u.csv");
  EXPECT_EQ(u.fluorochromes, (std::vector<std::string>{"F1", "F2"}));
  EXPECT_EQ(u.rows(), 2u);
  EXPECT_EQ(u.cols(), 3u);
}

TEST(SpilloverTable, ErrorsNameLineAndCell) {
  try {
    ct::parse_spillover_table("A,B\n1,0.5\n0.1,x\n", "bad.csv");
    FAIL();
  } catch (const cytopipe::Error& e) {
    EXPECT_EQ(e.context().file, "bad.csv");
    EXPECT_EQ(e.context().line, 3);
    EXPECT_EQ(e.context().column, 2);
    EXPECT_NE(std::string(e.what()).find("'x' is not a number"), std::string::npos);
  }
  EXPECT_THROW(ct::parse_spillover_table("A,B\n1,0.5\n0.1\n", "ragged.csv"), cytopipe::Error);
  EXPECT_THROW(ct::parse_spillover_table("A,B,C\n1,0.5,0\n", "nonsquare.csv"), cytopipe::Error);
  EXPECT_THROW(ct::parse_spillover_table("", "empty.csv"), cytopipe::Error);
  EXPECT_THROW(ct::read_spillover_table("/nonexistent/comp.csv"), cytopipe::Error);
}

namespace {

// Compensating run by run (as the pipeline does while a file is decoded, after renaming the
// channels) gives the whole-sample result, bit for bit, whatever the run boundaries.
TEST(Compensation, RunByRunInPlaceEqualsWholeSample) {
  const auto spill = square({"FITC-A", "PE-A", "APC-A"}, {1, 0.12, 0.01, 0.2, 1, 0.05, 0.003, 0.08, 1});
  const ct::Compensation comp(spill, "SPILL");
  fcs::Sample whole = make_sample({"FSC-A", "PE-A", "FITC-A", "APC-A"}, 70001, 9);
  fcs::Sample runs = make_sample({"FSC-A", "PE-A", "FITC-A", "APC-A"}, 70001, 9);
  comp.apply_in_place(whole);
  const auto columns = comp.detector_columns(runs);
  ASSERT_EQ(columns, (std::vector<std::size_t>{2, 1, 3}));
  for (auto& channel : runs.channels) channel.name = "renamed " + channel.name;  // columns stay valid
  std::mt19937_64 rng(3);
  for (std::size_t first = 0; first < runs.event_count();) {
    const std::size_t count = std::min<std::size_t>(runs.event_count() - first, 1 + rng() % 9000);
    comp.apply_in_place(runs, columns, first, count);
    first += count;
  }
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t e = 0; e < whole.event_count(); ++e)
      ASSERT_EQ(runs.events.column(c)[e], whole.events.column(c)[e]) << "channel " << c << " event " << e;
  EXPECT_THROW(comp.apply_in_place(runs, columns, 70000, 2), cytopipe::Error);
  EXPECT_THROW(comp.apply_in_place(runs, std::vector<std::size_t>{2, 1}, 0, 10), cytopipe::Error);
  EXPECT_THROW((void)comp.detector_columns(make_sample({"FSC-A", "PE-A"}, 10, 1)), cytopipe::Error);
}

}  // namespace

// Some outputs only: each column equals, to the bit, that output's column of the whole
// compensation (computed there among four-output groups and a remainder, here in other groups),
// for a square and an unmixing matrix, over a count of events that ends mid-chunk; an output past
// the last is an Error.
TEST(Compensation, SomeOutputsEqualThoseOfAllOutputs) {
  const std::vector<std::string> names{"A", "B", "C", "D", "E", "F"};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> spill(0, 0.3);
  fcs::Spillover six = square(names, std::vector<double>(36));
  for (std::size_t r = 0; r < 6; ++r)
    for (std::size_t c = 0; c < 6; ++c) six.values[r * 6 + c] = r == c ? 1 : spill(rng);
  fcs::Spillover unmix;
  unmix.keyword = "unmixing";
  unmix.detectors = names;
  unmix.fluorochromes = {"P", "Q", "R", "S", "T"};
  for (std::size_t r = 0; r < 5; ++r)
    for (std::size_t c = 0; c < 6; ++c) unmix.values.push_back(r == c ? 1 : spill(rng));
  const fcs::Sample sample = make_sample({"FSC-A", "F", "E", "D", "C", "B", "A"}, 70001, 5);
  for (const fcs::Spillover& matrix : {six, unmix}) {
    SCOPED_TRACE(matrix.keyword);
    const ct::Compensation comp(matrix, matrix.keyword);
    const fcs::EventMatrix all = comp.compensate(sample);
    const std::size_t outputs = matrix.rows();
    std::vector<std::vector<std::size_t>> subsets{{0}, {outputs - 1}, {1, 2, 3, 4}, {outputs - 1, 0, 2}, {3, 3}, {}};
    for (std::size_t j = 0; j < outputs; ++j) subsets.push_back({j});
    for (const auto& subset : subsets) {
      const fcs::EventMatrix some = comp.compensate(sample, subset);
      ASSERT_EQ(some.channels(), subset.size());
      ASSERT_EQ(some.events(), sample.event_count());
      for (std::size_t j = 0; j < subset.size(); ++j) {
        std::size_t mismatches = 0;
        for (std::size_t e = 0; e < sample.event_count(); ++e)
          mismatches += std::bit_cast<std::uint64_t>(some.column(j)[e]) !=
                        std::bit_cast<std::uint64_t>(all.column(subset[j])[e]);
        EXPECT_EQ(mismatches, 0u) << "output " << subset[j] << " computed as output " << j << " of " << subset.size();
      }
    }
    EXPECT_THROW((void)comp.compensate(sample, std::vector<std::size_t>{outputs}), cytopipe::Error);
  }
}
