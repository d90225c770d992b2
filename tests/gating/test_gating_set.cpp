// GatingSet: per-sample gates on a shared strategy, thresholds placed on control samples, and the
// bounded loop over samples (order, bound on samples held, stopping).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "cytopipe/gating/gating_set.hpp"
#include "gating/synthetic.hpp"

namespace {

using namespace cytopipe::gating;
using cytopipe::gating::test::make_sample;

Dimension dim(std::string channel) {
  Dimension d;
  d.channel = std::move(channel);
  return d;
}

GatingStrategy cells_strategy() {
  GatingStrategy s;
  s.add({"cells", "", RectangleGate{{dim("FSC")}, {Interval{10.0, std::nullopt}}}, {}});
  return s;
}

// FSC 0..99, PE = 1000 - 10 * FSC (so PE falls as FSC rises).
cytopipe::fcs::Sample ramp(std::string name) {
  std::vector<double> fsc, pe;
  for (int i = 0; i < 100; ++i) {
    fsc.push_back(i);
    pe.push_back(1000 - 10.0 * i);
  }
  return make_sample({{"FSC", fsc}, {"PE", pe}}, std::move(name));
}

TEST(ControlThreshold, PoolsParentValuesAndPlacesTheType7Percentile) {
  const ControlThreshold t{"PE+", "cells", "PE", 90};
  const auto control = ramp("control.fcs");
  const auto gated = gate_sample(cells_strategy(), control);
  auto values = t.control_values(control, gated);
  // The parent (cells: FSC >= 10) holds FSC 10..99, PE 900 down to 10, in event order.
  ASSERT_EQ(values.size(), 90u);
  EXPECT_EQ(values.front(), 900);
  EXPECT_EQ(values.back(), 10);
  // Pooled over two controls: 180 values, type 7 at h = 179 * 0.9 = 161.1 of the sorted values
  // 10,10,20,20,...,900,900 (the k-th, 0-based, is 10 (k / 2 + 1)): 810 + 0.1 (820 - 810).
  auto pooled = values;
  pooled.insert(pooled.end(), values.begin(), values.end());
  EXPECT_DOUBLE_EQ(t.place(pooled), 811);
  std::vector<double> none;
  EXPECT_THROW(t.place(none), cytopipe::Error);

  const GateNode node = t.gate(820);
  EXPECT_EQ(node.id, "PE+");
  EXPECT_EQ(node.parent, "cells");
  const auto& range = std::get<RectangleGate>(node.gate);
  ASSERT_EQ(range.dimensions.size(), 1u);
  EXPECT_EQ(range.dimensions[0].channel, "PE");
  EXPECT_EQ(range.intervals[0], (Interval{820.0, std::nullopt}));
}

TEST(GatingSet, SampleGatesApplyToTheirSampleOnly) {
  GatingSet set(cells_strategy(), 3);
  const ControlThreshold t{"PE+", "cells", "PE", 50};
  set.add_sample_gate(1, t.gate(500));
  set.add_sample_gate(2, t.gate(905));
  EXPECT_TRUE(set.sample_gates(0).empty());
  EXPECT_EQ(set.strategy_for(0).gates().size(), 1u);
  EXPECT_EQ(set.strategy_for(1).gates().size(), 2u);
  EXPECT_THROW(set.add_sample_gate(3, t.gate(1)), cytopipe::Error);

  std::vector<std::size_t> order, positives;
  set.gate(
      2, true, [&](std::size_t i) { return ramp("s" + std::to_string(i)); },
      [&](std::size_t i, GatingSet::Gated&& g) {
        order.push_back(i);
        EXPECT_EQ(g.sample.source, "s" + std::to_string(i));
        EXPECT_EQ(g.results.count("cells"), 90u);
        const auto* pos = g.results.find("PE+");
        positives.push_back(pos ? pos->count : 999);
        return true;
      });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
  // Sample 1: cells with PE >= 500 are FSC 10..50 (41 events); sample 2: PE >= 905, none.
  EXPECT_EQ(positives, (std::vector<std::size_t>{999, 41, 0}));
}

TEST(GatingSet, StreamHoldsAtMostInFlightAndConsumesInOrder) {
  constexpr std::size_t kSamples = 40, kInFlight = 3;
  std::atomic<std::size_t> alive{0}, peak{0};
  std::vector<std::size_t> order;
  stream_samples<std::size_t>(
      kSamples, kInFlight,
      [&](std::size_t i) {
        const std::size_t now = ++alive;
        std::size_t seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        // Later samples finish first, so the in-order hand-over has to wait for earlier ones.
        std::this_thread::sleep_for(std::chrono::microseconds(200 * ((kSamples - i) % 4)));
        return i;
      },
      [&](std::size_t i, std::size_t&& result) {
        EXPECT_EQ(i, result);
        order.push_back(i);
        --alive;
        return true;
      });
  ASSERT_EQ(order.size(), kSamples);
  for (std::size_t i = 0; i < kSamples; ++i) EXPECT_EQ(order[i], i);
  EXPECT_LE(peak.load(), kInFlight);
  EXPECT_GE(peak.load(), 1u);
}

TEST(GatingSet, StreamStopsWhenConsumeSaysSo) {
  std::atomic<std::size_t> started{0};
  std::vector<std::size_t> consumed;
  stream_samples<int>(
      100, 2,
      [&](std::size_t) {
        ++started;
        return 0;
      },
      [&](std::size_t i, int&&) {
        consumed.push_back(i);
        return i < 4;  // stop after sample 4
      });
  EXPECT_EQ(consumed, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_LE(started.load(), 4u + 1u + 2u);  // at most the in-flight ones beyond the stop
}

// A result that counts its live copies.
struct Counted {
  static inline std::atomic<int> alive{0};
  explicit Counted(std::size_t i) : index(i) { ++alive; }
  Counted(const Counted& o) : index(o.index) { ++alive; }
  Counted(Counted&& o) noexcept : index(o.index) { ++alive; }
  Counted& operator=(const Counted&) = default;
  Counted& operator=(Counted&&) noexcept = default;
  ~Counted() { --alive; }
  std::size_t index;
};

// An exception from one sample cancels the others; every result made by then, consumed or not,
// is destroyed (TBB leaves the items of a cancelled pipeline undestroyed, so results must not
// wait in them).
TEST(GatingSet, StreamDestroysEveryResultWhenASampleThrows) {
  for (std::size_t in_flight : {std::size_t{2}, std::size_t{4}, std::size_t{64}}) {
    Counted::alive = 0;
    std::atomic<std::size_t> made{0};
    std::vector<std::size_t> consumed;
    EXPECT_THROW(stream_samples<Counted>(
                     12, in_flight,
                     [&](std::size_t i) {
                       // Sample 5 waits, so later ones finish and wait for it to be consumed.
                       if (i == 5) {
                         std::this_thread::sleep_for(std::chrono::milliseconds(20));
                         throw std::runtime_error("sample 5 is bad");
                       }
                       ++made;
                       return Counted(i);
                     },
                     [&](std::size_t i, Counted&& c) {
                       EXPECT_EQ(c.index, i);
                       consumed.push_back(i);
                       return true;
                     }),
                 std::runtime_error);
    EXPECT_EQ(Counted::alive.load(), 0) << in_flight << " in flight, " << made.load() << " made";
    ASSERT_LE(consumed.size(), 5u) << in_flight << " in flight";  // none after the bad sample
    for (std::size_t i = 0; i < consumed.size(); ++i) EXPECT_EQ(consumed[i], i);
  }
}

TEST(GatingSet, AnErrorInOneSampleReachesTheCaller) {
  GatingSet set(cells_strategy(), 4);
  EXPECT_THROW(set.gate(
                   2, false,
                   [&](std::size_t i) {
                     if (i == 2) return make_sample({{"SSC", {1, 2, 3}}}, "no_fsc.fcs");
                     return ramp("s" + std::to_string(i));
                   },
                   [](std::size_t, GatingSet::Gated&&) { return true; }),
               cytopipe::Error);
}

}  // namespace
