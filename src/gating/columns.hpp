#pragma once
// The values a sample offers to gates: each distinct (compensation, channel or ratio, scale)
// column is computed once per sample and shared by every gate that reads it.
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/transform/compensation.hpp"

namespace cytopipe::gating {

// A computed (ratio or scaled) column. Uninitialised event-length storage (fcs::EventMatrix:
// huge pages, reused between samples): zeroing and first-touch faults of fresh columns cost more
// than the scaling itself.
struct ComputedColumn {
  fcs::EventMatrix values;  // one column; only words marked done hold values
  std::vector<char> done;   // per 64-event word
};

class ColumnCache {
 public:
  ColumnCache(const GatingStrategy& strategy, const fcs::Sample& sample, bool parallel = true);
  // The dimension's values; valid as long as the cache lives. With `need`, scaled and ratio
  // columns are only computed for the 64-event words where `need` has members (the gate's
  // parent), so a transform is never paid for events no gate looks at; other words are
  // unspecified. Without `need`, every event is computed.
  std::span<const double> get(const Dimension& dimension, const Membership* need = nullptr);

  // Block-wise evaluation: a dimension's column whose values become valid word range by word
  // range through fill(). A channel (or compensation output) is valid at once; a ratio or scaled
  // column is computed, once per word, for the words where `need` has members. `dimension` must
  // outlive the column's use.
  struct LazyColumn {
    std::span<const double> values;
    ComputedColumn* column = nullptr;  // null: nothing to compute
    const Dimension* dimension = nullptr;
    std::span<const double> num, den;  // the channel(s) it is computed from
  };
  LazyColumn lazy(const Dimension& dimension);
  // Makes words [begin_word, end_word) of `column` valid where `need` (all events when null) has
  // members. Safe to call concurrently for disjoint word ranges.
  void fill(const LazyColumn& column, const Membership* need, std::size_t begin_word, std::size_t end_word) const;

 private:
  // A compensation's outputs, each computed when first read: at once every output the strategy's
  // dimensions read through this compensation, and any other output read (statistics on all
  // channels) together with the rest. The matrix is solved and the sample checked (detectors)
  // when the compensation is first named, as when every output was computed then.
  struct Compensated {
    std::vector<std::string> outputs;                // the matrix's
    std::vector<std::span<const double>> values;     // per output, once computed
    std::vector<char> done;                          // per output: computed
    std::vector<fcs::EventMatrix> storage;           // the computed columns
    std::optional<transform::Compensation> solved;   // unless the matrix is inverted already
    const fcs::Spillover* inverted = nullptr;        // Gating-ML matrix-inverted-already
  };
  // A channel (or compensation output) before any ratio or scale.
  std::span<const double> base(const std::string& compensation, const std::string& name);
  Compensated* compensated(const std::string& compensation);
  // Computes the outputs `which` (indices, not computed yet) of `c`.
  void compute(Compensated& c, const std::vector<std::size_t>& which) const;

  const GatingStrategy& strategy_;
  const fcs::Sample& sample_;
  bool parallel_;
  std::map<std::string, std::unique_ptr<Compensated>> compensations_;
  std::map<std::string, ComputedColumn> columns_;
};

// The key identifying a dimension's values (equal keys = equal values).
std::string column_key(const Dimension& dimension);

}  // namespace cytopipe::gating
