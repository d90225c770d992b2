// Legal-but-odd files (issue 20): DATA end one byte past the end of the file, a $BYTEORD
// shorter than the words, a $PnE whose top overflows a double. Each is read, with a notice.
#include <gtest/gtest.h>

#include <cmath>

#include "cytopipe/fcs/reader.hpp"
#include "fcs/fcs_builder.hpp"

namespace {

using cytopipe::fcs::FcsError;
using cytopipe::fcs::Sample;
using namespace cytopipe::test;

Sample read(const FcsBuild& b) {
  const auto bytes = build_fcs(b);
  return cytopipe::fcs::read_fcs(bytes, "built.fcs");
}

std::string notice_with(const Sample& s, const std::string& part) {
  for (const auto& n : s.notices)
    if (n.find(part) != std::string::npos) return n;
  return {};
}

// Two 16-bit little-endian events (11, 12) as the last bytes of the file; `past` moves both
// offset pairs' end one byte further (and `extra` more bytes of $TOT are claimed).
FcsBuild two_events(std::uint64_t past, std::size_t tot = 2) {
  auto b = basic_fcs("I", 1, tot, 16, "1024");
  put_le(b.data, 11, 2);
  put_le(b.data, 12, 2);
  const auto bytes = build_fcs(b);
  const std::uint64_t begin = bytes.size() - b.data.size(), end = bytes.size() - 1 + past;
  b.header_data = {begin, end};
  b.text_data = {begin, end};
  return b;
}

TEST(OffByOne, DataEndOneBytePastTheFileIsReadWithANotice) {
  const auto s = read(two_events(1));
  ASSERT_EQ(s.event_count(), 2u);
  EXPECT_EQ(s.events.column(0)[0], 11);
  EXPECT_EQ(s.events.column(0)[1], 12);
  const auto n = notice_with(s, "one byte past the end of the file");
  EXPECT_NE(n.find("off by one"), std::string::npos) << n;
  EXPECT_NE(n.find("4 bytes fit exactly"), std::string::npos) << n;
}

TEST(OffByOne, OnlyWhenTheEventsFitExactlyAndOnlyOneByte) {
  // Two bytes past: still truncated.
  EXPECT_THROW(read(two_events(2)), FcsError);
  // $TOT claims 3 events (6 bytes): the 4 present + the phantom byte do not hold them.
  EXPECT_THROW(read(two_events(1, 3)), FcsError);
  // The pairs disagree (HEADER one past, TEXT exact): both fit $TOT (a spare byte is allowed),
  // and the one inside the file is used; no off-by-one notice.
  auto b = two_events(1);
  b.text_data->second -= 1;
  const auto s = read(b);
  EXPECT_EQ(s.event_count(), 2u);
  EXPECT_TRUE(notice_with(s, "one byte past").empty());
  EXPECT_NE(notice_with(s, "used the TEXT pair").size(), 0u);
  // In range: no notice.
  EXPECT_TRUE(notice_with(read(two_events(0)), "one byte past").empty());
}

TEST(ShortByteOrder, ReadAsItsDirectionWithANotice) {
  auto b = basic_fcs("I", 1, 1, 32, "4294967296", "1,2");
  put_le(b.data, 0x01020304, 4);
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 0x01020304);  // little endian, as flowCore
  EXPECT_NE(notice_with(s, "$BYTEORD '1,2' has 2 bytes for 4-byte values: read as little endian").size(), 0u);

  auto f = basic_fcs("F", 1, 1, 32, "1024", "2,1");
  put_f32_be(f.data, 2.5f);
  s = read(f);
  EXPECT_EQ(s.events.column(0)[0], 2.5);
  EXPECT_NE(notice_with(s, "read as big endian").size(), 0u);

  // A full-length order, or one longer than 16-bit words (common), is not remarked on.
  auto ok = basic_fcs("I", 1, 1, 16, "1024", "1,2,3,4");
  put_le(ok.data, 7, 2);
  EXPECT_TRUE(notice_with(read(ok), "$BYTEORD").empty());
}

TEST(OverflowingPnE, NoticeNamesTheKeyword) {
  auto b = basic_fcs("I", 1, 2, 16, "1024");
  b.set("$P1E", "400,1");
  put_le(b.data, 0, 2);
  put_le(b.data, 1023, 2);
  const auto s = read(b);
  EXPECT_NE(notice_with(s, "$P1E '400,1': 10^f1 x f2 overflows").size(), 0u);
  EXPECT_TRUE(std::isinf(s.events.column(0)[1]));  // what the notice warns of
  auto fine = basic_fcs("I", 1, 1, 16, "1024");
  fine.set("$P1E", "4,1");
  put_le(fine.data, 5, 2);
  EXPECT_TRUE(notice_with(read(fine), "overflows").empty());
}

}  // namespace

namespace {

TEST(MemoryLimit, DecodedSizeIsCheckedBeforeAllocating) {
  // 1000 events x 2 channels of 16-bit integers: 4000 bytes on disk, 16000 bytes decoded.
  auto b = basic_fcs("I", 2, 1000, 16, "1024");
  for (int i = 0; i < 2000; ++i) put_le(b.data, static_cast<std::uint64_t>(i % 1024), 2);
  const auto bytes = build_fcs(b);
  cytopipe::fcs::ReadOptions options;
  options.max_memory = 15999;
  try {
    (void)cytopipe::fcs::read_fcs(bytes, "big.fcs", options);
    ADD_FAILURE() << "no error";
  } catch (const FcsError& e) {
    const std::string what = e.what();
    for (const char* part : {"big.fcs", "1000 events x 2 channels", "needs 16000 bytes", "limit of 15999 bytes",
                             "--max-memory"})
      EXPECT_NE(what.find(part), std::string::npos) << part << " not in " << what;
  }
  options.max_memory = 16000;
  EXPECT_EQ(cytopipe::fcs::read_fcs(bytes, "big.fcs", options).event_count(), 1000u);
  // Metadata-only reads allocate no events, so the limit does not apply.
  options.max_memory = 1;
  options.read_events = false;
  EXPECT_EQ(cytopipe::fcs::read_fcs(bytes, "big.fcs", options).event_total, 1000u);
  EXPECT_GT(cytopipe::fcs::default_max_memory(), std::uint64_t{1} << 26);  // some real fraction of RAM
}

}  // namespace
