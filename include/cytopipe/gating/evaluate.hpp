#pragma once
// Applying a strategy to one sample: per-population membership bitsets and counts.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

// Which events belong to a population: bit i of word i/64 is event i.
// Large bitsets are pieces of transparent huge pages, recycled between samples (see
// membership.cpp): a 1M-event bitset is 122 KiB, which on fresh heap pages cost 31 page faults
// of ~15 us each, and a gating with statistics makes dozens of them.
class Membership {
 public:
  Membership() = default;
  explicit Membership(std::size_t events, bool all = false);
  Membership(const Membership& other);
  Membership(Membership&& other) noexcept
      : events_(std::exchange(other.events_, 0)), words_(std::move(other.words_)) {}
  Membership& operator=(const Membership& other);
  Membership& operator=(Membership&& other) noexcept;
  ~Membership() = default;
  std::size_t events() const noexcept { return events_; }
  bool test(std::size_t event) const noexcept { return (words_[event >> 6] >> (event & 63)) & 1u; }
  void set(std::size_t event) noexcept { words_[event >> 6] |= std::uint64_t{1} << (event & 63); }
  std::size_t count() const noexcept;
  std::span<const std::uint64_t> words() const noexcept { return {words_.get(), word_count()}; }
  std::span<std::uint64_t> words() noexcept { return {words_.get(), word_count()}; }
  // One byte per event (0/1), e.g. for fcs::WriteOptions::keep_event.
  std::vector<std::uint8_t> to_flags() const;
  bool operator==(const Membership& other) const noexcept;

 private:
  // mapped_bytes > 0: the words are a huge-page piece of that length; 0: a heap block.
  struct Release {
    std::size_t mapped_bytes;  // no initialiser: unique_ptr value-initialises it (to 0)
    void operator()(std::uint64_t* words) const noexcept;
  };
  using Storage = std::unique_ptr<std::uint64_t[], Release>;
  static Storage allocate(std::size_t words);  // uninitialised
  std::size_t word_count() const noexcept { return (events_ + 63) / 64; }

  std::size_t events_ = 0;
  Storage words_;  // word_count() words; bits past events() are always 0
};

struct PopulationResult {
  std::string name;
  std::string parent;      // empty = root
  std::string path;        // "/cells/singlets/live"
  Membership members;      // final membership: the gate AND all its ancestors
  std::size_t count = 0;
};

class ColumnCache;  // gating/columns.hpp (internal)

struct GateOptions {
  bool parallel = true;            // TBB over blocks of events
  // Internal: the scaled and ratio columns of an earlier gating of the same sample (and a
  // strategy with the same matrices), reused instead of computed again, e.g. by place_gates'
  // rounds. Null: the gating computes its own.
  ColumnCache* columns = nullptr;
};

class GatingResults {
 public:
  std::size_t events() const noexcept { return events_; }
  // In GatingStrategy::populations() order.
  const std::vector<PopulationResult>& populations() const noexcept { return populations_; }
  // By name or path, as GatingStrategy::find_population reads them; nullptr when absent (an
  // ambiguous reference is an Error).
  const PopulationResult* find(std::string_view name_or_path) const;
  // As find, but an absent population is an Error listing the candidates.
  const PopulationResult& at(std::string_view name_or_path) const;
  std::size_t count(std::string_view name_or_path) const { return at(name_or_path).count; }
  // Count of the population's parent (events() for a root population).
  std::size_t parent_count(std::string_view name_or_path) const;

 private:
  friend class GatingRun;
  friend class BlockGating;
  std::size_t events_ = 0;
  std::vector<PopulationResult> populations_;
};

// Evaluates every population on the sample (validates the strategy and checks the sample first).
// The sample's values must be prepared as the strategy expects (Gating-ML: read with
// fcs::ValueRule::FlowCoreWithGain).
GatingResults gate_sample(const GatingStrategy& strategy, const fcs::Sample& sample,
                          const GateOptions& options = {});

// Gating while the events arrive, e.g. as a reader decodes them, so each block is gated while
// it is still in cache. Prepared on a sample whose metadata is final and whose event matrix is
// allocated (validating the strategy against it: every error is raised here); evaluate() takes
// runs of whole 64-event words once their values are final (in any order, concurrently for
// disjoint runs); finish() counts and hands over the results. The sample must stay in place
// (not moved) until the last evaluate(). Gates on compensated dimensions compensate the whole
// sample when prepared, so such strategies cannot gate this way (see gates_while_decoding).
class GatingRun {
 public:
  GatingRun(const GatingStrategy& strategy, const fcs::Sample& sample, const GateOptions& options = {});
  ~GatingRun();
  GatingRun(GatingRun&&) noexcept;
  GatingRun& operator=(GatingRun&&) noexcept;

  // Events [first_event, first_event + count): first_event a multiple of 64, and count too
  // unless the run ends at the last event.
  void evaluate(std::size_t first_event, std::size_t count);
  GatingResults finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Whether GatingRun can gate the strategy's events while they are decoded: no dimension reads
// compensated values.
bool gates_while_decoding(const GatingStrategy& strategy);

// The values of one dimension for every event (compensated, ratio'd, scaled and bounded as the
// dimension says), e.g. for statistics on transformed values. `strategy` supplies named matrices.
std::vector<double> dimension_values(const GatingStrategy& strategy, const fcs::Sample& sample,
                                     const Dimension& dimension);

}  // namespace cytopipe::gating
