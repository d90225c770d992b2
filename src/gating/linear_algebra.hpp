#pragma once
// Inverse of an ellipsoid gate's covariance (a handful of rows): Gauss-Jordan with partial
// pivoting. Compensation matrices are solved by transform::Compensation.
#include <cstddef>
#include <optional>
#include <vector>

namespace cytopipe::gating {

// Inverse of the row-major n x n matrix `a`, or nullopt when it is singular (a pivot vanishes
// relative to the matrix's largest entry).
std::optional<std::vector<double>> invert_matrix(const std::vector<double>& a, std::size_t n);

}  // namespace cytopipe::gating
