// FlowJo workspaces are read in two streaming passes: every sample's identity (for matching files),
// then only the chosen samples in full. Chosen samples must equal a full read, identities must be
// what the full read finds, and the first pass must refuse what a full read refuses, wherever in
// the document the fault is.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/flowjo.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe::gating;
namespace fs = std::filesystem;

const char* kNs =
    " xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\""
    " xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\"";

std::string rect(int min, const std::string& kind = "RectangleGate") {
  return "<gating:" + kind + "><gating:dimension gating:min=\"" + std::to_string(min) +
         "\"><data-type:fcs-dimension data-type:name=\"A\"/></gating:dimension></gating:" + kind + ">";
}
std::string sample(int i, const std::string& gate, const std::string& fil) {
  const std::string n = std::to_string(i);
  return "<Sample>\n<DataSet uri=\"file:/x/s" + n + ".fcs\" sampleID=\"" + n + "\"/>\n<Keywords>\n<Keyword name=\"$FIL\" value=\"" +
         fil + "\"/>\n<Keyword name=\"$TOT\" value=\"1" + n + "\"/>\n<Keyword name=\"$CYT\" value=\"FACSCanto\"/>\n</Keywords>\n<SampleNode name=\"s" + n +
         ".fcs\" count=\"10\" sampleID=\"" + n + "\">\n<Subpopulations>\n<Population name=\"P\" count=\"" + n +
         "\">\n<Gate>\n" + gate + "\n</Gate>\n</Population>\n</Subpopulations>\n</SampleNode>\n</Sample>\n";
}
// Three samples, the second one's gate `middle`; `tail` is put inside the last sample.
std::string workspace(const std::string& middle, const std::string& tail = "", const std::string& prolog = "") {
  return "<?xml version=\"1.0\"?>\n" + prolog + "<Workspace version=\"20.0\"" + kNs +
         ">\n<Groups><GroupNode name=\"All Samples\"><Group><SampleRefs><SampleRef sampleID=\"1\"/><SampleRef "
         "sampleID=\"2\"/><SampleRef sampleID=\"3\"/></SampleRefs></Group></GroupNode>\n<GroupNode name=\"Last\"><Group>"
         "<SampleRefs><SampleRef sampleID=\"3\"/></SampleRefs></Group></GroupNode></Groups>\n<SampleList>\n" +
         sample(1, rect(1), "s&amp;1.fcs") + sample(2, middle, "s&#38;2&lt;.fcs") +
         sample(3, rect(3) + tail, "s3.fcs") + "</SampleList>\n</Workspace>\n";
}
int line_of(const std::string& text, const std::string& marker) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(text.find(marker)), '\n'));
}
SampleChooser these(std::vector<std::size_t> chosen) {
  return [chosen](const Workspace&) { return chosen; };
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
double min_of_p(const WorkspaceSample& s) {
  return std::get<RectangleGate>(s.strategy.find_gate("P")->gate).intervals[0].min.value();
}
int b_line(const Workspace& w, std::size_t i) { return w.samples[i].line; }
double min_of(const WorkspaceSample& s) {
  return std::get<RectangleGate>(s.strategy.find_gate("P")->gate).intervals[0].min.value();
}

// The identities the first pass reads are the ones a full read finds; '&' from &amp; and &#38;
// and '<' from &lt; come out of attribute values as in the tree.
// A sample not read in full holds only the keywords matching uses.
void expect_same_identity(const WorkspaceSample& a, const WorkspaceSample& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.uri, b.uri);
  EXPECT_EQ(a.line, b.line);
  if (a.read_in_full == b.read_in_full) {
    EXPECT_EQ(a.keywords, b.keywords);
    return;
  }
  const auto& all = a.read_in_full ? a.keywords : b.keywords;
  const auto& some = a.read_in_full ? b.keywords : a.keywords;
  std::map<std::string, std::string> matching;
  for (const auto& [k, v] : all)
    if (k == "$FIL" || k == "GUID" || k == "$TOT" || k == "$BTIM" || k == "$ETIM" || k == "$DATE") matching[k] = v;
  EXPECT_EQ(some, matching);
}

