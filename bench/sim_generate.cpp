// Simulation throughput: events per second for one tube, and FCS 3.1 / FCS 2.0 encoding.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/sim/calibur.hpp"
#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace {

using namespace cytopipe::sim;

// Run from the repository root, or set CYTOPIPE_DESIGN to the design file.
Design design_with(std::size_t events) {
  const char* path = std::getenv("CYTOPIPE_DESIGN");
  Design d = load_design(path ? path : "sample_fcs/design.yaml");
  scale_design(d, events, 1);
  return d;
}

Tube coculture_tube(const Design& d) {
  for (const auto& t : plan_tubes(d))
    if (t.experiment == "coculture" && t.role == "sample") return t;
  return plan_tubes(d).front();
}

void BM_SimulateTube(benchmark::State& state) {
  const Design d = design_with(static_cast<std::size_t>(state.range(0)));
  const Tube t = coculture_tube(d);
  for (auto _ : state) benchmark::DoNotOptimize(simulate_tube(d, t));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SimulateTube)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_EncodeFcs31(benchmark::State& state) {
  const Design d = design_with(static_cast<std::size_t>(state.range(0)));
  const auto s = simulate_tube(d, coculture_tube(d));
  for (auto _ : state) benchmark::DoNotOptimize(cytopipe::fcs::to_fcs_bytes(s.sample));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeFcs31)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_EncodeFacsCalibur(benchmark::State& state) {
  const Design d = design_with(static_cast<std::size_t>(state.range(0)));
  const Tube t = coculture_tube(d);
  const auto s = simulate_tube(d, t);
  for (auto _ : state) benchmark::DoNotOptimize(to_facscalibur_bytes(s, d, t));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodeFacsCalibur)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
