// Acquisition QC against simulated acquisitions whose bad stretches are known event by event
// (a clog, a shifted channel), degenerate inputs, and the real corpus files with a Time channel.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/transform/acquisition_qc.hpp"
#include "support/shared_data.hpp"

namespace ct = cytopipe::transform;
namespace fcs = cytopipe::fcs;

namespace {

// A stretch of the acquisition [from, to) seconds with its own event rate and channel factor.
struct Stretch {
  double from = 0, to = 0;
  double rate = 1000;       // events per second
  double shift = 1;         // factor on channel "PE-A"
};

struct Acquisition {
  fcs::Sample sample;
  std::vector<bool> bad;    // per event: inside a stretch that is not the normal acquisition
};

// Poisson arrivals at 1000/s for `seconds` (Time in 0.01 s units), except in the stretches;
// FSC-A and PE-A lognormal, PE-A multiplied by a stretch's shift.
Acquisition acquire(double seconds, const std::vector<Stretch>& stretches, unsigned seed = 7,
                    double timestep = 0.01) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> time, fsc, pe;
  std::vector<bool> bad;
  double t = 0;
  while (true) {
    const Stretch* in = nullptr;
    for (const auto& s : stretches)
      if (t >= s.from && t < s.to) in = &s;
    const double rate = in ? in->rate : 1000;
    // The next arrival at this rate; if it falls past the stretch's edge, restart at the edge
    // (arrivals are memoryless).
    double next = t + std::exponential_distribution<double>(rate)(rng);
    double edge = seconds;
    for (const auto& s : stretches) {
      if (s.from > t && s.from < edge) edge = s.from;
      if (s.to > t && s.to < edge) edge = s.to;
    }
    if (next >= edge) {
      if (edge >= seconds) break;
      t = edge;
      continue;
    }
    t = next;
    time.push_back(t / timestep);
    fsc.push_back(60000 * std::exp(0.15 * normal(rng)));
    pe.push_back(5000 * std::exp(0.4 * normal(rng)) * (in ? in->shift : 1));
    bad.push_back(in != nullptr);
  }
  Acquisition a;
  a.bad = bad;
  auto& s = a.sample;
  s.source = "simulated.fcs";
  const char* names[] = {"FSC-A", "PE-A", "Time"};
  for (int c = 0; c < 3; ++c) {
    fcs::Channel ch;
    ch.index = c + 1;
    ch.name = names[c];
    s.channels.push_back(ch);
  }
  s.keywords.set("$TIMESTEP", std::to_string(timestep));
  s.events = fcs::EventMatrix(time.size(), 3);
  std::copy(fsc.begin(), fsc.end(), s.events.column(0).begin());
  std::copy(pe.begin(), pe.end(), s.events.column(1).begin());
  std::copy(time.begin(), time.end(), s.events.column(2).begin());
  return a;
}

struct Score {
  double bad_caught = 0;    // fraction of bad events in flagged bins
  double good_lost = 0;     // fraction of good events in flagged bins
};

Score score(const ct::AcquisitionQc& qc, const std::vector<bool>& bad) {
  std::size_t bad_total = 0, good_total = 0, bad_flagged = 0, good_flagged = 0;
  for (bool b : bad) (b ? bad_total : good_total)++;
  for (const auto& bin : qc.bins) {
    if (!bin.flagged()) continue;
    for (std::size_t i = bin.first_event; i < bin.first_event + bin.events; ++i) (bad[i] ? bad_flagged : good_flagged)++;
  }
  return {bad_total ? static_cast<double>(bad_flagged) / static_cast<double>(bad_total) : 1.0,
          static_cast<double>(good_flagged) / static_cast<double>(good_total)};
}

ct::QcOptions with_pe() {
  ct::QcOptions o;
  o.channels = {"FSC-A", "PE-A"};
  return o;
}

}  // namespace

TEST(AcquisitionQc, StableAcquisitionPasses) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const auto a = acquire(60, {}, seed);
    const auto qc = ct::check_acquisition(a.sample, with_pe());
    EXPECT_EQ(qc.verdict, ct::QcVerdict::Pass) << "seed " << seed << ": " << qc.reason;
    EXPECT_EQ(qc.time_channel, "Time");
    EXPECT_TRUE(qc.timestep_known);
    // The typical rate is the simulated 1000 events/s, within the Poisson error of a median bin.
    EXPECT_NEAR(qc.typical_rate, 1000, 30);
    EXPECT_NEAR(qc.bins.back().end, 60, 0.1);
  }
}