TEST(FlowJoStreaming, OnlyTheChosenSamplesAreReadInFull) {
  const std::string text = workspace(rect(2));
  const Workspace full = parse_workspace(text, "three.wsp");
  ASSERT_EQ(full.samples.size(), 3u);
  EXPECT_EQ(full.samples[0].keywords.at("$FIL"), "s&1.fcs");
  EXPECT_EQ(full.samples[1].keywords.at("$FIL"), "s&2<.fcs");
  EXPECT_EQ(full.samples[1].keywords.at("$CYT"), "FACSCanto");
  for (const auto& s : full.samples) EXPECT_TRUE(s.read_in_full);

  const Workspace none = parse_workspace(text, "three.wsp", {}, these({}));
  ASSERT_EQ(none.samples.size(), 3u);
  ASSERT_EQ(none.groups.size(), 2u);
  EXPECT_EQ(none.groups[1].sample_ids, std::vector<std::string>{"3"});
  for (std::size_t i = 0; i < 3; ++i) {
    expect_same_identity(none.samples[i], full.samples[i]);
    EXPECT_FALSE(none.samples[i].read_in_full);
    EXPECT_EQ(none.samples[i].keywords.size(), 2u);  // $FIL, $TOT; not $CYT
    EXPECT_TRUE(none.samples[i].strategy.gates().empty());
    EXPECT_EQ(none.samples[i].line, line_of(text, "<DataSet uri=\"file:/x/s" + std::to_string(i + 1)) - 1);
  }

  for (const std::vector<std::size_t>& chosen : {std::vector<std::size_t>{0}, {1}, {2}, {0, 2}, {2, 0, 2}}) {
    const Workspace some = parse_workspace(text, "three.wsp", {}, these(chosen));
    for (std::size_t i = 0; i < 3; ++i) {
      const bool asked = std::find(chosen.begin(), chosen.end(), i) != chosen.end();
      EXPECT_EQ(some.samples[i].read_in_full, asked) << i;
      expect_same_identity(some.samples[i], full.samples[i]);
      if (!asked) continue;
      EXPECT_EQ(min_of(some.samples[i]), static_cast<double>(i + 1));
      EXPECT_EQ(some.samples[i].stored_counts, full.samples[i].stored_counts);
      EXPECT_EQ(some.samples[i].stored_total, 10);
    }
  }
  // A group's samples.
  const Workspace last = parse_workspace(text, "three.wsp", {}, samples_of_group("Last"));
  EXPECT_FALSE(last.samples[0].read_in_full);
  EXPECT_TRUE(last.samples[2].read_in_full);
  EXPECT_EQ(group_strategy(last, "Last").gates().size(), 1u);
  expect_contains(error_of([&] { parse_workspace(text, "three.wsp", {}, samples_of_group("Stained")); }),
                  {"three.wsp", "no group 'Stained'", "'All Samples', 'Last'"});
}

TEST(FlowJoStreaming, AFaultySampleStopsTheReadOnlyWhenItIsChosen) {
  const std::string text = workspace(rect(2, "CurlyGate"));
  const std::string at = "three.wsp:" + std::to_string(line_of(text, "<gating:CurlyGate>"));
  const Workspace ok = parse_workspace(text, "three.wsp", {}, these({0, 2}));
  EXPECT_EQ(min_of(ok.samples[2]), 3.0);
  for (const auto& chooser : {these({1}), every_sample()})
    expect_contains(error_of([&] { parse_workspace(text, "three.wsp", {}, chooser); }),
                    {at, "unknown gate type 'CurlyGate'", "sample 's2.fcs'", "population 'P'"});
}

