#pragma once
// Keywords, names and table cells are bytes. Text that is valid UTF-8 is used as it is; text
// that is not (CellQuest and other older software write Latin-1/Mac bytes such as 0xAA) is read
// as Latin-1, where every byte is a character, so nothing is lost and JSON, SVG and CSV
// outputs stay valid UTF-8.
#include <cstddef>
#include <string>
#include <string_view>

namespace cytopipe {

// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (no
// overlong forms, surrogates or code points past U+10FFFF), or npos.
inline std::size_t first_invalid_utf8(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return i;
    if (i + len > n || b[i + 1] < lo || b[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (b[i + k] < 0x80 || b[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

inline bool is_utf8(std::string_view s) { return first_invalid_utf8(s) == std::string_view::npos; }

// Each byte as the Latin-1 character of that code (U+0000-U+00FF), in UTF-8.
inline std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

// `s` if it is UTF-8, else its Latin-1 reading: for showing names (e.g. file names) that may be
// any bytes.
inline std::string displayable(std::string_view s) { return is_utf8(s) ? std::string(s) : latin1_to_utf8(s); }

}  // namespace cytopipe