TEST(AcquisitionQc, ClogIsFlaggedWithItsEvents) {
  // The flow nearly stops for 8 s, then a burst as the clog clears.
  const auto a = acquire(60, {{20, 28, 15, 1}, {28, 29, 3000, 1}});
  const auto qc = ct::check_acquisition(a.sample, with_pe());
  ASSERT_EQ(qc.verdict, ct::QcVerdict::Flagged) << qc.reason;
  const auto s = score(qc, a.bad);
  EXPECT_GE(s.bad_caught, 0.95) << qc.reason;
  EXPECT_LE(s.good_lost, 0.02) << qc.reason;
  EXPECT_NE(qc.reason.find("flow rate"), std::string::npos) << qc.reason;
  EXPECT_EQ(qc.reason.find("drift"), std::string::npos) << qc.reason;
}

TEST(AcquisitionQc, ShiftedChannelIsFlaggedWithItsEvents) {
  // PE-A 60 % brighter from 35 to 47 s (a voltage step, a bubble in the sheath).
  const auto a = acquire(60, {{35, 47, 1000, 1.6}});
  const auto qc = ct::check_acquisition(a.sample, with_pe());
  ASSERT_EQ(qc.verdict, ct::QcVerdict::Flagged) << qc.reason;
  const auto s = score(qc, a.bad);
  EXPECT_GE(s.bad_caught, 0.95) << qc.reason;
  EXPECT_LE(s.good_lost, 0.02) << qc.reason;
  EXPECT_NE(qc.reason.find("drift of PE-A"), std::string::npos) << qc.reason;
  EXPECT_EQ(qc.reason.find("FSC-A"), std::string::npos) << qc.reason;
  // Without PE-A among the channels the shift is not seen (only the rate is checked).
  ct::QcOptions rate_only;
  EXPECT_EQ(ct::check_acquisition(a.sample, rate_only).verdict, ct::QcVerdict::Pass);
}

TEST(AcquisitionQc, ClogAndShiftTogetherWithBinWidthInSeconds) {
  const auto a = acquire(90, {{10, 16, 5, 1}, {50, 70, 1000, 0.6}}, 11);
  auto options = with_pe();
  options.bin_seconds = 0.5;
  const auto qc = ct::check_acquisition(a.sample, options);
  ASSERT_EQ(qc.verdict, ct::QcVerdict::Flagged) << qc.reason;
  EXPECT_EQ(qc.bins.size(), 180u);
  EXPECT_NEAR(qc.bins[1].start, 0.5, 0.01);
  const auto s = score(qc, a.bad);
  EXPECT_GE(s.bad_caught, 0.95) << qc.reason;
  EXPECT_LE(s.good_lost, 0.02) << qc.reason;
}

TEST(AcquisitionQc, RemoveFlaggedKeepsExactlyTheOtherBins) {
  auto a = acquire(60, {{20, 28, 15, 1}, {35, 47, 1000, 1.6}});
  auto qc = ct::check_acquisition(a.sample, with_pe());
  ASSERT_EQ(qc.verdict, ct::QcVerdict::Flagged);
  const std::size_t before = a.sample.event_count();
  // The kept events, independently: those of unflagged bins, in order.
  std::vector<double> expected_time;
  const auto time = a.sample.values("Time");
  for (const auto& b : qc.bins)
    if (!b.flagged()) expected_time.insert(expected_time.end(), time.begin() + b.first_event, time.begin() + b.first_event + b.events);
  ct::remove_flagged(a.sample, qc);
  EXPECT_EQ(qc.removed_events, qc.flagged_events);
  EXPECT_EQ(a.sample.event_count(), before - qc.flagged_events);
  const auto kept = a.sample.values("Time");
  ASSERT_EQ(kept.size(), expected_time.size());
  EXPECT_TRUE(std::equal(kept.begin(), kept.end(), expected_time.begin()));
  EXPECT_GT(qc.removed_fraction(), 0.15);  // 12 s of 60 shifted
  EXPECT_LT(qc.removed_fraction(), 0.25);
}

TEST(AcquisitionQc, MostlyUnstableFailsAndRemovesNothing) {
  // Clogged for 40 of 60 s: the slow stretch is the typical one, so the stable part is flagged
  // and more than half of the events would go.
  auto a = acquire(60, {{15, 55, 15, 1}});
  auto qc = ct::check_acquisition(a.sample, with_pe());
  EXPECT_EQ(qc.verdict, ct::QcVerdict::Fail) << qc.reason;
  EXPECT_NE(qc.reason.find("nothing removed"), std::string::npos) << qc.reason;
  EXPECT_GT(qc.flagged_fraction(), 0.9);
  const auto n = a.sample.event_count();
  ct::remove_flagged(a.sample, qc);
  EXPECT_EQ(a.sample.event_count(), n);
  EXPECT_EQ(qc.removed_events, 0u);
}

