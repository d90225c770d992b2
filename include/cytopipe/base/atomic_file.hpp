#pragma once
// The base library's atomic file writes (src/base/atomic_file.cpp). They keep their first home,
// cytopipe/atomic_file.hpp, which the writing stages already include.
#include "cytopipe/atomic_file.hpp"
