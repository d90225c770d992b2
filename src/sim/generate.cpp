// Sampling the events of one tube: scatter, true fluorescence, spillover, detector noise, time.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cytopipe/sim/simulate.hpp"
#include "sim/fcs_metadata.hpp"
#include "sim/mixture.hpp"

namespace cytopipe::sim {

namespace {

using detail::Component;
using detail::Mixture;

struct Particle {
  double fsc_a, fsc_h, ssc_a, ssc_h;
  std::array<double, kFluorescence> fl;
  bool alive;
  std::uint8_t positive;
};

double height(Rng& rng, double area, double ratio, double cv) {
  return area * ratio * std::exp(cv * rng.normal());
}

Particle draw_cell(const Component& c, const Instrument& in, const Particles& p, Rng& rng) {
  Particle out{};
  out.alive = rng.bernoulli(c.viability);
  out.fsc_a = rng.lognormal(c.fsc.median, c.fsc.sdlog) * (out.alive ? 1 : p.dead_fsc_factor);
  out.ssc_a = rng.lognormal(c.ssc.median, c.ssc.sdlog) * (out.alive ? 1 : p.dead_ssc_factor);
  out.fsc_h = height(rng, out.fsc_a, in.height_ratio_fsc, in.height_cv);
  out.ssc_h = height(rng, out.ssc_a, in.height_ratio_ssc, in.height_cv);
  for (std::size_t m = 0; m < kFluorescence; ++m) {
    const auto& profile = c.markers[m];
    bool positive;
    if (m == Viability) positive = !out.alive;  // the dye marks dead cells
    else if (profile.exclusive_with && ((out.positive >> *profile.exclusive_with) & 1U)) positive = false;
    else positive = rng.bernoulli(profile.positive_pct);
    const LogNormal& d = positive ? profile.positive : profile.negative;
    out.fl[m] = rng.lognormal(d.median, d.sdlog);
    if (positive) out.positive |= static_cast<std::uint8_t>(1U << m);
  }
  return out;
}

Particle draw_debris(const Particles& p, const Instrument& in, Rng& rng) {
  Particle out{};
  out.fsc_a = rng.lognormal(p.debris_fsc.median, p.debris_fsc.sdlog);
  out.ssc_a = rng.lognormal(p.debris_ssc.median, p.debris_ssc.sdlog);
  out.fsc_h = height(rng, out.fsc_a, in.height_ratio_fsc, in.height_cv);
  out.ssc_h = height(rng, out.ssc_a, in.height_ratio_ssc, in.height_cv);
  for (auto& f : out.fl) f = rng.lognormal(p.debris_fluorescence.median, p.debris_fluorescence.sdlog);
  if (rng.bernoulli(p.debris_viability_pct / 100))
    out.fl[Viability] = rng.lognormal(p.debris_dye_bright.median, p.debris_dye_bright.sdlog);
  return out;
}

Particle draw_bead(const Particles& p, const Instrument& in, Rng& rng) {
  Particle out{};
  out.fsc_a = rng.lognormal(p.bead_fsc.median, p.bead_fsc.sdlog);
  out.ssc_a = rng.lognormal(p.bead_ssc.median, p.bead_ssc.sdlog);
  out.fsc_h = height(rng, out.fsc_a, in.height_ratio_fsc, in.height_cv);
  out.ssc_h = height(rng, out.ssc_a, in.height_ratio_ssc, in.height_cv);
  for (auto& f : out.fl) f = rng.lognormal(p.bead_fluorescence.median, p.bead_fluorescence.sdlog);
  return out;
}

// Two cells passing together: areas add, the height is little more than the taller cell's.
Particle combine(const Particle& a, const Particle& b, double height_factor) {
  Particle out{};
  out.fsc_a = a.fsc_a + b.fsc_a;
  out.ssc_a = a.ssc_a + b.ssc_a;
  out.fsc_h = std::max(a.fsc_h, b.fsc_h) * height_factor;
  out.ssc_h = std::max(a.ssc_h, b.ssc_h) * height_factor;
  for (std::size_t m = 0; m < kFluorescence; ++m) out.fl[m] = a.fl[m] + b.fl[m];
  out.alive = a.alive && b.alive;
  out.positive = a.positive | b.positive;
  return out;
}

std::size_t pick(const std::vector<double>& cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

// Stored values are float32: round here so the Sample equals what a reader gets back.
double stored(double v, double top) { return static_cast<double>(static_cast<float>(std::min(v, top))); }

// The time of the next arrival after `time` (Time units) for a gap `gap` drawn at the normal rate:
// the gap is spent at the normal pace outside clogs and `rate` times slower inside them (a Poisson
// process in its own clock, so no draw is repeated and the event stream stays the same).
double arrival(double time, double gap, const std::vector<const AcquisitionFault*>& faults, double timestep) {
  for (;;) {
    const AcquisitionFault* inside = nullptr;
    double next_start = std::numeric_limits<double>::infinity();
    for (const auto* f : faults) {
      if (f->kind != AcquisitionFault::Kind::Clog) continue;
      const double a = f->from / timestep, b = f->to / timestep;
      if (time >= a && time < b) inside = f;
      else if (a > time) next_start = std::min(next_start, a);
    }
    if (inside) {
      const double end = inside->to / timestep;
      if (time + gap / inside->rate < end) return time + gap / inside->rate;
      gap -= (end - time) * inside->rate;
      time = end;
    } else {
      if (time + gap < next_start) return time + gap;
      gap -= next_start - time;
      time = next_start;
    }
  }
}

}  // namespace

SimulatedSample simulate_tube(const Design& design, const Tube& tube) {
  const Instrument& in = design.instrument;
  const Particles& particles = design.particles;
  Rng params(Rng::derive(design.seed, tube.file + "#parameters"));
  const Mixture mix = detail::resolve_mixture(design, tube, params);

  const std::size_t events = tube.events;

  // Cumulative weights over: debris, beads, then each cell component.
  std::vector<double> cumulative;
  double total = mix.debris_weight;
  cumulative.push_back(total);
  total += mix.bead_weight;
  cumulative.push_back(total);
  for (const auto& c : mix.cells) {
    total += c.weight;
    cumulative.push_back(total);
  }
  std::vector<double> cell_cumulative;
  double cell_total = 0;
  for (const auto& c : mix.cells) {
    cell_total += c.weight;
    cell_cumulative.push_back(cell_total);
  }

  SimulatedSample out;
  out.sample = detail::facsdiva_sample(design, tube, mix.source, events);
  out.fluorescence = fcs::EventMatrix(events, kFluorescence);
  out.labels.cls.resize(events);
  out.labels.role.resize(events);
  out.labels.positive.resize(events);
  out.labels.fault.assign(events, 0);
  std::vector<const AcquisitionFault*> faults;
  for (const auto& f : design.acquisition_faults)
    if (f.file == tube.file) faults.push_back(&f);

  Rng rng(Rng::derive(design.seed, tube.file));
  auto& m = out.sample.events;
  const double top = in.range - 1;  // the ADC's full scale, as FACSDiva clips
  const double time_units_per_event = 1.0 / (in.events_per_second * in.timestep);
  double time = 0;
  for (std::size_t i = 0; i < events; ++i) {
    const std::size_t what = pick(cumulative, rng.uniform() * total);
    Particle p;
    EventClass cls;
    CellRole role = CellRole::None;
    if (what == 0) {
      p = draw_debris(particles, in, rng);
      cls = EventClass::Debris;
    } else if (what == 1) {
      p = draw_bead(particles, in, rng);
      cls = EventClass::Bead;
    } else {
      const Component& c = mix.cells[what - 2];
      p = draw_cell(c, in, particles, rng);
      role = c.role;
      cls = p.alive ? EventClass::Live : EventClass::Dead;
      if (rng.bernoulli(mix.doublet_fraction)) {
        const Component& partner = mix.cells[pick(cell_cumulative, rng.uniform() * cell_total)];
        p = combine(p, draw_cell(partner, in, particles, rng), particles.doublet_height_factor);
        cls = EventClass::Doublet;
      }
    }
    out.labels.cls[i] = cls;
    out.labels.role[i] = role;
    out.labels.positive[i] = p.positive;

    m.column(0)[i] = stored(p.fsc_a, top);
    m.column(1)[i] = stored(p.fsc_h, top);
    m.column(2)[i] = stored(p.ssc_a, top);
    m.column(3)[i] = stored(p.ssc_h, top);
    double measured[kFluorescence];
    for (std::size_t d = 0; d < kFluorescence; ++d) {
      out.fluorescence.column(d)[i] = p.fl[d];
      double signal = 0;
      for (std::size_t f = 0; f < kFluorescence; ++f) signal += p.fl[f] * in.spillover[f][d];
      const double sd = std::sqrt(in.electronic_noise_sd * in.electronic_noise_sd +
                                  in.photon_noise * in.photon_noise * std::max(signal, 0.0));
      measured[d] = signal + sd * rng.normal();
    }
    // The arrival: one exponential gap at the normal rate (drawn last, as without faults),
    // stretched while a clog lasts; a shift at that moment scales its detector's signal.
    time = arrival(time, rng.exponential(time_units_per_event), faults, in.timestep);
    std::uint8_t fault = 0;
    for (const auto* f : faults) {
      const double seconds = time * in.timestep;
      if (seconds < f->from || seconds >= f->to) continue;
      if (f->kind == AcquisitionFault::Kind::Clog) {
        fault |= 1;
      } else {
        measured[f->detector] *= f->factor;
        fault |= 2;
      }
    }
    out.labels.fault[i] = fault;
    for (std::size_t d = 0; d < kFluorescence; ++d) m.column(4 + d)[i] = stored(measured[d], top);
    m.column(12)[i] = stored(time, top);
  }
  detail::finish_metadata(out.sample, design, tube, time * in.timestep);
  return out;
}

}  // namespace cytopipe::sim
