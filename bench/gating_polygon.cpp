// Polygon gate speed on contour-sized polygons: a lobed contour of N vertices over 1,000,000
// events spread over its bounding box and beyond. Polygons of kBandedPolygonEdges edges or more test only the edges of each event's
// horizontal band; "AllEdges" is the kernel that tests every edge (the only one before
// banding), kept to small N since it is O(events x vertices).
//   bench_gating_polygon                                   all
//   bench_gating_polygon --benchmark_filter=Banded/100000  the issue-20 case (1M x 100k < 1 s)
// A jagged polygon whose edges each span much of its height (a spiky star) still costs about
// events x (edges crossing a band): banding bounds the work by the edges near an event's y.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include <tbb/global_control.h>

#include "cytopipe/gating/gating.hpp"
#include "gating/word_kernels.hpp"

namespace {

constexpr std::size_t kEvents = 1'000'000;

// A smooth, lobed outline (as a density contour is) with a little noise on each vertex.
std::vector<std::array<double, 2>> contour(std::size_t n) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> noise(-1e-4, 1e-4);
  std::vector<std::array<double, 2>> v;
  for (std::size_t i = 0; i < n; ++i) {
    const double a = 2 * M_PI * static_cast<double>(i) / static_cast<double>(n);
    const double r = 0.8 + 0.1 * std::sin(5 * a) + 0.05 * std::sin(17 * a + 1) + noise(rng);
    v.push_back({50000 + 40000 * r * std::cos(a), 50000 + 40000 * r * std::sin(a)});
  }
  return v;
}

const std::vector<double>& column(int which) {
  static const auto columns = [] {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(0, 100000);
    std::array<std::vector<double>, 2> c;
    for (auto& col : c) {
      col.resize(kEvents);
      for (auto& x : col) x = u(rng);
    }
    return c;
  }();
  return columns[static_cast<std::size_t>(which)];
}

// The kernel alone on one thread: all events, one polygon.
void run(benchmark::State& state, std::size_t banded_from) {
  const auto vertices = contour(static_cast<std::size_t>(state.range(0)));
  const auto edges = cytopipe::gating::detail::polygon_edges(vertices, banded_from);
  const cytopipe::gating::Membership all(kEvents, true);
  cytopipe::gating::Membership out(kEvents);
  for (auto _ : state) {
    cytopipe::gating::detail::polygon_words(edges, column(0).data(), column(1).data(), all, out, 0, all.words().size());
    benchmark::DoNotOptimize(out.words().data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["inside"] = static_cast<double>(out.count());
  state.counters["bands"] = edges.band_start.empty() ? 0.0 : static_cast<double>(edges.band_start.size() - 1);
  state.counters["edges_per_band"] =
      edges.band_start.empty() ? 0.0
                               : static_cast<double>(edges.band_edges.size()) / static_cast<double>(edges.band_start.size() - 1);
}

void BM_Banded(benchmark::State& state) { run(state, 0); }
void BM_AllEdges(benchmark::State& state) { run(state, std::size_t(-1)); }

// Through gate_sample (all cores, band building and column preparation included).
void BM_GateSample(benchmark::State& state) {
  using namespace cytopipe::gating;
  cytopipe::fcs::Sample s;
  s.source = "simulated";
  s.version = "FCS3.1";
  s.events = cytopipe::fcs::EventMatrix(kEvents, 2);
  for (int c = 0; c < 2; ++c) {
    cytopipe::fcs::Channel ch;
    ch.index = c + 1;
    ch.name = c == 0 ? "X" : "Y";
    ch.bits = 32;
    ch.range = 100000;
    s.channels.push_back(ch);
    std::copy(column(c).begin(), column(c).end(), s.events.column(static_cast<std::size_t>(c)).begin());
  }
  GatingStrategy st;
  Dimension x, y;
  x.channel = "X";
  y.channel = "Y";
  st.add({"contour", "", PolygonGate{{x, y}, contour(static_cast<std::size_t>(state.range(0)))}, {}});
  std::size_t inside = 0;
  for (auto _ : state) {
    inside = gate_sample(st, s).count("contour");
    benchmark::DoNotOptimize(inside);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  state.counters["inside"] = static_cast<double>(inside);
}

BENCHMARK(BM_Banded)->Name("Banded")->Arg(100)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AllEdges)->Name("AllEdges")->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GateSample)->Name("GateSample")->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
