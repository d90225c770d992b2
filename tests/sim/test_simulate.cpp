// The simulated events against the design's numbers and against an independent compensation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "cytopipe/sim/simulate.hpp"
#include "sim_test_support.hpp"

namespace cytopipe::sim {
namespace {

const Design& design() {
  static const Design d = test::committed_design();
  return d;
}

const Tube& tube(const std::vector<Tube>& tubes, const std::string& file) {
  for (const auto& t : tubes)
    if (t.file == file) return t;
  throw std::runtime_error("no tube " + file);
}

double truth_of(const Truth& truth, const std::string& q) {
  for (const auto& [name, v] : truth)
    if (name == q) return v;
  return NAN;
}

// Compensated fluorescence (events x 8) with the file's own spillover, inverted independently.
std::vector<std::array<double, kFluorescence>> compensate(const SimulatedSample& s) {
  std::vector<std::vector<double>> spill(kFluorescence, std::vector<double>(kFluorescence));
  const auto& sp = *s.sample.spillover;
  for (std::size_t i = 0; i < kFluorescence; ++i)
    for (std::size_t j = 0; j < kFluorescence; ++j) spill[i][j] = sp.at(i, j);
  const auto inv = test::invert(spill);
  std::vector<std::array<double, kFluorescence>> out(s.sample.event_count());
  for (std::size_t e = 0; e < out.size(); ++e)
    for (std::size_t d = 0; d < kFluorescence; ++d) {
      double v = 0;
      for (std::size_t k = 0; k < kFluorescence; ++k)
        v += s.sample.events.column(s.sample.channel_index(sp.detectors[k]))[e] * inv[k][d];
      out[e][d] = v;
    }
  return out;
}

TEST(SimPlan, TubesFollowTheFig3AndKineticsDesign) {
  const auto tubes = plan_tubes(design());
  std::map<std::string, int> per_experiment;
  std::set<std::string> names;
  for (const auto& t : tubes) {
    ++per_experiment[t.experiment + "/" + t.role];
    EXPECT_TRUE(names.insert(t.file).second) << "duplicate " << t.file;
  }
  EXPECT_EQ(per_experiment["tcell_viability/sample"], 2 * 4 * 3);
  EXPECT_EQ(per_experiment["tumour_bcma/sample"], 2 * 4 * 3);
  EXPECT_EQ(per_experiment["tumour_bcma/isotype"], 2 * 4);
  EXPECT_EQ(per_experiment["coculture/sample"], 2 * 4 * 3);
  EXPECT_EQ(per_experiment["coculture/target-only"], 2 * 4 * 3);
  EXPECT_EQ(per_experiment["car_kinetics/sample"], 2 * 9 + 1);
  const auto& pe = tube(tubes, "car_P1_day14_pleural_effusion.fcs");
  EXPECT_EQ(pe.tissue, "pleural_effusion");
  EXPECT_EQ(pe.day, 14);
  const auto& cc = tube(tubes, "cocult_U266_50nM_target-only_r2.fcs");
  EXPECT_EQ(cc.role, "target-only");
  EXPECT_EQ(cc.beads, 20000);
  // Acquisition times never overlap and follow the planned order.
  for (std::size_t i = 1; i < tubes.size(); ++i)
    EXPECT_GT(tubes[i].start_seconds, tubes[i - 1].start_seconds +
                                          tubes[i - 1].events / design().instrument.events_per_second);
}

TEST(SimTube, SameDesignSameEventsAndLabels) {
  const auto tubes = plan_tubes(design());
  const auto& t = tube(tubes, "bcma_MM1S_25nM_r2.fcs");
  const auto a = simulate_tube(design(), t);
  const auto b = simulate_tube(design(), t);
  ASSERT_EQ(a.sample.event_count(), t.events);
  for (std::size_t c = 0; c < a.sample.channels.size(); ++c)
    for (std::size_t e = 0; e < t.events; ++e)
      ASSERT_EQ(a.sample.events.column(c)[e], b.sample.events.column(c)[e]);
  EXPECT_EQ(a.labels.cls, b.labels.cls);
  EXPECT_EQ(a.labels.positive, b.labels.positive);

  Design other = design();
  other.seed += 1;
  const auto c = simulate_tube(other, t);
  EXPECT_NE(a.sample.events.column(0)[0], c.sample.events.column(0)[0]);
}

TEST(SimTube, ChannelsKeywordsAndFloat32Values) {
  const auto tubes = plan_tubes(design());
  const auto& t = tube(tubes, "bcma_U266_100nM_isotype.fcs");
  const auto s = simulate_tube(design(), t);
  const auto& sample = s.sample;
  std::vector<std::string> names;
  for (const auto& c : sample.channels) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"FSC-A", "FSC-H", "SSC-A", "SSC-H", "FITC-A", "PE-A",
                                             "PerCP-Cy5-5-A", "PE-Cy7-A", "APC-A", "APC-Cy7-A",
                                             "BV421-A", "BV510-A", "Time"}));
  EXPECT_EQ(sample.channels[5].marker, "IgG1 isotype");
  EXPECT_EQ(sample.channels[9].marker, "Viability");
  for (const char* k : {"$CYT", "$DATE", "$BTIM", "$ETIM", "$SRC", "TUBE NAME", "$WELLID", "$SPILLOVER", "$TIMESTEP"})
    EXPECT_TRUE(sample.keywords.contains(k)) << k;
  EXPECT_EQ(*sample.keywords.find("$DATE"), "11-JUN-2024");
  EXPECT_EQ(*sample.keywords.find("$SRC"), "U266");
  EXPECT_EQ(std::string(*sample.keywords.find("$BTIM")).size(), 8u);
  EXPECT_LT(*sample.keywords.find("$BTIM"), *sample.keywords.find("$ETIM"));
  for (std::size_t c = 0; c < sample.channels.size(); ++c)
    for (double v : sample.events.column(c)) {
      ASSERT_EQ(v, static_cast<double>(static_cast<float>(v)));  // representable in float32
      ASSERT_LE(v, 262143.0);
    }
  const auto time = sample.values("Time");
  EXPECT_TRUE(std::is_sorted(time.begin(), time.end()));
  // Acquisition rate as designed: events / (last time * timestep) ~ events_per_second.
  const double rate = static_cast<double>(t.events) / (time.back() * 0.01);
  EXPECT_NEAR(rate, design().instrument.events_per_second, 0.06 * design().instrument.events_per_second);
}

