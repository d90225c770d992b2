// Cost of the numerically integrated post-hoc tests (studentized range, one-factor multivariate t).
#include <benchmark/benchmark.h>

#include "cytopipe/stats/distributions.hpp"
#include "cytopipe/stats/posthoc.hpp"

namespace {

using namespace cytopipe::stats;

std::vector<Group> dose_groups(int k, int n) {
  std::vector<Group> groups;
  for (int g = 0; g < k; ++g) {
    Group group{std::to_string(g * 10), {}};
    for (int i = 0; i < n; ++i) group.values.push_back(g * 0.7 + (i % 3) * 0.9 + i * 0.13);
    groups.push_back(std::move(group));
  }
  return groups;
}

void BM_Ptukey(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ptukey(3.7, static_cast<int>(state.range(0)), 12));
}
BENCHMARK(BM_Ptukey)->Arg(3)->Arg(6)->Unit(benchmark::kMillisecond);

void BM_Tukey(benchmark::State& state) {
  const auto groups = dose_groups(static_cast<int>(state.range(0)), 4);
  for (auto _ : state) benchmark::DoNotOptimize(tukey_hsd(groups));
}
BENCHMARK(BM_Tukey)->Arg(3)->Arg(6)->Unit(benchmark::kMillisecond);

void BM_Dunnett(benchmark::State& state) {
  const auto groups = dose_groups(static_cast<int>(state.range(0)), 4);
  for (auto _ : state) benchmark::DoNotOptimize(dunnett(groups));
}
BENCHMARK(BM_Dunnett)->Arg(3)->Arg(6)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
