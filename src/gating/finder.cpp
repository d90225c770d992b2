// The gate finders: each turns the parent population's values into an ordinary gate.
#include "cytopipe/gating/finder.hpp"

#include <opencv2/imgproc.hpp>
#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/gating/statistics.hpp"
#include "gating/finder_density.hpp"
#include "gating/finder_order.hpp"
#include "gating/finder_ranks.hpp"
#include "gating/finder_select.hpp"
#include "gating/finder_simd.hpp"
#include "gating/linear_algebra.hpp"

namespace cytopipe::gating {
namespace {

using detail::Density;

std::string num(double v) { return format_number(v, kGateNumber); }

// The rows whose every value is finite, one column per dimension: the given columns themselves
// when every value is finite (no copy of a million events), else the finite rows copied.
struct Finite {
  std::vector<std::span<const double>> columns;
  std::vector<std::vector<double>> storage;  // the copied rows, when some were not finite
  std::size_t ignored = 0;
  std::size_t size() const { return columns.empty() ? 0 : columns[0].size(); }
};

Finite finite_rows(std::span<const std::span<const double>> values, std::size_t dims, const std::string& label) {
  if (values.size() != dims)
    throw Error(label + ": the finder needs " + std::to_string(dims) + " dimension(s), got " + std::to_string(values.size()));
  const std::size_t n = values.empty() ? 0 : values[0].size();
  for (const auto& v : values)
    if (v.size() != n) throw Error(label + ": dimensions of different lengths");
  Finite out;
  std::size_t not_finite = 0;
  for (const auto& v : values)
    not_finite += tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, v.size(), detail::kSelectGrain), std::size_t{0},
        [&](const auto& r, std::size_t count) { return count + detail::count_not_finite(v.data() + r.begin(), r.size()); },
        std::plus<>());
  if (not_finite == 0) {
    out.columns.assign(values.begin(), values.end());
    return out;
  }
  out.storage.resize(dims);
  for (auto& c : out.storage) c.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    bool ok = true;
    for (const auto& v : values) ok = ok && std::isfinite(v[i]);
    if (!ok) {
      ++out.ignored;
      continue;
    }
    for (std::size_t d = 0; d < dims; ++d) out.storage[d].push_back(values[d][i]);
  }
  out.columns.assign(out.storage.begin(), out.storage.end());
  return out;
}

// Type-7 quantile of a column (quantile7 on a copy; radix selection without one on large columns).
double column_quantile(std::span<const double> x, double p) {
  if (x.size() >= detail::kSelectMinimum) {
    const auto value = [&](std::size_t i, double& v) {
      v = x[i];
      return true;
    };
    const double ps[] = {std::clamp(p, 0.0, 1.0)};
    if (const auto q = detail::bracketed_quantiles(x.size(), value, ps)) return q->at(0);
    const detail::Selection s(x.size(), value);
    if (s.exact()) {
      const double ps[] = {std::clamp(p, 0.0, 1.0)};
      return detail::selection_quantiles(s, ps)[0];
    }
  }
  std::vector<double> copy(x.begin(), x.end());
  return detail::quantile7(copy, p);
}

void require_events(const Finite& f, const FinderSpec& spec, const std::string& label) {
  if (f.size() < spec.min_events)
    throw Error(label + ": " + std::to_string(f.size()) + " events with finite values" +
                (f.ignored ? " (" + std::to_string(f.ignored) + " NaN/infinite ignored)" : std::string()) +
                " in the parent population, fewer than the " + std::to_string(spec.min_events) +
                " a finder needs (min_events)");
}

RectangleGate cut_gate(const FinderSpec& spec, double cut) {
  RectangleGate g;
  g.dimensions = {spec.dimensions.at(0)};
  Interval i;
  if (spec.keep == Keep::Above) i.min = cut;
  else i.max = cut;
  g.intervals = {i};
  return g;
}

// A peak's robust spread below it (`below`) or above it; below, unless that side is cut off by the
// instrument's floor: every value lies above the scale's zero (a log amplifier records nothing
// below its channel 0, as a FACSCalibur's 10-bit log scale) and the lowest lies within 3 of the
// side's robust SDs of the peak, where a peak's own lower tail would reach further. Such a side
// shows too little of the peak: the CD3-negative cells of a FACSCalibur on a logicle axis are
// squeezed against the floor below and spread 2-3 times as far above, so a cut 4 of the lower
// side's SDs above them falls inside their upper side. The upper side's spread is then taken.
// (The few events piled at the floor itself are not the cause: left out, the cut falls lower.)
struct SideSpread {
  double sd = 0;
  std::string cut_off;  // non-empty: the lower side was cut off (why), and `sd` is the upper side's
};
SideSpread side_spread(std::span<const double> x, double centre, bool below, double zero,
                       detail::ValueOrder* order, std::optional<double> least = std::nullopt) {
  SideSpread out{detail::one_sided_sd(x, centre, below, order), {}};
  if (!below || !(out.sd > 0)) return out;
  const double floor = order ? order->at(0) : least ? *least : detail::minimum(x);
  if (!(std::isfinite(zero) && floor > zero && centre - floor < 3 * out.sd)) return out;
  out.cut_off = "the peak at " + num(centre) + " is cut off below by the data's floor " + num(floor) + " (above the " +
                "scale's zero, " + num((centre - floor) / out.sd) + " of its lower robust SDs away): its spread is " +
                "measured above it";
  out.sd = detail::one_sided_sd(x, centre, false, order);
  return out;
}

FoundGate valley(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  const auto& x = f.columns[0];
  // No order buckets: the few order statistics the valley asks for each take one bracketed pass,
  // which costs less than the buckets' scatter of every value.
  detail::ValueOrder* order = nullptr;
  const Density d = detail::kernel_density(x, spec.adjust, label, 512, order);
  auto peaks = detail::density_peaks(d, spec.min_peak);
  for (auto p : peaks) report.peaks.push_back(d.at(p));
  const Dimension& dim = spec.dimensions[0];
  const double range_lo = spec.range_min ? on_scale(dim, *spec.range_min) : -kUnbounded;
  const double range_hi = spec.range_max ? on_scale(dim, *spec.range_max) : kUnbounded;
  if (peaks.size() >= 2) {
    // When the main peak is cut off below by the instrument's floor, its upper side is its shape:
    // a bump within `sds` of those SDs above it, beyond which lie fewer than 5 % of the events, is
    // a ripple in its tail (the FACSCalibur's tumour cells' CD3: 2.6-3.2 %), not a population.
    const double main = d.at(peaks[0]);
    const SideSpread s = side_spread(x, main, true, on_scale(dim, 0), order, d.least);
    const auto in_tail = [&](std::size_t p) {
      if (!(d.at(p) > main && d.at(p) - main < spec.sds * s.sd)) return false;
      const auto dip = std::min_element(d.density.begin() + static_cast<std::ptrdiff_t>(peaks[0]),
                                        d.density.begin() + static_cast<std::ptrdiff_t>(p) + 1);
      const double from = d.at(static_cast<std::size_t>(dip - d.density.begin()));
      const auto beyond = order ? static_cast<std::ptrdiff_t>(x.size() - order->count_below(from))
                                : std::count_if(x.begin(), x.end(), [&](double v) { return v >= from; });
      return static_cast<double>(beyond) < 0.05 * static_cast<double>(x.size());
    };
    if (!s.cut_off.empty()) {
      const auto tail_end = std::remove_if(peaks.begin() + 1, peaks.end(), in_tail);
      if (tail_end != peaks.end()) {
        report.fallback += s.cut_off + "; " + std::to_string(peaks.end() - tail_end) + " peak(s) within " +
                           num(spec.sds) + " such SDs above it taken as its tail; ";
        peaks.erase(tail_end, peaks.end());
      }
    }
  }
  if (peaks.size() >= 2) {
    // The deepest valley between neighbouring peaks (lowest density relative to the smaller of
    // the two), within the range: debris, dead and live cells on FSC make three peaks, and the
    // cut wanted is where the density all but vanishes, not the shallow dip between two others.
    std::vector<std::size_t> order = peaks;
    std::sort(order.begin(), order.end());
    double best_depth = kUnbounded;
    std::size_t best = 0;
    for (std::size_t k = 0; k + 1 < order.size(); ++k) {
      const std::size_t a = order[k], b = order[k + 1];
      const double smaller = std::min(d.density[a], d.density[b]);
      for (std::size_t i = a; i <= b; ++i) {
        const double pos = d.at(i);
        if (pos < range_lo || pos > range_hi) continue;
        const double depth = d.density[i] / smaller;
        if (depth < best_depth) {
          best_depth = depth;
          best = i;
        }
      }
    }
    if (best_depth < kUnbounded) {
      report.valley = report.cut = d.at(best);
      return {cut_gate(spec, *report.cut), std::move(report)};
    }
    report.fallback = "no density between neighbouring peaks lies within the range; ";
  }
  // One peak: a tail cut at `sds` robust SDs beyond it, on the side the peak is not.
  const double centre = d.at(peaks.at(0));
  bool negative = spec.single_peak == SinglePeak::Negative;
  if (spec.negative_below) negative = centre < on_scale(dim, *spec.negative_below);
  const auto [sd, cut_off] = side_spread(x, centre, negative, on_scale(dim, 0), order, d.least);
  if (!(sd > 0))
    throw Error(label + ": one peak at " + num(centre) + " with no spread on its " + (negative ? "lower" : "upper") +
                " side: no cut can be placed");
  report.cut = negative ? centre + spec.sds * sd : centre - spec.sds * sd;
  report.fallback += "one peak found (at " + num(centre) + ", taken as " + (negative ? "negative" : "positive") +
                     "): cut at " + num(spec.sds) + " robust SDs " + (negative ? "above" : "below") + " it" +
                     (cut_off.empty() || report.fallback.find(cut_off) != std::string::npos ? std::string()
                                                                                              : " (" + cut_off + ")");
  return {cut_gate(spec, *report.cut), std::move(report)};
}