TEST(SimTube, SpilloverIsAppliedAndCompensationRecoversTheTruth) {
  const auto tubes = plan_tubes(design());
  const auto s = simulate_tube(design(), tube(tubes, "tcell_CAR-T_0nM_r1.fcs"));
  const auto comp = compensate(s);
  // CAR+ (FITC-bright) live single cells: raw PE-A = true PE + 22 % of FITC + the other
  // fluorochromes' smaller spills + noise; compensated PE-A is the true PE + noise.
  const auto& spill = design().instrument.spillover;
  std::vector<double> fitc_share, comp_error, pe_negative_comp;
  for (std::size_t e = 0; e < comp.size(); ++e) {
    if (s.labels.cls[e] != EventClass::Live || !s.labels.is_positive(e, CAR)) continue;
    const double fitc = s.fluorescence.column(CAR)[e];
    const double pe_true = s.fluorescence.column(BCMA)[e];
    double others = 0;
    for (std::size_t f = 2; f < kFluorescence; ++f) others += s.fluorescence.column(f)[e] * spill[f][BCMA];
    fitc_share.push_back((s.sample.values("PE-A")[e] - pe_true - others) / fitc);
    comp_error.push_back(comp[e][BCMA] - pe_true);
    pe_negative_comp.push_back(comp[e][BCMA]);
  }
  ASSERT_GT(fitc_share.size(), 300u);
  EXPECT_NEAR(test::mean(fitc_share), 0.22, 0.01);
  EXPECT_NEAR(test::mean(comp_error), 0.0, 25.0);  // zero-mean detector noise
  // Compensated BCMA-negative T cells spread below zero, as real compensated data do.
  const auto below = std::count_if(pe_negative_comp.begin(), pe_negative_comp.end(), [](double v) { return v < 0; });
  EXPECT_GT(static_cast<double>(below) / pe_negative_comp.size(), 0.05);
}