TEST(AcquisitionQc, CoarseClockGetsBinsOfWholeSteps) {
  // A clock of whole 0.1 s steps: bins of 10 steps, each holding the same number of steps, so a
  // stable acquisition passes.
  auto a = acquire(60, {}, 5);
  auto time = a.sample.events.column(2);
  for (auto& t : time) t = std::floor(t / 10) * 10;  // 0.01 s units -> 0.1 s steps
  ct::QcOptions options;
  options.bins = 150;  // 0.4 s wanted: 4 steps, raised to 10
  const auto qc = ct::check_acquisition(a.sample, options);
  EXPECT_EQ(qc.verdict, ct::QcVerdict::Pass) << qc.reason;
  EXPECT_EQ(qc.bins.size(), 60u);
  EXPECT_NEAR(qc.bins[0].end - qc.bins[0].start, 1.0, 1e-9);
  // Five steps in all: not enough for five bins of ten.
  std::vector<double> five;
  for (int i = 0; i < 20000; ++i) five.push_back(i / 4000);
  const auto coarse = ct::check_acquisition(five, std::nullopt, {});
  EXPECT_EQ(coarse.verdict, ct::QcVerdict::NotChecked);
  EXPECT_NE(coarse.reason.find("only 5 clock steps"), std::string::npos) << coarse.reason;
}

TEST(AcquisitionQc, DegenerateInputsGiveAVerdictNotACrash) {
  auto expect_not_checked = [](const ct::AcquisitionQc& qc, const std::string& words) {
    EXPECT_EQ(qc.verdict, ct::QcVerdict::NotChecked);
    EXPECT_NE(qc.reason.find(words), std::string::npos) << qc.reason;
    EXPECT_TRUE(qc.bins.empty());
    EXPECT_EQ(qc.flagged_events, 0u);
  };
  const std::vector<ct::QcChannel> none;
  std::vector<double> empty;
  expect_not_checked(ct::check_acquisition(empty, 0.01, none), "no events");

  std::vector<double> same(5000, 42.0);
  expect_not_checked(ct::check_acquisition(same, 0.01, none), "same Time");

  std::vector<double> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  expect_not_checked(ct::check_acquisition(ten, 0.01, none), "not checked: ");
  std::vector<double> ten_continuous;
  for (int i = 0; i < 9; ++i) ten_continuous.push_back(i);
  ten_continuous.push_back(8.00001);  // a fine clock
  ct::QcOptions fine;
  fine.bins = 5;
  expect_not_checked(ct::check_acquisition(ten_continuous, 0.01, none, fine), "fewer than 20 events per bin");

  std::vector<double> backwards(5000);
  for (std::size_t i = 0; i < backwards.size(); ++i) backwards[i] = static_cast<double>(i % 3000);
  expect_not_checked(ct::check_acquisition(backwards, 0.01, none), "goes backwards at event 3001");

  std::vector<double> with_nan(5000);
  for (std::size_t i = 0; i < with_nan.size(); ++i) with_nan[i] = static_cast<double>(i);
  with_nan[1234] = std::numeric_limits<double>::quiet_NaN();
  expect_not_checked(ct::check_acquisition(with_nan, 0.01, none), "not a finite number at event 1235");

  // Bins of 10 s over a 5 s acquisition: too few bins.
  std::vector<double> short_run(5000);
  for (std::size_t i = 0; i < short_run.size(); ++i) short_run[i] = static_cast<double>(i) * 0.1;  // 0.001 s apart
  ct::QcOptions wide;
  wide.bin_seconds = 10;
  expect_not_checked(ct::check_acquisition(short_run, 0.01, none, wide), "fewer than 5 bins");

  // A sample without a Time channel.
  auto a = acquire(10, {});
  fcs::Sample no_time;
  no_time.channels = {a.sample.channels[0], a.sample.channels[1]};
  no_time.events = fcs::EventMatrix(a.sample.event_count(), 2);
  expect_not_checked(ct::check_acquisition(no_time), "no Time channel");
  // A drift channel the sample lacks is an Error naming it.
  ct::QcOptions missing;
  missing.channels = {"CD99"};
  EXPECT_THROW(ct::check_acquisition(a.sample, missing), cytopipe::Error);
}

TEST(AcquisitionQc, NonFiniteChannelValuesAreLeftOut) {
  auto a = acquire(60, {{35, 47, 1000, 1.6}});
  // Every 7th PE-A value NaN and every 11th infinite: the shift is still found, nothing else.
  auto pe = a.sample.events.column(1);
  for (std::size_t i = 0; i < pe.size(); i += 7) pe[i] = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i = 3; i < pe.size(); i += 11) pe[i] = std::numeric_limits<double>::infinity();
  const auto qc = ct::check_acquisition(a.sample, with_pe());
  ASSERT_EQ(qc.verdict, ct::QcVerdict::Flagged) << qc.reason;
  const auto s = score(qc, a.bad);
  EXPECT_GE(s.bad_caught, 0.95);
  EXPECT_LE(s.good_lost, 0.02);
  // A channel with no finite value at all flags nothing and does not fail.
  for (auto& v : pe) v = std::numeric_limits<double>::quiet_NaN();
  const auto all_nan = ct::check_acquisition(a.sample, with_pe());
  EXPECT_EQ(all_nan.verdict, ct::QcVerdict::Pass) << all_nan.reason;
}

