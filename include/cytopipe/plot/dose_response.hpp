#pragma once
// Dose-response curve: the fitted 4-parameter logistic (the stats stage's `hill` / `hill-control`
// fit) over log-spaced doses, every replicate as a point, EC50 marked by a dashed line, a curve
// per stratum. Dose 0 (the untreated control) has no place on a log axis: it is drawn at its own
// place left of a break in the x axis, labelled "0", as dose-response plots usually show it.
// A stratum whose fit failed keeps its points, and the figure says why there is no curve.
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"
#include "cytopipe/stats/analysis.hpp"

namespace cytopipe::plot {

// y = bottom + (top - bottom) / (1 + (ec50 / dose)^hill), as stats::fit_hill reports it.
struct LogisticCurve {
  double bottom = 0, top = 1, ec50 = 1, hill = 1;
};
// The curve at `dose` (dose 0: its limit, bottom for hill > 0, top for hill < 0).
double logistic(const LogisticCurve& curve, double dose);

struct DoseResponseSeries {
  std::string name;                 // the stratum, e.g. "MM1S"; empty = not in the legend
  std::vector<Point> replicates;    // (dose, response)
  std::optional<LogisticCurve> fit;
  std::string no_fit;               // why there is no curve, shown in the figure
};

struct DoseResponseFigure {
  std::string title, x_title, y_title;
  std::string x_unit;               // in the EC50 label: "EC50 12.3 nM"
  std::vector<DoseResponseSeries> series;
  int curve_points = 160;           // log-spaced doses the curve is drawn through
  double width = 300, height = 190; // plot area, points
  double font_size = 9;
};

// Error when no series has a finite replicate with a dose >= 0, or a dose is negative.
Figure dose_response_figure(const DoseResponseFigure& spec);

// The 4PL of one stratum from stats rows (test "4PL fit": bottom, top, ec50, hill), or nullopt
// with `why` set to the fit's message (too few doses, no convergence, EC50 outside the doses).
std::optional<LogisticCurve> fitted_curve(const std::vector<stats::ResultRow>& rows, const std::string& stratum,
                                          std::string& why);

}  // namespace cytopipe::plot
