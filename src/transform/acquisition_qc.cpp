// Acquisition QC: equal time bins, each judged against the file's typical bin by robust z scores
// of its event rate and of its channel levels (see acquisition_qc.hpp).
#include "cytopipe/transform/acquisition_qc.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

#include "cytopipe/base/number_text.hpp"

namespace cytopipe::transform {
namespace {

// 1.4826 x MAD estimates the SD of normal data.
constexpr double kMadToSd = 1.4826;
constexpr std::size_t kMinBins = 5;
// Automatic bins: one per kEventsPerBin events (a bin mean of 250 events is precise to 1/16 of
// the channel's SD), at least 10, at most 200.
constexpr std::size_t kEventsPerBin = 250;
// Channel levels are means of asinh(value / kDriftCofactor): about ln(2 x value / 150) for bright
// values (a voltage or gain step is a shift there), linear around 0 (negative values count).
// Means rather than medians, because a median of a channel with two populations jumps from one
// to the other when their shares in a bin change a little.
constexpr double kDriftCofactor = 150;
constexpr double kInverseCofactor = 1 / kDriftCofactor;
// A clock whose step is below 1/kContinuousSteps of a bin is treated as continuous; a coarser one
// gets bins of whole steps, at least kMinStepsPerBin (the first and last step are seen in part).
constexpr double kContinuousSteps = 1000;
constexpr double kMinStepsPerBin = 10;

// asinh(y) = ln(|y| + sqrt(y^2 + 1)) with the sign of y, the logarithm from the exponent and an
// odd series of the mantissa (ln m = 2 atanh((m - 1) / (m + 1)), five terms, error below 1e-6):
// a few times faster than std::asinh, and QC levels need no more digits.
double fast_asinh(double y) {
  const double s = std::abs(y);
  const double v = s + std::sqrt(s * s + 1);  // >= 1
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  bits = (bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  double m;
  std::memcpy(&m, &bits, sizeof m);  // [1, 2)
  const double t = (m - 1) / (m + 1), t2 = t * t;
  const double ln_m = t * (2 + t2 * (2.0 / 3 + t2 * (2.0 / 5 + t2 * (2.0 / 7 + t2 * (2.0 / 9)))));
  const double out = exponent * 0.6931471805599453 + ln_m;
  return y < 0 ? -out : out;
}

// R type-7 quantile of values (reordered).
double quantile(std::vector<double>& v, double p) {
  if (v.empty()) return std::nan("");
  const double h = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size() || h == static_cast<double>(lo)) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (h - static_cast<double>(lo)) * (b - a);
}

double median(std::vector<double> v) { return quantile(v, 0.5); }

double mad_sd(const std::vector<double>& v, double centre) {
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::abs(x - centre));
  return kMadToSd * median(std::move(dev));
}

std::string number(double v) { return format_number(v, kGateNumber); }
std::string seconds(double v, bool known) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return std::string(buf) + (known ? " s" : " Time units");
}

AcquisitionQc not_checked(AcquisitionQc qc, std::string reason) {
  qc.verdict = QcVerdict::NotChecked;
  qc.reason = "not checked: " + std::move(reason);
  qc.bins.clear();
  qc.drift.clear();
  qc.flagged_events = 0;
  return qc;
}

// "4 bins, 12.5-16.3 s, 3.1 % of events"
std::string describe(const AcquisitionQc& qc, const std::vector<std::size_t>& bins) {
  std::size_t events = 0;
  for (auto b : bins) events += qc.bins[b].events;
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.3g", 100.0 * static_cast<double>(events) / static_cast<double>(qc.events));
  return std::to_string(bins.size()) + (bins.size() == 1 ? " bin" : " bins") + " between " +
         seconds(qc.bins[bins.front()].start, qc.timestep_known) + " and " +
         seconds(qc.bins[bins.back()].end, qc.timestep_known) + ", " + pct + " % of events";
}

// Bins whose |z| exceeds the threshold (and whose `meaningful` holds), each run of them grown into
// its neighbours while their z is beyond half the threshold on the same side: a fault that starts
// or ends inside a bin moves that bin only in part.
std::vector<std::uint8_t> flag_runs(const std::vector<double>& z, double threshold,
                                    const std::function<bool(std::size_t, double)>& meaningful) {
  const std::size_t n = z.size();
  std::vector<std::uint8_t> flagged(n, 0);
  for (std::size_t b = 0; b < n; ++b)
    if (std::abs(z[b]) > threshold && meaningful(b, 1.0)) flagged[b] = 1;
  auto grow = [&](std::size_t from, std::size_t to) {
    if (!flagged[from] || flagged[to]) return false;
    const bool same_side = (z[to] > 0) == (z[from] > 0);
    if (!same_side || !(std::abs(z[to]) > threshold / 2) || !meaningful(to, 0.5)) return false;
    flagged[to] = 1;
    return true;
  };
  for (std::size_t b = 1; b < n; ++b) grow(b - 1, b);  // rightwards
  for (std::size_t b = n; b-- > 1;) grow(b, b - 1);    // leftwards
  return flagged;
}

