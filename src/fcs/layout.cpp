#include "fcs/layout.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "fcs/text_util.hpp"

namespace cytopipe::fcs::detail {
namespace {

std::string pkey(std::size_t n, const char* suffix) { return "$P" + std::to_string(n) + suffix; }

[[noreturn]] void fail(FcsErrorKind kind, const std::string& file, const std::string& keyword,
                       const std::string& message) {
  throw FcsError(kind, message, {file, keyword});
}

std::string quoted(std::string_view value) {
  std::string out(1, '\'');
  out.append(value.substr(0, 60));
  out += '\'';
  return out;
}

// $BYTEORD as a permutation of 1..n (n <= 8).
std::vector<int> parse_byteord(std::string_view value, const std::string& file) {
  std::vector<int> order;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    auto field = value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
    auto n = parse_uint(field);
    if (!n || *n < 1 || *n > 8 || order.size() >= 8)
      fail(FcsErrorKind::BadKeyword, file, "$BYTEORD", quoted(value) + " is not a byte order");
    order.push_back(static_cast<int>(*n));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  auto sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int>(i + 1))
      fail(FcsErrorKind::BadKeyword, file, "$BYTEORD", quoted(value) + " is not a permutation of 1..n");
  return order;
}

bool ascending(const std::vector<int>& order) { return order.front() <= order.back(); }
bool monotonic(const std::vector<int>& order) {
  bool up = true, down = true;
  for (std::size_t i = 1; i < order.size(); ++i) {
    up = up && order[i] == order[i - 1] + 1;
    down = down && order[i] == order[i - 1] - 1;
  }
  return up || down;
}

struct DataPair {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t length() const { return end >= begin ? end - begin + 1 : 0; }
  std::string text() const { return std::to_string(begin) + "-" + std::to_string(end); }
};

// The smallest k with 2^k >= range.
int bits_for_range(double range) {
  int k = 0;
  while (k < 64 && std::ldexp(1.0, k) < range) ++k;
  return k;
}

// The $Pn keywords read per parameter, as Keywords::find would give them.
struct ParameterKeywords {
  std::optional<std::string_view> bits, name, marker, range, exponent, gain, voltage;
};

// Every parameter's keywords from one pass over the keywords in TEXT order. A lookup per
// parameter and suffix is a cache miss in a table of half a million keywords when a file
// describes 100,000 parameters; the pass reads them in sequence. Names match as find matches
// pkey(n, suffix): case-insensitively, n in decimal without leading zeros.
std::vector<ParameterKeywords> parameter_keywords(const Keywords& kw, std::size_t par) {
  std::vector<ParameterKeywords> out(par);
  for (const auto& e : kw.entries()) {
    const std::string_view name = e.name;
    if (name.size() < 4 || name[0] != '$' || (name[1] != 'P' && name[1] != 'p') || name[2] < '1' ||
        name[2] > '9')
      continue;
    std::size_t n = 0, i = 2;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && n <= par; ++i)
      n = n * 10 + static_cast<std::size_t>(name[i] - '0');
    if (n > par || i + 1 != name.size()) continue;
    auto& p = out[n - 1];
    switch (name[i]) {
      case 'B': case 'b': p.bits = e.value; break;
      case 'N': case 'n': p.name = e.value; break;
      case 'S': case 's': p.marker = e.value; break;
      case 'R': case 'r': p.range = e.value; break;
      case 'E': case 'e': p.exponent = e.value; break;
      case 'G': case 'g': p.gain = e.value; break;
      case 'V': case 'v': p.voltage = e.value; break;
      default: break;
    }
  }
  return out;
}

