// fcs::EventBlocks against read_fcs on every file of ../shared: the same metadata, the same
// refusals (kind and message) for bad files, and every value equal (to the bit) when decoded
// block by block, in blocks that end mid-chunk and a last short block.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <unistd.h>
#include <optional>
#include <stdexcept>

#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "fcs_builder.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::fcs::EventBlocks;
using cytopipe::fcs::EventMatrix;
using cytopipe::fcs::FcsError;
using cytopipe::fcs::ReadOptions;
using cytopipe::fcs::Sample;
using cytopipe::fcs::ValueRule;

std::vector<fs::path> shared_fcs_files() {
  std::vector<fs::path> files;
  for (const char* dir : {"fcs_corpus", "gatingml_ref/gatingMLData/FCSFiles"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cytopipe::test::shared_dir() / dir, ec))
      if (e.path().extension() == ".fcs") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }

// Reads `file` both ways (the blocks from a Text read first when `through_text`); returns how
// many files were compared value by value.
void compare(const fs::path& file, const ReadOptions& options, std::size_t block, std::size_t& decoded,
             std::size_t& refused, bool through_text = false) {
  SCOPED_TRACE(file.filename().string() + " block " + std::to_string(block));
  std::optional<Sample> whole;
  std::string whole_error;
  cytopipe::fcs::FcsErrorKind whole_kind{};
  try {
    whole = cytopipe::fcs::read_fcs(file, options);
  } catch (const FcsError& e) {
    whole_error = e.what();
    whole_kind = e.kind();
  }
  std::optional<EventBlocks> blocks;
  try {
    if (through_text) blocks.emplace(EventBlocks::Text(file, options));
    else blocks.emplace(file, options);
  } catch (const FcsError& e) {
    EXPECT_EQ(e.what(), whole_error) << "refused by EventBlocks only, or with another message";
    EXPECT_EQ(e.kind(), whole_kind);
    ++refused;
    return;
  }
  if (!whole) {  // refused while decoding (ASCII): then not block by block
    EXPECT_FALSE(blocks->block_by_block()) << "read_fcs refused: " << whole_error;
    return;
  }
  const Sample& meta = blocks->metadata();
  EXPECT_EQ(meta.event_total, whole->event_total);
  EXPECT_EQ(blocks->events(), whole->event_count());
  EXPECT_EQ(meta.keywords.size(), whole->keywords.size());
  ASSERT_EQ(meta.channels.size(), whole->channels.size());
  for (std::size_t c = 0; c < meta.channels.size(); ++c) EXPECT_EQ(meta.channels[c].name, whole->channels[c].name);
  EXPECT_EQ(meta.spillover.has_value(), whole->spillover.has_value());
  if (!blocks->block_by_block()) {
    EXPECT_TRUE(whole->datatype == cytopipe::fcs::DataType::Ascii ||
                std::any_of(whole->notices.begin(), whole->notices.end(),
                            [](const std::string& n) { return n.find("column maximum") != std::string::npos; }));
    return;
  }
  EXPECT_EQ(meta.notices, whole->notices);
  const std::size_t n = blocks->events(), channels = meta.channels.size();
  EventMatrix out(block, channels);
  // Some channels only: every other one from the last, then the first again (any order, repeats).
  std::vector<std::size_t> some;
  for (std::size_t c = channels; c-- > 0;)
    if ((channels - 1 - c) % 2 == 0) some.push_back(c);
  some.push_back(0);
  EventMatrix some_out(block, some.size());
  std::size_t mismatches = 0, some_mismatches = 0;
  for (std::size_t first = 0; first < n; first += block) {
    const std::size_t count = std::min(block, n - first);
    blocks->decode(first, count, out);
    for (std::size_t c = 0; c < channels; ++c)
      for (std::size_t e = 0; e < count; ++e)
        mismatches += bits(out.column(c)[e]) != bits(whole->events.column(c)[first + e]);
    blocks->decode(first, count, some, some_out);
    for (std::size_t j = 0; j < some.size(); ++j)
      for (std::size_t e = 0; e < count; ++e)
        some_mismatches += bits(some_out.column(j)[e]) != bits(whole->events.column(some[j])[first + e]);
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(some_mismatches, 0u) << "decoding some channels";
  ++decoded;
}

TEST(EventBlocks, EverySharedFileDecodesBlockByBlockAsReadFcsReadsIt) {
  const auto files = shared_fcs_files();
  if (files.empty()) {
    CYTOPIPE_SHARED_OR_SKIP(corpus, "fcs_corpus/MANIFEST.tsv");
  }
  std::size_t decoded = 0, refused = 0;
  for (const auto& file : files)
    for (ValueRule rule : {ValueRule::FlowCore, ValueRule::FlowCoreWithGain, ValueRule::Raw}) {
      ReadOptions options;
      options.values = rule;
      // 192: blocks that end inside read_fcs's decode chunks; 65536: the CLI's block.
      for (std::size_t block : {std::size_t{192}, std::size_t{65536}}) compare(file, options, block, decoded, refused);
    }
  // Most of the corpus is binary (the comparison above must not pass by skipping).
  EXPECT_GT(decoded, files.size() * 4);
  EXPECT_GT(refused, 0u);  // the corpus has refused files: their refusal was compared
}

// exact_in_float names only channels every value of which is a float32 exactly (as read_fcs
// reads it), on every shared file under each value rule; it names many (float32 and small
// integer channels) and refuses many, every channel divided by its gain among them.
TEST(EventBlocks, ExactInFloatOnlyWhereEveryValueIsAFloat) {
  const auto files = shared_fcs_files();
  if (files.empty()) {
    CYTOPIPE_SHARED_OR_SKIP(corpus, "fcs_corpus/MANIFEST.tsv");
  }
  std::size_t exact = 0, not_exact = 0, divided = 0;
  for (const auto& file : files)
    for (ValueRule rule : {ValueRule::FlowCore, ValueRule::FlowCoreWithGain, ValueRule::Raw}) {
      SCOPED_TRACE(file.filename().string() + " rule " + std::to_string(static_cast<int>(rule)));
      ReadOptions options;
      options.values = rule;
      std::optional<EventBlocks> blocks;
      std::optional<Sample> whole;
      try {
        blocks.emplace(file, options);
        whole = cytopipe::fcs::read_fcs(file, options);
      } catch (const FcsError&) {
        continue;  // refused files: EverySharedFileDecodesBlockByBlockAsReadFcsReadsIt
      }
      EXPECT_FALSE(blocks->exact_in_float(whole->channels.size()));  // past the last channel
      for (std::size_t c = 0; c < whole->channels.size(); ++c) {
        if (!blocks->exact_in_float(c)) {
          ++not_exact;
          continue;
        }
        ++exact;
        EXPECT_FALSE(whole->channels[c].gain_applied) << whole->channels[c].name;
        const auto v = whole->events.column(c);
        const auto lost = std::find_if(v.begin(), v.end(), [](double x) {
          return !std::isnan(x) && static_cast<double>(static_cast<float>(x)) != x;
        });
        EXPECT_TRUE(lost == v.end()) << whole->channels[c].name << ": " << *lost << " is not a float";
      }
      for (const auto& ch : whole->channels) divided += ch.gain_applied;
    }
  EXPECT_GT(exact, 100u);
  EXPECT_GT(not_exact, 20u);
  EXPECT_GT(divided, 0u);  // (each of them counted among not_exact, by the check above)
}

// Blocks made from a file's Text (its TEXT read once, beforehand) are the file's blocks: the same
// refusals, metadata and values as read_fcs on the whole corpus.
TEST(EventBlocks, FromTextReadBeforeTheSameAsFromTheFile) {
  const auto files = shared_fcs_files();
  if (files.empty()) {
    CYTOPIPE_SHARED_OR_SKIP(corpus, "fcs_corpus/MANIFEST.tsv");
  }
  std::size_t decoded = 0, refused = 0;
  for (const auto& file : files)
    for (ValueRule rule : {ValueRule::FlowCore, ValueRule::FlowCoreWithGain}) {
      ReadOptions options;
      options.values = rule;
      compare(file, options, 192, decoded, refused, true);
    }
  EXPECT_GT(decoded, files.size());
  EXPECT_GT(refused, 0u);
}

// A Text holds no file open and checks no memory limit; its blocks do (as EventBlocks(file) does),
// read the TEXT afresh when the file's size changed since, and hold no keywords once dropped.
TEST(EventBlocks, TextAfterwardsMemoryLimitChangedFileAndDroppedKeywords) {
  namespace t = cytopipe::test;
  const fs::path path = fs::temp_directory_path() / ("cytopipe_text_" + std::to_string(::getpid()) + ".fcs");
  auto write = [&](std::size_t events) {
    auto b = t::basic_fcs("F", 2, events, 32, "262144");
    for (std::size_t e = 0; e < events; ++e)
      for (int c = 0; c < 2; ++c) t::put_f32_le(b.data, static_cast<float>(e * 10 + static_cast<std::size_t>(c)));
    const auto bytes = t::build_fcs(b);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  write(100);
  ReadOptions tight;
  tight.max_memory = 100 * 2 * 8 - 1;  // one byte short of 100 events x 2 channels as doubles
  EventBlocks::Text small(path, tight);
  EXPECT_EQ(small.sample().event_total, 100u);
  std::string from_file;
  try {
    EventBlocks refused(path, tight);
  } catch (const FcsError& e) {
    from_file = e.what();
  }
  ASSERT_FALSE(from_file.empty());
  try {
    EventBlocks refused(std::move(small));
    ADD_FAILURE() << "the memory limit was not checked";
  } catch (const FcsError& e) {
    EXPECT_EQ(e.what(), from_file);
  }

  EventBlocks::Text before(path, {});
  EXPECT_GT(before.sample().keywords.size(), 0u);
  write(300);  // rewritten (a larger DATA segment) after its TEXT was read
  const EventBlocks blocks(std::move(before));
  ASSERT_EQ(blocks.events(), 300u);
  EventMatrix out(300, 2);
  blocks.decode(0, 300, out);
  EXPECT_EQ(out.column(0)[299], 2990.0);
  EXPECT_EQ(out.column(1)[299], 2991.0);

  EXPECT_THROW(EventBlocks again(std::move(before)), std::logic_error);  // a Text makes one EventBlocks

  EventBlocks::Text dropped(path, {});
  dropped.drop_keywords();
  EXPECT_EQ(dropped.sample().keywords.size(), 0u);
  const EventBlocks without(std::move(dropped));
  EXPECT_EQ(without.metadata().keywords.size(), 0u);
  ASSERT_EQ(without.metadata().channels.size(), 2u);
  without.decode(64, 64, out);
  EXPECT_EQ(out.column(1)[0], 641.0);
  fs::remove(path);
}

TEST(EventBlocks, ChannelSelectionAndBadArguments) {
  CYTOPIPE_SHARED_OR_SKIP(file, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  ReadOptions options;
  const Sample whole = cytopipe::fcs::read_fcs(file, options);
  options.channels = {whole.channels.back().name, whole.channels.front().name};
  const EventBlocks blocks(file, options);
  ASSERT_EQ(blocks.metadata().channels.size(), 2u);
  EXPECT_EQ(blocks.metadata().channels[0].name, whole.channels.front().name);  // file order
  EventMatrix out(128, 2);
  blocks.decode(64, 128, out);
  for (std::size_t e = 0; e < 128; ++e) {
    EXPECT_EQ(bits(out.column(0)[e]), bits(whole.events.column(0)[64 + e]));
    EXPECT_EQ(bits(out.column(1)[e]), bits(whole.events.column(whole.channels.size() - 1)[64 + e]));
  }
  EXPECT_THROW(blocks.decode(32, 64, out), cytopipe::Error);                    // not a whole word
  EXPECT_THROW(blocks.decode(0, 256, out), cytopipe::Error);                    // more than `out` holds
  EXPECT_THROW(blocks.decode(blocks.events() - blocks.events() % 64, 128, out), cytopipe::Error);  // past the end
  EventMatrix wrong(128, 3);
  EXPECT_THROW(blocks.decode(0, 64, wrong), cytopipe::Error);  // one column per channel

  // Some channels: the same checks, and a channel index past the last is refused by name.
  const std::vector<std::size_t> last{1};
  EventMatrix one(128, 1);
  blocks.decode(64, 128, last, one);
  for (std::size_t e = 0; e < 128; ++e) EXPECT_EQ(bits(one.column(0)[e]), bits(out.column(1)[e]));
  EXPECT_THROW(blocks.decode(32, 64, last, one), cytopipe::Error);
  EXPECT_THROW(blocks.decode(0, 256, last, one), cytopipe::Error);
  EXPECT_THROW(blocks.decode(blocks.events() - blocks.events() % 64, 128, last, one), cytopipe::Error);
  EXPECT_THROW(blocks.decode(0, 64, last, out), cytopipe::Error);  // one column per index
  const std::vector<std::size_t> past{0, 2};
  try {
    blocks.decode(0, 64, past, out);
    ADD_FAILURE() << "channel index 2 of 2 accepted";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("channel index 2 of 2"), std::string::npos) << e.what();
  }
}

// A truncated file is refused when it is opened, as read_fcs refuses it, before any block (of
// some channels or all) is decoded.
TEST(EventBlocks, TruncatedFileRefusedAsReadFcsRefusesIt) {
  CYTOPIPE_SHARED_OR_SKIP(file, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path cut = fs::temp_directory_path() / ("cytopipe_truncated_" + std::to_string(::getpid()) + ".fcs");
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 1000);
  std::string whole_error, blocks_error;
  try {
    cytopipe::fcs::read_fcs(cut);
  } catch (const FcsError& e) {
    whole_error = e.what();
  }
  try {
    EventBlocks blocks(cut);
  } catch (const FcsError& e) {
    blocks_error = e.what();
  }
  fs::remove(cut);
  EXPECT_FALSE(whole_error.empty());
  EXPECT_EQ(blocks_error, whole_error);
}

std::vector<std::byte> file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

// The block writer against the whole-sample writer, and decode_rows against decode, on every
// shared file that decodes block by block: all channels, and every other channel in reverse.
TEST(EventBlocks, WrittenBlockByBlockTheSameBytesAsFromTheWholeSample) {
  const auto files = shared_fcs_files();
  if (files.empty()) {
    CYTOPIPE_SHARED_OR_SKIP(corpus, "fcs_corpus/MANIFEST.tsv");
  }
  const fs::path out = fs::temp_directory_path() / ("cytopipe_event_blocks_" + std::to_string(::getpid()) + ".fcs");
  std::size_t written = 0;
  for (const auto& file : files)
    for (ValueRule rule : {ValueRule::FlowCore, ValueRule::FlowCoreWithGain}) {
      SCOPED_TRACE(file.filename().string());
      ReadOptions options;
      options.values = rule;
      std::optional<EventBlocks> blocks;
      try {
        blocks.emplace(file, options);
      } catch (const FcsError&) {
        continue;  // refused alike (EverySharedFile...)
      }
      if (!blocks->block_by_block()) continue;
      const Sample whole = cytopipe::fcs::read_fcs(file, options);
      std::vector<std::size_t> all(whole.channels.size()), some;
      std::iota(all.begin(), all.end(), std::size_t{0});
      for (std::size_t c = all.size(); c-- > 0;)
        if (c % 2 == 0) some.push_back(c);
      for (const auto& channels : {all, some}) {
        cytopipe::fcs::WriteOptions w;
        w.channels = channels;
        cytopipe::fcs::write_fcs(out, *blocks, w);
        EXPECT_EQ(file_bytes(out), cytopipe::fcs::to_fcs_bytes(whole, w)) << channels.size() << " channels";
        // decode_rows: float of decode's value, event-major, from an offset word.
        const std::size_t first = whole.event_count() > 64 ? 64 : 0, n = std::min<std::size_t>(1000, whole.event_count() - first);
        std::vector<float> rows(n * channels.size());
        blocks->decode_rows(first, n, channels, rows.data());
        std::size_t mismatches = 0;
        for (std::size_t e = 0; e < n; ++e)
          for (std::size_t j = 0; j < channels.size(); ++j)
            mismatches += std::bit_cast<std::uint32_t>(rows[e * channels.size() + j]) !=
                          std::bit_cast<std::uint32_t>(static_cast<float>(whole.events.column(channels[j])[first + e]));
        EXPECT_EQ(mismatches, 0u);
      }
      ++written;
    }
  // Our own float32 little-endian files (rows of plain floats, the common case of a fast path),
  // from each shared file's events.
  const fs::path own = fs::temp_directory_path() / ("cytopipe_event_blocks_own_" + std::to_string(::getpid()) + ".fcs");
  std::size_t own_files = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string() + " rewritten");
    Sample whole;
    try {
      whole = cytopipe::fcs::read_fcs(file);
    } catch (const FcsError&) {
      continue;
    }
    cytopipe::fcs::write_fcs(own, whole);
    const EventBlocks blocks(own);
    ASSERT_TRUE(blocks.block_by_block());
    cytopipe::fcs::write_fcs(out, blocks);
    EXPECT_EQ(file_bytes(out), cytopipe::fcs::to_fcs_bytes(cytopipe::fcs::read_fcs(own)));
    ++own_files;
  }
  EXPECT_GT(own_files, files.size() / 2);
  fs::remove(own);
  fs::remove(out);
  EXPECT_GT(written, files.size());
}

}  // namespace

