#pragma once
// The text form of a transform: "logicle(T=262144,W=0.5,M=4.5,A=0)".
#include <string>
#include <string_view>

#include "cytopipe/transform/transform.hpp"

namespace cytopipe::transform::detail {

std::string_view name_of(const Transform::Params& params);
// name(key=value,...) with shortest round-trip numbers: parse(describe(p)) == p exactly.
std::string describe(const Transform::Params& params);
Transform::Params parse_params(std::string_view spec);

// Spec text: blanks off both ends; lower case (ASCII). Shared by the transform and compensation
// option parsers.
std::string_view trim(std::string_view s);
std::string lower(std::string_view s);

}  // namespace cytopipe::transform::detail
