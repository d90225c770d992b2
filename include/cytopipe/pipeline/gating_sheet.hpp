#pragma once
// A gating sheet: how one file was gated, one panel per gate level (the gates sharing a parent
// and dimensions), each a pseudocolour density of the gate's two dimensions or a histogram of
// its one, on the gate's own scale, with the gates drawn and the % of parent beside each.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/plot/figure.hpp"
#include "cytopipe/plot/grid.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::pipeline {

struct GatingSheetOptions {
  std::string title;                   // default: the sample's file name
  std::vector<std::string> notes;      // extra lines under the title
  // The display scale of a dimension the gate reads without a scale of its own (a linear
  // threshold on a fluorescence channel): e.g. the pipeline's transforms: entry for the channel.
  // nullptr, or no function, keeps such dimensions linear. Gate coordinates are mapped with it.
  std::function<const transform::Transform*(std::string_view channel)> display_scale;
  int columns = 3;
  int bins = 128;                      // density cells per axis
  double smoothing = 1.2;              // density smoothing, sigma in cells
  double panel_size = 150;             // plot area of a panel, points
  std::size_t max_events = 100000;     // events drawn per panel (evenly strided; % use them all)
};

// One panel of the sheet, as laid out (for tests and the report's captions).
struct GatingPanel {
  std::string parent;                  // population the panel shows ("" = all events)
  std::vector<std::string> gates;      // gate ids drawn in it
  std::vector<std::string> dimensions; // 1 or 2 dimension labels
};

struct GatingSheet {
  plot::Figure figure;
  std::vector<GatingPanel> panels;
  std::vector<std::string> skipped;    // gates not drawn, with why (boolean, > 2 dimensions)
};

// The sheet before the caller's notes are added and the grid is laid out: its title, its own
// notes (event count; gates not drawn) and the panels. A shard of a sharded run keeps this for
// the merge, which alone knows why a file gets a sheet (docs/sharded-runs.md).
struct GatingSheetLayout {
  plot::GridFigure grid;
  std::vector<GatingPanel> panels;
  std::vector<std::string> skipped;
};
GatingSheetLayout gating_sheet_layout(const gating::GatingStrategy& strategy, const fcs::Sample& sample,
                                      const gating::GatingResults& results, const GatingSheetOptions& options = {});
// The sheet's figure with `notes` (as GatingSheetOptions::notes) after its event count line.
plot::Figure gating_sheet_figure(GatingSheetLayout layout, const std::vector<std::string>& notes);

// Lays out the sheet of `sample` gated by `strategy` (`results` from gate_sample with the same
// strategy and sample): gating_sheet_figure(gating_sheet_layout(...), options.notes). Error when
// no gate can be drawn.
GatingSheet gating_sheet(const gating::GatingStrategy& strategy, const fcs::Sample& sample,
                         const gating::GatingResults& results, const GatingSheetOptions& options = {});

// One file as `cytopipe run` with `config` reads and gates it (panel, compensation, strategy; the
// threshold gates are not placed: they need the controls), its unscaled dimensions shown on the
// config's transforms: scales unless options.display_scale says otherwise.
GatingSheet gating_sheet_for_file(const Config& config, const std::filesystem::path& file,
                                  GatingSheetOptions options = {});

}  // namespace cytopipe::pipeline
