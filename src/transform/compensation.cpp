// Compensation: the matrix is solved once (Eigen), then applied per block of events (TBB).
#include "cytopipe/transform/compensation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
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

// In-place compensation replaces each detector's column by its own output.
void require_square(const fcs::Spillover& s, const std::string& name) {
  if (s.rows() != s.cols())
    throw Error("a non-square (unmixing) matrix cannot replace the detector columns in place", where(name));
}

// The sample's column of every detector; missing ones are one Error listing what the file has.
std::vector<std::size_t> detector_columns(const fcs::Sample& sample, const fcs::Spillover& s,
                                          const std::string& name) {
  std::vector<std::size_t> columns;
  std::vector<std::string> missing;
  for (const auto& detector : s.detectors) {
    if (auto index = sample.find_channel(detector))
      columns.push_back(*index);
    else
      missing.push_back(detector);
  }
  if (!missing.empty()) {
    std::string message = "detector" + std::string(missing.size() > 1 ? "s " : " ");
    for (std::size_t i = 0; i < missing.size(); ++i) message += (i ? ", '" : "'") + missing[i] + "'";
    message += " not in the file; it has:";
    for (const auto& c : sample.channels) message += " " + c.name;
    ErrorContext context = where(name);
    context.file = sample.source;
    throw Error(message, std::move(context));
  }
  return columns;
}

// Four doubles as one value (GCC/Clang vector extension: one AVX register, or two SSE ones).
// The helpers are always inlined, so the ABI note GCC gives for non-AVX builds does not apply.
using Vec4 = double __attribute__((vector_size(32)));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
[[gnu::always_inline]] inline Vec4 load4(const double* p) {
  Vec4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[gnu::always_inline]] inline void store4(double* p, Vec4 v) { std::memcpy(p, &v, sizeof v); }

// out_j[e] = sum_i inverse[i][j] * in_i[e] for e in [begin, begin + count); `out` may be the
// input columns themselves (in place). This is the one compute-bound loop (detectors x outputs
// multiply-adds per event), written as a register-blocked micro-kernel: 8 events x 4 outputs of
// accumulators stay in registers while the detectors stream by, so each input value is loaded
// once per 4 outputs. A chunk of 8 events is finished for every output (in a 1 KiB scratch)
// before it is stored, which is what makes in place safe. Also compiled for AVX2 + FMA and
// picked at run time where the CPU has them.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void combine(const std::vector<const double*>& in, const double* inverse, std::size_t outputs,
             std::size_t begin, std::size_t count, double* const* out) {
  constexpr std::size_t kEvents = 8, kOutputs = 4;
  const std::size_t detectors = in.size();
  thread_local std::vector<double> scratch;
  scratch.resize(outputs * kEvents);
  double* chunk = scratch.data();  // outputs x kEvents
  for (std::size_t e0 = 0; e0 < count; e0 += kEvents) {
    const std::size_t n = std::min(kEvents, count - e0);
    if (n == kEvents) {
      std::size_t j0 = 0;
      for (; j0 + kOutputs <= outputs; j0 += kOutputs) {
        // Two 4-wide vectors per output: 8 accumulators the compiler keeps in registers.
        Vec4 a0{}, a1{}, b0{}, b1{}, c0{}, c1{}, d0{}, d1{};
        for (std::size_t i = 0; i < detectors; ++i) {
          const double* src = in[i] + begin + e0;
          const double* k = inverse + i * outputs + j0;
          const Vec4 lo = load4(src), hi = load4(src + 4);
          a0 += k[0] * lo, a1 += k[0] * hi;
          b0 += k[1] * lo, b1 += k[1] * hi;
          c0 += k[2] * lo, c1 += k[2] * hi;
          d0 += k[3] * lo, d1 += k[3] * hi;
        }
        double* row = chunk + j0 * kEvents;
        store4(row, a0), store4(row + 4, a1);
        store4(row + 8, b0), store4(row + 12, b1);
        store4(row + 16, c0), store4(row + 20, c1);
        store4(row + 24, d0), store4(row + 28, d1);
      }
      for (; j0 < outputs; ++j0) {
        double acc[kEvents] = {};
        for (std::size_t i = 0; i < detectors; ++i) {
          const double* src = in[i] + begin + e0;
          const double k = inverse[i * outputs + j0];
          for (std::size_t t = 0; t < kEvents; ++t) acc[t] += k * src[t];
        }
        for (std::size_t t = 0; t < kEvents; ++t) chunk[j0 * kEvents + t] = acc[t];
      }
    } else {  // the last few events of the block
      for (std::size_t j = 0; j < outputs; ++j)
        for (std::size_t t = 0; t < n; ++t) {
          double sum = 0;
          for (std::size_t i = 0; i < detectors; ++i)
            sum += inverse[i * outputs + j] * in[i][begin + e0 + t];
          chunk[j * kEvents + t] = sum;
        }
    }
    for (std::size_t j = 0; j < outputs; ++j)
      for (std::size_t t = 0; t < n; ++t) out[j][e0 + t] = chunk[j * kEvents + t];
  }
}
#pragma GCC diagnostic pop

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
  std::vector<std::size_t> all(spillover_.rows());
  for (std::size_t j = 0; j < all.size(); ++j) all[j] = j;
  return compensate(sample, all);
}

