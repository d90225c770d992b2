#pragma once
// Turning the `inputs` section into the list of samples to analyse, each with its factors
// (from the sample sheet, FCS keywords and the file name), in a stable order (by file name).
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cytopipe/pipeline/config.hpp"

namespace cytopipe::pipeline {

struct SampleEntry {
  std::filesystem::path path;  // the FCS file
  std::string name;            // file name, the sample's key in every output table
  std::vector<std::pair<std::string, std::string>> factors;  // in SampleSet::factor_names order

  // The factor's value, or nullopt when the sample has no such factor (empty counts as a value).
  std::optional<std::string_view> factor(std::string_view factor_name) const;
  bool matches(const Selector& selector) const;
};

struct SampleSet {
  std::vector<std::string> factor_names;  // sheet columns (but the key), then keyword/file-name factors
  std::vector<SampleEntry> samples;
  std::vector<std::string> notices;       // file names that do not match inputs.filename...
  std::vector<std::string> warnings;      // unmatched sheet rows and files under `unmatched: warn`
};

// A CSV (comma) or TSV (tab, by extension .tsv/.tab or a header with tabs) sample sheet.
struct SampleSheet {
  std::string source;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  // 1-based line of each row, for messages
};
SampleSheet read_sample_sheet(const std::filesystem::path& file);

// Finds the files, joins the sheet and extracts factors. Reads FCS TEXT segments only when
// `inputs.keywords` asks for keywords. Errors (with the YAML location) for no file matched, a
// sample lacking a required factor, or a sheet missing its key column.
SampleSet resolve_samples(const Config& config);
// The same, collecting every problem that still leaves a sample list (unmatched rows and files,
// unknown factors, empty required factors) in `errors`, for validate's one pass; throws only
// when there is no list at all (no file, an unreadable sheet).
SampleSet resolve_samples(const Config& config, std::vector<Error>& errors);

}  // namespace cytopipe::pipeline
