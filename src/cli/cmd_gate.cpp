// cytopipe gate --strategy FILE.yaml|FILE.xml DATA.fcs... [--events OUT.csv] [--stats OUT.csv]
// cytopipe gate --workspace FILE.wsp [--group NAME] DATA.fcs... [--events OUT.csv] [--stats OUT.csv]
// Applies a gating strategy (or each file's gates from a FlowJo workspace) to FCS files (in parallel, at most --in-flight files in memory) and
// writes a tidy statistics table (one row per sample x population x statistic x channel, the
// layout of the pipeline's populations.csv) and, optionally, per-event membership. A file that
// cannot be read or gated is named with its problem and left out; the others are written and the
// exit code is 1.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "cli/command.hpp"
#include "cli/workspace_early_counts.hpp"
#include "cytopipe/atomic_file.hpp"
#include "cytopipe/base/csv.hpp"
#include "cytopipe/base/number_text.hpp"
#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/block_counts.hpp"
#include "cytopipe/gating/block_statistics.hpp"
#include "cytopipe/gating/find_gates.hpp"
#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/gating/gating.hpp"
#include "cytopipe/gating/gating_set.hpp"
#include "cytopipe/gating/population_table.hpp"
#include "gating/block_sample.hpp"
#include "gating/columns.hpp"

namespace cytopipe::cli {
namespace {

std::string number(double v) { return format_number(v, kGateNumber); }

std::string csv(std::string_view s) { return csv::field(s); }

// Thrown out of a with_output when no file could be gated: the tables are not written at all
// (no header-only file stands for a result).
struct NothingGated {};

// Calls f with a stream on `path` written atomically, or with nullptr when `path` is empty.
void with_output(const std::string& path, const std::function<void(std::ostream*)>& f) {
  if (path.empty()) return f(nullptr);
  write_file_atomically(path, [&](std::ostream& out) { f(&out); });
}

struct GateCommand {
  std::string strategy_file;
  std::string workspace_file;
  std::string group;
  std::string evaluation = "gating-ml";
  std::string write_wsp;  // --write-wsp: the strategy as a FlowJo workspace over the files
  std::vector<std::string> files;
  std::string events_out;
  std::string stats_out;
  std::vector<std::string> channels;
  std::string compensation = "none";
  std::string values = "auto";
  std::vector<double> percentiles = {5, 25, 75, 95};
  int threads = 0;             // 0 = all cores
  std::size_t in_flight = 0;   // 0 = as many as threads

