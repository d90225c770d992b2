#pragma once
// The FACSDiva-style metadata of a simulated tube: channels, $SPILLOVER and TEXT keywords.
#include <cstddef>
#include <string>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace cytopipe::sim::detail {

inline constexpr std::size_t kChannels = 13;  // 4 scatter + 8 fluorescence + Time
inline constexpr std::size_t kTimeChannel = 12;

// A sample with channels, keywords and an uninitialised events x 13 matrix.
fcs::Sample facsdiva_sample(const Design& design, const Tube& tube, const std::string& source,
                            std::size_t events);
// $ETIM once the acquisition's duration is known.
void finish_metadata(fcs::Sample& sample, const Design& design, const Tube& tube, double seconds);

// "HH:MM:SS" for seconds after midnight (wrapping at 24 h).
std::string clock_text(double seconds);
// Shortest text that reads back as the same double ("%.17g" trimmed to what round-trips).
std::string number_text(double value);
// The $SPILLOVER keyword value of the instrument.
std::string spillover_text(const Instrument& instrument);

}  // namespace cytopipe::sim::detail
