#pragma once
// Where something was written in an input file (a YAML node), kept with the value read from
// there so that a later check can point at it.
#include <string>
#include <utility>

#include "cytopipe/error.hpp"

namespace cytopipe {

struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
  ErrorContext context(std::string where = {}) const { return {file, std::move(where), line, column}; }
};

}  // namespace cytopipe
