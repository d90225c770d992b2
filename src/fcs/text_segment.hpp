#pragma once
// The HEADER and TEXT segments: offsets, version, delimiter and keyword/value pairs.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::fcs::detail {

inline constexpr std::size_t header_size = 58;

struct Header {
  std::string version;  // "FCS3.1"
  // Byte offsets relative to the start of the data set (inclusive ends; 0 = not given).
  std::uint64_t text_begin = 0, text_end = 0;
  std::uint64_t data_begin = 0, data_end = 0;
  std::uint64_t analysis_begin = 0, analysis_end = 0;
  bool fcs2() const { return version == "FCS2.0"; }
};

// Parses the first 58 bytes of a data set (fewer means a truncated file).
Header parse_header(std::span<const std::byte> bytes, const std::string& file);

// Splits a TEXT (or supplemental TEXT / ANALYSIS) segment into keywords, appending to `out`;
// the first occurrence of a keyword wins. FCS 3.x: a doubled delimiter is a literal delimiter.
// Oddities (padding, unterminated tail, duplicates) are appended to `notices`.
void parse_text(std::span<const std::byte> segment, bool fcs3, std::string_view segment_name,
                const std::string& file, Keywords& out, std::vector<std::string>& notices);

}  // namespace cytopipe::fcs::detail
