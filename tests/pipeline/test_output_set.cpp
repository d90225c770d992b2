// OutputSet in one process: the lock against a second holder, what an unpublished set leaves,
// both ways of swapping, and a symlinked output folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include "cytopipe/error.hpp"
#include "pipeline/output_set.hpp"
#include "pipeline/tiny_batch.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::pipeline::detail::OutputSet;
using cytopipe::pipeline::test::read_text;
using cytopipe::pipeline::test::TempDir;
using cytopipe::pipeline::test::write_text;

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(OutputSet, ASecondHolderIsRefusedNamingTheFirst) {
  TempDir dir;
  std::optional<OutputSet> first(std::in_place, dir / "out");
  EXPECT_EQ(read_text(dir / ".out.lock").substr(0, 4 + std::to_string(::getpid()).size() + 9),
            "pid " + std::to_string(::getpid()) + " on host ");
  try {
    OutputSet second(dir / "out");
    FAIL() << "a second holder was let in";
  } catch (const cytopipe::Error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another run (pid " + std::to_string(::getpid()) + " on host "),
              std::string::npos)
        << e.what();
  }
  // Not published: nothing of it stays, and the folder is free again.
  write_text(first->staging() / "readouts.csv", "new");
  first.reset();
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{});
  OutputSet again(dir / "out");
  again.publish();
  EXPECT_TRUE(fs::is_directory(dir / "out"));
}

TEST(OutputSet, BothSwapsReplaceTheWholeSet) {
  for (auto swap : {OutputSet::Swap::exchange, OutputSet::Swap::two_renames}) {
    TempDir dir;
    fs::create_directories(dir / "out" / "plots");
    write_text(dir / "out" / "run.json", "{}");
    write_text(dir / "out" / "readouts.csv", "old");
    write_text(dir / "out" / "plots" / "gone.svg", "old");
    fs::permissions(dir / "out", fs::perms(0750));  // the folder's mode is kept
    {
      OutputSet set(dir / "out");
      EXPECT_TRUE(set.holds_previous_set());
      write_text(set.staging() / "readouts.csv", "new");
      write_text(set.staging() / "run.json", "{}");
      set.publish(swap);
    }
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out"});
    EXPECT_EQ(names_in(dir / "out"), (std::vector<std::string>{"readouts.csv", "run.json"}));
    EXPECT_EQ(fs::status(dir / "out").permissions(), fs::perms(0750));
    EXPECT_EQ(read_text(dir / "out" / "readouts.csv"), "new");
  }
}

// Outputs the previous run.json lists are that run's, whatever their names (new kinds of output
// need no list of their own); anything else in the folder is a user's and is carried over.
TEST(OutputSet, WhatThePreviousRunJsonListsGoesTheRestStays) {
  TempDir dir;
  fs::create_directories(dir / "out" / "figures");
  fs::create_directories(dir / "out" / "mine");
  write_text(dir / "out" / "run.json", R"({"outputs": ["extra.csv", "figures/a.png", "run.json"]})");
  write_text(dir / "out" / "extra.csv", "old");
  write_text(dir / "out" / "figures" / "a.png", "old");
  write_text(dir / "out" / "figures" / "by_hand.png", "mine");
  write_text(dir / "out" / "mine" / "notes.txt", "mine");
  write_text(dir / "out" / "notes.txt", "mine");
  {
    OutputSet set(dir / "out");
    write_text(set.staging() / "run.json", "{}");
    set.publish();
  }
  EXPECT_EQ(names_in(dir / "out"), (std::vector<std::string>{"figures", "mine", "notes.txt", "run.json"}));
  EXPECT_EQ(names_in(dir / "out" / "figures"), std::vector<std::string>{"by_hand.png"});
  EXPECT_EQ(read_text(dir / "out" / "mine" / "notes.txt"), "mine");
  EXPECT_EQ(read_text(dir / "out" / "run.json"), "{}");
}

// The set goes where the symlink points; the symlink stays.
TEST(OutputSet, ASymlinkedFolderIsReplacedWhereItPoints) {
  TempDir dir;
  fs::create_directories(dir / "disk" / "real");
  write_text(dir / "disk" / "real" / "run.json", "{}");
  fs::create_directory_symlink(dir / "disk" / "real", dir / "out");
  {
    OutputSet set(dir / "out");
    EXPECT_EQ(set.staging().parent_path(), fs::canonical(dir / "disk"));
    write_text(set.staging() / "readouts.csv", "new");
    set.publish();
  }
  EXPECT_TRUE(fs::is_symlink(dir / "out"));
  EXPECT_EQ(read_text(dir / "out" / "readouts.csv"), "new");
  EXPECT_EQ(names_in(dir / "disk"), std::vector<std::string>{"real"});
}

}  // namespace
