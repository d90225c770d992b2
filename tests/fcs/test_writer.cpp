// FCS 3.1 writing: read -> write -> read gives the same values and keywords.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "fcs_builder.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe::fcs;

Sample reread(const Sample& s, const WriteOptions& options = {}) {
  auto bytes = to_fcs_bytes(s, options);
  return read_fcs(bytes, "rewritten.fcs");
}

TEST(Writer, RoundTripFloatFileKeepsValuesKeywordsAndSpillover) {
  CYTOPIPE_SHARED_OR_SKIP(path, "fcs_corpus/FlowKit_LSRII.fcs");
  auto original = read_fcs(path);
  auto copy = reread(original);
  EXPECT_EQ(copy.version, "FCS3.1");
  ASSERT_EQ(copy.event_count(), original.event_count());
  ASSERT_EQ(copy.channels.size(), original.channels.size());
  for (std::size_t c = 0; c < original.channels.size(); ++c) {
    EXPECT_EQ(copy.channels[c].name, original.channels[c].name);
    EXPECT_EQ(copy.channels[c].marker, original.channels[c].marker);
    EXPECT_EQ(copy.channels[c].range, original.channels[c].range);
    EXPECT_EQ(copy.channels[c].gain, original.channels[c].gain);
    auto a = original.events.column(c), b = copy.events.column(c);
    for (std::size_t e = 0; e < a.size(); ++e) ASSERT_EQ(a[e], b[e]) << c << "," << e;
  }
  // Every keyword that still holds is kept with its value.
  for (const auto& entry : original.keywords.entries()) {
    const auto& name = entry.name;
    if (name == "$BEGINDATA" || name == "$ENDDATA" || name == "$BYTEORD" || name == "$DATATYPE" ||
        name == "$BEGINSTEXT" || name == "$ENDSTEXT" || name == "$BEGINANALYSIS" || name == "$ENDANALYSIS" ||
        name == "SPILL" || (name.find("$P") == 0 && name.back() == 'B'))
      continue;
    auto value = copy.keywords.find(name);
    ASSERT_TRUE(value) << name;
    EXPECT_EQ(*value, entry.value) << name;
  }
  ASSERT_TRUE(copy.spillover);
  EXPECT_EQ(copy.spillover->detectors, original.spillover->detectors);
  EXPECT_EQ(copy.spillover->values, original.spillover->values);
  // And writing the copy again gives the same bytes.
  EXPECT_EQ(to_fcs_bytes(copy), to_fcs_bytes(original));
}

TEST(Writer, LinearisedIntegersAreMarkedAppliedAndNotTransformedTwice) {
  CYTOPIPE_SHARED_OR_SKIP(path, "fcs_corpus/flowCore_FACSCalibur.fcs");
  auto original = read_fcs(path);
  auto copy = reread(original);
  EXPECT_EQ(copy.keywords.find("transformation").value_or(""), "applied");
  for (std::size_t c = 0; c < original.channels.size(); ++c) {
    EXPECT_FALSE(copy.channels[c].linearised);
    EXPECT_EQ(copy.channels[c].log_decades, 0.0);
    auto a = original.events.column(c), b = copy.events.column(c);
    for (std::size_t e = 0; e < a.size(); ++e)
      ASSERT_EQ(b[e], static_cast<double>(static_cast<float>(a[e]))) << c << "," << e;
  }
  // The linearised range is 10^f1 * f2.
  auto fl1 = original.channel_index("FL1-H");
  EXPECT_EQ(copy.channels[fl1].range, 10000.0);
}

