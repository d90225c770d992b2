// Gating speed: the 10-gate strategy of gating/tcells_example.yaml (scatter polygon -> singlets
// polygon -> live range -> two quadrants -> ranges and booleans, logicle scales) over 1,000,000
// simulated events, against the time to read the same events from an FCS 3.1 file.
//   bench_gating_strategy                     both, all cores
//   bench_gating_strategy --benchmark_filter=PerCore   one thread (events per second per core)
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <tbb/global_control.h>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/gating/gating.hpp"

namespace {

namespace fs = std::filesystem;
constexpr std::size_t kEvents = 1'000'000;

std::string strategy_text() {
  // The same tree as gating/tcells_example.yaml (kept inline so the benchmark runs anywhere).
  const fs::path here = fs::path(__FILE__).parent_path().parent_path() / "gating/tcells_example.yaml";
  std::ifstream in(here);
  if (!in) throw std::runtime_error("cannot read " + here.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Simulated events: a debris cloud, doublets, dead cells and T/B subsets, on a 2^18 scale.
cytopipe::fcs::Sample simulate() {
  using cytopipe::fcs::Channel;
  const std::vector<std::string> names = {"FSC-A", "FSC-H", "SSC-A", "Viability", "CD3", "CD19", "CD4", "CD8", "CD69"};
  cytopipe::fcs::Sample s;
  s.source = "simulated";
  s.version = "FCS3.1";
  s.events = cytopipe::fcs::EventMatrix(kEvents, names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    Channel ch;
    ch.index = static_cast<int>(c + 1);
    ch.name = names[c];
    ch.bits = 32;
    ch.range = 262144;
    s.channels.push_back(ch);
  }
  std::mt19937_64 rng(42);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  auto col = [&](std::size_t c) { return s.events.column(c); };
  for (std::size_t e = 0; e < kEvents; ++e) {
    const bool debris = u(rng) < 0.15, doublet = u(rng) < 0.08, dead = u(rng) < 0.2;
    const double fsc = debris ? 15000 + 8000 * n01(rng) : 90000 + 20000 * n01(rng);
    col(0)[e] = fsc * (doublet ? 1.8 : 1.0);
    col(1)[e] = fsc * (0.85 + 0.03 * n01(rng));
    col(2)[e] = debris ? 8000 + 4000 * n01(rng) : 50000 + 15000 * n01(rng);
    col(3)[e] = dead ? std::exp(9 + 0.5 * n01(rng)) : 50 * n01(rng);
    const double lineage = u(rng);
    const bool t = lineage < 0.6, b = !t && lineage < 0.85;
    auto marker = [&](bool on) { return on ? std::exp(8.5 + 0.6 * n01(rng)) : 80 * n01(rng); };
    col(4)[e] = marker(t);
    col(5)[e] = marker(b);
    const bool cd4 = t && u(rng) < 0.65;
    col(6)[e] = marker(cd4);
    col(7)[e] = marker(t && !cd4);
    col(8)[e] = marker(t && u(rng) < 0.3);
  }
  return s;
}

const cytopipe::fcs::Sample& sample() {
  static const cytopipe::fcs::Sample s = simulate();
  return s;
}

const fs::path& fcs_file() {
  static const fs::path file = [] {
    const fs::path p = fs::temp_directory_path() / "cytopipe_bench_gating_1M.fcs";
    cytopipe::fcs::write_fcs(p, sample());
    return p;
  }();
  return file;
}

const cytopipe::gating::GatingStrategy& strategy() {
  static const auto s = cytopipe::gating::parse_strategy_yaml(strategy_text(), "gating/tcells_example.yaml");
  return s;
}

void report(benchmark::State& state, std::size_t gates) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["gates"] = static_cast<double>(gates);
}

void BM_GateSample(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  std::unique_ptr<tbb::global_control> limit;
  if (threads > 0)
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads);
  const auto& s = sample();
  const auto& st = strategy();
  std::size_t live = 0;
  for (auto _ : state) {
    auto r = cytopipe::gating::gate_sample(st, s);
    live = r.count("live");
    benchmark::DoNotOptimize(live);
  }
  report(state, st.gates().size());
  state.counters["live"] = static_cast<double>(live);
}

void BM_ReadFcs(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  std::unique_ptr<tbb::global_control> limit;
  if (threads > 0)
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, threads);
  const auto& file = fcs_file();
  for (auto _ : state) {
    auto s = cytopipe::fcs::read_fcs(file);
    benchmark::DoNotOptimize(s.events.data());
  }
  report(state, 0);
}

// Arg 1 = one thread (per core); 0 = all cores.
BENCHMARK(BM_ReadFcs)->Name("ReadFcs/PerCore")->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GateSample)->Name("GateSample/PerCore")->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadFcs)->Name("ReadFcs/AllCores")->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GateSample)->Name("GateSample/AllCores")->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
