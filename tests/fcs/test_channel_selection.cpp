// Decoding a subset of channels (ReadOptions::channels, DecodeHooks::metadata erasing channels):
// the kept channels' values, metadata and notices must equal those of a plain read of every
// channel, on every readable corpus file (integer, packed, float, double, ASCII, ranges taken from
// the column maximum), and the hooks' contract must hold for the subset.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "cytopipe/fcs/reader.hpp"
#include "fcs_builder.hpp"
#include "support/shared_data.hpp"

namespace {

using cytopipe::fcs::Channel;
using cytopipe::fcs::DecodeHooks;
using cytopipe::fcs::ReadOptions;
using cytopipe::fcs::Sample;

// Channel positions to keep, for a file of n channels.
std::vector<std::vector<std::size_t>> subsets(std::size_t n) {
  std::vector<std::vector<std::size_t>> out;
  out.push_back({});                 // none: metadata only, events still counted
  out.push_back({0});                // the first
  out.push_back({n - 1});            // the last
  std::vector<std::size_t> odd, even;
  for (std::size_t c = 0; c < n; ++c) (c % 2 ? odd : even).push_back(c);
  out.push_back(odd);
  out.push_back(even);
  return out;
}

// `subset` (positions of `plain.channels`) must hold the same channels and values.
void expect_subset_of(const Sample& subset, const Sample& plain, const std::vector<std::size_t>& kept,
                      const std::string& label) {
  ASSERT_EQ(subset.channels.size(), kept.size()) << label;
  ASSERT_EQ(subset.event_count(), plain.event_count()) << label;
  EXPECT_EQ(subset.events.channels(), kept.size()) << label;
  EXPECT_EQ(subset.event_total, plain.event_total) << label;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const Channel& a = subset.channels[i];
    const Channel& b = plain.channels[kept[i]];
    EXPECT_EQ(a.index, b.index) << label;
    EXPECT_EQ(a.name, b.name) << label;
    EXPECT_EQ(a.range, b.range) << label << " " << b.name << ": a range taken from the column maximum too";
    EXPECT_EQ(a.linearised, b.linearised) << label;
    const auto x = subset.events.column(i);
    const auto y = plain.events.column(kept[i]);
    for (std::size_t e = 0; e < y.size(); ++e)
      if (std::bit_cast<std::uint64_t>(x[e]) != std::bit_cast<std::uint64_t>(y[e])) {
        ADD_FAILURE() << label << ": " << b.name << " event " << e << " is " << x[e] << ", a full read gives " << y[e];
        return;
      }
  }
  // Notices about the kept channels are the full read's (a range notice names its own $PnR).
  for (const auto& notice : subset.notices)
    EXPECT_NE(std::find(plain.notices.begin(), plain.notices.end(), notice), plain.notices.end())
        << label << ": notice '" << notice << "' is not one of a full read's";
}

// Reads `path` keeping `kept` both ways, serial and parallel, and compares with `plain`.
template <class Read>
void check_file(const Read& read, const Sample& plain, const std::string& name) {
  for (const auto& kept : subsets(plain.channels.size())) {
    std::string label = name + " keeping {";
    for (auto c : kept) label += " " + std::to_string(c + 1);
    label += " }";
    for (bool parallel : {false, true}) {
      ReadOptions options;
      options.parallel = parallel;
      // By the hook, which also sees every kept event handed over once.
      DecodeHooks hooks;
      hooks.metadata = [&](Sample& s) {
        std::vector<Channel> channels;
        for (auto c : kept) channels.push_back(s.channels[c]);
        s.channels = std::move(channels);
      };
      Sample* target = nullptr;
      hooks.prepare = [&](Sample& s) {
        target = &s;
        EXPECT_EQ(s.events.channels(), kept.size()) << label << ": the matrix holds the kept channels only";
      };
      std::mutex mutex;
      std::size_t handed = 0;
      hooks.decoded = [&](std::size_t, std::size_t count) {
        ASSERT_NE(target, nullptr);
        std::lock_guard lock(mutex);
        handed += count;
      };
      const Sample by_hook = read(options, hooks);
      expect_subset_of(by_hook, plain, kept, label + (parallel ? " (hook, parallel)" : " (hook)"));
      EXPECT_EQ(handed, plain.event_count()) << label;

      // By name.
      if (kept.empty()) continue;  // an empty list means "every channel"
      options.channels.clear();
      for (auto c : kept) options.channels.push_back(plain.channels[c].name);
      std::reverse(options.channels.begin(), options.channels.end());  // order asked does not matter
      const Sample by_name = read(options, DecodeHooks{});
      expect_subset_of(by_name, plain, kept, label + (parallel ? " (names, parallel)" : " (names)"));
    }
  }
}

TEST(ChannelSelection, EveryCorpusFileDecodesTheKeptChannelsAsAFullRead) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "fcs_corpus/MANIFEST.tsv");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.parent_path())) {
    if (entry.path().extension() != ".fcs") continue;
    const auto path = entry.path();
    Sample plain;
    try {
      plain = cytopipe::fcs::read_fcs(path);
    } catch (const cytopipe::Error&) {
      continue;  // the corpus's deliberately broken files: covered by the corpus test
    }
    if (plain.channels.empty()) continue;
    ++files;
    check_file([&](const ReadOptions& o, const DecodeHooks& h) { return cytopipe::fcs::read_fcs(path, o, h); }, plain,
               path.filename().string());
  }
  EXPECT_GT(files, 20u);
}