TEST(FlowJoStreaming, TheWholeDocumentIsCheckedWhateverIsChosen) {
  // Broken XML, nesting past the limit, XInclude and entities after the chosen sample, and in a
  // read that chooses nothing, are refused as a full read refuses them.
  const std::string broken = workspace(rect(2), "<Keyword name=\"a\">");
  std::string deep;
  for (std::size_t i = 0; i < kMaxWorkspaceDepth; ++i) deep += "<d>";
  for (std::size_t i = 0; i < kMaxWorkspaceDepth; ++i) deep += "</d>";
  const std::string xinclude =
      workspace(rect(2), "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\"/>");
  const std::string xxe = workspace(rect(2), "", "<!DOCTYPE Workspace [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n");
  for (const auto& chooser : {these({0}), these({}), every_sample()}) {
    expect_contains(error_of([&] { parse_workspace(broken, "broken.wsp", {}, chooser); }),
                    {"broken.wsp", "not well-formed"});
    expect_contains(error_of([&] { parse_workspace(workspace(rect(2), deep), "deep.wsp", {}, chooser); }),
                    {"deep.wsp", "depth"});  // libxml2's own limit (256) comes before ours (400)
    expect_contains(error_of([&] { parse_workspace(xinclude, "xi.wsp", {}, chooser); }),
                    {"xi.wsp:" + std::to_string(line_of(xinclude, "<xi:include")), "XInclude", "refused"});
    expect_contains(error_of([&] { parse_workspace(xxe, "xxe.wsp", {}, chooser); }),
                    {"xxe.wsp:2", "external entity 'xxe' declared", "refused"});
  }
}

// load_workspace reads the file piece by piece (twice) instead of holding it whole: the same
// samples, the same refusals, the same lines as reading the text.
TEST(FlowJoStreaming, AFileReadInPiecesEqualsItsText) {
  const fs::path file = fs::temp_directory_path() / ("cytopipe_streaming_" + std::to_string(::getpid()) + ".wsp");
  auto write = [&](const std::string& text) { std::ofstream(file, std::ios::binary) << text; };
  const std::string text = workspace(rect(2));
  write(text);
  for (const std::vector<std::size_t>& chosen : {std::vector<std::size_t>{}, {0}, {1}, {2}, {0, 2}, {0, 1, 2}}) {
    const Workspace a = load_workspace(file, {}, these(chosen));
    const Workspace b = parse_workspace(text, file.string(), {}, these(chosen));
    ASSERT_EQ(a.samples.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      expect_same_identity(a.samples[i], b.samples[i]);
      EXPECT_EQ(a.samples[i].read_in_full, b.samples[i].read_in_full);
      if (a.samples[i].read_in_full) {
        EXPECT_EQ(min_of(a.samples[i]), static_cast<double>(i + 1));
      }
    }
  }
  const std::string curly = workspace(rect(2, "CurlyGate"));
  write(curly);
  expect_contains(error_of([&] { load_workspace(file, {}, these({1})); }),
                  {file.string() + ":" + std::to_string(line_of(curly, "<gating:CurlyGate>")), "unknown gate type"});
  EXPECT_NO_THROW(load_workspace(file, {}, these({0, 2})));
  write(workspace(rect(2), "", "<!DOCTYPE Workspace [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"));
  expect_contains(error_of([&] { load_workspace(file, {}, these({})); }),
                  {file.string() + ":2", "external entity 'xxe' declared", "refused"});
  fs::remove(file);
}

