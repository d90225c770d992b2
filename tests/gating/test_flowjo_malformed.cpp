// Malformed and hostile FlowJo workspaces: each refused with a message naming the file, the line
// and the element (sample, population, matrix) at fault.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/flowjo.hpp"

namespace {

using namespace cytopipe::gating;

const char* kNs =
    " xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\""
    " xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\""
    " xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\"";

std::string rect(const std::string& channel) {
  return "<gating:RectangleGate><gating:dimension gating:min=\"1\"><data-type:fcs-dimension data-type:name=\"" +
         channel + "\"/></gating:dimension></gating:RectangleGate>";
}
std::string matrix2x2(int rows) {
  std::string m =
      "<transforms:spilloverMatrix prefix=\"Comp-\" suffix=\"\" name=\"M\"><data-type:parameters>"
      "<data-type:parameter data-type:name=\"A\"/><data-type:parameter data-type:name=\"B\"/></data-type:parameters>";
  for (int r = 0; r < rows; ++r)
    m += std::string("<transforms:spillover data-type:parameter=\"") + (r == 0 ? "A" : "B") +
         "\"><transforms:coefficient data-type:parameter=\"A\" transforms:value=\"" + (r == 0 ? "1" : "0.1") +
         "\"/><transforms:coefficient data-type:parameter=\"B\" transforms:value=\"" + (r == 0 ? "0.2" : "1") +
         "\"/></transforms:spillover>";
  return m + "</transforms:spilloverMatrix>";
}
// A one-sample workspace; the matrix is on line 7, `gate` (inside population "P") on line 12.
std::string workspace(const std::string& gate, const std::string& matrix = "", const std::string& refs = "1",
                      const std::string& prolog = "") {
  return "<?xml version=\"1.0\"?>\n" + prolog + "<Workspace version=\"20.0\"" + kNs +
         ">\n<Groups><GroupNode name=\"All Samples\"><Group name=\"All Samples\"><SampleRefs><SampleRef sampleID=\"" +
         refs + "\"/></SampleRefs></Group></GroupNode></Groups>\n<SampleList>\n<Sample>\n<DataSet uri=\"file:/x/s1.fcs\" "
         "sampleID=\"1\"/>\n" + matrix + "\n<SampleNode name=\"s1.fcs\" count=\"10\" sampleID=\"1\">\n<Subpopulations>\n"
         "<Population name=\"P\" count=\"3\">\n<Gate>\n" + gate + "\n</Gate>\n</Population>\n</Subpopulations>\n"
         "</SampleNode>\n</Sample>\n</SampleList>\n</Workspace>\n";
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const cytopipe::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return {};
}
void expect_contains(const std::string& text, std::initializer_list<std::string> parts) {
  for (const auto& p : parts) EXPECT_NE(text.find(p), std::string::npos) << "'" << p << "' not in: " << text;
}

TEST(FlowJoMalformed, WellFormedMinimalWorkspaceReads) {
  const auto ws = parse_workspace(workspace(rect("Comp-A"), matrix2x2(2)), "ok.wsp");
  ASSERT_EQ(ws.samples.size(), 1u);
  const auto& g = std::get<RectangleGate>(ws.samples[0].strategy.find_gate("P")->gate);
  EXPECT_EQ(g.dimensions[0].channel, "A");
  EXPECT_EQ(g.dimensions[0].compensation, "M");
  EXPECT_EQ(ws.samples[0].stored_counts.at("P"), 3);
  // Row B of the matrix as written: 0.1, 1.
  const auto& m = ws.samples[0].strategy.matrices().at("M").spectrum;
  EXPECT_EQ(m.values, (std::vector<double>{1, 0.2, 0.1, 1}));
}

TEST(FlowJoMalformed, GroupNamingAMissingSample) {
  expect_contains(error_of([] { parse_workspace(workspace(rect("A"), "", "7"), "missing.wsp"); }),
                  {"missing.wsp", "group 'All Samples'", "sample 7"});
}

TEST(FlowJoMalformed, FileWithoutAWorkspaceSampleIsReported) {
  const auto ws = parse_workspace(workspace(rect("A")), "ws.wsp");
  std::vector<cytopipe::fcs::Sample> files(1);
  files[0].source = "/data/other.fcs";
  const auto candidates = ws.group("All Samples");
  const auto m = match_samples(candidates, files);
  EXPECT_FALSE(m.sample_of_file[0].has_value());
  expect_contains(m.report(), {"/data/other.fcs", "no file matches the workspace sample 's1.fcs'"});
  expect_contains(error_of([&] { ws.group("Stained"); }), {"ws.wsp", "no group 'Stained'", "'All Samples'"});
  // Hundreds of samples no file matches: the first ten named, then how many more.
  SampleMatch many;
  for (int i = 1; i <= 12; ++i) many.unmatched_samples.push_back("s" + std::to_string(i) + ".fcs");
  const std::string report = many.report();
  expect_contains(report, {"'s1.fcs'", "'s10.fcs'", "... and 2 more workspace samples no file matches"});
  EXPECT_EQ(report.find("s11.fcs"), std::string::npos) << report;
  EXPECT_EQ(std::count(report.begin(), report.end(), '\n'), 11);
}

TEST(FlowJoMalformed, UnknownGateType) {
  expect_contains(error_of([] { parse_workspace(workspace("<gating:CurlyGate/>"), "curly.wsp"); }),
                  {"curly.wsp:12", "unknown gate type 'CurlyGate'", "population 'P'", "sample 's1.fcs'"});
}

TEST(FlowJoMalformed, GateOnAChannelTheFileLacks) {
  const auto ws = parse_workspace(workspace(rect("FSC-A")), "lack.wsp");
  cytopipe::fcs::Sample file;
  file.source = "s1.fcs";
  file.channels.resize(1);
  file.channels[0].index = 1;
  file.channels[0].name = "SSC-A";
  expect_contains(error_of([&] { check_workspace_sample(ws, ws.samples[0], file); }),
                  {"lack.wsp", "sample 's1.fcs'", "FSC-A"});
}

TEST(FlowJoMalformed, CompChannelTheMatrixLacks) {
  expect_contains(error_of([] { parse_workspace(workspace(rect("Comp-C"), matrix2x2(2)), "comp.wsp"); }),
                  {"comp.wsp", "Comp-C", "matrix 'M' has no 'C'", "population 'P'"});
}

TEST(FlowJoMalformed, CompensationMatrixOfTheWrongSize) {
  expect_contains(error_of([] { parse_workspace(workspace(rect("A"), matrix2x2(1)), "size.wsp"); }),
                  {"size.wsp:7", "spilloverMatrix 'M'", "2 parameters has 1 <spillover> rows"});
  std::string short_row = matrix2x2(2);
  short_row.replace(short_row.rfind("<transforms:coefficient"), short_row.rfind("</transforms:spillover>") -
                                                                    short_row.rfind("<transforms:coefficient"), "");
  expect_contains(error_of([&] { parse_workspace(workspace(rect("A"), short_row), "row.wsp"); }),
                  {"row.wsp", "spillover row 'B' has 1 coefficients"});
}

TEST(FlowJoMalformed, ExternalEntitiesAndEntityExpansionAreRefused) {
  const std::string xxe = "<!DOCTYPE Workspace [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n";
  expect_contains(error_of([&] { parse_workspace(workspace(rect("&xxe;"), "", "1", xxe), "xxe.wsp"); }),
                  {"xxe.wsp:2", "external entity 'xxe' declared", "refused", "FlowJo workspace needs none"});
  const std::string laughs =
      "<!DOCTYPE Workspace [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n";
  expect_contains(error_of([&] { parse_workspace(workspace(rect("&lol2;"), "", "1", laughs), "laughs.wsp"); }),
                  {"laughs.wsp:2", "entity 'lol' declared", "refused"});
  const std::string dtd = "<!DOCTYPE Workspace SYSTEM \"http://127.0.0.1:9/x.dtd\">\n";
  expect_contains(error_of([&] { parse_workspace(workspace(rect("A"), "", "1", dtd), "dtd.wsp"); }),
                  {"dtd.wsp:2", "external DTD", "refused"});
  const std::string xinclude = workspace(
      "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\" parse=\"text\"/>");
  expect_contains(error_of([&] { parse_workspace(xinclude, "xi.wsp"); }), {"xi.wsp:12", "XInclude", "refused"});
}

TEST(FlowJoMalformed, NotAWorkspaceAndBrokenXml) {
  expect_contains(error_of([] { parse_workspace("<Gating-ML/>", "gml.wsp"); }), {"gml.wsp", "not <Workspace>"});
  expect_contains(error_of([] { parse_workspace("<Workspace><SampleList>", "cut.wsp"); }),
                  {"cut.wsp", "not well-formed"});
  expect_contains(error_of([] { parse_workspace(workspace(
                                    "<gating:RectangleGate><gating:dimension gating:min=\"x1\"><data-type:fcs-dimension "
                                    "data-type:name=\"A\"/></gating:dimension></gating:RectangleGate>"),
                                    "num.wsp"); }),
                  {"num.wsp:12", "min is not a finite number: 'x1'"});
}

}  // namespace