void judge_rate(AcquisitionQc& qc, const QcOptions& options) {
  std::vector<double> rates;
  rates.reserve(qc.bins.size());
  for (auto& b : qc.bins) {
    b.rate = static_cast<double>(b.events) / (b.end - b.start);
    rates.push_back(b.rate);
  }
  qc.typical_rate = median(rates);
  qc.rate_spread = mad_sd(rates, qc.typical_rate);
  for (auto& b : qc.bins) {
    // Counts are at least Poisson-noisy: never judge against a spread below that.
    const double width = b.end - b.start;
    const double expected = qc.typical_rate * width;
    const double sd = std::max(qc.rate_spread * width, std::sqrt(std::max(expected, 1.0)));
    b.rate_z = (static_cast<double>(b.events) - expected) / sd;
  }
  std::vector<double> z;
  for (const auto& b : qc.bins) z.push_back(b.rate_z);
  const auto flagged = flag_runs(z, options.rate_threshold, [](std::size_t, double) { return true; });
  for (std::size_t b = 0; b < qc.bins.size(); ++b)
    if (flagged[b]) qc.bins[b].flags |= kQcRate;
}

void judge_drift(AcquisitionQc& qc, std::span<const QcChannel> channels, const QcOptions& options) {
  const std::size_t nbins = qc.bins.size();
  qc.drift.resize(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    qc.drift[c].channel = channels[c].name;
    qc.drift[c].levels.assign(nbins, std::nan(""));
    qc.drift[c].flagged.assign(nbins, 0);
  }
  std::vector<std::vector<std::size_t>> finite_counts(channels.size(), std::vector<std::size_t>(nbins, 0));
  // Every (channel, bin) level in parallel, one pass over the values; the channel's file-wide SD
  // from the bins' sums, taken about the channel's first finite value (no cancellation for a
  // channel that barely varies).
  std::vector<double> sums(channels.size() * nbins, 0), squares(channels.size() * nbins, 0);
  std::vector<double> offset(channels.size(), 0);
  for (std::size_t c = 0; c < channels.size(); ++c)
    for (double v : channels[c].values)
      if (std::isfinite(v)) {
        offset[c] = fast_asinh(v * kInverseCofactor);
        break;
      }
  tbb::parallel_for(std::size_t{0}, channels.size() * nbins, [&](std::size_t k) {
    const std::size_t c = k / nbins, b = k % nbins;
    const auto values = channels[c].values;
    const std::size_t from = qc.bins[b].first_event, to = from + qc.bins[b].events;
    double sum = 0, sum2 = 0;
    std::size_t n = 0;
    for (std::size_t i = from; i < to; ++i) {
      if (!std::isfinite(values[i])) continue;
      const double y = fast_asinh(values[i] * kInverseCofactor) - offset[c];
      sum += y;
      sum2 += y * y;
      ++n;
    }
    finite_counts[c][b] = n;
    sums[k] = sum;
    squares[k] = sum2;
    if (n) qc.drift[c].levels[b] = offset[c] + sum / static_cast<double>(n);
  });
  for (std::size_t c = 0; c < channels.size(); ++c) {
    double sum = 0, sum2 = 0, n = 0;
    for (std::size_t b = 0; b < nbins; ++b) {
      sum += sums[c * nbins + b];
      sum2 += squares[c * nbins + b];
      n += static_cast<double>(finite_counts[c][b]);
    }
    const double mean = n > 0 ? sum / n : 0;
    qc.drift[c].file_sd = n > 1 ? std::sqrt(std::max(0.0, (sum2 - n * mean * mean) / (n - 1))) : 0;
  }
  for (std::size_t c = 0; c < channels.size(); ++c) {
    auto& d = qc.drift[c];
    std::vector<double> levels;
    for (double m : d.levels)
      if (std::isfinite(m)) levels.push_back(m);
    if (levels.empty() || !(d.file_sd > 0)) continue;  // a constant or empty channel cannot drift
    d.reference = median(levels);
    d.spread = mad_sd(levels, d.reference);
    std::vector<double> z(nbins, std::nan(""));
    for (std::size_t b = 0; b < nbins; ++b) {
      if (!std::isfinite(d.levels[b])) continue;
      // A bin mean of n values is never more precise than SD / sqrt(n).
      const double floor = d.file_sd / std::sqrt(static_cast<double>(finite_counts[c][b]));
      z[b] = (d.levels[b] - d.reference) / std::max(d.spread, floor);
    }
    d.flagged = flag_runs(z, options.drift_threshold, [&](std::size_t b, double part) {
      return std::abs(d.levels[b] - d.reference) >= part * options.drift_min_shift * d.file_sd;
    });
    // A drift lasts: a lone flagged bin must be 1.5 x beyond the threshold (with a few hundred
    // bins and channels, one bin beyond 4 robust SDs in a stable file is not rare; a burst of
    // debris or a bubble moves a single bin that far).
    for (std::size_t b = 0; b < nbins; ++b) {
      const bool lone = d.flagged[b] && (b == 0 || !d.flagged[b - 1]) && (b + 1 == nbins || !d.flagged[b + 1]);
      if (lone && !(std::abs(z[b]) > 1.5 * options.drift_threshold)) d.flagged[b] = 0;
    }
    for (std::size_t b = 0; b < nbins; ++b)
      if (d.flagged[b]) {
        qc.bins[b].flags |= kQcDrift;
        ++d.flagged_bins;
      }
  }
}