void read_channels(const Keywords& kw, std::size_t par, DataType type, const std::string& file,
                   Sample& sample, std::vector<std::size_t>& ascii_width, bool& ascii_delimited) {
  std::vector<std::string> missing_names;
  sample.channels.resize(par);
  const auto keywords = parameter_keywords(kw, par);
  for (std::size_t n = 1; n <= par; ++n) {
    Channel& ch = sample.channels[n - 1];
    const ParameterKeywords& pk = keywords[n - 1];
    ch.index = static_cast<int>(n);
    const auto bits = pk.bits;
    if (!bits) fail(FcsErrorKind::BadKeyword, file, pkey(n, "B"), "required keyword missing");
    if (type == DataType::Ascii && trim(*bits) == "*") {
      ascii_delimited = true;
      ch.bits = 0;
    } else {
      auto b = parse_uint(*bits);
      if (!b || *b == 0 || *b > (type == DataType::Ascii ? 100 : 64))
        fail(FcsErrorKind::BadKeyword, file, pkey(n, "B"), quoted(*bits) + " is not a valid bit width");
      ch.bits = static_cast<int>(*b);
      if (type == DataType::Float && *b != 32)
        fail(FcsErrorKind::BadKeyword, file, pkey(n, "B"), quoted(*bits) + ": $DATATYPE F needs 32 bits");
      if (type == DataType::Double && *b != 64)
        fail(FcsErrorKind::BadKeyword, file, pkey(n, "B"), quoted(*bits) + ": $DATATYPE D needs 64 bits");
      if (type == DataType::Ascii) ascii_width.push_back(static_cast<std::size_t>(*b));
    }
    if (auto name = pk.name; name && !trim(*name).empty())
      ch.name = std::string(trim(*name));
    else
      missing_names.push_back(pkey(n, "N"));
    if (auto marker = pk.marker) ch.marker = std::string(trim(*marker));
    if (auto range = pk.range) ch.range = parse_double(*range).value_or(0);
    if (auto e = pk.exponent; e && !trim(*e).empty()) {
      auto comma = e->find(',');
      auto f1 = parse_double(e->substr(0, comma));
      auto f2 = comma == std::string_view::npos ? std::optional<double>(0.0)
                                                : parse_double(e->substr(comma + 1));
      if (!f1 || !f2 || *f1 < 0) {
        if (type == DataType::Integer)
          fail(FcsErrorKind::BadKeyword, file, pkey(n, "E"), quoted(*e) + " is not 'f1,f2'");
        sample.notices.push_back(pkey(n, "E") + " " + quoted(*e) + " malformed; ignored (float data)");
      } else {
        ch.log_decades = *f1;
        ch.log_offset = *f2;
        // Linearised values reach f2 x 10^f1 at the top of the range (f2 = 0 reads as 1).
        if (type == DataType::Integer && *f1 > 0 && !std::isfinite(std::pow(10.0, *f1) * (*f2 == 0 ? 1.0 : *f2)))
          sample.notices.push_back(pkey(n, "E") + " " + quoted(*e) +
                                   ": 10^f1 x f2 overflows a double, so the top of the scale reads as infinity "
                                   "when linearised");
      }
    }
    if (auto g = pk.gain) ch.gain = parse_double(*g);
    if (auto v = pk.voltage) ch.voltage = parse_double(*v);
  }
  if (!missing_names.empty()) {
    std::string list;
    for (const auto& m : missing_names) list += (list.empty() ? "" : ", ") + m;
    fail(FcsErrorKind::BadKeyword, file, missing_names.front(), "required keyword(s) " + list + " missing");
  }
  // Duplicate names become NAME-1, NAME-2, ... (flowCore), so every channel can be named.
  std::map<std::string, int> count;
  for (const auto& ch : sample.channels) ++count[ch.name];
  std::map<std::string, int> seen;
  std::string renamed;
  for (auto& ch : sample.channels)
    if (count[ch.name] > 1) {
      if (seen[ch.name] == 0) renamed += (renamed.empty() ? "" : ", ") + ch.name;
      ch.name += "-" + std::to_string(++seen[ch.name]);
    }
  if (!renamed.empty())
    sample.notices.push_back("duplicate $PnN renamed with -1, -2 suffixes: " + renamed);
}

}  // namespace

