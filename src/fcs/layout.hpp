#pragma once
// From keywords to what to decode: channels ($Pn*), the DATA segment (offsets rule), the byte
// layout of an event and the value rules per channel; then the chunked decode itself.
#include <cstdint>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "fcs/byte_source.hpp"
#include "fcs/dataset_text.hpp"
#include "fcs/decode.hpp"

namespace cytopipe::fcs::detail {

struct Layout {
  DataType datatype = DataType::Float;
  DataPlan plan;                         // I, F, D
  bool ascii_delimited = false;          // A with $PnB '*'
  std::vector<std::size_t> ascii_width;  // A fixed width: characters per value
  std::uint64_t data_begin = 0;          // absolute offset
  std::uint64_t data_length = 0;
  std::size_t events = 0;
  std::vector<std::size_t> range_from_max;  // float channels without a valid $PnR (columns)
  bool apply_rules = true;                  // false with ValueRule::Raw
  // ASCII only, when channels were left out: the event-matrix column of each of the file's
  // channels (npos = not kept). Binary layouts drop left-out channels from `plan` instead.
  std::vector<std::size_t> ascii_column;
};

// Decodes only the channels at `kept` (0-based positions in the file's channel order,
// ascending): their values go to event-matrix columns 0, 1, ... in that order.
void keep_channels(Layout& layout, const std::vector<std::size_t>& kept);

// Fills sample.channels and sample.datatype, resolves the data offsets (notices go to
// sample.notices) and checks $TOT against the DATA length. Throws FcsError.
Layout plan_layout(const DataSetText& text, std::uint64_t file_size, const std::string& file,
                   const ReadOptions& options, Sample& sample);

// Decodes the DATA segment into sample.events (sized by the caller), calling `decoded` (when
// set) for runs of whole 64-event words whose values are final (see DecodeHooks).
void decode_data(const ByteSource& source, const Layout& layout, const ReadOptions& options,
                 Sample& sample, const std::function<void(std::size_t, std::size_t)>& decoded = {});

}  // namespace cytopipe::fcs::detail
