#include "fcs/text_segment.hpp"

#include "fcs/text_util.hpp"

namespace cytopipe::fcs::detail {
namespace {

std::string printable(std::span<const std::byte> bytes) {
  std::string out;
  for (auto b : bytes) {
    auto c = static_cast<unsigned char>(b);
    if (c >= 32 && c < 127) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

Header parse_header(std::span<const std::byte> bytes, const std::string& file) {
  const std::string magic = printable(bytes.first(std::min<std::size_t>(6, bytes.size())));
  if (magic != "FCS2.0" && magic != "FCS3.0" && magic != "FCS3.1" && magic != "FCS3.2")
    throw FcsError(FcsErrorKind::NotFcs,
                   "first 6 bytes '" + magic + "' are not FCS2.0/3.0/3.1/3.2", {file, "HEADER"});
  if (bytes.size() < header_size)
    throw FcsError(FcsErrorKind::Truncated,
                   "HEADER is " + std::to_string(bytes.size()) + " bytes, expected 58", {file, "HEADER"});
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), header_size);
  if (text.substr(6, 4) != "    ")
    throw FcsError(FcsErrorKind::NotFcs, "HEADER bytes 6-9 after the version are not spaces",
                   {file, "HEADER"});
  Header header;
  header.version = magic;
  std::uint64_t fields[6];
  for (int i = 0; i < 6; ++i) {
    auto field = text.substr(10 + 8 * static_cast<std::size_t>(i), 8);
    if (trim(field).empty()) {
      fields[i] = 0;  // blank counts as zero (writers of big files leave them empty)
      continue;
    }
    auto value = parse_uint(field);
    if (!value)
      throw FcsError(FcsErrorKind::NotFcs,
                     "HEADER offset field " + std::to_string(i + 1) + " '" +
                         printable(bytes.subspan(10 + 8 * static_cast<std::size_t>(i), 8)) +
                         "' is not a number",
                     {file, "HEADER"});
    fields[i] = *value;
  }
  header.text_begin = fields[0];
  header.text_end = fields[1];
  header.data_begin = fields[2];
  header.data_end = fields[3];
  header.analysis_begin = fields[4];
  header.analysis_end = fields[5];
  return header;
}

void parse_text(std::span<const std::byte> segment, bool fcs3, std::string_view segment_name,
                const std::string& file, Keywords& out, std::vector<std::string>& notices) {
  const std::string where(segment_name);
  if (segment.empty()) throw FcsError(FcsErrorKind::BadKeyword, "segment is empty", {file, where});
  std::string_view text(reinterpret_cast<const char*>(segment.data()), segment.size());
  const char delimiter = text[0];
  if (delimiter >= '0' && delimiter <= '9')
    throw FcsError(FcsErrorKind::BadKeyword,
                   std::string("delimiter is the digit '") + delimiter + "' (not allowed)", {file, where});

  // Tokens are taken one at a time straight into `out` (no list of all tokens: a TEXT with
  // 100,000 parameters has half a million keywords).
  std::size_t pos = 1;
  bool terminated = true;
  // The next token in `token`; false at the end. An unterminated trailing token is returned
  // (and `terminated` cleared) unless it is blank padding.
  auto next = [&](std::string& token) {
    token.clear();
    if (pos >= text.size()) return false;
    while (pos < text.size()) {
      const char c = text[pos];
      if (c == delimiter) {
        if (fcs3 && pos + 1 < text.size() && text[pos + 1] == delimiter) {
          token += delimiter;  // the standard's escape: a doubled delimiter is one literal
          pos += 2;
          continue;
        }
        ++pos;
        return true;
      }
      const std::size_t run = text.find(delimiter, pos);  // copy up to the next delimiter at once
      const std::size_t stop = run == std::string_view::npos ? text.size() : run;
      token.append(text.substr(pos, stop - pos));
      pos = stop;
    }
    // Bytes after the final delimiter: padding is harmless, anything else means the TEXT was
    // cut or mis-sized.
    if (trim(token).empty()) return false;
    terminated = false;
    return true;
  };
  std::vector<std::string> later;  // notices about single keywords, after the segment's own
  std::vector<std::string> duplicates;
  std::string name_token, value_token, unterminated;
  while (next(name_token)) {
    if (!terminated) unterminated = name_token;
    if (!terminated || !next(value_token)) {
      later.insert(later.begin(), where + ": keyword '" + name_token.substr(0, 40) + "' has no value; ignored");
      break;
    }
    if (!terminated) unterminated = value_token;
    auto name = trim(name_token);
    if (name.empty()) {
      later.push_back(where + ": empty keyword name (value '" + value_token.substr(0, 40) + "'); ignored");
      continue;
    }
    if (!out.add_if_absent(name, std::string(rtrim(value_token)))) duplicates.emplace_back(name);
  }
  if (!terminated)
    notices.push_back(where + " does not end with the delimiter (trailing '" + unterminated.substr(0, 40) + "')");
  for (auto& n : later) notices.push_back(std::move(n));
  if (!duplicates.empty()) {
    std::string list;
    for (const auto& d : duplicates) list += (list.empty() ? "" : ", ") + d;
    notices.push_back(where + ": duplicate keywords (first occurrence kept): " + list);
  }
}

}  // namespace cytopipe::fcs::detail
