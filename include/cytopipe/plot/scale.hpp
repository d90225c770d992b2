#pragma once
// Axis arithmetic: "nice" tick values, data-to-page mapping and tick label text.
#include <functional>
#include <string>
#include <vector>

namespace cytopipe::plot {

// Tick values covering [lo, hi]: a step of 1, 2 or 5 x 10^k, the smallest such step that needs at
// most `max_intervals` intervals; the first tick is the largest multiple of the step <= lo and the
// last the smallest multiple >= hi. lo == hi is widened around the value. Non-finite bounds or
// lo > hi throw Error.
std::vector<double> nice_ticks(double lo, double hi, int max_intervals = 5);

// Shortest decimal text for a tick value, with as many decimals as `step` needs ("0", "2.5",
// "0.05", "1e+06" only for magnitudes >= 1e6), and never "-0".
std::string format_tick(double value, double step);

// Maps the data interval [domain_lo, domain_hi] onto the page interval [page_lo, page_hi]
// (page_hi may be smaller: y grows downwards). Extrapolates outside the domain.
class LinearScale {
 public:
  LinearScale(double domain_lo, double domain_hi, double page_lo, double page_hi);
  double operator()(double value) const { return page_lo_ + (value - domain_lo_) * factor_; }
  double invert(double page) const { return domain_lo_ + (page - page_lo_) / factor_; }
  double domain_lo() const { return domain_lo_; }
  double domain_hi() const { return domain_hi_; }

 private:
  double domain_lo_, domain_hi_, page_lo_, factor_;
};

// A tick given by the caller, for axes whose values are already transformed (logicle, arcsinh):
// `position` in the plotted (transformed) units, `label` as the reader should see it.
struct Tick {
  double position = 0;
  std::string label;
  bool minor = false;  // a short unlabelled tick between decades (2..9 x 10^k)
};

// Ticks for an axis drawn in transformed units (logicle, arcsinh, log): 0 and the decades
// +/-10^1 .. 10^9 of the original scale, placed at to_plot(value), labelled "0", "10³", "-10²".
// Only those inside [plot_lo, plot_hi] are kept, and a tick closer than min_gap (a fraction of
// the axis) to one already kept is dropped; 0 and positive decades take precedence.
// Values to_plot cannot map (NaN) are skipped, so a log scale simply has no 0 or negatives.
// With `minor`, the ticks also hold unlabelled minor ticks at +/-m x 10^k (m = 2..9, k = 1..8),
// as cytometry packages draw them, leaving out any closer than 1 % of the axis to a tick
// already kept (they crowd together in the linear region of logicle / arcsinh near 0).
std::vector<Tick> decade_ticks(const std::function<double(double)>& to_plot, double plot_lo, double plot_hi,
                               double min_gap = 0.06, bool minor = false);

}  // namespace cytopipe::plot
