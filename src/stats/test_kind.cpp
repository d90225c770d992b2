#include "cytopipe/stats/test_kind.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "cytopipe/error.hpp"

namespace cytopipe::stats {
namespace {

constexpr std::array<TestName, 26> kTests{{
    {TestKind::anova, "anova"},
    {TestKind::welch, "welch"},
    {TestKind::kruskal, "kruskal"},
    {TestKind::dunnett, "dunnett"},
    {TestKind::dunnett_greater, "dunnett-greater"},
    {TestKind::dunnett_less, "dunnett-less"},
    {TestKind::tukey, "tukey"},
    {TestKind::dunn, "dunn"},
    {TestKind::pairwise_t, "pairwise-t"},
    {TestKind::t_vs_control, "t-vs-control"},
    {TestKind::welch_t_vs_control, "welch-t-vs-control"},
    {TestKind::t, "t"},
    {TestKind::welch_t, "welch-t"},
    {TestKind::mann_whitney, "mann-whitney"},
    {TestKind::trend, "trend"},
    {TestKind::trend_log, "trend-log"},
    {TestKind::jonckheere, "jonckheere"},
    {TestKind::hill, "hill"},
    {TestKind::hill_control, "hill-control"},
    {TestKind::shapiro, "shapiro"},
    {TestKind::levene, "levene"},
    {TestKind::brown_forsythe, "brown-forsythe"},
    {TestKind::two_way, "two-way"},
    {TestKind::two_way_i, "two-way-i"},
    {TestKind::two_way_iii, "two-way-iii"},
    {TestKind::automatic, "auto"},
}};

constexpr std::array<AdjustmentName, 6> kAdjustments{{
    {Adjustment::none, "none"},
    {Adjustment::holm, "holm"},
    {Adjustment::bonferroni, "bonferroni"},
    {Adjustment::bh, "BH"},
    {Adjustment::bh, "fdr"},
    {Adjustment::bh, "benjamini-hochberg"},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <class Named>
std::vector<std::string> names_of(std::span<const Named> list) {
  std::vector<std::string> names;
  for (const auto& n : list) names.emplace_back(n.name);
  return names;
}

std::string unknown_message(std::string_view what, std::string_view name, std::string_view suggestion,
                            const std::vector<std::string>& known) {
  std::string out = "unknown " + std::string(what) + " '" + std::string(name) + "' (";
  if (!suggestion.empty()) out += "did you mean '" + std::string(suggestion) + "'?; ";
  out += "known: ";
  for (std::size_t i = 0; i < known.size(); ++i) out += (i ? ", " : "") + std::string(known[i]);
  return out + ")";
}

}  // namespace

std::span<const TestName> known_tests() { return kTests; }

std::string_view name_of(TestKind kind) {
  for (const auto& t : kTests)
    if (t.kind == kind) return t.name;
  return "?";
}

std::optional<TestKind> find_test(std::string_view name) {
  const std::string wanted = lower(name);
  for (const auto& t : kTests)
    if (t.name == wanted) return t.kind;
  return std::nullopt;
}

TestKind parse_test(std::string_view name) {
  if (const auto kind = find_test(name)) return *kind;
  throw Error(unknown_test_message(name), {"", "test", 0, 0});
}

std::vector<std::string> test_names() { return names_of<TestName>(kTests); }

std::string unknown_test_message(std::string_view name, std::string_view suggestion) {
  return unknown_message("test", name, suggestion, test_names());
}

std::span<const AdjustmentName> known_adjustments() { return kAdjustments; }

std::optional<Adjustment> find_adjustment(std::string_view name) {
  const std::string wanted = lower(name);
  for (const auto& a : kAdjustments)
    if (lower(a.name) == wanted) return a.adjustment;
  return std::nullopt;
}

std::vector<std::string> adjustment_names() { return names_of<AdjustmentName>(kAdjustments); }

std::string unknown_adjustment_message(std::string_view name, std::string_view suggestion) {
  return unknown_message("p-value adjustment", name, suggestion, adjustment_names());
}

}  // namespace cytopipe::stats
