#include "pipeline/yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace cytopipe::pipeline::detail {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null: return "nothing";
    default: return "an undefined value";
  }
}

}  // namespace

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

Location YamlReader::at(const YAML::Node& node) const {
  const auto mark = node.Mark();
  if (mark.is_null()) return {file_, 0, 0};
  return {file_, mark.line + 1, mark.column + 1};
}

void YamlReader::error(const YAML::Node& node, std::string where, std::string message) {
  error(at(node), std::move(where), std::move(message));
}

void YamlReader::error(const Location& location, std::string where, std::string message) {
  errors_.emplace_back(std::move(message), location.context(std::move(where)));
}

bool YamlReader::expect_map(const YAML::Node& node, const std::string& where) {
  if (node.IsMap()) return true;
  error(node, where, "expected a map, found " + kind_of(node));
  return false;
}

void YamlReader::check_keys(const YAML::Node& map, const std::string& where,
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

std::optional<std::string> YamlReader::string(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) {
    error(node, where, "expected text, found " + kind_of(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<double> YamlReader::number(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size()) return value;
  }
  error(node, where, "expected a number, found " + kind_of(node));
  return std::nullopt;
}

std::optional<long long> YamlReader::integer(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    long long value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc() && end == s.data() + s.size()) return value;
  }
  error(node, where, "expected a whole number, found " + kind_of(node));
  return std::nullopt;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  error(node, where, "expected true or false, found " + kind_of(node));
  return std::nullopt;
}

std::vector<std::string> YamlReader::strings(const YAML::Node& node, const std::string& where) {
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

}  // namespace cytopipe::pipeline::detail