  int run() const {
#if defined(__GLIBC__)
    // Each file's gated columns (150 KB each at 19k events) are freed when the file is done, at
    // the top of the heap, which glibc then hands back to the system (more than 128 KB free
    // there), so every file faulted its columns in afresh: 43k page faults, half the CPU of 100
    // files. Freed memory is kept for the next file instead (trimmed only beyond 64 MB; blocks
    // up to 32 MB from the heap, which setting the first would otherwise cap at 128 KB). Both
    // paths (strategy and workspace) run with it.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
    if (!workspace_file.empty()) return run_workspace();
    const auto strategy = gating::load_strategy(strategy_file);
    fcs::ReadOptions read;
    const bool xml = strategy_file.ends_with(".xml") || strategy_file.ends_with(".XML");
    if (values == "gain" || (values == "auto" && xml)) read.values = fcs::ValueRule::FlowCoreWithGain;
    else read.values = fcs::ValueRule::FlowCore;

    // Files stream through: at most `held` samples are in memory at once, each written out (in
    // file order) and released before a later one is read.
    const int workers = threads > 0 ? threads : tbb::this_task_arena::max_concurrency();
    const std::size_t held = in_flight > 0 ? in_flight : static_cast<std::size_t>(workers);
    std::vector<std::map<std::string, std::size_t>> counts(files.size());
    Failures failed(files.size());
    tbb::task_arena arena(workers);
    // Gates placed from each file's data (finders) are placed on each file as it is read; the
    // counts-only block path has no finders.
    const bool finders = strategy.has_finders();
    std::vector<std::size_t> all(files.size());  // every file, in order
    std::iota(all.begin(), all.end(), std::size_t{0});
    if (stats_out.empty() && events_out.empty() && !finders) {
      arena.execute([&] {
        count_only(
            all, [&](std::size_t) -> const gating::GatingStrategy& { return strategy; }, read, held, true, &counts,
            failed);
      });
      write_workspace(std::vector<const gating::GatingStrategy*>(files.size(), &strategy), read, counts, failed);
      return failed.finish();
    }
    // Each file's strategy as placed on it, kept (a few gates each) for --write-wsp.
    std::vector<gating::GatingStrategy> placed(finders && !write_wsp.empty() ? files.size() : 0);
    const bool written = stream_tables(
        arena, all, held, failed,
        [&](std::size_t i) {
          gating::GateOptions options;
          options.parallel = held < static_cast<std::size_t>(workers);
          GatedFile f;
          if (finders) {
            f.gated.sample = fcs::read_fcs(files[i], read);
            gating::PlacedGates p = gating::place_gates(strategy, f.gated.sample, options);
            f.gated.results = std::move(p.results);
            f.placed = std::move(p.strategy);
            f.reports = std::move(p.reports);
            return f;
          }
          // Statistics without --events: no event matrix. Each block is gated as it is decoded
          // and the table's channels are kept, as float32 where every value is one (at most half
          // the matrix, whose fresh pages took most of a run's time).
          if (events_out.empty() && compensation != "file") {
            fcs::EventBlocks blocks(files[i], read);
            if (const auto keep = table_channels(blocks); keep && gating::counts_block_by_block(strategy, blocks)) {
              gating::GatedBlocks gated = gating::gate_blocks_keeping(strategy, blocks, *keep);
              f.gated.results = std::move(gated.results);
              f.kept = std::move(gated.kept);
              // What the counts and the table read of the sample (no events, no keywords).
              f.gated.sample = gating::detail::block_sample(blocks.metadata());
              return f;
            }
          }
          // Each run of events gated as soon as it is decoded (still in cache), on the decoding
          // threads; a data set without events is gated after.
          std::optional<gating::BlockGating> blocks;
          fcs::DecodeHooks hooks;
          hooks.prepare = [&](fcs::Sample& s) { blocks.emplace(strategy, s); };
          hooks.decoded = [&](std::size_t first, std::size_t count) { blocks->gate(first, count); };
          f.gated.sample = fcs::read_fcs(files[i], read, hooks);
          f.gated.results = blocks ? std::move(*blocks).finish() : gating::gate_in_blocks(strategy, f.gated.sample);
          return f;
        },
        [&](std::size_t i, const GatedFile& f, std::ostream* stats) {
          const auto& g = f.gated;
          const gating::GatingStrategy& used = f.placed ? *f.placed : strategy;
          print_found(f.reports);
          for (const auto& p : g.results.populations()) counts[i][p.name] = p.count;
          if (stats) write_stats(*stats, used, g, f.reports, f.kept ? &*f.kept : nullptr);
          if (!placed.empty()) placed[i] = used;
        });
    if (!written) return failed.finish();
    std::vector<const gating::GatingStrategy*> per_file(files.size(), &strategy);
    for (std::size_t i = 0; i < placed.size(); ++i) per_file[i] = &placed[i];
    write_workspace(per_file, read, counts, failed);
    return failed.finish();
  }

  // Files that could not be read or gated: each named on stderr with its problem as the batch
  // goes on (the tables hold the other files); the command then exits 1 with a count.
  struct Failures {
    explicit Failures(std::size_t files) : failed(files, false) {}
    std::vector<bool> failed;
    std::size_t count = 0;
    bool add(std::size_t i, const std::string& message) {
      std::cerr << "cytopipe: error: " << message << '\n';
      failed[i] = true;
      ++count;
      return true;  // the batch goes on
    }
    bool all() const { return count == failed.size(); }
    int finish() const {
      if (count == 0) return 0;
      std::cerr << "cytopipe gate: " << count << " of " << failed.size() << " files failed (each named above); "
                << (count == failed.size() ? "nothing was written" : "the tables hold the other files") << '\n';
      return 1;
    }
  };

  // The files `which` (indices into `files`) stream through gate_file (at most `held` in memory),
  // each then in file order: its counts printed, write(i, file, stats table) and its --events
  // rows. A file whose gate_file throws an Error is named and left out (`failed`). Returns false
  // when every file failed: then no table is written at all.
  template <class GateFile, class Write>
  bool stream_tables(tbb::task_arena& arena, const std::vector<std::size_t>& which, std::size_t held,
                     Failures& failed, const GateFile& gate_file, const Write& write) const {
    bool events_header_written = false;
    try {
      with_output(stats_out, [&](std::ostream* stats) {
        with_output(events_out, [&](std::ostream* events) {
          if (stats) gating::write_population_header(*stats);
          arena.execute([&] {
            gating::stream_samples<GatedFile>(
                which.size(), held,
                [&](std::size_t k) {
                  try {
                    return gate_file(which[k]);
                  } catch (const Error& e) {
                    GatedFile f;
                    f.error = e.what();
                    return f;
                  }
                },
                [&](std::size_t k, GatedFile&& f) {
                  const std::size_t i = which[k];
                  if (!f.error.empty()) return failed.add(i, f.error);
                  print_counts(f.gated);
                  write(i, f, stats);
                  if (events) write_events(*events, f.gated, !events_header_written);
                  events_header_written = true;
                  return true;
                });
          });
          if (failed.all()) throw NothingGated{};
        });
      });
    } catch (const NothingGated&) {
      return false;
    }
    return true;
  }

