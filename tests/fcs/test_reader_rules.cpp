// One test per reading rule of docs/flowcore_reading.md, on small files built byte by byte.
// Expected values are computed here from the rule (never taken from our own output).
#include <gtest/gtest.h>

#include <cmath>

#include "cytopipe/fcs/reader.hpp"
#include "fcs_builder.hpp"

namespace {

using namespace cytopipe::test;
using cytopipe::fcs::FcsError;
using cytopipe::fcs::FcsErrorKind;
using cytopipe::fcs::OffsetPolicy;
using cytopipe::fcs::ReadOptions;
using cytopipe::fcs::Sample;
using cytopipe::fcs::ValueRule;

Sample read(const FcsBuild& b, ReadOptions options = {}) {
  auto bytes = build_fcs(b);
  return cytopipe::fcs::read_fcs(bytes, "built.fcs", options);
}

FcsErrorKind read_error(const FcsBuild& b, ReadOptions options = {}, std::string* message = nullptr) {
  auto bytes = build_fcs(b);
  try {
    (void)cytopipe::fcs::read_fcs(bytes, "built.fcs", options);
  } catch (const FcsError& e) {
    if (message) *message = e.what();
    EXPECT_NE(std::string(e.what()).find("built.fcs"), std::string::npos) << e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return FcsErrorKind::Other;
}

bool has_notice(const Sample& s, const std::string& text) {
  for (const auto& n : s.notices)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

TEST(ReaderText, AnyDelimiterAndCaseInsensitiveKeywords) {
  for (char delimiter : {'/', '\\', '|', '\x0c', '!', '*'}) {
    auto b = basic_fcs("I", 1, 2, 16, "1024");
    b.delimiter = delimiter;
    b.set("$P1N", "FSC-A");
    b.kw("$p1s", "  CD4 ");  // lower-case keyword, padded value
    put_le(b.data, 5, 2);
    put_le(b.data, 7, 2);
    auto s = read(b);
    ASSERT_EQ(s.channels.size(), 1u);
    EXPECT_EQ(s.channels[0].name, "FSC-A");
    EXPECT_EQ(s.channels[0].marker, "CD4");
    EXPECT_EQ(s.keywords.find("$P1S").value(), "  CD4");  // values right-trimmed only
    EXPECT_EQ(s.keywords.find("$p1n").value(), "FSC-A");
    EXPECT_EQ(s.events.column(0)[1], 7.0);
  }
}

// A parameter's keywords are $Pn + one letter, n in decimal: "$P01S" and "$P2SX" are other
// keywords, "$P3S" is beyond $PAR, and a name in any case is the same keyword.
TEST(ReaderText, ParameterKeywordsAreNAndOneLetterInAnyCase) {
  auto b = basic_fcs("I", 2, 1, 16, "1024");
  b.set("$P1N", "FSC-A").set("$P2N", "SSC-A");
  b.kw("$P01S", "not CD4").kw("$P2SX", "not CD8").kw("$P3S", "beyond").kw("$p2s", "CD8").kw("$P1g", "2.5");
  b.kw("$P1V", "450");
  put_le(b.data, 5, 2);
  put_le(b.data, 7, 2);
  const auto s = read(b);
  ASSERT_EQ(s.channels.size(), 2u);
  EXPECT_EQ(s.channels[0].name, "FSC-A");
  EXPECT_EQ(s.channels[0].marker, "");
  EXPECT_EQ(s.channels[1].marker, "CD8");
  ASSERT_TRUE(s.channels[0].gain.has_value());
  EXPECT_EQ(*s.channels[0].gain, 2.5);
  EXPECT_FALSE(s.channels[1].gain.has_value());
  ASSERT_TRUE(s.channels[0].voltage.has_value());
  EXPECT_EQ(*s.channels[0].voltage, 450.0);
  EXPECT_EQ(s.channels[0].range, 1024.0);
  EXPECT_EQ(s.channels[1].bits, 16);
  EXPECT_EQ(s.keywords.find("$P01S").value(), "not CD4");  // still a keyword of the file
}

TEST(ReaderText, Fcs3DoubledDelimiterIsOneLiteral) {
  auto b = basic_fcs("I", 1, 1, 16, "1024");
  b.set("$P1S", "GFP//FITC-A").kw("$P1F", "561////10 nm");
  put_le(b.data, 1, 2);
  auto s = read(b);
  EXPECT_EQ(s.channels[0].marker, "GFP/FITC-A");
  EXPECT_EQ(s.keywords.find("$P1F").value(), "561//10 nm");
}

TEST(ReaderText, Fcs2PlainSplitReadsDoubledDelimiterAsEmptyValue) {
  auto b = basic_fcs("I", 1, 1, 16, "1024");
  b.version = "FCS2.0";
  b.text_offsets = false;
  b.kw("$P1S", "").kw("$SYS", "Mac");  // "/$P1S//$SYS/Mac/": an empty value in FCS 2.0
  put_le(b.data, 1, 2);
  auto s = read(b);
  EXPECT_EQ(s.channels[0].marker, "");
  EXPECT_EQ(s.keywords.find("$SYS").value(), "Mac");
}

TEST(ReaderText, DuplicateKeywordFirstOccurrenceWins) {
  auto b = basic_fcs("I", 1, 1, 16, "1024");
  b.kw("$VOL", "10").kw("$VOL", "20");
  put_le(b.data, 1, 2);
  auto s = read(b);
  EXPECT_EQ(s.keywords.find("$VOL").value(), "10");
  EXPECT_TRUE(has_notice(s, "$VOL"));
}

TEST(ReaderText, DigitDelimiterIsRefused) {
  auto b = basic_fcs("I", 1, 1, 16, "1024");
  b.delimiter = '7';
  put_le(b.data, 1, 2);
  std::string message;
  EXPECT_EQ(read_error(b, {}, &message), FcsErrorKind::BadKeyword);
  EXPECT_NE(message.find("digit"), std::string::npos) << message;
}

TEST(ReaderText, DuplicateChannelNamesGetSuffixes) {
  auto b = basic_fcs("I", 3, 1, 16, "1024");
  b.set("$P1N", "FCS").set("$P2N", "SSC").set("$P3N", "FCS");
  put_le(b.data, 1, 2), put_le(b.data, 2, 2), put_le(b.data, 3, 2);
  auto s = read(b);
  EXPECT_EQ(s.channels[0].name, "FCS-1");
  EXPECT_EQ(s.channels[1].name, "SSC");
  EXPECT_EQ(s.channels[2].name, "FCS-2");
  EXPECT_TRUE(has_notice(s, "duplicate $PnN"));
  EXPECT_EQ(s.values("FCS-2")[0], 3.0);
}

TEST(ReaderText, SupplementalTextAddsKeywords) {
  // Supplemental TEXT placed after DATA; its offsets (fixed-width numbers) are in primary TEXT.
  auto b = basic_fcs("I", 1, 1, 16, "1024");
  put_le(b.data, 9, 2);
  const std::string stext = "/$SRC/tube 7/$P1S/CD8/";
  b.kw("$BEGINSTEXT", "0000000000").kw("$ENDSTEXT", "0000000000");
  const std::size_t at = build_fcs(b).size();
  auto ten = [](std::size_t v) {
    std::string s = std::to_string(v);
    return std::string(10 - s.size(), '0') + s;
  };
  b.set("$BEGINSTEXT", ten(at)).set("$ENDSTEXT", ten(at + stext.size() - 1));
  auto bytes = build_fcs(b);
  ASSERT_EQ(bytes.size(), at);
  for (char c : stext) bytes.push_back(static_cast<std::byte>(c));
  auto s = cytopipe::fcs::read_fcs(bytes, "built.fcs");
  EXPECT_EQ(s.keywords.find("$SRC").value(), "tube 7");
  EXPECT_EQ(s.channels[0].marker, "CD8");
}

TEST(ReaderIntegers, ByteOrdersAndWidths) {
  // 16-bit little and big endian, 32-bit big endian, 8-bit, 24-bit big endian, 64-bit.
  struct Case {
    int bits;
    std::string byteord;
    bool big;
  };
  for (const Case& c : {Case{8, "1,2,3,4", false}, Case{16, "1,2", false}, Case{16, "4,3,2,1", true},
                        Case{24, "4,3,2,1", true}, Case{24, "1,2,3,4", false}, Case{32, "4,3,2,1", true},
                        Case{32, "1,2,3,4", false}, Case{64, "1,2,3,4,5,6,7,8", false}}) {
    const std::uint64_t range = c.bits == 64 ? 4294967296ull : (c.bits == 8 ? 256 : 1ull << std::min(c.bits, 32));
    auto b = basic_fcs("I", 1, 2, c.bits, std::to_string(range), c.byteord);
    const std::uint64_t v1 = (range - 1) / 3, v2 = range - 2;
    for (auto v : {v1, v2}) c.big ? put_be(b.data, v, c.bits / 8) : put_le(b.data, v, c.bits / 8);
    auto s = read(b);
    EXPECT_EQ(s.events.column(0)[0], static_cast<double>(v1)) << c.bits << " " << c.byteord;
    EXPECT_EQ(s.events.column(0)[1], static_cast<double>(v2)) << c.bits << " " << c.byteord;
  }
}

TEST(ReaderIntegers, PermutedByteOrder) {
  // $BYTEORD 3,4,1,2: file byte j carries significance order[j].
  auto b = basic_fcs("I", 1, 1, 32, "4294967296", "3,4,1,2");
  const std::uint32_t v = 0x11223344;
  b.data = {0x22, 0x11, 0x44, 0x33};  // byte 0 = significance 3 (0x22), byte 1 = 4 (0x11), ...
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], static_cast<double>(v));
}

TEST(ReaderIntegers, Unsigned32BitNeverNegative) {
  auto b = basic_fcs("I", 1, 1, 32, "4294967296");
  put_le(b.data, 0xFFFFFFF0u, 4);
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 4294967280.0);
}

