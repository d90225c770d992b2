// libFuzzer entry point for the strategy readers: any bytes given as a YAML strategy or as
// Gating-ML must give a GatingStrategy or a cytopipe::Error, never a crash, hang, other
// exception or out-of-bounds read. A strategy that is read is written back and read again
// (both forms): the round trip must hold.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cytopipe/gating/io.hpp"

#ifndef CYTOPIPE_FUZZ_GATINGML
#define CYTOPIPE_FUZZ_GATINGML 0
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace cytopipe::gating;
  try {
    const GatingStrategy s = CYTOPIPE_FUZZ_GATINGML ? parse_gatingml(text, "fuzz.xml") : parse_strategy_yaml(text, "fuzz.yaml");
    const auto yaml = to_yaml(s);
    const auto again = parse_strategy_yaml(yaml, "rewritten.yaml");
    if (again.gates().size() != s.gates().size()) __builtin_trap();
    (void)parse_gatingml(to_gatingml(s), "rewritten.xml");
  } catch (const cytopipe::Error&) {
  }
  return 0;
}