std::string reasons(const AcquisitionQc& qc, const QcOptions& options) {
  std::string text;
  std::vector<std::size_t> rate_bins;
  for (std::size_t b = 0; b < qc.bins.size(); ++b)
    if (qc.bins[b].flags & kQcRate) rate_bins.push_back(b);
  if (!rate_bins.empty())
    text += "flow rate beyond " + number(options.rate_threshold) + " robust SD in " + describe(qc, rate_bins);
  for (std::size_t c = 0; c < qc.drift.size(); ++c) {
    const auto& d = qc.drift[c];
    if (!d.flagged_bins) continue;
    std::vector<std::size_t> bins;
    for (std::size_t b = 0; b < qc.bins.size(); ++b)
      if (d.flagged[b]) bins.push_back(b);
    if (bins.empty()) continue;
    text += (text.empty() ? "" : "; ") + ("drift of " + d.channel + " in " + describe(qc, bins));
  }
  return text;
}

}  // namespace

std::string_view to_string(QcVerdict verdict) {
  switch (verdict) {
    case QcVerdict::Pass: return "pass";
    case QcVerdict::Flagged: return "flagged";
    case QcVerdict::Fail: return "fail";
    case QcVerdict::NotChecked: return "not checked";
  }
  return "not checked";
}

std::optional<std::size_t> find_time_channel(const fcs::Sample& sample) {
  for (std::size_t c = 0; c < sample.channels.size(); ++c) {
    const auto& name = sample.channels[c].name;
    if (name.size() == 4 && std::equal(name.begin(), name.end(), "time", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        }))
      return c;
  }
  return std::nullopt;
}

