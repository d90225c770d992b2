#pragma once
// One sample from file to gate-ready values: read, compensate, name channels by marker.
#include <functional>
#include <optional>
#include <string>

#include "cytopipe/error.hpp"
#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/samples.hpp"
#include "cytopipe/transform/compensation.hpp"

namespace cytopipe::pipeline::detail {

// An Error tagged with the step of the per-file pipeline it happened in (for failures.csv).
class StageError : public Error {
 public:
  StageError(std::string stage, const Error& cause)
      : Error(cause.message(), cause.context()), stage_(std::move(stage)) {}
  const std::string& stage() const noexcept { return stage_; }

 private:
  std::string stage_;
};

// The compensation a config asks for when it is the same for every file (a matrix file).
std::optional<transform::Compensation> load_matrix_compensation(const Config& config);

// Reads the file, compensates it (the file's spillover, the matrix, or not at all) and gives the
// panel's channels their markers as aliases, so strategies and read-outs are
// instrument-independent (fcs::Sample::find_channel finds PE-A also as BCMA).
// With `sha256`, the file's SHA-256 (hex) is computed from the same bytes the reader decodes: the
// file is read once, hashed chunk by chunk while each chunk is in cache. `parallel`: decode with
// parallel tasks. Throws StageError.
//
// With `streaming`, the work is done while the file is decoded: `ready` is called once the
// sample's metadata is final (panel aliases given, compensation checked; events allocated, not yet
// read), then `decoded` for each run of whole 64-event words as soon as it is decoded and
// compensated (from the decoding threads; see fcs::DecodeHooks), so a caller can gate it while
// it is in cache. Errors they throw propagate (a StageError keeps its stage).
//
// `channels` (channel names or panel markers), when not empty: the channels the caller will read; only
// they (and the compensation's detectors) are decoded, the others are left out of the sample.
// If the file lacks one of them, every channel is decoded, so the caller's own lookup reports
// the missing channel with the file's full list.
struct Streaming {
  std::function<void(fcs::Sample& sample)> ready;
  std::function<void(std::size_t first_event, std::size_t count)> decoded;
  std::vector<std::string> channels;
};
fcs::Sample prepare_sample(const Config& config, const SampleEntry& entry,
                           const std::optional<transform::Compensation>& matrix,
                           std::string* sha256 = nullptr, bool parallel = true,
                           const Streaming* streaming = nullptr);

// The marker -> channel mapping for a file of instrument `cyt` ($CYT, may be empty).
std::vector<std::pair<std::string, std::string>> panel_for(const PanelConfig& panel, std::string_view cyt);

}  // namespace cytopipe::pipeline::detail
