// Writing whole designs: byte-identical reruns, values read back by libfcs, the FACSCalibur-style
// FCS 2.0 variant linearised by the reader, and the committed sample_fcs/ folder.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/sim/calibur.hpp"
#include "cytopipe/sim/output.hpp"
#include "sim_test_support.hpp"

namespace cytopipe::sim {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small copy of the committed design: few events, one replicate.
Design small_design() {
  Design d = test::committed_design();
  scale_design(d, 300, 1);
  return d;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("cytopipe_sim_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

TEST(SimOutput, SameDesignGivesByteIdenticalFolders) {
  const Design d = small_design();
  TempDir a("a"), b("b");
  OutputOptions one_thread;
  one_thread.threads = 1;
  OutputOptions two_threads;
  two_threads.threads = 2;
  const auto summary = write_simulation(d, a.path, one_thread);
  write_simulation(d, b.path, two_threads);
  EXPECT_EQ(summary.files, plan_tubes(d).size());
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(a.path)) {
    const auto name = entry.path().filename();
    ASSERT_TRUE(fs::exists(b.path / name)) << name;
    EXPECT_EQ(slurp(entry.path()), slurp(b.path / name)) << name;
    ++compared;
  }
  EXPECT_EQ(compared, summary.files + 2);  // + samples.csv, truth.csv

  Design reseeded = d;
  reseeded.seed += 1;
  TempDir c("c");
  write_simulation(reseeded, c.path, one_thread);
  EXPECT_NE(slurp(a.path / "bcma_MM1S_0nM_r1.fcs"), slurp(c.path / "bcma_MM1S_0nM_r1.fcs"));
}

TEST(SimOutput, ReaderGetsBackExactlyWhatWasSimulated) {
  const Design d = small_design();
  const auto tubes = plan_tubes(d);
  for (const auto& tube : {tubes.front(), tubes.back()}) {
    const auto simulated = simulate_tube(d, tube);
    const auto bytes = fcs::to_fcs_bytes(simulated.sample);
    const auto read = fcs::read_fcs(bytes, tube.file);
    EXPECT_EQ(read.version, "FCS3.1");
    ASSERT_EQ(read.event_count(), simulated.sample.event_count());
    ASSERT_EQ(read.channels.size(), 13u);
    for (std::size_t c = 0; c < 13; ++c) {
      EXPECT_EQ(read.channels[c].name, simulated.sample.channels[c].name);
      EXPECT_EQ(read.channels[c].marker, simulated.sample.channels[c].marker);
      for (std::size_t e = 0; e < read.event_count(); ++e)
        ASSERT_EQ(read.events.column(c)[e], simulated.sample.events.column(c)[e]) << tube.file << " channel " << c;
    }
    ASSERT_TRUE(read.spillover);
    EXPECT_EQ(read.spillover->detectors.size(), kFluorescence);
    for (std::size_t i = 0; i < kFluorescence; ++i)
      for (std::size_t j = 0; j < kFluorescence; ++j)
        EXPECT_DOUBLE_EQ(read.spillover->at(i, j), d.instrument.spillover[i][j]);
    for (const char* k : {"$CYT", "$DATE", "$BTIM", "$ETIM", "$SRC", "TUBE NAME", "$WELLID"})
      EXPECT_EQ(read.keywords.find(k), simulated.sample.keywords.find(k)) << k;
  }
}

TEST(SimOutput, FacsCaliburStyleIsFcs20AndLinearisesBackWithinQuantisation) {
  Design d = small_design();
  d.instrument.style = InstrumentStyle::FacsCalibur;
  const auto tubes = plan_tubes(d);
  const Tube& tube = tubes[0];
  const auto simulated = simulate_tube(d, tube);
  const auto bytes = to_facscalibur_bytes(simulated, d, tube);
  ASSERT_GT(bytes.size(), 58u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), 6), "FCS2.0");

  const auto raw = fcs::read_fcs(bytes, tube.file, {.values = fcs::ValueRule::Raw});
  const auto lin = fcs::read_fcs(bytes, tube.file);
  ASSERT_EQ(lin.event_count(), simulated.sample.event_count());
  EXPECT_EQ(lin.version, "FCS2.0");
  EXPECT_EQ(lin.datatype, fcs::DataType::Integer);
  EXPECT_FALSE(lin.spillover);
  const std::size_t pe = lin.channel_index("PE-A");
  EXPECT_EQ(lin.channels[pe].log_decades, 4);
  EXPECT_TRUE(lin.channels[pe].linearised);
  EXPECT_EQ(lin.channels[pe].marker, "BCMA");

