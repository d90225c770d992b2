#include "gating/population_lookup.hpp"

#include <string>
#include <vector>

#include "cytopipe/error.hpp"

namespace cytopipe::gating::detail {
namespace {

std::string_view trim_trailing_slashes(std::string_view s) {
  while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  return s;
}

// Whether `key` names population `i` by the tail of its path (absolute: the whole path), read
// name by name from the population up its ancestors, so a name with '/' in it is one step.
bool matches_path(std::span<const PopulationEntry> all, std::size_t i, std::string_view key, bool absolute) {
  const PopulationEntry& p = all[i];
  const bool root = p.parent.empty();
  if (!absolute && key == p.name) return true;
  if (absolute && root) return key.size() == p.name.size() + 1 && key.front() == '/' && key.ends_with(p.name);
  if (root || key.size() <= p.name.size() + 1 || !key.ends_with(p.name) ||
      key[key.size() - p.name.size() - 1] != '/')
    return false;
  const std::string_view rest = key.substr(0, key.size() - p.name.size() - 1);
  for (std::size_t j = 0; j < all.size(); ++j)
    if (all[j].name == p.parent) return matches_path(all, j, rest, absolute);
  return false;
}

std::vector<std::size_t> matches(std::span<const PopulationEntry> all, std::string_view reference) {
  const std::string_view key = trim_trailing_slashes(reference);
  const bool absolute = key.starts_with('/');
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (matches_path(all, i, key, absolute)) out.push_back(i);
  return out;
}

std::string describe(const PopulationEntry& p) {
  return std::string(p.path) + " ('" + std::string(p.name) + "'" +
         (p.parent.empty() ? std::string(" at the root") : " under '" + std::string(p.parent) + "'") + ")";
}

}  // namespace

std::optional<std::size_t> find_population(std::span<const PopulationEntry> all, std::string_view reference) {
  const auto found = matches(all, reference);
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    std::string list;
    for (auto i : found) list += (list.empty() ? "" : "; ") + describe(all[i]);
    throw Error("population '" + std::string(reference) + "' is ambiguous: it matches " + list +
                "; name one by its absolute path or rename one");
  }
  return found.front();
}

std::size_t population_index(std::span<const PopulationEntry> all, std::string_view reference) {
  if (auto i = find_population(all, reference)) return *i;
  // Candidates: the same last name elsewhere in the tree, else every population.
  const std::string_view key = trim_trailing_slashes(reference);
  const std::string_view last = key.substr(key.rfind('/') == std::string_view::npos ? 0 : key.rfind('/') + 1);
  std::string same, every;
  for (const auto& p : all) {
    if (p.name == last) same += (same.empty() ? "" : ", ") + std::string(p.path);
    every += (every.empty() ? "" : ", ") + std::string(p.path);
  }
  if (!same.empty())
    throw Error("no population at '" + std::string(reference) + "'; '" + std::string(last) + "' is at " + same);
  throw Error("no population '" + std::string(reference) + "' (populations: " + (every.empty() ? "none" : every) + ")");
}

}  // namespace cytopipe::gating::detail