// WorkspaceOptions::scanned sees each sample's identity in document order as the first pass
// completes it; load_workspace_sample reads one sample as a full read does, reading the file only
// up to the next sample (a fault after it is not seen), and names a sample the file lacks.
TEST(FlowJoStreaming, OneSampleEarlyAndEachIdentityAsScanned) {
  const fs::path file = fs::temp_directory_path() / ("cytopipe_one_sample_" + std::to_string(::getpid()) + ".wsp");
  const std::string text = workspace(rect(2));
  std::ofstream(file, std::ios::binary) << text;
  std::vector<std::pair<std::size_t, std::string>> seen;
  std::vector<std::size_t> described_as;
  WorkspaceOptions options;
  options.scanned = [&](std::size_t index, const WorkspaceSample& identity, std::size_t alike) {
    seen.emplace_back(index, identity.name + " " + identity.keywords.at("$FIL"));
    described_as.push_back(alike);
  };
  const Workspace full = load_workspace(file, options);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(described_as, (std::vector<std::size_t>{0, 1, 2}));  // three gates, each its own min
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[i].first, i);
    EXPECT_EQ(seen[i].second, full.samples[i].name + " " + full.samples[i].keywords.at("$FIL"));
    const WorkspaceSample one = load_workspace_sample(file, i);
    EXPECT_EQ(one.name, full.samples[i].name);
    EXPECT_EQ(one.line, full.samples[i].line);
    EXPECT_EQ(min_of(one), static_cast<double>(i + 1));
    EXPECT_EQ(one.stored_counts, full.samples[i].stored_counts);
    EXPECT_EQ(one.keywords, full.samples[i].keywords);
  }
  expect_contains(error_of([&] { load_workspace_sample(file, 3); }), {file.string(), "no sample 4", "it holds 3"});
  // The second sample's gate the first's (only the keywords, ids, names and stored counts differ):
  // described as the first, whose reading (a full read's, alike) counts it.
  const std::string twice = workspace(rect(1));
  std::ofstream(file, std::ios::binary | std::ios::trunc) << twice;
  described_as.clear();
  options.share_alike = true;
  const Workspace shared = load_workspace(file, options);
  EXPECT_EQ(described_as, (std::vector<std::size_t>{0, 0, 2}));
  ASSERT_EQ(shared.samples.size(), 3u);
  EXPECT_EQ(shared.samples[1].alike_of, std::optional<std::size_t>(0));
  EXPECT_EQ(min_of(load_workspace_sample(file, 1)), min_of(load_workspace_sample(file, 0)));
  EXPECT_NE(min_of(load_workspace_sample(file, 2)), min_of(load_workspace_sample(file, 0)));
  // A fault in the second sample: the others read, the second refused as a full read refuses it.
  const std::string curly = workspace(rect(2, "CurlyGate"));
  std::ofstream(file, std::ios::binary | std::ios::trunc) << curly;
  EXPECT_EQ(min_of(load_workspace_sample(file, 0)), 1.0);
  EXPECT_EQ(min_of(load_workspace_sample(file, 2)), 3.0);
  expect_contains(error_of([&] { load_workspace_sample(file, 1); }),
                  {file.string() + ":" + std::to_string(line_of(curly, "<gating:CurlyGate>")), "unknown gate type"});
  fs::remove(file);
}

