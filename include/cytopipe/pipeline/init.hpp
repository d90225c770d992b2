#pragma once
// `cytopipe init DIR -o OUTDIR`: a first sample sheet, pipeline and gating strategy for a folder
// of FCS exports, inferred from their HEADER and TEXT only (no event is read). What it could not
// infer is left empty and listed, never guessed.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cytopipe::pipeline {

// The factors a tube name or file name states: dose with its unit, replicate, role, and the other
// words (cell line, effector) as they recur over the folder.
struct NameFactors {
  std::optional<double> dose_nM;   // 30nM, 0.1 µM (-> 100), 5 pM ...
  std::string replicate;           // R2, rep2, replicate 2, a trailing _2
  std::string role;                // isotype, FMO, unstained, NT, target-only, beads (empty: none named)
  std::string effector;            // CAR-T, NK, PBMC, ... (a word naming effector cells)
  std::vector<std::string> words;  // the rest, in order
};
NameFactors parse_sample_name(std::string_view name);

struct InitResult {
  std::size_t files = 0;
  std::vector<std::string> found;      // what the headers say (printed)
  std::vector<std::string> to_decide;  // what the user must check or decide (printed)
  std::string samples_csv, pipeline_yaml, gating_yaml;  // the three files' text
};

// Reads every *.fcs / *.lmd under `folder` (recursively; HEADER + TEXT only) and infers the
// three files for `out_dir` (paths in them are relative to out_dir). Errors name the file.
InitResult infer_experiment(const std::filesystem::path& folder, const std::filesystem::path& out_dir);

}  // namespace cytopipe::pipeline
