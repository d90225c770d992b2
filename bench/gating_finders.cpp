// Gate finders on 1,000,000 events against reading the same events from an FCS 3.1 file
// (issue 15: each finder in less time than reading the file).
//   bench_gating_finders                                   every finder and the read, all cores
//   bench_gating_finders --benchmark_filter=Valley         one finder
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/gating/finder.hpp"
#include "cytopipe/gating/gating_set.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cytopipe;
constexpr std::size_t kEvents = 1'000'000;

// Debris, doublets, cells on FSC-A x SSC-A x FSC-H; a viability dye (dead bright); a bimodal
// marker on a log-like scale; beads in one corner. 9 channels as a typical panel file.
fcs::Sample simulate() {
  const std::vector<std::string> names = {"FSC-A", "FSC-H", "SSC-A", "Viability", "CD3", "CD19", "CD4", "CD8", "CD69"};
  fcs::Sample s;
  s.source = "simulated";
  s.version = "FCS3.1";
  s.events = fcs::EventMatrix(kEvents, names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    fcs::Channel ch;
    ch.index = static_cast<int>(c + 1);
    ch.name = names[c];
    ch.bits = 32;
    ch.range = 262144;
    s.channels.push_back(ch);
  }
  std::mt19937_64 rng(42);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t e = 0; e < kEvents; ++e) {
    const bool debris = u(rng) < 0.15, doublet = u(rng) < 0.08, dead = u(rng) < 0.2;
    const double fsc = debris ? 15000 + 8000 * n01(rng) : 90000 + 20000 * n01(rng);
    s.events.column(0)[e] = fsc * (doublet ? 1.8 : 1.0);
    s.events.column(1)[e] = fsc * (0.85 + 0.03 * n01(rng));
    s.events.column(2)[e] = debris ? 8000 + 4000 * n01(rng) : 50000 + 15000 * n01(rng);
    s.events.column(3)[e] = dead ? 9 + 0.5 * n01(rng) : 4 + 0.5 * n01(rng);  // log scale
    for (std::size_t c = 4; c < names.size(); ++c) s.events.column(c)[e] = u(rng) < 0.6 ? 8.5 + 0.6 * n01(rng) : 3 + 0.6 * n01(rng);
  }
  return s;
}

const fcs::Sample& sample() {
  static const fcs::Sample s = simulate();
  return s;
}

const fs::path& fcs_file() {
  static const fs::path file = [] {
    const fs::path p = fs::temp_directory_path() / "cytopipe_bench_finders_1M.fcs";
    fcs::write_fcs(p, sample());
    return p;
  }();
  return file;
}

std::span<const double> column(const std::string& name) { return sample().values(name); }

void run_finder(benchmark::State& state, gating::FinderMethod method, std::vector<std::string> channels) {
  gating::FinderSpec spec;
  spec.method = method;
  std::vector<std::span<const double>> values;
  for (const auto& c : channels) {
    gating::Dimension d;
    d.channel = c;
    spec.dimensions.push_back(d);
    values.push_back(column(c));
  }
  if (method == gating::FinderMethod::ControlPercentile) spec.percentile = 99.5;
  double fraction = 0;
  for (auto _ : state) {
    auto found = gating::find_gate(spec, values, "bench");
    fraction = found.report.cut.value_or(found.report.centre_x);
    benchmark::DoNotOptimize(fraction);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

void BM_ReadFcs(benchmark::State& state) {
  const auto& file = fcs_file();
  for (auto _ : state) {
    auto s = fcs::read_fcs(file);
    benchmark::DoNotOptimize(s.events.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

void BM_Cells(benchmark::State& s) { run_finder(s, gating::FinderMethod::Cells, {"FSC-A", "SSC-A"}); }
void BM_Singlets(benchmark::State& s) { run_finder(s, gating::FinderMethod::Singlets, {"FSC-A", "FSC-H"}); }
void BM_Valley(benchmark::State& s) { run_finder(s, gating::FinderMethod::Valley, {"Viability"}); }
void BM_Tail(benchmark::State& s) { run_finder(s, gating::FinderMethod::Tail, {"CD3"}); }
void BM_Quantile(benchmark::State& s) { run_finder(s, gating::FinderMethod::Quantile, {"CD3"}); }
void BM_Ellipse(benchmark::State& s) { run_finder(s, gating::FinderMethod::Ellipse, {"FSC-A", "SSC-A"}); }
void BM_ControlPercentile(benchmark::State& s) { run_finder(s, gating::FinderMethod::ControlPercentile, {"CD3"}); }

// On a shared machine the other processes' load inflates single runs: with
// --benchmark_repetitions, `min` is the least disturbed run of each (report it beside the median).
double fastest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
#define FINDER_BENCH(fn, name) BENCHMARK(fn)->Name(name)->Unit(benchmark::kMillisecond)->UseRealTime()->ComputeStatistics("min", fastest)

FINDER_BENCH(BM_ReadFcs, "ReadFcs/1M_x_9");
FINDER_BENCH(BM_Cells, "Finder/cells");
FINDER_BENCH(BM_Singlets, "Finder/singlets");
FINDER_BENCH(BM_Valley, "Finder/valley");
FINDER_BENCH(BM_Tail, "Finder/tail");
FINDER_BENCH(BM_Quantile, "Finder/quantile");
FINDER_BENCH(BM_Ellipse, "Finder/ellipse");
FINDER_BENCH(BM_ControlPercentile, "Finder/control_percentile");

}  // namespace

BENCHMARK_MAIN();