namespace {

// float32 rows laid out as decode_rows' output (all channels, in order, little-endian) are read
// into the output and converted there (vector path where the CPU has one). Every value equals
// the definition float(min-by-ternary(double(stored), $PnR)): values above $PnR clamped (on
// channels whose range truncates), NaNs (signalling ones come out quiet), infinities, -0 and
// denormals, for channel counts on and off the 8-lane width and block ends off any 8-value group.
TEST(EventBlocks, PackedFloatRowsConvertedInPlaceAsDefined) {
  const fs::path path = fs::temp_directory_path() / ("cytopipe_in_place_" + std::to_string(::getpid()) + ".fcs");
  const std::vector<float> specials = {0.0f,
                                       -0.0f,
                                       1.5f,
                                       -7.25f,
                                       std::numeric_limits<float>::denorm_min(),
                                       -std::numeric_limits<float>::denorm_min(),
                                       std::numeric_limits<float>::infinity(),
                                       -std::numeric_limits<float>::infinity(),
                                       std::numeric_limits<float>::quiet_NaN(),
                                       std::bit_cast<float>(std::uint32_t{0x7f800001}),  // signalling NaN
                                       std::bit_cast<float>(std::uint32_t{0xffa00005}),  // signalling, negative
                                       1023.0f,
                                       1024.0f,
                                       1024.0001f,
                                       5.0e6f,
                                       std::numeric_limits<float>::max()};
  for (std::size_t nc : {1u, 3u, 8u, 11u, 16u, 17u}) {
    SCOPED_TRACE(std::to_string(nc) + " channels");
    const std::size_t events = 1000;
    cytopipe::test::FcsBuild b;
    b.kw("$BYTEORD", "1,2,3,4").kw("$DATATYPE", "F").kw("$MODE", "L").kw("$NEXTDATA", "0");
    b.kw("$PAR", std::to_string(nc)).kw("$TOT", std::to_string(events));
    for (std::size_t c = 1; c <= nc; ++c) {
      const std::string p = "$P" + std::to_string(c);
      b.kw(p + "N", "ch" + std::to_string(c)).kw(p + "B", "32").kw(p + "E", "0,0");
      b.kw(p + "R", c % 2 ? "1024" : "262144");
    }
    std::vector<float> stored(events * nc);
    for (std::size_t k = 0; k < stored.size(); ++k)
      stored[k] = k % 5 == 0 ? specials[(k / 5) % specials.size()] : static_cast<float>(k % 3000) - 900.5f;
    b.data.resize(stored.size() * 4);
    for (std::size_t k = 0; k < stored.size(); ++k) {
      const std::uint32_t w = std::bit_cast<std::uint32_t>(stored[k]);
      for (int i = 0; i < 4; ++i) b.data[4 * k + i] = static_cast<std::uint8_t>(w >> (8 * i));
    }
    const auto bytes = cytopipe::test::build_fcs(b);
    {
      std::ofstream f(path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    const EventBlocks blocks(path);
    ASSERT_TRUE(blocks.block_by_block());
    std::vector<std::size_t> all(nc);
    std::iota(all.begin(), all.end(), std::size_t{0});
    const Sample whole = cytopipe::fcs::read_fcs(path);
    for (const auto& [first, n] : {std::pair<std::size_t, std::size_t>{0, events}, {64, 333}, {960, 40}}) {
      std::vector<float> rows(n * nc);
      blocks.decode_rows(first, n, all, rows.data());
      std::size_t mismatches = 0, clamped = 0, quietened = 0;
      for (std::size_t e = 0; e < n; ++e)
        for (std::size_t c = 0; c < nc; ++c) {
          const double range = c % 2 == 0 ? 1024.0 : 262144.0;  // $P1R is channel 0's
          const double v = static_cast<double>(stored[(first + e) * nc + c]);
          // The writer's float of read_fcs's double; for numbers also the clamp by definition.
          const float expected = static_cast<float>(whole.events.column(c)[first + e]);
          const float got = rows[e * nc + c];
          mismatches += std::bit_cast<std::uint32_t>(got) != std::bit_cast<std::uint32_t>(expected);
          if (!std::isnan(v)) mismatches += got != static_cast<float>(v > range ? range : v);
          else mismatches += !std::isnan(got) || std::signbit(got) != std::signbit(v);
          clamped += v > range;
          quietened += std::isnan(v) && std::bit_cast<std::uint32_t>(stored[(first + e) * nc + c]) !=
                                           std::bit_cast<std::uint32_t>(got);
        }
      EXPECT_EQ(mismatches, 0u) << "events " << first << "+" << n;
      if (n == events) {
        EXPECT_GT(clamped, 0u);    // the cases are there
        EXPECT_GT(quietened, 0u);  // signalling NaNs came out quiet, as through double
      }
    }
  }
  fs::remove(path);
}

}  // namespace
