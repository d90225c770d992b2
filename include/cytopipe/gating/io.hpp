#pragma once
// Reading and writing strategies: cytopipe's YAML form (gating/*.yaml) and Gating-ML 2.0 XML.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

// Reads a strategy, choosing YAML or Gating-ML by the content (an XML declaration or a
// Gating-ML root element), and validates it. Errors name the file, line and gate.
GatingStrategy load_strategy(const std::filesystem::path& file);

// Limits on a strategy document: a larger file is refused before it is read (a 100,000-vertex
// contour polygon is about 15 MB of Gating-ML), and Gating-ML elements may nest this deep (the
// format itself needs fewer than 10 levels).
inline constexpr std::size_t kMaxStrategyBytes = std::size_t{256} << 20;
inline constexpr std::size_t kMaxGatingMlDepth = 64;

// YAML (one-to-one with the in-memory model; see gating/README.md). `name` is used in messages.
GatingStrategy parse_strategy_yaml(std::string_view text, std::string_view name = "<yaml>");
std::string to_yaml(const GatingStrategy& strategy);

// Gating-ML 2.0. Hostile documents are refused with the reason: any entity declaration or
// external DTD (billion laughs, quadratic blow-up, XXE), XInclude, more than kMaxStrategyBytes,
// nesting deeper than kMaxGatingMlDepth. Nothing is ever loaded from disk or network.
GatingStrategy parse_gatingml(std::string_view xml, std::string_view name = "<gating-ml>");
std::string to_gatingml(const GatingStrategy& strategy);

// Writes YAML or Gating-ML by the extension (.xml = Gating-ML), atomically.
void save_strategy(const std::filesystem::path& file, const GatingStrategy& strategy);

}  // namespace cytopipe::gating
