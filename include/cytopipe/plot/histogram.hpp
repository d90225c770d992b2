#pragma once
// Histogram overlay: one channel's distribution for a sample against its control (e.g. BCMA stain
// vs isotype), on a linear or already-transformed axis, with the positivity threshold drawn and
// the % of events above it printed for each series.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"
#include "cytopipe/plot/scale.hpp"

namespace cytopipe::plot {

struct HistogramSeries {
  std::string name;               // legend entry, e.g. "BCMA" or "Isotype"
  std::vector<double> values;     // event values in plotted units (non-finite ones are skipped)
  std::optional<Rgb> colour;      // default: the palette, in order
  bool filled = true;             // a filled tinted area, else an outline only
  // This series' own positivity threshold (a threshold placed per group on matched controls):
  // a dashed line in the series' colour, and "<positive_label> 63.2 %" after its legend name.
  std::optional<double> threshold = std::nullopt;
  // The % positive to print (e.g. the gate's exact % of parent, when `values` is a subsample);
  // default: percent_above(values, threshold).
  std::optional<double> percent_positive = std::nullopt;
};

// A 1-D gate on the histogram's axis (plotted units): its bounds drawn as vertical lines, its
// label (with the % of parent when set) above the span it keeps.
struct HistogramGate {
  std::optional<double> min, max;      // unset = open towards that edge
  std::string label;
  std::optional<double> percent;
};

struct HistogramFigure {
  std::string title;
  std::string x_title;
  std::string y_title;            // default "Count" or "% of max" (see normalise)
  std::vector<HistogramSeries> series;
  int bins = 0;                   // 0 = from the data (freedman_diaconis_bins over every series)
  std::optional<double> x_min, x_max;  // default: the range of all values
  bool normalise = true;          // scale each series to its own mode (=100), as flow software does
  std::optional<double> threshold;     // vertical line; events > threshold count as positive
  std::string positive_label = "+";    // printed as "<name><positive_label> 63.2 %" ("BCMA+ 63.2 %");
                                       // with series thresholds: "<name>: <positive_label> 63.2 %"
  std::vector<HistogramGate> gates;    // 1-D gates (gating sheets)
  std::vector<Tick> x_ticks;      // custom ticks for transformed axes; empty = nice ticks
  double width = 260, height = 170;    // plot area, points
  double font_size = 9;
};

// Lays the histogram out. Throws Error for no series, a series without finite values, bins < 0,
// or a non-finite / empty x range.
Figure histogram_figure(const HistogramFigure& spec);

// Percentage (0-100) of the finite values strictly above the threshold; NaN when there are none.
double percent_above(std::span<const double> values, double threshold);

// Bins over [lo, hi] by the Freedman-Diaconis rule: width 2 IQR n^(-1/3) of the finite values
// in the range (n of them), clamped to 40..200 bins (a few thousand events are not ragged, and a
// bimodal marker, whose IQR spans both modes, still shows each mode's shape); 64 when the IQR is
// 0, 40 for fewer than 4 values.
int freedman_diaconis_bins(std::span<const double> values, double lo, double hi);

// Counts per bin over [lo, hi): bin i covers [lo + i*w, lo + (i+1)*w), hi itself falls in the
// last bin, values outside or non-finite are not counted.
std::vector<double> bin_counts(std::span<const double> values, double lo, double hi, int bins);

}  // namespace cytopipe::plot
