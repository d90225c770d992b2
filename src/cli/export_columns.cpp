#include "cli/export_columns.hpp"

namespace cytopipe::cli {

std::vector<std::size_t> export_channels(const fcs::Sample& sample,
                                         const std::vector<std::string>& requested) {
  std::vector<std::size_t> indices;
  if (requested.empty()) {
    for (std::size_t c = 0; c < sample.channels.size(); ++c) indices.push_back(c);
    return indices;
  }
  for (const auto& name : requested) indices.push_back(sample.channel_index(name));
  return indices;
}

}  // namespace cytopipe::cli