  // One file gated with the strategy: its sample and results, and, when the strategy has
  // finders, the strategy as placed on it and what each finder saw (workspace mode: the file's
  // sample's strategy).
  struct GatedFile {
    gating::GatingSet::Gated gated;
    std::optional<gating::GatingStrategy> placed;
    std::vector<gating::FinderReport> reports;
    // Set: the table's channels, kept as the file was gated (gated.sample then holds no events).
    std::optional<gating::KeptChannels> kept;
    std::string error;  // set: the file could not be read or gated (what and why)
  };

  // Counts only: the files `which` (indices into `files`) each gated block by block as it is
  // decoded with strategy_of(i) (no whole event matrix, no memberships kept), in parallel over
  // blocks and, as in the full path, over at most `held` files at once, printed in file order. A
  // file that cannot be (ASCII data, a strategy with finders, no events) is read and gated whole
  // (`parallel`: over blocks of events). Counts go to `counts` when given; a file that fails is
  // named and left out. `texts`, when given, holds files' TEXT already read with `read` (taken
  // from there, by file index); `counted`, files already counted with their strategy (by index).
  template <class StrategyOf>
  void count_only(const std::vector<std::size_t>& which, const StrategyOf& strategy_of, const fcs::ReadOptions& read,
                  std::size_t held, bool parallel, std::vector<std::map<std::string, std::size_t>>* counts,
                  Failures& failed, std::vector<std::optional<fcs::EventBlocks::Text>>* texts = nullptr,
                  std::vector<std::optional<WorkspaceEarlyCounts::Counted>>* counted = nullptr) const {
    struct Counted {
      std::string source;
      gating::PopulationCounts counts;
      std::string error;  // set: the file could not be read or gated
    };
    gating::stream_samples<Counted>(
        which.size(), held,
        [&](std::size_t k) {
          if (counted && (*counted)[which[k]]) {
            auto& c = *(*counted)[which[k]];
            return Counted{std::move(c.source), std::move(c.counts), {}};
          }
          const gating::GatingStrategy& strategy = strategy_of(which[k]);
          try {
            auto* text = texts ? &(*texts)[which[k]] : nullptr;
            const fcs::EventBlocks blocks =
                text && *text ? fcs::EventBlocks(*std::exchange(*text, std::nullopt)) : fcs::EventBlocks(files[which[k]], read);
            if (gating::counts_block_by_block(strategy, blocks))
              return Counted{blocks.metadata().source, gating::count_populations(strategy, blocks), {}};
            const fcs::Sample sample = fcs::read_fcs(files[which[k]], read);
            gating::GateOptions options;
            options.parallel = parallel;
            const gating::GatingResults results = gating::gate_with_finders(strategy, sample, options);
            Counted out{sample.source, {}, {}};
            out.counts.events = results.events();
            for (const auto& p : results.populations()) out.counts.populations.push_back({p.name, p.parent, p.path, p.count});
            return out;
          } catch (const Error& e) {
            return Counted{{}, {}, e.what()};
          }
        },
        [&](std::size_t k, Counted&& c) {
          const std::size_t i = which[k];
          if (!c.error.empty()) return failed.add(i, c.error);
          print_counts(c.source, c.counts);
          if (counts)
            for (const auto& p : c.counts.populations) (*counts)[i][p.name] = p.count;
          return true;
        });
  }

  // `strategies`: each file's strategy, its finders placed on that file (FlowJo keeps a gate
  // tree per sample, so gates placed per file are written per file).
  // A file that failed is left out (it is named on stderr and the exit code says so).
  void write_workspace(const std::vector<const gating::GatingStrategy*>& strategies, const fcs::ReadOptions& read,
                       const std::vector<std::map<std::string, std::size_t>>& counts, const Failures& failed) const {
    if (!write_wsp.empty()) {
      if (failed.count == files.size()) return;
      // Every gate as placed, each file's counts stored (FlowJo shows them until it recomputes).
      std::vector<fcs::Sample> metadata;
      fcs::ReadOptions meta = read;
      meta.read_events = false;
      gating::WorkspaceExport what;
      for (std::size_t i = 0; i < files.size(); ++i) {
        if (failed.failed[i]) continue;
        metadata.push_back(fcs::read_fcs(files[i], meta));
        what.files.emplace_back(files[i]);
        what.counts.push_back(counts[i]);
        what.strategies.push_back(strategies[i]);
      }
      for (const auto& m : metadata) what.metadata.push_back(&m);
      write_file_atomically(write_wsp, gating::to_flowjo_workspace(*what.strategies.front(), what));
      std::cout << "FlowJo workspace written: " << write_wsp << '\n';
    }
  }

