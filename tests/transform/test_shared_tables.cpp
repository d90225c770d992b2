// Transforms with the same biexponential parameters share one fast table (built once per
// process); each keeps its own parameters as given, and its values are those of a fresh build.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cytopipe/transform/transform.hpp"

namespace ct = cytopipe::transform;

namespace {

TEST(SharedTables, SameParametersGiveTheSameValuesAndKeepTheirOwnSpelling) {
  const ct::Transform first(ct::Logicle{262144, 0.5, 4.5, 0});
  const ct::Transform again(ct::Logicle{262144, 0.5, 4.5, 0});
  const ct::Transform negative_zero(ct::Logicle{262144, 0.5, 4.5, -0.0});
  const ct::Transform other(ct::Logicle{262144, 0.75, 4.5, 0});
  EXPECT_EQ(first.to_string(), again.to_string());
  // -0 compares equal to 0, but the text of the parameters given is kept.
  EXPECT_TRUE(std::signbit(std::get<ct::Logicle>(negative_zero.params()).A));
  EXPECT_FALSE(std::signbit(std::get<ct::Logicle>(again.params()).A));
  const std::vector<double> x{-1000, -10, 0, 1, 100, 5000, 100000, 262144};
  std::vector<double> a(x.size()), b(x.size()), z(x.size()), o(x.size());
  first.apply(x, a);
  again.apply(x, b);
  negative_zero.apply(x, z);
  other.apply(x, o);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(a[i], b[i]) << x[i];
    EXPECT_EQ(a[i], z[i]) << x[i];
    EXPECT_NEAR(a[i], first.apply(x[i]), 1e-9 * std::max(std::abs(a[i]), 1e-6)) << x[i];  // the exact value
    // another width: its own table (0 and T map alike)
    if (x[i] != 0 && x[i] != 262144) {
      EXPECT_NE(a[i], o[i]) << x[i];
    }
  }
}

}  // namespace