FoundGate tail(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  const auto& x = f.columns[0];
  // No order buckets (as the valley): the KDE's spread quantiles and the side's robust SD each
  // take one bracketed pass, which costs less than the buckets' scatter of every value.
  detail::ValueOrder* order = nullptr;
  const Density d = detail::kernel_density(x, spec.adjust, label, 512, order);
  const auto peaks = detail::density_peaks(d, spec.min_peak);
  for (auto p : peaks) report.peaks.push_back(d.at(p));
  const double centre = d.at(peaks.at(0));
  const bool upper = spec.keep == Keep::Above;
  const double sd = detail::one_sided_sd(x, centre, upper, order);
  if (!(sd > 0)) throw Error(label + ": the main peak at " + num(centre) + " has no spread: no tail cut can be placed");
  report.cut = upper ? centre + spec.sds * sd : centre - spec.sds * sd;
  return {cut_gate(spec, *report.cut), std::move(report)};
}

FoundGate quantile(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  if (!(spec.quantile >= 0 && spec.quantile <= 1)) throw Error(label + ": quantile must be within 0..1");
  report.cut = column_quantile(f.columns[0], spec.quantile);
  return {cut_gate(spec, *report.cut), std::move(report)};
}

// gating::percentile (type 7 with its own arithmetic) of a column, without a copy on large ones.
double column_percentile(std::span<const double> x, double percent) {
  if (x.size() >= detail::kSelectMinimum) {
    const auto value = [&](std::size_t i, double& v) {
      v = x[i];
      return true;
    };
    const auto h_of = [&](std::size_t n) { return (static_cast<double>(n) - 1) * std::clamp(percent, 0.0, 100.0) / 100.0; };
    const auto ranks_for = [&](std::size_t n) {
      const auto lo = static_cast<std::size_t>(std::floor(h_of(n)));
      return std::vector<std::size_t>{lo, lo + 1 < n ? lo + 1 : lo};
    };
    const double ps[] = {std::clamp(percent, 0.0, 100.0) / 100.0};
    if (const auto found = detail::bracketed_select(x.size(), value, ps, ranks_for)) {
      const std::size_t n = found->count;
      const double h = h_of(n);
      const auto lo = static_cast<std::size_t>(std::floor(h));
      const double a = found->values[0], b = found->values[1];
      if (lo + 1 >= n || h == static_cast<double>(lo)) return a;
      return a + (h - static_cast<double>(lo)) * (b - a);
    }
    const detail::Selection s(x.size(), value);
    if (s.exact()) {
      const std::size_t n = s.count();
      const double h = (static_cast<double>(n) - 1) * std::clamp(percent, 0.0, 100.0) / 100.0;
      const auto lo = static_cast<std::size_t>(std::floor(h));
      if (lo + 1 >= n) return s.at(std::vector<std::size_t>{lo})[0];
      const auto ab = s.at(std::vector<std::size_t>{lo, lo + 1});
      if (h == static_cast<double>(lo)) return ab[0];
      return ab[0] + (h - static_cast<double>(lo)) * (ab[1] - ab[0]);
    }
  }
  std::vector<double> copy(x.begin(), x.end());
  return gating::percentile(copy, percent);
}

// The percentile the pipeline's control thresholds have always used (gating::percentile, type 7),
// on the finite pooled values.
FoundGate control_percentile(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  if (!(spec.percentile >= 0 && spec.percentile <= 100)) throw Error(label + ": percentile must be within 0..100");
  report.cut = column_percentile(f.columns[0], spec.percentile);
  return {cut_gate(spec, *report.cut), std::move(report)};
}

// The 2-D histogram of the finite events over each axis's central 99.8 %, smoothed.
struct Histogram2D {
  cv::Mat counts;  // CV_32F, rows = y bins, cols = x bins
  double x0 = 0, y0 = 0, dx = 1, dy = 1;
};

// The type-7 quantiles 0.001 and 0.999 of a column.
std::pair<double, double> column_range(std::span<const double> v) {
  if (v.size() >= detail::kSelectMinimum) {
    const detail::ColumnValues value{v};
    constexpr double ps[] = {0.001, 0.999};
    // One pass keeping the few values a sample brackets each at (else three radix passes).
    if (const auto q = detail::bracketed_quantiles(v.size(), value, ps)) return {q->at(0), q->at(1)};
    const detail::Selection s(v.size(), value);
    if (s.exact()) {
      const auto q = detail::selection_quantiles(s, ps);
      return {q[0], q[1]};
    }
  }
  std::vector<double> copy(v.begin(), v.end());
  const double lo = detail::quantile7(copy, 0.001);
  return {lo, detail::quantile7(copy, 0.999)};
}

Histogram2D histogram2d(const Finite& f, const FinderSpec& spec, const std::string& label) {
  Histogram2D h;
  const int bins = std::clamp(spec.bins, 16, 1024);
  double lo[2], hi[2];
  for (int a = 0; a < 2; ++a) {
    const std::span<const double> v = f.columns[static_cast<std::size_t>(a)];
    std::tie(lo[a], hi[a]) = column_range(v);
    if (!(hi[a] > lo[a]))
      throw Error(label + ": all values of " + spec.dimensions[static_cast<std::size_t>(a)].label() +
                  " are (nearly) equal (" + num(lo[a]) + "): no population outline can be found");
    const double pad = 0.05 * (hi[a] - lo[a]);
    lo[a] -= pad;
    hi[a] += pad;
  }
  h.x0 = lo[0];
  h.y0 = lo[1];
  h.dx = (hi[0] - lo[0]) / bins;
  h.dy = (hi[1] - lo[1]) / bins;
  h.counts = cv::Mat::zeros(bins, bins, CV_32F);
  const auto& xs = f.columns[0];
  const auto& ys = f.columns[1];
  // Whole counts, so any order of adding gives the same floats (below 2^24 per bin, where a
  // float still counts in ones): blocks of events are counted in parallel, then added.
  const auto bin_of = [&](std::size_t i) -> std::ptrdiff_t {
    const double cx = (xs[i] - h.x0) / h.dx, cy = (ys[i] - h.y0) / h.dy;
    if (!(cx >= 0 && cy >= 0 && cx < bins && cy < bins)) return -1;
    return static_cast<std::ptrdiff_t>(static_cast<int>(cy)) * bins + static_cast<int>(cx);
  };
  const auto cells = static_cast<std::size_t>(bins) * static_cast<std::size_t>(bins);
  if (xs.size() < detail::kSelectMinimum || xs.size() >= (std::size_t{1} << 24)) {
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (const auto b = bin_of(i); b >= 0) h.counts.ptr<float>()[b] += 1.0f;
  } else {
    tbb::enumerable_thread_specific<std::vector<std::uint32_t>> locals(cells + 1, 0u);
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, xs.size(), detail::kSelectGrain), [&](const auto& r) {
      auto& counts = locals.local();
      // bin_of a chunk at a time (grid_slots: the same bins, mostly without a division), then
      // counted; slot 0: outside.
      constexpr std::size_t kChunk = 512;
      std::uint32_t slot[kChunk];
      for (std::size_t lo = r.begin(); lo < r.end(); lo += kChunk) {
        const std::size_t m = std::min(kChunk, r.end() - lo);
        detail::grid_slots(xs.data() + lo, ys.data() + lo, m, h.x0, h.y0, h.dx, h.dy, bins, slot);
        for (std::size_t k = 0; k < m; ++k) ++counts[slot[k]];
      }
    });
    std::vector<std::uint32_t> total(cells + 1, 0u);
    for (const auto& counts : locals)
      for (std::size_t k = 0; k <= cells; ++k) total[k] += counts[k];
    for (std::size_t k = 0; k < cells; ++k) h.counts.ptr<float>()[k] = static_cast<float>(total[k + 1]);
  }
  if (spec.smoothing > 0) cv::GaussianBlur(h.counts, h.counts, cv::Size(0, 0), spec.smoothing);
  return h;
}

