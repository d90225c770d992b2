#include "fcs/decode.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#ifdef CYTOPIPE_FCS_TBB
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#endif

namespace cytopipe::fcs::detail {
namespace {

inline std::uint8_t byte_swap(std::uint8_t v) { return v; }
inline std::uint16_t byte_swap(std::uint16_t v) { return __builtin_bswap16(v); }
inline std::uint32_t byte_swap(std::uint32_t v) { return __builtin_bswap32(v); }
inline std::uint64_t byte_swap(std::uint64_t v) { return __builtin_bswap64(v); }

inline bool host_big_endian() { return std::endian::native == std::endian::big; }

// The value rules of one channel, in the order flowCore applies them.
struct Rules {
  bool truncate, linearise;
  double range, scale, offset, divide_by;
  explicit Rules(const ChannelPlan& c)
      : truncate(c.truncate),
        linearise(c.linearise),
        range(c.range),
        scale(c.linearise ? c.decades / c.range : 0),
        offset(c.offset),
        divide_by(c.divide_by) {}
  double operator()(double v) const {
    if (truncate && v > range) v = range;
    if (linearise) v = std::pow(10.0, scale * v) * offset;
    if (divide_by != 1) v /= divide_by;
    return v;
  }
  bool identity() const { return !truncate && !linearise && divide_by == 1; }
  bool clamp_only() const { return truncate && !linearise && divide_by == 1; }
};

// How a stored word becomes a double, before the rules.
enum class Word { Float32, Float64, Unsigned };
enum class Rule { None, Clamp, General };

// One channel of a block of events: a fixed-width loop (word type, byte swap, conversion and
// rule are compile-time), so the compiler keeps it branch-free. Clamp is written as
// `v > range ? range : v`, exactly the rule (NaN passes through unchanged).
template <typename T, bool Swap, Word W, Rule R>
void decode_channel(const std::byte* base, std::size_t stride, std::size_t count, double* out,
                    std::uint64_t mask, const Rules& rules) {
  const double range = rules.range;
  const T bits_mask = static_cast<T>(mask);
  auto value = [&](std::size_t e) {
    T word;
    std::memcpy(&word, base + e * stride, sizeof(T));
    if constexpr (Swap) word = byte_swap(word);
    double v;
    if constexpr (W == Word::Float32)
      v = static_cast<double>(std::bit_cast<float>(word));
    else if constexpr (W == Word::Float64)
      v = std::bit_cast<double>(word);
    else
      v = static_cast<double>(word & bits_mask);
    if constexpr (R == Rule::Clamp) v = v > range ? range : v;
    if constexpr (R == Rule::General) v = rules(v);
    return v;
  };
  for (std::size_t e = 0; e < count; ++e) out[e] = value(e);
}

template <typename T, bool Swap, Word W>
void decode_channel_rules(const std::byte* base, std::size_t stride, std::size_t count,
                          double* out, std::uint64_t mask, const Rules& rules) {
  if (rules.identity())
    decode_channel<T, Swap, W, Rule::None>(base, stride, count, out, mask, rules);
  else if (rules.clamp_only())
    decode_channel<T, Swap, W, Rule::Clamp>(base, stride, count, out, mask, rules);
  else
    decode_channel<T, Swap, W, Rule::General>(base, stride, count, out, mask, rules);
}

template <typename T, Word W>
void decode_channel_word(bool swap, const std::byte* base, std::size_t stride, std::size_t count,
                         double* out, std::uint64_t mask, const Rules& rules) {
  if (swap)
    decode_channel_rules<T, true, W>(base, stride, count, out, mask, rules);
  else
    decode_channel_rules<T, false, W>(base, stride, count, out, mask, rules);
}

std::uint64_t load_uint(const std::byte* p, const ChannelPlan& c) {
  std::uint64_t v = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  if (c.permuted) {
    for (int j = 0; j < c.bytes; ++j) v |= std::uint64_t{b[j]} << c.shift[static_cast<std::size_t>(j)];
  } else if (c.big_endian) {
    for (int j = 0; j < c.bytes; ++j) v = (v << 8) | b[j];
  } else {
    for (int j = c.bytes - 1; j >= 0; --j) v = (v << 8) | b[j];
  }
  return v;
}

// Packed layouts (odd $PnB, FCS 2.0): values follow each other bit by bit, most significant
// bit first.
std::uint64_t load_bits(const std::byte* base, std::size_t bit, int width) {
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i, ++bit) {
    auto byte = static_cast<unsigned char>(base[bit >> 3]);
    v = (v << 1) | ((byte >> (7 - (bit & 7))) & 1u);
  }
  return v;
}

void decode_channel_block(const DataPlan& plan, const ChannelPlan& ch, const std::byte* bytes,
                          std::size_t count, double* column) {
  const std::size_t stride = plan.bits_per_event / 8;
  const Rules rules(ch);
  const std::byte* base = bytes + ch.byte_offset;
  const bool swap = ch.big_endian != host_big_endian();
  switch (ch.kind) {
    case ChannelPlan::Kind::Float32:
      decode_channel_word<std::uint32_t, Word::Float32>(swap, base, stride, count, column, 0, rules);
      return;
    case ChannelPlan::Kind::Float64:
      decode_channel_word<std::uint64_t, Word::Float64>(swap, base, stride, count, column, 0, rules);
      return;
    case ChannelPlan::Kind::UInt:
      if (ch.bytes == 1) {
        decode_channel_word<std::uint8_t, Word::Unsigned>(false, base, stride, count, column, ch.mask, rules);
      } else if (ch.bytes == 2 && !ch.permuted) {
        decode_channel_word<std::uint16_t, Word::Unsigned>(swap, base, stride, count, column, ch.mask, rules);
      } else if (ch.bytes == 4 && !ch.permuted) {
        decode_channel_word<std::uint32_t, Word::Unsigned>(swap, base, stride, count, column, ch.mask, rules);
      } else if (ch.bytes == 8 && !ch.permuted) {
        decode_channel_word<std::uint64_t, Word::Unsigned>(swap, base, stride, count, column, ch.mask, rules);
      } else {
        for (std::size_t e = 0; e < count; ++e)
          column[e] = rules(static_cast<double>(load_uint(base + e * stride, ch) & ch.mask));
      }
      return;
    case ChannelPlan::Kind::Packed:
      for (std::size_t e = 0; e < count; ++e) {
        const std::uint64_t v =
            load_bits(bytes, e * plan.bits_per_event + ch.bit_offset, ch.bits) & ch.mask;
        column[e] = rules(static_cast<double>(v));
      }
      return;
  }
}

// Events per sub-block: each channel pass re-reads the sub-block's bytes, so keep them in cache.
std::size_t sub_block_events(const DataPlan& plan) {
  constexpr std::size_t cache_bytes = 64 * 1024;
  const std::size_t bytes_per_event = std::max<std::size_t>(1, plan.bits_per_event / 8);
  const std::size_t n = std::max<std::size_t>(64, cache_bytes / bytes_per_event);
  return n - n % 8;  // packed sub-blocks must start on a byte
}

}  // namespace

