// count_populations (gating block by block while decoding) against the Gating-ML 2.0 reference
// counts and against gate_sample on the whole sample, for every reference (XML, FCS) pair, with
// blocks of one word, of an odd number of words and the CLI's size; gate_in_blocks (a sample in
// memory gated in blocks) against gate_sample's memberships, event for event.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <tbb/parallel_for.h>

#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/block_counts.hpp"
#include "cytopipe/gating/block_statistics.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/io.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::string f;
  std::istringstream in(line);
  while (std::getline(in, f, '\t')) out.push_back(f);
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(BlockCounts, GatingMlReferenceCountsAndGateSampleBlockByBlock) {
  CYTOPIPE_SHARED_OR_SKIP(table, "gatingml_ref/EXPECTED_COUNTS.tsv");
  // (xml, fcs) -> gate id -> reference count (gate ids only: complements are set 5's extras).
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::size_t>> expected;
  {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      const auto f = fields(line);
      if (f.size() < 8 || f[4].rfind("complement of ", 0) == 0) continue;
      std::istringstream xmls(f[1]);
      std::string xml;
      while (std::getline(xmls, xml, ';'))
        if (!xml.empty()) expected[{xml, f[2]}][f[3]] = std::stoul(f[7]);
    }
  }
  ASSERT_GT(expected.size(), 5u);
  std::size_t compared = 0;
  for (const auto& [pair, counts] : expected) {
    const fs::path xml = cytopipe::test::shared_dir() / "gatingml_ref" / pair.first;
    const fs::path fcs = cytopipe::test::shared_dir() / "gatingml_ref" / pair.second;
    SCOPED_TRACE(pair.first + " on " + pair.second);
    const auto strategy = cytopipe::gating::parse_gatingml(slurp(xml), xml.string());
    cytopipe::fcs::ReadOptions options;
    options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
    const auto whole = cytopipe::gating::gate_sample(strategy, cytopipe::fcs::read_fcs(fcs, options));
    const cytopipe::fcs::EventBlocks blocks(fcs, options);
    ASSERT_TRUE(cytopipe::gating::counts_block_by_block(strategy, blocks));
    for (std::size_t block : {std::size_t{64}, std::size_t{64 * 37}, cytopipe::gating::kGateBlockEvents, std::size_t{65536}})
      for (bool parallel : {false, true}) {
        const auto c = cytopipe::gating::count_populations(strategy, blocks, parallel, block);
        EXPECT_EQ(c.events, whole.events());
        ASSERT_EQ(c.populations.size(), whole.populations().size());
        for (std::size_t p = 0; p < c.populations.size(); ++p) {
          const auto& ours = c.populations[p];
          const auto& ref = whole.populations()[p];
          EXPECT_EQ(ours.name, ref.name);
          EXPECT_EQ(ours.path, ref.path);
          EXPECT_EQ(ours.count, ref.count) << ours.name << " in blocks of " << block;
          EXPECT_EQ(c.parent_count(ours), whole.parent_count(ref.name)) << ours.name;
          if (auto it = counts.find(ours.name); it != counts.end()) {
            EXPECT_EQ(ours.count, it->second) << ours.name << ": the reference count";
            ++compared;
          }
        }
      }
  }
  EXPECT_GT(compared, 100u);
}

// Each Gating-ML reference strategy (gates1-5) over each reference file, read with flowCore's
// values: `gated(strategy, file, options, sample, whole)` for the pairs gate_sample gates (whole:
// its results), `refused(strategy, sample, error)` for the others (a set made for another file).
template <typename Gated, typename Refused>
void for_each_reference_pair(const fs::path& dir, Gated gated, Refused refused) {
  for (int set = 1; set <= 5; ++set)
    for (const char* file : {"data1.fcs", "data2.fcs", "9399_1_3_NKR.fcs"}) {
      const fs::path xml = dir / "Gating-MLFiles" / ("gates" + std::to_string(set) + ".xml");
      const fs::path fcs = dir / "FCSFiles" / file;
      if (!fs::exists(xml) || !fs::exists(fcs)) continue;
      SCOPED_TRACE(xml.filename().string() + " on " + file);
      const auto strategy = cytopipe::gating::parse_gatingml(slurp(xml), xml.string());
      cytopipe::fcs::ReadOptions options;
      options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
      const auto sample = cytopipe::fcs::read_fcs(fcs, options);
      cytopipe::gating::GatingResults whole;
      try {
        whole = cytopipe::gating::gate_sample(strategy, sample);
      } catch (const cytopipe::Error& e) {
        refused(strategy, sample, e);
        continue;
      }
      gated(strategy, fcs, options, sample, whole);
    }
}

