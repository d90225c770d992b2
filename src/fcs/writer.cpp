// Writing FCS 3.1: float32 little-endian list mode, keywords that still hold, spillover kept.
#include "cytopipe/fcs/writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <ostream>
#include <set>
#include <sstream>

#ifdef CYTOPIPE_FCS_TBB
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#endif

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/fcs/event_blocks.hpp"
#include "fcs/huge_pages.hpp"
#include "fcs/spillover.hpp"
#include "fcs/text_util.hpp"

namespace cytopipe::fcs {
namespace {

using detail::format_double;
using detail::upper;

// Keywords rewritten from the data actually written (never copied).
const std::set<std::string> rewritten = {
    "$BEGINDATA", "$ENDDATA", "$BEGINSTEXT", "$ENDSTEXT", "$BEGINANALYSIS", "$ENDANALYSIS",
    "$NEXTDATA",  "$PAR",     "$TOT",        "$DATATYPE", "$BYTEORD",       "$MODE",
    "TRANSFORMATION", "SPILL", "SPILLOVER", "$SPILLOVER"};

// "$P12N" -> (12, "N"); anything else -> (0, "").
std::pair<std::size_t, std::string> channel_keyword(std::string_view name) {
  if (name.size() < 4 || (name[0] != '$') || (name[1] != 'P' && name[1] != 'p')) return {0, ""};
  std::size_t i = 2, n = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && i < 10) n = n * 10 + static_cast<std::size_t>(name[i++] - '0');
  if (i == 2 || i == name.size() || n == 0) return {0, ""};
  return {n, upper(name.substr(i))};
}

struct Plan {
  std::vector<std::size_t> channels;
  std::vector<std::size_t> events;  // indices kept, empty with all_events
  bool all_events = true;
  std::size_t event_count = 0;
  std::uint64_t data_bytes = 0;
};

// `events`: the sample's events, or those of a block reader (sample = its metadata).
Plan make_plan(const Sample& sample, const WriteOptions& options, std::size_t events) {
  Plan plan;
  if (options.channels) {
    plan.channels = *options.channels;
    for (auto c : plan.channels)
      if (c >= sample.channels.size())
        throw Error("channel index " + std::to_string(c) + " out of range (the sample has " +
                        std::to_string(sample.channels.size()) + " channels)",
                    {sample.source, ""});
  } else {
    for (std::size_t c = 0; c < sample.channels.size(); ++c) plan.channels.push_back(c);
  }
  if (plan.channels.empty()) throw Error("no channels to write", {sample.source, ""});
  if (options.keep_event) {
    if (options.keep_event->size() != events)
      throw Error("event selection has " + std::to_string(options.keep_event->size()) +
                      " flags for " + std::to_string(events) + " events",
                  {sample.source, ""});
    plan.all_events = false;
    for (std::size_t e = 0; e < options.keep_event->size(); ++e)
      if ((*options.keep_event)[e]) plan.events.push_back(e);
    plan.event_count = plan.events.size();
  } else {
    plan.event_count = events;
  }
  plan.data_bytes = std::uint64_t{plan.event_count} * plan.channels.size() * 4;
  return plan;
}

std::vector<Keywords::Entry> keyword_list(const Sample& sample, const Plan& plan) {
  std::vector<Keywords::Entry> out;
  std::map<std::size_t, std::vector<std::pair<std::string, std::string>>> per_channel;
  std::vector<Keywords::Entry> kept;
  for (const auto& e : sample.keywords.entries()) {
    if (rewritten.count(upper(e.name))) continue;
    auto [n, suffix] = channel_keyword(e.name);
    if (n > 0) {
      per_channel[n].emplace_back(suffix, e.value);
      continue;
    }
    kept.push_back(e);
  }
  out.push_back({"$BEGINANALYSIS", "0"});
  out.push_back({"$ENDANALYSIS", "0"});
  out.push_back({"$BEGINSTEXT", "0"});
  out.push_back({"$ENDSTEXT", "0"});
  out.push_back({"$BYTEORD", "1,2,3,4"});
  out.push_back({"$DATATYPE", "F"});
  out.push_back({"$MODE", "L"});
  out.push_back({"$NEXTDATA", "0"});
  out.push_back({"$PAR", std::to_string(plan.channels.size())});
  out.push_back({"$TOT", std::to_string(plan.event_count)});
  bool transformed = sample.keywords.contains("transformation");
  for (std::size_t j = 0; j < plan.channels.size(); ++j) {
    const Channel& ch = sample.channels[plan.channels[j]];
    transformed = transformed || ch.linearised || ch.gain_applied;
  }
  if (transformed) out.push_back({"transformation", "applied"});
  for (auto& e : kept) out.push_back(std::move(e));

  std::set<std::string> written_names;
  for (std::size_t j = 0; j < plan.channels.size(); ++j) {
    const Channel& ch = sample.channels[plan.channels[j]];
    written_names.insert(ch.name);
    const std::string p = "$P" + std::to_string(j + 1);
    out.push_back({p + "N", ch.name});
    if (!ch.marker.empty()) out.push_back({p + "S", ch.marker});
    out.push_back({p + "B", "32"});
    std::string range, e = "0,0", gain;
    const auto& raw = per_channel[static_cast<std::size_t>(ch.index)];
    for (const auto& [suffix, value] : raw) {
      if (suffix == "R") range = value;
      if (suffix == "E") e = value;
      if (suffix == "G") gain = value;
    }
    if (ch.linearised) {
      // Values are linear now: the range is the linearised top and $PnE says linear.
      range = format_double(std::pow(10.0, ch.log_decades) * (ch.log_offset == 0 ? 1.0 : ch.log_offset));
      e = "0,0";
    }
    if (range.empty()) range = format_double(ch.range);
    if (ch.gain_applied) gain = "1";
    out.push_back({p + "E", e});
    out.push_back({p + "R", range});
    if (!gain.empty()) out.push_back({p + "G", gain});
    for (const auto& [suffix, value] : raw)
      if (suffix != "N" && suffix != "S" && suffix != "B" && suffix != "E" && suffix != "R" && suffix != "G")
        out.push_back({p + suffix, value});
  }

  if (sample.spillover && sample.spillover->rows() == sample.spillover->cols()) {
    // Keep the rows and columns of the detectors still written.
    const Spillover& s = *sample.spillover;
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < s.cols(); ++i)
      if (written_names.count(s.detectors[i])) keep.push_back(i);
    if (!keep.empty()) {
      Spillover sub;
      sub.keyword = s.keyword.empty() ? "$SPILLOVER" : s.keyword;
      for (auto i : keep) sub.detectors.push_back(s.detectors[i]);
      sub.fluorochromes = sub.detectors;
      for (auto r : keep)
        for (auto c : keep) sub.values.push_back(s.at(r, c));
      out.push_back({sub.keyword, detail::format_spillover(sub)});
    }
  }
  return out;
}

