#pragma once
// The pipeline config (pipelines/*.yaml), as read and validated by load_config. The format is
// documented in docs/pipeline-config.md. Every element remembers where it was written so later
// stages can report problems against the YAML file, line and column.
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/pipeline/expression.hpp"
#include "cytopipe/pipeline/location.hpp"
#include "cytopipe/stats/test_kind.hpp"
#include "cytopipe/transform/acquisition_qc.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::pipeline {


// Keeps the samples whose factor values are in the listed levels (all conditions must hold).
struct Selector {
  std::vector<std::pair<std::string, std::vector<std::string>>> conditions;
  Location at;
  bool empty() const { return conditions.empty(); }
};

// A factor taken from an FCS keyword ($WELLID, TUBE NAME...).
struct KeywordFactor {
  std::string factor;
  std::string keyword;
  Location at;
};

// Factors taken from the file name by a regular expression (ECMAScript), one factor per group.
struct FilenameFactors {
  std::string pattern;
  std::vector<std::string> factors;  // capture group 1, 2, ... in order
  Location at;
};

struct InputsConfig {
  std::vector<std::string> files;           // folders or globs (* ? in the last component)
  Location files_at;
  std::optional<std::filesystem::path> sample_sheet;  // CSV or TSV
  Location sample_sheet_at;
  std::string key_column = "file";          // sheet column holding the file name
  std::vector<KeywordFactor> keywords;
  std::vector<FilenameFactors> filename;
  Selector select;                          // which samples of the sheet/folder to analyse
  std::vector<std::string> factors;         // factors every sample must have
  Location factors_at;
  // A sheet row without its file, or a file without its row: an error (a misspelled row would
  // silently shrink a group), or with `unmatched: warn` (or --allow-unmatched) a listed warning.
  bool unmatched_warn = false;
  Location unmatched_at;
};

// Marker -> channel ($PnN). `instruments` override the default mapping for files whose $CYT
// keyword equals the instrument name (case-insensitive).
struct PanelConfig {
  std::vector<std::pair<std::string, std::string>> markers;
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> instruments;
  Location at;
};

enum class CompensationSource { File, Matrix, None };
struct CompensationConfig {
  CompensationSource source = CompensationSource::File;
  std::filesystem::path matrix;  // for Matrix: CSV, header = detectors, one row per fluorochrome
  Location at;
};

struct TransformEntry {
  std::string channel;  // marker or channel name; "default" = every panel marker not listed
  std::string spec;     // as written (for messages and readouts.csv)
  transform::Transform transform;  // `spec`, parsed once when the config is read
  Location at;
};

// A positivity gate placed at a percentile of the matched control population.
struct ThresholdGate {
  std::string name;                // the new population, a child of `parent`
  std::string parent;
  std::string channel;             // marker or channel
  double percentile = 99;          // of the control's parent population; events above are positive
  Selector control;                // which samples are controls (e.g. role: isotype)
  std::vector<std::string> match;  // factors a control must share with the sample
  Selector applies_to;             // samples that get this gate (default: all)
  Location at;
};

struct GatingConfig {
  std::filesystem::path strategy;  // gating/*.yaml or Gating-ML; or the FlowJo workspace
  Location strategy_at;
  // `gating: {workspace: FILE.wsp, group: NAME}`: the strategy is the gate tree the group's
  // samples share (`strategy` then holds the workspace's path, for the run record).
  bool from_workspace = false;
  std::string group;               // empty = every sample of the workspace
  std::vector<ThresholdGate> thresholds;
};

// A read-out: a named quantity per sample.
struct ReadoutConfig {
  std::string name;
  std::string expression;          // as written, e.g. "percent(BCMA+ of live)"
  Expression parsed;               // `expression`, parsed once when the config is read
  Location expression_at;
  Selector applies_to;             // samples it is computed for (default: all)
  Selector control;                // for specific_lysis / killing: the matched control samples
  std::vector<std::string> match;  // factors the control must share
  std::string description;         // what it measures, e.g. "BCMA+ of live tumour cells"
  std::string unit;                // e.g. "%", "cells/µL"; empty = none stated
  Location at;
};

// How figures name a factor: `label` ("Selinexor") and `unit` ("nM") -> "Selinexor (nM)".
struct FactorLabel {
  std::string factor;
  std::string label;               // empty = the factor's name
  std::string unit;
  Location at;
};

