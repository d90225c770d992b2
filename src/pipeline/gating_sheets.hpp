#pragma once
// The report's gating section: which files get a gating sheet (a representative of each group,
// and files whose populations are outliers of their group), and the sheets themselves.
#include <string>
#include <vector>

#include "cytopipe/plot/figure.hpp"
#include "pipeline/analyse.hpp"

namespace cytopipe::pipeline::detail {

struct SheetChoice {
  std::size_t sample = 0;             // index into the run's samples
  std::string why;                    // "representative of cell_line MM1S, dose_nM 0", "outlier: ..."
};

// Representatives: per analysis, the first analysed file (by name) of each stratum x group; then
// any analysed file of such a group (>= 3 files) with a population whose % of parent is more than
// max(10 points, 3 robust SDs (1.4826 MAD)) from the group's median.
std::vector<SheetChoice> choose_sheet_samples(const Config& config, const SampleSet& samples,
                                              const std::vector<SampleOutcome>& outcomes);

// The files choose_sheet_samples will most likely pick, known before any is analysed: per
// analysis, the first file (by name) of each stratum x group. A whole run lays their sheets out
// while it holds their events; a file chosen otherwise is read again.
std::vector<bool> likely_sheet_samples(const Config& config, const SampleSet& samples);

struct SheetFigure {
  std::string sample;
  std::string why;
  plot::Figure figure;
};

// How the report draws a file's gating sheet (4 columns of 120 pt panels, 96 bins, at most
// 30,000 events per panel, unscaled dimensions on the config's transforms), titled `name`.
GatingSheetOptions report_sheet_options(const Config& config, const std::string& name);

// Each chosen file's sheet: the one its shard laid out (plan.stored_sheet), else the file read
// and gated again (with its own threshold gates, its acquisition QC applied as in the run);
// a file that fails is listed in `summary` and left out.
std::vector<SheetFigure> gating_sheets(const Plan& plan, const SampleSet& samples,
                                       const std::vector<SheetChoice>& chosen, std::vector<std::string>& summary);

}  // namespace cytopipe::pipeline::detail
