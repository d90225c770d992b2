// Factors from tube and file names (cytopipe init): what a person writes, read back; what is not
// understood stays a word, never a guessed factor.
#include <gtest/gtest.h>

#include "cytopipe/pipeline/init.hpp"

namespace cytopipe::pipeline {
namespace {

TEST(InitNames, DoseWithItsUnitReplicateRoleAndWords) {
  auto f = parse_sample_name("MM1S 0.1 \xC2\xB5M isotype R1");  // 0.1 µM = 100 nM
  ASSERT_TRUE(f.dose_nM);
  EXPECT_DOUBLE_EQ(*f.dose_nM, 100);
  EXPECT_EQ(f.role, "isotype");
  EXPECT_EQ(f.replicate, "1");
  EXPECT_EQ(f.words, std::vector<std::string>{"MM1S"});

  f = parse_sample_name("bcma_U266_30nM_rep2");
  EXPECT_DOUBLE_EQ(*f.dose_nM, 30);
  EXPECT_EQ(f.replicate, "2");
  EXPECT_EQ(f.words, (std::vector<std::string>{"bcma", "U266"}));

  f = parse_sample_name("U266 CAR-T 50nM target only R03");
  EXPECT_EQ(f.effector, "CAR-T");
  EXPECT_EQ(f.role, "target-only");
  EXPECT_EQ(f.replicate, "3");

  f = parse_sample_name("NT_0nM_2");  // untransduced; a trailing _2 is the replicate
  EXPECT_EQ(f.role, "NT");
  EXPECT_DOUBLE_EQ(*f.dose_nM, 0);
  EXPECT_EQ(f.replicate, "2");

  f = parse_sample_name("Jurkat 250 pM FMO");
  EXPECT_DOUBLE_EQ(*f.dose_nM, 0.25);
  EXPECT_EQ(f.role, "FMO");
}

TEST(InitNames, OpaqueNamesGiveNoFactor) {
  const auto f = parse_sample_name("Specimen_001_A01_001");
  EXPECT_FALSE(f.dose_nM);
  EXPECT_EQ(f.replicate, "");  // a three-digit counter is not a replicate
  EXPECT_EQ(f.role, "");
  EXPECT_EQ(f.words, (std::vector<std::string>{"Specimen", "001", "A01", "001"}));
  // A number without a unit is not a dose.
  EXPECT_FALSE(parse_sample_name("MM1S 25 R1").dose_nM);
}

}  // namespace
}  // namespace cytopipe::pipeline
