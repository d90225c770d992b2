#pragma once
// What the runner does with one file: gate it with the strategy (plus the threshold gates of its
// group) and compute the statistics the read-outs and populations.csv need.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/gating_set.hpp"
#include "cytopipe/gating/population_table.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/pipeline/gating_sheet.hpp"
#include "cytopipe/pipeline/readout.hpp"
#include "cytopipe/pipeline/run.hpp"
#include "cytopipe/transform/acquisition_qc.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::pipeline::detail {

// A gating sheet laid out where its file was analysed (a shard), for the merge's report: its
// layout without the notes only the merge knows, or why it could not be drawn.
struct StoredSheet {
  std::optional<GatingSheetLayout> layout;
  std::string problem;
};

// The finder gates placed on a control file when its threshold values were measured, and what
// each finder saw: its own analysis gates with them instead of placing them again.
struct PlacedFinders {
  std::vector<std::pair<std::string, gating::Gate>> gates;  // finder gate id -> the gate placed
  std::vector<gating::FinderReport> reports;                // in the order placed
};

struct Plan {
  const Config* config = nullptr;
  gating::GatingStrategy strategy;          // as loaded (no threshold gates)
  std::optional<transform::Compensation> matrix;
  std::vector<Expression> readouts;         // parsed, in config order
  // Channel statistics per population the read-outs need.
  std::map<std::string, std::set<std::pair<std::string, Statistic>>> needed;
  // Statistics on a transformed scale: statistic_channel ("scaled(BCMA)") -> channel and scale.
  struct Scale {
    std::string channel;
    transform::Transform transform;
  };
  std::map<std::string, Scale> scales;
  std::vector<std::string> table_channels;  // populations.csv per-channel statistics ...
  std::vector<Statistic> table_statistics;  // ... for every population
  bool table_count = true, table_percent_parent = true, table_percent_total = true;
  // Resolved thresholds: gate index -> group key (match levels joined) -> threshold.
  std::vector<std::map<std::string, ResolvedThreshold>> thresholds;
  // The strategy over every sample, with each sample's threshold gates (set by
  // plan_sample_gates), and per sample the threshold gates it could not get (no control).
  gating::GatingSet gating_set;
  std::vector<std::vector<Failure>> missing_thresholds;
  // Pooled finders (place_pooled_finders): per sample index, the gates placed on its groups'
  // pooled events and what those finders saw; or why a group has none.
  struct PooledGate {
    std::string id;
    gating::Gate gate;
    gating::FinderReport report;
  };
  struct SamplePooled {
    std::vector<PooledGate> gates;
    std::string problem;  // non-empty: a pooled gate of this sample's group could not be placed
  };
  std::vector<SamplePooled> pooled;  // empty: the strategy has no pooled finders
  // Per sample index: the finders placed on it as a control (resolve_thresholds), if any.
  std::vector<std::optional<PlacedFinders>> placed_on_controls;
  // With --frozen-gates: each file's strategy as placed by the earlier run (by file name).
  std::map<std::string, gating::GatingStrategy> frozen;
  bool frozen_run = false;
  // Decode and gate each file with parallel tasks too. Off when as many files are in flight as
  // there are threads: every core already has a file, and splitting each file's work only adds
  // task overhead and interleaves two files' data in the caches.
  bool parallel_within_file = true;

  // The report's histograms: per analysis, the marker a read-out is about (its channel and
  // population) in one representative sample per stratum and group (the first by file name).
  struct Histogram {
    std::size_t analysis = 0;
    std::string population;
    std::string channel;
    std::map<std::pair<std::string, std::string>, std::string> samples;  // (stratum, group) -> file
  };
  std::vector<Histogram> histograms;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> keep;  // file -> (population, channel)

  // The report's gating sheets in a sharded run. A shard lays out the sheet of each sample marked
  // here (every file the report could choose) from the events and gates it has in hand; the
  // merge gets them back through stored_sheet (empty, or nullopt for a sample: the file is read
  // again, as in a whole run).
  std::vector<bool> draw_sheet;
  std::function<std::optional<StoredSheet>(std::size_t sample)> stored_sheet;
};