// The shared FlowJo workspaces: each sample read alone equals the same sample of a full read.
TEST(FlowJoStreaming, SharedWorkspacesSampleBySampleEqualTheFullRead) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/flowjo");
  std::size_t samples = 0, counted = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".wsp") continue;
    for (const auto mode : {WorkspaceEvaluation::GatingMl, WorkspaceEvaluation::FlowJo}) {
      const Workspace full = load_workspace(entry.path(), {mode});
      for (std::size_t i = 0; i < full.samples.size(); ++i, ++samples) {
        const Workspace one = load_workspace(entry.path(), {mode}, these({i}));
        const auto& a = one.samples[i];
        {
          const WorkspaceSample early = load_workspace_sample(entry.path(), i, {mode});  // read alone, early
          EXPECT_EQ(early.line, b_line(full, i));
          EXPECT_EQ(early.stored_counts, full.samples[i].stored_counts);
          EXPECT_TRUE(early.strategy.matrices() == full.samples[i].strategy.matrices());
          ASSERT_EQ(early.strategy.gates().size(), full.samples[i].strategy.gates().size());
          for (std::size_t g = 0; g < early.strategy.gates().size(); ++g) {
            EXPECT_EQ(early.strategy.gates()[g].id, full.samples[i].strategy.gates()[g].id);
            if (mode == WorkspaceEvaluation::GatingMl) {
              EXPECT_TRUE(early.strategy.gates()[g].gate == full.samples[i].strategy.gates()[g].gate);
            }
          }
        }
        const auto& b = full.samples[i];
        SCOPED_TRACE(entry.path().string() + " sample " + b.name);
        expect_same_identity(a, b);
        ASSERT_TRUE(a.read_in_full);
        EXPECT_EQ(a.strategy.gates().size(), b.strategy.gates().size());
        for (std::size_t g = 0; g < b.strategy.gates().size(); ++g) {
          EXPECT_EQ(a.strategy.gates()[g].id, b.strategy.gates()[g].id);
          // (FlowJo's biex look-up tables are shared by pointer, so not equal across reads.)
          if (mode == WorkspaceEvaluation::GatingMl) {
            EXPECT_TRUE(a.strategy.gates()[g].gate == b.strategy.gates()[g].gate);
          }
        }
        // Every population's count on the folder's FCS file.
        for (const auto& f : fs::directory_iterator(entry.path().parent_path()))
          if (f.path().extension() == ".fcs") {
            const auto file = cytopipe::fcs::read_fcs(f.path());
            if (file.channels.size() < 2) continue;
            try {
              check_workspace_sample(full, b, file);
            } catch (const cytopipe::Error&) {
              continue;  // a sample of another file of the folder
            }
            const auto ra = gate_sample(a.strategy, file), rb = gate_sample(b.strategy, file);
            ASSERT_EQ(ra.populations().size(), rb.populations().size());
            for (std::size_t p = 0; p < rb.populations().size(); ++p) {
              EXPECT_EQ(ra.populations()[p].count, rb.populations()[p].count) << rb.populations()[p].path;
              ++counted;
            }
          }
        EXPECT_TRUE(a.strategy.matrices() == b.strategy.matrices());
        EXPECT_EQ(a.stored_counts, b.stored_counts);
        EXPECT_EQ(a.stored_total, b.stored_total);
        EXPECT_EQ(a.compensation, b.compensation);
        EXPECT_EQ(a.scales.size(), b.scales.size());
      }
    }
  }
  EXPECT_GE(samples, 16u);  // 8 workspaces, one sample each, in both modes
  EXPECT_GE(counted, 50u);  // 54 populations with an FCS file beside them
}

