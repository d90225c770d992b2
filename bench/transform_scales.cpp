// Scales on 16,000,000 values: the bulk (table, parallel) path against the exact scalar solver.
//   ./bench_transform_scales --benchmark_filter=Bulk
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "cytopipe/transform/transform.hpp"

namespace ct = cytopipe::transform;

namespace {

constexpr std::size_t kValues = 16'000'000;

// Compensated-looking data: mostly positive over ~5 decades, a tenth slightly negative.
const std::vector<double>& values() {
  static const std::vector<double> v = [] {
    std::vector<double> out(kValues);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> decade(0, 5.4);
    std::normal_distribution<double> noise(0, 150);
    for (double& x : out) x = (rng() % 10 == 0) ? noise(rng) : std::pow(10.0, decade(rng));
    return out;
  }();
  return v;
}

void run_bulk(benchmark::State& state, const ct::Transform& t) {
  const auto& in = values();
  std::vector<double> out(in.size());
  for (auto _ : state) {
    t.apply(in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.counters["max_rel_error"] = t.measure_fast_error(20000, 1e-6);
}

void run_exact(benchmark::State& state, const ct::Transform& t) {
  const auto& in = values();
  const std::size_t n = 1'000'000;  // the exact solver is slow; a million is enough to time it
  std::vector<double> out(n);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) out[i] = t.apply(in[i]);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}

void BM_LogicleBulk(benchmark::State& s) { run_bulk(s, ct::Transform(ct::Logicle{262144, 0.5, 4.5, 0})); }
void BM_HyperlogBulk(benchmark::State& s) { run_bulk(s, ct::Transform(ct::Hyperlog{262144, 0.5, 4.5, 0})); }
void BM_FasinhBulk(benchmark::State& s) { run_bulk(s, ct::Transform(ct::Fasinh{262144, 4.5, 0})); }
void BM_LogicleExactScalar(benchmark::State& s) {
  run_exact(s, ct::Transform(ct::Logicle{262144, 0.5, 4.5, 0}));
}

}  // namespace

// Wall-clock rates (all cores TBB gets) ...
BENCHMARK(BM_LogicleBulk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HyperlogBulk)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FasinhBulk)->Unit(benchmark::kMillisecond)->UseRealTime();
// ... and per CPU-second of the whole process: values per core-second, which stays meaningful
// on a machine shared with other jobs (2 cores give at most twice this).
BENCHMARK(BM_LogicleBulk)->Name("BM_LogicleBulk/per_cpu_second")->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_HyperlogBulk)->Name("BM_HyperlogBulk/per_cpu_second")->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_LogicleExactScalar)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
