#include "fcs/dataset_text.hpp"

#include <cstdio>
#include <set>

#include "cytopipe/text_encoding.hpp"
#include "fcs/text_util.hpp"

namespace cytopipe::fcs::detail {
namespace {

std::string range_text(std::uint64_t begin, std::uint64_t end) {
  return std::to_string(begin) + "-" + std::to_string(end);
}

// The keyword's offset, or nullopt when absent or not a number.
std::optional<std::uint64_t> offset_keyword(const Keywords& keywords, std::string_view name) {
  auto value = keywords.find(name);
  if (!value) return std::nullopt;
  return parse_uint(*value);
}

// Reads an optional extra keyword segment (supplemental TEXT or ANALYSIS); never fatal.
void read_extra_segment(const ByteSource& source, const DataSetText& text, std::uint64_t begin,
                        std::uint64_t end, char delimiter, std::string_view what,
                        const std::string& file, Keywords& out, std::vector<std::string>& notices) {
  if (begin == 0 && end == 0) return;
  const std::string name(what);
  const std::uint64_t abs_begin = text.base + begin, abs_end = text.base + end;
  if (end < begin || abs_end >= source.size()) {
    notices.push_back(name + " " + range_text(begin, end) + " lies outside the file; ignored");
    return;
  }
  const std::uint64_t tb = text.header.text_begin, te = text.header.text_end;
  if (begin <= te && end >= tb) {
    if (!(begin == tb && end == te))
      notices.push_back(name + " " + range_text(begin, end) + " overlaps the primary TEXT; ignored");
    return;
  }
  std::vector<std::byte> scratch;
  auto bytes = source.view(abs_begin, static_cast<std::size_t>(abs_end - abs_begin + 1), scratch);
  if (static_cast<char>(bytes[0]) != delimiter) {
    notices.push_back(name + " " + range_text(begin, end) +
                      " does not start with the TEXT delimiter (not keyword text); ignored");
    return;
  }
  try {
    std::vector<std::string> segment_notices;
    parse_text(bytes, !text.header.fcs2(), name, file, out, segment_notices);
    for (auto& n : segment_notices)
      if (n.find("duplicate keywords") == std::string::npos) notices.push_back(std::move(n));
  } catch (const FcsError& e) {
    notices.push_back(name + " unreadable (" + e.message() + "); ignored");
  }
}

// Keyword names and values are bytes; the standard says UTF-8 (3.1) or ASCII, and older
// software (CellQuest, 0xAA) writes Latin-1 or Mac bytes. When every keyword is valid UTF-8
// it is kept; otherwise the whole set is read as Latin-1 (one file, one encoding: a Latin-1
// value that happens to form a valid UTF-8 sequence is still Latin-1), with a notice naming the
// first keyword that is not UTF-8.
void decode_keywords(DataSetText& text) {
  const Keywords::Entry* first_bad = nullptr;
  std::size_t at = 0;
  for (const auto& e : text.keywords.entries()) {
    if (auto i = first_invalid_utf8(e.name); i != std::string_view::npos) {
      first_bad = &e, at = i;
      break;
    }
    if (auto i = first_invalid_utf8(e.value); i != std::string_view::npos) {
      first_bad = &e, at = i + e.name.size() + 1;
      break;
    }
  }
  if (!first_bad) return;
  char byte[8];
  const std::string both = first_bad->name + "=" + first_bad->value;
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(both[at]));
  text.notices.push_back("TEXT is not valid UTF-8 (byte " + std::string(byte) + " in keyword " +
                         latin1_to_utf8(first_bad->name) + "): keywords read as Latin-1");
  text.encoding = "Latin-1";
  Keywords decoded;
  for (const auto& e : text.keywords.entries()) decoded.add_if_absent(latin1_to_utf8(e.name), latin1_to_utf8(e.value));
  text.keywords = std::move(decoded);
}

}  // namespace

