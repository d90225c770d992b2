#pragma once
// The in-memory FCS data set: metadata plus events in column-major per-channel arrays.
// Standard library only (this is libfcs's public model).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cytopipe/error.hpp"

namespace cytopipe::fcs {

// What kind of fault made a file unreadable; matches the corpus reference's `error_kind`.
enum class FcsErrorKind {
  NotFcs,               // not an FCS file (bad magic / version)
  Truncated,            // a segment lies past the end of the file
  UnsupportedMode,      // $MODE other than L
  OffsetsInconsistent,  // HEADER and TEXT data offsets disagree and neither fits $TOT
  TotMismatch,          // events read != $TOT
  BadKeyword,           // a required keyword missing or malformed
  Other,
};
std::string_view to_string(FcsErrorKind kind);

class FcsError : public Error {
 public:
  FcsError(FcsErrorKind kind, std::string message, ErrorContext context = {})
      : Error(std::move(message), std::move(context)), kind_(kind) {}
  FcsErrorKind kind() const noexcept { return kind_; }

 private:
  FcsErrorKind kind_;
};

enum class DataType : char { Integer = 'I', Float = 'F', Double = 'D', Ascii = 'A' };

// One $Pn parameter, as written in TEXT (values after the read rules are in the EventMatrix).
struct Channel {
  int index = 0;                  // n in $PnN, 1-based
  std::string name;               // $PnN trimmed; duplicates get -1, -2 suffixes
  std::string marker;             // $PnS trimmed; empty = none
  // Other names the channel is found by (Sample::find_channel), e.g. the marker a pipeline panel
  // gives it ("BCMA" for PE-A); $PnN stays as the file has it.
  std::vector<std::string> aliases;
  int bits = 0;                   // $PnB
  double range = 0;               // $PnR as written
  double log_decades = 0;         // $PnE f1 (0 = linear)
  double log_offset = 0;          // $PnE f2 as written (0 is read as 1 when linearising)
  std::optional<double> gain;     // $PnG
  std::optional<double> voltage;  // $PnV
  bool linearised = false;        // this read turned log-amplified integers into linear values
  bool gain_applied = false;      // this read divided the values by $PnG
};

// TEXT keywords in file order; lookups are case-insensitive, names trimmed, values right-trimmed.
class Keywords {
 public:
  struct Entry {
    std::string name;
    std::string value;
  };
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  std::optional<std::string_view> find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }
  // Replaces the value of an existing keyword (keeping its position) or appends a new one.
  void set(std::string_view name, std::string value);
  void erase(std::string_view name);
  // Appends unless the name is already present (the first occurrence of a keyword wins, as in
  // flowCore); returns whether it was added.
  bool add_if_absent(std::string_view name, std::string value);

 private:
  std::optional<std::size_t> position(std::string_view name) const;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // upper-cased name -> entry
};

// A spillover (or spectrum) matrix: row i = how fluorochrome i spills into each detector.
struct Spillover {
  std::string keyword;                   // as spelled in the file ("SPILL", "$SPILLOVER", ...)
  std::vector<std::string> detectors;    // column names ($PnN)
  std::vector<std::string> fluorochromes;  // row names; equal to detectors for a square matrix
  std::vector<double> values;            // row-major, fluorochromes.size() x detectors.size()
  std::size_t rows() const noexcept { return fluorochromes.size(); }
  std::size_t cols() const noexcept { return detectors.size(); }
  double at(std::size_t row, std::size_t col) const { return values[row * cols() + col]; }
};

// Events x channels, column-major: each channel is one contiguous array of doubles.
class EventMatrix {
 public:
  EventMatrix() = default;
  // Storage is left uninitialised (decoders overwrite every value); a large matrix may reuse the
  // memory of one released earlier, so never rely on zeros.
  EventMatrix(std::size_t events, std::size_t channels);
  std::size_t events() const noexcept { return events_; }
  std::size_t channels() const noexcept { return channels_; }
  std::span<double> column(std::size_t c) noexcept { return {data_.get() + c * events_, events_}; }
  std::span<const double> column(std::size_t c) const noexcept {
    return {data_.get() + c * events_, events_};
  }
  double* data() noexcept { return data_.get(); }
  const double* data() const noexcept { return data_.get(); }
  EventMatrix clone() const;

 private:
  // Large matrices are mapped on transparent huge pages (far fewer page faults on first touch);
  // small ones come from the heap. mapped_bytes > 0 marks a mapping.
  struct Release {
    std::size_t mapped_bytes;  // no initialiser: unique_ptr value-initialises it (to 0)
    void operator()(double* data) const noexcept;
  };
  std::size_t events_ = 0;
  std::size_t channels_ = 0;
  std::unique_ptr<double[], Release> data_;
};

// Where one data set sits in a file ($NEXTDATA chain entry).
struct DataSetInfo {
  std::size_t index = 0;  // 0-based position in the chain
  std::uint64_t offset = 0;  // absolute byte offset of its HEADER
  std::string version;    // "FCS3.1"
  std::uint64_t tot = 0;  // $TOT as written (0 when absent or unreadable)
};

// One data set read from an FCS file (FlowKit's "Sample").
struct Sample {
  std::string source;              // the file path (or a name given for in-memory bytes)
  std::string version;             // "FCS2.0", "FCS3.0", "FCS3.1", "FCS3.2"
  DataType datatype = DataType::Float;
  std::size_t dataset_index = 0;   // which data set of the file this is (0-based)
  std::vector<DataSetInfo> datasets;  // every data set of the file
  Keywords keywords;               // primary + supplemental TEXT (+ ANALYSIS), always UTF-8
  std::string text_encoding = "UTF-8";  // how the file's keywords were decoded: "UTF-8" or "Latin-1"
  std::vector<Channel> channels;
  std::optional<Spillover> spillover;
  std::string spillover_error;     // why a present spillover keyword could not be parsed
  EventMatrix events;              // after the read rules (see ReadOptions::values)
  std::size_t event_total = 0;     // events in the DATA segment (set by metadata-only reads too)
  std::vector<std::string> notices;  // non-fatal oddities found while reading

  std::size_t event_count() const noexcept { return events.events(); }
  // Index of the channel with this $PnN or alias: exact match first (an alias before a $PnN, as
  // a panel that swaps two names means), then case-insensitive.
  std::optional<std::size_t> find_channel(std::string_view name) const;
  // As find_channel, but a missing channel is an Error that lists the channels the file has.
  std::size_t channel_index(std::string_view name) const;
  // "FSC-A, PE-A (BCMA), ...": every channel with its aliases, for messages.
  std::string channel_list() const;
  std::span<const double> values(std::string_view channel) const {
    return events.column(channel_index(channel));
  }
};

}  // namespace cytopipe::fcs
