#pragma once
// The tests and p-value adjustments the analysis knows, as values: one public list of names, so a
// config can be checked when it is read (with the known names and a "did you mean" in the
// message) instead of failing when the analysis runs.
//
//   const auto kind = stats::find_test("Dunnett");     // TestKind::dunnett (case-insensitive)
//   stats::name_of(stats::TestKind::trend_log);       // "trend-log"
//   stats::unknown_test_message("anovva", "anova");   // "unknown test 'anovva' (did you mean ...
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/stats/adjust.hpp"

namespace cytopipe::stats {

enum class TestKind {
  anova, welch, kruskal,
  dunnett, dunnett_greater, dunnett_less,
  tukey, dunn, pairwise_t,
  t_vs_control, welch_t_vs_control,  // each vs the control, adjusted over the control family
  t, welch_t, mann_whitney,
  trend, trend_log, jonckheere, hill,
  hill_control,  // 4PL with dose 0 as the low-dose asymptote
  shapiro, levene, brown_forsythe,
  two_way, two_way_i, two_way_iii,
  automatic,  // "auto": assumption checks pick the family
};

struct TestName {
  TestKind kind;
  std::string_view name;  // as written in a config or on the command line
};

// Every test, in the order the documentation lists them.
std::span<const TestName> known_tests();
std::string_view name_of(TestKind kind);
// Case-insensitive; nullopt for an unknown name.
std::optional<TestKind> find_test(std::string_view name);
// Throws cytopipe::Error with unknown_test_message for an unknown name.
TestKind parse_test(std::string_view name);
// Every test name, in list order (for messages and "did you mean" suggestions).
std::vector<std::string> test_names();
// "unknown test 'x' (known: anova, welch, ...)"; with a suggestion (a close known name):
// "unknown test 'x' (did you mean 'y'?; known: anova, welch, ...)".
std::string unknown_test_message(std::string_view name, std::string_view suggestion = {});

struct AdjustmentName {
  Adjustment adjustment;
  std::string_view name;
};

// Every accepted adjustment name (several spell the same adjustment: bh, fdr).
std::span<const AdjustmentName> known_adjustments();
// Case-insensitive; nullopt for an unknown name.
std::optional<Adjustment> find_adjustment(std::string_view name);
std::vector<std::string> adjustment_names();
std::string unknown_adjustment_message(std::string_view name, std::string_view suggestion = {});

}  // namespace cytopipe::stats