Layout plan_layout(const DataSetText& text, std::uint64_t file_size, const std::string& file,
                   const ReadOptions& options, Sample& sample) {
  const Keywords& kw = text.keywords;
  Layout layout;
  layout.apply_rules = options.values != ValueRule::Raw;

  if (auto mode = kw.find("$MODE"); mode && upper(trim(*mode)) != "L")
    fail(FcsErrorKind::UnsupportedMode, file, "$MODE",
         quoted(*mode) + ": only list mode (L) is read");

  auto datatype = kw.find("$DATATYPE");
  if (!datatype) fail(FcsErrorKind::BadKeyword, file, "$DATATYPE", "required keyword missing");
  const std::string type = upper(trim(*datatype));
  if (type == "I") layout.datatype = DataType::Integer;
  else if (type == "F") layout.datatype = DataType::Float;
  else if (type == "D") layout.datatype = DataType::Double;
  else if (type == "A") layout.datatype = DataType::Ascii;
  else fail(FcsErrorKind::BadKeyword, file, "$DATATYPE", quoted(*datatype) + " is not I, F, D or A");
  if (layout.datatype == DataType::Ascii) {
    if (!options.allow_ascii)
      fail(FcsErrorKind::Other, file, "$DATATYPE",
           "A (ASCII) is not read by flowCore (the ASCII extension is switched off)");
    sample.notices.push_back("$DATATYPE A (ASCII): read as an extension (flowCore does not read it)");
  }
  sample.datatype = layout.datatype;

  auto par_text = kw.find("$PAR");
  if (!par_text) fail(FcsErrorKind::BadKeyword, file, "$PAR", "required keyword missing");
  auto par = parse_uint(*par_text);
  if (!par || *par == 0 || *par > 100000)
    fail(FcsErrorKind::BadKeyword, file, "$PAR", quoted(*par_text) + " is not a parameter count (1..100000)");

  std::vector<int> byteord{1, 2, 3, 4};
  if (layout.datatype != DataType::Ascii) {
    auto order = kw.find("$BYTEORD");
    if (!order) fail(FcsErrorKind::BadKeyword, file, "$BYTEORD", "required keyword missing");
    byteord = parse_byteord(*order, file);
    if ((layout.datatype == DataType::Float || layout.datatype == DataType::Double) && !monotonic(byteord))
      fail(FcsErrorKind::BadKeyword, file, "$BYTEORD",
           quoted(*order) + ": float data must be little or big endian");
  }

  read_channels(kw, static_cast<std::size_t>(*par), layout.datatype, file, sample,
                layout.ascii_width, layout.ascii_delimited);

  // A $BYTEORD shorter than the words ("1,2" with 32-bit values) says only a direction. It is
  // read as that direction (ascending = little endian), which is what flowCore does (it maps
  // the order to an endianness whatever its length) and what such files' writers meant; not
  // silently, since the keyword does not describe the data.
  if (layout.datatype != DataType::Ascii) {
    std::size_t word_bytes = layout.datatype == DataType::Double ? 8 : layout.datatype == DataType::Float ? 4 : 0;
    if (layout.datatype == DataType::Integer)
      for (const auto& ch : sample.channels)
        if (ch.bits % 8 == 0) word_bytes = std::max(word_bytes, static_cast<std::size_t>(ch.bits / 8));
    if (byteord.size() < word_bytes)
      sample.notices.push_back("$BYTEORD " + quoted(*kw.find("$BYTEORD")) + " has " + std::to_string(byteord.size()) +
                               " bytes for " + std::to_string(word_bytes) + "-byte values: read as " +
                               (ascending(byteord) ? "little" : "big") + " endian, as flowCore does");
  }

  // Event layout.
  std::uint64_t bits_per_event = 0;
  bool byte_aligned = true;
  for (const auto& ch : sample.channels) {
    bits_per_event += layout.datatype == DataType::Ascii ? 8u * static_cast<unsigned>(ch.bits)
                                                         : static_cast<unsigned>(ch.bits);
    if (ch.bits % 8 != 0 && layout.datatype == DataType::Integer) byte_aligned = false;
  }

  // $TOT and the DATA segment.
  std::optional<std::uint64_t> tot;
  if (auto t = kw.find("$TOT")) {
    tot = parse_uint(*t);
    if (!tot) fail(FcsErrorKind::BadKeyword, file, "$TOT", quoted(*t) + " is not a number");
  }
  std::optional<std::uint64_t> needed;
  if (tot && bits_per_event > 0 && *tot <= (std::uint64_t{1} << 62) / bits_per_event)
    needed = (*tot * bits_per_event + 7) / 8;

  const Header& h = text.header;
  DataPair header_pair{h.data_begin, h.data_end};
  std::optional<DataPair> text_pair;
  {
    auto b = kw.find("$BEGINDATA"), e = kw.find("$ENDDATA");
    if (b && e) {
      auto bv = parse_uint(*b), ev = parse_uint(*e);
      if (bv && ev) text_pair = DataPair{*bv, *ev};
      else if (!h.fcs2())
        sample.notices.push_back("$BEGINDATA/$ENDDATA " + quoted(*b) + "/" + quoted(*e) +
                                 " malformed; ignored");
    }
  }
  const bool header_zero = h.data_begin == 0 || h.data_end == 0 || h.data_end == 99999999;
  auto fits = [&](const DataPair& p) {
    return needed && p.end >= p.begin && (p.length() == *needed || p.length() == *needed + 1);
  };
  auto both = [&] {
    return "HEADER data offsets " + header_pair.text() + " (" + std::to_string(header_pair.length()) +
           " bytes), TEXT $BEGINDATA/$ENDDATA " + text_pair->text() + " (" +
           std::to_string(text_pair->length()) + " bytes)";
  };
  DataPair chosen = header_pair;
  if (options.offsets == OffsetPolicy::Header && !header_zero) {
    chosen = header_pair;
    if (text_pair && (text_pair->begin != header_pair.begin || text_pair->end != header_pair.end))
      sample.notices.push_back("offsets forced to HEADER: " + both());
  } else if (options.offsets == OffsetPolicy::Text && text_pair) {
    chosen = *text_pair;
    if (text_pair->begin != header_pair.begin || text_pair->end != header_pair.end)
      sample.notices.push_back("offsets forced to TEXT: " + both());
  } else if (header_zero) {
    if (!text_pair)
      fail(FcsErrorKind::BadKeyword, file, "$BEGINDATA",
           "HEADER data offsets " + header_pair.text() +
               " are not usable and TEXT has no valid $BEGINDATA/$ENDDATA");
    chosen = *text_pair;
  } else if (!text_pair || h.fcs2() ||
             (text_pair->begin == header_pair.begin && text_pair->end == header_pair.end)) {
    chosen = header_pair;  // FCS 2.0 has no $BEGINDATA: its HEADER is the only authority
  } else {
    const bool header_fits = fits(header_pair), text_fits = fits(*text_pair);
    const std::string expected =
        needed ? "$TOT x bytes/event = " + std::to_string(*needed) + " bytes" : "$TOT unknown";
    // When both fit, one past the end of the file (a trailing byte counted that is not there)
    // loses to one inside it.
    auto inside = [&](const DataPair& p) { return text.base + p.end < file_size; };
    if (header_fits && !(text_fits && !inside(header_pair) && inside(*text_pair))) {
      chosen = header_pair;
      sample.notices.push_back("data offsets disagree: " + both() + "; used the HEADER pair, whose length fits " +
                               expected + (text_fits ? " (both fit)" : ""));
    } else if (text_fits) {
      chosen = *text_pair;
      sample.notices.push_back("data offsets disagree: " + both() + "; used the TEXT pair, whose length fits " +
                               expected);
    } else {
      fail(FcsErrorKind::OffsetsInconsistent, file, "$BEGINDATA",
           "data offsets disagree: " + both() + ", and neither fits " + expected +
               " (force one with --offsets header|text)");
    }
  }

  const std::uint64_t tot_or_zero = tot.value_or(0);
  if (chosen.end < chosen.begin || (chosen.begin == 0 && chosen.end == 0)) {
    if (tot_or_zero != 0 || !tot)
      fail(FcsErrorKind::BadKeyword, file, "$BEGINDATA",
           "DATA offsets " + chosen.text() + " are not a segment");
    layout.data_begin = text.base;
    layout.data_length = 0;
  } else {
    std::uint64_t abs_end = text.base + chosen.end;
    // Some benchtop writers put $ENDDATA (and the HEADER end) one byte past the last byte of the
    // file. When both pairs agree and $TOT x bytes/event fits exactly before the end, the data
    // are all there: read them, as flowCore (ignore.text.offset) and FlowIO do, and say so.
    const bool pairs_agree = !text_pair || (text_pair->begin == chosen.begin && text_pair->end == chosen.end);
    if (abs_end == file_size && pairs_agree && needed && chosen.end >= chosen.begin &&
        chosen.length() == *needed + 1) {
      sample.notices.push_back("DATA end offset " + std::to_string(chosen.end) +
                               " is one byte past the end of the file (" + std::to_string(file_size) +
                               " bytes, off by one); $TOT x bytes/event = " + std::to_string(*needed) +
                               " bytes fit exactly: read them");
      --chosen.end;
      --abs_end;
    }
    if (abs_end >= file_size || abs_end < text.base)
      fail(FcsErrorKind::Truncated, file, "DATA",
           "DATA segment " + chosen.text() +
               (needed ? " ($TOT x bytes/event = " + std::to_string(*needed) + " bytes)" : std::string()) +
               " lies past the end of the file (" + std::to_string(file_size) + " bytes)");
    if (chosen.begin < header_size)
      fail(FcsErrorKind::BadKeyword, file, "$BEGINDATA",
           "DATA segment " + chosen.text() + " starts inside the HEADER");
    layout.data_begin = text.base + chosen.begin;
    layout.data_length = chosen.length();
  }

  // Odd widths stored in whole words (Beckman Coulter CXP writes $PnB 10 into 16-bit words).
  if (!byte_aligned && tot) {
    std::uint64_t word_bytes = 0;
    for (const auto& ch : sample.channels) word_bytes += (static_cast<unsigned>(ch.bits) + 7) / 8 * 1u;
    std::uint64_t even_words = 0;
    for (const auto& ch : sample.channels) even_words += ch.bits <= 8 ? 1 : ch.bits <= 16 ? 2 : ch.bits <= 32 ? 4 : 8;
    const std::uint64_t len = layout.data_length;
    bool packed_fits = needed && (len == *needed || len == *needed + 1);
    for (std::uint64_t per_event : {word_bytes, even_words}) {
      const std::uint64_t words = *tot * per_event;
      if (!packed_fits && (len == words || len == words + 1))
        fail(FcsErrorKind::BadKeyword, file, pkey(1, "B"),
             "$PnB " + std::to_string(sample.channels.front().bits) + " but DATA holds " +
                 std::to_string(per_event * 8 / sample.channels.size()) + "-bit words (" +
                 std::to_string(len) + " bytes = $TOT x " + std::to_string(per_event) +
                 " bytes/event" + (len == words + 1 ? " + 1" : "") + "): known broken-writer case");
    }
  }

  // Event count against $TOT.
  if (layout.ascii_delimited) {
    if (!tot) fail(FcsErrorKind::BadKeyword, file, "$TOT", "required keyword missing (ASCII '*' data)");
    // Every value takes at least one character and a separator.
    if (*tot > layout.data_length || *tot * sample.channels.size() > layout.data_length)
      fail(FcsErrorKind::TotMismatch, file, "$TOT",
           "$TOT is " + std::to_string(*tot) + " but the ASCII DATA segment has only " +
               std::to_string(layout.data_length) + " bytes");
    layout.events = static_cast<std::size_t>(*tot);
  } else {
    const std::uint64_t available = layout.data_length * 8 / bits_per_event;
    if (!tot) {
      layout.events = static_cast<std::size_t>(available);
      sample.notices.push_back("$TOT missing: " + std::to_string(available) + " events from the DATA length");
    } else {
      const bool ok = available == *tot ||
                      (needed && (layout.data_length == *needed || layout.data_length == *needed + 1));
      if (!ok)
        fail(FcsErrorKind::TotMismatch, file, "$TOT",
             "$TOT is " + std::to_string(*tot) + " but DATA segment " + chosen.text() + " (" +
                 std::to_string(layout.data_length) + " bytes, " + std::to_string(bits_per_event / 8.0) +
                 " bytes/event) holds " + std::to_string(available) + " events");
      layout.events = static_cast<std::size_t>(*tot);
    }
  }

  // Decode plan and value rules.
  const bool transformed = kw.contains("transformation");
  const bool rules = layout.apply_rules && !transformed;
  layout.plan.bits_per_event = static_cast<std::size_t>(bits_per_event);
  layout.plan.packed = !byte_aligned;
  std::size_t bit_offset = 0;
  for (std::size_t c = 0; c < sample.channels.size(); ++c) {
    Channel& ch = sample.channels[c];
    ChannelPlan p;
    p.bits = ch.bits;
    p.bytes = (ch.bits + 7) / 8;
    p.byte_offset = bit_offset / 8;
    p.bit_offset = bit_offset;
    bit_offset += layout.datatype == DataType::Ascii ? 8u * static_cast<unsigned>(ch.bits)
                                                     : static_cast<unsigned>(ch.bits);
    const bool range_valid = std::isfinite(ch.range) && ch.range > 0;
    switch (layout.datatype) {
      case DataType::Integer: {
        const std::string r_key = pkey(c + 1, "R");
        if (!range_valid)
          fail(FcsErrorKind::BadKeyword, file, r_key,
               quoted(kw.find(r_key).value_or("(missing)")) + " is not a positive range");
        if (ch.range > 4294967296.0)
          fail(FcsErrorKind::BadKeyword, file, r_key,
               detail::format_double(ch.range) + " is above 2^32 (not an integer range)");
        p.kind = byte_aligned ? ChannelPlan::Kind::UInt : ChannelPlan::Kind::Packed;
        const int k = bits_for_range(ch.range);
        if (k < ch.bits) p.mask = (std::uint64_t{1} << k) - 1;
        const std::size_t m = byteord.size();
        if (static_cast<std::size_t>(p.bytes) == m && !monotonic(byteord)) {
          p.permuted = true;
          for (std::size_t j = 0; j < m; ++j) p.shift[j] = static_cast<std::uint8_t>(8 * (byteord[j] - 1));
        } else {
          p.big_endian = !ascending(byteord);
        }
        if (rules) {
          p.truncate = true;
          p.range = ch.range;
          if (ch.log_decades > 0) {
            p.linearise = true;
            p.decades = ch.log_decades;
            p.offset = ch.log_offset == 0 ? 1.0 : ch.log_offset;
            ch.linearised = true;
          }
        }
        break;
      }
      case DataType::Float:
      case DataType::Double:
      case DataType::Ascii:
        p.kind = layout.datatype == DataType::Double ? ChannelPlan::Kind::Float64 : ChannelPlan::Kind::Float32;
        p.big_endian = !ascending(byteord);
        if (!range_valid) {
          layout.range_from_max.push_back(c);
        } else if (rules) {
          p.truncate = true;
          p.range = ch.range;
        }
        break;
    }
    if (options.values == ValueRule::FlowCoreWithGain && !p.linearise && ch.gain && *ch.gain > 0 &&
        *ch.gain != 1) {
      p.divide_by = *ch.gain;
      ch.gain_applied = true;
    }
    layout.plan.channels.push_back(p);
  }
  return layout;
}

