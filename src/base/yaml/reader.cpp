#include "cytopipe/base/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

namespace cytopipe::yaml {
namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions, the commonest
// typo), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  const std::size_t w = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * w);
  for (std::size_t i = 0; i <= a.size(); ++i) d[i * w] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      auto& cell = d[i * w + j];
      cell = std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        cell = std::min(cell, d[(i - 2) * w + j - 2] + 1);
    }
  return d[a.size() * w + b.size()];
}

}  // namespace

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null: return "nothing";
    default: return "an undefined value";
  }
}

std::string closest_name(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const auto d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::optional<double> finite_number(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

YAML::Node Reader::load(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors_.emplace_back("not valid YAML: " + e.msg, ErrorContext{file_, "", e.mark.line + 1, e.mark.column + 1});
    throw_all(errors_);
  }
  check_duplicate_keys(root);
  return root;
}

void Reader::check_duplicate_keys(const YAML::Node& node) {
  if (node.IsSequence()) {
    for (const auto& item : node) check_duplicate_keys(item);
  } else if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& item : node) {
      if (item.first.IsScalar() && !seen.insert(item.first.Scalar()).second)
        error(item.first, item.first.Scalar(),
              "key '" + item.first.Scalar() + "' is written twice in the same map (remove one)");
      check_duplicate_keys(item.second);
    }
  }
}

Location Reader::at(const YAML::Node& node) const {
  if (!node.IsDefined()) return {file_, 0, 0};
  const auto mark = node.Mark();
  if (mark.is_null()) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

void Reader::error(const YAML::Node& node, std::string where, std::string message) {
  error(at(node), std::move(where), std::move(message));
}

void Reader::error(const Location& location, std::string where, std::string message) {
  errors_.emplace_back(std::move(message), location.context(std::move(where)));
}

void Reader::fail(const YAML::Node& node, std::string where, std::string message) {
  error(node, std::move(where), std::move(message));
  throw_all(errors_);
}

void Reader::throw_if_errors() const {
  if (!errors_.empty()) throw_all(errors_);
}

bool Reader::expect_map(const YAML::Node& node, const std::string& where) {
  if (node.IsMap()) return true;
  error(node, where, "expected a map, found " + kind_of(node));
  return false;
}

void Reader::check_keys(const YAML::Node& map, const std::string& where,
                        std::initializer_list<std::string_view> allowed) {
  if (!map.IsMap()) return;
  std::vector<std::string> names(allowed.begin(), allowed.end());
  for (const auto& item : map) {
    const auto key = item.first.Scalar();
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    std::string message = "unknown key '" + key + "'";
    if (auto guess = closest_name(key, names); !guess.empty())
      message += " (did you mean '" + guess + "'?)";
    else {
      message += "; known keys:";
      for (const auto& n : names) message += " " + n;
    }
    error(item.first, where.empty() ? key : where + "." + key, message);
  }
}

std::optional<std::string> Reader::string(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) {
    error(node, where, "expected text, found " + kind_of(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<double> Reader::number(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar())
    if (const auto value = finite_number(node.Scalar())) return value;
  error(node, where, "expected a finite number, found " + kind_of(node));
  return std::nullopt;
}

std::optional<long long> Reader::integer(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    long long value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size()) return value;
  }
  error(node, where, "expected a whole number, found " + kind_of(node));
  return std::nullopt;
}

std::optional<bool> Reader::boolean(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error(node, where, "expected true or false, found " + kind_of(node));
  return std::nullopt;
}

std::vector<std::string> Reader::strings(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
  } else if (node.IsSequence()) {
    for (const auto& item : node)
      if (auto s = string(item, where)) out.push_back(*s);
  } else {
    error(node, where, "expected text or a list of text, found " + kind_of(node));
  }
  return out;
}

void throw_all(const std::vector<Error>& errors) {
  if (errors.size() == 1) throw errors.front();
  std::string text = errors.front().message();
  for (std::size_t i = 1; i < errors.size(); ++i) text += "\n" + std::string(errors[i].what());
  text += "\n(" + std::to_string(errors.size()) + " problems)";
  throw Error(text, errors.front().context());
}

}  // namespace cytopipe::yaml
