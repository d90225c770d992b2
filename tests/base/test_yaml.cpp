// The one checked YAML reader (cytopipe/base/yaml_reader.hpp): located errors, every problem
// reported together, duplicate keys and non-finite numbers refused.
#include <gtest/gtest.h>

#include "cytopipe/base/yaml_reader.hpp"

namespace cytopipe::yaml {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(YamlReader, SyntaxErrorCarriesFileLineColumn) {
  Reader r("p.yaml");
  const auto message = error_of([&] { r.load("a: 1\nb: [1, 2\n"); });
  EXPECT_EQ(message.rfind("p.yaml:", 0), 0u) << message;
  EXPECT_NE(message.find("not valid YAML"), std::string::npos) << message;
  Reader again("p.yaml");
  try {
    again.load("a: 1\nb: [1, 2\n");
  } catch (const Error& e) {
    EXPECT_GT(e.context().line, 1);
    EXPECT_GT(e.context().column, 0);
  }
}

TEST(YamlReader, DuplicateKeysAreErrorsAtTheSecondKey) {
  Reader r("d.yaml");
  const YAML::Node root = r.load("readouts:\n  singlet_pct: a\n  other: b\n  singlet_pct: c\nname: x\nname: y\n");
  ASSERT_EQ(r.errors().size(), 2u);
  EXPECT_EQ(std::string(r.errors()[0].what()),
            "d.yaml:4:3: singlet_pct: key 'singlet_pct' is written twice in the same map (remove one)");
  EXPECT_EQ(r.errors()[1].context().line, 6);
  EXPECT_EQ(r.errors()[1].context().column, 1);
  // Inside lists too.
  Reader in_list("l.yaml");
  in_list.load("gates:\n  - {id: a, id: b}\n");
  ASSERT_EQ(in_list.errors().size(), 1u);
  EXPECT_EQ(in_list.errors()[0].context().line, 2);
  EXPECT_EQ(in_list.errors()[0].context().column, 13);
}

TEST(YamlReader, NonFiniteNumbersAreRefusedWithTheirLocation) {
  Reader r("n.yaml");
  const YAML::Node root = r.load("a: nan\nb: inf\nc: -.inf\nd: .NaN\ne: 1e999\nf: 98.5\ng: +2\nh: lots\n");
  for (const char* key : {"a", "b", "c", "d", "e", "h"}) EXPECT_FALSE(r.number(root[key], key).has_value()) << key;
  EXPECT_EQ(r.number(root["f"], "f"), 98.5);
  EXPECT_EQ(r.number(root["g"], "g"), 2.0);
  ASSERT_EQ(r.errors().size(), 6u);
  EXPECT_EQ(std::string(r.errors()[0].what()), "n.yaml:1:4: a: expected a finite number, found 'nan'");
  EXPECT_EQ(r.errors()[5].context().line, 8);
}

TEST(YamlReader, SeveralProblemsAreReportedTogether) {
  Reader r("s.yaml");
  const YAML::Node root = r.load("inputs: {files: x}\nreadoutz: 1\npercentile: nan\ninputs: {files: y}\n");
  r.check_keys(root, "", {"inputs", "readouts", "percentile"});
  (void)r.number(root["percentile"], "percentile");
  const auto message = error_of([&] { r.throw_if_errors(); });
  EXPECT_NE(message.find("s.yaml:4:1: inputs: key 'inputs' is written twice"), std::string::npos) << message;
  EXPECT_NE(message.find("s.yaml:2:1: readoutz: unknown key 'readoutz' (did you mean 'readouts'?)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("s.yaml:3:13: percentile: expected a finite number, found 'nan'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("(3 problems)"), std::string::npos) << message;
}

TEST(YamlReader, FailThrowsWhatWasRecordedWithTheNewProblem) {
  Reader r("f.yaml");
  const YAML::Node root = r.load("a: 1\nb: 2\n");
  r.error(root["a"], "a", "first");
  const auto message = error_of([&] { r.fail(root["b"], "b", "second"); });
  EXPECT_NE(message.find("first"), std::string::npos) << message;
  EXPECT_NE(message.find("f.yaml:2:4: b: second"), std::string::npos) << message;
}

TEST(YamlReader, ClosestNameSuggestsTyposOnly) {
  EXPECT_EQ(closest_name("sampel_sheet", {"files", "sample_sheet"}), "sample_sheet");
  EXPECT_EQ(closest_name("zzz", {"files", "sample_sheet"}), "");
}

}  // namespace
}  // namespace cytopipe::yaml