// BlockGating (gate_in_blocks' work run by run, as `gate --stats` gates each run of events in
// the reader's decoded hook): fed by read_fcs' own hooks, and by hand with runs of odd lengths
// given in reverse order from several threads, its memberships and counts are gate_sample's on
// every Gating-ML reference pair; a strategy for another file raises gate_sample's error when
// made, before any event is gated.
TEST(BlockCounts, GatedRunByRunAsDecodedHasGateSampleMemberships) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/gatingMLData");
  using cytopipe::gating::BlockGating;
  std::size_t compared = 0, refused = 0;
  const auto gated = [&](const cytopipe::gating::GatingStrategy& strategy, const fs::path& fcs,
                         const cytopipe::fcs::ReadOptions& options, const cytopipe::fcs::Sample& sample,
                         const cytopipe::gating::GatingResults& whole) {
    const auto same = [&](const cytopipe::gating::GatingResults& b, const std::string& how) {
      EXPECT_EQ(b.events(), whole.events()) << how;
      ASSERT_EQ(b.populations().size(), whole.populations().size()) << how;
      for (std::size_t p = 0; p < b.populations().size(); ++p) {
        EXPECT_EQ(b.populations()[p].path, whole.populations()[p].path) << how;
        EXPECT_EQ(b.populations()[p].count, whole.populations()[p].count) << b.populations()[p].name << ", " << how;
        EXPECT_TRUE(b.populations()[p].members == whole.populations()[p].members) << b.populations()[p].name << ", " << how;
        ++compared;
      }
    };
    // The reader's hooks, as gate --stats uses them.
    std::optional<BlockGating> hooked;
    cytopipe::fcs::DecodeHooks hooks;
    hooks.prepare = [&](cytopipe::fcs::Sample& s) { hooked.emplace(strategy, s, 128); };
    hooks.decoded = [&](std::size_t first, std::size_t count) { hooked->gate(first, count); };
    const auto again = cytopipe::fcs::read_fcs(fcs, options, hooks);
    ASSERT_TRUE(hooked.has_value());
    same(std::move(*hooked).finish(), "in the reader's hooks");
    // By hand: runs of 3 words (the last partial), last run first, on TBB's threads.
    BlockGating by_hand(strategy, sample, 64);
    const std::size_t n = sample.event_count(), run = 3 * 64, runs = (n + run - 1) / run;
    tbb::parallel_for(std::size_t{0}, runs, [&](std::size_t r) {
      const std::size_t first = (runs - 1 - r) * run;
      by_hand.gate(first, std::min(run, n - first));
    });
    same(std::move(by_hand).finish(), "by hand");
  };
  for_each_reference_pair(dir, gated, [&](const auto& strategy, const auto& sample, const cytopipe::Error& e) {
    try {
      BlockGating refusing(strategy, sample);
      ADD_FAILURE() << "gate_sample refused it: " << e.what();
    } catch (const cytopipe::Error& f) {
      EXPECT_STREQ(f.what(), e.what());
      ++refused;
    }
  });
  EXPECT_GT(compared, 100u);
  EXPECT_GT(refused, 0u);
}