FoundGate cells(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  Histogram2D h = histogram2d(f, spec, label);
  const cv::Mat& density = h.counts;
  double top = 0;
  cv::minMaxLoc(density, nullptr, &top);
  if (!(top > 0)) throw Error(label + ": no events inside the histogram range");
  // The dominant population: the connected region (above 1 % of the highest bin) holding the most
  // events; beads are a taller but smaller peak than the cells.
  cv::Mat mask = density >= 0.01 * top;
  cv::Mat labels;
  const int regions = cv::connectedComponents(mask, labels, 8, CV_32S);
  std::vector<double> mass(static_cast<std::size_t>(regions), 0.0), peak(static_cast<std::size_t>(regions), 0.0);
  std::vector<cv::Point> where(static_cast<std::size_t>(regions));
  for (int r = 0; r < density.rows; ++r)
    for (int c = 0; c < density.cols; ++c) {
      const int l = labels.at<int>(r, c);
      if (l == 0) continue;
      const float v = density.at<float>(r, c);
      mass[static_cast<std::size_t>(l)] += v;
      if (v > peak[static_cast<std::size_t>(l)]) {
        peak[static_cast<std::size_t>(l)] = v;
        where[static_cast<std::size_t>(l)] = {c, r};
      }
    }
  const auto dominant = static_cast<std::size_t>(std::max_element(mass.begin() + 1, mass.end()) - mass.begin());
  const cv::Point centre = where[dominant];
  for (std::size_t r = 1; r < mass.size(); ++r)
    if (mass[r] > 0.02 * mass[dominant]) report.peaks.push_back(h.x0 + (where[r].x + 0.5) * h.dx);
  // Its outline at `contour` x its own peak height: the region connected to the peak.
  cv::Mat level = density >= spec.contour * peak[dominant];
  cv::Mat region_labels;
  cv::connectedComponents(level, region_labels, 8, CV_32S);
  const int own = region_labels.at<int>(centre);
  cv::Mat region = region_labels == own;
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(region, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  if (contours.empty()) throw Error(label + ": no outline found around the main peak");
  const auto largest = std::max_element(contours.begin(), contours.end(), [](const auto& a, const auto& b) {
    return cv::contourArea(a) < cv::contourArea(b);
  });
  std::vector<cv::Point> simple;
  cv::approxPolyDP(*largest, simple, 1.0, true);
  if (simple.size() < 3) throw Error(label + ": the main peak's outline is too small to be a polygon (fewer than 3 vertices)");
  // Bin indices to scale units, half a bin outward (the contour runs through the outer bins' centres).
  PolygonGate g;
  g.dimensions = {spec.dimensions[0], spec.dimensions[1]};
  const double mx = centre.x + 0.5, my = centre.y + 0.5;
  for (const auto& p : simple) {
    double px = p.x + 0.5, py = p.y + 0.5;
    const double rx = px - mx, ry = py - my, len = std::hypot(rx, ry);
    if (len > 0) {
      px += 0.5 * rx / len;
      py += 0.5 * ry / len;
    }
    g.vertices.push_back({h.x0 + px * h.dx, h.y0 + py * h.dy});
  }
  report.centre_x = h.x0 + mx * h.dx;
  report.centre_y = h.y0 + my * h.dy;
  return {std::move(g), std::move(report)};
}

// The main diagonal of area x height: a line height = intercept + slope x area fitted robustly
// (Theil-Sen over the medians of 20 equal-count area bins of the central 90 %; beyond 100,000
// events on an even stride of them), so an instrument
// whose height has a baseline offset (or whose scatter sits near zero) is followed as well as one
// through the origin.
struct Diagonal {
  double slope = 0, intercept = 0;
};

// The area and height medians of each of the 20 area bins, from the bins' events (`bin_lo`,
// `bin_hi`: the bins' first and last-but-one positions in area order).
void bin_medians(std::span<const std::size_t> bin_lo, std::span<const std::size_t> bin_hi,
                 const auto& area_at, const auto& height_at, std::vector<double>& xs, std::vector<double>& ys) {
  std::vector<double> scratch;
  for (std::size_t b = 0; b < bin_lo.size(); ++b) {
    const std::size_t lo = bin_lo[b], hi = bin_hi[b];
    if (hi <= lo) continue;
    scratch.clear();
    for (std::size_t k = lo; k < hi; ++k) scratch.push_back(area_at(k));
    const double x = detail::quantile7(scratch, 0.5);
    scratch.clear();
    for (std::size_t k = lo; k < hi; ++k) scratch.push_back(height_at(k));
    xs.push_back(x);
    ys.push_back(detail::quantile7(scratch, 0.5));
  }
}

// The bins' medians by sorting the sampled events by area (std::sort: which of several events
// of equal area falls on which side of a bin boundary is the sort's own choice).
void sorted_bin_medians(std::span<const double> area, std::span<const double> height, std::size_t stride,
                        std::vector<double>& xs, std::vector<double>& ys) {
  std::vector<std::size_t> order;
  order.reserve(area.size() / stride + 1);
  for (std::size_t i = 0; i < area.size(); i += stride) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return area[a] < area[b]; });
  const std::size_t n = order.size(), first = n / 20, last = n - n / 20;
  std::vector<std::size_t> bin_lo, bin_hi;
  for (std::size_t b = 0; b < 20; ++b) {
    bin_lo.push_back(first + (last - first) * b / 20);
    bin_hi.push_back(first + (last - first) * (b + 1) / 20);
  }
  bin_medians(bin_lo, bin_hi, [&](std::size_t k) { return area[order[k]]; }, [&](std::size_t k) { return height[order[k]]; },
              xs, ys);
}

// The same without the sort: the sampled events are partitioned at the bin boundaries only
// (std::nth_element at each, O(n log 20)). Each bin then holds the same events as after the
// sort, unless events of equal area straddle a boundary; false then (the caller sorts).
bool partitioned_bin_medians(std::span<const double> area, std::span<const double> height, std::size_t stride,
                             std::vector<double>& xs, std::vector<double>& ys) {
  struct Event {
    double area, height;
  };
  std::vector<Event> events((area.size() + stride - 1) / stride);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, events.size(), 1 << 13), [&](const auto& r) {
    for (std::size_t k = r.begin(); k < r.end(); ++k) events[k] = {area[k * stride], height[k * stride]};
  });
  const std::size_t n = events.size(), first = n / 20, last = n - n / 20;
  std::vector<std::size_t> bin_lo, bin_hi, cuts = {first, last};
  for (std::size_t b = 0; b < 20; ++b) {
    bin_lo.push_back(first + (last - first) * b / 20);
    bin_hi.push_back(first + (last - first) * (b + 1) / 20);
    cuts.push_back(bin_lo.back());
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  while (!cuts.empty() && cuts.back() >= n) cuts.pop_back();  // the end needs no partition
  const auto by_area = [](const Event& a, const Event& b) { return a.area < b.area; };
  // Recursive multi-selection: events[c] is the c-th by area for every cut c, with no larger
  // area before it and no smaller one after it.
  const auto partition = [&](auto&& self, std::size_t lo, std::size_t hi, std::size_t c_lo, std::size_t c_hi) -> void {
    if (c_lo >= c_hi) return;
    const std::size_t mid = c_lo + (c_hi - c_lo) / 2, c = cuts[mid];
    std::nth_element(events.begin() + static_cast<std::ptrdiff_t>(lo), events.begin() + static_cast<std::ptrdiff_t>(c),
                     events.begin() + static_cast<std::ptrdiff_t>(hi), by_area);
    // The two sides are disjoint ranges: partitioned side by side, the same as one after the other.
    tbb::parallel_invoke([&] { self(self, lo, c, c_lo, mid); }, [&] { self(self, c + 1, hi, mid + 1, c_hi); });
  };
  partition(partition, 0, n, 0, cuts.size());
  // A tie across a cut: the largest area before the cut equals the cut's own.
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    const std::size_t c = cuts[k], before = k == 0 ? 0 : cuts[k - 1];
    if (c == 0) continue;
    double largest = -kUnbounded;
    for (std::size_t i = before; i < c; ++i) largest = std::max(largest, events[i].area);
    if (!(largest < events[c].area)) return false;
  }
  bin_medians(bin_lo, bin_hi, [&](std::size_t k) { return events[k].area; }, [&](std::size_t k) { return events[k].height; },
              xs, ys);
  return true;
}

