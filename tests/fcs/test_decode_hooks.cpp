// DecodeHooks: `prepare` sees final metadata before any event; `decoded` hands over every event
// exactly once, in whole 64-event words, with its final value at the time of the call. Checked
// on every corpus file (all layouts, ASCII, ranges taken from the column maximum) and on a file
// of many chunks, serial and parallel, against a plain read.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "cytopipe/fcs/reader.hpp"
#include "fcs_builder.hpp"
#include "support/shared_data.hpp"

namespace {

using cytopipe::fcs::DecodeHooks;
using cytopipe::fcs::ReadOptions;
using cytopipe::fcs::Sample;

// Reads `read` twice (plain, and with hooks that copy each run as it is handed over) and checks
// the hooks' contract.
template <class Read>
void check_hooks(const Read& read, const std::string& what) {
  for (bool parallel : {false, true}) {
    ReadOptions options;
    options.parallel = parallel;
    const Sample plain = read(options, DecodeHooks{});
    const std::string label = what + (parallel ? " parallel" : " serial");

    std::mutex mutex;
    int prepared = 0;
    Sample* target = nullptr;
    std::vector<std::vector<double>> seen;  // [channel][event], as handed over
    std::vector<std::uint8_t> times;        // how often each event was handed over
    std::atomic<bool> bad_run{false}, before_prepare{false};
    DecodeHooks hooks;
    hooks.prepare = [&](Sample& s) {
      ++prepared;
      target = &s;
      EXPECT_EQ(s.channels.size(), plain.channels.size()) << label;
      EXPECT_EQ(s.events.events(), plain.event_count()) << label;
      EXPECT_EQ(s.spillover.has_value(), plain.spillover.has_value()) << label << ": spillover known before events";
      seen.assign(s.channels.size(), std::vector<double>(s.events.events()));
      times.assign(s.events.events(), 0);
    };
    hooks.decoded = [&](std::size_t first, std::size_t count) {
      if (!target) {
        before_prepare = true;
        return;
      }
      const std::size_t n = target->events.events();
      if (first % 64 != 0 || (count % 64 != 0 && first + count != n) || first + count > n) bad_run = true;
      for (std::size_t c = 0; c < seen.size(); ++c) {
        const auto column = target->events.column(c);
        std::memcpy(seen[c].data() + first, column.data() + first, count * sizeof(double));
      }
      std::lock_guard lock(mutex);
      for (std::size_t e = first; e < first + count && e < n; ++e) ++times[e];
    };
    const Sample hooked = read(options, hooks);
    EXPECT_EQ(prepared, 1) << label;
    EXPECT_FALSE(before_prepare) << label;
    EXPECT_FALSE(bad_run) << label << ": runs must be whole 64-event words";
    EXPECT_TRUE(std::all_of(times.begin(), times.end(), [](std::uint8_t t) { return t == 1; }))
        << label << ": every event exactly once";
    for (std::size_t c = 0; c < seen.size(); ++c) {
      const auto column = plain.events.column(c);
      for (std::size_t e = 0; e < column.size(); ++e)
        if (std::bit_cast<std::uint64_t>(seen[c][e]) != std::bit_cast<std::uint64_t>(column[e])) {
          ADD_FAILURE() << label << ": channel " << c + 1 << " event " << e << " handed over as " << seen[c][e]
                        << ", final value " << column[e];
          return;
        }
    }
  }
}

TEST(DecodeHooks, EveryCorpusFileHandsOverEachEventOnceWithItsFinalValue) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "fcs_corpus/MANIFEST.tsv");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.parent_path())) {
    if (entry.path().extension() != ".fcs") continue;
    const auto path = entry.path();
    try {
      (void)cytopipe::fcs::read_fcs(path);
    } catch (const cytopipe::Error&) {
      continue;  // the corpus's deliberately broken files: covered by the corpus test
    }
    ++files;
    check_hooks([&](const ReadOptions& o, const DecodeHooks& h) { return cytopipe::fcs::read_fcs(path, o, h); },
                path.filename().string());
  }
  EXPECT_GT(files, 20u);  // the readable corpus files (35 when written)
}

TEST(DecodeHooks, ManyChunksFromMemoryAndFile) {
  // 300,007 events x 9 float32 channels: several DATA chunks and a partial last word.
  const std::size_t tot = 300007;
  auto b = cytopipe::test::basic_fcs("F", 9, tot, 32, "262144");
  for (std::size_t e = 0; e < tot; ++e)
    for (int c = 0; c < 9; ++c) cytopipe::test::put_f32_le(b.data, static_cast<float>(e % 9973) * (c + 1) + 0.5f);
  const auto bytes = cytopipe::test::build_fcs(b);
  check_hooks([&](const ReadOptions& o, const DecodeHooks& h) { return cytopipe::fcs::read_fcs(bytes, "chunks.fcs", o, h); },
              "chunks.fcs");
}

TEST(DecodeHooks, AnExceptionFromAHookEndsTheRead) {
  auto b = cytopipe::test::basic_fcs("F", 2, 1000, 32, "1024");
  for (int i = 0; i < 2000; ++i) cytopipe::test::put_f32_le(b.data, 1.0f);
  const auto bytes = cytopipe::test::build_fcs(b);
  DecodeHooks hooks;
  hooks.decoded = [](std::size_t, std::size_t) { throw cytopipe::Error("stop here"); };
  EXPECT_THROW(cytopipe::fcs::read_fcs(bytes, "x.fcs", {}, hooks), cytopipe::Error);
  DecodeHooks early;
  early.prepare = [](Sample&) { throw cytopipe::Error("not this file"); };
  EXPECT_THROW(cytopipe::fcs::read_fcs(bytes, "x.fcs", {}, early), cytopipe::Error);
}

}  // namespace
