// FACSCalibur-style encoding of a simulated tube (FCS 2.0, 10-bit, log fluorescence).
#include "cytopipe/sim/calibur.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "cytopipe/error.hpp"
#include "sim/fcs2_writer.hpp"
#include "sim/fcs_metadata.hpp"

namespace cytopipe::sim {

namespace {

using Matrix = std::array<std::array<double, kFluorescence>, kFluorescence>;

// Gauss-Jordan inverse with partial pivoting; the spillover matrix is small and well conditioned.
Matrix inverse(Matrix a, const std::string& source) {
  Matrix inv{};
  for (std::size_t i = 0; i < kFluorescence; ++i) inv[i][i] = 1;
  for (std::size_t col = 0; col < kFluorescence; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < kFluorescence; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    if (std::abs(a[pivot][col]) < 1e-9) throw Error("the spillover matrix is singular", {source, "instrument.spillover", 0, 0});
    std::swap(a[col], a[pivot]);
    std::swap(inv[col], inv[pivot]);
    const double d = a[col][col];
    for (std::size_t c = 0; c < kFluorescence; ++c) {
      a[col][c] /= d;
      inv[col][c] /= d;
    }
    for (std::size_t r = 0; r < kFluorescence; ++r) {
      if (r == col || a[r][col] == 0) continue;
      const double f = a[r][col];
      for (std::size_t c = 0; c < kFluorescence; ++c) {
        a[r][c] -= f * a[col][c];
        inv[r][c] -= f * inv[col][c];
      }
    }
  }
  return inv;
}

}  // namespace

double calibur_scale(const Instrument& instrument) {
  return std::pow(10.0, instrument.calibur_decades) / instrument.range;
}

std::vector<std::byte> to_facscalibur_bytes(const SimulatedSample& simulated, const Design& design,
                                            const Tube& tube) {
  const Instrument& in = design.instrument;
  const fcs::Sample& s = simulated.sample;
  const std::size_t n = s.event_count();
  const int resolution = in.calibur_resolution;
  const double top = resolution - 1;
  const double scale = calibur_scale(in);
  const Matrix unmix = inverse(in.spillover, design.source);

  detail::Fcs2Data data;
  data.events = n;
  for (std::size_t c = 0; c < detail::kChannels; ++c) {
    detail::Fcs2Channel ch;
    ch.name = s.channels[c].name;
    ch.marker = s.channels[c].marker;
    ch.range = resolution;
    const bool fluorescence = c >= 4 && c < 4 + kFluorescence;
    if (fluorescence) {
      char amp[32];
      std::snprintf(amp, sizeof amp, "%g,1", in.calibur_decades);
      ch.amplification = amp;
    }
    data.channels.push_back(ch);
  }

  const auto& events = s.events;
  const double duration = std::max(n == 0 ? 0.0 : events.column(detail::kTimeChannel)[n - 1], 1.0);
  data.values.resize(n * detail::kChannels);
  auto linear = [&](double v, double full_scale) {
    return static_cast<std::uint16_t>(std::clamp(std::round(v / full_scale * resolution), 0.0, top));
  };
  // Channel k of a log amplifier stands for 10^(k / resolution * decades).
  auto logarithmic = [&](double v) {
    if (!(v > 1)) return std::uint16_t{0};
    return static_cast<std::uint16_t>(
        std::clamp(std::round(std::log10(v) / in.calibur_decades * resolution), 0.0, top));
  };
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t* row = data.values.data() + i * detail::kChannels;
    for (std::size_t c = 0; c < 4; ++c) row[c] = linear(events.column(c)[i], in.range);
    for (std::size_t d = 0; d < kFluorescence; ++d) {
      double compensated = 0;
      for (std::size_t k = 0; k < kFluorescence; ++k) compensated += events.column(4 + k)[i] * unmix[k][d];
      row[4 + d] = logarithmic(compensated * scale);
    }
    row[detail::kTimeChannel] = linear(events.column(detail::kTimeChannel)[i], duration);
  }

  const auto& k = s.keywords;
  auto keyword = [&](const char* name) { return std::string(k.find(name).value_or("")); };
  data.keywords = {{"$CYT", in.cytometer},
                   {"$DATE", keyword("$DATE")},
                   {"$BTIM", keyword("$BTIM")},
                   {"$ETIM", keyword("$ETIM")},
                   {"$SRC", keyword("$SRC")},
                   {"$FIL", tube.file},
                   {"$SYS", "cytopipe simulate"},
                   {"$TIMESTEP", detail::number_text(duration * in.timestep / top)},
                   {"$WELLID", keyword("$WELLID")},
                   {"TUBE NAME", keyword("TUBE NAME")},
                   {"EXPERIMENT NAME", keyword("EXPERIMENT NAME")},
                   {"CREATOR", keyword("CREATOR")}};
  return detail::to_fcs2_bytes(data, tube.file);
}

}  // namespace cytopipe::sim
