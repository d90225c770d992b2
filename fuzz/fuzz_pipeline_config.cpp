// libFuzzer entry point for the pipeline config reader: any bytes must give a Config or a
// cytopipe::Error (file:line:column), never a crash, hang, other exception or out-of-bounds
// read. Nothing is read from disk: parse_config only parses (files are checked by validate).
#include <cstddef>
#include <cstdint>
#include <string>

#include "cytopipe/pipeline/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)cytopipe::pipeline::parse_config(text, "/nonexistent/fuzz/pipeline.yaml");
  } catch (const cytopipe::Error&) {
  }
  return 0;
}
