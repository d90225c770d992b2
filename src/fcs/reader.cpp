// read_fcs: HEADER/TEXT -> channel layout -> data offsets -> decoded events with flowCore's rules.
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/event_blocks.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "fcs/byte_source.hpp"
#include "fcs/dataset_text.hpp"
#include "fcs/decode.hpp"
#include "fcs/spillover.hpp"
#include "fcs/text_util.hpp"
#include "fcs/layout.hpp"

namespace cytopipe::fcs {
namespace {

using detail::ByteSource;
using detail::DataSetText;

// A stored float32 (its bits) as decode makes it a double, clamped at the channel's range, and
// back to float: read_fcs's value as the writer stores it. The conversions quiet a signalling
// NaN (the quiet bit set, payload kept); GCC folds float -> double -> float away and would keep
// it signalling, so the NaN case is spelled out.
inline float float_through_double(std::uint32_t word, double range) {
  const float f = std::bit_cast<float>(word);
  if (std::isnan(f)) return std::bit_cast<float>(word | 0x00400000u);
  const double v = static_cast<double>(f);
  return static_cast<float>(v > range ? range : v);
}

// Packed float32 rows of nc values, each through float_through_double with its channel's range
// (+inf: unclamped), eight at a time. `in` may equal `out`. False when the CPU has no vector
// path (the caller runs the scalar loop).
#if defined(__x86_64__)
// MIN_PD(range, v) is `range < v ? range : v`, and returns v when v is NaN: the scalar ternary
// lane by lane (conversions round alike; a signalling NaN comes out quiet either way).
__attribute__((target("avx512f,avx512vl"))) void clamp_rows_avx512(const float* in, float* out, std::size_t count,
                                                                   std::size_t nc, const double* range) {
  for (std::size_t e = 0; e < count; ++e) {
    const float* src = in + e * nc;
    float* dst = out + e * nc;
    for (std::size_t j = 0; j < nc; j += 8) {
      const auto lanes = static_cast<__mmask8>(nc - j >= 8 ? 0xFF : (1u << (nc - j)) - 1);
      const __m512d v = _mm512_maskz_cvtps_pd(0xFF, _mm256_maskz_loadu_ps(lanes, src + j));
      const __m512d r = _mm512_maskz_loadu_pd(lanes, range + j);
      _mm256_mask_storeu_ps(dst + j, lanes, _mm512_maskz_cvtpd_ps(0xFF, _mm512_maskz_min_pd(0xFF, r, v)));
    }
  }
}
#endif
bool clamp_rows_vector(const float* in, float* out, std::size_t count, std::size_t nc, const double* range) {
#if defined(__x86_64__)
  static const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                             std::getenv("CYTOPIPE_NO_AVX512") == nullptr;
  if (avx512) {
    clamp_rows_avx512(in, out, count, nc, range);
    return true;
  }
#endif
  (void)in, (void)out, (void)count, (void)nc, (void)range;
  return false;
}

DataSetText& pick_dataset(const ByteSource& source, const std::string& file, std::size_t index,
                          DataSetText& first, DataSetText& storage, const std::vector<DataSetInfo>& chain) {
  if (index >= chain.size())
    throw FcsError(FcsErrorKind::Other,
                   "data set " + std::to_string(index + 1) + " requested, the file has " +
                       std::to_string(chain.size()),
                   {file, "$NEXTDATA"});
  if (index == 0) return first;
  storage = detail::read_dataset_text(source, chain[index].offset, file);
  return storage;
}

// $SPILLOVER / SPILL (metadata: read before the events, so DecodeHooks::prepare sees it).
void read_spillover(Sample& sample) {
  auto spill = detail::parse_spillover(sample.keywords);
  sample.spillover = std::move(spill.matrix);
  sample.spillover_error = std::move(spill.error);
  if (!sample.spillover_error.empty())
    sample.notices.push_back("spillover not read: " + sample.spillover_error);
  if (sample.spillover) {
    std::string missing;
    for (const auto& d : sample.spillover->detectors)
      if (!sample.find_channel(d)) missing += (missing.empty() ? "" : ", ") + d;
    if (!missing.empty())
      sample.notices.push_back(sample.spillover->keyword + " names channels the file does not have: " +
                               missing);
  }
}

// Leaves every channel not in sample.channels (after a caller's edit of it; `before` = the
// file's channels) out of the decode. The edit may only erase: what is left must be the file's
// channels in file order.
void leave_out_channels(detail::Layout& layout, const std::vector<Channel>& before, const Sample& sample,
                        const std::string& file) {
  std::vector<std::size_t> kept;
  std::size_t at = 0;
  for (const auto& ch : sample.channels) {
    while (at < before.size() && before[at].index != ch.index) ++at;
    if (at == before.size())
      throw Error("DecodeHooks::metadata may only erase channels: $P" + std::to_string(ch.index) +
                      " ('" + ch.name + "') is not one of the file's channels in file order",
                  {file, "$PnN"});
    kept.push_back(at++);
  }
  if (kept.size() < before.size()) detail::keep_channels(layout, kept);
}

// ReadOptions::channels: the named channels, in file order.
void select_channels(Sample& sample, const std::vector<std::string>& names, const std::string& file) {
  std::vector<bool> keep(sample.channels.size(), false);
  for (const auto& name : names) {
    try {
      keep[sample.channel_index(name)] = true;
    } catch (const Error& e) {  // names the channel and lists the file's
      throw FcsError(FcsErrorKind::Other, e.message() + " (ReadOptions::channels)", {file, "$PnN"});
    }
  }
  std::vector<Channel> kept;
  for (std::size_t c = 0; c < keep.size(); ++c)
    if (keep[c]) kept.push_back(std::move(sample.channels[c]));
  sample.channels = std::move(kept);
}

std::string bytes_text(std::uint64_t bytes) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%llu bytes (%.2f GiB)", static_cast<unsigned long long>(bytes),
                static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return buffer;
}

void check_memory(std::uint64_t events, std::size_t channels, std::uint64_t limit, const std::string& file) {
  const std::uint64_t per_event = std::uint64_t{channels} * sizeof(double);
  const bool overflows = per_event != 0 && events > std::numeric_limits<std::uint64_t>::max() / per_event;
  const std::uint64_t needed = overflows ? std::numeric_limits<std::uint64_t>::max() : events * per_event;
  if (needed > limit)
    throw FcsError(FcsErrorKind::Other,
                   "decoding " + std::to_string(events) + " events x " + std::to_string(channels) +
                       " channels needs " + bytes_text(needed) + ", above the memory limit of " + bytes_text(limit) +
                       " (--max-memory; default half of physical memory)",
                   {file, "$TOT"});
}

// Everything before the events: HEADER, TEXT, the chosen data set, channels, layout, spillover
// and the caller's channel choice. Every fault of the file's metadata is thrown here.
Sample read_metadata(const ByteSource& source, const std::string& file, const ReadOptions& options,
                     const DecodeHooks& hooks, detail::Layout& layout) {
  Sample sample;
  sample.source = file;
  DataSetText first = detail::read_dataset_text(source, 0, file);
  std::vector<std::string> chain_notices;
  sample.datasets = detail::dataset_chain(source, first, file, chain_notices);
  DataSetText other;
  DataSetText& text = pick_dataset(source, file, options.dataset, first, other, sample.datasets);
  sample.dataset_index = options.dataset;
  sample.version = text.header.version;
  sample.notices = text.notices;
  for (auto& n : chain_notices) sample.notices.push_back(std::move(n));
  if (sample.datasets.size() > 1 && options.dataset == 0)
    sample.notices.push_back("the file has " + std::to_string(sample.datasets.size()) +
                             " data sets ($NEXTDATA); read the first");
  sample.text_encoding = text.encoding;

  layout = detail::plan_layout(text, source.size(), file, options, sample);
  sample.keywords = std::move(text.keywords);  // not copied: half a million with 100,000 parameters
  sample.event_total = layout.events;
  read_spillover(sample);
  if (!options.channels.empty() || hooks.metadata) {
    const std::vector<Channel> before = sample.channels;
    if (!options.channels.empty()) select_channels(sample, options.channels, file);
    if (hooks.metadata) hooks.metadata(sample);
    leave_out_channels(layout, before, sample, file);
  }
  return sample;
}

Sample read_source(const ByteSource& source, const std::string& file, const ReadOptions& options,
                   const DecodeHooks& hooks) {
  detail::Layout layout;
  Sample sample = read_metadata(source, file, options, hooks, layout);
  if (options.read_events) {
    check_memory(layout.events, sample.channels.size(), options.max_memory, file);
    sample.events = EventMatrix(layout.events, sample.channels.size());
    if (hooks.prepare) hooks.prepare(sample);
    detail::decode_data(source, layout, options, sample, hooks.decoded);
  } else if (hooks.prepare) {
    hooks.prepare(sample);
  }
  return sample;
}

}  // namespace