TEST(Writer, SubsetOfChannelsAndEventsWithSpilloverSubmatrix) {
  using cytopipe::test::basic_fcs;
  auto b = basic_fcs("F", 3, 4, 32, "1000");
  b.set("$P1N", "A").set("$P2N", "B").set("$P3N", "C").kw("$P3S", "CD8").kw("$P3DISPLAY", "LOG");
  b.kw("$SPILLOVER", "3,A,B,C,1,0.1,0.2,0.3,1,0.4,0.5,0.6,1");
  for (int e = 0; e < 4; ++e)
    for (int c = 0; c < 3; ++c) cytopipe::test::put_f32_le(b.data, static_cast<float>(10 * e + c));
  auto bytes = cytopipe::test::build_fcs(b);
  auto s = read_fcs(bytes, "built.fcs");
  WriteOptions options;
  options.channels = std::vector<std::size_t>{2, 0};
  options.keep_event = std::vector<std::uint8_t>{0, 1, 0, 1};
  auto sub = reread(s, options);
  ASSERT_EQ(sub.channels.size(), 2u);
  ASSERT_EQ(sub.event_count(), 2u);
  EXPECT_EQ(sub.channels[0].name, "C");
  EXPECT_EQ(sub.channels[0].marker, "CD8");
  EXPECT_EQ(sub.keywords.find("$P1DISPLAY").value_or(""), "LOG");  // renumbered with its channel
  EXPECT_EQ(sub.events.column(0)[0], 12.0);
  EXPECT_EQ(sub.events.column(1)[1], 30.0);
  ASSERT_TRUE(sub.spillover);
  EXPECT_EQ(sub.spillover->detectors, (std::vector<std::string>{"A", "C"}));
  EXPECT_EQ(sub.spillover->values, (std::vector<double>{1, 0.2, 0.5, 1}));

  WriteOptions bad;
  bad.channels = std::vector<std::size_t>{7};
  EXPECT_THROW(to_fcs_bytes(s, bad), cytopipe::Error);
  bad.channels.reset();
  bad.keep_event = std::vector<std::uint8_t>{1};
  EXPECT_THROW(to_fcs_bytes(s, bad), cytopipe::Error);
}

TEST(Writer, DelimiterInValuesIsEscaped) {
  using cytopipe::test::basic_fcs;
  auto b = basic_fcs("F", 1, 1, 32, "10");
  // Every candidate delimiter appears in a value, so the writer must escape.
  b.kw("NOTE", "a|b/c\\d\x0c!e~f^g#h@i\x1ej").kw("EMPTYISH", " ");
  cytopipe::test::put_f32_le(b.data, 1.5f);
  b.delimiter = '\x01';
  auto bytes = cytopipe::test::build_fcs(b);
  auto s = read_fcs(bytes, "built.fcs");
  auto copy = reread(s);
  EXPECT_EQ(copy.keywords.find("NOTE").value(), "a|b/c\\d\x0c!e~f^g#h@i\x1ej");
  EXPECT_EQ(copy.events.column(0)[0], 1.5);
}

TEST(Writer, LargeFileOffsetsGoInText) {
  // 26 million float32 values: the DATA segment ends past byte 99,999,999, where HEADER offsets
  // no longer fit in 8 digits; readers then take $BEGINDATA/$ENDDATA.
  Sample s;
  s.source = "big";
  s.version = "FCS3.1";
  Channel ch;
  ch.index = 1;
  ch.name = "X";
  ch.bits = 32;
  ch.range = 1e9;
  s.channels.push_back(ch);
  const std::size_t n = 26'000'000;
  s.events = EventMatrix(n, 1);
  auto col = s.events.column(0);
  for (std::size_t e = 0; e < n; ++e) col[e] = static_cast<double>(e % 1000);
  auto bytes = to_fcs_bytes(s);
  ASSERT_GT(bytes.size(), 100'000'000u);
  std::string header(reinterpret_cast<const char*>(bytes.data()), 58);
  EXPECT_EQ(header.substr(26, 16), "       0       0");
  auto back = read_fcs(bytes, "big.fcs");
  ASSERT_EQ(back.event_count(), n);
  EXPECT_EQ(back.events.column(0)[n - 1], static_cast<double>((n - 1) % 1000));
}

TEST(Writer, WriteFcsIsAtomicAndReadable) {
  using cytopipe::test::basic_fcs;
  auto b = basic_fcs("F", 1, 2, 32, "10");
  cytopipe::test::put_f32_le(b.data, 1.f);
  cytopipe::test::put_f32_le(b.data, 2.f);
  auto bytes = cytopipe::test::build_fcs(b);
  auto s = read_fcs(bytes, "built.fcs");
  const auto dir = std::filesystem::temp_directory_path() / "cytopipe_writer_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "out.fcs";
  write_fcs(file, s);
  EXPECT_EQ(read_fcs(file).events.column(0)[1], 2.0);
  EXPECT_THROW(write_fcs(dir / "missing" / "out.fcs", s), cytopipe::Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