  // Workspace mode: each file is paired with a workspace sample (of --group) and gated with that
  // sample's own gates, compensation and transforms.
  int run_workspace() const {
    gating::WorkspaceOptions wo;
    wo.evaluation = evaluation == "flowjo" ? gating::WorkspaceEvaluation::FlowJo : gating::WorkspaceEvaluation::GatingMl;
    wo.all_keywords = false;  // files are matched with the samples' identifying keywords only
    // Samples with the same gates keep one copy; each file's strategy is built as it is gated.
    wo.share_alike = true;
    fcs::ReadOptions read;  // FlowJo gates raw values (no $PnG division)
    if (values == "gain") read.values = fcs::ValueRule::FlowCoreWithGain;
    // Each file's metadata, read on a second thread while the workspace is scanned (matching
    // needs both); a file whose metadata cannot be read is named (in file order) and left out
    // (`usable` maps the metadata read back to the files). What was read is kept for counting
    // (`texts`, without the keywords), which then reads only each file's DATA.
    Failures failed(files.size());
    std::vector<fcs::Sample> metadata;
    std::vector<std::size_t> usable;
    std::vector<std::optional<fcs::EventBlocks::Text>> texts(files.size());
    auto reading = std::async(std::launch::async, [&] {
      for (std::size_t i = 0; i < files.size(); ++i) {
        try {
          fcs::EventBlocks::Text text(files[i], read);
          metadata.push_back(gating::matching_metadata(text.sample()));
          text.drop_keywords();
          texts[i] = std::move(text);
          usable.push_back(i);
        } catch (const Error& e) {
          failed.add(i, e.what());
        }
      }
    });
    bool files_read = false;
    auto wait_for_files = [&] {
      if (!reading.valid()) return;
      reading.get();
      files_read = true;
    };
    const int workers = threads > 0 ? threads : tbb::this_task_arena::max_concurrency();
    // One file, counts only: the first sample the file matches alone is read and the file counted
    // on a second thread as soon as the first pass has passed that sample, while it reads on
    // through the workspace (the scan of megabytes would otherwise come before any counting).
    // Used only if, once the whole workspace is read, the file's match is that sample (its
    // counts are then those the file's strategy gives); otherwise, or if any of it failed, the
    // file is read and counted as usual, its faults reported as usual.
    struct Early {
      std::size_t sample = 0;
      std::string source;
      gating::PopulationCounts counts;
    };
    std::future<std::optional<Early>> early;
    std::optional<Early> early_result;
    bool use_early = false;
    if (files.size() == 1 && group.empty() && stats_out.empty() && events_out.empty()) {
      gating::WorkspaceOptions one = wo;
      wo.scanned = [&, one](std::size_t index, const gating::WorkspaceSample& identity, std::size_t) {
        if (early.valid()) return;
        reading.wait();
        if (usable.empty()) return;
        const gating::WorkspaceSample* candidate = &identity;
        if (!gating::match_samples({&candidate, 1}, metadata).sample_of_file.front()) return;
        early = std::async(std::launch::async, [&, one, index]() -> std::optional<Early> {
          try {
            const gating::WorkspaceSample s = gating::load_workspace_sample(workspace_file, index, one);
            s.strategy.check_sample(metadata.front());
            const fcs::EventBlocks blocks(files.front(), read);
            if (!gating::counts_block_by_block(s.strategy, blocks)) return std::nullopt;
            tbb::task_arena arena(workers);
            return arena.execute(
                [&] { return Early{index, blocks.metadata().source, gating::count_populations(s.strategy, blocks)}; });
          } catch (...) {  // any fault: left to the usual reading, which reports it
            return std::nullopt;
          }
        });
      };
    }
    // Several files, counts only: files counted on the counting arena's worker threads while this
    // thread reads the workspace (WorkspaceEarlyCounts), each count used only with the file's final
    // match. Not with one thread, nor with more than the machine has (TBB would then warn on
    // stderr as the scan starts, not where it did).
    tbb::task_arena arena(workers);
    std::optional<WorkspaceEarlyCounts> batch_early;
    if (files.size() > 1 && group.empty() && stats_out.empty() && events_out.empty() && workers > 1 &&
        workers <= tbb::info::default_concurrency()) {
      batch_early.emplace(workspace_file, wo, arena, metadata, usable, texts);
      wo.scanned = [&](std::size_t index, const gating::WorkspaceSample& identity, std::size_t described_as) {
        const bool read = reading.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        if (!read || !usable.empty()) batch_early->scanned(index, identity, described_as, read);
      };
    }
    struct NoFileUsable {};
    // Files are matched on the samples' identities; only the matched samples are read in full.
    gating::SampleMatch match;
    std::optional<gating::Workspace> loaded;
    try {
      loaded = gating::load_workspace(workspace_file, wo, [&](const gating::Workspace& identities) {
        wait_for_files();
        if (batch_early) batch_early->stop();  // the files left are counted below, on every core
        if (usable.empty()) throw NoFileUsable{};
        const auto candidates = identities.group(group);
        match = gating::match_samples(candidates, metadata);
        if (!match.unmatched_files.empty())
          throw Error("the workspace has no sample for " + std::to_string(match.unmatched_files.size()) +
                          " of the files (a file is matched by its name against a sample's $FIL, name or DataSet "
                          "uri, then by its own $FIL, then by $TOT with $BTIM/$ETIM/$DATE or GUID):\n" +
                          match.report(),
                      ErrorContext{workspace_file, group.empty() ? "" : "group " + group});
        std::vector<std::size_t> chosen;
        for (const auto& c : match.sample_of_file)
          chosen.push_back(static_cast<std::size_t>(candidates[*c] - identities.samples.data()));
        // The file counted early with the sample it matches: no sample need be read now.
        if (early.valid()) {
          early_result = early.get();
          use_early = chosen.size() == 1 && early_result && early_result->sample == chosen.front();
          if (use_early) chosen.clear();
        }
        return chosen;
      });
    } catch (const NoFileUsable&) {
      return failed.finish();
    } catch (...) {
      // As when the files were read first: their faults come first, and with no file usable only
      // they are reported (the workspace's fault is not).
      wait_for_files();
      if (files_read && usable.empty()) return failed.finish();
      throw;
    }
    const gating::Workspace& ws = *loaded;
    const auto candidates = ws.group(group);
    if (!match.unmatched_samples.empty())
      std::cerr << "note: " << match.unmatched_samples.size() << " of the " << candidates.size() << " samples of "
                << (group.empty() ? std::string("the workspace") : "group '" + group + "'")
                << " match none of the files given and are not gated:\n"
                << match.report();
    if (use_early) {  // as count_only prints a file (its channels were checked against the sample's gates)
      print_counts(early_result->source, early_result->counts);
      return failed.finish();
    }
    // A file whose sample gates a channel it lacks is named and left out too.
    std::vector<const gating::WorkspaceSample*> sample_of(files.size());
    std::vector<std::size_t> gated;  // files to gate
    for (std::size_t k = 0; k < usable.size(); ++k) {
      const std::size_t i = usable[k];
      sample_of[i] = candidates[*match.sample_of_file[k]];
      try {
        gating::check_workspace_sample(ws, *sample_of[i], metadata[k]);
        gated.push_back(i);
      } catch (const Error& e) {
        failed.add(i, e.what());
      }
    }
    if (gated.empty()) return failed.finish();
    const std::size_t held = in_flight > 0 ? in_flight : static_cast<std::size_t>(workers);
    if (stats_out.empty() && events_out.empty()) {
      // Counts only, as the strategy path counts, each file with its sample's strategy (a file
      // counted early with the sample it matched: those counts).
      std::vector<std::optional<WorkspaceEarlyCounts::Counted>> counted(files.size());
      if (batch_early)
        for (std::size_t i : gated)
          counted[i] = batch_early->take(i, static_cast<std::size_t>(sample_of[i] - ws.samples.data()));
      arena.execute([&] {
        count_only(
            gated, [&](std::size_t i) { return ws.strategy_of(*sample_of[i]); }, read, held,
            held < static_cast<std::size_t>(workers), nullptr, failed, &texts, &counted);
      });
      return failed.finish();
    }
    stream_tables(
        arena, gated, held, failed,
        [&](std::size_t i) {
          GatedFile f;
          f.gated.sample = fcs::read_fcs(files[i], read);
          gating::GateOptions options;
          options.parallel = held < static_cast<std::size_t>(workers);
          f.placed = ws.strategy_of(*sample_of[i]);  // its own (built for one sharing another's gates)
          f.gated.results = gating::gate_with_finders(*f.placed, f.gated.sample, options);
          return f;
        },
        [&](std::size_t i, const GatedFile& f, std::ostream* stats) {
          if (!stats) return;
          const auto& g = f.gated;
          const auto& ws_sample = *sample_of[i];
          const gating::GatingStrategy& strategy = *f.placed;
          // Channels as FlowJo names them: the file's, then Comp-<detector> for each detector of
          // the sample's matrix.
          std::vector<std::string> names;
          std::vector<gating::Dimension> dims;
          auto add = [&](const std::string& label, gating::Dimension d) {
            names.push_back(label);
            dims.push_back(std::move(d));
          };
          std::map<std::string, std::string> compensated;  // Comp- name -> detector
          if (!ws_sample.compensation.empty())
            for (const auto& d : strategy.matrices().at(ws_sample.compensation).spectrum.detectors)
              compensated[ws_sample.comp_prefix + d + ws_sample.comp_suffix] = d;
          auto dimension_for = [&](const std::string& label) {
            gating::Dimension d;
            d.channel = label;
            if (auto it = compensated.find(label); it != compensated.end()) {
              d.channel = it->second;
              d.compensation = ws_sample.compensation;
            }
            return d;
          };
          if (!channels.empty()) {
            for (const auto& c : channels) add(c, dimension_for(c));
          } else {
            for (const auto& c : g.sample.channels) add(c.name, dimension_for(c.name));
            for (const auto& [label, d] : compensated) add(label, dimension_for(label));
          }
          write_stats(*stats, strategy, g, names, dims, &ws_sample);
        });
    return failed.finish();
  }

