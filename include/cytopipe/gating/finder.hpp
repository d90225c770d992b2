#pragma once
// Gate finders: gates placed from each file's own events (data-driven gates, as openCyto's
// gating methods or FlowJo's plugins place them). A finder is written in the strategy instead of
// a gate's fixed coordinates (`find:` in the YAML form, gating/README.md); before a sample is
// gated its finders are run, in tree order, on their parent population's events, and each one
// becomes an ordinary gate (range, polygon or ellipsoid) on the same dimensions and scale. What a
// finder saw (peaks, valley, cut, fraction kept, fallback) is kept in a FinderReport.
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cytopipe/gating/gate.hpp"

namespace cytopipe::gating {

enum class FinderMethod {
  Cells,      // main population on FSC-A x SSC-A: contour of the dominant density peak (polygon)
  Singlets,   // FSC-A x FSC-H (or -W): a band around the fitted diagonal (polygon)
  Valley,     // 1-D: lowest kernel density between the two main peaks (range)
  Tail,       // 1-D: the main peak's centre +- a number of robust SDs (range)
  Quantile,   // 1-D: a quantile of the parent population in the same file (range)
  Ellipse,    // n-D: robust mean and covariance of the peak's events (ellipsoid)
  // 1-D: a percentile of the parent population pooled over control files (isotype, FMO, NT); the
  // pipeline gathers the controls' values (its gating.thresholds are placed by this finder).
  ControlPercentile,
};
std::string_view to_string(FinderMethod method);

// Which side of a 1-D cut is the population.
enum class Keep { Above, Below };

// How a single-peak axis is read by the valley finder.
enum class SinglePeak { Negative, Positive };

// A finder as written in the strategy. Values in channel units (negative_below, range,
// near) are converted to the dimension's scale; cuts and outlines are in the scale's units, as
// every gate coordinate of the strategy.
struct FinderSpec {
  FinderMethod method = FinderMethod::Valley;
  std::vector<Dimension> dimensions;  // 1 (valley, tail, quantile), 2 (cells, singlets), >= 1 (ellipse)
  Keep keep = Keep::Above;            // 1-D finders
  // Cells: outline at this fraction of the dominant peak's height; histogram bins per axis;
  // Gaussian smoothing SD in bins; ignored outer quantile of each axis when setting the range.
  double contour = 0.01;
  int bins = 128;
  double smoothing = 2.0;
  // Singlets: half-width of the band in robust SDs of the height/area ratio.
  double width = 5.0;
  // Valley: KDE bandwidth multiplier (of Silverman's rule), the smallest peak counted (fraction
  // of the highest), and the optional search range of the valley (channel units).
  double adjust = 1.0;
  double min_peak = 0.01;
  std::optional<double> range_min, range_max;
  // Valley with one peak: the peak is negative (cut above it) or positive (cut below it); with
  // negative_below set, the peak is negative when its centre is below that level (channel units).
  SinglePeak single_peak = SinglePeak::Negative;
  std::optional<double> negative_below;
  // Valley fallback and tail gate: cut at this many robust SDs from the peak's centre.
  double sds = 4.0;
  // Quantile gate: the quantile (0..1) of the parent's values.
  double quantile = 0.5;
  // Control percentile: the percentile (0..100, type 7) of the pooled control values.
  double percentile = 99;
  // Placement on pooled events (pipeline): the files whose events are pooled are those with the
  // sample's levels of these factors (`pool:`; for control_percentile `match:`), restricted to
  // the files matching `control` (factor -> levels; control_percentile only, where it is required).
  std::vector<std::string> pool;
  std::vector<std::pair<std::string, std::vector<std::string>>> control;
  // Ellipse: around the density peak nearest `near` (channel units; with two dimensions the
  // nearest local maximum of the smoothed 2-D histogram, so a shifted instrument still finds it;
  // the highest peak when unset), out to `distance` robust SDs (Mahalanobis).
  std::optional<std::vector<double>> near;
  double distance = 3.0;
  // Fewer finite events than this in the parent is an Error (nothing reliable to place).
  std::size_t min_events = 50;
  // 1-D finders, for a population not in every file (counting beads): with fewer finite events
  // than this in the parent the population is taken as absent, and the gate placed holds none
  // (a range [v, v): min inclusive, max exclusive), which the report says. 0: off.
  std::size_t absent_below = 0;

  bool operator==(const FinderSpec&) const = default;
};

// What a finder saw and did, for gates_resolved.yaml (and the audit of a run).
struct FinderReport {
  std::string gate;                 // the gate id
  std::string parent;
  FinderMethod method = FinderMethod::Valley;
  std::vector<std::string> dimensions;  // labels
  std::size_t events = 0;           // finite parent events the finder used
  std::size_t ignored = 0;          // parent events with a non-finite value (NaN, inf)
  std::vector<double> peaks;        // peak centres found (scale units), highest first
  std::optional<double> valley;     // valley finder: the valley's position
  std::optional<double> cut;        // 1-D finders: the cut placed
  double centre_x = 0, centre_y = 0;  // 2-D finders: the population's centre
  double slope = 0;                 // singlets: fitted height/area slope ...
  double intercept = 0;             // ... and height at zero area (0: a diagonal through the origin)
  std::string fallback;             // empty, or which stated fallback was applied and why
  std::size_t pooled_files = 0;     // placed on the pooled events of this many files (0: on the file alone)
  double fraction = 0;              // events of the found population / parent events (after gating)
};

// A placed gate and what the finder saw.
struct FoundGate {
  Gate gate;
  FinderReport report;
};

// Runs one finder on the values of its dimensions (one span per dimension, equal lengths, on the
// dimensions' scales; non-finite values are ignored). `label` names the gate in messages.
// Degenerate input (too few events, all values equal, no peak) is an Error saying what was found.
FoundGate find_gate(const FinderSpec& spec, std::span<const std::span<const double>> values,
                    const std::string& label);

// Whether the finder is placed on the pooled events of a group of files (`pool:` or `control:`).
bool pooled(const FinderSpec& spec);

// A gate of the right shape that passes every event: what a finder's node holds until placed.
Gate placeholder_gate(const FinderSpec& spec);

// A value in channel units on a dimension's scale (transform, then bounds).
double on_scale(const Dimension& dimension, double channel_value);

}  // namespace cytopipe::gating
