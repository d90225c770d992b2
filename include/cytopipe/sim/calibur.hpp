#pragma once
// The second instrument style: FCS 2.0 as a BD FACSCalibur wrote it: 10-bit integers stored in
// 16 bits, linear scatter and Time, log-amplified fluorescence ($PnE decades,1), hardware
// (analogue) compensation, so no spillover keyword.
#include <cstddef>
#include <vector>

#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace cytopipe::sim {

// Factor from FACSDiva-style channel units to the log scale's linear units (10^decades / range):
// a FACSDiva value v reads back from the FACSCalibur-style file as about v * factor.
double calibur_scale(const Instrument& instrument);

// The FCS 2.0 bytes of a simulated tube: fluorescence compensated with the instrument's
// spillover (as the analogue circuit did), scaled by calibur_scale, then log-encoded to
// `calibur_resolution` channels over `calibur_decades`; scatter linear over the same resolution.
// Throws Error if the file would not fit the 8-digit FCS 2.0 HEADER offsets.
std::vector<std::byte> to_facscalibur_bytes(const SimulatedSample& simulated, const Design& design,
                                            const Tube& tube);

}  // namespace cytopipe::sim