// The same bins found by their boundary values, without moving the events: the areas at the
// cut ranks (and at the ranks just below, for ties) by bucketed selection. With no tie across a
// cut, a bin holds exactly the events of area in [its first rank's area, the next bin's): its
// area median is at known ranks of all the areas, and its heights are gathered by area for
// their median. Tie: events of equal area straddle a cut (partitioned_bin_medians says false
// then too); Declined: the selection declined or the file is strided, so the caller partitions.
enum class Binned { Done, Tie, Declined };
Binned ranked_bin_medians(std::span<const double> area, std::span<const double> height, std::size_t stride,
                          std::vector<double>& xs, std::vector<double>& ys) {
  const std::size_t n = area.size();
  if (stride != 1 || n < detail::kRankMinimum) return Binned::Declined;
  constexpr std::size_t kBins = 20;
  const std::size_t first = n / 20, last = n - n / 20;  // 0 < first < last < n here
  std::array<std::size_t, kBins + 1> edge{};  // bin b: ranks [edge[b], edge[b + 1])
  for (std::size_t b = 0; b < kBins; ++b) edge[b] = first + (last - first) * b / kBins;
  edge[kBins] = last;
  // Ranks wanted: each edge and the one below it; each bin's middle one or two.
  std::vector<std::size_t> ranks;
  for (const std::size_t e : edge) {
    ranks.push_back(e - 1);
    ranks.push_back(e);
  }
  for (std::size_t b = 0; b < kBins; ++b) {
    const std::size_t m = edge[b + 1] - edge[b];
    if (m == 0) continue;
    const auto k = static_cast<std::size_t>(std::floor((static_cast<double>(m) - 1) * 0.5));
    ranks.push_back(edge[b] + k);
    if (k + 1 < m) ranks.push_back(edge[b] + k + 1);
  }
  std::vector<double> found(ranks.size());
  if (!detail::select_ranks(area, ranks, found)) return Binned::Declined;
  const auto at = [&](std::size_t rank) {
    return found[static_cast<std::size_t>(std::find(ranks.begin(), ranks.end(), rank) - ranks.begin())];
  };
  // Bin boundaries (areas), padded with infinities for a branch-free search of 32.
  std::array<double, 32> bound;
  bound.fill(std::numeric_limits<double>::infinity());
  for (std::size_t b = 0; b <= kBins; ++b) {
    if (!(at(edge[b] - 1) < at(edge[b]))) return Binned::Tie;
    bound[b] = at(edge[b]);
  }
  // Heights by bin, side by side (slot 0, past the end: the events outside every bin).
  std::array<std::size_t, kBins + 1> cursor{};
  cursor[0] = last - first;
  for (std::size_t b = 0; b < kBins; ++b) cursor[b + 1] = edge[b] - first;
  // A pooled buffer of its own (a shared event-length one shrunk here would be zeroed again when
  // the band's ratios take it back at full length).
  detail::PooledValues height_buffer;
  height_buffer.s.reserve(last - first + 1, 0);
  const std::span<double> heights(height_buffer.begin(), last - first + 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = area[i];
    std::size_t p = 0;  // how many bounds are <= a: the bin is p - 1 for p in 1..20
    for (std::size_t step = 16; step > 0; step /= 2)  // masks, not branches: a is random here
      p += step & (std::size_t{0} - static_cast<std::size_t>(bound[p + step - 1] <= a));
    const std::size_t slot = p - 1 < kBins ? p : 0;
    heights[cursor[slot]] = height[i];
    cursor[slot] += slot != 0;
  }
  bool counted = true;
  for (std::size_t b = 0; b < kBins; ++b) counted = counted && cursor[b + 1] == edge[b + 1] - first;
  if (counted) {
    for (std::size_t b = 0; b < kBins; ++b) {
      const std::size_t lo = edge[b], m = edge[b + 1] - lo;
      if (m == 0) continue;
      const double h = (static_cast<double>(m) - 1) * 0.5;
      const auto k = static_cast<std::size_t>(std::floor(h));
      const double lower = at(lo + k);
      xs.push_back(k + 1 >= m ? lower : lower + (h - static_cast<double>(k)) * (at(lo + k + 1) - lower));
      ys.push_back(detail::quantile7(std::span(heights).subspan(lo - first, m), 0.5));
    }
  }
  if (!counted) {  // cannot happen without a tie; partitioned as before if it does
    xs.clear();
    ys.clear();
    return Binned::Declined;
  }
  return Binned::Done;
}

Diagonal fit_diagonal(std::span<const double> area, std::span<const double> height) {
  // 20 medians need no more than 100,000 events: larger files are strided evenly.
  const std::size_t stride = std::max<std::size_t>((area.size() + 99'999) / 100'000, 1);
  std::vector<double> xs, ys;
  Binned binned = Binned::Declined;
  if (stride == 1 || area.size() / stride < detail::kRankMinimum) {
    binned = ranked_bin_medians(area, height, stride, xs, ys);
  } else {
    // The strided events side by side in pooled buffers, then binned by their boundary values as
    // a file's own events are (the same bins and medians as partitioning them).
    const std::size_t m = (area.size() + stride - 1) / stride;
    detail::PooledValues a, h;
    a.s.reserve(m, 0);
    h.s.reserve(m, 0);
    a.size = h.size = m;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, m, 1 << 13), [&](const auto& r) {
      for (std::size_t k = r.begin(); k < r.end(); ++k) {
        a.begin()[k] = area[k * stride];
        h.begin()[k] = height[k * stride];
      }
    });
    binned = ranked_bin_medians(std::span<const double>(a.begin(), m), std::span<const double>(h.begin(), m), 1, xs, ys);
  }
  if (binned == Binned::Tie || (binned == Binned::Declined && !partitioned_bin_medians(area, height, stride, xs, ys))) {
    xs.clear();
    ys.clear();
    sorted_bin_medians(area, height, stride, xs, ys);
  }
  std::vector<double> slopes;
  for (std::size_t i = 0; i < xs.size(); ++i)
    for (std::size_t j = i + 1; j < xs.size(); ++j)
      if (xs[j] > xs[i]) slopes.push_back((ys[j] - ys[i]) / (xs[j] - xs[i]));
  Diagonal d;
  if (slopes.empty()) return d;
  d.slope = detail::quantile7(slopes, 0.5);
  std::vector<double> offsets;
  for (std::size_t i = 0; i < xs.size(); ++i) offsets.push_back(ys[i] - d.slope * xs[i]);
  d.intercept = detail::quantile7(offsets, 0.5);
  return d;
}

