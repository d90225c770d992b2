#include "gating/columns.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "gating/dimension_channels.hpp"

namespace cytopipe::gating {
namespace {

std::string number(double v) { return format_number(v, kExactNumber); }

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

// clamp(A (num - B) / (den - C)) over a run: division-bound, so also compiled for AVX2 (picked
// at run time); no FMA can form here, so both forms round alike.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void ratio_run(const double* __restrict__ num, const double* __restrict__ den, double* __restrict__ out,
               std::size_t n, const Ratio& r) {
  const double A = r.A, B = r.B, C = r.C, lo = r.bound_min, hi = r.bound_max;
  for (std::size_t e = 0; e < n; ++e) {
    const double v = A * (num[e] - B) / (den[e] - C);
    out[e] = v < lo ? lo : (hi < v ? hi : v);  // std::clamp
  }
}

// The matrix solved (SVD condition check, LU or least squares), or a copy of the one this thread
// solved last when it is the same: a counts-only gate builds a cache per block of 32,768 events,
// and solving its file's matrix for each of them was ~1 % of the run.
transform::Compensation solved(const fcs::Spillover& spectrum, const std::string& name) {
  thread_local std::unique_ptr<transform::Compensation> last;
  const auto same = [&](const fcs::Spillover& s) {
    // Values compared bit for bit (-0 is not 0 here: the inverse could differ in a zero's sign).
    return s.keyword == spectrum.keyword && s.detectors == spectrum.detectors &&
           s.fluorochromes == spectrum.fluorochromes && s.values.size() == spectrum.values.size() &&
           std::memcmp(s.values.data(), spectrum.values.data(), s.values.size() * sizeof(double)) == 0;
  };
  if (!last || last->name() != name || !same(last->spillover())) {
    last.reset();
    last = std::make_unique<transform::Compensation>(spectrum, name);  // throws for a bad matrix
  }
  return *last;
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
  if (const auto* t = d.scale.biex_table.get())  // FlowJo's display: table (by identity) and grid
    key += ",table@" + std::to_string(reinterpret_cast<std::uintptr_t>(t));
  if (d.scale.grid_scale != 0) key += ",grid(" + number(d.scale.grid_origin) + ',' + number(d.scale.grid_scale) + ')';
  return key;
}

ColumnCache::ColumnCache(const GatingStrategy& strategy, const fcs::Sample& sample, bool parallel)
    : strategy_(strategy), sample_(sample), parallel_(parallel) {}

ColumnCache::Compensated* ColumnCache::compensated(const std::string& compensation) {
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

  auto out = std::make_unique<Compensated>();
  out->outputs = spectrum->fluorochromes;
  out->values.resize(out->outputs.size());
  out->done.assign(out->outputs.size(), 0);
  if (inverted) {
    // Every detector is read: a missing one is an error now, whichever outputs are read later.
    for (const auto& det : spectrum->detectors) (void)sample_.values(det);
    out->inverted = spectrum;
  } else {
    // The one compensation of the project (LU / least squares with a condition-number check).
    try {
      out->solved.emplace(solved(*spectrum, compensation));
      (void)out->solved->detector_columns(sample_);
    } catch (const Error& e) {
      if (!e.context().file.empty()) throw;
      throw Error(e.message(), ErrorContext{sample_.source, e.context().where, 0, 0});
    }
  }
  auto* ptr = out.get();
  compensations_[compensation] = std::move(out);
  return ptr;
}

void ColumnCache::compute(Compensated& c, const std::vector<std::size_t>& which) const {
  const std::size_t n = sample_.event_count();
  fcs::EventMatrix values;
  if (c.inverted) {
    // Gating-ML's matrix-inverted-already: the matrix is the (detectors x outputs) solution itself.
    const fcs::Spillover& spectrum = *c.inverted;
    const std::size_t f = spectrum.fluorochromes.size();
    const std::size_t d = spectrum.detectors.size();
    const std::vector<double>& p = spectrum.values;
    std::vector<std::span<const double>> raw;
    for (const auto& det : spectrum.detectors) raw.push_back(sample_.values(det));
    values = fcs::EventMatrix(n, which.size());
    for_blocks(n, parallel_, [&](std::size_t begin, std::size_t end) {
      for (std::size_t j = 0; j < which.size(); ++j) {
        const std::size_t o = which[j];
        double* dst = values.column(j).data();
        std::fill(dst + begin, dst + end, 0.0);
        for (std::size_t k = 0; k < d; ++k) {
          const double w = p[k * f + o];
          const double* src = raw[k].data();
          for (std::size_t e = begin; e < end; ++e) dst[e] += w * src[e];
        }
      }
    });
  } else {
    values = c.solved->compensate(sample_, which);
  }
  for (std::size_t j = 0; j < which.size(); ++j) {
    c.values[which[j]] = values.column(j);
    c.done[which[j]] = 1;
  }
  c.storage.push_back(std::move(values));
}

std::span<const double> ColumnCache::base(const std::string& compensation,
                                          const std::string& name) {
  if (Compensated* c = compensated(compensation)) {
    const auto at = std::find(c->outputs.begin(), c->outputs.end(), name);
    if (at != c->outputs.end()) {
      const auto i = static_cast<std::size_t>(at - c->outputs.begin());
      if (!c->done[i]) {
        // The outputs the strategy's gates read through this compensation, when `name` is one;
        // else every output not computed yet.
        std::vector<char> read(c->outputs.size(), 0);
        for (const auto& node : strategy_.gates())
          for (const Dimension* d : dimensions_of(node.gate)) {
            if (d->compensation != compensation) continue;
            for_each_channel(*d, [&](const std::string& n) {
              if (const auto o = std::find(c->outputs.begin(), c->outputs.end(), n); o != c->outputs.end())
                read[static_cast<std::size_t>(o - c->outputs.begin())] = 1;
            });
          }
        std::vector<std::size_t> which;
        for (std::size_t j = 0; j < c->outputs.size(); ++j)
          if (!c->done[j] && (!read[i] || read[j])) which.push_back(j);
        compute(*c, which);
      }
      return c->values[i];
    }
  }
  // Channels outside the matrix are read as they are.
  return sample_.values(name);
}

ColumnCache::LazyColumn ColumnCache::lazy(const Dimension& d) {
  LazyColumn out;
  if (!d.ratio && d.scale.is_identity()) {  // shared, no copy
    out.values = base(d.compensation, d.channel);
    return out;
  }
  const std::size_t n = sample_.event_count();
  ComputedColumn& column = columns_[column_key(d)];
  if (column.values.events() != n) {
    column.values = fcs::EventMatrix(n, 1);
    column.done.assign((n + 63) / 64, 0);
  }
  out.values = column.values.column(0);
  out.column = &column;
  out.dimension = &d;
  if (d.ratio) {
    out.num = base(d.compensation, d.ratio->numerator);
    out.den = base(d.compensation, d.ratio->denominator);
  } else {
    out.num = base(d.compensation, d.channel);
  }
  return out;
}

void ColumnCache::fill(const LazyColumn& c, const Membership* need, std::size_t begin, std::size_t end) const {
  if (!c.column) return;
  ComputedColumn& column = *c.column;
  const Dimension& d = *c.dimension;
  const std::size_t n = sample_.event_count();
  double* values = column.values.column(0).data();
  const bool identity = std::holds_alternative<transform::Identity>(d.scale.transform.params());
  const bool clamped = d.scale.bound_min != -kUnbounded || d.scale.bound_max != kUnbounded;
  const bool flowjo_display = d.scale.biex_table || d.scale.grid_scale != 0;
  auto wanted = [&](std::size_t w) { return !column.done[w] && (!need || need->words()[w] != 0); };
  for (std::size_t w = begin; w < end;) {
    if (!wanted(w)) {
      ++w;
      continue;
    }
    std::size_t stop = w;  // a run of consecutive words to compute
    while (stop < end && wanted(stop)) column.done[stop++] = 1;
    const std::size_t first = w * 64, last = std::min(n, stop * 64);
    const std::span<double> run(values + first, last - first);
    // The scale reads the channel itself when it can (elementwise: the same values as copying
    // first and scaling in place, without the copy).
    const bool scale_from_channel = !d.ratio && !flowjo_display && !identity;
    if (d.ratio) {
      ratio_run(c.num.data() + first, c.den.data() + first, values + first, last - first, *d.ratio);
    } else if (!scale_from_channel) {
      std::copy(c.num.begin() + static_cast<std::ptrdiff_t>(first), c.num.begin() + static_cast<std::ptrdiff_t>(last),
                values + first);
    }
    if (flowjo_display) {
      apply_scale(d.scale, run);
    } else {
      if (scale_from_channel) d.scale.transform.apply(c.num.subspan(first, last - first), run);
      else if (!identity) d.scale.transform.apply(run, run);  // in place: elementwise
      if (clamped)
        for (double& v : run) v = std::clamp(v, d.scale.bound_min, d.scale.bound_max);
    }
    w = stop;
  }
}

std::span<const double> ColumnCache::get(const Dimension& d, const Membership* need) {
  const LazyColumn column = lazy(d);
  fill(column, need, 0, (sample_.event_count() + 63) / 64);
  return column.values;
}

}  // namespace cytopipe::gating
