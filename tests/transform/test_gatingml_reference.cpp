// Scales and compensation against the Gating-ML 2.0 compliance suite (shared/gatingml_ref): range
// and rectangle gates whose only work is a transform (and the file's spillover), checked event by
// event against the ISAC truth files. Gate definitions are copied from gates1.xml / gates3.xml
// (ids cited); values are read as the suite prescribes (flowCore rules with $PnG scaling).
// Gating-ML rectangle dimensions are half-open: min <= value < max.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "cytopipe/transform/transform.hpp"
#include "support/shared_data.hpp"

namespace ct = cytopipe::transform;
namespace fcs = cytopipe::fcs;

namespace {

std::vector<char> read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<char> truth;
  std::string line;
  while (std::getline(in, line)) truth.push_back(line == "1");
  return truth;
}

fcs::Sample read_suite_file(const std::filesystem::path& path) {
  fcs::ReadOptions options;
  options.values = fcs::ValueRule::FlowCoreWithGain;
  return fcs::read_fcs(path, options);
}

struct Dimension {
  std::vector<double> values;  // already compensated as the gate says
  ct::Transform scale;
  double min, max;
};

// Events in the rectangle (bulk transform path, as the gating engine uses it) vs the truth file.
std::size_t mismatches(const std::vector<Dimension>& dims, const std::vector<char>& truth) {
  std::vector<std::vector<double>> scaled;
  for (const Dimension& d : dims) {
    scaled.emplace_back(d.values.size());
    d.scale.apply(d.values, scaled.back());
  }
  std::size_t wrong = 0;
  for (std::size_t e = 0; e < truth.size(); ++e) {
    bool inside = true;
    for (std::size_t k = 0; k < dims.size(); ++k)
      inside = inside && dims[k].min <= scaled[k][e] && scaled[k][e] < dims[k].max;
    wrong += inside != static_cast<bool>(truth[e]);
  }
  return wrong;
}

std::vector<double> column(const fcs::Sample& s, const std::string& name) {
  const auto v = s.values(name);
  return {v.begin(), v.end()};
}

std::vector<double> compensated(const fcs::Sample& s, const std::string& name) {
  const ct::Compensation comp(*s.spillover, "FCS");
  const fcs::EventMatrix m = comp.compensate(s);
  for (std::size_t j = 0; j < comp.outputs().size(); ++j)
    if (comp.outputs()[j] == name) return {m.column(j).begin(), m.column(j).end()};
  ADD_FAILURE() << name << " is not a compensation output";
  return {};
}

}  // namespace

