#pragma once
// The base library's error type: cytopipe::Error with its ErrorContext (file, key, line,
// column). It keeps its first home, cytopipe/error.hpp, which every stage already includes.
#include "cytopipe/error.hpp"
