// `cytopipe plot dose|density`: figures from a readout table or an FCS file.
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/gating_sheet.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "cytopipe/transform/sample_ops.hpp"
#include "cytopipe/plot/density.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/render.hpp"
#include "cytopipe/plot/scale.hpp"
#include "cytopipe/plot/table.hpp"
#include "cytopipe/stats/analysis.hpp"
#include "cytopipe/stats/table.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::cli {
namespace {

struct DoseOptions {
  std::string table, value, by, output;
  std::string facet, stars, series;
  std::string stats_file, readout;  // marks from stats.csv: its comparisons against the control
  std::string title, x_title, y_title;
  std::string summary = "bar";
  std::string error = "sd";
  bool independent_y = false;
  std::optional<double> y_min, y_max;
  double dpi = 300;
};

void add_optional(CLI::App* app, const std::string& name, std::optional<double>& target, const std::string& help) {
  app->add_option_function<double>(name, [&target](double v) { target = v; }, help);
}

// The marks of stats.csv (as `cytopipe run` or `cytopipe stats` writes it): in each panel (the
// stratum named by the panel's facet, "all" without one), each group's first comparison against
// the panel's first group (the control) gives its mark, as in the pipeline's own figures.
void mark_from_stats(plot::DoseFigure& figure, const std::string& file, const std::string& readout) {
  std::vector<stats::ResultRow> rows;
  std::string readouts;
  for (auto& row : stats::read_rows(stats::read_csv(file))) {
    if (readouts.find("'" + row.readout + "'") == std::string::npos)
      readouts += (readouts.empty() ? "'" : ", '") + row.readout + "'";
    if (row.readout == readout) rows.push_back(std::move(row));
  }
  if (rows.empty())
    throw Error("no rows for read-out '" + readout + "' (read-outs there: " + readouts +
                    "); name it with --readout",
                {file, "readout", 0, 0});
  for (auto& panel : figure.panels) {
    if (panel.groups.empty()) continue;
    const std::string stratum = panel.title.empty() ? "all" : panel.title;
    plot::mark_groups(panel, stats::marks_against_control(rows, stratum, panel.groups.front()));
  }
}

int run_dose(const DoseOptions& o) {
  plot::format_for(o.output);  // reject a bad extension before reading anything
  const plot::CsvTable table = plot::read_csv(o.table);
  plot::DoseColumns columns;
  columns.value = o.value;
  columns.group = o.by;
  if (!o.facet.empty()) columns.facet = o.facet;
  if (!o.series.empty()) columns.series = o.series;
  if (!o.stars.empty()) columns.stars = o.stars;
  plot::DoseFigure spec = plot::dose_figure_from_table(table, columns);
  if (!o.stats_file.empty()) mark_from_stats(spec, o.stats_file, o.readout.empty() ? o.value : o.readout);
  if (spec.missing_values > 0)
    std::cerr << "cytopipe: notice: " << spec.missing_values << " row(s) without a value in column '"
              << o.value << "' left out\n";
  spec.title = o.title;
  if (!o.x_title.empty()) spec.x_title = o.x_title;
  if (!o.y_title.empty()) spec.y_title = o.y_title;
  spec.summary = o.summary == "mean-sd" ? plot::DoseSummary::MeanSd : plot::DoseSummary::MeanBar;
  spec.error_sem = o.error == "sem";
  spec.shared_y = !o.independent_y;
  spec.y_min = o.y_min;
  spec.y_max = o.y_max;
  plot::RenderOptions render;
  render.png_dpi = o.dpi;
  plot::save(plot::dose_figure(spec), o.output, render);
  std::cout << "wrote " << o.output << '\n';
  return 0;
}

struct DensityOptions {
  std::string file, x, y, output, title;
  std::string x_scale = "linear", y_scale = "linear";
  int bins = 128;
  std::size_t dataset = 0;
  std::optional<double> x_min, x_max, y_min, y_max;
  double dpi = 300;
  bool compensate_on = false;  // --compensate given
  std::string compensate;      // "" or "file": the file's spillover; else a spillover table
};

// "FL2-A (BCMA)": the detector and, when the file names one, the marker.
std::string axis_title(const fcs::Sample& sample, std::size_t channel) {
  const fcs::Channel& c = sample.channels[channel];
  return c.marker.empty() || c.marker == c.name ? c.name : c.name + " (" + c.marker + ")";
}

int run_density(const DensityOptions& o) {
  plot::format_for(o.output);
  const transform::Transform x_scale = transform::Transform::parse(o.x_scale);
  const transform::Transform y_scale = transform::Transform::parse(o.y_scale);
  fcs::ReadOptions read;
  read.dataset = o.dataset;
  fcs::Sample sample = fcs::read_fcs(o.file, read);
  // Thresholds are drawn on compensated values: the plot shows what the gates will see.
  if (o.compensate_on) transform::compensation_for(sample, o.compensate).apply_in_place(sample);
  const std::size_t xi = sample.channel_index(o.x), yi = sample.channel_index(o.y);
  std::vector<double> x(sample.event_count()), y(sample.event_count());
  x_scale.apply(sample.events.column(xi), x);
  y_scale.apply(sample.events.column(yi), y);

  plot::DensityFigure spec;
  spec.title = o.title.empty() ? std::filesystem::path(o.file).filename().string() : o.title;
  spec.x_title = axis_title(sample, xi);
  spec.y_title = axis_title(sample, yi);
  spec.x = x;
  spec.y = y;
  spec.bins = o.bins;
  spec.x_min = o.x_min;
  spec.x_max = o.x_max;
  spec.y_min = o.y_min;
  spec.y_max = o.y_max;
  // Transformed axes are labelled in the original units (decades) over the range plotted.
  const bool x_linear = x_scale.name() == "linear", y_linear = y_scale.name() == "linear";
  if (!x_linear) {
    const auto [lo, hi] = plot::density_range(spec, true);
    spec.x_ticks = plot::decade_ticks([&](double v) { return x_scale.apply(v); }, lo, hi, 0.06, true);
  }
  if (!y_linear) {
    const auto [lo, hi] = plot::density_range(spec, false);
    spec.y_ticks = plot::decade_ticks([&](double v) { return y_scale.apply(v); }, lo, hi, 0.06, true);
  }
  plot::RenderOptions render;
  render.png_dpi = o.dpi;
  plot::save(plot::density_figure(spec), o.output, render);
  std::cout << "wrote " << o.output << " (" << sample.event_count() << " events)\n";
  return 0;
}

struct GatesOptions {
  std::string file, strategy, config, output, title;
  std::vector<std::string> scales;  // CHANNEL=SPEC display scales
  bool compensate = false;
  int columns = 3;
  double dpi = 300;
};

int run_gates(const GatesOptions& o) {
  plot::format_for(o.output);
  pipeline::GatingSheetOptions options;
  options.title = o.title;
  options.columns = o.columns;
  // CHANNEL=SPEC: the scale unscaled gate dimensions on that channel are drawn on.
  std::map<std::string, transform::Transform> scales;
  for (const auto& item : o.scales) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("--scale expects CHANNEL=SPEC (e.g. BCMA=logicle(T=262144,W=0.5,M=4.5,A=0)), not '" + item + "'",
                  {"", "--scale", 0, 0});
    scales.insert_or_assign(item.substr(0, eq), transform::Transform::parse(item.substr(eq + 1)));
  }
  if (!scales.empty())
    options.display_scale = [&scales](std::string_view channel) -> const transform::Transform* {
      auto it = scales.find(std::string(channel));
      return it == scales.end() ? nullptr : &it->second;
    };
  pipeline::GatingSheet sheet;
  if (!o.config.empty()) {
    // As `cytopipe run` reads the file: panel names, compensation, strategy and display scales.
    sheet = pipeline::gating_sheet_for_file(pipeline::load_config(o.config), o.file, options);
  } else {
    const auto strategy = gating::load_strategy(o.strategy);
    fcs::ReadOptions read;
    const bool xml = o.strategy.ends_with(".xml") || o.strategy.ends_with(".XML");
    read.values = xml ? fcs::ValueRule::FlowCoreWithGain : fcs::ValueRule::FlowCore;
    fcs::Sample sample = fcs::read_fcs(o.file, read);
    if (o.compensate) transform::compensation_for(sample, "file").apply_in_place(sample);
    // Finder gates placed on this file, and drawn as placed.
    const auto placed = gating::place_gates(strategy, sample);
    sheet = pipeline::gating_sheet(placed.strategy, sample, placed.results, options);
  }
  plot::RenderOptions render;
  render.png_dpi = o.dpi;
  plot::save(sheet.figure, o.output, render);
  std::cout << "wrote " << o.output << " (" << sheet.panels.size() << " panels)\n";
  for (const auto& s : sheet.skipped) std::cout << "  not drawn: " << s << '\n';
  return 0;
}

