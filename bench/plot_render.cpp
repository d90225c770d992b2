// Cost of the plot stage's heavier jobs: binning events into a density figure, drawing a Fig. 3-sized
// dose figure to PNG, and a density figure as SVG the report's way (compact: text as text, the
// raster as our PNG) against Cairo's SVG (glyph outlines, libpng).
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

DensityFigure labelled_density(std::vector<double>& x, std::vector<double>& y) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0, 1);
  for (std::size_t i = 0; i < 30000; ++i) {
    x.push_back(50000 + 9000 * normal(rng));
    y.push_back(30000 + 7000 * normal(rng));
  }
  DensityFigure spec;
  spec.x = x;
  spec.y = y;
  spec.title = "singlets (2224)";
  spec.x_title = "FSC-A";
  spec.y_title = "SSC-A";
  spec.bins = 96;
  spec.smoothing = 1.2;
  spec.size = 120;
  spec.gates.push_back({RectangleOutline{40000, 60000, 20000, 40000}, "cells", 61.3, std::nullopt});
  return spec;
}

void BM_DensitySvgCompact(benchmark::State& state) {
  std::vector<double> x, y;
  const Figure figure = density_figure(labelled_density(x, y));
  std::size_t bytes = 0;
  for (auto _ : state) bytes = render_svg_compact(figure).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DensitySvgCompact)->Unit(benchmark::kMillisecond);

void BM_DensitySvgCairo(benchmark::State& state) {
  std::vector<double> x, y;
  const Figure figure = density_figure(labelled_density(x, y));
  std::size_t bytes = 0;
  for (auto _ : state) bytes = render_svg(figure).size();
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_DensitySvgCairo)->Unit(benchmark::kMillisecond);

}  // namespace
BENCHMARK_MAIN();
