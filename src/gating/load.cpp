// Choosing the strategy format by content, and saving by extension.
#include <fstream>
#include <sstream>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/gating/io.hpp"
#include "cytopipe/input_file.hpp"

namespace cytopipe::gating {

GatingStrategy load_strategy(const std::filesystem::path& file) {
  require_regular_file(file, "gating strategy");
  if (const auto size = std::filesystem::file_size(file); size > kMaxStrategyBytes)
    throw Error("a gating strategy of " + std::to_string(size) + " bytes is larger than the limit of " +
                    std::to_string(kMaxStrategyBytes) + " bytes",
                ErrorContext{file.string(), "", 0, 0});
  const std::string text = read_input_file(file, "gating strategy");
  std::size_t i = 0;
  if (text.starts_with("\xEF\xBB\xBF")) i = 3;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (text.compare(i, 1, "<") == 0) return parse_gatingml(text, file.string());
  return parse_strategy_yaml(text, file.string());
}

void save_strategy(const std::filesystem::path& file, const GatingStrategy& strategy) {
  const bool xml = file.extension() == ".xml" || file.extension() == ".XML";
  write_file_atomically(file, xml ? to_gatingml(strategy) : to_yaml(strategy));
}

}  // namespace cytopipe::gating