TEST(BlockCounts, GateInBlocksHasGateSampleMemberships) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/gatingMLData");
  std::size_t compared = 0;
  const auto gated = [&](const cytopipe::gating::GatingStrategy& strategy, const fs::path&,
                         const cytopipe::fcs::ReadOptions&, const cytopipe::fcs::Sample& sample,
                         const cytopipe::gating::GatingResults& whole) {
    // One word, an odd number of words (the last block partial), the default (one block for
    // the smaller files: gate_sample itself).
    for (std::size_t block : {std::size_t{64}, std::size_t{64 * 37}, cytopipe::gating::kGateBlockEvents, std::size_t{65536}}) {
      const auto b = cytopipe::gating::gate_in_blocks(strategy, sample, block);
      EXPECT_EQ(b.events(), whole.events());
      ASSERT_EQ(b.populations().size(), whole.populations().size());
      for (std::size_t p = 0; p < b.populations().size(); ++p) {
        const auto& ours = b.populations()[p];
        const auto& ref = whole.populations()[p];
        EXPECT_EQ(ours.name, ref.name);
        EXPECT_EQ(ours.parent, ref.parent);
        EXPECT_EQ(ours.path, ref.path);
        EXPECT_EQ(ours.count, ref.count) << ours.name << " in blocks of " << block;
        EXPECT_TRUE(ours.members == ref.members) << ours.name << " in blocks of " << block;
        ++compared;
      }
    }
  };
  // A set for another file: the same error, in blocks too.
  for_each_reference_pair(dir, gated, [](const auto& strategy, const auto& sample, const cytopipe::Error& e) {
    for (std::size_t block : {std::size_t{64}, std::size_t{65536}}) {
      try {
        (void)cytopipe::gating::gate_in_blocks(strategy, sample, block);
        ADD_FAILURE() << "gate_sample refused it: " << e.what();
      } catch (const cytopipe::Error& f) {
        EXPECT_STREQ(f.what(), e.what());
      }
    }
  });
  EXPECT_GT(compared, 100u);
}

// gate_blocks_keeping (gate --stats without --events): its memberships are gate_sample's on every
// Gating-ML reference pair, in blocks of an odd number of words and the CLI's; the kept channels
// hold read_fcs' values to the bit, as float32 where exact_in_float (the 10-bit integer channels
// of data1/data2, NKR's float channels) and as doubles elsewhere (NKR's Time, divided by its
// gain); a strategy for another file raises gate_sample's error, and a channel past the file's is
// refused.
TEST(BlockCounts, GatedKeepingChannelsHasGateSampleMembershipsAndReadFcsValues) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/gatingMLData");
  std::size_t compared = 0, as_float = 0, as_double = 0, refused = 0;
  const auto gated = [&](const cytopipe::gating::GatingStrategy& strategy, const fs::path& fcs,
                         const cytopipe::fcs::ReadOptions& options, const cytopipe::fcs::Sample& sample,
                         const cytopipe::gating::GatingResults& whole) {
    const cytopipe::fcs::EventBlocks blocks(fcs, options);
    // Every channel, last first (keep's order is the kept columns' order).
    std::vector<std::size_t> keep(sample.channels.size());
    for (std::size_t j = 0; j < keep.size(); ++j) keep[j] = keep.size() - 1 - j;
    for (std::size_t block : {std::size_t{64 * 37}, cytopipe::gating::kGateBlockEvents}) {
      SCOPED_TRACE("blocks of " + std::to_string(block));
      const auto g = cytopipe::gating::gate_blocks_keeping(strategy, blocks, keep, block);
      EXPECT_EQ(g.results.events(), whole.events());
      ASSERT_EQ(g.results.populations().size(), whole.populations().size());
      for (std::size_t p = 0; p < whole.populations().size(); ++p) {
        EXPECT_EQ(g.results.populations()[p].path, whole.populations()[p].path);
        EXPECT_EQ(g.results.populations()[p].count, whole.populations()[p].count) << whole.populations()[p].name;
        EXPECT_TRUE(g.results.populations()[p].members == whole.populations()[p].members) << whole.populations()[p].name;
        ++compared;
      }
      ASSERT_EQ(g.kept.channels(), keep.size());
      for (std::size_t j = 0; j < keep.size(); ++j) {
        const auto want = sample.events.column(keep[j]);
        const auto v = g.kept.values(j);
        ASSERT_EQ(v.size(), want.size()) << sample.channels[keep[j]].name;
        EXPECT_EQ(!v.floats.empty(), blocks.exact_in_float(keep[j])) << sample.channels[keep[j]].name;
        std::size_t differ = 0;
        for (std::size_t e = 0; e < want.size(); ++e) {
          const double x = v.floats.empty() ? v.doubles[e] : static_cast<double>(v.floats[e]);
          differ += std::bit_cast<std::uint64_t>(x) != std::bit_cast<std::uint64_t>(want[e]);
        }
        EXPECT_EQ(differ, 0u) << sample.channels[keep[j]].name;
        (v.floats.empty() ? as_double : as_float) += 1;
      }
    }
    std::vector<std::size_t> past = {sample.channels.size()};
    EXPECT_THROW(cytopipe::gating::gate_blocks_keeping(strategy, blocks, past), cytopipe::Error);
  };
  for_each_reference_pair(dir, gated, [&](const auto& strategy, const auto& sample, const cytopipe::Error& e) {
    try {
      const cytopipe::fcs::EventBlocks blocks(sample.source, [] {
        cytopipe::fcs::ReadOptions options;
        options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
        return options;
      }());
      (void)cytopipe::gating::gate_blocks_keeping(strategy, blocks, std::vector<std::size_t>{0});
      ADD_FAILURE() << "gate_sample refused it: " << e.what();
    } catch (const cytopipe::Error& f) {
      EXPECT_STREQ(f.what(), e.what());
      ++refused;
    }
  });
  EXPECT_GT(compared, 100u);
  EXPECT_GT(as_float, 10u);
  EXPECT_GT(as_double, 0u);
  EXPECT_GT(refused, 0u);
}