// The median of height / fitted line over the events where the line is above zero, the robust SD
// (1.4826 MAD) around it, and how many events there were (0: no median).
struct BandSpread {
  double centre = 0, sd = 0;
  std::size_t kept = 0;
};
// A chunk of the band's ratios height / (intercept + slope x area) into v (each also into
// `stored`, NaN where the line is not above zero) and whether each counts (the line above zero);
// and a chunk of the stored ratios' distances from c (counted where a ratio is stored). Also
// compiled for AVX-512 and AVX2, one picked at run time: the same operations lane by lane, no
// multiply-add fused (fp-contract off), so the same bits.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void band_ratios(const double* area, const double* height, std::size_t m, double intercept, double slope, double* v,
                 std::uint64_t* use, double* stored) {
  for (std::size_t k = 0; k < m; ++k) {
    const double fitted = intercept + slope * area[k];
    const double r = height[k] / fitted;
    const bool counted = fitted > 0;
    v[k] = r;
    use[k] = counted ? ~std::uint64_t{0} : 0;
    stored[k] = counted ? r : std::numeric_limits<double>::quiet_NaN();
  }
}
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void band_distances(const double* stored, std::size_t m, double c, double* v, std::uint64_t* use) {
  for (std::size_t k = 0; k < m; ++k) {
    const double r = stored[k];
    v[k] = std::abs(r - c);
    use[k] = r == r ? ~std::uint64_t{0} : 0;  // not NaN
  }
}
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#pragma GCC pop_options
#endif

BandSpread band_spread(std::span<const double> area, std::span<const double> height, const Diagonal& line) {
  const auto relative = [&](std::size_t i, double& r) {
    const double fitted = line.intercept + line.slope * area[i];
    r = height[i] / fitted;
    return fitted > 0;
  };
  if (area.size() >= detail::kSelectMinimum) {
    // The median ratio in one pass (each ratio stored as it is computed, NaN where the line is not
    // above zero), the median distance from it in another, each bracketed by a sample.
    constexpr double half[] = {0.5};
    std::size_t kept = 0;
    struct Stored {
      std::vector<double> ratio;
      ~Stored() { detail::ValueBuffers::shared().give(std::move(ratio)); }
    } stored{detail::ValueBuffers::shared().take(area.size())};
    // Each ratio computed and stored a chunk at a time (band_ratios) in the pass.
    struct Storing {
      std::span<const double> area, height;
      Diagonal line;
      double* stored;
      bool operator()(std::size_t i, double& r) const {
        const double fitted = line.intercept + line.slope * area[i];
        r = height[i] / fitted;
        stored[i] = fitted > 0 ? r : std::numeric_limits<double>::quiet_NaN();
        return fitted > 0;
      }
      void fill(std::size_t first, std::size_t m, double* v, std::uint64_t* use) const {
        band_ratios(area.data() + first, height.data() + first, m, line.intercept, line.slope, v, use, stored + first);
      }
    };
    const Storing storing{area, height, line, stored.ratio.data()};
    // A found median means the pass ran over every event: every ratio is stored.
    if (const auto centre = detail::bracketed_quantiles(area.size(), storing, half, &kept)) {
      if (kept == 0) return {};
      const double c = centre->at(0);
      struct Distance {
        const double* stored;
        double c;
        bool operator()(std::size_t i, double& d) const {
          d = std::abs(stored[i] - c);
          return !std::isnan(stored[i]);
        }
        void fill(std::size_t first, std::size_t m, double* v, std::uint64_t* use) const {
          band_distances(stored + first, m, c, v, use);
        }
      };
      const Distance distance{stored.ratio.data(), c};
      if (const auto mad = detail::bracketed_quantiles(area.size(), distance, half))
        return {c, 1.4826 * mad->at(0), kept};
    }
  }
  if (area.size() >= detail::kSelectMinimum) {
    // The ratios computed once (a division per event), NaN where the line is not above zero
    // (a kept ratio never is NaN: finite height over a positive fitted value).
    std::vector<double> ratio = detail::ValueBuffers::shared().take(area.size());
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, area.size(), detail::kSelectGrain), [&](const auto& r) {
      for (std::size_t i = r.begin(); i < r.end(); ++i) {
        double v;
        ratio[i] = relative(i, v) ? v : std::numeric_limits<double>::quiet_NaN();
      }
    });
    const auto stored = [&](std::size_t i, double& r) {
      r = ratio[i];
      return !std::isnan(r);
    };
    constexpr double half[] = {0.5};
    BandSpread out;
    bool found = false;
    const detail::Selection ratios(area.size(), stored);
    if (ratios.count() == 0) {
      found = true;
    } else if (ratios.exact()) {
      const double centre = detail::selection_quantiles(ratios, half)[0];
      const auto distance = [&](std::size_t i, double& d) {
        d = std::abs(ratio[i] - centre);
        return !std::isnan(ratio[i]);
      };
      const detail::Selection distances(area.size(), distance);
      if (distances.exact()) {
        out = {centre, 1.4826 * detail::selection_quantiles(distances, half)[0], ratios.count()};
        found = true;
      }
    }
    detail::ValueBuffers::shared().give(std::move(ratio));
    if (found) return out;
  }
  // The kept ratios packed into a reused buffer (a fresh one was page-faulted in on every file).
  std::vector<double> buffer = detail::ValueBuffers::shared().take(area.size());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < area.size(); ++i) {
    double r;
    const bool keep = relative(i, r);
    buffer[kept] = r;
    kept += keep;
  }
  BandSpread out;
  if (kept > 0) {
    const std::span<double> values = std::span(buffer).first(kept);
    out.kept = kept;
    out.centre = detail::quantile7(values, 0.5);
    for (double& r : values) r = std::abs(r - out.centre);
    out.sd = 1.4826 * detail::quantile7(values, 0.5);
  }
  detail::ValueBuffers::shared().give(std::move(buffer));
  return out;
}

FoundGate singlets(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  // The band: height within (1 +- width x s) x the fitted line, s the robust SD (1.4826 MAD) of
  // height / fitted - 1 (doublets, at about half the ratio, are a minority and leave the medians
  // alone). Through the origin this is the classic band of height/area ratios; the band's apex is
  // where the fitted line meets zero height.
  const auto& area = f.columns[0];
  const auto& height = f.columns[1];
  const Diagonal line = fit_diagonal(area, height);
  if (!(line.slope > 0))
    throw Error(label + ": " + spec.dimensions[1].label() + " does not rise with " + spec.dimensions[0].label() +
                (line.slope == 0 ? " (the same value across the area bins)" : " (fitted slope " + num(line.slope) + ")") +
                ": no diagonal of single events to follow");
  const auto [centre, sd, kept] = band_spread(area, height, line);
  if (kept < spec.min_events)
    throw Error(label + ": " + std::to_string(kept) + " events above the fitted diagonal's zero, fewer than the " +
                std::to_string(spec.min_events) + " needed to set the band");
  const double area_max = detail::maximum(area, 0.0);
  if (!(sd > 0))
    throw Error(label + ": every event has the same " + spec.dimensions[1].label() + "/" + spec.dimensions[0].label() +
                " ratio (" + num(line.slope) + "): no spread to set the band's width");
  const double lo = std::max(centre - spec.width * sd, 0.0), hi = centre + spec.width * sd;
  const double apex = -line.intercept / line.slope;  // area where the fitted line has zero height
  const double reach = std::max(area_max * 1.5, apex + 1);
  const double top = line.intercept + line.slope * reach;
  PolygonGate g;
  g.dimensions = {spec.dimensions[0], spec.dimensions[1]};
  g.vertices = {{apex, 0}, {reach, top * lo}, {reach, top * hi}};
  report.slope = line.slope * centre;
  report.peaks = {report.slope};
  report.intercept = line.intercept * centre;
  return {std::move(g), std::move(report)};
}

// The ellipse's sums over its events: the events in fixed blocks of kBlock (by event index), each
// block's sums kept in kLanes running sums by the event index mod kLanes, an event outside the
// ellipse adding an exact zero; a block's lanes joined pairwise, the blocks' sums added in block
// order. They depend on the events within the ellipse alone: not on the number of threads, nor on
// which events a pass looks at, as long as it looks at every event within (the lanes of the
// events it skips would only have added zeros).
constexpr std::size_t kBlock = 1 << 14;  // a multiple of kLanes
constexpr std::size_t kLanes = 8;