std::uint64_t default_max_memory() {
  static const std::uint64_t limit = [] {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) / 2;
  }();
  return limit;
}

Sample read_fcs(const std::filesystem::path& file, const ReadOptions& options, const DecodeHooks& hooks) {
  ByteSource source(file);
  return read_source(source, file.string(), options, hooks);
}

Sample read_fcs(std::span<const std::byte> bytes, std::string_view name, const ReadOptions& options,
                const DecodeHooks& hooks) {
  ByteSource source(bytes);
  return read_source(source, std::string(name), options, hooks);
}

struct EventBlocks::State {
  explicit State(const std::filesystem::path& file) : source(file) {}
  ByteSource source;
  detail::Layout layout;
  Sample metadata;
  ReadOptions options;
};

EventBlocks::EventBlocks(const std::filesystem::path& file, const ReadOptions& options)
    : state_(std::make_unique<State>(file)) {
  State& st = *state_;
  st.options = options;
  st.metadata = read_metadata(st.source, file.string(), options, {}, st.layout);
  // The same limit as read_fcs (the whole sample's decoded size), so that a caller reading in
  // blocks refuses the same files.
  check_memory(st.layout.events, st.metadata.channels.size(), options.max_memory, file.string());
}

struct EventBlocks::Text::State {
  std::filesystem::path file;
  std::uint64_t size = 0;
  detail::Layout layout;
  Sample metadata;
  ReadOptions options;
};

