#pragma once
// Resolving a reference to a population: its unique name, its absolute path
// ("/cells/singlets/live") or the tail of its path ("singlets/live"). Shared by the strategy and
// the results, so both read a reference the same way.
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace cytopipe::gating::detail {

struct PopulationEntry {
  std::string_view name;
  std::string_view parent;  // empty = root
  std::string_view path;    // "/cells/singlets/live"
};

// The population `reference` names; nullopt when none does. Several matches (a name with '/' in
// it also reads as a path) are an Error listing them.
std::optional<std::size_t> find_population(std::span<const PopulationEntry> all, std::string_view reference);

// As find_population, and none is an Error listing the candidates: the populations of the same
// name at other paths, else every path.
std::size_t population_index(std::span<const PopulationEntry> all, std::string_view reference);

}  // namespace cytopipe::gating::detail
