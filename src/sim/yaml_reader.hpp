#pragma once
// A cursor into a design YAML: a node with its key path ("experiments.tumour_bcma.events"). The
// checking (locations, finite numbers, unknown keys, duplicate keys, collecting the problems of
// every section) is the base library's one YAML reader; this adds the design's range checks.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/base/yaml_reader.hpp"

namespace cytopipe::sim::detail {

class YamlReader {
 public:
  YamlReader(YAML::Node node, std::string path, yaml::Reader& reader)
      : node_(std::move(node)), path_(std::move(path)), reader_(&reader) {}

  const YAML::Node& node() const noexcept { return node_; }
  const std::string& path() const noexcept { return path_; }
  bool has(std::string_view key) const { return node_.IsMap() && node_[std::string(key)]; }

  // A fault after which this section cannot be read on: thrown as one Error, which
  // parse_design records before going on with the next section.
  [[noreturn]] void fail(const std::string& message) const {
    throw Error(message, reader_->at(node_).context(path_.empty() ? "(top level)" : path_));
  }

  YamlReader child(std::string_view key) const {
    if (!node_.IsMap()) fail("expected a mapping");
    YAML::Node value = node_[std::string(key)];
    if (!value) YamlReader(node_, join(key), *reader_).fail("missing required key");
    return {value, join(key), *reader_};
  }
  std::optional<YamlReader> optional_child(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return child(key);
  }
  YamlReader element(std::size_t i) const {
    return {node_[i], path_ + "[" + std::to_string(i) + "]", *reader_};
  }

  // Every key of this mapping must be one of `allowed`; the others are recorded, reading goes on.
  void only_keys(std::initializer_list<std::string_view> allowed) const {
    if (!node_.IsMap()) fail("expected a mapping");
    reader_->check_keys(node_, path_, allowed);
  }
  std::vector<std::string> keys() const {
    if (!node_.IsMap()) fail("expected a mapping");
    std::vector<std::string> out;
    for (const auto& entry : node_) out.push_back(entry.first.Scalar());
    return out;
  }

  double number() const {
    if (node_.IsScalar())
      if (const auto v = yaml::finite_number(node_.Scalar())) return *v;
    fail("expected a finite number, found " + yaml::kind_of(node_));
  }
  double number_in(double lo, double hi) const {
    const double v = number();
    if (!(v >= lo && v <= hi))
      fail("value " + node_.Scalar() + " out of range [" + trim(lo) + ", " + trim(hi) + "]");
    return v;
  }
  double positive() const {
    const double v = number();
    if (!(v > 0)) fail("expected a positive number, got " + node_.Scalar());
    return v;
  }
  std::size_t count(std::size_t min = 1) const {
    const double v = number();
    if (!(v >= static_cast<double>(min)) || v != static_cast<double>(static_cast<std::size_t>(v)))
      fail("expected a whole number >= " + std::to_string(min) + ", got " + node_.Scalar());
    return static_cast<std::size_t>(v);
  }
  std::string text() const {
    if (!node_.IsScalar()) fail("expected a string");
    return node_.Scalar();
  }
  bool boolean() const {
    if (!node_.IsScalar()) fail("expected true or false");
    try {
      return node_.as<bool>();
    } catch (const YAML::Exception&) {
      fail("expected true or false, got '" + node_.Scalar() + "'");
    }
  }
  std::size_t size() const {
    if (!node_.IsSequence()) fail("expected a list");
    return node_.size();
  }
  // A list of numbers in [lo, hi]; `expected` > 0 demands that many.
  std::vector<double> numbers(double lo, double hi, std::size_t expected = 0,
                              std::string_view what = "") const {
    const std::size_t n = size();
    if (expected > 0 && n != expected)
      fail("expected " + std::to_string(expected) + " values" +
           (what.empty() ? "" : " (" + std::string(what) + ")") + ", got " + std::to_string(n));
    if (n == 0) fail("expected a non-empty list");
    std::vector<double> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(element(i).number_in(lo, hi));
    return out;
  }

 private:
  std::string join(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  static std::string trim(double v) {
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  YAML::Node node_;
  std::string path_;
  yaml::Reader* reader_;
};

// Reads one section; a fault in it is recorded and reading goes on with the next, so a design
// with several mistakes reports them together.
template <class Read>
void section(yaml::Reader& reader, Read&& read) {
  try {
    read();
  } catch (const Error& e) {
    reader.error(e);
  }
}

}  // namespace cytopipe::sim::detail
