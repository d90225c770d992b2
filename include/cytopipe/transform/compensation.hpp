#pragma once
// Compensation (and spectral unmixing): compensated = raw x inverse(spillover) over the matrix's
// detectors; other channels untouched.
#include <cstddef>
#include <string>
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
  // Replaces the detector columns of `sample` with compensated values (square matrices only).
  void apply_in_place(fcs::Sample& sample) const;

 private:
  fcs::Spillover spillover_;
  std::string name_;
  std::vector<double> inverse_;  // detectors x outputs, row-major
};

}  // namespace cytopipe::transform
