#pragma once
// Tiny FCS batches written in a temporary folder, with counts known by construction, so the
// pipeline's tables can be checked against numbers that do not come from the pipeline.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/fcs/writer.hpp"

namespace cytopipe::pipeline::test {

// A scratch folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("cytopipe_pipeline_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One tube: `debris` events (FSC 1000), `dead` cells (FSC 50000, V 20000), and live cells
// (FSC 50000, V 100) whose marker values are given. Channels FSC-A, SSC-A, V-A, M-A (+ X-A).
struct Tube {
  std::size_t debris = 0;
  std::size_t dead = 0;
  std::vector<double> live_marker;   // one per live cell
  bool with_viability_channel = true;
  std::optional<fcs::Spillover> spillover;
};

inline fcs::Sample make_tube(const Tube& t, const std::string& name) {
  std::vector<std::string> names = {"FSC-A", "SSC-A"};
  if (t.with_viability_channel) names.push_back("V-A");
  names.push_back("M-A");
  const std::size_t n = t.debris + t.dead + t.live_marker.size();
  fcs::Sample s;
  s.source = name;
  s.events = fcs::EventMatrix(n, names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    fcs::Channel ch;
    ch.index = static_cast<int>(c + 1);
    ch.name = names[c];
    ch.bits = 32;
    ch.range = 262144;
    s.channels.push_back(ch);
  }
  auto col = [&](const std::string& channel) { return s.events.column(*s.find_channel(channel)); };
  std::size_t e = 0;
  // Interleave the classes so that no block of events is special.
  for (std::size_t i = 0; i < n; ++i) {
    double fsc = 50000, v = 100, m = 100;
    if (i < t.debris) {
      fsc = 1000;
      v = 100;
    } else if (i < t.debris + t.dead) {
      v = 20000;
      m = 150;
    } else {
      m = t.live_marker[i - t.debris - t.dead];
    }
    col("FSC-A")[e] = fsc;
    col("SSC-A")[e] = 20000;
    if (t.with_viability_channel) col("V-A")[e] = v;
    col("M-A")[e] = m;
    ++e;
  }
  s.spillover = t.spillover;
  s.keywords.set("$CYT", "TinyCyt");
  return s;
}

inline void write_tube(const std::filesystem::path& file, const Tube& t) {
  fcs::write_fcs(file, make_tube(t, file.string()));
}

// cells -> live, with the marker named BCMA by the pipeline's panel.
inline const char* kTinyStrategy = R"(name: tiny
gates:
  - id: cells
    type: range
    dimension: FSC-A
    min: 10000
  - id: live
    parent: cells
    type: range
    dimension: Viability
    max: 1000
  - id: dead
    parent: cells
    type: range
    dimension: Viability
    min: 1000
)";

// Values 1..n: the R type-7 percentile of such a control is 1 + p/100 * (n - 1).
inline std::vector<double> ramp(std::size_t n, double start = 1) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i);
  return v;
}

}  // namespace cytopipe::pipeline::test