void decode_block(const DataPlan& plan, std::span<const std::byte> bytes, std::size_t count,
                  EventMatrix& out, std::size_t first_event) {
  const std::size_t step = sub_block_events(plan);
  for (std::size_t first = 0; first < count; first += step) {
    const std::size_t n = std::min(step, count - first);
    const std::byte* sub = bytes.data() + plan.bytes_for(first);
    for (std::size_t c = 0; c < plan.channels.size(); ++c)
      decode_channel_block(plan, plan.channels[c], sub, n,
                           out.column(c).data() + first_event + first);
  }
}

void decode_chunked(const DataPlan& plan, std::size_t count, EventMatrix& out, bool parallel,
                    const FetchBytes& fetch, const std::function<void(std::size_t, std::size_t)>& decoded) {
  if (count == 0) return;
  // Whole events, about chunk_bytes of DATA per chunk and a multiple of 64 events (packed
  // chunks start on a byte; DecodeHooks get whole bitset words).
  const std::size_t bits = std::max<std::size_t>(1, plan.bits_per_event);
  std::size_t chunk = std::max<std::size_t>(64, chunk_bytes * 8 / bits);
  chunk -= chunk % 64;
  const std::size_t chunks = (count + chunk - 1) / chunk;
  auto decode_one = [&](std::size_t index, ScratchBuffer& scratch) {
    const std::size_t first = index * chunk;
    const std::size_t n = std::min(chunk, count - first);
    const std::size_t begin = plan.bytes_for(first);
    const auto bytes = fetch(begin, plan.bytes_for(first + n) - begin, scratch);
    decode_block(plan, bytes, n, out, first);
    if (decoded) decoded(first, n);
  };
  // Each thread reads its chunks into its own buffer, kept for the thread's next read (a fresh
  // one per file was faulted in again every time). Its bytes are only used by decode_block,
  // before the hook runs, so a nested read on the same thread (a TBB thread waiting inside the
  // hook may start one) cannot disturb a buffer still in use.
  thread_local ScratchBuffer scratch;
#ifdef CYTOPIPE_FCS_TBB
  if (parallel && chunks > 1) {  // reading overlaps decoding
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, chunks, 1),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        for (std::size_t i = r.begin(); i != r.end(); ++i) decode_one(i, scratch);
                      });
    return;
  }
#else
  (void)parallel;
#endif
  for (std::size_t i = 0; i < chunks; ++i) decode_one(i, scratch);
}

}  // namespace cytopipe::fcs::detail
