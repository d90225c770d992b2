// Compensating 1,000,000 events x 16 channels, against reading the same bytes from memory.
//   ./bench_transform_compensation
#include <benchmark/benchmark.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <random>
#include <string>
#include <vector>

#include "cytopipe/transform/compensation.hpp"

namespace ct = cytopipe::transform;
namespace fcs = cytopipe::fcs;

namespace {

constexpr std::size_t kEvents = 1'000'000;
constexpr std::size_t kChannels = 16;

const fcs::Sample& sample() {
  static const fcs::Sample s = [] {
    fcs::Sample out;
    out.source = "bench";
    for (std::size_t c = 0; c < kChannels; ++c) {
      fcs::Channel ch;
      ch.index = static_cast<int>(c + 1);
      ch.name = "D" + std::to_string(c + 1);
      out.channels.push_back(ch);
    }
    out.events = fcs::EventMatrix(kEvents, kChannels);
    std::mt19937_64 rng(11);
    std::normal_distribution<double> v(1000, 2000);
    for (std::size_t c = 0; c < kChannels; ++c)
      for (double& x : out.events.column(c)) x = v(rng);
    return out;
  }();
  return s;
}

fcs::Spillover spillover() {
  fcs::Spillover s;
  for (std::size_t c = 0; c < kChannels; ++c) s.detectors.push_back("D" + std::to_string(c + 1));
  s.fluorochromes = s.detectors;
  for (std::size_t r = 0; r < kChannels; ++r)
    for (std::size_t c = 0; c < kChannels; ++c)
      s.values.push_back(r == c ? 1.0 : 0.02 / (1.0 + static_cast<double>((r + 3 * c) % 7)));
  return s;
}

void BM_Compensate(benchmark::State& state) {
  const ct::Compensation comp(spillover(), "bench");
  const fcs::Sample& s = sample();
  for (auto _ : state) {
    fcs::EventMatrix out = comp.compensate(s);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kEvents * kChannels * 8));
}

// In place (what `cytopipe export --compensate` does): no event-sized allocation.
void BM_CompensateInPlace(benchmark::State& state) {
  const ct::Compensation comp(spillover(), "bench");
  fcs::Sample s;
  s.channels = sample().channels;
  s.events = sample().events.clone();
  for (auto _ : state) {
    comp.apply_in_place(s);
    benchmark::DoNotOptimize(s.events.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kEvents * kChannels * 8));
}

// Baseline: read every byte of the same event matrix once (parallel sum).
void BM_ReadSameBytes(benchmark::State& state) {
  const fcs::Sample& s = sample();
  const double* data = s.events.data();
  const std::size_t n = kEvents * kChannels;
  for (auto _ : state) {
    const double sum = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, n, 1 << 16), 0.0,
        [&](const tbb::blocked_range<std::size_t>& r, double acc) {
          for (std::size_t i = r.begin(); i != r.end(); ++i) acc += data[i];
          return acc;
        },
        [](double a, double b) { return a + b; });
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n * 8));
}

}  // namespace

BENCHMARK(BM_Compensate)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CompensateInPlace)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadSameBytes)->Unit(benchmark::kMillisecond)->UseRealTime();
// Per CPU-second of the process (meaningful on a shared machine).
BENCHMARK(BM_CompensateInPlace)->Name("BM_CompensateInPlace/per_cpu_second")->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_ReadSameBytes)->Name("BM_ReadSameBytes/per_cpu_second")->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK_MAIN();
