// FCS 2.0: "FCS2.0" + four spaces + six 8-character right-justified offsets (TEXT, DATA,
// ANALYSIS begin/end, inclusive), TEXT as delimiter-separated keyword/value pairs, then DATA.
// FCS 2.0 readers (flowCore among them) split TEXT plainly on the delimiter, so instead of
// escaping we pick a delimiter that no keyword or value contains.
#include "sim/fcs2_writer.hpp"

#include <cstring>

#include "cytopipe/error.hpp"

namespace cytopipe::sim::detail {

namespace {

constexpr std::size_t kHeaderBytes = 58;

char choose_delimiter(const std::vector<std::pair<std::string, std::string>>& keywords,
                      const std::string& name) {
  for (char candidate : {'/', '|', '\\', '!', '~', '^', '#', '@'}) {
    bool used = false;
    for (const auto& [key, value] : keywords)
      used = used || key.find(candidate) != std::string::npos || value.find(candidate) != std::string::npos;
    if (!used) return candidate;
  }
  throw Error("every candidate TEXT delimiter occurs in a keyword value", {name, "TEXT", 0, 0});
}

std::string offset_field(std::size_t value) {
  std::string digits = std::to_string(value);
  return std::string(8 - digits.size(), ' ') + digits;
}

}  // namespace

std::vector<std::byte> to_fcs2_bytes(const Fcs2Data& data, const std::string& name) {
  const std::size_t par = data.channels.size();
  if (par == 0) throw Error("no channels to write", {name, "$PAR", 0, 0});
  if (data.values.size() != data.events * par)
    throw Error("value count does not match events x channels", {name, "$TOT", 0, 0});

  std::vector<std::pair<std::string, std::string>> keywords = {
      {"$BYTEORD", "1,2"}, {"$DATATYPE", "I"}, {"$MODE", "L"}, {"$NEXTDATA", "0"},
      {"$PAR", std::to_string(par)}, {"$TOT", std::to_string(data.events)}};
  for (std::size_t c = 0; c < par; ++c) {
    const auto& ch = data.channels[c];
    const std::string p = "$P" + std::to_string(c + 1);
    keywords.emplace_back(p + "N", ch.name);
    if (!ch.marker.empty()) keywords.emplace_back(p + "S", ch.marker);
    keywords.emplace_back(p + "B", "16");
    keywords.emplace_back(p + "R", std::to_string(ch.range));
    keywords.emplace_back(p + "E", ch.amplification);
  }
  for (const auto& kv : data.keywords)
    if (!kv.second.empty()) keywords.push_back(kv);  // FCS forbids empty values

  const char delimiter = choose_delimiter(keywords, name);
  std::string text(1, delimiter);
  for (const auto& [key, value] : keywords) {
    text += key;
    text += delimiter;
    text += value;
    text += delimiter;
  }
  const std::size_t text_begin = kHeaderBytes;
  const std::size_t text_end = text_begin + text.size() - 1;
  const std::size_t data_begin = text_end + 1;
  const std::size_t data_bytes = data.values.size() * 2;
  const std::size_t data_end = data_bytes == 0 ? data_begin : data_begin + data_bytes - 1;
  if (data_end > 99'999'999)
    throw Error("an FCS 2.0 file must stay under 100,000,000 bytes (HEADER offsets have 8 digits); "
                "use fewer events",
                {name, "events", 0, 0});

  std::string header = "FCS2.0    " + offset_field(text_begin) + offset_field(text_end) +
                       offset_field(data_begin) + offset_field(data_end) + offset_field(0) +
                       offset_field(0);
  std::vector<std::byte> out(header.size() + text.size() + data_bytes);
  std::memcpy(out.data(), header.data(), header.size());
  std::memcpy(out.data() + header.size(), text.data(), text.size());
  std::byte* p = out.data() + header.size() + text.size();
  for (std::uint16_t v : data.values) {  // $BYTEORD 1,2: little-endian
    *p++ = static_cast<std::byte>(v & 0xFF);
    *p++ = static_cast<std::byte>(v >> 8);
  }
  return out;
}

}  // namespace cytopipe::sim::detail