DataSetText read_dataset_text(const ByteSource& source, std::uint64_t base, const std::string& file) {
  DataSetText text;
  text.base = base;
  std::vector<std::byte> scratch;
  const std::uint64_t available = source.size() > base ? source.size() - base : 0;
  text.header = parse_header(
      source.view(base, static_cast<std::size_t>(std::min<std::uint64_t>(available, header_size)), scratch),
      file);
  const Header& h = text.header;
  if (h.text_begin == 0 || h.text_end < h.text_begin)
    throw FcsError(FcsErrorKind::NotFcs,
                   "HEADER TEXT offsets " + range_text(h.text_begin, h.text_end) + " are not a segment",
                   {file, "HEADER"});
  if (h.text_begin < header_size)
    throw FcsError(FcsErrorKind::NotFcs,
                   "HEADER TEXT offset " + std::to_string(h.text_begin) + " lies inside the HEADER",
                   {file, "HEADER"});
  if (base + h.text_end >= source.size())
    throw FcsError(FcsErrorKind::Truncated,
                   "TEXT segment " + range_text(h.text_begin, h.text_end) +
                       " lies past the end of the file (" + std::to_string(source.size()) + " bytes)",
                   {file, "TEXT"});
  auto bytes = source.view(base + h.text_begin,
                           static_cast<std::size_t>(h.text_end - h.text_begin + 1), scratch);
  const char delimiter = static_cast<char>(bytes[0]);
  parse_text(bytes, !h.fcs2(), "TEXT", file, text.keywords, text.notices);
  if (h.version == "FCS3.2") text.notices.push_back("FCS3.2 file: read by the FCS 3.1 rules");

  auto stext_begin = offset_keyword(text.keywords, "$BEGINSTEXT");
  auto stext_end = offset_keyword(text.keywords, "$ENDSTEXT");
  if (stext_begin && stext_end)
    read_extra_segment(source, text, *stext_begin, *stext_end, delimiter, "supplemental TEXT", file,
                       text.keywords, text.notices);

  std::uint64_t analysis_begin = h.analysis_begin, analysis_end = h.analysis_end;
  if (analysis_begin == 0 && analysis_end == 0) {
    analysis_begin = offset_keyword(text.keywords, "$BEGINANALYSIS").value_or(0);
    analysis_end = offset_keyword(text.keywords, "$ENDANALYSIS").value_or(0);
  }
  if (analysis_begin != 0 || analysis_end != 0) {
    // ANALYSIS has its own delimiter (its first byte).
    if (analysis_end >= analysis_begin && base + analysis_end < source.size()) {
      auto first = source.view(base + analysis_begin, 1, scratch);
      read_extra_segment(source, text, analysis_begin, analysis_end, static_cast<char>(first[0]),
                         "ANALYSIS", file, text.keywords, text.notices);
    } else {
      text.notices.push_back("ANALYSIS " + range_text(analysis_begin, analysis_end) +
                             " lies outside the file; ignored");
    }
  }
  decode_keywords(text);
  return text;
}

std::vector<DataSetInfo> dataset_chain(const ByteSource& source, const DataSetText& first,
                                       const std::string& file, std::vector<std::string>& notices) {
  std::vector<DataSetInfo> chain;
  auto info = [](const DataSetText& t, std::size_t index) {
    DataSetInfo d;
    d.index = index;
    d.offset = t.base;
    d.version = t.header.version;
    if (auto tot = t.keywords.find("$TOT"))
      d.tot = parse_uint(*tot).value_or(0);
    return d;
  };
  chain.push_back(info(first, 0));
  std::set<std::uint64_t> seen{first.base};
  std::uint64_t base = first.base;
  const DataSetText* current = &first;
  DataSetText next;
  while (chain.size() < 10000) {
    auto value = current->keywords.find("$NEXTDATA");
    if (!value) break;
    auto offset = parse_uint(*value);
    if (!offset) {
      notices.push_back("$NEXTDATA '" + std::string(*value) + "' is not a number; chain ends");
      break;
    }
    if (*offset == 0) break;
    const std::uint64_t at = base + *offset;
    if (at < base || at >= source.size() || !seen.insert(at).second) {
      notices.push_back("$NEXTDATA points to byte " + std::to_string(at) +
                        " (outside the file or back into the chain); chain ends");
      break;
    }
    try {
      next = read_dataset_text(source, at, file);
    } catch (const FcsError& e) {
      notices.push_back("data set " + std::to_string(chain.size() + 1) + " at byte " +
                        std::to_string(at) + " unreadable (" + e.message() + "); chain ends");
      break;
    }
    chain.push_back(info(next, chain.size()));
    base = at;
    current = &next;
  }
  return chain;
}

}  // namespace cytopipe::fcs::detail
