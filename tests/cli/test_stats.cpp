// cytopipe stats on a CSV: values against R (the golden fixtures), exit codes for bad input.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct StatsRun {
  int exit_code = -1;
  std::string out;
};

StatsRun run_stats(const std::string& args) {
  const std::string command = std::string(CYTOPIPE_BINARY) + " stats " + args + " 2>/dev/null";
  StatsRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) r.out += buffer.data();
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

nlohmann::json golden(const std::string& name) {
  std::ifstream in(std::string(CYTOPIPE_SOURCE_DIR) + "/tests/stats/golden/" + name);
  return nlohmann::json::parse(in);
}

// Writes golden set `index` as a tidy CSV (cell_line given by `line`).
std::filesystem::path write_set(int index, const std::string& file) {
  const auto set = golden("one_factor.json").at(index);
  const auto path = std::filesystem::temp_directory_path() / file;
  std::ofstream out(path);
  out << "cell line,dose_nM,\"pct, BCMA+\"\n";
  for (const auto& g : set["groups"])
    for (const auto& v : g["values"]) {
      char cell[32];
      std::snprintf(cell, sizeof cell, "%.17g", v.get<double>());
      out << "MM1S," << g["label"].get<std::string>() << ',' << cell << '\n';
    }
  return path;
}

TEST(CliStats, AnovaAndTukeyAsJsonMatchR) {
  const auto path = write_set(1, "cytopipe_cli_stats_1.csv");
  const StatsRun r = run_stats(path.string() + " --value 'pct, BCMA+' --by dose_nM --within 'cell line' "
                                    "--test anova,tukey --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto all = nlohmann::json::parse(r.out);
  const auto set = golden("one_factor.json").at(1);
  // First the group summaries (one per dose), then the tests.
  nlohmann::json rows = nlohmann::json::array();
  std::size_t summaries = 0;
  for (const auto& row : all) {
    if (row["test"] == "summary") {
      const auto& g = set["groups"].at(summaries++);
      EXPECT_EQ(row["comparison"], g["label"]);
      EXPECT_EQ(row["n"], g["label"].get<std::string>() + ":" + std::to_string(g["values"].size()));
      EXPECT_TRUE(row["sd"].is_number() && row["sem"].is_number() && row["ci_low"].is_number());
      double sum = 0;
      for (const auto& v : g["values"]) sum += v.get<double>();
      EXPECT_NEAR(row["estimate"].get<double>(), sum / static_cast<double>(g["values"].size()), 1e-12 * std::abs(sum));
      EXPECT_EQ(rows.size(), 0u);
    } else {
      rows.push_back(row);
    }
  }
  EXPECT_EQ(summaries, set["groups"].size());
  ASSERT_EQ(rows.size(), 1u + set["tukey"]["p"].size());
  EXPECT_EQ(rows[0]["test"], "one-way ANOVA");
  EXPECT_EQ(rows[0]["stratum"], "MM1S");
  EXPECT_NEAR(rows[0]["statistic"].get<double>(), set["anova"]["F"].get<double>(),
              1e-8 * set["anova"]["F"].get<double>());
  EXPECT_NEAR(rows[0]["p"].get<double>(), set["anova"]["p"].get<double>(), 1e-6);
  EXPECT_TRUE(rows[0]["df2"].is_number());
  EXPECT_NEAR(rows[1]["p_adjusted"].get<double>(), set["tukey"]["p"][0].get<double>(), 1e-6);
  // Each comparison names its group and reference levels, as R's TukeyHSD labels it
  // ("group-reference"); the omnibus row has none. n: the family's groups, level:size each.
  EXPECT_EQ(rows[0]["group"], "");
  EXPECT_EQ(rows[0]["reference"], "");
  std::string sizes;
  for (const auto& g : set["groups"])
    sizes += (sizes.empty() ? "" : ";") + g["label"].get<std::string>() + ":" + std::to_string(g["values"].size());
  EXPECT_EQ(rows[0]["n"], sizes);
  for (std::size_t i = 0; i < set["tukey"]["p"].size(); ++i) {
    const auto& row = rows[1 + i];
    const std::string group = row["group"], reference = row["reference"];
    EXPECT_EQ(group + "-" + reference, set["tukey"]["label"][i].get<std::string>());
    EXPECT_NEAR(row["p_adjusted"].get<double>(), set["tukey"]["p"][i].get<double>(), 1e-6) << group;
    EXPECT_EQ(row["n"], sizes);
  }
  std::filesystem::remove(path);
}

TEST(CliStats, TVsControlWithBonferroniMatchesR) {
  const auto set = golden("t_vs_control.json").at(1);
  const auto path = std::filesystem::temp_directory_path() / "cytopipe_cli_stats_tvc.csv";
  {
    std::ofstream out(path);
    out << "dose,y\n";
    for (const auto& g : set["groups"])
      for (const auto& v : g["values"]) {
        char cell[32];
        std::snprintf(cell, sizeof cell, "%.17g", v.get<double>());
        out << g["label"].get<std::string>() << ',' << cell << '\n';
      }
  }
  const StatsRun r = run_stats(path.string() + " --value y --by dose --control 0 --test t-vs-control "
                                               "--adjust bonferroni --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::size_t i = 0;
  for (const auto& row : nlohmann::json::parse(r.out)) {
    if (row["test"] == "summary") continue;
    ASSERT_LT(i, set["bonferroni"].size());
    EXPECT_EQ(row["comparison"], set["label"][i]);
    EXPECT_NEAR(row["p_adjusted"].get<double>(), set["bonferroni"][i].get<double>(), 1e-10);
    EXPECT_EQ(row["p_bound"], "");
    ++i;
  }
  EXPECT_EQ(i, set["bonferroni"].size());
  std::filesystem::remove(path);
}

TEST(CliStats, CsvOutputWithControlAndDegenerateMessage) {
  const auto path = std::filesystem::temp_directory_path() / "cytopipe_cli_stats_2.csv";
  std::ofstream(path) << "dose,y\n0,5\n0,5\n10,5\n10,5\n";
  const StatsRun r = run_stats(path.string() + " --value y --by dose --control 0 --test anova");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("readout,stratum,test,comparison"), std::string::npos);
  EXPECT_NE(r.out.find("all values are equal"), std::string::npos) << r.out;
  std::filesystem::remove(path);
}

TEST(CliStats, BadInputExitsWithOneAndUsageWithTwo) {
  const auto path = std::filesystem::temp_directory_path() / "cytopipe_cli_stats_3.csv";
  std::ofstream(path) << "dose,y\n0,1\n0,x\n";
  EXPECT_EQ(run_stats(path.string() + " --value y --by dose --test anova").exit_code, 1);
  EXPECT_EQ(run_stats(path.string() + " --value nope --by dose --test anova").exit_code, 1);
  EXPECT_EQ(run_stats(path.string() + " --value y --by dose --test nonsense").exit_code, 1);
  EXPECT_EQ(run_stats(path.string() + " --value y --by dose").exit_code, 2);  // --test missing
  std::ofstream(path) << "dose,y\n0,1\n0\n";
  EXPECT_EQ(run_stats(path.string() + " --value y --by dose --test anova").exit_code, 1);
  std::filesystem::remove(path);
}

}  // namespace
