#pragma once
// Compensation (and spectral unmixing): compensated = raw x inverse(spillover) over the matrix's
// detectors; other channels untouched.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::transform {

class Compensation {
 public:
  // Solves the matrix once. A singular or ill-conditioned matrix is an Error naming `name` and
  // its condition number. A non-square (fluorochromes x detectors) matrix is solved by least
  // squares (unmixing).
  explicit Compensation(fcs::Spillover spillover, std::string name = "FCS");

  const std::string& name() const noexcept { return name_; }
  const fcs::Spillover& spillover() const noexcept { return spillover_; }
  // Names of the detectors read (columns of the spillover) ...
  const std::vector<std::string>& detectors() const noexcept { return spillover_.detectors; }
  // ... and of the values produced: detectors for a square matrix, fluorochromes otherwise.
  const std::vector<std::string>& outputs() const noexcept { return spillover_.fluorochromes; }

  // The compensated columns, in outputs() order, as a column-major matrix. Missing detectors
  // are an Error listing what the sample has. Parallel over blocks of events.
  fcs::EventMatrix compensate(const fcs::Sample& sample) const;
  // The compensated columns of the outputs `outputs` only (indices into outputs(), any order),
  // column j for output outputs[j]: each value equal to compensate()'s, for the work of those
  // outputs alone (gates often read a few of a matrix's outputs).
  fcs::EventMatrix compensate(const fcs::Sample& sample, std::span<const std::size_t> outputs) const;
  // Replaces the detector columns of `sample` with compensated values (square matrices only).
  void apply_in_place(fcs::Sample& sample) const;
  // The sample's columns of the matrix's detectors, in detector order (an Error listing what the
  // sample has when one is missing).
  std::vector<std::size_t> detector_columns(const fcs::Sample& sample) const;
  // As apply_in_place, for events [first_event, first_event + count) of `columns` (from
  // detector_columns, so channels may be renamed in between) on the calling thread: e.g. a chunk
  // just decoded. Disjoint ranges may be compensated concurrently.
  void apply_in_place(fcs::Sample& sample, std::span<const std::size_t> columns, std::size_t first_event,
                      std::size_t count) const;
  // As above, and renames the compensated channels (and their $PnN) to prefix + name, the common
  // "Comp-" convention.
  void apply_in_place(fcs::Sample& sample, std::string_view rename_prefix) const;

  // sigma_max / sigma_min of the matrix (2-norm condition number).
  double condition_number() const noexcept { return condition_; }
  // Above this a matrix is refused: compensating would amplify noise by more than 1e12.
  static constexpr double kMaxCondition = 1e12;

 private:
  fcs::Spillover spillover_;
  std::string name_;
  std::vector<double> inverse_;  // detectors x outputs, row-major
  double condition_ = 0;
};

// A spillover matrix from a CSV or TSV file (delimiter detected): FlowJo's exported layout (a
// header row of detector names after an empty corner cell, one row per fluorochrome starting with
// its name; a title line before the header is skipped) or a plain header row + numeric rows (row
// names then equal the header). Errors name the file, line and cell.
fcs::Spillover read_spillover_table(const std::filesystem::path& file);
fcs::Spillover parse_spillover_table(std::string_view text, const std::string& name);

}  // namespace cytopipe::transform