TEST(SimTube, LabelledPopulationsLookAsDesigned) {
  const auto tubes = plan_tubes(design());
  const auto s = simulate_tube(design(), tube(tubes, "bcma_MM1S_0nM_r1.fcs"));
  const auto fsc_a = s.sample.values("FSC-A");
  const auto fsc_h = s.sample.values("FSC-H");
  const auto dye = s.sample.values("APC-Cy7-A");
  std::map<EventClass, std::vector<double>> ratio, size, viability;
  for (std::size_t e = 0; e < fsc_a.size(); ++e) {
    ratio[s.labels.cls[e]].push_back(fsc_a[e] / fsc_h[e]);
    size[s.labels.cls[e]].push_back(fsc_a[e]);
    viability[s.labels.cls[e]].push_back(dye[e]);
  }
  const double n = static_cast<double>(fsc_a.size());
  EXPECT_NEAR(size[EventClass::Debris].size() / n, 0.09, 0.02);
  // Doublets sit off the FSC-A/FSC-H diagonal; debris near the origin; dead cells smaller and dye-bright.
  EXPECT_GT(test::mean(ratio[EventClass::Doublet]), 1.6 * test::mean(ratio[EventClass::Live]));
  EXPECT_LT(test::mean(size[EventClass::Debris]), 0.2 * test::mean(size[EventClass::Live]));
  EXPECT_LT(test::mean(size[EventClass::Dead]), 0.75 * test::mean(size[EventClass::Live]));
  EXPECT_GT(test::mean(viability[EventClass::Dead]), 20 * test::mean(viability[EventClass::Live]));
  const double live = size[EventClass::Live].size(), dead = size[EventClass::Dead].size();
  EXPECT_NEAR(100 * live / (live + dead), 86, 7);  // design viability 86 % +- replicate SD and sampling
}

TEST(SimTruth, MatchesAnIndependentCountOfTheLabels) {
  const auto tubes = plan_tubes(design());
  const auto& t = tube(tubes, "car_P2_day14.fcs");
  const auto s = simulate_tube(design(), t);
  const Truth truth = file_truth(s, t);
  std::size_t live = 0, singles = 0, cd3 = 0, car = 0;
  double sum_cd45 = 0;
  for (std::size_t e = 0; e < s.labels.cls.size(); ++e) {
    const auto c = s.labels.cls[e];
    if (c == EventClass::Live || c == EventClass::Dead) ++singles;
    if (c != EventClass::Live) continue;
    ++live;
    sum_cd45 += s.fluorescence.column(CD45)[e];
    if (s.labels.role[e] == CellRole::TCell) {
      ++cd3;
      car += s.labels.is_positive(e, CAR);
    }
  }
  EXPECT_NEAR(truth_of(truth, "viability_pct"), 100.0 * live / singles, 1e-9);
  EXPECT_NEAR(truth_of(truth, "cd3_pct"), 100.0 * cd3 / live, 1e-9);
  EXPECT_NEAR(truth_of(truth, "car_pos_pct_of_cd3"), 100.0 * car / cd3, 1e-9);
  EXPECT_NEAR(truth_of(truth, "mean_BV510-A"), sum_cd45 / live, 1e-6);
  // And near the design: P2 day 14 = 36 % CAR+ of CD3+, 55 % CD3+.
  EXPECT_NEAR(truth_of(truth, "car_pos_pct_of_cd3"), 36, 6);
  EXPECT_NEAR(truth_of(truth, "cd3_pct"), 55, 6);
}

// Truth of every file of an experiment, grouped by "line dose".
std::map<std::string, std::vector<Truth>> experiment_truth(const std::string& experiment, const std::string& role) {
  auto tubes = plan_tubes(design());
  std::vector<Truth> truths;
  std::vector<Tube> kept;
  for (const auto& t : tubes) {
    if (t.experiment != experiment) continue;
    kept.push_back(t);
    truths.push_back(file_truth(simulate_tube(design(), t), t));
  }
  add_cytotoxicity(kept, truths);
  std::map<std::string, std::vector<Truth>> out;
  for (std::size_t i = 0; i < kept.size(); ++i)
    if (kept[i].role == role) out[kept[i].cell_line + " " + std::to_string(static_cast<int>(*kept[i].dose_nM))].push_back(truths[i]);
  return out;
}

double group_mean(const std::vector<Truth>& group, const std::string& q) {
  std::vector<double> v;
  for (const auto& t : group) v.push_back(truth_of(t, q));
  return test::mean(v);
}