TEST(ReaderIntegers, MixedWidthsPerChannel) {
  auto b = basic_fcs("I", 3, 2, 16, "65536");
  b.set("$P1B", "8").set("$P1R", "256").set("$P3B", "32").set("$P3R", "4294967296");
  for (int e = 0; e < 2; ++e) {
    put_le(b.data, 200 + e, 1);
    put_le(b.data, 60000 + e, 2);
    put_le(b.data, 3000000000u + e, 4);
  }
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[1], 201.0);
  EXPECT_EQ(s.events.column(1)[1], 60001.0);
  EXPECT_EQ(s.events.column(2)[1], 3000000001.0);
}

TEST(ReaderIntegers, OddWidthsPackedBitByBit) {
  // Two 10-bit channels and 4 events = 80 bits = 10 bytes, packed most significant bit first.
  auto b = basic_fcs("I", 2, 4, 10, "1024", "4,3,2,1");
  b.version = "FCS2.0";
  const std::vector<std::uint32_t> values{1, 1023, 512, 3, 700, 0, 5, 1000};
  std::vector<int> bits;
  for (auto v : values)
    for (int i = 9; i >= 0; --i) bits.push_back((v >> i) & 1);
  for (std::size_t i = 0; i < bits.size(); i += 8) {
    std::uint8_t byte = 0;
    for (int j = 0; j < 8; ++j) byte = static_cast<std::uint8_t>((byte << 1) | bits[i + j]);
    b.data.push_back(byte);
  }
  auto s = read(b);
  for (std::size_t e = 0; e < 4; ++e) {
    EXPECT_EQ(s.events.column(0)[e], values[2 * e]);
    EXPECT_EQ(s.events.column(1)[e], values[2 * e + 1]);
  }
}