TEST(GatingMlReference, Set1ScaleRangesOnFl1H) {
  CYTOPIPE_SHARED_OR_SKIP(data, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  CYTOPIPE_SHARED_OR_SKIP(results, "gatingml_ref/gatingMLData/ExpectedResults/set_1");
  const fcs::Sample s = read_suite_file(data);
  const std::vector<double> fl1 = column(s, "FL1-H");
  struct Case {
    const char* id;
    ct::Transform scale;
    double min, max;
  };
  // gates1.xml: ScaleRange1 .. ScaleRange6 and the transformations they reference.
  const std::vector<Case> cases = {
      {"ScaleRange1", ct::Transform(ct::Fasinh{10000, 4, 1}), 0.37, 0.63},
      {"ScaleRange2", ct::Transform(ct::Hyperlog{10000, 1, 4.5, 0}), 0.37, 0.63},
      {"ScaleRange3", ct::Transform(ct::Flin{10000, 500}), 0.049, 0.055},
      {"ScaleRange4", ct::Transform(ct::Logicle{10000, 0.5, 4.5, 0}), 0.37, 0.63},
      {"ScaleRange5", ct::Transform(ct::Logicle{10000, 1, 4, 0.5}), 0.37, 0.63},
      {"ScaleRange6", ct::Transform(ct::Flog{10000, 5}), 0.37, 0.63},
  };
  for (const Case& c : cases) {
    const auto truth = read_truth(results / (std::string("Results_") + c.id + ".txt"));
    ASSERT_EQ(truth.size(), fl1.size()) << c.id;
    EXPECT_EQ(mismatches({{fl1, c.scale, c.min, c.max}}, truth), 0u) << c.id;
  }
}

TEST(GatingMlReference, Set3LogicleHyperlogRectanglesWithFileSpillover) {
  CYTOPIPE_SHARED_OR_SKIP(data, "gatingml_ref/gatingMLData/FCSFiles/9399_1_3_NKR.fcs");
  CYTOPIPE_SHARED_OR_SKIP(results, "gatingml_ref/gatingMLData/ExpectedResults/set_3");
  const fcs::Sample s = read_suite_file(data);
  ASSERT_TRUE(s.spillover.has_value()) << s.spillover_error;
  // gates3.xml: myLogicle, myHyperlog and Tr_Arcsinh.
  const ct::Transform logicle(ct::Logicle{262144, 1, 5, 0.5});
  const ct::Transform hyperlog(ct::Hyperlog{262144, 1, 5, 0.5});
  const ct::Transform arcsinh(ct::Fasinh{1.1752011936438014, 0.43429448190325176, 0.0});
  const auto pe = column(s, "PE-A"), apc_cy7 = column(s, "APC-Cy7-A");
  const auto pe_c = compensated(s, "PE-A"), apc_cy7_c = compensated(s, "APC-Cy7-A");
  struct Case {
    const char* truth;
    std::vector<Dimension> dims;
  };
  const std::vector<Case> cases = {
      {"myRectangleGate2Logicle", {{pe, logicle, 0.2, 0.8}, {apc_cy7, logicle, 0.3, 0.7}}},
      {"myRectangleGate2bHyperlog", {{pe, hyperlog, 0.2, 0.8}, {apc_cy7, hyperlog, 0.3, 0.7}}},
      {"myRectangleGate3LogicleArcSinH", {{pe, logicle, 0.2, 0.8}, {apc_cy7, arcsinh, 6.2, 9.9}}},
      {"myRectangleGate3bHyperlogArcSinH",
       {{pe, hyperlog, 0.2, 0.8}, {apc_cy7, arcsinh, 6.2, 9.9}}},
      // myRectangleGate4LogicleArcSinHFCSCompensated / ...4bHyperlog... (abbreviated file names)
      {"myRect4LogicleArcSinHFCSComp", {{pe_c, logicle, 0.2, 0.8}, {apc_cy7_c, arcsinh, 6.2, 9.9}}},
      {"myRect4bHyperlogArcSinHFCSComp",
       {{pe_c, hyperlog, 0.2, 0.8}, {apc_cy7_c, arcsinh, 6.2, 9.9}}},
  };
  for (const Case& c : cases) {
    const auto truth = read_truth(results / (std::string("Results_") + c.truth + ".txt"));
    ASSERT_EQ(truth.size(), pe.size()) << c.truth;
    EXPECT_EQ(mismatches(c.dims, truth), 0u) << c.truth;
  }
}

TEST(CorpusCompensation, FileSpilloverMatchesIndependentSolve) {
  // Corpus files with a spillover keyword: compensated x S must give back the raw values, and
  // each event must equal a Gaussian-elimination solve done here (long double, partial pivoting).
  for (const char* name : {"fcs_corpus/FlowIO_FACSAria.fcs", "fcs_corpus/fcsparser_Fortessa.fcs",
                           "gatingml_ref/flowjo/FlowSOM_example/68983.fcs",
                           "gatingml_ref/gatingMLData/FCSFiles/data2.fcs"}) {
    CYTOPIPE_SHARED_OR_SKIP(path, name);
    const fcs::Sample s = fcs::read_fcs(path);
    ASSERT_TRUE(s.spillover.has_value()) << name << ": " << s.spillover_error;
    const fcs::Spillover& S = *s.spillover;
    const ct::Compensation comp(S, "FCS");
    const fcs::EventMatrix out = comp.compensate(s);
    const std::size_t n = S.rows();
    // Bounded so the compiler can see n + 1 does not wrap (else GCC warns about the allocation).
    ASSERT_TRUE(n > 0 && n < 256) << name << ": " << n << " spillover rows";
    std::vector<std::size_t> cols;
    for (const auto& d : S.detectors) cols.push_back(s.channel_index(d));
    const std::size_t events = std::min<std::size_t>(s.event_count(), 2000);
    for (std::size_t e = 0; e < events; ++e) {
      // Solve S^T x = y by elimination.
      std::vector<std::vector<long double>> m(n, std::vector<long double>(n + 1));
      for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t c = 0; c < n; ++c) m[r][c] = S.at(c, r);
        m[r][n] = s.events.column(cols[r])[e];
      }
      for (std::size_t k = 0; k < n; ++k) {
        std::size_t p = k;
        for (std::size_t r = k + 1; r < n; ++r)
          if (std::abs(m[r][k]) > std::abs(m[p][k])) p = r;
        std::swap(m[k], m[p]);
        for (std::size_t r = k + 1; r < n; ++r) {
          const long double f = m[r][k] / m[k][k];
          for (std::size_t c = k; c <= n; ++c) m[r][c] -= f * m[k][c];
        }
      }
      std::vector<long double> x(n);
      for (std::size_t k = n; k-- > 0;) {
        long double sum = m[k][n];
        for (std::size_t c = k + 1; c < n; ++c) sum -= m[k][c] * x[c];
        x[k] = sum / m[k][k];
      }
      for (std::size_t j = 0; j < n; ++j) {
        const double scale = 1 + std::abs(static_cast<double>(x[j]));
        ASSERT_NEAR(out.column(j)[e], static_cast<double>(x[j]), 1e-9 * scale)
            << name << " event " << e << " " << S.detectors[j];
        long double back = 0;
        for (std::size_t k = 0; k < n; ++k) back += out.column(k)[e] * static_cast<long double>(S.at(k, j));
        const double raw = s.events.column(cols[j])[e];
        ASSERT_NEAR(static_cast<double>(back), raw, 1e-9 * (1 + std::abs(raw))) << name;
      }
    }
  }
}

