#pragma once
// Where an element of a pipeline config was written, so later stages report against the YAML.
#include <string>
#include <utility>

#include "cytopipe/error.hpp"

namespace cytopipe::pipeline {

struct Location {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  ErrorContext context(std::string where = {}) const { return {file, std::move(where), line, column}; }
};

}  // namespace cytopipe::pipeline
