// The memoised critical values (dunnett_quantile, qtukey): a design met again, from any thread,
// gives the very same number, and that number is still the root of the CDF.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "cytopipe/stats/distributions.hpp"

namespace cytopipe::stats {
namespace {

TEST(QuantileMemo, RepeatedDesignsGiveTheSameRootFromEveryThread) {
  // A design no other test uses (odd df), so the first call below computes it.
  const std::vector<double> lambda = {0.6, 0.65, 0.7};
  const double df = 13.25;
  const double first = dunnett_quantile(0.95, lambda, df, true);
  EXPECT_NEAR(dunnett_cdf(first, lambda, df, true), 0.95, 1e-12);
  const double tukey_first = qtukey(0.95, 5, df);
  EXPECT_NEAR(ptukey(tukey_first, 5, df), 0.95, 1e-12);

  std::vector<double> dunnett_seen(8), tukey_seen(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < dunnett_seen.size(); ++i)
    threads.emplace_back([&, i] {
      dunnett_seen[i] = dunnett_quantile(0.95, lambda, df, true);
      tukey_seen[i] = qtukey(0.95, 5, df);
    });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < dunnett_seen.size(); ++i) {
    EXPECT_EQ(dunnett_seen[i], first);
    EXPECT_EQ(tukey_seen[i], tukey_first);
  }
  // Another confidence, sidedness or df is another entry, not the memoised one.
  EXPECT_NE(dunnett_quantile(0.99, lambda, df, true), first);
  EXPECT_NE(dunnett_quantile(0.95, lambda, df, false), first);
  EXPECT_NE(dunnett_quantile(0.95, lambda, df + 1, true), first);
}

}  // namespace
}  // namespace cytopipe::stats