// Every reference strategy on every reference file, those written for another file included
// (channels the file lacks, a compensation's detectors missing): count_populations, which decodes
// only the channels the gates read, refuses what gate_sample refuses with the same message, and
// counts the rest as gate_sample does.
TEST(BlockCounts, ErrorsAndCountsOfEveryStrategyOnEveryFileAreGateSamples) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/gatingMLData");
  std::size_t refused = 0, counted = 0;
  for (const auto& x : fs::directory_iterator(dir / "Gating-MLFiles"))
    for (const char* file : {"data1.fcs", "data2.fcs", "9399_1_3_NKR.fcs"}) {
      const fs::path fcs = dir / "FCSFiles" / file;
      if (x.path().extension() != ".xml" || !fs::exists(fcs)) continue;
      SCOPED_TRACE(x.path().filename().string() + " on " + file);
      const auto strategy = cytopipe::gating::parse_gatingml(slurp(x.path()), x.path().string());
      cytopipe::fcs::ReadOptions options;
      options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
      const cytopipe::fcs::EventBlocks blocks(fcs, options);
      std::string error;
      cytopipe::gating::GatingResults whole;
      try {
        whole = cytopipe::gating::gate_sample(strategy, cytopipe::fcs::read_fcs(fcs, options));
      } catch (const cytopipe::Error& e) {
        error = e.what();
      }
      try {
        const auto c = cytopipe::gating::count_populations(strategy, blocks, true, 64 * 37);
        ASSERT_TRUE(error.empty()) << "gate_sample refused it: " << error;
        ASSERT_EQ(c.populations.size(), whole.populations().size());
        for (std::size_t p = 0; p < c.populations.size(); ++p)
          EXPECT_EQ(c.populations[p].count, whole.populations()[p].count) << c.populations[p].name;
        ++counted;
      } catch (const cytopipe::Error& e) {
        EXPECT_EQ(e.what(), error);
        ++refused;
      }
    }
  EXPECT_GT(refused, 3u);
  EXPECT_GT(counted, 3u);
}

TEST(BlockCounts, BadBlockSizeAndUncountableInputAreRefused) {
  CYTOPIPE_SHARED_OR_SKIP(xml, "gatingml_ref/gatingMLData/Gating-MLFiles/gates1.xml");
  CYTOPIPE_SHARED_OR_SKIP(fcs, "gatingml_ref/gatingMLData/FCSFiles/data1.fcs");
  const auto strategy = cytopipe::gating::parse_gatingml(slurp(xml), xml.string());
  const cytopipe::fcs::EventBlocks blocks(fcs);
  EXPECT_THROW(cytopipe::gating::count_populations(strategy, blocks, true, 100), cytopipe::Error);
  EXPECT_THROW(cytopipe::gating::count_populations(strategy, blocks, true, 0), cytopipe::Error);
  const auto sample = cytopipe::fcs::read_fcs(fcs);
  EXPECT_THROW(cytopipe::gating::gate_in_blocks(strategy, sample, 100), cytopipe::Error);
  // Made from metadata alone (no events in memory): runs come by gate_block, gate() is refused.
  cytopipe::gating::BlockGating from_metadata(strategy, blocks.metadata(), blocks.events(), 64);
  EXPECT_THROW(from_metadata.gate(0, 64), cytopipe::Error);
  EXPECT_THROW(from_metadata.gate_block(1, sample), cytopipe::Error);  // not on a word's start
}

}  // namespace