EventBlocks::Text::Text(const std::filesystem::path& file, const ReadOptions& options)
    : state_(std::make_unique<State>()) {
  const ByteSource source(file);
  State& st = *state_;
  st.file = file;
  st.size = source.size();
  st.options = options;
  st.metadata = read_metadata(source, file.string(), options, {}, st.layout);
}

EventBlocks::Text::~Text() = default;
EventBlocks::Text::Text(Text&&) noexcept = default;
EventBlocks::Text& EventBlocks::Text::operator=(Text&&) noexcept = default;
const Sample& EventBlocks::Text::sample() const noexcept { return state_->metadata; }
void EventBlocks::Text::drop_keywords() noexcept { state_->metadata.keywords = {}; }

EventBlocks::EventBlocks(Text&& text) {
  // Taken over: a Text makes one EventBlocks.
  const std::unique_ptr<Text::State> taken = std::move(text.state_);
  if (!taken) throw std::logic_error("EventBlocks: a Text already used");
  Text::State& read = *taken;
  state_ = std::make_unique<State>(read.file);
  State& st = *state_;
  st.options = read.options;
  const std::string file = read.file.string();
  if (st.source.size() == read.size) {
    st.metadata = std::move(read.metadata);
    st.layout = std::move(read.layout);
  } else {  // rewritten since its TEXT was read
    st.metadata = read_metadata(st.source, file, st.options, {}, st.layout);
  }
  check_memory(st.layout.events, st.metadata.channels.size(), st.options.max_memory, file);
}

EventBlocks::~EventBlocks() = default;
EventBlocks::EventBlocks(EventBlocks&&) noexcept = default;
EventBlocks& EventBlocks::operator=(EventBlocks&&) noexcept = default;

const Sample& EventBlocks::metadata() const noexcept { return state_->metadata; }
std::size_t EventBlocks::events() const noexcept { return state_->layout.events; }

bool EventBlocks::block_by_block() const noexcept {
  const auto& layout = state_->layout;
  return layout.datatype != DataType::Ascii && layout.range_from_max.empty();
}

bool EventBlocks::exact_in_float(std::size_t channel) const noexcept {
  if (!block_by_block() || channel >= state_->layout.plan.channels.size()) return false;
  const auto& ch = state_->layout.plan.channels[channel];
  using Kind = detail::ChannelPlan::Kind;
  // A float32 as stored, or an integer below 2^24, and at most clamped at a range that is a
  // float itself; nothing scaled.
  const bool stored = ch.kind == Kind::Float32 || ((ch.kind == Kind::UInt || ch.kind == Kind::Packed) && ch.bits <= 24);
  const bool range_exact = !ch.truncate || static_cast<double>(static_cast<float>(ch.range)) == ch.range;
  return stored && range_exact && !ch.linearise && ch.divide_by == 1;
}