TEST(ReaderIntegers, TenBitsStoredInSixteenBitWordsIsAnError) {
  auto b = basic_fcs("I", 2, 4, 10, "1024");
  b.version = "FCS2.0";
  for (int i = 0; i < 8; ++i) put_le(b.data, 100 + i, 2);
  std::string message;
  EXPECT_EQ(read_error(b, {}, &message), FcsErrorKind::BadKeyword);
  EXPECT_NE(message.find("16-bit words"), std::string::npos) << message;
}

TEST(ReaderRules, BitMaskFromRange) {
  // $PnR 1024 -> 10 bits < 16: values are taken mod 1024 (upper bits carry other information).
  auto b = basic_fcs("I", 1, 3, 16, "1024");
  put_le(b.data, 0x0400 + 17, 2);   // 1041 -> 17
  put_le(b.data, 0xFC00 + 1023, 2); // -> 1023
  put_le(b.data, 1000, 2);
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 17.0);
  EXPECT_EQ(s.events.column(0)[1], 1023.0);
  EXPECT_EQ(s.events.column(0)[2], 1000.0);
}

TEST(ReaderRules, TruncationAtRangeForIntegerAndFloat) {
  auto b = basic_fcs("I", 1, 2, 16, "1000");  // mask 10 bits; 1010 survives, then > 1000
  put_le(b.data, 1010, 2);
  put_le(b.data, 999, 2);
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 1000.0);
  EXPECT_EQ(s.events.column(0)[1], 999.0);

  auto f = basic_fcs("F", 1, 2, 32, "20");
  put_f32_le(f.data, 25.5f);
  put_f32_le(f.data, -3.25f);
  auto sf = read(f);
  EXPECT_EQ(sf.events.column(0)[0], 20.0);
  EXPECT_EQ(sf.events.column(0)[1], -3.25);
}

