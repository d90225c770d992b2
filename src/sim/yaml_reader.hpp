#pragma once
// Reading a design YAML with errors that name the key path ("experiments.tumour_bcma.events")
// and its line, and that reject keys the design does not know (typos would otherwise be ignored).
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/error.hpp"

namespace cytopipe::sim::detail {

class YamlReader {
 public:
  YamlReader(YAML::Node node, std::string path, std::string source)
      : node_(std::move(node)), path_(std::move(path)), source_(std::move(source)) {}

  const YAML::Node& node() const noexcept { return node_; }
  const std::string& path() const noexcept { return path_; }
  bool has(std::string_view key) const { return node_.IsMap() && node_[std::string(key)]; }

  [[noreturn]] void fail(const std::string& message) const {
    ErrorContext context{source_, path_.empty() ? "(top level)" : path_, 0, 0};
    if (node_.IsDefined() && node_.Mark().line >= 0) {
      context.line = node_.Mark().line + 1;
      context.column = node_.Mark().column + 1;
    }
    throw Error(message, context);
  }

  YamlReader child(std::string_view key) const {
    if (!node_.IsMap()) fail("expected a mapping");
    YAML::Node value = node_[std::string(key)];
    if (!value) {
      YamlReader(node_, join(key), source_).fail("missing required key");
    }
    return {value, join(key), source_};
  }
  std::optional<YamlReader> optional_child(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return child(key);
  }
  YamlReader element(std::size_t i) const {
    return {node_[i], path_ + "[" + std::to_string(i) + "]", source_};
  }

  // Every key of this mapping must be one of `allowed`.
  void only_keys(std::initializer_list<std::string_view> allowed) const {
    if (!node_.IsMap()) fail("expected a mapping");
    for (const auto& entry : node_) {
      const auto key = entry.first.as<std::string>();
      bool known = false;
      for (auto a : allowed) known = known || a == key;
      if (!known) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        YamlReader(entry.first, join(key), source_).fail("unknown key (expected one of: " + list + ")");
      }
    }
  }
  std::vector<std::string> keys() const {
    if (!node_.IsMap()) fail("expected a mapping");
    std::vector<std::string> out;
    for (const auto& entry : node_) out.push_back(entry.first.as<std::string>());
    return out;
  }

  double number() const {
    if (!node_.IsScalar()) fail("expected a number");
    try {
      return node_.as<double>();
    } catch (const YAML::Exception&) {
      fail("expected a number, got '" + node_.Scalar() + "'");
    }
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
  std::string source_;
};

}  // namespace cytopipe::sim::detail
