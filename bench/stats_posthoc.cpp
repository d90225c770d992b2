// Cost of the numerically integrated post-hoc tests (studentized range, one-factor multivariate t).
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "cytopipe/stats/distributions.hpp"
#include "cytopipe/stats/posthoc.hpp"
#include "cytopipe/stats/trend.hpp"

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

// Huge df: the scale integral is still computed (no shortcut to df = infinity).
void BM_PtukeyHugeDf(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ptukey(3.7, static_cast<int>(state.range(0)), 1e6));
}
BENCHMARK(BM_PtukeyHugeDf)->Arg(3)->Arg(6)->Unit(benchmark::kMillisecond);

// Exact Jonckheere-Terpstra at the largest N it is used for (100, no ties) and a small design.
void BM_JonckheereExact(benchmark::State& state) {
  const int k = 4, n = static_cast<int>(state.range(0));
  std::vector<Group> groups;
  for (int g = 0; g < k; ++g) {
    Group group{std::to_string(g), {}};
    for (int i = 0; i < n; ++i) group.values.push_back(g * 0.3 + i * 0.1 + g * 1e-3);
    groups.push_back(std::move(group));
  }
  for (auto _ : state) benchmark::DoNotOptimize(jonckheere_terpstra(groups));
}
BENCHMARK(BM_JonckheereExact)->Arg(3)->Arg(25)->Unit(benchmark::kMillisecond);

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
// (After the first iteration BM_Dunnett's critical value comes from the quantile memo, as it does
// for every stratum after the first with the same design: it measures the p values.)

// A design never seen before on every iteration (df moves by 1e-9): the critical value's root
// search is paid each time, as for the first stratum of a design.
void BM_DunnettQuantileNewDesign(benchmark::State& state) {
  const std::vector<double> lambda(static_cast<std::size_t>(state.range(0)), std::sqrt(0.5));
  double df = 8;
  for (auto _ : state) {
    df += 1e-9;
    benchmark::DoNotOptimize(dunnett_quantile(0.95, lambda, df, true));
  }
}
BENCHMARK(BM_DunnettQuantileNewDesign)->Arg(3)->Arg(5)->Unit(benchmark::kMillisecond);

// One p value: the nested integral itself (equal lambdas: one factor per node).
void BM_DunnettCdf(benchmark::State& state) {
  const std::vector<double> lambda(static_cast<std::size_t>(state.range(0)), std::sqrt(0.5));
  for (auto _ : state) benchmark::DoNotOptimize(dunnett_cdf(2.1, lambda, 8, true));
}
BENCHMARK(BM_DunnettCdf)->Arg(3)->Arg(5)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
