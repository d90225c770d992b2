// Jonckheere-Terpstra against jonckheere.json (make_golden.R): exact p values by enumerating every
// assignment of the pooled ranks to the groups for tiny designs without ties, and the normal
// approximation (ties-corrected variance) where the test must use it.
#include <gtest/gtest.h>

#include <string>

#include "cytopipe/stats/trend.hpp"
#include "golden.hpp"

namespace cytopipe::stats {
namespace {

using test::groups_of;
using test::number;

TEST(JonckheereGolden, ExactMatchesEnumerationOfAllPermutations) {
  const auto ref = test::load_golden("jonckheere.json");
  ASSERT_GE(ref["exact"].size(), 10u);
  for (const auto& set : ref["exact"]) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto groups = groups_of(set);
    const TestResult two = jonckheere_terpstra(groups);
    ASSERT_TRUE(two.ok()) << two.message;
    EXPECT_EQ(two.method.rfind("exact", 0), 0u) << two.method;
    EXPECT_EQ(two.statistic, number(set["statistic"]));
    // Exact sums of the same probabilities: far tighter than the 1e-6.
    EXPECT_NEAR(two.p, number(set["exact"]["p"]), 1e-12);
    EXPECT_NEAR(jonckheere_terpstra(groups, Alternative::greater).p,
                number(set["exact"]["p_greater"]), 1e-12);
    EXPECT_NEAR(jonckheere_terpstra(groups, Alternative::less).p, number(set["exact"]["p_less"]),
                1e-12);
  }
}

TEST(JonckheereGolden, NormalApproximationWithTiesOrMoreThan100Observations) {
  const auto ref = test::load_golden("jonckheere.json");
  ASSERT_GE(ref["normal"].size(), 3u);
  for (const auto& set : ref["normal"]) {
    SCOPED_TRACE(set["name"].get<std::string>());
    const auto groups = groups_of(set);
    const TestResult r = jonckheere_terpstra(groups);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.method.rfind("normal approximation, ties-corrected variance", 0), 0u) << r.method;
    EXPECT_NE(r.method.find(set["ties"].get<bool>() ? "(ties)" : "(N > 100)"), std::string::npos)
        << r.method;
    const auto& normal = set["normal"];
    EXPECT_STAT(r.statistic, number(normal["statistic"]));
    EXPECT_STAT(r.parameters[0].estimate, number(normal["z"]));
    EXPECT_P(r.p, number(normal["p"]));
    EXPECT_P(jonckheere_terpstra(groups, Alternative::greater).p, number(normal["p_greater"]));
  }
}

}  // namespace
}  // namespace cytopipe::stats
