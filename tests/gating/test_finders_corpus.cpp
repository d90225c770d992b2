// The cells and singlets finders on the real files of ../shared/fcs_corpus/ (MANIFEST.tsv) that
// have scatter channels: each runs without error and keeps a plausible fraction of its parent
// (cells: 10-100 % of all events, singlets: 50-100 % of the cells). The fractions are printed.
// Some corpus files carry scatter at noise level (Fortessa, MACSQuant: FSC-A around zero, a height
// baseline): the singlets finder's diagonal has an intercept for them.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/io.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe;

std::optional<std::string> channel_named(const fcs::Sample& s, std::initializer_list<const char*> names) {
  for (const char* n : names)
    for (const auto& c : s.channels)
      if (c.name == n) return c.name;
  return std::nullopt;
}

TEST(FinderCorpus, CellsAndSingletsRunOnEveryRealFileWithScatter) {
  CYTOPIPE_SHARED_OR_SKIP(manifest, "fcs_corpus/MANIFEST.tsv");
  std::ifstream in(manifest);
  std::string line;
  std::getline(in, line);
  std::size_t tried = 0;
  while (std::getline(in, line)) {
    const std::string file = line.substr(0, line.find('\t'));
    fcs::Sample sample;
    try {
      sample = fcs::read_fcs(manifest.parent_path() / file);
    } catch (const Error&) {
      continue;  // a file the reader refuses (the corpus keeps some on purpose): no events to gate
    }
    const auto fsc_a = channel_named(sample, {"FSC-A", "FSC", "FSC-H", "FS", "FS Lin", "FS INT"});
    const auto ssc_a = channel_named(sample, {"SSC-A", "SSC", "SSC-H", "SS", "SS Lin", "SS INT"});
    if (!fsc_a || !ssc_a || sample.event_count() < 200) continue;
    const auto fsc_h = channel_named(sample, {"FSC-H"});
    std::string yaml = "gates:\n  - id: cells\n    find: cells\n    dimensions: [\"" + *fsc_a + "\", \"" + *ssc_a + "\"]\n";
    const bool singlets = fsc_h && *fsc_h != *fsc_a;
    if (singlets)
      yaml += "  - id: singlets\n    parent: cells\n    find: singlets\n    dimensions: [\"" + *fsc_a + "\", \"" + *fsc_h + "\"]\n";
    ++tried;
    try {
      const auto placed = gating::place_gates(gating::parse_strategy_yaml(yaml, file), sample);
      const double cells = placed.reports.at(0).fraction;
      std::printf("[corpus] %-48s %7zu events  cells %.3f", file.c_str(), sample.event_count(), cells);
      EXPECT_GT(cells, 0.10) << file;
      EXPECT_LE(cells, 1.0) << file;
      if (singlets) {
        const double s = placed.reports.at(1).fraction;
        std::printf("  singlets %.3f (height = %.4g + %.4g x area)", s, placed.reports.at(1).intercept,
                    placed.reports.at(1).slope);
        EXPECT_GT(s, 0.5) << file;
      }
      std::printf("\n");
    } catch (const Error& e) {
      ADD_FAILURE() << file << ": " << e.what();
    }
  }
  EXPECT_GE(tried, 5u) << "fewer corpus files with scatter channels than expected";
}

}  // namespace
