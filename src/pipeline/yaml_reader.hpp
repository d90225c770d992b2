#pragma once
// The pipeline reads its config with the one checked YAML reader of the base library; these
// names keep the config readers short.
#include "cytopipe/base/yaml_reader.hpp"

namespace cytopipe::pipeline::detail {

using YamlReader = yaml::Reader;
using yaml::closest_name;
using yaml::throw_all;

}  // namespace cytopipe::pipeline::detail
