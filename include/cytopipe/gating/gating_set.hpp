#pragma once
// One strategy over many samples (cf. FlowKit's Session, cytolib's GatingSet): the shared
// strategy, the gates that differ per sample (today thresholds placed on control samples;
// data-driven gates would be added the same way), and gating over files with a bounded number
// of samples in memory, results handed over per sample in sample order.
#include <tbb/parallel_pipeline.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

// A positivity threshold placed on control samples: population `name` holds the events of
// `parent` whose `channel` value is at least the `percentile`-th percentile (type 7) of the
// `parent` events' `channel` values pooled over the controls. Which samples are the controls of
// which others is the caller's business (sample metadata).
struct ControlThreshold {
  std::string name;
  std::string parent;
  std::string channel;
  double percentile = 0;

  // What one control contributes: the channel's values of the parent's events, in event order.
  // An Error names the channel or population when the sample lacks it.
  std::vector<double> control_values(const fcs::Sample& control, const GatingResults& gated) const;
  // The control_percentile finder this threshold is.
  FinderSpec finder() const;
  // The threshold from the values pooled over every control (by the control_percentile finder;
  // non-finite values are left out). Empty is an Error.
  double place(std::vector<double>& pooled) const;
  // The gate a threshold placed at `value` is: a range [value, +inf) on the channel, under parent.
  GateNode gate(double value) const;
};

// The number of samples in flight for `requested` (0 = one per thread of the current arena).
std::size_t in_flight_for(std::size_t requested);

// The bounded loop over samples: calls work(i) for i in [0, count), at most `in_flight` at once
// (TBB), and consume(i, result) serially in index order as soon as item i and every earlier one
// are done. So at most `in_flight` results (and whatever work holds) are alive at once, however
// many samples there are. consume returns false to stop: no item starts after that. An
// exception from work or consume propagates (the other items are cancelled).
template <class Result>
void stream_samples(std::size_t count, std::size_t in_flight, const std::function<Result(std::size_t)>& work,
                    const std::function<bool(std::size_t, Result&&)>& consume) {
  if (count == 0) return;
  std::size_t next = 0;
  std::atomic<bool> stop{false};
  const std::size_t tokens = std::min(in_flight_for(in_flight), count);  // no more slots than samples
  // Results wait in slots owned here, not in the items the filters pass on: TBB does not destroy
  // the items a cancelled pipeline holds, so an exception from one sample leaked the results of
  // the others in flight. At most `tokens` items are alive and the last filter takes them in index
  // order, so the indices alive at once are distinct modulo `tokens`.
  std::vector<std::optional<Result>> slots(tokens);
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) -> std::size_t {
                                            if (next >= count || stop.load()) {
                                              fc.stop();
                                              return 0;
                                            }
                                            return next++;
                                          }) &
          tbb::make_filter<std::size_t, std::size_t>(tbb::filter_mode::parallel,
                                                     [&](std::size_t i) {
                                                       if (!stop.load()) slots[i % tokens].emplace(work(i));
                                                       return i;
                                                     }) &
          tbb::make_filter<std::size_t, void>(tbb::filter_mode::serial_in_order, [&](std::size_t i) {
            std::optional<Result> result = std::exchange(slots[i % tokens], std::nullopt);
            if (!result || stop.load()) return;
            if (!consume(i, std::move(*result))) stop.store(true);
          }));
}

class GatingSet {
 public:
  GatingSet() = default;
  GatingSet(GatingStrategy strategy, std::size_t samples);

  const GatingStrategy& strategy() const noexcept { return strategy_; }
  std::size_t size() const noexcept { return sample_gates_.size(); }

  // A gate of sample `sample` only, under any population of the shared strategy or of the
  // sample's earlier gates (checked when the sample's strategy is built).
  void add_sample_gate(std::size_t sample, GateNode gate);
  const std::vector<GateNode>& sample_gates(std::size_t sample) const;
  // The strategy sample `sample` is gated with: the shared one plus its own gates.
  GatingStrategy strategy_for(std::size_t sample) const;

  // stream_samples over this set's samples.
  template <class Result>
  void stream(std::size_t in_flight, const std::function<Result(std::size_t)>& work,
              const std::function<bool(std::size_t, Result&&)>& consume) const {
    stream_samples<Result>(size(), in_flight, work, consume);
  }

  // The plain case: load(i) reads sample i (the event matrices and membership bitsets of
  // finished samples are recycled for the next ones), it is gated with strategy_for(i) (in
  // parallel over blocks of events when `parallel_within_sample`; finders placed on it first),
  // and consume gets both.
  struct Gated {
    fcs::Sample sample;
    GatingResults results;
  };
  void gate(std::size_t in_flight, bool parallel_within_sample,
            const std::function<fcs::Sample(std::size_t)>& load,
            const std::function<bool(std::size_t, Gated&&)>& consume) const;

 private:
  GatingStrategy strategy_;
  std::vector<std::vector<GateNode>> sample_gates_;
};


}  // namespace cytopipe::gating