// A delimiter that appears in no keyword, so nothing needs escaping (falls back to escaping).
char choose_delimiter(const std::vector<Keywords::Entry>& keywords) {
  for (char candidate : {'|', '/', '\\', '\x0c', '!', '~', '^', '#', '@', '\x1e'}) {
    bool used = false;
    for (const auto& e : keywords)
      if (e.name.find(candidate) != std::string::npos || e.value.find(candidate) != std::string::npos) {
        used = true;
        break;
      }
    if (!used) return candidate;
  }
  return '\x1e';
}

void append_escaped(std::string& text, std::string_view value, char delimiter) {
  if (value.empty()) value = " ";  // FCS 3.1 forbids empty values; readers right-trim this away
  for (char c : value) {
    text += c;
    if (c == delimiter) text += c;
  }
}

std::string field8(std::uint64_t value) {
  std::string s = std::to_string(value);
  return std::string(8 - std::min<std::size_t>(8, s.size()), ' ') + s;
}

// HEADER + TEXT, with the data segment's offsets filled in.
std::string header_and_text(const std::vector<Keywords::Entry>& keywords, std::uint64_t data_bytes) {
  const char delimiter = choose_delimiter(keywords);
  std::string body;
  for (const auto& e : keywords) {
    append_escaped(body, e.name, delimiter);
    body += delimiter;
    append_escaped(body, e.value, delimiter);
    body += delimiter;
  }
  // $BEGINDATA's digits change the TEXT length, which moves $BEGINDATA: iterate to a fixed point.
  std::uint64_t begin = 0;
  std::string text;
  for (int round = 0; round < 8; ++round) {
    const std::uint64_t end = data_bytes == 0 ? 0 : begin + data_bytes - 1;
    text.assign(1, delimiter);
    text += "$BEGINDATA";
    text += delimiter;
    text += std::to_string(data_bytes == 0 ? 0 : begin);
    text += delimiter;
    text += "$ENDDATA";
    text += delimiter;
    text += std::to_string(end);
    text += delimiter;
    text += body;
    const std::uint64_t next = 58 + text.size();
    if (next == begin) break;
    begin = next;
  }
  const std::uint64_t text_end = 58 + text.size() - 1;
  const std::uint64_t data_end = data_bytes == 0 ? 0 : begin + data_bytes - 1;
  const bool big = data_end > 99999999;  // HEADER fields hold 8 digits: then TEXT alone says
  std::string header = "FCS3.1    ";
  header += field8(58) + field8(text_end);
  header += data_bytes == 0 || big ? field8(0) + field8(0) : field8(begin) + field8(data_end);
  header += field8(0) + field8(0);
  return header + text;
}

// Events [first, first + n) of the plan (rows of `columns`, offset by `row0`) as float32
// little-endian, event-major, into `buffer`.
void encode_events(const Plan& plan, const std::vector<const double*>& columns, std::size_t first, std::size_t n,
                   std::size_t row0, float* buffer) {
  const std::size_t nc = columns.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t e = plan.all_events ? first + i : plan.events[first + i];
    for (std::size_t c = 0; c < nc; ++c) buffer[i * nc + c] = static_cast<float>(columns[c][e - row0]);
  }
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t k = 0; k < n * nc; ++k) {
      std::uint32_t bits;
      std::memcpy(&bits, &buffer[k], 4);
      bits = __builtin_bswap32(bits);
      std::memcpy(&buffer[k], &bits, 4);
    }
  }
}