TEST(ReaderRules, LinearisationOfLogIntegerChannels) {
  auto b = basic_fcs("I", 2, 2, 16, "1024");
  b.set("$P1E", "4,0");      // f2 = 0 is read as 1
  b.set("$P2E", "4,0.1024");
  for (int x : {512, 1023}) {
    put_le(b.data, x, 2);
    put_le(b.data, x, 2);
  }
  auto s = read(b);
  EXPECT_DOUBLE_EQ(s.events.column(0)[0], 100.0);  // 10^(4*512/1024)
  EXPECT_DOUBLE_EQ(s.events.column(0)[1], std::pow(10.0, 4.0 * 1023 / 1024));
  EXPECT_DOUBLE_EQ(s.events.column(1)[0], 100.0 * 0.1024);
  EXPECT_TRUE(s.channels[0].linearised);
}

TEST(ReaderRules, FloatLogKeywordIgnored) {
  auto b = basic_fcs("F", 1, 1, 32, "1024");
  b.set("$P1E", "4,1");
  put_f32_le(b.data, 512.0f);
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 512.0);
  EXPECT_FALSE(s.channels[0].linearised);
}

TEST(ReaderRules, GainOnlyWhenAskedAndOnlyOnLinearChannels) {
  auto b = basic_fcs("I", 2, 1, 16, "1024");
  b.kw("$P1G", "10").kw("$P2G", "10").set("$P2E", "4,0");
  put_le(b.data, 500, 2);
  put_le(b.data, 512, 2);
  auto plain = read(b);
  EXPECT_EQ(plain.events.column(0)[0], 500.0);
  ReadOptions gain;
  gain.values = ValueRule::FlowCoreWithGain;
  auto with_gain = read(b, gain);
  EXPECT_DOUBLE_EQ(with_gain.events.column(0)[0], 50.0);
  EXPECT_DOUBLE_EQ(with_gain.events.column(1)[0], 100.0);  // log channel: not divided
  ReadOptions raw;
  raw.values = ValueRule::Raw;
  EXPECT_EQ(read(b, raw).events.column(1)[0], 512.0);
}

TEST(ReaderRules, TransformationKeywordSkipsTruncationAndLinearisation) {
  auto b = basic_fcs("I", 1, 1, 16, "1000");
  b.set("$P1E", "4,1").kw("transformation", "applied");
  put_le(b.data, 1010, 2);
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 1010.0);  // masked to 10 bits only
  EXPECT_FALSE(s.channels[0].linearised);
}

TEST(ReaderRules, FloatMissingRangeBecomesColumnMax) {
  auto b = basic_fcs("F", 1, 3, 32, "1");
  b.remove("$P1R");
  for (float v : {3.f, 250.5f, 7.f}) put_f32_le(b.data, v);
  auto s = read(b);
  EXPECT_EQ(s.channels[0].range, 250.5);
  EXPECT_EQ(s.events.column(0)[1], 250.5);
  EXPECT_TRUE(has_notice(s, "$P1R"));
}

TEST(ReaderFloats, BothByteOrdersAndDoubles) {
  auto le = basic_fcs("F", 1, 1, 32, "1000");
  put_f32_le(le.data, 12.375f);
  EXPECT_EQ(read(le).events.column(0)[0], 12.375);
  auto be = basic_fcs("F", 1, 1, 32, "1000", "4,3,2,1");
  put_f32_be(be.data, -0.5f);
  EXPECT_EQ(read(be).events.column(0)[0], -0.5);
  auto d = basic_fcs("D", 1, 1, 64, "1000", "4,3,2,1");
  put_f64_be(d.data, 123.456789);
  EXPECT_EQ(read(d).events.column(0)[0], 123.456789);
}

