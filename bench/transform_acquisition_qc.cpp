// Acquisition QC on a 1,000,000-event file against the time to read that file, in the same run.
// The file (written once to a temporary folder): 13 float32 channels as a FACSDiva tube has them
// (4 scatter, 8 fluorescence, Time with $TIMESTEP 0.01), 800 events/s with a 5 s clog in the
// middle. Benchmarks (wall time, medians over the repetitions):
//   read            fcs::read_fcs of the file (every channel decoded)
//   qc_rate         check_acquisition, flow rate only
//   qc_4_channels   rate + drift of FSC-A, SSC-A and two fluorescence channels
//   qc_12_channels  rate + drift of every channel but Time
//   remove          remove_flagged (copies the kept events of 13 channels)
// Run: cmake -DCYTOPIPE_BENCH=ON ... && ./build/bench_transform_acquisition_qc
//        --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/transform/acquisition_qc.hpp"

namespace {

namespace ct = cytopipe::transform;
constexpr std::size_t kEvents = 1'000'000;
const char* kNames[] = {"FSC-A", "FSC-H", "SSC-A", "SSC-H", "FITC-A", "PE-A", "PerCP-Cy5-5-A",
                        "PE-Cy7-A", "APC-A", "APC-Cy7-A", "BV421-A", "BV510-A", "Time"};

const std::filesystem::path& file() {
  static const auto path = [] {
    const auto dir = std::filesystem::temp_directory_path() / "cytopipe_bench_acquisition_qc";
    std::filesystem::create_directories(dir);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(std::filesystem::temp_directory_path() / "cytopipe_bench_acquisition_qc", ignored);
    });
    cytopipe::fcs::Sample s;
    s.source = "bench";
    s.version = "FCS3.1";
    for (std::size_t c = 0; c < 13; ++c) {
      cytopipe::fcs::Channel ch;
      ch.index = static_cast<int>(c + 1);
      ch.name = kNames[c];
      ch.bits = 32;
      ch.range = 262144;
      s.channels.push_back(ch);
    }
    s.keywords.set("$TIMESTEP", "0.01");
    s.events = cytopipe::fcs::EventMatrix(kEvents, 13);
    std::mt19937_64 random(11);
    std::normal_distribution<double> normal;
    std::exponential_distribution<double> gap(800.0);
    double t = 0;
    for (std::size_t i = 0; i < kEvents; ++i) {
      for (std::size_t c = 0; c < 12; ++c)
        s.events.column(c)[i] = static_cast<float>((c < 4 ? 60000 : 2000) * std::exp(0.4 * normal(random)));
      t += gap(random) * (t > 600 && t < 605 ? 50 : 1);  // a clog: 2 % of the rate for 5 s
      s.events.column(12)[i] = static_cast<float>(t / 0.01);
    }
    const auto p = dir / "qc_1M.fcs";
    cytopipe::fcs::write_fcs(p, s);
    return p;
  }();
  return path;
}

const cytopipe::fcs::Sample& sample() {
  static const auto s = cytopipe::fcs::read_fcs(file());
  return s;
}

void read(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(cytopipe::fcs::read_fcs(file()));
}

void qc(benchmark::State& state, std::size_t channels) {
  ct::QcOptions options;
  const std::vector<std::string> four = {"FSC-A", "SSC-A", "PE-A", "APC-A"};
  if (channels == 4) options.channels = four;
  else
    for (std::size_t c = 0; c < channels; ++c) options.channels.push_back(kNames[c]);
  ct::AcquisitionQc result;
  for (auto _ : state) benchmark::DoNotOptimize(result = ct::check_acquisition(sample(), options));
  state.counters["flagged_pct"] = 100 * result.flagged_fraction();
}

void remove(benchmark::State& state) {
  ct::QcOptions options;
  for (auto _ : state) {
    state.PauseTiming();
    cytopipe::fcs::Sample copy;
    copy.channels = sample().channels;
    copy.keywords = sample().keywords;
    copy.events = sample().events.clone();
    auto result = ct::check_acquisition(copy, options);
    state.ResumeTiming();
    ct::remove_flagged(copy, result);
    benchmark::DoNotOptimize(copy.events.data());
  }
}

BENCHMARK(read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(qc, qc_rate, 0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(qc, qc_4_channels, 4)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(qc, qc_12_channels, 12)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(remove)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
