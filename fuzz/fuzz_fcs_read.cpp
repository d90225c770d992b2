// libFuzzer entry point: any bytes must give a Sample or an FcsError, never a crash, hang or
// out-of-bounds read. Also exercises the writer on whatever was read.
#include <cstddef>
#include <cstdint>
#include <span>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  cytopipe::fcs::ReadOptions options;
  options.parallel = false;
  // The first byte, if any, picks a data set index and a value rule (extra coverage).
  for (std::size_t dataset : {std::size_t{0}, std::size_t{1}}) {
    options.dataset = dataset;
    try {
      auto sample = cytopipe::fcs::read_fcs(bytes, "fuzz.fcs", options);
      if (dataset == 0 && sample.event_count() < 10000 && !sample.channels.empty()) {
        auto written = cytopipe::fcs::to_fcs_bytes(sample);
        auto again = cytopipe::fcs::read_fcs(written, "rewritten.fcs", options);
        if (again.event_count() != sample.event_count()) __builtin_trap();
      }
    } catch (const cytopipe::fcs::FcsError&) {
    } catch (const cytopipe::Error&) {
    }
  }
  options.dataset = 0;
  for (auto rule : {cytopipe::fcs::ValueRule::Raw, cytopipe::fcs::ValueRule::FlowCoreWithGain}) {
    options.values = rule;
    options.offsets = rule == cytopipe::fcs::ValueRule::Raw ? cytopipe::fcs::OffsetPolicy::Header
                                                             : cytopipe::fcs::OffsetPolicy::Text;
    try {
      (void)cytopipe::fcs::read_fcs(bytes, "fuzz.fcs", options);
    } catch (const cytopipe::Error&) {
    }
  }
  return 0;
}