namespace {

// EventBlocks::decode of `plan`'s channels (the layout's, or some of them with the same event
// layout) into columns 0, 1, ... of `out`, after the checks every decode makes (`columns`: the
// number of columns `out` must have).
void decode_checked(const ByteSource& source, const detail::Layout& layout, const detail::DataPlan& plan,
                    const Sample& metadata, bool block_by_block, std::size_t first_event, std::size_t count,
                    std::size_t columns, EventMatrix& out) {
  if (!block_by_block)
    throw FcsError(FcsErrorKind::Other, "events cannot be decoded block by block (ASCII data, or a range taken from a column maximum): read the whole sample",
                   {metadata.source, "$DATATYPE"});
  if (first_event % 64 != 0 || first_event + count > layout.events || count > out.events() || out.channels() != columns)
    throw Error("EventBlocks::decode: events " + std::to_string(first_event) + "+" + std::to_string(count) +
                    " of " + std::to_string(layout.events) + " into " + std::to_string(out.events()) + " x " +
                    std::to_string(out.channels()) + " (whole 64-event words, one column per channel)",
                {metadata.source, ""});
  if (count == 0) return;
  // Each thread reads into its own buffer, kept for its next block (see decode_chunked).
  thread_local detail::ScratchBuffer scratch;
  const std::size_t begin = plan.bytes_for(first_event);
  const std::size_t length = plan.bytes_for(first_event + count) - begin;
  const auto at = layout.data_begin + begin;
  const auto bytes = source.is_file() ? source.view(at, length, scratch.get(length))
                                      : source.view(at, length, std::span<std::byte>());
  detail::decode_block(plan, bytes, count, out, 0);
}

}  // namespace

void EventBlocks::decode(std::size_t first_event, std::size_t count, EventMatrix& out) const {
  const State& st = *state_;
  decode_checked(st.source, st.layout, st.layout.plan, st.metadata, block_by_block(), first_event, count,
                 st.metadata.channels.size(), out);
}

void EventBlocks::decode(std::size_t first_event, std::size_t count, std::span<const std::size_t> channels,
                         EventMatrix& out) const {
  const State& st = *state_;
  detail::DataPlan plan;
  plan.bits_per_event = st.layout.plan.bits_per_event;
  plan.packed = st.layout.plan.packed;
  if (block_by_block()) {  // else decode_checked refuses (an ASCII layout's plan is not per channel)
    plan.channels.reserve(channels.size());
    for (std::size_t c : channels) {
      if (c >= st.metadata.channels.size())
        throw Error("EventBlocks::decode: channel index " + std::to_string(c) + " of " +
                        std::to_string(st.metadata.channels.size()),
                    {st.metadata.source, ""});
      // Each channel keeps its offsets within the event, so it decodes as in the full plan.
      plan.channels.push_back(st.layout.plan.channels[c]);
    }
  }
  decode_checked(st.source, st.layout, plan, st.metadata, block_by_block(), first_event, count, channels.size(), out);
}