// Samples with the same gates, compensation and transforms (FlowJo's group gating) are read once
// and the others take that reading with their own identity, keywords, stored counts and lines:
// each sample of such a workspace equals the sample read alone, a stored count that is not a
// number is refused with the message and line reading it alone gives, and samples whose gates
// or lines differ are read for themselves.
struct Alike {
  std::string keywords;       // extra <Keyword> lines (shift everything after them)
  std::string total = "100";  // SampleNode count
  std::string p = "60", q = "20", not_q = "40";  // population counts ("" = empty, "-" = none)
  std::string min = "1000";   // P's rectangle
  bool extra_line = false;    // a blank line inside the SampleNode (moves its gates' lines)
};
std::string alike_sample(int i, const Alike& a) {
  const std::string n = std::to_string(i);
  auto count = [](const std::string& c) { return c == "-" ? std::string() : " count=\"" + c + "\""; };
  auto coefficient = [](const char* d, const char* v) {
    return std::string("<transforms:coefficient data-type:parameter=\"") + d + "\" transforms:value=\"" + v + "\"/>";
  };
  return "<Sample>\n<DataSet uri=\"file:/x/s" + n + ".fcs\" sampleID=\"" + n +
         "\"/>\n<transforms:spilloverMatrix prefix=\"Comp-\" name=\"M\" suffix=\"\">\n<data-type:parameters>"
         "<data-type:parameter data-type:name=\"A\"/><data-type:parameter data-type:name=\"B\"/></data-type:parameters>\n"
         "<transforms:spillover data-type:parameter=\"A\">" + coefficient("A", "1") + coefficient("B", "0.1") +
         "</transforms:spillover>\n<transforms:spillover data-type:parameter=\"B\">" + coefficient("A", "0.2") +
         coefficient("B", "1") + "</transforms:spillover>\n</transforms:spilloverMatrix>\n<Transformations>\n"
         "<transforms:logicle transforms:T=\"262144\" transforms:W=\"0.5\" transforms:M=\"4.5\" transforms:A=\"0\">"
         "<data-type:parameter data-type:name=\"Comp-A\"/></transforms:logicle>\n</Transformations>\n<Keywords>\n"
         "<Keyword name=\"$FIL\" value=\"s" + n + ".fcs\"/>\n" + a.keywords + "<Keyword name=\"$TOT\" value=\"" + a.total +
         "\"/>\n</Keywords>\n<SampleNode name=\"s" + n + ".fcs\"" + count(a.total) + " sampleID=\"" + n + "\">\n" +
         (a.extra_line ? "\n" : "") + "<Subpopulations>\n<Population name=\"P\"" + count(a.p) +
         ">\n<Gate>\n<gating:RectangleGate><gating:dimension gating:min=\"" + a.min +
         "\"><data-type:fcs-dimension data-type:name=\"A\"/></gating:dimension></gating:RectangleGate>\n</Gate>\n"
         "<Subpopulations>\n<Population name=\"Q\"" + count(a.q) + ">\n<Gate>\n<gating:PolygonGate>\n"
         "<gating:dimension><data-type:fcs-dimension data-type:name=\"Comp-A\"/></gating:dimension>\n"
         "<gating:dimension><data-type:fcs-dimension data-type:name=\"B\"/></gating:dimension>\n"
         "<gating:vertex><gating:coordinate data-type:value=\"10\"/><gating:coordinate data-type:value=\"10\"/></gating:vertex>\n"
         "<gating:vertex><gating:coordinate data-type:value=\"5000\"/><gating:coordinate data-type:value=\"10\"/></gating:vertex>\n"
         "<gating:vertex><gating:coordinate data-type:value=\"5000\"/><gating:coordinate data-type:value=\"5000\"/></gating:vertex>\n"
         "</gating:PolygonGate>\n</Gate>\n</Population>\n<NotNode name=\"not Q\"" + count(a.not_q) +
         ">\n<Dependents><Dependent name=\"P/Q\"/></Dependents>\n</NotNode>\n</Subpopulations>\n</Population>\n"
         "</Subpopulations>\n</SampleNode>\n</Sample>\n";
}
std::string alike_workspace(const std::vector<Alike>& samples) {
  std::string out = std::string("<?xml version=\"1.0\"?>\n<Workspace version=\"20.0\"") + kNs +
                    " xmlns:transforms=\"http://www.isac-net.org/std/Gating-ML/v2.0/transformations\">\n<SampleList>\n";
  for (std::size_t i = 0; i < samples.size(); ++i) out += alike_sample(static_cast<int>(i + 1), samples[i]);
  return out + "</SampleList>\n</Workspace>\n";
}