void keep_channels(Layout& layout, const std::vector<std::size_t>& kept) {
  std::vector<std::size_t> range_from_max;
  for (std::size_t i = 0; i < kept.size(); ++i)
    if (std::find(layout.range_from_max.begin(), layout.range_from_max.end(), kept[i]) != layout.range_from_max.end())
      range_from_max.push_back(i);
  layout.range_from_max = std::move(range_from_max);
  if (layout.datatype == DataType::Ascii) {
    // ASCII values are read in file order (each one still checked); only kept ones are stored.
    layout.ascii_column.assign(layout.plan.channels.size(), std::string::npos);
    for (std::size_t i = 0; i < kept.size(); ++i) layout.ascii_column[kept[i]] = i;
    return;
  }
  // Each plan channel keeps its own offsets within the event, so the rest decode unchanged.
  std::vector<ChannelPlan> channels;
  for (std::size_t position : kept) channels.push_back(layout.plan.channels[position]);
  layout.plan.channels = std::move(channels);
}

namespace {

void decode_ascii(const ByteSource& source, const Layout& layout, Sample& sample,
                  const std::string& file) {
  std::vector<std::byte> scratch;
  auto bytes = source.view(layout.data_begin, static_cast<std::size_t>(layout.data_length), scratch);
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t par = layout.plan.channels.size();  // every channel of the file
  auto store = [&](std::size_t event, std::size_t c, std::string_view field) {
    auto v = parse_double(field);
    if (!v)
      throw FcsError(FcsErrorKind::Other,
                     "ASCII value " + quoted(field) + " (event " + std::to_string(event + 1) +
                         ", " + pkey(c + 1, "N") + ") is not a number",
                     {file, "DATA"});
    const auto& p = layout.plan.channels[c];
    double x = *v;
    if (p.truncate && x > p.range) x = p.range;
    if (p.divide_by != 1) x /= p.divide_by;
    const std::size_t column = layout.ascii_column.empty() ? c : layout.ascii_column[c];
    if (column != std::string::npos) sample.events.column(column)[event] = x;
  };
  if (layout.ascii_delimited) {
    std::size_t pos = 0, index = 0;
    const std::size_t total = layout.events * par;
    auto separator = [](char c) { return c == ',' || is_space(c); };
    while (index < total) {
      while (pos < text.size() && separator(text[pos])) ++pos;
      if (pos >= text.size())
        throw FcsError(FcsErrorKind::TotMismatch,
                       "ASCII DATA ends after " + std::to_string(index) + " values, $TOT x $PAR = " +
                           std::to_string(total),
                       {file, "$TOT"});
      std::size_t end = pos;
      while (end < text.size() && !separator(text[end])) ++end;
      store(index / par, index % par, text.substr(pos, end - pos));
      ++index;
      pos = end;
    }
    return;
  }
  std::size_t pos = 0;
  for (std::size_t e = 0; e < layout.events; ++e)
    for (std::size_t c = 0; c < par; ++c) {
      store(e, c, text.substr(pos, layout.ascii_width[c]));
      pos += layout.ascii_width[c];
    }
}

}  // namespace

