#pragma once
// Kept so that code written against the first layout still compiles; the error type lives in the
// base library (cytopipe/base/error.hpp).
#include "cytopipe/base/error.hpp"