  // Expected: the compensated FACSDiva-style values (inverted independently) times 10^4/262144.
  const auto& sp = *simulated.sample.spillover;
  std::vector<std::vector<double>> spill(kFluorescence, std::vector<double>(kFluorescence));
  for (std::size_t i = 0; i < kFluorescence; ++i)
    for (std::size_t j = 0; j < kFluorescence; ++j) spill[i][j] = sp.at(i, j);
  const auto inv = test::invert(spill);
  const double scale = 1e4 / 262144.0;
  const double half_step = std::log(10.0) * 4.0 / 1024.0 / 2.0;  // half a channel, in ln units
  std::size_t checked = 0;
  for (std::size_t d_index = 0; d_index < kFluorescence; ++d_index) {
    const std::size_t c = lin.channel_index(std::string(kDetectors[d_index]));
    for (std::size_t e = 0; e < lin.event_count(); ++e) {
      double expected = 0;
      for (std::size_t k = 0; k < kFluorescence; ++k)
        expected += simulated.sample.events.column(4 + k)[e] * inv[k][d_index];
      expected *= scale;
      const double stored = raw.events.column(c)[e];
      ASSERT_LE(stored, 1023);
      // flowCore's rule: 10^(channel / range * decades) * (offset 0 -> 1)
      ASSERT_NEAR(lin.events.column(c)[e], std::pow(10.0, stored / 1024.0 * 4.0), 1e-9 * lin.events.column(c)[e]);
      if (expected > 1.5 && expected < 9000) {
        ASSERT_LE(std::fabs(std::log(lin.events.column(c)[e] / expected)), half_step + 1e-9)
            << kDetectors[d_index] << " event " << e;
        ++checked;
      } else if (expected <= 1) {
        ASSERT_EQ(stored, 0);  // at or below the first decade's bottom
      }
    }
  }
  EXPECT_GT(checked, lin.event_count());
  // Scatter is linear 10-bit: channel = value / 262144 * 1024.
  const std::size_t fsc = lin.channel_index("FSC-A");
  EXPECT_FALSE(lin.channels[fsc].linearised);
  for (std::size_t e = 0; e < lin.event_count(); ++e)
    ASSERT_NEAR(lin.events.column(fsc)[e], std::min(std::round(simulated.sample.events.column(0)[e] / 256.0), 1023.0), 1e-9);
}

TEST(SimOutput, UnwritableFolderIsAnErrorNamingIt) {
  const Design d = small_design();
  TempDir t("blocked");
  { std::ofstream(t.path) << "a file where the folder should be"; }
  try {
    write_simulation(d, t.path / "out");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out"), std::string::npos) << e.what();
  }
  fs::remove(t.path);
}

// The committed folder is what the committed design produces, and within the size budget.
TEST(SimCommitted, SampleFolderMatchesTheDesignAndBudget) {
  const fs::path folder = test::repo() / "sample_fcs";
  if (!fs::exists(folder / "samples.csv")) GTEST_SKIP() << "sample_fcs/ not generated";
  std::uintmax_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file()) total += entry.file_size();
  EXPECT_LT(total, 25u * 1000 * 1000);

  const Design d = test::committed_design();
  const auto tubes = plan_tubes(d);
  EXPECT_EQ(slurp(folder / "samples.csv"), samples_csv(tubes));
  std::set<std::string> listed;
  for (const auto& t : tubes) listed.insert(t.file);
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".fcs") {
      EXPECT_TRUE(listed.count(entry.path().filename().string())) << entry.path();
    }
  }
  // Regenerate two files and compare their bytes with the committed ones.
  for (const auto& t : {tubes.front(), tubes[tubes.size() / 2]}) {
    const auto bytes = fcs::to_fcs_bytes(simulate_tube(d, t).sample);
    EXPECT_EQ(slurp(folder / t.file), std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size())) << t.file;
  }
}

}  // namespace
}  // namespace cytopipe::sim
