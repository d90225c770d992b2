#pragma once
// Builds small FCS files byte by byte for the unit tests, independently of our writer: HEADER,
// TEXT with a chosen delimiter (keywords passed already escaped where a test wants escapes),
// and DATA bytes given by the test.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cytopipe::test {

struct FcsBuild {
  std::string version = "FCS3.1";
  char delimiter = '/';
  std::vector<std::pair<std::string, std::string>> keywords;  // written as given
  std::vector<std::uint8_t> data;
  bool text_offsets = true;                    // write $BEGINDATA/$ENDDATA
  std::optional<std::pair<std::uint64_t, std::uint64_t>> header_data;  // override HEADER data
  std::optional<std::pair<std::uint64_t, std::uint64_t>> text_data;    // override TEXT data
  std::string text_override;                   // use this TEXT verbatim when non-empty
  std::size_t gap = 0;                         // bytes of padding between TEXT and DATA

  FcsBuild& kw(std::string name, std::string value) {
    keywords.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  // Replaces a keyword's value (or appends it).
  FcsBuild& set(const std::string& name, std::string value) {
    for (auto& [k, v] : keywords)
      if (k == name) {
        v = std::move(value);
        return *this;
      }
    return kw(name, std::move(value));
  }
  FcsBuild& remove(const std::string& name) {
    std::erase_if(keywords, [&](const auto& e) { return e.first == name; });
    return *this;
  }
};

inline std::string fcs_field8(std::uint64_t v) {
  std::string s = std::to_string(v);
  return std::string(8 - std::min<std::size_t>(8, s.size()), ' ') + s;
}

inline std::vector<std::byte> build_fcs(const FcsBuild& b) {
  // TEXT length depends on the digits of the data offsets: fixed-width (20-digit) offsets keep
  // it simple and are valid numbers.
  auto make_text = [&](std::uint64_t begin, std::uint64_t end) {
    if (!b.text_override.empty()) return b.text_override;
    std::string t(1, b.delimiter);
    auto add = [&](const std::string& k, const std::string& v) {
      t += k;
      t += b.delimiter;
      t += v;
      t += b.delimiter;
    };
    if (b.text_offsets) {
      auto pad = [](std::uint64_t v) {
        std::string s = std::to_string(v);
        return std::string(20 - s.size(), '0') + s;
      };
      add("$BEGINDATA", pad(b.text_data ? b.text_data->first : begin));
      add("$ENDDATA", pad(b.text_data ? b.text_data->second : end));
    }
    for (const auto& [k, v] : b.keywords) add(k, v);
    return t;
  };
  std::string text = make_text(0, 0);
  const std::uint64_t text_begin = 58, text_end = text_begin + text.size() - 1;
  const std::uint64_t data_begin = text_end + 1 + b.gap;
  const std::uint64_t data_end = b.data.empty() ? data_begin : data_begin + b.data.size() - 1;
  text = make_text(data_begin, data_end);
  std::string header = b.version + "    " + fcs_field8(text_begin) + fcs_field8(text_end);
  if (b.header_data)
    header += fcs_field8(b.header_data->first) + fcs_field8(b.header_data->second);
  else
    header += fcs_field8(data_begin) + fcs_field8(data_end);
  header += fcs_field8(0) + fcs_field8(0);
  std::vector<std::byte> out(header.size() + text.size() + b.gap + b.data.size());
  std::memcpy(out.data(), header.data(), header.size());
  std::memcpy(out.data() + header.size(), text.data(), text.size());
  std::memset(out.data() + header.size() + text.size(), ' ', b.gap);
  if (!b.data.empty())
    std::memcpy(out.data() + header.size() + text.size() + b.gap, b.data.data(), b.data.size());
  return out;
}

// Little helpers to lay out DATA bytes.
inline void put_le(std::vector<std::uint8_t>& d, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) d.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_be(std::vector<std::uint8_t>& d, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) d.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_f32_le(std::vector<std::uint8_t>& d, float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  put_le(d, u, 4);
}
inline void put_f32_be(std::vector<std::uint8_t>& d, float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  put_be(d, u, 4);
}
inline void put_f64_be(std::vector<std::uint8_t>& d, double f) {
  std::uint64_t u;
  std::memcpy(&u, &f, 8);
  put_be(d, u, 8);
}

// Required keywords for a data set of `par` channels named P1..Pn with one width and range.
inline FcsBuild basic_fcs(const std::string& datatype, int par, std::size_t tot, int bits,
                          const std::string& range, const std::string& byteord = "1,2,3,4") {
  FcsBuild b;
  b.kw("$BYTEORD", byteord).kw("$DATATYPE", datatype).kw("$MODE", "L").kw("$NEXTDATA", "0");
  b.kw("$PAR", std::to_string(par)).kw("$TOT", std::to_string(tot));
  for (int n = 1; n <= par; ++n) {
    const std::string p = std::string("$P") + std::to_string(n);
    b.kw(p + "N", std::string("P") + std::to_string(n)).kw(p + "B", std::to_string(bits)).kw(p + "R", range).kw(p + "E", "0,0");
  }
  return b;
}

}  // namespace cytopipe::test
