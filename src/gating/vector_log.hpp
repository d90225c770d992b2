#pragma once
// Natural logs of many values at once, for the sums of logs behind geometric means.
// glibc's scalar log takes ~5-7 ms per 10^6 values here, the largest single cost of a statistics
// table; glibc's own vector log (libmvec: the same library family, within 1 unit in the last
// place of the scalar one) takes under 1 ms. libmvec is loaded at the first call (dlopen), so
// nothing else pays for it at start-up; without it, or without AVX2, the scalar log serves.
#include <span>

namespace cytopipe::gating::detail {

// out[i] = log(x[i]) for finite x[i] > 0, else +0 (which leaves a sum of logs as it is).
// out.size() must equal x.size().
void logs_of_positive(std::span<const double> x, std::span<double> out);

}  // namespace cytopipe::gating::detail
