#pragma once
// Dose-response figure (the visual form of the study's Fig. 3): dose groups on the x axis,
// replicate points with a mean bar or mean +/- SD, significance marks vs the control, one facet
// per panel (e.g. MM1S | U266) side by side, an optional legend when a panel holds several series.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

// Mean and sample SD (n-1; 0 for one value) of the finite values, as drawn.
struct MeanSd {
  double mean = 0;
  double sd = 0;
  std::size_t n = 0;
};

// One series in one panel (e.g. "CAR-T" vs "NT"): values[g] are the replicates of group g.
struct DoseSeries {
  std::string name;                         // legend entry; empty for a single unnamed series
  std::vector<std::vector<double>> values;  // one vector per group, same order as DosePanel::groups
  // Optional, one per group: the bar/mean line and SD whiskers drawn from these (e.g. the stats
  // stage's group summaries) instead of being recomputed from `values`; empty = from `values`.
  std::vector<MeanSd> summaries;
};

// A significance mark. Without `versus` it is a label above `group` (a star vs the control);
// with `versus` it is a bracket between the two groups with the label on top.
struct SignificanceMark {
  std::size_t group = 0;
  std::optional<std::size_t> versus;
  std::size_t series = 0;
  std::string label;                        // "ns", "*", "**", "***", or a p value text
};

struct DosePanel {
  std::string title;                        // facet title, e.g. "MM1S"
  std::vector<std::string> groups;          // x-axis labels in order, e.g. "0", "25", "50", "100"
  std::vector<DoseSeries> series;
  std::vector<SignificanceMark> marks;
};

enum class DoseSummary {
  MeanBar,  // a filled bar from the baseline to the mean, with an SD whisker (GraphPad style)
  MeanSd,   // a short horizontal mean line with mean +/- SD whiskers, no bar
};

struct DoseFigure {
  std::string title;                        // figure title above the panels (may be empty)
  std::string x_title = "Selinexor (nM)";
  std::string y_title;
  std::vector<DosePanel> panels;            // facets, drawn left to right
  DoseSummary summary = DoseSummary::MeanBar;
  bool error_sem = false;                   // whiskers: mean +/- SEM (SD / sqrt(n)) instead of SD
  bool shared_y = true;                     // one y range for every panel
  std::optional<double> y_min, y_max;       // fixed y range; default from the data (and 0)
  double panel_width = 0;                   // points per panel plot area; 0 = by group count
  double panel_height = 170;                // points, plot area
  double font_size = 9;
  std::size_t missing_values = 0;           // source rows without a value (empty/NA), left out
};

// Lays the figure out. Throws Error for no panels, a panel without groups or series, a series
// whose group count differs from the panel's, a group with no finite value in every series,
// NaN/infinite values, or a mark naming a group or series that does not exist.
Figure dose_figure(const DoseFigure& spec);

// Adds a mark above each group of `panel` that has one in `marks` (group level -> label, e.g. from
// stats::marks_against_control), in the panel's group order, for series `series`.
void mark_groups(DosePanel& panel, const std::map<std::string, std::string>& marks, std::size_t series = 0);

// The mean and SD of the finite values (what a bar and its whiskers show).
MeanSd mean_sd(const std::vector<double>& values);

// Deterministic horizontal offsets in [-half_width, +half_width] for n replicate points, so the
// same data always draws the same picture and points of equal value do not hide each other.
std::vector<double> jitter_offsets(std::size_t n, double half_width);

}  // namespace cytopipe::plot