// The analysis's figure: dose panels (groups as categories), or a time course (the group factor
// as a numeric time axis, a line per stratum level, its maximum (Tmax, Cmax) marked).
enum class AnalysisFigure { Dose, TimeCourse };

struct AnalysisConfig {
  std::string name;                // names the plot file; default: the read-out
  std::string readout;
  std::string group = "dose_nM";
  std::optional<std::string> stratum;
  std::optional<std::string> control_level;
  std::vector<stats::TestKind> tests;  // checked against stats::known_tests() when read
  stats::Adjustment adjustment = stats::Adjustment::holm;
  Selector select;                 // rows of readouts.csv to analyse
  std::string title;               // plot title / y axis
  AnalysisFigure figure = AnalysisFigure::Dose;
  bool error_bars_sem = false;     // dose panels: mean +/- SEM instead of mean +/- SD
  // time-course: the read-out in this factor's other levels (e.g. tissue: pleural effusion) of
  // the same strata, drawn as open points though `where` leaves them out of the analysis.
  std::optional<std::string> also_show;
  Location at;
};

struct OutputsConfig {
  std::filesystem::path directory;   // empty: results/<name> under the current directory
  Location directory_at;
  std::vector<std::string> statistics = {"count", "percent_parent", "percent_total", "median"};
  std::vector<std::string> channels;  // markers/channels for per-channel statistics; empty = panel
  bool plots = true;
  std::vector<std::string> plot_formats = {"svg"};  // plots/<analysis>.svg|pdf|png (PNG at 300 dpi)
  bool report = true;
  std::vector<std::pair<double, std::string>> significance;  // thresholds; empty = default
};

// Acquisition QC (the `qc:` section): every file's Time channel checked for flow-rate and signal
// stability (transform::check_acquisition); with `remove`, the events of flagged bins are taken
// out before gating. The section's presence adds the QC columns to readouts.csv.
struct QcConfig {
  bool present = false;              // the config has a qc: section
  bool enabled = true;               // qc.enabled (default true when the section is there)
  bool remove = true;                // remove the events of flagged bins before gating
  transform::QcOptions options;      // channels: markers or channels; empty = the panel's markers
  Location at;
};

// Read-outs whose denominator population holds fewer events than this are named per file in the
// run summary, the report and failures.csv (stage low_count); their value is still given.
inline constexpr std::size_t kDefaultMinEvents = 50;

struct Config {
  std::filesystem::path file;       // the YAML file
  std::filesystem::path base_dir;   // relative paths in the config are relative to this
  std::string name;
  std::string description;
  std::string text;                 // the file's bytes (for the config hash)
  InputsConfig inputs;
  PanelConfig panel;
  CompensationConfig compensation;
  std::vector<TransformEntry> transforms;
  GatingConfig gating;
  std::vector<ReadoutConfig> readouts;
  std::vector<FactorLabel> factor_labels;  // the `factors:` section (labels of figures only)
  std::vector<AnalysisConfig> analyses;
  OutputsConfig outputs;
  QcConfig qc;
  std::size_t min_events = kDefaultMinEvents;

  std::filesystem::path resolve(const std::filesystem::path& p) const {
    return p.is_absolute() ? p : base_dir / p;
  }
};

// The transforms: entry that applies to a marker or channel: its own entry, else (for a panel
// marker) the entry of its default-panel channel, else `default` (panel markers only); nullptr
// when none applies.
const TransformEntry* transform_for(const Config& config, std::string_view channel);

// Axis titles of figures: the read-out's description with its unit ("BCMA+ of live tumour cells
// (%)"), the factor's label with its unit ("Selinexor (nM)"); the bare name where none is given.
std::string readout_title(const Config& config, std::string_view readout);
std::string factor_title(const Config& config, std::string_view factor);
// A marker with the default panel's detector ("BCMA (PE-A)"), as cytometry packages title a
// fluorescence axis; a channel the panel does not name stays as it is.
std::string channel_title(const Config& config, std::string_view channel);

// Reads and checks the config without touching any FCS file: unknown keys (with the closest
// known key), wrong types, missing files, malformed read-out expressions and references to
// undefined read-outs. Throws one Error listing every problem found, each with file:line:column.
Config load_config(const std::filesystem::path& file);
Config parse_config(const std::string& text, const std::filesystem::path& file);

}  // namespace cytopipe::pipeline