  // Summary on stdout: counts per population.
  static void print_counts(const gating::GatingSet::Gated& g) {
    std::cout << g.sample.source << " (" << g.results.events() << " events)\n";
    for (const auto& p : g.results.populations()) print_count(p.path, p.count, g.results.parent_count(p.name));
  }
  // The same of counts made block by block (count_only).
  static void print_counts(const std::string& source, const gating::PopulationCounts& counts) {
    std::cout << source << " (" << counts.events << " events)\n";
    for (const auto& p : counts.populations) print_count(p.path, p.count, counts.parent_count(p));
  }
  // What each finder placed on the file: the cut (1-D) or centre (2-D) on its dimension's scale,
  // and the fallback it took when it did not find what it looks for.
  static void print_found(std::span<const gating::FinderReport> reports) {
    for (const auto& r : reports) {
      std::cout << "  found '" << r.gate << "' (" << gating::to_string(r.method);
      for (std::size_t d = 0; d < r.dimensions.size(); ++d) std::cout << (d ? " x " : " on ") << r.dimensions[d];
      std::cout << "):";
      if (r.cut) std::cout << " cut " << number(*r.cut);
      else if (r.method == gating::FinderMethod::Singlets)
        std::cout << " height = " << number(r.intercept) << " + " << number(r.slope) << " x area";
      else if (r.dimensions.size() > 1)
        std::cout << " centre (" << number(r.centre_x) << ", " << number(r.centre_y) << ")";
      std::cout << ", keeps " << number(100.0 * r.fraction) << "% of " << r.events << " parent events";
      if (!r.fallback.empty()) std::cout << "; fallback: " << r.fallback;
      std::cout << '\n';
    }
  }
  static void print_count(const std::string& path, std::size_t count, std::size_t parent_count) {
    const double parent = static_cast<double>(parent_count);
    std::cout << "  " << path << "  " << count << "  ("
              << number(parent > 0 ? 100.0 * static_cast<double>(count) / parent : NAN) << "% of parent)\n";
  }