fcs::EventMatrix Compensation::compensate(const fcs::Sample& sample, std::span<const std::size_t> outputs) const {
  const std::size_t rows = spillover_.rows(), k = outputs.size();
  for (std::size_t j : outputs)
    if (j >= rows)
      throw Error("output " + std::to_string(j) + " of " + std::to_string(rows), where(name_));
  // The inverse's columns of those outputs (detectors x k): each output is the same sum, in the
  // same order, whichever outputs are computed beside it.
  std::vector<double> inverse(spillover_.cols() * k);
  for (std::size_t i = 0; i < spillover_.cols(); ++i)
    for (std::size_t j = 0; j < k; ++j) inverse[i * k + j] = inverse_[i * rows + outputs[j]];
  std::vector<const double*> in;
  for (std::size_t index : detector_columns(sample))
    in.push_back(sample.events.column(index).data());
  const std::size_t n = sample.event_count();
  fcs::EventMatrix out(n, k);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, kEventBlock),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      std::vector<double*> dst(k);
                      for (std::size_t j = 0; j < k; ++j)
                        dst[j] = out.column(j).data() + r.begin();
                      combine(in, inverse.data(), k, r.begin(), r.end() - r.begin(), dst.data());
                    });
  return out;
}

void Compensation::apply_in_place(fcs::Sample& sample) const {
  require_square(spillover_, name_);  // before any detector check, and for an empty sample too
  const std::vector<std::size_t> columns = detector_columns(sample);
  // In place, block by block (in parallel): every 8-event chunk is combined for all outputs
  // before it is written back over its own inputs, so no copy of the matrix is made.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, sample.event_count(), kEventBlock),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      apply_in_place(sample, columns, r.begin(), r.end() - r.begin());
                    });
}

std::vector<std::size_t> Compensation::detector_columns(const fcs::Sample& sample) const {
  return transform::detector_columns(sample, spillover_, name_);
}

void Compensation::apply_in_place(fcs::Sample& sample, std::span<const std::size_t> columns,
                                  std::size_t first_event, std::size_t count) const {
  require_square(spillover_, name_);
  if (columns.size() != spillover_.cols() || first_event + count > sample.event_count())
    throw Error("compensation: " + std::to_string(columns.size()) + " columns, events " + std::to_string(first_event) +
                    "+" + std::to_string(count) + " of " + std::to_string(sample.event_count()),
                where(name_));
  const std::size_t outputs = columns.size();
  std::vector<const double*> in;
  std::vector<double*> dst;
  for (std::size_t index : columns) in.push_back(sample.events.column(index).data());
  for (std::size_t begin = first_event; begin < first_event + count; begin += kEventBlock) {
    const std::size_t n = std::min(kEventBlock, first_event + count - begin);
    dst.clear();
    for (std::size_t index : columns) dst.push_back(sample.events.column(index).data() + begin);
    combine(in, inverse_.data(), outputs, begin, n, dst.data());
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