void decode_data(const ByteSource& source, const Layout& layout, const ReadOptions& options,
                 Sample& sample, const std::function<void(std::size_t, std::size_t)>& decoded) {
  // Chunk by chunk only when nothing is changed after decoding (a range taken from the column
  // maximum is): else once, at the end.
  const bool per_chunk = decoded && layout.range_from_max.empty() && layout.datatype != DataType::Ascii;
  if (layout.events > 0) {
    if (layout.datatype == DataType::Ascii) {
      decode_ascii(source, layout, sample, sample.source);
    } else {
      decode_chunked(layout.plan, layout.events, sample.events, options.parallel,
                     [&](std::size_t offset, std::size_t length, ScratchBuffer& scratch) {
                       const auto at = layout.data_begin + offset;
                       return source.is_file() ? source.view(at, length, scratch.get(length))
                                               : source.view(at, length, std::span<std::byte>());
                     },
                     per_chunk ? decoded : std::function<void(std::size_t, std::size_t)>());
    }
  }
  for (std::size_t c : layout.range_from_max) {
    auto column = sample.events.column(c);
    double max = column.empty() ? 0 : *std::max_element(column.begin(), column.end());
    sample.channels[c].range = max;
    sample.notices.push_back(pkey(static_cast<std::size_t>(sample.channels[c].index), "R") +
                             " missing or invalid: the column maximum " +
                             format_double(max) + " is used as the range");
  }
  if (decoded && !per_chunk && layout.events > 0) decoded(0, layout.events);
}

}  // namespace cytopipe::fcs::detail