const RegisterCommand registration{{
    "plot",
    "Draw figures: dose-response panels from a readout table, densities from an FCS file",
    [](CLI::App& app) -> std::function<int()> {
      app.require_subcommand(1);
      auto dose = std::make_shared<DoseOptions>();
      CLI::App* d = app.add_subcommand("dose", "Dose-response figure (points, mean bar or mean +/- SD, stars) from a CSV table");
      d->add_option("table", dose->table, "CSV table, one row per replicate")->required()->check(CLI::ExistingFile);
      d->add_option("--value", dose->value, "column with the numeric read-out")->required();
      d->add_option("--by", dose->by, "column with the dose group (x axis); the first dose is the control")->required();
      d->add_option("--facet", dose->facet, "column splitting the data into side-by-side panels (e.g. cell line)");
      d->add_option("--series", dose->series, "column splitting each panel into coloured series with a legend");
      auto* stars = d->add_option("--stars", dose->stars, "column with the significance label vs control (ns, *, **, ***)");
      d->add_option("--stats", dose->stats_file,
                    "stats.csv (from run or stats): marks each group by its comparison with the control")
          ->check(CLI::ExistingFile)
          ->excludes(stars);
      d->add_option("--readout", dose->readout, "the read-out's name in --stats (default: the --value column)");
      d->add_option("-o,--output", dose->output, "output figure: .svg, .pdf or .png")->required();
      d->add_option("--title", dose->title, "figure title");
      d->add_option("--x-title", dose->x_title, "x-axis title (default: the --by column)");
      d->add_option("--y-title", dose->y_title, "y-axis title (default: the --value column)");
      d->add_option("--summary", dose->summary, "bar: mean bar + SD; mean-sd: mean line + SD")
          ->check(CLI::IsMember({"bar", "mean-sd"}));
      d->add_option("--error", dose->error, "whiskers: sd (mean +/- SD) or sem (mean +/- SEM)")
          ->check(CLI::IsMember({"sd", "sem"}));
      d->add_flag("--independent-y", dose->independent_y, "give each panel its own y range");
      add_optional(d, "--y-min", dose->y_min, "fixed y-axis minimum");
      add_optional(d, "--y-max", dose->y_max, "fixed y-axis maximum");
      d->add_option("--dpi", dose->dpi, "PNG resolution")->check(CLI::Range(10.0, 2400.0));

      auto density = std::make_shared<DensityOptions>();
      CLI::App* n = app.add_subcommand("density", "Pseudocolour density of two channels of an FCS file");
      n->add_option("file", density->file, "FCS file")->required()->check(CLI::ExistingFile);
      n->add_option("--x", density->x, "x channel ($PnN)")->required();
      n->add_option("--y", density->y, "y channel ($PnN)")->required();
      n->add_option("-o,--output", density->output, "output figure: .svg, .pdf or .png")->required();
      n->add_option("--x-scale", density->x_scale, "x scale, e.g. linear, \"logicle(T=262144,W=0.5,M=4.5,A=0)\", \"asinh(cofactor=150)\"");
      n->add_option("--y-scale", density->y_scale, "y scale (as --x-scale)");
      n->add_option("--bins", density->bins, "cells per axis")->check(CLI::Range(4, 1024));
      n->add_option("--dataset", density->dataset, "0-based data set in a $NEXTDATA chain");
      n->add_option("--title", density->title, "plot title (default: the file name)");
      add_optional(n, "--x-min", density->x_min, "x range minimum (in scaled units)");
      add_optional(n, "--x-max", density->x_max, "x range maximum (in scaled units)");
      add_optional(n, "--y-min", density->y_min, "y range minimum (in scaled units)");
      add_optional(n, "--y-max", density->y_max, "y range maximum (in scaled units)");
      n->add_option("--dpi", density->dpi, "PNG resolution")->check(CLI::Range(10.0, 2400.0));
      n->add_option("--compensate", density->compensate,
                    "compensate first: 'file' (the file's $SPILLOVER/SPILL) or a spillover table CSV")
          ->expected(0, 1);

      auto gates = std::make_shared<GatesOptions>();
      CLI::App* g = app.add_subcommand("gates", "Gating sheet of one FCS file: a panel per gate level, gates drawn, % of parent");
      g->add_option("file", gates->file, "FCS file")->required()->check(CLI::ExistingFile);
      auto* by_strategy = g->add_option("--strategy", gates->strategy, "gating strategy (cytopipe YAML or Gating-ML 2.0)")
                              ->check(CLI::ExistingFile);
      auto* by_config = g->add_option("--config", gates->config,
                                      "pipeline config: read and gate the file as `cytopipe run` does (panel, "
                                      "compensation, strategy; transforms: as display scales)")
                            ->check(CLI::ExistingFile)
                            ->excludes(by_strategy);
      by_strategy->excludes(by_config);
      g->add_option("-o,--output", gates->output, "output figure: .svg, .pdf or .png")->required();
      g->add_flag("--compensate", gates->compensate, "with --strategy: apply the file's $SPILLOVER before gating");
      g->add_option("--scale", gates->scales,
                    "CHANNEL=SPEC: draw gates on CHANNEL that have no scale of their own on this scale (repeatable)");
      g->add_option("--columns", gates->columns, "panels per row")->check(CLI::Range(1, 12));
      g->add_option("--title", gates->title, "sheet title (default: the file name)");
      g->add_option("--dpi", gates->dpi, "PNG resolution")->check(CLI::Range(10.0, 2400.0));

      return [d, dose, n, density, g, gates]() -> int {
        if (d->parsed()) return run_dose(*dose);
        if (n->parsed()) {
          density->compensate_on = n->get_option("--compensate")->count() > 0;
          return run_density(*density);
        }
        if (g->parsed()) {
          if (gates->strategy.empty() && gates->config.empty())
            throw Error("plot gates needs --strategy FILE or --config PIPELINE.yaml", {"", "--strategy", 0, 0});
          return run_gates(*gates);
        }
        return 2;
      };
    }}};

}  // namespace
}  // namespace cytopipe::cli
