#pragma once
// Text for XML attribute values and character data, shared by the Gating-ML and FlowJo writers.
#include <string>
#include <string_view>

namespace cytopipe::gating::xml {

// Escapes the five markup characters and keeps tab, newline and carriage return as character
// references (a raw one in an attribute would be read back as a space). Other control characters
// cannot appear in XML 1.0 at all, so they become a space.
inline std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default: out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return out;
}

}  // namespace cytopipe::gating::xml
