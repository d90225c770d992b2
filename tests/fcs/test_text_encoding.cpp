// Keywords are bytes: valid UTF-8 is kept, anything else (CellQuest writes 0xAA) is read as
// Latin-1 for the whole file, with a notice, and Sample::text_encoding says which.
#include <gtest/gtest.h>

#include <filesystem>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/text_encoding.hpp"
#include "fcs/fcs_builder.hpp"
#include "support/shared_data.hpp"

namespace {

using cytopipe::fcs::Sample;
using namespace cytopipe::test;

Sample read(const FcsBuild& b) {
  const auto bytes = build_fcs(b);
  return cytopipe::fcs::read_fcs(bytes, "built.fcs");
}

cytopipe::fcs::ReadOptions metadata_only() {
  cytopipe::fcs::ReadOptions o;
  o.read_events = false;
  return o;
}

bool has_notice(const Sample& s, const std::string& part) {
  for (const auto& n : s.notices)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(TextEncoding, CellQuestCreatorByteIsReadAsLatin1) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "fcs_corpus");
  // CREATOR is "CELLQuest" 0xAA " 3.3" in both files (checked with a hex dump of the TEXT).
  for (const char* name : {"FlowIO_FACScan.fcs", "flowCore_FACSCalibur.fcs"}) {
    const auto s = cytopipe::fcs::read_fcs(dir / name, metadata_only());
    EXPECT_EQ(s.text_encoding, "Latin-1") << name;
    EXPECT_EQ(s.keywords.find("CREATOR").value_or(""), "CELLQuest\xC2\xAA 3.3") << name;  // U+00AA
    EXPECT_TRUE(has_notice(s, "byte 0xAA in keyword CREATOR")) << name;
    for (const auto& e : s.keywords.entries()) {
      EXPECT_TRUE(cytopipe::is_utf8(e.name)) << name;
      EXPECT_TRUE(cytopipe::is_utf8(e.value)) << name << " " << e.name;
    }
  }
  const auto utf8 = cytopipe::fcs::read_fcs(dir / "FlowIO_AttuneNxT.fcs", metadata_only());
  EXPECT_EQ(utf8.text_encoding, "UTF-8");
  EXPECT_FALSE(has_notice(utf8, "UTF-8"));
}

TEST(TextEncoding, ValidUtf8IsKeptAndOneBadByteMakesTheFileLatin1) {
  auto b = basic_fcs("F", 1, 1, 32, "1024");
  put_f32_be(b.data, 1.5f);
  b.set("$BYTEORD", "4,3,2,1");
  b.set("$P1S", "CD3 \xCE\xBC" "m");  // "CD3 μm" in UTF-8
  auto s = read(b);
  EXPECT_EQ(s.text_encoding, "UTF-8");
  EXPECT_EQ(s.channels[0].marker, "CD3 \xCE\xBC" "m");

  b.set("$P1N", "FL1 \xB5");  // Latin-1 micro sign: not UTF-8 on its own
  s = read(b);
  EXPECT_EQ(s.text_encoding, "Latin-1");
  EXPECT_EQ(s.channels[0].name, "FL1 \xC2\xB5");
  // The whole file is Latin-1: the marker's two bytes are now two Latin-1 characters.
  EXPECT_EQ(s.channels[0].marker, "CD3 \xC3\x8E\xC2\xBC" "m");
  EXPECT_TRUE(has_notice(s, "byte 0xB5 in keyword $P1N"));
  EXPECT_EQ(s.events.column(0)[0], 1.5);
}

TEST(TextEncoding, Utf8Check) {
  using cytopipe::first_invalid_utf8;
  constexpr auto npos = std::string_view::npos;
  EXPECT_EQ(first_invalid_utf8("plain"), npos);
  EXPECT_EQ(first_invalid_utf8("\xE2\x84\xA2"), npos);              // ™
  EXPECT_EQ(first_invalid_utf8("\xF0\x9F\x98\x80"), npos);          // U+1F600
  EXPECT_EQ(first_invalid_utf8("ab\xAA"), 2u);                      // lone continuation
  EXPECT_EQ(first_invalid_utf8("\xC0\xAF"), 0u);                    // overlong
  EXPECT_EQ(first_invalid_utf8("\xED\xA0\x80"), 0u);                // surrogate
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);            // past U+10FFFF
  EXPECT_EQ(first_invalid_utf8("x\xE2\x84"), 1u);                   // cut short
  EXPECT_EQ(cytopipe::latin1_to_utf8("\xAA\xFF" "a"), "\xC2\xAA\xC3\xBF" "a");
}

}  // namespace
