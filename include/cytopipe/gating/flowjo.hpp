#pragma once
// FlowJo workspaces (.wsp, FlowJo 10 XML; the 7.x/9.x layouts where only names differ): groups,
// samples with their compensation, axis transforms and gate trees, read into the project's
// gating types.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::gating {

// How FlowJo's gate coordinates are evaluated.
// - GatingMl (the default): exact, each gate as the Gating-ML gate its coordinates describe:
//   rectangles on data values; a polygon on its axes' FlowJo transforms (vertices, data values in
//   the file, mapped through the channel's transform; edges straight there, as FlowJo draws it),
//   without a display grid; ellipses on FlowJo's display axes.
// - FlowJo: FlowJo's own counts: as GatingMl, but a polygon with a gateResolution is tested on
//   FlowJo's gate grid (events and vertices replaced by the grid channel holding them; biex by
//   FlowJo's look-up table), as FlowJo evaluates it. Rectangles are the same in both modes.
enum class WorkspaceEvaluation { GatingMl, FlowJo };

struct WorkspaceSample;

struct WorkspaceOptions {
  WorkspaceEvaluation evaluation = WorkspaceEvaluation::GatingMl;
  // False: a sample read in full keeps only the keywords match_samples uses (as an identity
  // does), for a caller that needs no others: a FlowJo sample stores a few hundred.
  bool all_keywords = true;
  // True: a sample read alike an earlier one (the same gates, compensation and transforms; see
  // parse_workspace) keeps no gates of its own: WorkspaceSample::alike_of names that sample and
  // Workspace::strategy_of builds the sample's strategy when it is needed, so a caller gating
  // file by file holds one strategy per distinct sample, not per sample.
  bool share_alike = false;
  // Called by the first pass as each sample's identity is complete (its index in document order
  // and the identity as SampleChooser sees it), for a caller that starts work before the whole
  // workspace is read (load_workspace_sample). `described_as` is the first sample (itself if
  // none) described alike this one: a full read gives both the same gates, compensation and
  // transforms (only the gates' origin lines differ), so one's reading counts the other's events.
  // An Error it throws comes out of the reader.
  std::function<void(std::size_t index, const WorkspaceSample& identity, std::size_t described_as)> scanned = {};
};

// One channel's axis transform as FlowJo stores it (kept for export) and as a Transform.
struct WorkspaceScale {
  std::string kind;    // FlowJo's element name: linear, log, biex, fasinh, logicle, hyperlog
  std::map<std::string, double> settings;  // its attributes (minRange, maxRange, width, pos, ...)
  transform::Transform transform;
};

struct WorkspaceSample {
  std::string id;      // sampleID
  std::string name;    // SampleNode name (usually the file name)
  std::string uri;     // DataSet uri
  std::map<std::string, std::string> keywords;  // as stored in the workspace
  // The sample's compensation: the matrix id in `strategy.matrices()`, the prefix/suffix FlowJo
  // gives compensated channels ("Comp-", ""), empty id = none.
  std::string compensation;
  std::string comp_prefix, comp_suffix;
  std::map<std::string, WorkspaceScale> scales;  // by channel name as FlowJo names it (Comp-PE-A)
  GatingStrategy strategy;
  long long stored_total = -1;                        // SampleNode count
  std::map<std::string, long long> stored_counts;     // population name -> FlowJo's count (-1 unknown)
  int line = 0;                                       // of the <Sample> element
  // False for a sample the reader was not asked to read in full (see SampleChooser): only its
  // identity is filled in (id, name, uri, line, and of its keywords those match_samples uses:
  // $FIL, GUID, $TOT, $BTIM, $ETIM, $DATE).
  bool read_in_full = false;
  // WorkspaceOptions::share_alike: the index (in Workspace::samples) of the earlier sample this
  // one was read alike, whose gates it has with their origin lines moved by alike_line_shift;
  // `strategy` is then empty (Workspace::strategy_of).
  std::optional<std::size_t> alike_of;
  int alike_line_shift = 0;
};

struct WorkspaceGroup {
  std::string name;
  std::vector<std::string> sample_ids;
};

struct Workspace {
  std::string file;
  std::string flowjo_version;
  std::vector<WorkspaceGroup> groups;
  std::vector<WorkspaceSample> samples;

  const WorkspaceSample* find_sample(std::string_view id) const;
  // The samples of a group (every sample for an empty name); an unknown group is an Error that
  // lists the groups.
  std::vector<const WorkspaceSample*> group(std::string_view name) const;
  // A sample's gating strategy: its own, or for a sample sharing another's (alike_of), built
  // from that one's as reading it would have.
  GatingStrategy strategy_of(const WorkspaceSample& sample) const;
  // The strategy a sample's gates are evaluated with: its own, or the one it shares (the same
  // gates; only their origin lines differ).
  const GatingStrategy& gates_of(const WorkspaceSample& sample) const {
    return sample.alike_of ? samples.at(*sample.alike_of).strategy : sample.strategy;
  }
};

// Limits: a larger workspace is refused before it is parsed; elements may nest this deep (a
// FlowJo gate tree adds about 4 levels per population level).
inline constexpr std::size_t kMaxWorkspaceBytes = std::size_t{512} << 20;
inline constexpr std::size_t kMaxWorkspaceDepth = 400;

