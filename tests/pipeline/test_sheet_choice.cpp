// Which files a whole run lays gating sheets out for while it holds their events: the files the
// report then chooses (so none is read again), and a file chosen otherwise is not among them.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "cytopipe/pipeline/config.hpp"
#include "cytopipe/pipeline/samples.hpp"
#include "pipeline/gating_sheets.hpp"

namespace cytopipe::pipeline::detail {
namespace {

std::set<std::size_t> chosen_samples(const Config& config, const SampleSet& samples,
                                     const std::vector<SampleOutcome>& outcomes) {
  std::set<std::size_t> out;
  for (const auto& c : choose_sheet_samples(config, samples, outcomes)) out.insert(c.sample);
  return out;
}

std::set<std::size_t> marked(const std::vector<bool>& likely) {
  std::set<std::size_t> out;
  for (std::size_t i = 0; i < likely.size(); ++i)
    if (likely[i]) out.insert(i);
  return out;
}

TEST(SheetChoice, TheLikelySheetsAreTheRepresentativesTheReportChooses) {
  const Config config = load_config(std::filesystem::path(CYTOPIPE_SOURCE_DIR) / "pipelines" / "fig3_selinexor.yaml");
  const SampleSet samples = resolve_samples(config);
  std::vector<SampleOutcome> outcomes(samples.samples.size());
  for (auto& o : outcomes) o.analysed = true;  // no populations: no outliers, representatives only
  const auto likely = likely_sheet_samples(config, samples);
  ASSERT_EQ(likely.size(), samples.samples.size());
  const auto chosen = chosen_samples(config, samples, outcomes);
  EXPECT_EQ(chosen.size(), 24u);  // the shipped report's sheets
  EXPECT_EQ(marked(likely), chosen);

  // The first file of a group not analysed: the report takes the group's next file, which the run
  // did not lay out (it is read again); the others stay as they were.
  const std::size_t first = *chosen.begin();
  outcomes[first].analysed = false;
  const auto without = chosen_samples(config, samples, outcomes);
  EXPECT_FALSE(without.count(first));
  std::set<std::size_t> replacements;
  for (auto i : without)
    if (!likely[i]) replacements.insert(i);
  ASSERT_EQ(replacements.size(), 1u);
  for (const char* factor : {"experiment", "cell_line", "dose_nM"})
    EXPECT_EQ(samples.samples[*replacements.begin()].factor(factor), samples.samples[first].factor(factor)) << factor;
}

}  // namespace
}  // namespace cytopipe::pipeline::detail
