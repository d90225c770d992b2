#include "fcs/decode.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#ifdef CYTOPIPE_FCS_TBB
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#endif

namespace cytopipe::fcs::detail {
namespace {

inline std::uint16_t byte_swap(std::uint16_t v) { return __builtin_bswap16(v); }
inline std::uint32_t byte_swap(std::uint32_t v) { return __builtin_bswap32(v); }
inline std::uint64_t byte_swap(std::uint64_t v) { return __builtin_bswap64(v); }

template <typename T>
T load(const std::byte* p, bool swap) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  if (swap) value = byte_swap(value);
  return value;
}

inline bool host_big_endian() { return std::endian::native == std::endian::big; }

// Applies the value rules to one decoded value.
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
};

template <typename Load>
void decode_column(const std::byte* base, std::size_t stride, std::size_t count, double* out,
                   const Rules& rules, Load load_value) {
  if (rules.identity()) {
    for (std::size_t e = 0; e < count; ++e) out[e] = load_value(base + e * stride);
  } else if (!rules.linearise && rules.divide_by == 1) {
    const double range = rules.range;
    for (std::size_t e = 0; e < count; ++e) {
      double v = load_value(base + e * stride);
      out[e] = v > range ? range : v;
    }
  } else {
    for (std::size_t e = 0; e < count; ++e) out[e] = rules(load_value(base + e * stride));
  }
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

}  // namespace

void decode_block(const DataPlan& plan, std::span<const std::byte> bytes, std::size_t count,
                  EventMatrix& out, std::size_t first_event) {
  const std::size_t stride = plan.bits_per_event / 8;
  for (std::size_t c = 0; c < plan.channels.size(); ++c) {
    const ChannelPlan& ch = plan.channels[c];
    const Rules rules(ch);
    double* column = out.column(c).data() + first_event;
    const std::byte* base = bytes.data() + ch.byte_offset;
    const bool swap = ch.big_endian != host_big_endian();
    switch (ch.kind) {
      case ChannelPlan::Kind::Float32:
        decode_column(base, stride, count, column, rules, [swap](const std::byte* p) {
          return static_cast<double>(std::bit_cast<float>(load<std::uint32_t>(p, swap)));
        });
        break;
      case ChannelPlan::Kind::Float64:
        decode_column(base, stride, count, column, rules, [swap](const std::byte* p) {
          return std::bit_cast<double>(load<std::uint64_t>(p, swap));
        });
        break;
      case ChannelPlan::Kind::UInt: {
        const std::uint64_t mask = ch.mask;
        if (ch.bytes == 2 && !ch.permuted) {
          decode_column(base, stride, count, column, rules, [swap, mask](const std::byte* p) {
            return static_cast<double>(load<std::uint16_t>(p, swap) & mask);
          });
        } else if (ch.bytes == 4 && !ch.permuted) {
          decode_column(base, stride, count, column, rules, [swap, mask](const std::byte* p) {
            return static_cast<double>(load<std::uint32_t>(p, swap) & mask);
          });
        } else if (ch.bytes == 1) {
          decode_column(base, stride, count, column, rules, [mask](const std::byte* p) {
            return static_cast<double>(static_cast<unsigned char>(*p) & mask);
          });
        } else {
          decode_column(base, stride, count, column, rules, [&ch, mask](const std::byte* p) {
            return static_cast<double>(load_uint(p, ch) & mask);
          });
        }
        break;
      }
      case ChannelPlan::Kind::Packed: {
        for (std::size_t e = 0; e < count; ++e) {
          std::uint64_t v =
              load_bits(bytes.data(), e * plan.bits_per_event + ch.bit_offset, ch.bits) & ch.mask;
          column[e] = rules(static_cast<double>(v));
        }
        break;
      }
    }
  }
}

void decode_events(const DataPlan& plan, std::span<const std::byte> bytes, std::size_t count,
                   EventMatrix& out, std::size_t first_event, bool parallel) {
  // Blocks small enough that one block's bytes stay in cache while each channel is pulled out.
  constexpr std::size_t block = 4096;  // a multiple of 8, so packed blocks start on a byte
#ifdef CYTOPIPE_FCS_TBB
  if (parallel && count > 2 * block) {
    const std::size_t blocks = (count + block - 1) / block;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                        for (std::size_t b = r.begin(); b != r.end(); ++b) {
                          const std::size_t first = b * block;
                          const std::size_t n = std::min(block, count - first);
                          const std::size_t byte = first * plan.bits_per_event / 8;
                          decode_block(plan, bytes.subspan(byte), n, out, first_event + first);
                        }
                      });
    return;
  }
#else
  (void)parallel;
#endif
  for (std::size_t first = 0; first < count; first += block) {
    const std::size_t n = std::min(block, count - first);
    decode_block(plan, bytes.subspan(first * plan.bits_per_event / 8), n, out, first_event + first);
  }
}

}  // namespace cytopipe::fcs::detail
