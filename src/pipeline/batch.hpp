#pragma once
// The bounded parallel loop over files: a tbb::parallel_pipeline whose token count is the number
// of files in flight, so memory is bounded by that and not by the batch size.
#include <tbb/parallel_pipeline.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace cytopipe::pipeline::detail {

// Files done / total, events per second and ETA: a redrawn bar on a terminal, plain lines
// (about every 5 %) otherwise.
class Progress {
 public:
  Progress(std::ostream* out, bool terminal, std::string label, std::size_t total);
  void file_done(std::size_t events);
  void finish();

 private:
  std::ostream* out_;
  bool terminal_;
  std::string label_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t events_ = 0;
  std::size_t next_line_ = 1;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Calls work(i) for i in [0, count) on up to `in_flight` items at once, and consume(i, result)
// serially in index order. consume returns false to stop the batch (fail-fast): no new item is
// started after that.
template <class Result>
void run_batch(std::size_t count, std::size_t in_flight, const std::function<Result(std::size_t)>& work,
               const std::function<bool(std::size_t, Result&&)>& consume) {
  if (count == 0) return;
  std::size_t next = 0;
  std::atomic<bool> stop{false};
  struct Item {
    std::size_t index = 0;
    std::optional<Result> result;
  };
  tbb::parallel_pipeline(
      in_flight == 0 ? 1 : in_flight,
      tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order,
                                          [&](tbb::flow_control& fc) -> std::size_t {
                                            if (next >= count || stop.load()) {
                                              fc.stop();
                                              return 0;
                                            }
                                            return next++;
                                          }) &
          tbb::make_filter<std::size_t, Item>(tbb::filter_mode::parallel,
                                              [&](std::size_t i) {
                                                Item item;
                                                item.index = i;
                                                if (!stop.load()) item.result.emplace(work(i));
                                                return item;
                                              }) &
          tbb::make_filter<Item, void>(tbb::filter_mode::serial_in_order, [&](Item item) {
            if (!item.result || stop.load()) return;
            if (!consume(item.index, std::move(*item.result))) stop.store(true);
          }));
}

}  // namespace cytopipe::pipeline::detail