void EventBlocks::decode_rows(std::size_t first_event, std::size_t count, std::span<const std::size_t> channels,
                              float* out) const {
  const State& st = *state_;
  const auto& plan = st.layout.plan;
  for (std::size_t c : channels)
    if (c >= st.metadata.channels.size())
      throw Error("EventBlocks::decode_rows: channel index " + std::to_string(c) + " of " +
                      std::to_string(st.metadata.channels.size()),
                  {st.metadata.source, ""});
  const std::size_t nc = channels.size();
  // A float32 channel whose only rule is the truncation at $PnR is its stored float, through
  // double, clamped and back (as read_fcs and the writer take it): one pass from the bytes, no
  // double block.
  const auto plain_float = [&](std::size_t c) {
    const auto& ch = plan.channels[c];
    return ch.kind == detail::ChannelPlan::Kind::Float32 && !ch.linearise && ch.divide_by == 1;
  };
  if (!plan.packed && block_by_block() && std::all_of(channels.begin(), channels.end(), plain_float)) {
    EventMatrix none;  // only the argument checks of decode
    if (first_event % 64 != 0 || first_event + count > st.layout.events)
      decode(first_event, count, none);  // throws, naming the bad range
    if (count == 0) return;
    const std::size_t begin = plan.bytes_for(first_event);
    const std::size_t length = plan.bytes_for(first_event + count) - begin;
    const auto at = st.layout.data_begin + begin;
    const std::size_t stride = plan.bits_per_event / 8;
    // Event by event (input and output rows are both contiguous); a channel without truncation
    // is clamped at +inf, which changes nothing (NaN passes either way).
    std::vector<std::size_t> offset(nc);
    std::vector<double> range(nc);
    bool any_swap = false, all_swap = true;
    for (std::size_t j = 0; j < nc; ++j) {
      const auto& ch = plan.channels[channels[j]];
      offset[j] = ch.byte_offset;
      range[j] = ch.truncate ? ch.range : std::numeric_limits<double>::infinity();
      const bool swap = ch.big_endian != (std::endian::native == std::endian::big);
      any_swap = any_swap || swap;
      all_swap = all_swap && swap;
    }
    bool packed_in_order = !any_swap && stride == 4 * nc;  // the rows are the output rows
    for (std::size_t j = 0; j < nc && packed_in_order; ++j) packed_in_order = offset[j] == 4 * j;
    // Rows laid out as the output's are read from the file straight into `out` and converted
    // there (each value read before it is written): no scratch copy, no second buffer to fault in.
    thread_local detail::ScratchBuffer scratch;
    const auto bytes = !st.source.is_file() ? st.source.view(at, length, std::span<std::byte>())
                       : packed_in_order    ? st.source.view(at, length, {reinterpret_cast<std::byte*>(out), length})
                                            : st.source.view(at, length, scratch.get(length));
    auto rows = [&](auto swapped) {
      for (std::size_t e = 0; e < count; ++e) {
        const std::byte* row = bytes.data() + e * stride;
        float* dst = out + e * nc;
        for (std::size_t j = 0; j < nc; ++j) {
          std::uint32_t word;
          std::memcpy(&word, row + offset[j], 4);
          if constexpr (swapped) word = __builtin_bswap32(word);
          dst[j] = float_through_double(word, range[j]);
        }
      }
    };
    const bool vector_done = packed_in_order && reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) == 0 &&
                             clamp_rows_vector(reinterpret_cast<const float*>(bytes.data()), out, count, nc, range.data());
    if (!vector_done && (packed_in_order || any_swap == all_swap)) {  // in place too: each word read, then written
      if (any_swap) rows(std::true_type{});
      else rows(std::false_type{});
    } else if (!vector_done) {  // mixed byte orders (one channel at a time)
      for (std::size_t j = 0; j < nc; ++j) {
        const auto& ch = plan.channels[channels[j]];
        const bool swap = ch.big_endian != (std::endian::native == std::endian::big);
        for (std::size_t e = 0; e < count; ++e) {
          std::uint32_t word;
          std::memcpy(&word, bytes.data() + e * stride + offset[j], 4);
          if (swap) word = __builtin_bswap32(word);
          out[e * nc + j] = float_through_double(word, range[j]);
        }
      }
    }
    return;
  }
  // Anything else through decode's doubles, a cache-sized run of events at a time.
  constexpr std::size_t run = 4096;
  thread_local std::optional<EventMatrix> decoded;
  if (!decoded || decoded->channels() != st.metadata.channels.size()) decoded.emplace(run, st.metadata.channels.size());
  for (std::size_t first = 0; first < count; first += run) {
    const std::size_t n = std::min(run, count - first);
    decode(first_event + first, n, *decoded);
    for (std::size_t j = 0; j < nc; ++j) {
      const double* src = decoded->column(channels[j]).data();
      float* dst = out + first * nc + j;
      for (std::size_t e = 0; e < n; ++e) dst[e * nc] = static_cast<float>(src[e]);
    }
  }
}

std::vector<DataSetInfo> list_datasets(const std::filesystem::path& file) {
  ByteSource source(file);
  auto first = detail::read_dataset_text(source, 0, file.string());
  std::vector<std::string> notices;
  return detail::dataset_chain(source, first, file.string(), notices);
}

}  // namespace cytopipe::fcs
