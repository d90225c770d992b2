#pragma once
// The output tables of a run, each written atomically. Tables hold no timestamps, so an unchanged
// config over unchanged files gives byte-identical tables.
#include <filesystem>
#include <string>
#include <vector>

#include "cytopipe/stats/analysis.hpp"
#include "pipeline/analyse.hpp"
#include "pipeline/input_hashes.hpp"

namespace cytopipe::pipeline::detail {

// Shortest exact-enough text: integers without decimals, others with 10 significant digits,
// NaN as an empty cell.
std::string format_number(double value);
// The value as readouts.csv holds it (format_number's 10 significant digits). The statistics use
// it, so stats.csv is what `cytopipe stats readouts.csv` computes from the published table.
double as_published(double value);
std::string csv_field(const std::string& text);

void write_populations(const std::filesystem::path& file, const SampleSet& samples,
                       const std::vector<SampleOutcome>& outcomes);
void write_readouts(const std::filesystem::path& file, const Config& config, const SampleSet& samples,
                    const std::vector<ReadoutRow>& rows);
void write_formulas(const std::filesystem::path& file, const Config& config, const Plan& plan);
void write_failures(const std::filesystem::path& file, const std::vector<Failure>& failures);
void write_gates_resolved(const std::filesystem::path& file, const Config& config,
                          const gating::GatingStrategy& strategy,
                          const std::vector<ResolvedThreshold>& thresholds, const SampleSet& samples,
                          const std::vector<SampleOutcome>& outcomes);

struct Timings {
  double resolve = 0, thresholds = 0, samples = 0, readouts = 0, outputs = 0, total = 0;
};
// `started_unix_ns`: when the run started (wall clock), against which the next run judges
// whether a file's recorded identity is settled (see PreviousHashes).
void write_run_json(const std::filesystem::path& file, const Config& config, const RunResult& result,
                    const Timings& timings, const std::vector<InputHash>& input_hashes,
                    std::int64_t started_unix_ns);

// The dose-response analyses (stats.csv), their plots and the HTML report. Returns the files
// written (relative to `dir`) and appends console summary lines to `summary`.
std::vector<std::string> write_analyses(const std::filesystem::path& dir, const Config& config,
                                        const Plan& plan, const RunResult& result,
                                        const std::vector<SampleOutcome>& outcomes,
                                        std::vector<std::string>& summary);

}  // namespace cytopipe::pipeline::detail
