// Channel aliases: a channel is found by its $PnN or by an alias (e.g. the marker a panel gives
// it); an exact alias wins over another channel's $PnN (a panel that swaps two names), and a
// missing channel's message lists the aliases.
#include <gtest/gtest.h>

#include "cytopipe/fcs/sample.hpp"

namespace {

using cytopipe::fcs::Channel;
using cytopipe::fcs::Sample;

Sample three_channels() {
  Sample s;
  s.source = "tube.fcs";
  for (const char* name : {"FSC-A", "PE-A", "APC-A"}) {
    Channel c;
    c.index = static_cast<int>(s.channels.size() + 1);
    c.name = name;
    s.channels.push_back(c);
  }
  return s;
}

TEST(ChannelAliases, FoundByNameOrAliasCaseInsensitiveLast) {
  auto s = three_channels();
  s.channels[1].aliases = {"BCMA"};
  EXPECT_EQ(s.find_channel("PE-A"), 1u);
  EXPECT_EQ(s.find_channel("BCMA"), 1u);
  EXPECT_EQ(s.find_channel("bcma"), 1u);
  EXPECT_EQ(s.find_channel("pe-a"), 1u);
  EXPECT_FALSE(s.find_channel("CD3"));
}

TEST(ChannelAliases, AnExactAliasWinsOverAnotherChannelsName) {
  // A panel that calls APC-A "PE-A" and PE-A "APC-A".
  auto s = three_channels();
  s.channels[1].aliases = {"APC-A"};
  s.channels[2].aliases = {"PE-A"};
  EXPECT_EQ(s.find_channel("PE-A"), 2u);
  EXPECT_EQ(s.find_channel("APC-A"), 1u);
  EXPECT_EQ(s.find_channel("FSC-A"), 0u);
}

TEST(ChannelAliases, MissingChannelMessageListsAliases) {
  auto s = three_channels();
  s.channels[1].aliases = {"BCMA"};
  s.channels[2].aliases = {"CD3", "T"};
  EXPECT_EQ(s.channel_list(), "FSC-A, PE-A (BCMA), APC-A (CD3, T)");
  try {
    (void)s.values("CD4");
    FAIL() << "no error";
  } catch (const cytopipe::Error& e) {
    EXPECT_EQ(e.message(), "no channel named 'CD4'; the file has: FSC-A, PE-A (BCMA), APC-A (CD3, T)");
    EXPECT_EQ(e.context().file, "tube.fcs");
  }
}

}  // namespace
