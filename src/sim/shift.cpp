// Instrument shifts: another day's or another instrument's settings applied to a design.
#include "cytopipe/sim/design.hpp"

namespace cytopipe::sim {

void shift_instrument(Design& design, const InstrumentShift& shift) {
  auto scatter = [&](LogNormal& l) { l.median *= shift.scatter; };
  auto fluorescence = [&](LogNormal& l) { l.median *= shift.fluorescence; };
  for (auto& type : design.cell_types) {
    scatter(type.fsc);
    scatter(type.ssc);
    for (std::size_t m = 0; m < kFluorescence; ++m) {
      fluorescence(type.markers[m].negative);
      fluorescence(type.markers[m].positive);
    }
    type.markers[Viability].positive.median *= shift.viability_dye;
  }
  Particles& p = design.particles;
  scatter(p.debris_fsc);
  scatter(p.debris_ssc);
  scatter(p.bead_fsc);
  scatter(p.bead_ssc);
  fluorescence(p.debris_fluorescence);
  fluorescence(p.bead_fluorescence);
  fluorescence(p.debris_dye_bright);
  p.debris_dye_bright.median *= shift.viability_dye;
  fluorescence(design.tumour_bcma.isotype);
  for (auto& line : design.tumour_bcma.lines)
    for (double& m : line.bcma_mean) m *= shift.fluorescence;
  for (auto& line : design.coculture.lines)
    for (double& m : line.bcma_mean) m *= shift.fluorescence;
}

}  // namespace cytopipe::sim
