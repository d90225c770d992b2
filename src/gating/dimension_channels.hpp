#pragma once
// The channel names a gate dimension reads, for the places that collect or check them.
#include <string>

#include "cytopipe/gating/gate.hpp"

namespace cytopipe::gating {

// Calls read(name) for each channel `d` reads: its channel, or a ratio's numerator and denominator.
template <class Read>
void for_each_channel(const Dimension& d, Read&& read) {
  if (d.ratio) {
    read(d.ratio->numerator);
    read(d.ratio->denominator);
  } else {
    read(d.channel);
  }
}

}  // namespace cytopipe::gating