TEST(GatingMlReference, Set3NonSquareSpectrumMatrixUnmixing) {
  // gates3.xml spectrumMatrix "MyNonSquareSpectrum": 2 fluorochromes x 3 detectors, solved by
  // least squares; gates myPolygonGateWithCustomNonSquareSpectrumMatrix (triangle (5,5), (500,5),
  // (500,500)) and ...OnArcSinH (triangle (2,2), (7,2), (7,7) after Tr_Arcsinh on both axes).
  CYTOPIPE_SHARED_OR_SKIP(data, "gatingml_ref/gatingMLData/FCSFiles/9399_1_3_NKR.fcs");
  CYTOPIPE_SHARED_OR_SKIP(results, "gatingml_ref/gatingMLData/ExpectedResults/set_3");
  const fcs::Sample s = read_suite_file(data);
  fcs::Spillover spectrum;
  spectrum.detectors = {"PE-A", "PerCP-Cy5-5-A", "APC-A"};
  spectrum.fluorochromes = {"Deconvoluted-P1", "Deconvoluted-P2"};
  spectrum.values = {0.78, 0.13, 0.22, 0.05, 0.57, 0.89};
  const ct::Compensation unmix(spectrum, "MyNonSquareSpectrum");
  const fcs::EventMatrix m = unmix.compensate(s);
  // Triangle (a,a), (b,a), (b,b): a <= y, x <= b, y <= x (no event lies on an edge here).
  auto count_wrong = [&](const std::vector<char>& truth, double a, double b, const ct::Transform& t) {
    std::size_t wrong = 0;
    for (std::size_t e = 0; e < truth.size(); ++e) {
      const double x = t.apply(m.column(0)[e]), y = t.apply(m.column(1)[e]);
      const bool inside = y >= a && x <= b && y <= x;
      wrong += inside != static_cast<bool>(truth[e]);
    }
    return wrong;
  };
  const auto plain = read_truth(results / "Results_myPolygonWithCustNonSqSpecMat.txt");
  ASSERT_EQ(plain.size(), s.event_count());
  EXPECT_EQ(count_wrong(plain, 5, 500, ct::Transform()), 0u);
  const auto asinh = read_truth(results / "Results_myPolygonWCustNonSqSpecArcSinH.txt");
  EXPECT_EQ(count_wrong(asinh, 2, 7,
                        ct::Transform(ct::Fasinh{1.1752011936438014, 0.43429448190325176, 0.0})),
            0u);
}