TEST(ReaderAscii, FixedWidthAndDelimitedAsExtension) {
  auto b = basic_fcs("A", 2, 2, 4, "1000");
  const std::string chars = " 125 150 1752000";  // last value truncated at $PnR
  b.data.assign(chars.begin(), chars.end());
  auto s = read(b);
  EXPECT_EQ(s.events.column(0)[0], 125.0);
  EXPECT_EQ(s.events.column(1)[0], 150.0);
  EXPECT_EQ(s.events.column(1)[1], 1000.0);
  EXPECT_TRUE(has_notice(s, "ASCII"));
  ReadOptions strict;
  strict.allow_ascii = false;
  EXPECT_EQ(read_error(b, strict), FcsErrorKind::Other);

  auto star = basic_fcs("A", 2, 2, 4, "1000");
  star.set("$P1B", "*").set("$P2B", "*");
  const std::string delimited = "1,22\n333 4.5";
  star.data.assign(delimited.begin(), delimited.end());
  auto sd = read(star);
  EXPECT_EQ(sd.events.column(0)[1], 333.0);
  EXPECT_EQ(sd.events.column(1)[1], 4.5);
}

TEST(ReaderOffsets, HeaderZeroOrBigUsesText) {
  for (auto pair : {std::pair<std::uint64_t, std::uint64_t>{0, 0}, {0, 99999999}}) {
    auto b = basic_fcs("I", 1, 2, 16, "1024");
    b.header_data = pair;
    put_le(b.data, 3, 2);
    put_le(b.data, 4, 2);
    auto s = read(b);
    EXPECT_EQ(s.events.column(0)[1], 4.0);
  }
}

// A file whose DATA is preceded by 8 bytes of junk: HEADER and TEXT can point at either start.
FcsBuild disagreeing(bool header_right, bool text_right, std::uint64_t* data_start = nullptr) {
  auto b = basic_fcs("I", 1, 2, 16, "1024");
  b.data = {0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE};
  put_le(b.data, 11, 2);
  put_le(b.data, 12, 2);
  auto bytes = build_fcs(b);
  const std::uint64_t start = bytes.size() - 12;  // first junk byte
  const std::pair<std::uint64_t, std::uint64_t> right{start + 8, start + 11}, wrong{start, start + 11};
  b.header_data = header_right ? right : wrong;
  b.text_data = text_right ? right : std::pair<std::uint64_t, std::uint64_t>{start + 2, start + 11};
  if (data_start) *data_start = start;
  return b;
}

TEST(ReaderOffsets, DisagreementResolvedByTheLengthThatFitsTot) {
  auto text_wins = read(disagreeing(false, true));
  EXPECT_EQ(text_wins.events.column(0)[0], 11.0);
  EXPECT_TRUE(has_notice(text_wins, "used the TEXT pair"));
  auto header_wins = read(disagreeing(true, false));
  EXPECT_EQ(header_wins.events.column(0)[1], 12.0);
  EXPECT_TRUE(has_notice(header_wins, "used the HEADER pair"));
}

TEST(ReaderOffsets, NeitherFitsIsAnErrorNamingBothPairs) {
  std::uint64_t start = 0;
  auto b = disagreeing(false, false, &start);
  std::string message;
  EXPECT_EQ(read_error(b, {}, &message), FcsErrorKind::OffsetsInconsistent);
  EXPECT_NE(message.find(std::to_string(start) + "-" + std::to_string(start + 11)), std::string::npos) << message;
  EXPECT_NE(message.find("4 bytes"), std::string::npos) << message;  // expected length
  // Forcing a side reads it (and then $TOT decides).
  ReadOptions header;
  header.offsets = OffsetPolicy::Header;
  EXPECT_EQ(read_error(b, header), FcsErrorKind::TotMismatch);
}

TEST(ReaderOffsets, ForcingOneSide) {
  auto b = disagreeing(true, false);
  ReadOptions text;
  text.offsets = OffsetPolicy::Text;
  EXPECT_EQ(read_error(b, text), FcsErrorKind::TotMismatch);  // TEXT pair is 10 bytes, $TOT 2
  ReadOptions header;
  header.offsets = OffsetPolicy::Header;
  EXPECT_EQ(read(b, header).events.column(0)[0], 11.0);
}

TEST(ReaderOffsets, OneByteLongEndAccepted) {
  auto b = basic_fcs("I", 1, 2, 16, "1024");
  put_le(b.data, 1, 2);
  put_le(b.data, 2, 2);
  b.data.push_back(0);  // $ENDDATA one past the last event
  auto s = read(b);
  EXPECT_EQ(s.event_count(), 2u);
}

