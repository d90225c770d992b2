#pragma once
// The one checked YAML reader (pipeline configs, simulation designs, gating strategies): every
// problem carries file:line:column and the key path, and problems are collected so that a file
// with several mistakes reports them all at once. Loading refuses what yaml-cpp lets through
// silently: a key written twice in one map (yaml-cpp keeps both and finds the first).
// Numbers must be finite where a number is expected (`percentile: nan` is a mistake, not a value).
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/base/location.hpp"

namespace cytopipe::yaml {

// The closest candidate within a small edit distance (case-insensitive, a transposition counts
// one), or empty: for "did you mean" hints.
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  // Parses `text`. A syntax error is thrown at once (nothing after it can be read), with the
  // problems recorded so far; each duplicate key is recorded, and reading goes on.
  YAML::Node load(const std::string& text);

  const std::string& file() const { return file_; }
  Location at(const YAML::Node& node) const;

  // Records a problem and goes on.
  void error(const YAML::Node& node, std::string where, std::string message);
  void error(const Location& at, std::string where, std::string message);
  void error(Error e) { errors_.push_back(std::move(e)); }
  const std::vector<Error>& errors() const { return errors_; }
  // Records a problem and throws every problem recorded so far (for a fault after which the rest
  // of a section cannot be read).
  [[noreturn]] void fail(const YAML::Node& node, std::string where, std::string message);
  // Throws every problem recorded so far, if any.
  void throw_if_errors() const;

  // True when `node` is a map; otherwise records "expected a map".
  bool expect_map(const YAML::Node& node, const std::string& where);
  // Records every key of `map` that is not in `allowed`, suggesting the closest allowed key.
  void check_keys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<std::string_view> allowed);

  // Each records a problem at the node and returns nullopt when the node is not of that kind.
  std::optional<std::string> string(const YAML::Node& node, const std::string& where);
  std::optional<double> number(const YAML::Node& node, const std::string& where);  // finite only
  std::optional<long long> integer(const YAML::Node& node, const std::string& where);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& where);
  // A scalar or a sequence of scalars.
  std::vector<std::string> strings(const YAML::Node& node, const std::string& where);

 private:
  void check_duplicate_keys(const YAML::Node& node);

  std::string file_;
  std::vector<Error> errors_;
};

// The text of a scalar as a finite number (decimal or exponent notation, YAML's `.inf`/`.nan`
// and C's `nan`/`inf` refused), or nullopt.
std::optional<double> finite_number(std::string_view text);
// "a map", "a list", "'text'", "nothing": what a node is, for messages.
std::string kind_of(const YAML::Node& node);

// Combines collected errors into one Error (the first one's location, every line in the text).
[[noreturn]] void throw_all(const std::vector<Error>& errors);

}  // namespace cytopipe::yaml