TEST(SimEffects, BcmaRateRisesClearlyWhileMfiAndViabilityStayFlat) {
  const auto g = experiment_truth("tumour_bcma", "sample");
  for (const std::string line : {"MM1S", "U266"}) {
    const auto& low = g.at(line + " 0");
    const auto& high = g.at(line + " 100");
    EXPECT_GT(group_mean(high, "bcma_pos_pct") - group_mean(low, "bcma_pos_pct"), 20) << line;
    const double mfi_change = group_mean(high, "bcma_mean") / group_mean(low, "bcma_mean") - 1;
    EXPECT_GT(mfi_change, -0.05) << line;
    EXPECT_LT(mfi_change, 0.15) << line;
    EXPECT_NEAR(group_mean(high, "viability_pct"), group_mean(low, "viability_pct"), 5) << line;
  }
  EXPECT_NEAR(group_mean(g.at("MM1S 0"), "bcma_pos_pct"), 55, 5);
  EXPECT_NEAR(group_mean(g.at("U266 100"), "bcma_pos_pct"), 70, 5);
}

TEST(SimEffects, IsotypeThresholdSeparatesBcmaPositives) {
  const auto tubes = plan_tubes(design());
  for (const std::string line : {"MM1S", "U266"}) {
    const auto iso = simulate_tube(design(), tube(tubes, "bcma_" + line + "_50nM_isotype.fcs"));
    const auto sample_tube = tube(tubes, "bcma_" + line + "_50nM_r1.fcs");
    const auto stained = simulate_tube(design(), sample_tube);
    // Threshold at the 98th percentile of compensated PE-A over the isotype's live single cells.
    std::vector<double> control;
    const auto ci = compensate(iso);
    for (std::size_t e = 0; e < ci.size(); ++e)
      if (iso.labels.cls[e] == EventClass::Live) control.push_back(ci[e][BCMA]);
    std::sort(control.begin(), control.end());
    const double threshold = control[static_cast<std::size_t>(0.98 * control.size())];
    const auto cs = compensate(stained);
    std::size_t live = 0, above = 0;
    for (std::size_t e = 0; e < cs.size(); ++e)
      if (stained.labels.cls[e] == EventClass::Live) {
        ++live;
        above += cs[e][BCMA] > threshold;
      }
    const double measured = 100.0 * above / live;
    const double truth = truth_of(file_truth(stained, sample_tube), "bcma_pos_pct");
    EXPECT_NEAR(measured, truth, 4) << line;
  }
}

TEST(SimEffects, KillingRisesWithDoseAndBothFormulasAgreeInDirection) {
  const auto g = experiment_truth("coculture", "sample");
  for (const std::string line : {"MM1S", "U266"}) {
    double previous_kill = -100, previous_lysis = -100;
    for (int dose : {0, 25, 50, 100}) {
      const auto& group = g.at(line + " " + std::to_string(dose));
      const double kill = group_mean(group, "killing_pct");
      const double lysis = group_mean(group, "specific_lysis_pct");
      EXPECT_GT(kill, previous_kill) << line << " " << dose;
      EXPECT_GT(lysis, previous_lysis) << line << " " << dose;
      previous_kill = kill;
      previous_lysis = lysis;
    }
    EXPECT_GT(group_mean(g.at(line + " 100"), "killing_pct") - group_mean(g.at(line + " 0"), "killing_pct"), 15) << line;
  }
  // Count-based killing recovers the design's killing fraction (MM1S 100 nM: 62 %).
  EXPECT_NEAR(group_mean(g.at("MM1S 100"), "killing_pct"), 62, 10);
}

TEST(SimEffects, CarKineticsPeaksAndDayZeroIsNegative) {
  const auto tubes = plan_tubes(design());
  auto car = [&](const std::string& file) {
    const auto& t = tube(tubes, file);
    return truth_of(file_truth(simulate_tube(design(), t), t), "car_pos_pct_of_cd3");
  };
  EXPECT_EQ(car("car_P1_day00.fcs"), 0.0);
  EXPECT_GT(car("car_P1_day14.fcs"), car("car_P1_day04.fcs") + 20);
  EXPECT_GT(car("car_P1_day14.fcs"), car("car_P1_day60.fcs") + 20);
  EXPECT_NEAR(car("car_P1_day14_pleural_effusion.fcs"), 95, 3);
}

}  // namespace
}  // namespace cytopipe::sim
