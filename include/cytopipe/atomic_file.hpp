#pragma once
// Kept so that code written against the first layout still compiles; atomic writes live in the
// base library (cytopipe/base/atomic_file.hpp).
#include "cytopipe/base/atomic_file.hpp"