// kLanes doubles as one value (GCC/Clang vector extension: one AVX-512 register, two AVX or four
// SSE ones); the helpers are always inlined, so GCC's ABI note for other builds does not apply.
using Lane = double __attribute__((vector_size(kLanes * sizeof(double))));
using LaneMask = std::int64_t __attribute__((vector_size(kLanes * sizeof(double))));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
[[gnu::always_inline]] inline Lane load_lanes(const double* p) {
  Lane v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline Lane masked(Lane v, LaneMask m) {
  return reinterpret_cast<Lane>(reinterpret_cast<LaneMask>(v) & m);
}
[[gnu::always_inline]] inline Lane all_lanes(double v) { return Lane{} + v; }

// The events near an earlier ellipse of the iteration (within `reach2`, a wider squared distance
// than the cut), their values copied side by side: while the current ellipse lies inside that
// wider one, the events within it are among these, so an iteration passes over them alone (a few
// contiguous columns) instead of over every event. A block's near events are kept in rows of
// kLanes, lane j holding those of event index = j mod kLanes in event order (so their sums are
// the block's own); a lane shorter than the block's rows is padded (its count says where).
struct NearBlock {
  std::size_t block = 0, offset = 0, rows = 0;  // offset: the block's first value in the columns
  std::array<std::int64_t, kLanes> count{};     // events per lane
};
struct Neighbourhood {
  std::vector<double> mean, inverse;
  double reach2 = 0;
  std::vector<std::vector<double>> values;  // one column per dimension (pooled buffers)
  std::vector<NearBlock> blocks;
  bool valid = false;
  Neighbourhood() = default;
  Neighbourhood(const Neighbourhood&) = delete;
  Neighbourhood& operator=(const Neighbourhood&) = delete;
  ~Neighbourhood() {
    for (auto& v : values) detail::ValueBuffers::shared().give(std::move(v));
  }
};

// Whether the ellipse (mean, cov) at squared distance cut2 lies inside the neighbourhood's: a
// point x of it has sqrt(q_n(x)) <= sqrt(q_n(mean)) + sqrt(cut2 x the largest eigenvalue of
// inverse_n cov) (bounded by its trace; in 2-D found from trace and determinant), with a margin
// for rounding.
bool inside_neighbourhood(const Neighbourhood& n, std::span<const double> mean, std::span<const double> cov, double cut2) {
  if (!n.valid) return false;
  const std::size_t dims = mean.size();
  double centre = 0, trace = 0;
  for (std::size_t a = 0; a < dims; ++a)
    for (std::size_t b = 0; b < dims; ++b) {
      centre += (mean[a] - n.mean[a]) * n.inverse[a * dims + b] * (mean[b] - n.mean[b]);
      trace += n.inverse[a * dims + b] * cov[b * dims + a];
    }
  if (!(centre >= 0 && trace >= 0)) return false;
  double largest = trace;
  if (dims == 2) {
    // inverse_n cov is similar to a symmetric positive semi-definite matrix: real eigenvalues, the
    // larger one from its trace and determinant (a little above, for rounding).
    double m[4];
    for (std::size_t a = 0; a < 2; ++a)
      for (std::size_t b = 0; b < 2; ++b) m[a * 2 + b] = n.inverse[a * 2] * cov[b] + n.inverse[a * 2 + 1] * cov[2 + b];
    const double det = m[0] * m[3] - m[1] * m[2], half = 0.5 * trace;
    largest = std::min(trace, (half + std::sqrt(std::max(half * half - det, 0.0))) * (1 + 1e-9));
  }
  const double reach = std::sqrt(centre) + std::sqrt(cut2 * largest);
  return reach * reach < 0.99 * n.reach2;
}

// One block's running sums: the count, then per lane the sum of each coordinate and of each
// product of two (a <= b, row by row): `width` sums.
struct Lanes {
  std::size_t count = 0;
  std::vector<double> sums;  // [t * kLanes + lane]
};

// Rows [0, rows) of kLanes events (values x[d][row * kLanes + lane], lane valid while row <
// count[lane]) into the running sums: those within squared distance cut2 of (mean, inverse).
// When `near` is given, the events within reach2 are also copied there, lane by lane in rows
// (`placed`: how many each lane holds so far). The squared distance has the arithmetic (so the
// bits) of a plain double loop: the sum over a, then b, of diff[a] x inverse[a][b] x diff[b].
// D dimensions known at compile time (up to 4), all lanes at once.
template <std::size_t D>
[[gnu::always_inline]] inline void rows_within_fixed(std::span<const double* const> x, std::size_t rows,
                                                     const std::int64_t* count, const double* mean,
                                                     const double* inverse, double cut2, double reach2, Lanes& lanes,
                                                     double* const* near, std::int64_t* placed) {
  constexpr std::size_t kWidth = D + D * (D + 1) / 2;
  Lane centre[D], weight[D * D], sum[kWidth];
  for (std::size_t a = 0; a < D; ++a) centre[a] = all_lanes(mean[a]);
  for (std::size_t k = 0; k < D * D; ++k) weight[k] = all_lanes(inverse[k]);
  for (std::size_t t = 0; t < kWidth; ++t) sum[t] = load_lanes(&lanes.sums[t * kLanes]);
  const Lane cut = all_lanes(cut2), far = all_lanes(reach2);
  LaneMask lane_rows, within = {};
  for (std::size_t j = 0; j < kLanes; ++j) lane_rows[j] = count[j];
  const double* column[D];
  for (std::size_t a = 0; a < D; ++a) column[a] = x[a];
  std::int64_t next[kLanes];  // where each lane's next near event goes
  if (near)
    for (std::size_t j = 0; j < kLanes; ++j) next[j] = placed[j];
  for (std::size_t r = 0; r < rows; ++r) {
    Lane v[D], diff[D];
    for (std::size_t a = 0; a < D; ++a) {
      v[a] = load_lanes(column[a] + r * kLanes);
      diff[a] = v[a] - centre[a];
    }
    Lane q = diff[0] * weight[0] * diff[0];
    for (std::size_t a = 0; a < D; ++a)
      for (std::size_t b = 0; b < D; ++b)
        if (a + b > 0) q += diff[a] * weight[a * D + b] * diff[b];
    const LaneMask valid = (LaneMask{} + static_cast<std::int64_t>(r)) < lane_rows;
    const LaneMask in = ~(q > cut) & valid;
    std::size_t t = 0;
    for (std::size_t a = 0; a < D; ++a) sum[t++] += masked(v[a], in);
    for (std::size_t a = 0; a < D; ++a)
      for (std::size_t b = a; b < D; ++b) sum[t++] += masked(v[a] * v[b], in);
    within -= in;  // -1 where in
    if (near) {
      const LaneMask close = ~(q > far) & valid;
      for (std::size_t j = 0; j < kLanes; ++j) {
        const auto at = static_cast<std::size_t>(next[j]) * kLanes + j;
        for (std::size_t a = 0; a < D; ++a) near[a][at] = v[a][j];
        next[j] -= close[j];
      }
    }
  }
  for (std::size_t t = 0; t < kWidth; ++t) std::memcpy(&lanes.sums[t * kLanes], &sum[t], sizeof sum[t]);
  for (std::size_t j = 0; j < kLanes; ++j) lanes.count += static_cast<std::size_t>(within[j]);
  if (near)
    for (std::size_t j = 0; j < kLanes; ++j) placed[j] = next[j];
}

// The same for any number of dimensions, one event at a time.
void rows_within_any(std::span<const double* const> x, std::size_t rows, const std::int64_t* count, const double* mean,
                     const double* inverse, double cut2, double reach2, Lanes& lanes, double* const* near,
                     std::int64_t* placed) {
  const std::size_t dims = x.size();
  std::vector<double> v(dims);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < kLanes; ++j) {
      if (static_cast<std::int64_t>(r) >= count[j]) continue;
      for (std::size_t a = 0; a < dims; ++a) v[a] = x[a][r * kLanes + j];
      double q = 0;
      for (std::size_t a = 0; a < dims; ++a)
        for (std::size_t b = 0; b < dims; ++b) q += (v[a] - mean[a]) * inverse[a * dims + b] * (v[b] - mean[b]);
      const bool in = !(q > cut2);
      std::size_t s = j;
      for (std::size_t a = 0; a < dims; ++a, s += kLanes) lanes.sums[s] += in ? v[a] : 0.0;
      for (std::size_t a = 0; a < dims; ++a)
        for (std::size_t b = a; b < dims; ++b, s += kLanes) lanes.sums[s] += in ? v[a] * v[b] : 0.0;
      lanes.count += in;
      if (near && !(q > reach2)) {
        for (std::size_t a = 0; a < dims; ++a) near[a][static_cast<std::size_t>(placed[j]) * kLanes + j] = v[a];
        ++placed[j];
      }
    }
}

