#pragma once
// Access to the R-made golden fixtures in tests/stats/golden (see make_golden.R) and the
// tolerances the issue sets: 1e-8 relative for statistics, 1e-6 absolute for p values.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "cytopipe/stats/group.hpp"

namespace cytopipe::stats::test {

inline nlohmann::json load_golden(const std::string& name) {
  const std::string path = std::string(CYTOPIPE_SOURCE_DIR) + "/tests/stats/golden/" + name;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "missing fixture " << path << " (run Rscript tests/stats/make_golden.R)";
    return nlohmann::json::array();
  }
  return nlohmann::json::parse(in);
}

// null is NaN; "Inf" / "-Inf" are the infinities (JSON has none), e.g. one-sided CI bounds.
inline double number(const nlohmann::json& j) {
  if (j.is_null()) return std::nan("");
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    if (s == "Inf") return INFINITY;
    if (s == "-Inf") return -INFINITY;
    ADD_FAILURE() << "not a number in a fixture: " << s;
    return std::nan("");
  }
  return j.get<double>();
}

inline std::vector<double> numbers(const nlohmann::json& j) {
  std::vector<double> out;
  for (const auto& v : j) out.push_back(number(v));
  return out;
}

inline std::vector<Group> groups_of(const nlohmann::json& set) {
  std::vector<Group> groups;
  for (const auto& g : set["groups"]) groups.push_back({g["label"].get<std::string>(), numbers(g["values"])});
  return groups;
}

inline constexpr double kStatTolerance = 1e-8;  // relative
inline constexpr double kPTolerance = 1e-6;     // absolute

// |actual - expected| <= rel * |expected| (with a tiny absolute floor for values near zero).
inline ::testing::AssertionResult near_rel(double actual, double expected, double rel,
                                           double floor = 1e-12) {
  if (std::isinf(expected) && actual == expected) return ::testing::AssertionSuccess();
  const double diff = std::fabs(actual - expected);
  if (diff <= rel * std::fabs(expected) || diff <= floor) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual " << actual << " expected " << expected
                                       << " (relative difference " << diff / std::fabs(expected)
                                       << ")";
}

}  // namespace cytopipe::stats::test

#define EXPECT_STAT(actual, expected) \
  EXPECT_TRUE(::cytopipe::stats::test::near_rel(actual, expected, ::cytopipe::stats::test::kStatTolerance))
#define EXPECT_P(actual, expected) \
  EXPECT_NEAR(actual, expected, ::cytopipe::stats::test::kPTolerance)
