// Compensation: the matrix is solved once (Eigen), then applied per block of events (TBB).
#include "cytopipe/transform/compensation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "cytopipe/error.hpp"

namespace cytopipe::transform {

namespace {

// Events per task: 2048 events x 16 detectors x 8 bytes = 256 KiB of input, cache-resident
// while every output column of the block is accumulated.
constexpr std::size_t kEventBlock = 2048;

ErrorContext where(const std::string& name) {
  ErrorContext c;
  c.where = "compensation '" + name + "'";
  return c;
}

void check_names(const std::vector<std::string>& names, const char* what, const std::string& name) {
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (n.empty()) throw Error(std::string("empty ") + what + " name", where(name));
    if (!seen.insert(n).second)
      throw Error(std::string("duplicate ") + what + " name '" + n + "'", where(name));
  }
}

std::string format_condition(double c) {
  std::ostringstream s;
  s.precision(3);
  s << c;
  return s.str();
}

}  // namespace

Compensation::Compensation(fcs::Spillover spillover, std::string name)
    : spillover_(std::move(spillover)), name_(std::move(name)) {
  const std::size_t rows = spillover_.rows(), cols = spillover_.cols();
  if (rows == 0 || cols == 0) throw Error("the matrix is empty", where(name_));
  if (spillover_.values.size() != rows * cols)
    throw Error("the matrix has " + std::to_string(spillover_.values.size()) + " values for " +
                    std::to_string(rows) + " x " + std::to_string(cols) + " names",
                where(name_));
  check_names(spillover_.detectors, "detector", name_);
  check_names(spillover_.fluorochromes, "fluorochrome", name_);
  if (rows > cols)
    throw Error("more fluorochromes (" + std::to_string(rows) + ") than detectors (" +
                    std::to_string(cols) + "): the unmixing is underdetermined",
                where(name_));
  for (double v : spillover_.values)
    if (!std::isfinite(v)) throw Error("the matrix has a non-finite value", where(name_));

  // S: fluorochromes x detectors. raw (1 x detectors) = compensated (1 x outputs) * S, so
  // compensated = raw * pinv(S); for a square matrix pinv(S) = inverse(S).
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
      S(spillover_.values.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(S, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const auto& sigma = svd.singularValues();
  const double largest = sigma(0), smallest = sigma(sigma.size() - 1);
  condition_ = smallest > 0 ? largest / smallest : INFINITY;
  if (!(condition_ <= kMaxCondition))
    throw Error(std::string(smallest > 0 ? "ill-conditioned" : "singular") +
                    " matrix: condition number " + format_condition(condition_) + " (limit " +
                    format_condition(kMaxCondition) + ")",
                where(name_));

  Eigen::MatrixXd inverse;  // detectors x outputs
  if (rows == cols) {
    inverse = Eigen::FullPivLU<Eigen::MatrixXd>(S).inverse();
  } else {
    // Least squares: solve S^T x^T = y^T, i.e. x = y pinv(S), pinv(S) = V diag(1/sigma) U^T.
    inverse = svd.matrixV() * sigma.cwiseInverse().asDiagonal() * svd.matrixU().transpose();
  }
  inverse_.resize(cols * rows);
  for (std::size_t i = 0; i < cols; ++i)
    for (std::size_t j = 0; j < rows; ++j)
      inverse_[i * rows + j] = inverse(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
}

fcs::EventMatrix Compensation::compensate(const fcs::Sample& sample) const {
  const std::size_t detectors = spillover_.cols(), outputs = spillover_.rows();
  std::vector<const double*> in(detectors);
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < detectors; ++i) {
    if (auto index = sample.find_channel(spillover_.detectors[i]))
      in[i] = sample.events.column(*index).data();
    else
      missing.push_back(spillover_.detectors[i]);
  }
  if (!missing.empty()) {
    std::string message = "detector" + std::string(missing.size() > 1 ? "s " : " ");
    for (std::size_t i = 0; i < missing.size(); ++i) message += (i ? ", '" : "'") + missing[i] + "'";
    message += " not in the file; it has:";
    for (const auto& c : sample.channels) message += " " + c.name;
    ErrorContext context = where(name_);
    context.file = sample.source;
    throw Error(message, std::move(context));
  }

  const std::size_t n = sample.event_count();
  fcs::EventMatrix out(n, outputs);
  const double* inverse = inverse_.data();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, kEventBlock),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      const std::size_t begin = r.begin(), count = r.end() - r.begin();
                      for (std::size_t j = 0; j < outputs; ++j) {
                        double* dst = out.column(j).data() + begin;
                        std::fill_n(dst, count, 0.0);
                        for (std::size_t i = 0; i < detectors; ++i) {
                          const double k = inverse[i * outputs + j];
                          const double* src = in[i] + begin;
                          for (std::size_t e = 0; e < count; ++e) dst[e] += k * src[e];
                        }
                      }
                    });
  return out;
}

void Compensation::apply_in_place(fcs::Sample& sample) const {
  if (spillover_.rows() != spillover_.cols())
    throw Error("a non-square (unmixing) matrix cannot replace the detector columns in place",
                where(name_));
  const fcs::EventMatrix compensated = compensate(sample);
  for (std::size_t j = 0; j < spillover_.cols(); ++j) {
    const auto column = compensated.column(j);
    auto target = sample.events.column(*sample.find_channel(spillover_.detectors[j]));
    std::copy(column.begin(), column.end(), target.begin());
  }
}

void Compensation::apply_in_place(fcs::Sample& sample, std::string_view rename_prefix) const {
  apply_in_place(sample);
  if (rename_prefix.empty()) return;
  for (const auto& detector : spillover_.detectors) {
    fcs::Channel& channel = sample.channels[*sample.find_channel(detector)];
    channel.name = std::string(rename_prefix) + channel.name;
    sample.keywords.set("$P" + std::to_string(channel.index) + "N", channel.name);
  }
}

}  // namespace cytopipe::transform