// Also compiled for AVX-512 and for AVX2, one picked at run time by what the CPU has: the same
// operations on the same lanes, and no multiply-add fused (fp-contract off), so the same bits.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void rows_within(std::span<const double* const> x, std::size_t rows, const std::int64_t* count, const double* mean,
                 const double* inverse, double cut2, double reach2, Lanes& lanes, double* const* near,
                 std::int64_t* placed) {
  switch (x.size()) {
    case 1: return rows_within_fixed<1>(x, rows, count, mean, inverse, cut2, reach2, lanes, near, placed);
    case 2: return rows_within_fixed<2>(x, rows, count, mean, inverse, cut2, reach2, lanes, near, placed);
    case 3: return rows_within_fixed<3>(x, rows, count, mean, inverse, cut2, reach2, lanes, near, placed);
    case 4: return rows_within_fixed<4>(x, rows, count, mean, inverse, cut2, reach2, lanes, near, placed);
    default: return rows_within_any(x, rows, count, mean, inverse, cut2, reach2, lanes, near, placed);
  }
}
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#pragma GCC pop_options
#endif
#pragma GCC diagnostic pop

// The count of the events within an ellipse, the sum of each coordinate and of each product of two
// coordinates: `sums` holds dims coordinate sums, then the products' (a <= b, row by row).
struct WithinSums {
  std::size_t count = 0;
  std::vector<double> sums;
};

// The count and sums of the events within squared distance cut2 of (mean, inverse): among the
// neighbourhood's events when the ellipse lies inside it, else among all events, making the
// neighbourhood anew around this ellipse. Blocks in parallel, their sums added in block order.
WithinSums sums_within(std::span<const std::span<const double>> columns, std::span<const double> mean,
                       std::span<const double> cov, std::span<const double> inverse, double cut2, Neighbourhood& near) {
  const std::size_t dims = columns.size(), n = columns[0].size(), width = dims + dims * (dims + 1) / 2;
  const bool among_near = inside_neighbourhood(near, mean, cov, cut2);
  // Reach of a new neighbourhood: room for the ellipse to move and widen a little (at the same
  // shape the trace bound needs sqrt(dims x cut2) of it); twice that around the start, which is
  // narrow on purpose (the iterations widen it to the population's spread).
  const double room = near.valid ? 1.0 : 2.0;
  const double reach = room * (std::sqrt(static_cast<double>(dims)) + 0.75) * std::sqrt(cut2);
  const double reach2 = among_near ? near.reach2 : reach * reach;
  const std::size_t blocks = among_near ? near.blocks.size() : (n + kBlock - 1) / kBlock;
  std::vector<Lanes> partial(blocks);
  std::vector<NearBlock> made(among_near ? 0 : blocks);
  std::vector<double*> out;
  if (!among_near) {
    // A block's near events go first to its own place (block x kBlock on), rows of kLanes: the
    // last block's may end up to kLanes - 1 past the events.
    if (near.values.empty())
      for (std::size_t a = 0; a < dims; ++a) near.values.push_back(detail::ValueBuffers::shared().take(n + kLanes));
    for (auto& v : near.values) out.push_back(v.data());
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 1), [&](const auto& r) {
    std::vector<const double*> x(dims);
    std::vector<double*> to(dims);
    for (std::size_t b = r.begin(); b < r.end(); ++b) {
      Lanes& lanes = partial[b];
      lanes.sums.assign(width * kLanes, 0.0);
      if (among_near) {
        const NearBlock& nb = near.blocks[b];
        for (std::size_t a = 0; a < dims; ++a) x[a] = near.values[a].data() + nb.offset;
        rows_within(x, nb.rows, nb.count.data(), mean.data(), inverse.data(), cut2, reach2, lanes, nullptr, nullptr);
        continue;
      }
      // Every event of the block: whole rows in place, the last few (fewer than kLanes) from a
      // copy padded with lanes that do not count.
      const std::size_t lo = b * kBlock, hi = std::min(n, lo + kBlock), whole = (hi - lo) / kLanes;
      NearBlock& nb = made[b];
      nb.block = b;
      for (std::size_t a = 0; a < dims; ++a) {
        x[a] = columns[a].data() + lo;
        to[a] = out[a] + lo;
      }
      std::int64_t all[kLanes];
      std::fill_n(all, kLanes, static_cast<std::int64_t>(whole));
      rows_within(x, whole, all, mean.data(), inverse.data(), cut2, reach2, lanes, to.data(), nb.count.data());
      if (const std::size_t rest = hi - lo - whole * kLanes; rest > 0) {
        std::vector<double> tail(dims * kLanes, 0.0);
        std::int64_t some[kLanes] = {};
        for (std::size_t a = 0; a < dims; ++a) {
          for (std::size_t j = 0; j < rest; ++j) tail[a * kLanes + j] = x[a][whole * kLanes + j];
          x[a] = tail.data() + a * kLanes;
        }
        for (std::size_t j = 0; j < rest; ++j) some[j] = 1;
        // Its near events go on where each lane's left off.
        rows_within(x, 1, some, mean.data(), inverse.data(), cut2, reach2, lanes, to.data(), nb.count.data());
      }
      // Lanes shorter than the longest are padded (the pad never counts).
      for (std::int64_t c : nb.count) nb.rows = std::max(nb.rows, static_cast<std::size_t>(c));
      for (std::size_t j = 0; j < kLanes; ++j)
        for (std::size_t t = static_cast<std::size_t>(nb.count[j]); t < nb.rows; ++t)
          for (std::size_t a = 0; a < dims; ++a) to[a][t * kLanes + j] = 0.0;
    }
  });
  WithinSums s;
  s.sums.assign(width, 0.0);
  for (const Lanes& lanes : partial) {
    s.count += lanes.count;
    for (std::size_t t = 0; t < width; ++t) {
      const double* l = lanes.sums.data() + t * kLanes;
      static_assert(kLanes == 8);
      s.sums[t] += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
    }
  }
  if (!among_near) {
    // Each block's near rows to their place after the blocks before it (blocks with none left out).
    std::size_t offset = 0;
    near.blocks.clear();
    for (NearBlock& nb : made) {
      if (nb.rows == 0) continue;
      const std::size_t from = nb.block * kBlock, size = nb.rows * kLanes;
      for (double* column : out) std::copy(column + from, column + from + size, column + offset);
      nb.offset = offset;
      offset += size;
      near.blocks.push_back(nb);
    }
    near.mean.assign(mean.begin(), mean.end());
    near.inverse.assign(inverse.begin(), inverse.end());
    near.reach2 = reach2;
    near.valid = true;
  }
  return s;
}

