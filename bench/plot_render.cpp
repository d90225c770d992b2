// Cost of the plot stage's two heavier jobs: binning events into a density figure, and drawing a
// Fig. 3-sized dose figure to PNG.
#include <benchmark/benchmark.h>

#include <random>

#include "cytopipe/plot/density.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/render.hpp"

namespace {

using namespace cytopipe::plot;

void BM_DensityLayout(benchmark::State& state) {
  const auto events = static_cast<std::size_t>(state.range(0));
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> x(events), y(events);
  for (std::size_t i = 0; i < events; ++i) {
    x[i] = 50000 + 9000 * normal(rng);
    y[i] = 30000 + 7000 * normal(rng);
  }
  DensityFigure spec;
  spec.x = x;
  spec.y = y;
  spec.x_title = "FSC-A";
  spec.y_title = "SSC-A";
  for (auto _ : state) benchmark::DoNotOptimize(density_figure(spec));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * events));
}
BENCHMARK(BM_DensityLayout)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_DoseFigurePng(benchmark::State& state) {
  DoseFigure spec;
  spec.y_title = "BCMA+ (%)";
  for (const char* line : {"MM1S", "U266"}) {
    DosePanel panel;
    panel.title = line;
    panel.groups = {"0", "25", "50", "100"};
    panel.series.push_back({"", {{41, 43, 40}, {52, 55, 51}, {61, 63, 60}, {74, 72, 76}}, {}});
    panel.marks = {{1, std::nullopt, 0, "*"}, {2, std::nullopt, 0, "**"}, {3, std::nullopt, 0, "***"}};
    spec.panels.push_back(panel);
  }
  for (auto _ : state) benchmark::DoNotOptimize(render(dose_figure(spec), Format::Png));
}
BENCHMARK(BM_DoseFigurePng)->Unit(benchmark::kMillisecond);

}  // namespace
BENCHMARK_MAIN();
