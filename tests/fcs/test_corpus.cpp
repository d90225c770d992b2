// Every FCS file in ../shared/fcs_corpus against its reference JSON (flowCore's default rules):
// one parametrised test, so a file added to the corpus is tested without new code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cytopipe/fcs/reader.hpp"
#include "support/shared_data.hpp"

namespace {

using cytopipe::fcs::FcsError;
using cytopipe::fcs::ReadOptions;
using cytopipe::fcs::Sample;
using nlohmann::json;

std::vector<std::string> corpus_files() {
  std::vector<std::string> names;
  const auto dir = cytopipe::test::shared_dir() / "fcs_corpus";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".fcs") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  if (names.empty()) names.push_back("missing_corpus");  // reported as skip/failure below
  return names;
}

json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// 1e-6 relative, with an absolute floor for values near zero (reference README).
void expect_close(double actual, double expected, double scale, const std::string& what) {
  const double tolerance = std::max(1e-6 * std::abs(expected), 1e-9 * scale);
  EXPECT_NEAR(actual, expected, tolerance) << what;
}

std::string lower_kind(cytopipe::fcs::FcsErrorKind kind) { return std::string(to_string(kind)); }

void compare_dataset(const Sample& sample, const json& ref, bool compare_names) {
  const std::string ds = "data set " + std::to_string(ref["index"].get<int>());
  EXPECT_EQ(sample.version, ref["fcs_version"].get<std::string>()) << ds;
  EXPECT_EQ(std::string(1, static_cast<char>(sample.datatype)), ref["datatype"].get<std::string>()) << ds;
  ASSERT_EQ(sample.event_count(), ref["tot"].get<std::size_t>()) << ds;
  const auto& channels = ref["channels"];
  ASSERT_EQ(sample.channels.size(), channels.size()) << ds;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const auto& rc = channels[c];
    const auto& ch = sample.channels[c];
    const std::string what = ds + " channel " + std::to_string(c + 1) + " " + ch.name;
    if (compare_names && !rc["name"].is_null()) {
      EXPECT_EQ(ch.name, rc["name"].get<std::string>()) << what;
    }
    EXPECT_EQ(ch.marker, rc["marker"].is_null() ? "" : rc["marker"].get<std::string>()) << what;
    EXPECT_EQ(ch.bits, rc["bits"].get<int>()) << what;
    if (!rc["range"].is_null()) expect_close(ch.range, rc["range"].get<double>(), 1, what + " range");
    EXPECT_DOUBLE_EQ(ch.log_decades, rc["log"][0].get<double>()) << what;
    EXPECT_DOUBLE_EQ(ch.log_offset, rc["log"][1].get<double>()) << what;
    if (rc["gain"].is_null()) {
      EXPECT_FALSE(ch.gain.has_value()) << what;
    } else {
      ASSERT_TRUE(ch.gain.has_value()) << what;
      EXPECT_DOUBLE_EQ(*ch.gain, rc["gain"].get<double>()) << what;
    }
    const bool linearised = rc.contains("rules") && rc["rules"].contains("linearised");
    EXPECT_EQ(ch.linearised, linearised) << what;

    auto values = sample.events.column(c);
    if (values.empty()) continue;
    double min = values[0], max = values[0];
    long double sum = 0;
    for (double v : values) {
      min = std::min(min, v);
      max = std::max(max, v);
      sum += v;
    }
    const double scale = std::max(std::abs(rc["max"].get<double>()), std::abs(rc["min"].get<double>()));
    expect_close(min, rc["min"].get<double>(), scale, what + " min");
    expect_close(max, rc["max"].get<double>(), scale, what + " max");
    expect_close(static_cast<double>(sum), rc["sum"].get<double>(), scale * values.size(), what + " sum");
    expect_close(static_cast<double>(sum / values.size()), rc["mean"].get<double>(), scale, what + " mean");
    const auto& first = rc["first"];
    for (std::size_t i = 0; i < first.size(); ++i)
      expect_close(values[i], first[i].get<double>(), scale, what + " first[" + std::to_string(i) + "]");
    const auto& last = rc["last"];
    for (std::size_t i = 0; i < last.size(); ++i)
      expect_close(values[values.size() - last.size() + i], last[i].get<double>(), scale,
                   what + " last[" + std::to_string(i) + "]");
  }

  const auto& spill = ref["spillover"];
  if (spill.is_null()) {
    EXPECT_FALSE(sample.spillover.has_value()) << ds;
  } else if (spill["matrix"].is_null()) {
    EXPECT_FALSE(sample.spillover.has_value()) << ds;
    EXPECT_FALSE(sample.spillover_error.empty()) << ds << ": malformed spillover not reported";
  } else {
    ASSERT_TRUE(sample.spillover.has_value()) << ds << " " << sample.spillover_error;
    const auto& s = *sample.spillover;
    EXPECT_EQ(s.keyword, spill["keyword"].get<std::string>()) << ds;
    EXPECT_EQ(s.detectors, spill["channels"].get<std::vector<std::string>>()) << ds;
    const auto& matrix = spill["matrix"];
    ASSERT_EQ(s.rows(), matrix.size()) << ds;
    for (std::size_t r = 0; r < matrix.size(); ++r)
      for (std::size_t c = 0; c < matrix[r].size(); ++c)
        EXPECT_DOUBLE_EQ(s.at(r, c), matrix[r][c].get<double>()) << ds << " spillover " << r << "," << c;
  }

  // The offsets choice is stated in a notice whenever HEADER and TEXT disagree.
  const std::string offsets = ref["offsets"].is_null() ? "" : ref["offsets"].get<std::string>();
  auto has_notice = [&](const std::string& text) {
    return std::any_of(sample.notices.begin(), sample.notices.end(),
                       [&](const std::string& n) { return n.find(text) != std::string::npos; });
  };
  if (offsets == "disagree_header_consistent") {
    EXPECT_TRUE(has_notice("used the HEADER pair")) << ds;
  } else if (offsets == "disagree_text_consistent") {
    EXPECT_TRUE(has_notice("used the TEXT pair")) << ds;
  } else if (offsets == "agree" || offsets == "header_zero_used_text") {
    EXPECT_FALSE(has_notice("offsets disagree")) << ds;
  }
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, MatchesReference) {
  CYTOPIPE_SHARED_OR_SKIP(fcs, "fcs_corpus/" + GetParam() + ".fcs");
  CYTOPIPE_SHARED_OR_SKIP(ref_path, "fcs_corpus/reference/" + GetParam() + ".json");
  const json ref = load_json(ref_path);

  // The default read (first data set): ok, or the error kind the reference names.
  ReadOptions strict;
  strict.allow_ascii = false;  // flowCore's behaviour; ASCII is our opt-in extension
  if (ref["expect"] == "error") {
    try {
      auto sample = cytopipe::fcs::read_fcs(fcs, strict);
      ADD_FAILURE() << "read without error; expected " << ref["error_kind"];
    } catch (const FcsError& e) {
      EXPECT_EQ(lower_kind(e.kind()), ref["error_kind"].get<std::string>()) << e.what();
      EXPECT_NE(std::string(e.what()).find(fcs.string()), std::string::npos) << "message names the file";
    }
  }

  // Every data set of the chain, by index.
  const auto& datasets = ref["datasets"];
  for (std::size_t i = 0; i < datasets.size(); ++i) {
    const auto& ds = datasets[i];
    ReadOptions options = strict;
    options.dataset = i;
    if (ds["expect"] == "ok") {
      auto sample = cytopipe::fcs::read_fcs(fcs, options);
      EXPECT_EQ(sample.datasets.size(), datasets.size());
      compare_dataset(sample, ds, true);
    } else {
      try {
        (void)cytopipe::fcs::read_fcs(fcs, options);
        ADD_FAILURE() << "data set " << i + 1 << " read without error";
      } catch (const FcsError& e) {
        EXPECT_EQ(lower_kind(e.kind()), ds["error_kind"].get<std::string>()) << e.what();
      }
      // ASCII: our extension reads it, with a notice, to the reference's extension values.
      if (ds.contains("extension_values") && ds["datatype"] == "A" &&
          std::none_of(ds["channels"].begin(), ds["channels"].end(),
                       [](const json& c) { return c["name"].is_null(); })) {
        ReadOptions extension = options;
        extension.allow_ascii = true;
        auto sample = cytopipe::fcs::read_fcs(fcs, extension);
        EXPECT_FALSE(sample.notices.empty());
        compare_dataset(sample, ds, true);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(FcsCorpus, Corpus, ::testing::ValuesIn(corpus_files()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
