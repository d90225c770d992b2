#pragma once
// Reading a YAML config while collecting every problem with its file, line and column, so that
// `cytopipe validate` reports all mistakes at once instead of one per run.
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/pipeline/config.hpp"

namespace cytopipe::pipeline::detail {

// The closest candidate within a small edit distance, or empty.
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  Location at(const YAML::Node& node) const;
  void error(const YAML::Node& node, std::string where, std::string message);
  void error(const Location& at, std::string where, std::string message);
  const std::vector<Error>& errors() const { return errors_; }

  // True when `node` is a map; otherwise records "expected a map".
  bool expect_map(const YAML::Node& node, const std::string& where);
  // Records every key of `map` that is not in `allowed`, suggesting the closest allowed key.
  void check_keys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<std::string_view> allowed);

  std::optional<std::string> string(const YAML::Node& node, const std::string& where);
  std::optional<double> number(const YAML::Node& node, const std::string& where);
  std::optional<long long> integer(const YAML::Node& node, const std::string& where);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& where);
  // A scalar or a sequence of scalars.
  std::vector<std::string> strings(const YAML::Node& node, const std::string& where);

 private:
  std::string file_;
  std::vector<Error> errors_;
};

// Combines collected errors into one Error (the first one's location, every line in the text).
[[noreturn]] void throw_all(const std::vector<Error>& errors);

}  // namespace cytopipe::pipeline::detail
