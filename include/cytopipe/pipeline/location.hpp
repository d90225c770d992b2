#pragma once
// Where an element of a pipeline config was written, so later stages report against the YAML:
// the base library's Location, which the checked YAML reader hands out.
#include "cytopipe/base/location.hpp"

namespace cytopipe::pipeline {

using cytopipe::Location;

}  // namespace cytopipe::pipeline