AcquisitionQc check_acquisition(std::span<const double> time, std::optional<double> timestep,
                                std::span<const QcChannel> channels, const QcOptions& options) {
  AcquisitionQc qc;
  qc.events = time.size();
  if (timestep && std::isfinite(*timestep) && *timestep > 0) {
    qc.timestep = *timestep;
    qc.timestep_known = true;
  }
  for (const auto& ch : channels)
    if (ch.values.size() != time.size())
      return not_checked(std::move(qc), "channel " + ch.name + " has " + std::to_string(ch.values.size()) +
                                            " values for " + std::to_string(time.size()) + " events");
  if (time.empty()) return not_checked(std::move(qc), "no events");
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (!std::isfinite(time[i]))
      return not_checked(std::move(qc), "Time is not a finite number at event " + std::to_string(i + 1));
    if (i && time[i] < time[i - 1])
      return not_checked(std::move(qc), "Time goes backwards at event " + std::to_string(i + 1) + " (" +
                                            number(time[i]) + " after " + number(time[i - 1]) +
                                            "): not one continuous acquisition");
  }
  const double t0 = time.front(), span = time.back() - t0;
  if (!(span > 0)) return not_checked(std::move(qc), "all " + std::to_string(time.size()) + " events have the same Time");

  // The clock's step: the smallest difference between successive distinct times. Bins cover
  // [first - step/2, last + step/2]; on a coarse clock they hold whole steps (at least
  // kMinStepsPerBin), so no bin gets one step more than its neighbour.
  double step = span;
  for (std::size_t i = 1; i < time.size(); ++i)
    if (const double d = time[i] - time[i - 1]; d > 0 && d < step) step = d;
  const double total = span + step;
  double nbins_wanted;
  if (options.bin_seconds > 0) nbins_wanted = std::round(total * qc.timestep / options.bin_seconds);
  else if (options.bins > 0) nbins_wanted = static_cast<double>(options.bins);
  else nbins_wanted = static_cast<double>(std::clamp<std::size_t>(time.size() / kEventsPerBin, 10, 200));
  double width = total / std::max(nbins_wanted, 1.0);  // Time units
  if (width / step < kContinuousSteps) {
    const double steps = std::max(kMinStepsPerBin, std::round(width / step));
    width = steps * step;
    nbins_wanted = std::floor(total / width + 1e-9);
    if (nbins_wanted < static_cast<double>(kMinBins))
      return not_checked(std::move(qc), "Time takes only " + number(std::round(total / step)) + " clock steps (of " +
                                            number(step) + "): too coarse for " + std::to_string(kMinBins) +
                                            " bins of " + number(steps) + " steps");
  }
  if (nbins_wanted < static_cast<double>(kMinBins))
    return not_checked(std::move(qc), "the acquisition (" + seconds(total * qc.timestep, qc.timestep_known) +
                                          ") holds fewer than " + std::to_string(kMinBins) + " bins");
  if (static_cast<double>(time.size()) / nbins_wanted < static_cast<double>(options.min_bin_events))
    return not_checked(std::move(qc), std::to_string(time.size()) + " events in " + number(nbins_wanted) +
                                          " bins: fewer than " + std::to_string(options.min_bin_events) +
                                          " events per bin");
  const auto nbins = static_cast<std::size_t>(nbins_wanted);
  qc.bins.resize(nbins);
  std::size_t first = 0;
  const double origin = t0 - step / 2;
  for (std::size_t b = 0; b < nbins; ++b) {
    auto& bin = qc.bins[b];
    const bool last = b + 1 == nbins;  // takes what is left (less than a bin more on a coarse clock)
    bin.start = static_cast<double>(b) * width * qc.timestep;
    bin.end = (last ? total : static_cast<double>(b + 1) * width) * qc.timestep;
    const std::size_t end =
        last ? time.size()
             : static_cast<std::size_t>(std::lower_bound(time.begin() + static_cast<std::ptrdiff_t>(first), time.end(),
                                                         origin + static_cast<double>(b + 1) * width) -
                                        time.begin());
    bin.first_event = first;
    bin.events = end - first;
    first = end;
  }
  judge_rate(qc, options);
  judge_drift(qc, channels, options);

  for (const auto& b : qc.bins)
    if (b.flagged()) qc.flagged_events += b.events;
  const bool any = std::any_of(qc.bins.begin(), qc.bins.end(), [](const QcBin& b) { return b.flagged(); });
  if (!any) {
    qc.verdict = QcVerdict::Pass;
    return qc;
  }
  qc.reason = reasons(qc, options);
  if (qc.flagged_fraction() > options.max_flagged_fraction) {
    qc.verdict = QcVerdict::Fail;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.3g", 100.0 * qc.flagged_fraction());
    qc.reason = std::string(pct) + " % of events in flagged bins (more than " + number(100 * options.max_flagged_fraction) +
                " %): no stable majority, nothing removed; " + qc.reason;
  } else {
    qc.verdict = QcVerdict::Flagged;
  }
  return qc;
}

AcquisitionQc check_acquisition(const fcs::Sample& sample, const QcOptions& options) {
  const auto t = find_time_channel(sample);
  std::vector<QcChannel> channels;
  for (const auto& name : options.channels) {
    const auto c = sample.channel_index(name);  // an Error listing the channels when missing
    channels.push_back({name, sample.events.column(c)});
  }
  if (!t) {
    AcquisitionQc qc;
    qc.events = sample.event_count();
    return not_checked(std::move(qc), "no Time channel");
  }
  std::optional<double> timestep;
  if (const auto text = sample.keywords.find("$TIMESTEP")) {
    double v = 0;
    std::string s(*text);
    s.erase(0, s.find_first_not_of(' '));
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end != s.data()) timestep = v;
  }
  auto qc = check_acquisition(sample.events.column(*t), timestep, channels, options);
  qc.time_channel = sample.channels[*t].name;
  return qc;
}

void remove_flagged(fcs::Sample& sample, AcquisitionQc& qc) {
  qc.removed_events = 0;
  if (qc.verdict != QcVerdict::Flagged || qc.flagged_events == 0) return;
  if (qc.events != sample.event_count())
    throw Error("acquisition QC of " + std::to_string(qc.events) + " events applied to a sample of " +
                    std::to_string(sample.event_count()),
                {sample.source, "", 0, 0});
  const std::size_t kept = qc.events - qc.flagged_events;
  fcs::EventMatrix out(kept, sample.events.channels());
  tbb::parallel_for(std::size_t{0}, sample.events.channels(), [&](std::size_t c) {
    const auto from = sample.events.column(c);
    double* to = out.column(c).data();
    for (const auto& b : qc.bins) {
      if (b.flagged() || b.events == 0) continue;
      std::memcpy(to, from.data() + b.first_event, b.events * sizeof(double));
      to += b.events;
    }
  });
  sample.events = std::move(out);
  qc.removed_events = qc.flagged_events;
}

}  // namespace cytopipe::transform