TEST(FlowJoStreaming, SamplesReadAlikeEqualEachSampleReadAlone) {
  std::vector<Alike> samples(8);
  samples[1].keywords = "<Keyword name=\"$CYT\" value=\"Canto\"/>\n<Keyword name=\"$FIL\" value=\"again.fcs\"/>\n";
  samples[2].p = "61";
  samples[2].q = "";
  samples[2].not_q = "-";
  samples[3].total = "-";
  samples[3].keywords = "<Keyword name=\"X\" value=\"1\"/>\n";
  samples[4].min = "2000";  // other gates
  samples[5].extra_line = true;
  samples[6].total = "";
  samples[7].keywords = samples[1].keywords;
  const std::string text = alike_workspace(samples);
  for (const auto mode : {WorkspaceEvaluation::GatingMl, WorkspaceEvaluation::FlowJo}) {
    const Workspace all = parse_workspace(text, "alike.wsp", {mode});
    const Workspace some = parse_workspace(text, "alike.wsp", {mode}, these({7, 1, 5, 3}));
    ASSERT_EQ(all.samples.size(), samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
      SCOPED_TRACE("sample " + std::to_string(i + 1));
      const Workspace one = parse_workspace(text, "alike.wsp", {mode}, these({i}));
      const WorkspaceSample& alone = one.samples[i];
      for (const WorkspaceSample* s : {&all.samples[i], &some.samples[i]}) {
        if (!s->read_in_full) continue;
        expect_same_identity(*s, alone);
        EXPECT_EQ(s->keywords, alone.keywords);
        EXPECT_EQ(s->stored_total, alone.stored_total);
        EXPECT_EQ(s->stored_counts, alone.stored_counts);
        EXPECT_EQ(s->compensation, alone.compensation);
        EXPECT_EQ(s->comp_prefix, alone.comp_prefix);
        EXPECT_EQ(s->comp_suffix, alone.comp_suffix);
        ASSERT_EQ(s->scales.size(), alone.scales.size());
        for (const auto& [channel, scale] : alone.scales) {
          EXPECT_EQ(s->scales.at(channel).kind, scale.kind);
          EXPECT_EQ(s->scales.at(channel).settings, scale.settings);
        }
        EXPECT_TRUE(s->strategy.matrices() == alone.strategy.matrices());
        const auto& a = s->strategy.gates();
        const auto& b = alone.strategy.gates();
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t g = 0; g < b.size(); ++g) {
          EXPECT_EQ(a[g].id, b[g].id);
          EXPECT_EQ(a[g].parent, b[g].parent);
          EXPECT_EQ(a[g].exclude, b[g].exclude);
          EXPECT_EQ(a[g].origin.file, b[g].origin.file);
          EXPECT_EQ(a[g].origin.line, b[g].origin.line) << b[g].id;
          if (mode == WorkspaceEvaluation::GatingMl) {
            EXPECT_TRUE(a[g].gate == b[g].gate) << b[g].id;
          }
        }
      }
    }
    // What each sample holds, independently of how it was read.
    EXPECT_EQ(all.samples[2].stored_counts, (std::map<std::string, long long>{{"P", 61}}));
    EXPECT_EQ(all.samples[3].stored_total, -1);
    EXPECT_EQ(all.samples[1].keywords.at("$FIL"), "again.fcs");
    EXPECT_EQ(all.samples[1].keywords.at("$CYT"), "Canto");
    // Q's polygon, where the text has it.
    const auto q = text.find("<gating:PolygonGate>", text.find("<DataSet uri=\"file:/x/s8.fcs"));
    EXPECT_EQ(all.samples[7].strategy.gates()[1].origin.line,
              1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(q), '\n')));
    EXPECT_EQ(min_of_p(all.samples[4]), 2000.0);
  }
  // all_keywords = false: every sample read in full, alike or not, keeps the keywords matching
  // uses only, as its identity does.
  WorkspaceOptions few;
  few.all_keywords = false;
  const Workspace all = parse_workspace(text, "alike.wsp");
  const Workspace some = parse_workspace(text, "alike.wsp", few);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    EXPECT_TRUE(some.samples[i].read_in_full);
    EXPECT_EQ(some.samples[i].stored_counts, all.samples[i].stored_counts);
    std::map<std::string, std::string> matching;
    for (const auto& [k, v] : all.samples[i].keywords)
      if (k == "$FIL" || k == "$TOT") matching[k] = v;
    EXPECT_EQ(some.samples[i].keywords, matching) << i;
  }
  EXPECT_EQ(all.samples[1].keywords.size(), 3u);  // $FIL (twice: the last), $CYT, $TOT

  // share_alike: a sample read alike keeps no gates of its own; strategy_of builds them as the
  // reading without sharing holds them, and a channel check fails with the same message.
  WorkspaceOptions shared;
  shared.share_alike = true;
  const Workspace lean = parse_workspace(text, "alike.wsp", shared);
  std::size_t sharing = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE("shared, sample " + std::to_string(i + 1));
    const WorkspaceSample& s = lean.samples[i];
    EXPECT_EQ(s.stored_counts, all.samples[i].stored_counts);
    EXPECT_EQ(s.keywords, all.samples[i].keywords);
    if (s.alike_of) {
      ++sharing;
      EXPECT_LT(*s.alike_of, i);
      EXPECT_TRUE(s.strategy.gates().empty());
      EXPECT_EQ(&lean.gates_of(s), &lean.samples[*s.alike_of].strategy);
    }
    const GatingStrategy own = lean.strategy_of(s);
    const auto& a = own.gates();
    const auto& b = all.samples[i].strategy.gates();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t g = 0; g < b.size(); ++g) {
      EXPECT_EQ(a[g].id, b[g].id);
      EXPECT_EQ(a[g].origin.line, b[g].origin.line) << b[g].id;
      EXPECT_TRUE(a[g].gate == b[g].gate) << b[g].id;
    }
    EXPECT_TRUE(own.matrices() == all.samples[i].strategy.matrices());
    // A file without channel B: the same message.
    cytopipe::fcs::Sample file;
    file.source = "ab.fcs";
    file.channels.resize(1);
    file.channels[0].name = "A";
    EXPECT_EQ(error_of([&] { check_workspace_sample(lean, s, file); }),
              error_of([&] { check_workspace_sample(all, all.samples[i], file); }));
  }
  EXPECT_EQ(sharing, 5u);  // all but the first, the one with other gates and the one with moved lines

  // A stored count that is not a number, in a sample read alike: refused as reading it alone.
  for (const auto& [field, value] : std::vector<std::pair<int, std::string>>{{0, "x1"}, {1, "abc"}, {2, "1e999"}}) {
    std::vector<Alike> bad(3);
    (field == 0 ? bad[2].total : field == 1 ? bad[2].q : bad[2].not_q) = value;
    const std::string t = alike_workspace(bad);
    const std::string alone = error_of([&] { parse_workspace(t, "bad.wsp", {}, these({2})); });
    EXPECT_EQ(error_of([&] { parse_workspace(t, "bad.wsp"); }), alone);
    expect_contains(alone, {"count is not a finite number: '" + value + "'", "sample 's3.fcs'"});
  }
}