Plan make_plan(const Config& config, gating::GatingStrategy strategy);

// The strategy sample `index` (file `name`) is gated with: its frozen one when the run is
// frozen (an Error when the frozen file has none for it), else the shared one plus its own gates.
gating::GatingStrategy sample_strategy(const Plan& plan, std::size_t index, const std::string& name);

// Reads the strategies placed per file from a gates_resolved.yaml (Error naming the file).
std::map<std::string, gating::GatingStrategy> read_frozen_gates(const std::filesystem::path& file);

// Chooses the representative samples of the report's histograms (needs the samples: after
// make_plan, before the batch).
void plan_histograms(Plan& plan, const SampleSet& samples);

// A threshold gate of the config as the gating stage places it.
gating::ControlThreshold control_threshold(const ThresholdGate& gate);

// After the thresholds are resolved: every sample's threshold gates (those of its group), in
// Plan::gating_set; a gate without a threshold for the sample's group is a problem of that sample.
void plan_sample_gates(Plan& plan, const SampleSet& samples);

// At most this many values (evenly strided over the events) are kept per histogram.
inline constexpr std::size_t kHistogramValues = 20000;

// "role=isotype, experiment=a|b", for messages.
std::string describe(const Selector& selector);

// The group key of a sample for threshold gate / read-out matching.
std::string group_key(const SampleEntry& sample, const std::vector<std::string>& factors);

struct SampleOutcome {
  bool analysed = false;
  std::optional<Failure> failure;      // set when not analysed
  std::vector<Failure> problems;       // analysed, but e.g. a threshold had no control
  SampleValues values;
  std::vector<gating::PopulationRow> rows;  // populations.csv's rows of this file
  // Plan::keep's values for this file, on the channel's transforms: scale (linear without one).
  std::map<std::pair<std::string, std::string>, std::vector<double>> histograms;
  std::size_t events = 0;
  // The acquisition QC (config qc: section enabled); events above are the file's, before removal.
  std::optional<transform::AcquisitionQc> qc;
  // Strategies with finder gates: what each finder saw and the strategy as placed on this file.
  std::vector<gating::FinderReport> finder_reports;
  std::string placed_strategy;  // YAML; empty when the strategy has no finders
  std::optional<StoredSheet> sheet;  // Plan::draw_sheet samples: its gating sheet
  double sheet_seconds = 0;          // the CPU time laying it out took
};

// Reads, gates (with plan.gating_set's strategy for sample `index`) and measures one sample.
// Never throws for a bad file: the outcome says why. With `sha256`, also the file's SHA-256
// from the bytes read for decoding (empty if unreadable).
SampleOutcome analyse_sample(const Plan& plan, std::size_t index, const SampleEntry& entry,
                             std::string* sha256 = nullptr);

// Pass 1: the parent-population values of every threshold gate this control sample serves.
struct ControlOutcome {
  std::optional<Failure> failure;
  std::vector<std::pair<std::size_t, std::vector<double>>> values;  // gate index -> values
  std::size_t events = 0;
  std::optional<PlacedFinders> placed;  // the strategy's finders as placed on this control
};
// The acquisition QC the config asks for (nullopt without an enabled qc: section), run on the
// prepared (compensated, panel-named) sample; with qc.remove, the flagged bins' events are taken
// out of `sample`. A QC channel the file lacks is a StageError "qc" when the config names it; the
// default channels (the panel's markers) are checked where the file has them.
std::optional<transform::AcquisitionQc> acquisition_qc(const Config& config, fcs::Sample& sample,
                                                       const SampleEntry& entry);

ControlOutcome measure_control(const Plan& plan, std::size_t index, const SampleEntry& entry,
                               const std::vector<std::size_t>& gates);

}  // namespace cytopipe::pipeline::detail