// Which samples to read in full, chosen from every sample's identity: `identities` holds the
// groups and every sample with only its identity filled in (WorkspaceSample::read_in_full); the
// answer is indices into identities.samples. An Error it throws comes out of the reader.
using SampleChooser = std::function<std::vector<std::size_t>(const Workspace& identities)>;
// Every sample (the reader's default) / the samples of one group (every sample for "").
SampleChooser every_sample();
SampleChooser samples_of_group(std::string group);

// Hostile documents are refused as parse_gatingml refuses them (entities, external DTDs,
// XInclude, size, depth). Errors name the file, the line and the element (sample, population).
// The workspace is read in two streaming passes without building its whole tree (a workspace of
// hundreds of samples is megabytes of XML): the first reads the groups and every sample's
// identity, the second builds and reads only the samples `choose` picks. Errors inside a sample
// not chosen are not seen; the whole document is still checked to be well-formed and safe.
Workspace parse_workspace(std::string_view xml, std::string_view name = "<workspace>",
                          const WorkspaceOptions& options = {}, const SampleChooser& choose = every_sample());
Workspace load_workspace(const std::filesystem::path& file, const WorkspaceOptions& options = {},
                         const SampleChooser& choose = every_sample());

// Sample `index` (document order) read in full as load_workspace reads a chosen sample, the file
// read only up to the sample after it: for work started while load_workspace is still reading
// (WorkspaceOptions::scanned). The rest of the file is not checked, so what this returns may be
// used only once load_workspace has read the same file without an error. With
// options.all_keywords false the sample holds no keywords.
WorkspaceSample load_workspace_sample(const std::filesystem::path& file, std::size_t index,
                                      const WorkspaceOptions& options = {});

// Pairing FCS files with a workspace's samples: by file name ($FIL keyword, SampleNode name or
// the DataSet uri's file name), then by the file's own $FIL, then by keywords that identify an
// acquisition ($TOT with $BTIM/$ETIM/$DATE, or GUID).
struct SampleMatch {
  std::vector<std::optional<std::size_t>> sample_of_file;  // index into the candidates
  std::vector<std::string> unmatched_files;
  std::vector<std::string> unmatched_samples;  // candidates no file matched (their names)
  // Readable lines, empty when everything matched: every unmatched file, the first 10 unmatched
  // samples and how many more there are.
  std::string report() const;
};
// `metadata[i]` is file i read with ReadOptions::read_events = false (matching_metadata of it
// is enough).
SampleMatch match_samples(std::span<const WorkspaceSample* const> candidates,
                          std::span<const fcs::Sample> metadata);

// The gate tree a group's samples share (FlowJo's group gating), for running one strategy over
// many files: every sample of the group must hold the same gates, parents and matrices (an Error
// names the first that differs and the gate); an empty group name takes every sample. The
// group's samples must have been read in full (samples_of_group).
GatingStrategy group_strategy(const Workspace& workspace, std::string_view group);

// A FlowJo 10 workspace holding one sample per file (its path becomes the DataSet uri), each with
// `strategy`'s gates and compensation, in one group. FlowJo keeps gate coordinates in data values
// and one compensation matrix per sample ("Comp-" channels), so: a gate dimension's scale becomes
// that channel's axis transform and its coordinates are mapped back to data values, chosen so
// that reading the workspace back (WorkspaceEvaluation::GatingMl) gives the same gates: a range
// limit as the first data value at or above the scaled limit, a polygon vertex as a data value
// the transform maps onto the vertex (or nearest it: within an ulp);
// quadrant gates become FlowJo's rectangle quadrants, boolean gates And/Or/Not nodes, data-driven
// gates are written as placed. What FlowJo cannot hold is an Error naming the gate: ratio
// dimensions, scale bounds, ellipsoids of more than 2 dimensions, complemented boolean operands,
// two compensations in one strategy, a non-square or already-inverted matrix, two scales on
// one channel.
struct WorkspaceExport {
  std::vector<std::filesystem::path> files;
  std::vector<const fcs::Sample*> metadata;          // per file: keywords, spillover, $TOT
  std::string group = "All Samples";
  // FlowJo's stored counts per file and population name (what FlowJo shows until it
  // recomputes); empty = none stored (-1).
  std::vector<std::map<std::string, std::size_t>> counts;
  // Per file, the strategy whose gate tree that sample gets (its finders placed on that file;
  // same populations as `strategy`); empty = `strategy` for every file. A strategy with an
  // unplaced finder is refused.
  std::vector<const GatingStrategy*> strategies;
};
std::string to_flowjo_workspace(const GatingStrategy& strategy, const WorkspaceExport& what);

// Checks a sample against the file it was matched to: every gate channel present (Comp- channels
// through the matrix's detectors). Errors name the workspace, sample, population and channel.
void check_workspace_sample(const Workspace& workspace, const WorkspaceSample& sample, const fcs::Sample& file);

// Of a file's metadata, what match_samples and check_workspace_sample read (its source, channels
// and the keywords matching uses): a file's TEXT holds hundreds of keywords, which a caller
// holding every file's metadata at once need not keep.
fcs::Sample matching_metadata(const fcs::Sample& file);

}  // namespace cytopipe::gating