// A file's metadata cut to what matching and the channel check read pairs files with samples and
// checks them as the whole metadata does.
TEST(FlowJoStreaming, MatchingMetadataMatchesAndChecksAsTheWholeMetadata) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "gatingml_ref/flowjo/FlowSOM_example");
  auto read = [&](const std::string& source) {
    cytopipe::fcs::ReadOptions meta;
    meta.read_events = false;
    auto s = cytopipe::fcs::read_fcs(dir / "68983.fcs", meta);
    if (!source.empty()) s.source = source;
    return s;
  };
  const auto whole = read("");
  const auto cut = matching_metadata(read(""));
  EXPECT_EQ(cut.source, whole.source);
  ASSERT_EQ(cut.channels.size(), whole.channels.size());
  EXPECT_EQ(cut.channel_list(), whole.channel_list());
  EXPECT_LT(cut.keywords.size(), whole.keywords.size());
  for (const char* k : {"$FIL", "GUID", "$TOT", "$BTIM", "$ETIM", "$DATE", "$CYT", "$P1N"}) {
    const bool kept = std::string_view(k) != "$CYT" && std::string_view(k) != "$P1N";
    EXPECT_EQ(cut.keywords.find(k), kept ? whole.keywords.find(k) : std::nullopt) << k;
  }
  const Workspace ws = load_workspace(dir / "gating.wsp");
  std::vector<const WorkspaceSample*> candidates;
  for (const auto& s : ws.samples) candidates.push_back(&s);
  // By name, and (renamed) by $FIL or by $TOT with the times.
  for (const std::string& source : {std::string(), std::string("/elsewhere/other name.fcs")}) {
    std::vector<cytopipe::fcs::Sample> a, b;
    a.push_back(read(source));
    b.push_back(matching_metadata(read(source)));
    const auto ma = match_samples(candidates, a), mb = match_samples(candidates, b);
    EXPECT_EQ(ma.sample_of_file, mb.sample_of_file);
    EXPECT_EQ(ma.unmatched_files, mb.unmatched_files);
    EXPECT_TRUE(ma.sample_of_file[0].has_value());
  }
  EXPECT_NO_THROW(check_workspace_sample(ws, ws.samples[0], cut));
  // A channel the file lacks: the same message either way.
  auto fewer = read("");
  fewer.channels.pop_back();
  const std::string a = error_of([&] { check_workspace_sample(ws, ws.samples[0], fewer); });
  EXPECT_EQ(error_of([&] { check_workspace_sample(ws, ws.samples[0], matching_metadata(std::move(fewer))); }), a);
}

}  // namespace
