#pragma once
// A minimal FCS 2.0 list-mode writer for 16-bit unsigned integer data (libfcs writes FCS 3.1
// only). HEADER offsets are 8-digit fields, so the whole file must stay under 10^8 bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cytopipe::sim::detail {

struct Fcs2Channel {
  std::string name;    // $PnN
  std::string marker;  // $PnS (left out when empty)
  int range = 1024;    // $PnR
  std::string amplification = "0,0";  // $PnE
};

struct Fcs2Data {
  std::vector<Fcs2Channel> channels;
  std::vector<std::pair<std::string, std::string>> keywords;  // besides the required ones
  std::size_t events = 0;
  std::vector<std::uint16_t> values;  // event-major: values[event * channels + channel]
};

std::vector<std::byte> to_fcs2_bytes(const Fcs2Data& data, const std::string& name);

}  // namespace cytopipe::sim::detail