void write_data(std::ostream& out, const Sample& sample, const Plan& plan) {
  constexpr std::size_t block = 16384;
  const std::size_t nc = plan.channels.size();
  std::vector<float> buffer(block * nc);
  std::vector<const double*> columns;
  for (auto c : plan.channels) columns.push_back(sample.events.column(c).data());
  for (std::size_t first = 0; first < plan.event_count; first += block) {
    const std::size_t n = std::min(block, plan.event_count - first);
    encode_events(plan, columns, first, n, 0, buffer.data());
    out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(n * nc * 4));
  }
}

// The DATA segment from a block reader: blocks decoded and encoded in parallel (TBB; a ring of
// output buffers reused, so nothing large is faulted in per block), written in order.
void write_data(std::ostream& out, const EventBlocks& blocks, const Plan& plan) {
  const std::size_t nc = plan.channels.size();
  // 512 KiB of floats a block (8192 events at 16 channels; whole 64-event words): the ring's
  // buffers are pieces of one huge page, faulted in once, and each block stays in cache from
  // its read to its write (2 MiB blocks took a huge page each and ~8 % more CPU).
  const std::size_t block = std::max<std::size_t>(64, (std::size_t{512} << 10) / (4 * nc) / 64 * 64);
  const std::size_t count = (plan.event_count + block - 1) / block;
  auto encode_block = [&](std::size_t b, float* buffer) {
    const std::size_t first = b * block, n = std::min(block, plan.event_count - first);
    blocks.decode_rows(first, n, plan.channels, buffer);
    if constexpr (std::endian::native == std::endian::big) {
      for (std::size_t k = 0; k < n * nc; ++k) {
        std::uint32_t bits;
        std::memcpy(&bits, &buffer[k], 4);
        bits = __builtin_bswap32(bits);
        std::memcpy(&buffer[k], &bits, 4);
      }
    }
    return n;
  };
#ifdef CYTOPIPE_FCS_TBB
  const std::size_t ring = 2 * static_cast<std::size_t>(std::max(1, tbb::this_task_arena::max_concurrency()));
  std::vector<detail::ScratchBuffer> buffers(ring);
  std::size_t next = 0;
  struct Item {
    std::size_t index = 0, events = 0;
  };
  // At most `ring` blocks in flight and the last stage in order: block i's buffer (i % ring) is
  // written out before block i + ring starts.
  tbb::parallel_pipeline(
      ring,
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) -> std::size_t {
                                            if (next >= count) fc.stop();
                                            return next++;
                                          }) &
          tbb::make_filter<std::size_t, Item>(tbb::filter_mode::parallel,
                                              [&](std::size_t b) {
                                                auto bytes = buffers[b % ring].get(block * nc * sizeof(float));
                                                return Item{b, encode_block(b, reinterpret_cast<float*>(bytes.data()))};
                                              }) &
          tbb::make_filter<Item, void>(tbb::filter_mode::serial_in_order, [&](Item item) {
            auto bytes = buffers[item.index % ring].get(block * nc * sizeof(float));
            out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(item.events * nc * 4));
          }));
#else
  detail::ScratchBuffer buffer;
  for (std::size_t b = 0; b < count; ++b) {
    auto bytes = buffer.get(block * nc * sizeof(float));
    const std::size_t n = encode_block(b, reinterpret_cast<float*>(bytes.data()));
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(n * nc * 4));
  }
#endif
}

void write_all(std::ostream& out, const EventBlocks& blocks, const WriteOptions& options) {
  if (options.keep_event)
    throw Error("an event selection cannot be written from a block reader", {blocks.metadata().source, ""});
  const Sample& sample = blocks.metadata();
  const Plan plan = make_plan(sample, options, blocks.events());
  const std::string head = header_and_text(keyword_list(sample, plan), plan.data_bytes);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  write_data(out, blocks, plan);
}

void write_all(std::ostream& out, const Sample& sample, const WriteOptions& options) {
  const Plan plan = make_plan(sample, options, sample.event_count());
  const std::string head = header_and_text(keyword_list(sample, plan), plan.data_bytes);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  write_data(out, sample, plan);
}

}  // namespace

std::vector<std::byte> to_fcs_bytes(const Sample& sample, const WriteOptions& options) {
  std::ostringstream out(std::ios::binary);
  write_all(out, sample, options);
  const std::string s = std::move(out).str();
  std::vector<std::byte> bytes(s.size());
  if (!s.empty()) std::memcpy(bytes.data(), s.data(), s.size());
  return bytes;
}

void write_fcs(const std::filesystem::path& file, const Sample& sample, const WriteOptions& options) {
  write_file_atomically(file, [&](std::ostream& out) { write_all(out, sample, options); });
}

void write_fcs(const std::filesystem::path& file, const EventBlocks& blocks, const WriteOptions& options) {
  write_file_atomically(file, [&](std::ostream& out) { write_all(out, blocks, options); });
}

}  // namespace cytopipe::fcs