TEST(ReaderDataSets, NextDataChain) {
  // Two data sets: the second's HEADER starts right after the first's DATA.
  auto first = basic_fcs("I", 1, 1, 16, "1024");
  put_le(first.data, 5, 2);
  auto second = basic_fcs("I", 1, 2, 16, "1024");
  second.set("$P1N", "Second");
  put_le(second.data, 6, 2);
  put_le(second.data, 7, 2);
  auto first_bytes = build_fcs(first);
  first.set("$NEXTDATA", std::to_string(first_bytes.size()));
  first_bytes = build_fcs(first);
  first.set("$NEXTDATA", std::to_string(first_bytes.size()));
  first_bytes = build_fcs(first);
  auto second_bytes = build_fcs(second);  // offsets relative to its own HEADER
  std::vector<std::byte> file = first_bytes;
  file.insert(file.end(), second_bytes.begin(), second_bytes.end());

  auto s = cytopipe::fcs::read_fcs(file, "chain.fcs");
  ASSERT_EQ(s.datasets.size(), 2u);
  EXPECT_EQ(s.datasets[1].offset, first_bytes.size());
  EXPECT_EQ(s.datasets[1].tot, 2u);
  EXPECT_EQ(s.events.column(0)[0], 5.0);
  EXPECT_TRUE(has_notice(s, "2 data sets"));
  ReadOptions pick;
  pick.dataset = 1;
  auto s2 = cytopipe::fcs::read_fcs(file, "chain.fcs", pick);
  EXPECT_EQ(s2.channels[0].name, "Second");
  EXPECT_EQ(s2.events.column(0)[1], 7.0);
  pick.dataset = 2;
  EXPECT_THROW(cytopipe::fcs::read_fcs(file, "chain.fcs", pick), FcsError);
}

TEST(ReaderSpillover, ParsedIntoNamedMatrixWithLookupOrder) {
  auto b = basic_fcs("F", 2, 1, 32, "1000");
  b.set("$P1N", "FL1-A").set("$P2N", "FL2-A");
  b.kw("$SPILLOVER", "2,FL1-A,FL2-A,1,0.5,0.25,1").kw("SPILL", "2,FL1-A,FL2-A,1,0.1,0.2,1");
  put_f32_le(b.data, 1.f);
  put_f32_le(b.data, 2.f);
  auto s = read(b);
  ASSERT_TRUE(s.spillover);
  EXPECT_EQ(s.spillover->keyword, "SPILL");  // SPILL is looked up first
  EXPECT_EQ(s.spillover->detectors, (std::vector<std::string>{"FL1-A", "FL2-A"}));
  EXPECT_DOUBLE_EQ(s.spillover->at(0, 1), 0.1);
  EXPECT_DOUBLE_EQ(s.spillover->at(1, 0), 0.2);

  b.remove("SPILL").set("$SPILLOVER", "2,FL1-A,FL2-A");
  auto bad = read(b);
  EXPECT_FALSE(bad.spillover);
  EXPECT_NE(bad.spillover_error.find("expected 1+n+n*n = 7"), std::string::npos) << bad.spillover_error;
}

TEST(ReaderMetadata, ChannelsAndVersionNotice) {
  auto b = basic_fcs("F", 2, 1, 32, "262144");
  b.version = "FCS3.2";
  b.set("$P1N", " FSC-A ").kw("$P1S", " Forward ").kw("$P1G", "2.5").kw("$P1V", "450");
  put_f32_le(b.data, 1.f);
  put_f32_le(b.data, 2.f);
  auto s = read(b);
  EXPECT_EQ(s.version, "FCS3.2");
  EXPECT_TRUE(has_notice(s, "FCS3.2"));
  EXPECT_EQ(s.channels[0].name, "FSC-A");
  EXPECT_EQ(s.channels[0].marker, "Forward");
  EXPECT_EQ(s.channels[0].gain.value(), 2.5);
  EXPECT_EQ(s.channels[0].voltage.value(), 450.0);
  EXPECT_EQ(s.channels[0].range, 262144.0);
  EXPECT_EQ(s.find_channel("fsc-a").value(), 0u);  // case-insensitive fallback
  try {
    (void)s.channel_index("CD3");
    ADD_FAILURE();
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("FSC-A, P2"), std::string::npos) << e.what();
  }
  auto copy = s.events.clone();
  EXPECT_EQ(copy.column(1)[0], 2.0);
  EXPECT_NE(copy.data(), s.events.data());
}

TEST(ReaderMetadata, HeaderOnlyReadSkipsEvents) {
  auto b = basic_fcs("F", 1, 1, 32, "10");
  put_f32_le(b.data, 1.f);
  ReadOptions meta;
  meta.read_events = false;
  auto s = read(b, meta);
  EXPECT_EQ(s.channels.size(), 1u);
  EXPECT_EQ(s.keywords.find("$TOT").value(), "1");
}

}  // namespace