FoundGate ellipse(const FinderSpec& spec, const Finite& f, FinderReport report, const std::string& label) {
  const std::size_t dims = spec.dimensions.size();
  // Start: the highest density peak (2-D histogram for two dimensions, per-axis KDE otherwise),
  // or the given point.
  std::vector<double> mean(dims);
  if (spec.near && spec.near->size() != dims) throw Error(label + ": 'near' needs one value per dimension");
  // The start covariance's scale (below): two histogram bins, or each axis's KDE bandwidth.
  std::vector<double> start(dims);
  if (spec.near && dims != 2) {
    for (std::size_t d = 0; d < dims; ++d) mean[d] = on_scale(spec.dimensions[d], (*spec.near)[d]);
  } else if (dims == 2) {
    // The smoothed 2-D histogram's local maxima; the highest, or the one nearest `near`.
    const Histogram2D h = histogram2d(f, spec, label);
    double top = 0;
    cv::minMaxLoc(h.counts, nullptr, &top);
    cv::Mat grown;
    cv::dilate(h.counts, grown, cv::Mat::ones(3, 3, CV_8U));
    cv::Point at{-1, -1};
    double best = -1;
    std::vector<double> target;
    if (spec.near) target = {on_scale(spec.dimensions[0], (*spec.near)[0]), on_scale(spec.dimensions[1], (*spec.near)[1])};
    for (int r = 0; r < h.counts.rows; ++r)
      for (int c = 0; c < h.counts.cols; ++c) {
        const float v = h.counts.at<float>(r, c);
        // Local maxima; with `near`, only those of some height (not a ripple in a sparse corner).
        if (v < grown.at<float>(r, c) || v < (spec.near ? 0.05 : 0.01) * top) continue;
        double score = v;
        if (!target.empty()) {
          const double ex = (h.x0 + (c + 0.5) * h.dx - target[0]) / (h.dx * h.counts.cols);
          const double ey = (h.y0 + (r + 0.5) * h.dy - target[1]) / (h.dy * h.counts.rows);
          score = -std::hypot(ex, ey);
        }
        if (score > best || at.x < 0) {
          best = score;
          at = {c, r};
        }
      }
    mean = {h.x0 + (at.x + 0.5) * h.dx, h.y0 + (at.y + 0.5) * h.dy};
    start = {2 * h.dx, 2 * h.dy};
  } else {
    for (std::size_t d = 0; d < dims; ++d) {
      const Density k = detail::kernel_density(f.columns[d], spec.adjust, label);
      mean[d] = k.at(detail::density_peaks(k, spec.min_peak).at(0));
      start[d] = k.bandwidth;
    }
  }
  // Start covariance: narrow, on the peak only (two histogram bins, or the KDE bandwidth); the
  // iterations below widen it to the population's own spread.
  std::vector<double> cov(dims * dims, 0.0);
  {
    if (spec.near && dims != 2)  // no density was needed for the start point
      for (std::size_t d = 0; d < dims; ++d) start[d] = detail::kernel_density(f.columns[d], spec.adjust, label).bandwidth;
    for (std::size_t d = 0; d < dims; ++d) {
      if (!(start[d] > 0)) throw Error(label + ": " + spec.dimensions[d].label() + " has no spread around the peak");
      cov[d * dims + d] = start[d] * start[d];
    }
  }
  const double cut2 = spec.distance * spec.distance;
  // Variance of a standard normal truncated to the cut's chi-square ball, per dimension: the
  // factor that turns the covariance of the kept events back into the population's.
  auto truncation_factor = [&](double r2) {
    // For 1 and 2 dimensions in closed form; more dimensions use the 2-D value (approximate).
    if (dims == 1) {
      const double r = std::sqrt(r2);
      const double phi = std::exp(-0.5 * r2) / std::sqrt(2 * M_PI);
      const double mass = std::erf(r / std::sqrt(2.0));
      return 1 - 2 * r * phi / mass;
    }
    const double e = std::exp(-0.5 * r2);
    return (1 - e * (1 + 0.5 * r2)) / (1 - e);
  };
  std::size_t kept = 0;
  Neighbourhood near;
  for (int iter = 0; iter < 30; ++iter) {
    const auto inverse = invert_matrix(cov, dims);
    if (!inverse) throw Error(label + ": the peak's covariance is singular (the values lie on a line)");
    const WithinSums within = sums_within(f.columns, mean, cov, *inverse, cut2, near);
    kept = within.count;
    if (kept < std::max<std::size_t>(spec.min_events / 2, dims + 2))
      throw Error(label + ": only " + std::to_string(kept) + " events around the peak: no ellipse can be fitted");
    std::vector<double> next_mean(dims), next_cov(dims * dims);
    for (std::size_t a = 0; a < dims; ++a) next_mean[a] = within.sums[a] / static_cast<double>(kept);
    const double factor = truncation_factor(cut2);
    for (std::size_t a = 0, t = dims; a < dims; ++a)
      for (std::size_t b = a; b < dims; ++b, ++t) {
        const double c = (within.sums[t] / static_cast<double>(kept) - next_mean[a] * next_mean[b]) / factor;
        next_cov[a * dims + b] = next_cov[b * dims + a] = c;
      }
    double change = 0;
    for (std::size_t a = 0; a < dims; ++a) change = std::max(change, std::abs(next_mean[a] - mean[a]) / std::sqrt(next_cov[a * dims + a]));
    mean = std::move(next_mean);
    cov = std::move(next_cov);
    if (change < 1e-4 && iter > 3) break;
  }
  EllipsoidGate g;
  g.dimensions = spec.dimensions;
  g.mean = mean;
  g.covariance = cov;
  g.distance_square = cut2;
  report.centre_x = mean[0];
  report.centre_y = dims > 1 ? mean[1] : 0;
  report.peaks = mean;
  return {std::move(g), std::move(report)};
}

}  // namespace

std::string_view to_string(FinderMethod method) {
  switch (method) {
    case FinderMethod::Cells: return "cells";
    case FinderMethod::Singlets: return "singlets";
    case FinderMethod::Valley: return "valley";
    case FinderMethod::Tail: return "tail";
    case FinderMethod::Quantile: return "quantile";
    case FinderMethod::Ellipse: return "ellipse";
    case FinderMethod::ControlPercentile: return "control_percentile";
  }
  return "?";
}

bool pooled(const FinderSpec& spec) {
  return !spec.pool.empty() || !spec.control.empty() || spec.method == FinderMethod::ControlPercentile;
}

double on_scale(const Dimension& dimension, double channel_value) {
  const double v = dimension.scale.transform.apply(channel_value);
  return std::clamp(v, dimension.scale.bound_min, dimension.scale.bound_max);
}

Gate placeholder_gate(const FinderSpec& spec) {
  switch (spec.method) {
    case FinderMethod::Cells:
    case FinderMethod::Singlets: {
      PolygonGate g;
      g.dimensions = {spec.dimensions.at(0), spec.dimensions.at(1)};
      const double big = 1e100;
      g.vertices = {{-big, -big}, {big, -big}, {big, big}, {-big, big}};
      return g;
    }
    case FinderMethod::Ellipse: {
      const std::size_t n = spec.dimensions.size();
      EllipsoidGate g;
      g.dimensions = spec.dimensions;
      g.mean.assign(n, 0.0);
      g.covariance.assign(n * n, 0.0);
      for (std::size_t i = 0; i < n; ++i) g.covariance[i * n + i] = 1e100;
      g.distance_square = 1e100;
      return g;
    }
    default: {
      RectangleGate g;
      g.dimensions = {spec.dimensions.at(0)};
      g.intervals = {Interval{-kUnbounded, std::nullopt}};
      return g;
    }
  }
}

FoundGate find_gate(const FinderSpec& spec, std::span<const std::span<const double>> values, const std::string& label) {
  std::size_t dims = 1;
  if (spec.method == FinderMethod::Cells || spec.method == FinderMethod::Singlets) dims = 2;
  if (spec.method == FinderMethod::Ellipse) dims = spec.dimensions.size();
  if (spec.dimensions.size() != dims)
    throw Error(label + ": the " + std::string(to_string(spec.method)) + " finder needs " + std::to_string(dims) +
                " dimension(s)");
  const Finite f = finite_rows(values, dims, label);
  FinderReport report;
  report.method = spec.method;
  for (const auto& d : spec.dimensions) report.dimensions.push_back(d.label());
  report.events = f.size();
  report.ignored = f.ignored;
  if (spec.absent_below > 0 && f.size() < spec.absent_below) {
    if (dims != 1) throw Error(label + ": absent_below is for 1-D finders");
    // Absent: an empty range, placed at the parent's lowest value (or 0) so it is drawn in range.
    const double at = f.size() ? *std::min_element(f.columns[0].begin(), f.columns[0].end()) : 0.0;
    RectangleGate empty;
    empty.dimensions = {spec.dimensions.at(0)};
    empty.intervals = {Interval{at, at}};
    report.cut = at;
    report.fallback = "absent: " + std::to_string(f.size()) + " events in the parent, fewer than absent_below (" +
                      std::to_string(spec.absent_below) + "): the gate holds none";
    return {std::move(empty), std::move(report)};
  }
  require_events(f, spec, label);
  switch (spec.method) {
    case FinderMethod::Valley: return valley(spec, f, std::move(report), label);
    case FinderMethod::Tail: return tail(spec, f, std::move(report), label);
    case FinderMethod::Quantile: return quantile(spec, f, std::move(report), label);
    case FinderMethod::Cells: return cells(spec, f, std::move(report), label);
    case FinderMethod::Singlets: return singlets(spec, f, std::move(report), label);
    case FinderMethod::Ellipse: return ellipse(spec, f, std::move(report), label);
    case FinderMethod::ControlPercentile: return control_percentile(spec, f, std::move(report), label);
  }
  throw Error(label + ": unknown finder");
}

}  // namespace cytopipe::gating
