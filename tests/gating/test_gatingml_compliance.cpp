// The Gating-ML 2.0 compliance suite: every truth file listed in EXPECTED_COUNTS.tsv (sets 1-5
// and FlowKit's split copy of set 1), compared event by event with our gating of the same FCS
// file, read with Gating-ML's value preparation (linear channels divided by $PnG).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/io.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;
using cytopipe::gating::GatingResults;

struct Case {
  std::string truth_file, gate_xml, fcs_file, gate_id, status;
  std::size_t n_lines = 0, n_in_gate = 0;
};
// Readable names in failure messages instead of a byte dump.
void PrintTo(const Case& c, std::ostream* os) { *os << c.truth_file << " (" << c.gate_xml << ")"; }

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) out.push_back(field);
  return out;
}

// The table is read at test registration; without ../shared there are no cases (and the
// Inventory test below reports the skip / CI failure).
std::vector<Case> load_cases() {
  const fs::path table = cytopipe::test::shared_dir() / "gatingml_ref/EXPECTED_COUNTS.tsv";
  std::ifstream in(table);
  std::vector<Case> cases;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto f = split_tabs(line);
    if (f.size() < 8) continue;
    cases.push_back({f[0], f[1], f[2], f[3], f[4], std::stoul(f[5]), std::stoul(f[7])});
  }
  return cases;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// One gating per (XML, FCS) pair, shared by its truth files.
const GatingResults& results_for(const fs::path& xml, const fs::path& fcs) {
  static std::mutex mutex;
  static std::map<std::string, GatingResults> cache;
  std::lock_guard lock(mutex);
  const std::string key = xml.string() + "|" + fcs.string();
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const auto strategy = cytopipe::gating::parse_gatingml(slurp(xml), xml.string());
  cytopipe::fcs::ReadOptions options;
  options.values = cytopipe::fcs::ValueRule::FlowCoreWithGain;
  const auto sample = cytopipe::fcs::read_fcs(fcs, options);
  return cache.emplace(key, cytopipe::gating::gate_sample(strategy, sample)).first->second;
}

// Set 5 has truth files for the complements flowUtils makes of use-as-complement references;
// the table's status column names the population ("complement of myPolygon1 (...)").
struct Target {
  std::string population;
  bool complement = false;
};
Target target_of(const Case& c) {
  const std::string prefix = "complement of ";
  if (c.status.rfind(prefix, 0) == 0) {
    const auto rest = c.status.substr(prefix.size());
    return {rest.substr(0, rest.find(' ')), true};
  }
  return {c.gate_id, false};
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, sep))
    if (!field.empty()) out.push_back(field);
  return out;
}

class Compliance : public ::testing::TestWithParam<Case> {};

// FlowKit's truth files name two XML files (the all-gates file and the gate's own file): the
// gate must match in each.
TEST_P(Compliance, GateMatchesTruthEventByEvent) {
  const Case& c = GetParam();
  CYTOPIPE_SHARED_OR_SKIP(truth_path, "gatingml_ref/" + c.truth_file);
  CYTOPIPE_SHARED_OR_SKIP(fcs_path, "gatingml_ref/" + c.fcs_file);
  std::vector<char> truth;
  {
    std::ifstream in(truth_path);
    std::string line;
    while (std::getline(in, line)) truth.push_back(line == "1");
  }
  std::size_t in_gate = 0;
  for (char t : truth) in_gate += t;
  EXPECT_EQ(in_gate, c.n_in_gate) << "truth file disagrees with EXPECTED_COUNTS.tsv";

  const Target target = target_of(c);
  for (const auto& xml : split(c.gate_xml, ';')) {
    SCOPED_TRACE(xml);
    CYTOPIPE_SHARED_OR_SKIP(xml_path, "gatingml_ref/" + xml);
    const auto& results = results_for(xml_path, fcs_path);
    ASSERT_EQ(truth.size(), results.events()) << c.truth_file << ": lines != events";
    const auto& pop = results.at(target.population);
    std::size_t mismatches = 0, first_mismatch = 0;
    for (std::size_t event = 0; event < truth.size(); ++event) {
      const bool ours = pop.members.test(event) != target.complement;
      if (ours != static_cast<bool>(truth[event]) && mismatches++ == 0) first_mismatch = event;
    }
    EXPECT_EQ(mismatches, 0u) << c.gate_id << ": " << mismatches
                              << " events differ (first: event " << first_mismatch + 1
                              << "); ours " << pop.members.count() << " in gate, truth " << in_gate;
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.truth_file;
  std::string out;
  for (char ch : name)
    out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return std::to_string(info.index) + "_" + out;
}

INSTANTIATE_TEST_SUITE_P(GatingML2, Compliance, ::testing::ValuesIn(load_cases()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Compliance);

TEST(ComplianceInventory, EveryTruthFileIsListed) {
  CYTOPIPE_SHARED_OR_SKIP(table, "gatingml_ref/EXPECTED_COUNTS.tsv");
  // 60 + 40 + 56 + 21 + 13 truth files in sets 1-5 and 51 in FlowKit's copy.
  EXPECT_EQ(load_cases().size(), 241u);
}

}  // namespace
