#pragma once
// Acquisition QC from the Time channel (in the spirit of flowAI / PeacoQC, with a method of its
// own): the acquisition is cut into equal time bins; a bin whose event rate, or whose level of a
// chosen channel (the mean of asinh(value / 150) over the bin's events), lies further from the
// file's typical bin than a threshold in robust SDs is flagged. The events of flagged bins can then be removed before gating. Usable alone:
//
//   auto qc = transform::check_acquisition(sample, {.channels = {"FSC-A", "CD3"}});
//   if (qc.verdict == transform::QcVerdict::Flagged) transform::remove_flagged(sample, qc);
//
// A file without a Time channel, with too few events, with a time that goes backwards or is not
// a number gets the verdict NotChecked and a reason; nothing is removed from it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::transform {

struct QcOptions {
  // Bin width in seconds (in Time units when the file has no $TIMESTEP); 0 = use `bins`.
  double bin_seconds = 0;
  // Number of bins; 0 = automatic: one bin per 250 events, at least 10 and at most 200.
  std::size_t bins = 0;
  // Bins must hold at least this many events on average, else the file is not checked (a rate
  // or level from a handful of events says nothing).
  std::size_t min_bin_events = 20;
  // A bin's event rate further than this many robust SDs from the typical rate is flagged (and
  // its neighbours beyond half as many on the same side: a clog starts inside a bin).
  double rate_threshold = 4;
  // A bin's channel level further than this many robust SDs (of the bin levels, never below
  // their sampling error) from the typical bin level is flagged ...
  double drift_threshold = 4;
  // ... when the shift is also at least this fraction of the channel's SD over the whole file
  // (on the same asinh scale; a shift far below the spread of the events moves no gate).
  double drift_min_shift = 0.2;
  // Channels checked for drift ($PnN or alias); none = the flow rate only.
  std::vector<std::string> channels;
  // More than this fraction of the events in flagged bins: verdict Fail (no stable majority to
  // judge against, so nothing is removed).
  double max_flagged_fraction = 0.5;
};

enum class QcVerdict { Pass, Flagged, Fail, NotChecked };
std::string_view to_string(QcVerdict verdict);  // pass, flagged, fail, not checked

// Why a bin was flagged (bits of QcBin::flags).
inline constexpr std::uint8_t kQcRate = 1;
inline constexpr std::uint8_t kQcDrift = 2;

struct QcBin {
  double start = 0, end = 0;       // seconds (Time units without $TIMESTEP) since the first event
  std::size_t first_event = 0;     // the bin's events are [first_event, first_event + events)
  std::size_t events = 0;
  double rate = 0;                 // events per second (per Time unit)
  double rate_z = 0;               // signed, in robust SDs
  std::uint8_t flags = 0;          // kQcRate | kQcDrift
  bool flagged() const noexcept { return flags != 0; }
};

struct QcChannelDrift {
  std::string channel;
  // Levels are means of asinh(value / 150) over the finite values.
  std::vector<double> levels;      // per bin (NaN: no finite value in the bin)
  double reference = 0;            // median of the bin levels
  double spread = 0;               // robust SD (1.4826 MAD) of the bin levels
  double file_sd = 0;              // SD of the channel's asinh values over the file
  std::vector<std::uint8_t> flagged;  // per bin: 1 = this channel flagged it
  std::size_t flagged_bins = 0;
};

struct AcquisitionQc {
  QcVerdict verdict = QcVerdict::NotChecked;
  std::string reason;              // empty for Pass
  std::string time_channel;        // empty when none was found
  double timestep = 1;             // seconds per Time unit ($TIMESTEP)
  bool timestep_known = false;     // false: rates are per Time unit
  std::size_t events = 0;
  std::vector<QcBin> bins;
  double typical_rate = 0;         // median bin rate
  double rate_spread = 0;          // robust SD of the bin rates
  std::vector<QcChannelDrift> drift;
  std::size_t flagged_events = 0;  // events in flagged bins
  std::size_t removed_events = 0;  // set by remove_flagged

  double flagged_fraction() const noexcept {
    return events ? static_cast<double>(flagged_events) / static_cast<double>(events) : 0.0;
  }
  double removed_fraction() const noexcept {
    return events ? static_cast<double>(removed_events) / static_cast<double>(events) : 0.0;
  }
};

// The Time channel: the first whose $PnN is "time" in any case; none without one.
std::optional<std::size_t> find_time_channel(const fcs::Sample& sample);

// A channel's values for the drift check.
struct QcChannel {
  std::string name;
  std::span<const double> values;  // one per event
};

// The check on plain columns: `time` in Time units, `timestep` seconds per unit (nullopt: not
// known, rates per unit). Never throws for bad values: they give NotChecked with the reason.
AcquisitionQc check_acquisition(std::span<const double> time, std::optional<double> timestep,
                                std::span<const QcChannel> channels, const QcOptions& options = {});

// The check on a sample: its Time channel, $TIMESTEP, and options.channels found by $PnN or
// alias (a channel the sample lacks is an Error listing the sample's channels).
AcquisitionQc check_acquisition(const fcs::Sample& sample, const QcOptions& options = {});

// Removes the events of flagged bins from the sample (verdict Flagged only; Pass, Fail and
// NotChecked leave it as it is) and records how many in qc.removed_events.
void remove_flagged(fcs::Sample& sample, AcquisitionQc& qc);

}  // namespace cytopipe::transform