TEST(ChannelSelection, ManyChunksRangesFromTheMaximumAndAPackedLayout) {
  // Several DATA chunks of float32 values; two channels without a valid $PnR.
  const std::size_t tot = 200003;
  auto f = cytopipe::test::basic_fcs("F", 7, tot, 32, "262144");
  f.set("$P2R", "0");  // no valid range: flowCore takes the column maximum
  f.set("$P6R", "none");
  for (std::size_t e = 0; e < tot; ++e)
    for (int c = 0; c < 7; ++c) cytopipe::test::put_f32_le(f.data, static_cast<float>(e % 7919) * (c + 1) + 0.25f);
  const auto floats = cytopipe::test::build_fcs(f);
  const auto read_floats = [&](const ReadOptions& o, const DecodeHooks& h) {
    return cytopipe::fcs::read_fcs(floats, "floats.fcs", o, h);
  };
  check_file(read_floats, read_floats({}, {}), "floats.fcs");

  // FCS 2.0 packed 10-bit integers (odd widths, values straddling bytes), several chunks.
  const std::size_t events = 150001, par = 3;
  auto p = cytopipe::test::basic_fcs("I", par, events, 10, "1000", "4,3,2,1");
  p.version = "FCS2.0";
  std::uint64_t acc = 0, word = 12345;
  int bits = 0;
  for (std::size_t i = 0; i < events * par; ++i) {
    word = word * 6364136223846793005ull + 1442695040888963407ull;
    acc = (acc << 10) | (word >> 54);
    bits += 10;
    while (bits >= 8) {
      p.data.push_back(static_cast<std::uint8_t>(acc >> (bits - 8)));
      bits -= 8;
    }
  }
  if (bits > 0) p.data.push_back(static_cast<std::uint8_t>(acc << (8 - bits)));
  const auto packed = cytopipe::test::build_fcs(p);
  const auto read_packed = [&](const ReadOptions& o, const DecodeHooks& h) {
    return cytopipe::fcs::read_fcs(packed, "packed.fcs", o, h);
  };
  check_file(read_packed, read_packed({}, {}), "packed.fcs");
}

TEST(ChannelSelection, AnUnknownNameListsTheFilesChannels) {
  auto b = cytopipe::test::basic_fcs("F", 2, 10, 32, "1024");
  for (int i = 0; i < 20; ++i) cytopipe::test::put_f32_le(b.data, 1.0f);
  const auto bytes = cytopipe::test::build_fcs(b);
  const Sample plain = cytopipe::fcs::read_fcs(bytes, "x.fcs");
  ReadOptions options;
  options.channels = {plain.channels[0].name, "CD99"};
  try {
    (void)cytopipe::fcs::read_fcs(bytes, "x.fcs", options);
    FAIL() << "expected an error";
  } catch (const cytopipe::fcs::FcsError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("x.fcs"), std::string::npos) << what;
    EXPECT_NE(what.find("'CD99'"), std::string::npos) << what;
    EXPECT_NE(what.find(plain.channels[1].name), std::string::npos) << what << ": lists what the file has";
  }
}

TEST(ChannelSelection, TheMetadataHookMayOnlyEraseChannels) {
  auto b = cytopipe::test::basic_fcs("F", 3, 10, 32, "1024");
  for (int i = 0; i < 30; ++i) cytopipe::test::put_f32_le(b.data, 2.0f);
  const auto bytes = cytopipe::test::build_fcs(b);
  DecodeHooks reorder;
  reorder.metadata = [](Sample& s) { std::swap(s.channels[0], s.channels[2]); };
  EXPECT_THROW((void)cytopipe::fcs::read_fcs(bytes, "x.fcs", {}, reorder), cytopipe::Error);
  DecodeHooks reorder_subset;
  reorder_subset.metadata = [](Sample& s) { s.channels = {s.channels[2], s.channels[0]}; };
  EXPECT_THROW((void)cytopipe::fcs::read_fcs(bytes, "x.fcs", {}, reorder_subset), cytopipe::Error);
  DecodeHooks add;
  add.metadata = [](Sample& s) {
    Channel extra = s.channels[0];
    extra.index = 9;
    s.channels.push_back(extra);
  };
  EXPECT_THROW((void)cytopipe::fcs::read_fcs(bytes, "x.fcs", {}, add), cytopipe::Error);
  // Renaming is allowed and kept.
  DecodeHooks rename;
  rename.metadata = [](Sample& s) {
    s.channels[1].name = "CD3";
    s.channels.erase(s.channels.begin());
  };
  const Sample renamed = cytopipe::fcs::read_fcs(bytes, "x.fcs", {}, rename);
  ASSERT_EQ(renamed.channels.size(), 2u);
  EXPECT_EQ(renamed.channels[0].name, "CD3");
  EXPECT_EQ(renamed.values("CD3")[0], 2.0);
}

}  // namespace
