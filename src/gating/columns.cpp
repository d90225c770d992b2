#include "gating/columns.hpp"

#include <algorithm>
#include <cstdio>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "gating/linear_algebra.hpp"

namespace cytopipe::gating {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <class Body>
void for_blocks(std::size_t n, bool parallel, const Body& body) {
  constexpr std::size_t grain = 16384;
  if (!parallel || n < 2 * grain) {
    body(std::size_t{0}, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace

std::string column_key(const Dimension& d) {
  std::string key = d.compensation + '\x1f';
  if (d.ratio)
    key += "ratio(" + d.ratio->numerator + '\x1f' + d.ratio->denominator + ',' +
           number(d.ratio->A) + ',' + number(d.ratio->B) + ',' + number(d.ratio->C) + ',' +
           number(d.ratio->bound_min) + ',' + number(d.ratio->bound_max) + ')';
  else
    key += d.channel;
  key += '\x1f' + d.scale.transform.to_string() + ',' + number(d.scale.bound_min) + ',' +
         number(d.scale.bound_max);
  return key;
}

ColumnCache::ColumnCache(const GatingStrategy& strategy, const fcs::Sample& sample, bool parallel)
    : strategy_(strategy), sample_(sample), parallel_(parallel) {}

const ColumnCache::Compensated* ColumnCache::compensated(const std::string& compensation) {
  if (compensation == kUncompensated) return nullptr;
  if (auto it = compensations_.find(compensation); it != compensations_.end())
    return it->second.get();

  const fcs::Spillover* spectrum = nullptr;
  bool inverted = false;
  if (compensation == kFileCompensation) {
    if (sample_.spillover) spectrum = &*sample_.spillover;
  } else if (auto it = strategy_.matrices().find(compensation); it != strategy_.matrices().end()) {
    spectrum = &it->second.spectrum;
    inverted = it->second.inverted_already;
  } else {
    throw Error("unknown compensation '" + compensation + "'", ErrorContext{sample_.source, "", 0, 0});
  }
  if (!spectrum) {  // "FCS" on a file without a spillover: values stay as they are
    compensations_[compensation] = nullptr;
    return nullptr;
  }

  const std::size_t f = spectrum->fluorochromes.size();
  const std::size_t d = spectrum->detectors.size();
  std::vector<double> p;  // d x f: compensated row = raw row x p
  if (inverted) {
    p = spectrum->values;
  } else {
    auto solved = unmixing_matrix(spectrum->values, f, d);
    if (!solved)
      throw Error("compensation matrix '" + compensation + "' is singular",
                  ErrorContext{sample_.source, "", 0, 0});
    p = std::move(*solved);
  }
  std::vector<std::span<const double>> raw;
  for (const auto& det : spectrum->detectors) raw.push_back(sample_.values(det));

  auto out = std::make_unique<Compensated>();
  out->outputs = spectrum->fluorochromes;
  const std::size_t n = sample_.event_count();
  out->columns.assign(f, std::vector<double>(n, 0.0));
  for_blocks(n, parallel_, [&](std::size_t begin, std::size_t end) {
    for (std::size_t o = 0; o < f; ++o) {
      double* dst = out->columns[o].data();
      for (std::size_t k = 0; k < d; ++k) {
        const double w = p[k * f + o];
        const double* src = raw[k].data();
        for (std::size_t e = begin; e < end; ++e) dst[e] += w * src[e];
      }
    }
  });
  auto* ptr = out.get();
  compensations_[compensation] = std::move(out);
  return ptr;
}

std::span<const double> ColumnCache::base(const std::string& compensation,
                                          const std::string& name) {
  if (const Compensated* c = compensated(compensation)) {
    for (std::size_t i = 0; i < c->outputs.size(); ++i)
      if (c->outputs[i] == name) return c->columns[i];
  }
  // Channels outside the matrix are read as they are.
  return sample_.values(name);
}

std::span<const double> ColumnCache::get(const Dimension& d) {
  const std::string key = column_key(d);
  if (auto it = columns_.find(key); it != columns_.end()) return it->second;

  const std::size_t n = sample_.event_count();
  std::vector<double> values;
  if (d.ratio) {
    const auto num = base(d.compensation, d.ratio->numerator);
    const auto den = base(d.compensation, d.ratio->denominator);
    values.resize(n);
    const Ratio r = *d.ratio;
    for_blocks(n, parallel_, [&](std::size_t begin, std::size_t end) {
      for (std::size_t e = begin; e < end; ++e) {
        const double v = r.A * (num[e] - r.B) / (den[e] - r.C);
        values[e] = std::clamp(v, r.bound_min, r.bound_max);
      }
    });
  } else {
    if (d.scale.is_identity()) {
      // Untransformed channel: share the sample's (or compensation's) array, no copy.
      return base(d.compensation, d.channel);
    }
    const auto b = base(d.compensation, d.channel);
    values.assign(b.begin(), b.end());
  }
  if (!std::holds_alternative<transform::Identity>(d.scale.transform.params()))
    d.scale.transform.apply(values, values);
  if (d.scale.bound_min != -kUnbounded || d.scale.bound_max != kUnbounded) {
    const double lo = d.scale.bound_min, hi = d.scale.bound_max;
    for (double& v : values) v = std::clamp(v, lo, hi);
  }
  auto [it, inserted] = columns_.emplace(key, std::move(values));
  return it->second;
}

}  // namespace cytopipe::gating
