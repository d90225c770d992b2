#pragma once
// Small dense matrix helpers for ellipsoid covariances and compensation matrices (a handful of
// rows): Gauss-Jordan inversion with partial pivoting.
#include <cstddef>
#include <optional>
#include <vector>

namespace cytopipe::gating {

// Inverse of the row-major n x n matrix `a`, or nullopt when it is singular (a pivot vanishes
// relative to the matrix's largest entry).
std::optional<std::vector<double>> invert_matrix(const std::vector<double>& a, std::size_t n);

// The matrix P (cols x rows, row-major) with raw(1 x cols) x P = least-squares solution c of
// c(1 x rows) x S = raw, for S rows x cols with rows <= cols: P = S^T (S S^T)^-1.
// For square S this is inverse(S). nullopt when S S^T is singular.
std::optional<std::vector<double>> unmixing_matrix(const std::vector<double>& s, std::size_t rows,
                                                   std::size_t cols);

}  // namespace cytopipe::gating