TEST(AcquisitionQc, TimeChannelIsFoundInAnyCaseAndTimestepIsHonoured) {
  auto a = acquire(30, {});
  a.sample.channels[2].name = "TIME";
  a.sample.keywords.erase("$TIMESTEP");
  auto qc = ct::check_acquisition(a.sample);
  EXPECT_EQ(qc.time_channel, "TIME");
  EXPECT_FALSE(qc.timestep_known);
  EXPECT_NEAR(qc.bins.back().end, 3000, 5);  // Time units (0.01 s each)
  EXPECT_NEAR(qc.typical_rate, 10, 0.5);     // events per unit
  a.sample.channels[2].name = "time";
  a.sample.keywords.set("$TIMESTEP", "0.01");
  qc = ct::check_acquisition(a.sample);
  EXPECT_TRUE(qc.timestep_known);
  EXPECT_NEAR(qc.bins.back().end, 30, 0.05);
  a.sample.channels[2].name = "Time MSW";
  EXPECT_EQ(ct::find_time_channel(a.sample), std::nullopt);
}

// Every corpus file with a Time channel that reads: the check runs without error, and the flagged
// share is plausible (a real acquisition is mostly stable).
TEST(AcquisitionQc, CorpusFilesWithTime) {
  CYTOPIPE_SHARED_OR_SKIP(manifest, "fcs_corpus/MANIFEST.tsv");
  std::ifstream in(manifest);
  std::string line;
  std::getline(in, line);
  std::size_t checked = 0, passed = 0;
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find('\t'));
    fcs::Sample sample;
    try {
      sample = fcs::read_fcs(manifest.parent_path() / name);
    } catch (const cytopipe::Error&) {
      continue;  // the corpus's unreadable files (their errors are tested in tests/fcs)
    }
    if (!ct::find_time_channel(sample)) continue;
    ct::QcOptions options;
    for (const char* scatter : {"FSC-A", "SSC-A", "FSC-H", "SSC-H", "FS", "SS", "FSC", "SSC"})
      if (sample.find_channel(scatter) && options.channels.size() < 2) options.channels.push_back(scatter);
    ct::AcquisitionQc qc;
    ASSERT_NO_THROW(qc = ct::check_acquisition(sample, options)) << name;
    std::cout << "[ corpus   ] " << name << ": " << sample.event_count() << " events, " << ct::to_string(qc.verdict)
              << ", flagged " << 100 * qc.flagged_fraction() << " %" << (qc.reason.empty() ? "" : ": ") << qc.reason
              << "\n";
    EXPECT_FALSE(qc.reason.empty() && qc.verdict != ct::QcVerdict::Pass) << name;
    if (qc.verdict != ct::QcVerdict::NotChecked) {
      ++checked;
      passed += qc.verdict == ct::QcVerdict::Pass;
      EXPECT_GT(qc.typical_rate, 0) << name;
      EXPECT_EQ(qc.bins.front().start, 0) << name;
      // Removing events is for a small part of an acquisition; more is a Fail that removes none.
      if (qc.verdict == ct::QcVerdict::Flagged) {
        EXPECT_LE(qc.flagged_fraction(), 0.25) << name << ": " << qc.reason;
      }
    }
  }
  EXPECT_GE(checked, 10u);
  EXPECT_GE(passed * 2, checked);  // most real acquisitions are stable
}

// The levels use a fast asinh; the bin level of a constant channel equals asinh(value / 150) to
// 1e-6 (independent: std::asinh).
TEST(AcquisitionQc, ChannelLevelIsTheMeanOfAsinh) {
  auto a = acquire(30, {});
  for (double v : {-500.0, 0.0, 3.7, 150.0, 2500.0, 261000.0}) {
    auto pe = a.sample.events.column(1);
    std::fill(pe.begin(), pe.end(), v);
    const auto qc = ct::check_acquisition(a.sample, with_pe());
    ASSERT_EQ(qc.drift.size(), 2u);
    for (double level : qc.drift[1].levels) ASSERT_NEAR(level, std::asinh(v / 150), 1e-6) << v;
    EXPECT_EQ(qc.drift[1].file_sd, 0.0);
  }
}
