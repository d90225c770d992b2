// Population references: a unique name, an absolute path, the tail of a path; unknown and
// ambiguous references are errors that list the candidates. The strategy and the results read a
// reference the same way.
#include <gtest/gtest.h>

#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/strategy.hpp"
#include "gating/synthetic.hpp"

namespace {

using namespace cytopipe::gating;

Dimension dim(std::string channel) {
  Dimension d;
  d.channel = std::move(channel);
  return d;
}

GateNode range(std::string id, std::string parent, double min) {
  return {std::move(id), std::move(parent), RectangleGate{{dim("A")}, {Interval{min, std::nullopt}}}, {}};
}

// /cells/singlets/live and /cells/singlets/dead, /beads.
GatingStrategy tree() {
  GatingStrategy s;
  s.add(range("cells", "", 1));
  s.add(range("singlets", "cells", 2));
  s.add(range("live", "singlets", 3));
  s.add(range("dead", "singlets", 4));
  s.add(range("beads", "", 5));
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cytopipe::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PopulationPaths, NameAbsolutePathAndTailFindTheSamePopulation) {
  const auto s = tree();
  for (const char* ref : {"live", "/cells/singlets/live", "cells/singlets/live", "singlets/live",
                          "/cells/singlets/live/"}) {
    SCOPED_TRACE(ref);
    ASSERT_TRUE(s.find_population(ref));
    EXPECT_EQ(s.find_population(ref)->name, "live");
    EXPECT_EQ(s.population(ref).parent, "singlets");
  }
  EXPECT_EQ(s.population("/beads").name, "beads");
  // A tail matches whole names only, and an absolute path the whole path.
  EXPECT_FALSE(s.find_population("ive"));
  EXPECT_FALSE(s.find_population("/singlets/live"));
  EXPECT_FALSE(s.find_population("/live"));
}

TEST(PopulationPaths, UnknownReferenceListsTheCandidates) {
  const auto s = tree();
  // The name exists at another path: that path is the candidate.
  EXPECT_EQ(error_of([&] { s.population("/cells/live"); }),
            "no population at '/cells/live'; 'live' is at /cells/singlets/live");
  // An unknown name: every population's path.
  EXPECT_EQ(error_of([&] { s.population("lymphocytes"); }),
            "no population 'lymphocytes' (populations: /cells, /cells/singlets, /cells/singlets/live, "
            "/cells/singlets/dead, /beads)");
}

// A name with '/' in it also reads as a path: "CD4/CD8" is both the population of that name and
// the tail of /tcells/CD4/CD8 (CD8 under CD4). Neither is picked silently.
TEST(PopulationPaths, ANameThatReadsAsAPathIsAmbiguous) {
  GatingStrategy s;
  s.add(range("tcells", "", 1));
  s.add(range("CD4/CD8", "tcells", 2));
  s.add(range("CD4", "tcells", 3));
  s.add(range("CD8", "CD4", 4));
  const std::string message = error_of([&] { s.population("CD4/CD8"); });
  EXPECT_EQ(message,
            "population 'CD4/CD8' is ambiguous: it matches /tcells/CD4/CD8 ('CD4/CD8' under 'tcells'); "
            "/tcells/CD4/CD8 ('CD8' under 'CD4'); name one by its absolute path or rename one");
  EXPECT_THROW((void)s.find_population("tcells/CD4/CD8"), cytopipe::Error);
  EXPECT_EQ(s.population("CD8").parent, "CD4");  // unambiguous references still work

  // The results read references the same way.
  const auto sample = cytopipe::gating::test::make_sample({{"A", {0, 1, 2, 3, 4, 5}}});
  const auto r = gate_sample(s, sample);
  EXPECT_THROW((void)r.find("CD4/CD8"), cytopipe::Error);
  EXPECT_EQ(r.count("CD8"), 2u);
  EXPECT_EQ(r.count("/tcells/CD4"), 3u);
}

TEST(PopulationPaths, ResultsFindByNamePathAndTail) {
  const auto s = tree();
  const auto sample = cytopipe::gating::test::make_sample({{"A", {0, 1, 2, 3, 4, 5}}});
  const auto r = gate_sample(s, sample);
  for (const char* ref : {"live", "/cells/singlets/live", "cells/singlets/live", "singlets/live"}) {
    SCOPED_TRACE(ref);
    EXPECT_EQ(r.count(ref), 3u);  // A >= 3
  }
  EXPECT_EQ(r.find("/live"), nullptr);
  EXPECT_EQ(error_of([&] { (void)r.at("/cells/live"); }),
            "no population at '/cells/live'; 'live' is at /cells/singlets/live");
}

}  // namespace