  // The file's channels (indices) the statistics table reads (uncompensated: the caller has
  // checked), when they can be kept while the file is gated block by block: every one found;
  // nullopt otherwise (the table then reads the sample's matrix, and a channel the file lacks is
  // named there).
  std::optional<std::vector<std::size_t>> table_channels(const fcs::EventBlocks& blocks) const {
    const fcs::Sample& m = blocks.metadata();
    std::vector<std::size_t> out;
    if (channels.empty()) {
      for (std::size_t c = 0; c < m.channels.size(); ++c) out.push_back(c);
      return out;
    }
    for (const auto& name : channels) {
      const auto c = m.find_channel(name);
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }

  void write_stats(std::ostream& out, const gating::GatingStrategy& strategy, const gating::GatingSet::Gated& g,
                   std::span<const gating::FinderReport> found, const gating::KeptChannels* kept) const {
    const auto& s = g.sample;
    std::vector<std::string> names = channels;
    if (names.empty())
      for (const auto& c : s.channels) names.push_back(c.name);
    std::vector<gating::Dimension> dims(names.size());
    for (std::size_t c = 0; c < names.size(); ++c) {
      dims[c].channel = names[c];
      if (compensation == "file") dims[c].compensation = std::string(gating::kFileCompensation);
    }
    write_stats(out, strategy, g, names, dims, nullptr, found, kept);
  }

  // One row per sample x population x statistic x channel. `flowjo`, when given, adds FlowJo's
  // percent of grandparent and its stored count (workspace mode).
  void write_stats(std::ostream& out, const gating::GatingStrategy& strategy, const gating::GatingSet::Gated& g,
                   const std::vector<std::string>& names, const std::vector<gating::Dimension>& dims,
                   const gating::WorkspaceSample* flowjo, std::span<const gating::FinderReport> found = {},
                   const gating::KeptChannels* kept = nullptr) const {
    gating::StatisticsOptions options;
    options.percentiles = percentiles;
    const auto& s = g.sample;
    // Channels are read in place (no copy); every distinct population on every channel in one
    // table (a task per channel, each sweeping its column once for all populations). Isolated,
    // so a worker waiting here never picks up another file's serial write.
    const auto& populations = g.results.populations();
    gating::ColumnCache cache(strategy, s);
    std::vector<std::span<const double>> columns(names.size());
    std::vector<gating::PopulationStatistics> results(populations.size() * names.size());
    // A population with the same members as an earlier one (a NOT of a NOT, an AND with its own
    // parent, ...) has the same statistics: computed once, copied.
    std::vector<std::size_t> same_as(populations.size());
    std::vector<std::size_t> distinct;
    for (std::size_t pi = 0; pi < populations.size(); ++pi) {
      same_as[pi] = pi;
      for (std::size_t q : distinct)
        if (populations[q].count == populations[pi].count && populations[q].members == populations[pi].members) {
          same_as[pi] = q;
          break;
        }
      if (same_as[pi] == pi) distinct.push_back(pi);
    }
    std::vector<const gating::Membership*> members;
    std::vector<std::size_t> parents;
    for (std::size_t pi : distinct) {
      members.push_back(&populations[pi].members);
      parents.push_back(g.results.parent_count(populations[pi].name));
    }
    tbb::this_task_arena::isolate([&] {
      std::vector<gating::PopulationStatistics> table;
      if (kept) {  // the channels in `names` order (table_channels)
        std::vector<gating::ChannelValues> values(names.size());
        for (std::size_t c = 0; c < names.size(); ++c) values[c] = kept->values(c);
        table = gating::population_statistics_table(values, members, parents, g.results.events(), options);
      } else {
        for (std::size_t c = 0; c < names.size(); ++c) columns[c] = cache.get(dims[c]);
        table = gating::population_statistics_table(columns, members, parents, g.results.events(), options);
      }
      for (std::size_t d = 0; d < distinct.size(); ++d)
        for (std::size_t c = 0; c < names.size(); ++c)
          results[distinct[d] * names.size() + c] = std::move(table[d * names.size() + c]);
    });
    for (std::size_t pi = 0; pi < populations.size(); ++pi) {
      if (same_as[pi] == pi) continue;
      const auto parent = static_cast<double>(g.results.parent_count(populations[pi].name));
      for (std::size_t c = 0; c < names.size(); ++c) {
        auto& r = results[pi * names.size() + c];
        r = results[same_as[pi] * names.size() + c];
        r.percent_parent = parent > 0 ? 100.0 * static_cast<double>(r.count) / parent : NAN;
      }
    }
    // The population table's layout, shared with the pipeline's populations.csv. Reserved (at
    // most 5 count rows a population, a few rows a finder): grown by doubling, gates5's 1177 rows
    // (136 bytes each) went through buffers of 70 and 139 KB before their 278 KB one, each on
    // fresh heap pages.
    std::vector<gating::PopulationRow> rows;
    rows.reserve(populations.size() * (5 + names.size() * (9 + percentiles.size())) + found.size() * 16);
    for (std::size_t pi = 0; pi < populations.size(); ++pi) {
      const auto& p = populations[pi];
      gating::append_count_rows(rows, g.results, p);
      if (flowjo) {
        const auto events = g.results.events();
        const std::size_t grandparent =
            p.parent.empty() ? events : g.results.parent_count(g.results.at(p.parent).name);
        rows.push_back({p.name, p.parent, "percent_grandparent", "",
                        grandparent ? 100.0 * static_cast<double>(p.count) / static_cast<double>(grandparent) : NAN});
        const auto it = flowjo->stored_counts.find(p.name);
        if (it != flowjo->stored_counts.end() && it->second >= 0)
          rows.push_back({p.name, p.parent, "flowjo_count", "", static_cast<double>(it->second)});
      }
      for (std::size_t c = 0; c < names.size(); ++c) {
        const auto& st = results[pi * names.size() + c];
        auto row = [&](std::string statistic, double v) {
          rows.push_back({p.name, p.parent, std::move(statistic), names[c], v});
        };
        row("mean", st.mean);
        row("median", st.median);
        row("geomean", st.geometric_mean);
        row("geomean_excluded", static_cast<double>(st.geometric_mean_excluded));
        row("mode", st.mode);
        row("sd", st.sd);
        row("cv", st.cv);
        row("rsd", st.robust_sd);
        row("rcv", st.robust_cv);
        for (const auto& [pct, v] : st.percentiles) row("p" + number(pct), v);
      }
    }
    gating::append_finder_rows(rows, found);  // what each finder saw, as populations.csv has it
    gating::write_population_rows(out, s.source, rows);
  }

  static void write_events(std::ostream& out, const gating::GatingSet::Gated& g, bool first) {
    const auto& pops = g.results.populations();
    if (first) {
      out << "sample,event";
      for (const auto& p : pops) out << ',' << csv(p.name);
      out << '\n';
    }
    const std::string source = csv(g.sample.source);
    std::string line;
    for (std::size_t e = 0; e < g.results.events(); ++e) {
      line = source;
      line += ',';
      line += std::to_string(e + 1);
      for (const auto& p : pops) {
        line += ',';
        line += p.members.test(e) ? '1' : '0';
      }
      line += '\n';
      out << line;
    }
  }
};

const RegisterCommand registered{Command{
    "gate", "apply a gating strategy (YAML, Gating-ML 2.0 or a FlowJo workspace) to FCS files",
    [](CLI::App& app) -> std::function<int()> {
      auto cmd = std::make_shared<GateCommand>();
      auto* strategy = app.add_option("--strategy", cmd->strategy_file, "gating strategy: gating/*.yaml or Gating-ML 2.0 .xml")
                           ->check(CLI::ExistingFile);
      auto* workspace =
          app.add_option("--workspace", cmd->workspace_file,
                         "FlowJo workspace (.wsp): each file is gated with the gates of the workspace sample it matches "
                         "(by file name, $FIL, then keywords)")
              ->check(CLI::ExistingFile)
              ->excludes(strategy);
      strategy->excludes(workspace);
      app.add_option("--write-wsp", cmd->write_wsp,
                     "also write the strategy as a FlowJo 10 workspace over the files (with the counts found)")
          ->excludes(workspace);
      app.add_option("--group", cmd->group, "workspace group whose samples the files are matched to (default: all)")
          ->needs(workspace);
      app.add_option("--evaluation", cmd->evaluation,
                     "workspace gates: 'gating-ml' (exact, on data values; default) or 'flowjo' (polygons and ellipses "
                     "on FlowJo's display axes, polygons on its gate grid: FlowJo's own counts)")
          ->check(CLI::IsMember({"gating-ml", "flowjo"}))
          ->needs(workspace);
      app.add_option("files", cmd->files, "FCS files")->required()->check(CLI::ExistingFile);
      app.add_option("--events", cmd->events_out, "write per-event 0/1 membership (one column per population) to this CSV");
      app.add_option("--stats", cmd->stats_out,
                     "write the tidy statistics table (file, population, parent, statistic, channel, value: the layout of a run's populations.csv) to this CSV");
      app.add_option("--channels", cmd->channels, "channels for per-channel statistics (default: all)")->delimiter(',');
      app.add_option("--compensation", cmd->compensation, "statistics on 'none' or 'file' (spillover) compensated values")
          ->check(CLI::IsMember({"none", "file"}));
      app.add_option("--values", cmd->values,
                     "value preparation: 'auto' (Gating-ML files: linear channels divided by $PnG), 'flowcore', 'gain'")
          ->check(CLI::IsMember({"auto", "flowcore", "gain"}));
      app.add_option("--percentiles", cmd->percentiles, "percentiles to report (default 5,25,75,95)")->delimiter(',');
      app.add_option("-j,--threads", cmd->threads, "worker threads (default: all cores)")->check(CLI::PositiveNumber);
      app.add_option("--in-flight", cmd->in_flight,
                     "files held in memory at once (default: threads); peak memory does not grow with the number of files")
          ->check(CLI::PositiveNumber);
      return [cmd]() -> int {
        if (cmd->strategy_file.empty() && cmd->workspace_file.empty()) {
          std::cerr << "cytopipe gate: give --strategy FILE or --workspace FILE.wsp\n";
          return 2;
        }
        return cmd->run();
      };
    }}};

}  // namespace
}  // namespace cytopipe::cli
