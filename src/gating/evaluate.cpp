// Evaluating a strategy on one sample, block by block: every population's gate is prepared
// once (columns, thresholds, polygon edges), then the events are walked in blocks of 16384
// (in parallel), each block through every gate in tree order while its columns are in cache.
// Results are 64-event bitset words; a gate is tested only on words where its parent has members.
#include "cytopipe/gating/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "cytopipe/error.hpp"
#include "cytopipe/overloaded.hpp"
#include "gating/columns.hpp"
#include "gating/linear_algebra.hpp"
#include "gating/population_lookup.hpp"
#include "gating/word_kernels.hpp"

namespace cytopipe::gating {
namespace {

using detail::Bound;

// Words per block (16384 events): a block's columns (128 KB each) and bitsets stay in L2 through the
// tree, and each column is still read in long sequential runs.
constexpr std::size_t kBlockWords = 256;

// Closed-open interval [lo, hi); a missing bound is open. Gating-ML rule: a missing max means no
// upper limit, so +inf is excluded only for the value +inf itself, which never occurs in data.
detail::Bound to_bound(const double* values, const Interval& interval) {
  return {values, interval.min ? *interval.min : -std::numeric_limits<double>::infinity(),
          interval.max ? *interval.max : std::numeric_limits<double>::infinity()};
}

// Range and quadrant tests on a scaled dimension compare the raw values with the thresholds
// mapped back through the scale, instead of scaling every event: for a scale S that is
// non-decreasing and defined on all reals, S(x) >= t  <=>  x >= r(t), where r(t) is the
// smallest double with S(r) >= t. r(t) is found by bisection over doubles on S itself (not
// through the inverse), so the decision is the same, event for event, as scaling first.
bool monotone_everywhere(const transform::Transform& t) {
  const auto& p = t.params();
  // The scales marked false take the safe path: every event is scaled before the test.
  return std::visit(Overloaded{[](const transform::Identity&) { return true; },
                               [](const transform::Flin&) { return true; },
                               [](const transform::Flog&) { return false; },
                               [](const transform::Fasinh&) { return true; },
                               [](const transform::Logicle&) { return true; },
                               [](const transform::Hyperlog&) { return true; },
                               [](const transform::Log10&) { return false; },
                               [](const transform::ArcsinhCofactor&) { return true; },
                               [](const transform::FlowJoBiex&) { return false; }},
                    p);
}

std::optional<double> raw_threshold(const Scale& scale, double t) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  // The bulk form, exactly as scaled columns are computed (it may differ from the scalar form
  // in the last bits).
  auto S = [&](double x) {
    double in[1] = {x}, out[1];
    scale.transform.apply(std::span<const double>(in), std::span<double>(out));
    return std::clamp(out[0], scale.bound_min, scale.bound_max);
  };
  const double lo_end = -1e300, hi_end = 1e300;
  const double s_lo = S(lo_end), s_hi = S(hi_end);
  if (std::isnan(s_lo) || std::isnan(s_hi) || s_lo > s_hi) return std::nullopt;
  if (s_lo >= t) return -inf;   // every value passes
  if (!(s_hi >= t)) return inf;  // none does
  // Bracket around the inverse's estimate, then bisect down to adjacent doubles.
  double guess = scale.transform.inverse(std::clamp(t, scale.bound_min, scale.bound_max));
  if (!std::isfinite(guess)) guess = 0;
  double step = std::max(1.0, std::abs(guess)) * 1e-9;
  double a = guess, b = guess;
  for (int i = 0; S(a) >= t; ++i) {
    a = std::max(lo_end, guess - step);
    step *= 4;
    if (i > 400 || a == lo_end) { a = lo_end; break; }
  }
  step = std::max(1.0, std::abs(guess)) * 1e-9;
  for (int i = 0; !(S(b) >= t); ++i) {
    b = std::min(hi_end, guess + step);
    step *= 4;
    if (i > 400 || b == hi_end) { b = hi_end; break; }
  }
  if (S(a) >= t || !(S(b) >= t)) return std::nullopt;
  for (int i = 0; i < 2200 && std::nextafter(a, inf) < b; ++i) {
    double m = a / 2 + b / 2;
    if (!(m > a && m < b)) m = std::nextafter(a, inf);
    if (S(m) >= t) b = m;
    else a = m;
  }
  if (std::nextafter(a, inf) < b) return std::nullopt;
  return b;
}

// The bound for one dimension of a range/rectangle/quadrant test, on raw values when the scale
// allows it (see raw_threshold), else on the scaled column; with the column to fill.
struct PreparedBound {
  Bound bound;
  ColumnCache::LazyColumn column;
};
PreparedBound make_bound(ColumnCache& cache, const Dimension& d, const Interval& interval) {
  if (!d.ratio && !d.scale.is_identity() && monotone_everywhere(d.scale.transform)) {
    const auto lo = interval.min ? raw_threshold(d.scale, *interval.min)
                                 : std::optional<double>(-std::numeric_limits<double>::infinity());
    const auto hi = interval.max ? raw_threshold(d.scale, *interval.max)
                                 : std::optional<double>(std::numeric_limits<double>::infinity());
    if (lo && hi) {
      Dimension raw = d;
      raw.scale = Scale{};
      const auto column = cache.lazy(raw);  // a channel: nothing computed, `raw` not kept
      return {{column.values.data(), *lo, *hi}, column};
    }
  }
  const auto column = cache.lazy(d);
  return {to_bound(column.values.data(), interval), column};
}

// The segment of a divider holding `location`: [values[k-1], values[k]).
Interval segment(const Divider& divider, double location) {
  const auto& v = divider.values;
  const std::size_t k = static_cast<std::size_t>(
      std::upper_bound(v.begin(), v.end(), location) - v.begin());
  Interval out;
  if (k > 0) out.min = v[k - 1];
  if (k < v.size()) out.max = v[k];
  return out;
}

// One gate's work on a block of words: first the computed columns it reads (over its parent's
// members), then its kernel.
struct Step {
  const Membership* parent = nullptr;
  std::vector<ColumnCache::LazyColumn> columns;
  std::function<void(std::size_t begin_word, std::size_t end_word)> kernel;

  void need(const ColumnCache::LazyColumn& column) {
    if (!column.column) return;
    for (const auto& c : columns)
      if (c.column == column.column) return;
    columns.push_back(column);
  }
};

// Range tests shared by several outputs (a quadrant gate's quadrants, sibling rectangles).
struct Conjunctions {
  std::vector<Bound> tests;
  std::vector<std::vector<std::size_t>> terms;  // per output: indices into tests
  std::vector<Membership*> outputs;

  // Adds an output that is the AND of `bounds`; false (nothing added) when the tests would
  // exceed one pass's capacity.
  bool add(const std::vector<PreparedBound>& bounds, Membership* output, Step& step) {
    auto find = [&](const Bound& b) {
      return static_cast<std::size_t>(std::find_if(tests.begin(), tests.end(), [&](const Bound& t) {
                                        return t.values == b.values && t.lo == b.lo && t.hi == b.hi;
                                      }) - tests.begin());
    };
    std::vector<Bound> fresh;
    for (const auto& b : bounds)
      if (find(b.bound) == tests.size() &&
          std::none_of(fresh.begin(), fresh.end(), [&](const Bound& f) {
            return f.values == b.bound.values && f.lo == b.bound.lo && f.hi == b.bound.hi;
          }))
        fresh.push_back(b.bound);
    if (tests.size() + fresh.size() > detail::kMaxSharedTests) return false;
    std::vector<std::size_t> term;
    for (const auto& b : bounds) {
      const std::size_t at = find(b.bound);
      if (at == tests.size()) tests.push_back(b.bound);
      term.push_back(at);
      step.need(b.column);
    }
    terms.push_back(std::move(term));
    outputs.push_back(output);
    return true;
  }

  // The kernel: the plain box test for a single output of one or two tests, else one shared pass.
  std::function<void(std::size_t, std::size_t)> kernel(const Membership& parent) const {
    if (outputs.size() == 1 && tests.size() <= 2)
      return [tests = tests, out = outputs[0], &parent](std::size_t b, std::size_t e) {
        detail::box_words(tests, parent, *out, b, e);
      };
    return [c = *this, &parent](std::size_t b, std::size_t e) {
      detail::conjunction_words(c.tests, c.terms, parent, c.outputs, b, e);
    };
  }
};

std::vector<PreparedBound> rectangle_bounds(ColumnCache& cache, const RectangleGate& g) {
  std::vector<PreparedBound> bounds;
  for (std::size_t d = 0; d < g.dimensions.size(); ++d) bounds.push_back(make_bound(cache, g.dimensions[d], g.intervals[d]));
  return bounds;
}

// Everything gate_sample prepares before walking the blocks.
struct Preparation {
  const GatingStrategy& strategy;
  const std::vector<Population>& pops;
  ColumnCache& cache;
  std::vector<PopulationResult>& results;
  std::vector<const Membership*> parents;  // per population
  std::vector<char> assigned;              // population already has a step
  std::vector<Step> steps;

  // The step's kernel: one plain box test per output, for more tests than a shared pass takes.
  static void separate_boxes(const std::vector<std::vector<PreparedBound>>& per_output,
                             std::vector<Membership*> outputs, Step& step) {
    std::vector<std::vector<Bound>> plain(outputs.size());
    for (std::size_t k = 0; k < outputs.size(); ++k)
      for (const auto& b : per_output[k]) {
        plain[k].push_back(b.bound);
        step.need(b.column);
      }
    step.kernel = [plain, outputs, parent = step.parent](std::size_t b, std::size_t e) {
      for (std::size_t k = 0; k < outputs.size(); ++k) detail::box_words(plain[k], *parent, *outputs[k], b, e);
    };
  }

  // Population `first`'s rectangle and the rectangles of its later siblings, in one step. A
  // sibling whose bounds cannot be prepared is left out, to fail on its own turn under its name.
  void rectangles(std::size_t first, const RectangleGate& gate) {
    Step step;
    step.parent = parents[first];
    Conjunctions c;
    const auto bounds = rectangle_bounds(cache, gate);
    if (!c.add(bounds, &results[first].members, step)) {  // too many dimensions to share a pass
      separate_boxes({bounds}, {&results[first].members}, step);
      assigned[first] = 1;
      steps.push_back(std::move(step));
      return;
    }
    assigned[first] = 1;
    for (std::size_t j = first + 1; j < pops.size(); ++j) {
      if (assigned[j] || pops[j].parent != pops[first].parent) continue;
      const auto* g = std::get_if<RectangleGate>(&strategy.gates()[pops[j].gate].gate);
      if (!g) continue;
      try {
        if (c.add(rectangle_bounds(cache, *g), &results[j].members, step)) assigned[j] = 1;
      } catch (const Error&) {
      }
    }
    step.kernel = c.kernel(*step.parent);
    steps.push_back(std::move(step));
  }

  // Every quadrant population of the quadrant gate of population `first`, in one step.
  void quadrants(std::size_t first, const QuadrantGate& g) {
    Step step;
    step.parent = parents[first];
    std::vector<std::vector<PreparedBound>> per_output;
    std::vector<Membership*> outputs;
    for (std::size_t j = first; j < pops.size(); ++j) {
      if (pops[j].gate != pops[first].gate) continue;
      const Quadrant& quadrant = g.quadrants[static_cast<std::size_t>(pops[j].quadrant)];
      std::vector<PreparedBound> bounds;
      for (const auto& pos : quadrant.positions) {
        const auto div = std::find_if(g.dividers.begin(), g.dividers.end(),
                                      [&](const Divider& d) { return d.id == pos.divider; });
        bounds.push_back(make_bound(cache, div->dimension, segment(*div, pos.location)));
      }
      per_output.push_back(std::move(bounds));
      outputs.push_back(&results[j].members);
      assigned[j] = 1;
    }
    Conjunctions c;
    bool shared = true;
    for (std::size_t k = 0; k < outputs.size() && shared; ++k) shared = c.add(per_output[k], outputs[k], step);
    if (shared) {
      step.kernel = c.kernel(*step.parent);
    } else {  // unusually many dividers: one box test per quadrant
      separate_boxes(per_output, outputs, step);
    }
    steps.push_back(std::move(step));
  }

  void polygon(std::size_t i, const PolygonGate& g) {
    Step step;
    step.parent = parents[i];
    const auto xs = cache.lazy(g.dimensions[0]);
    const auto ys = cache.lazy(g.dimensions[1]);
    step.need(xs);
    step.need(ys);
    step.kernel = [edges = detail::polygon_edges(g.vertices), x = xs.values.data(), y = ys.values.data(),
                   parent = step.parent, out = &results[i].members](std::size_t b, std::size_t e) {
      detail::polygon_words(edges, x, y, *parent, *out, b, e);
    };
    assigned[i] = 1;
    steps.push_back(std::move(step));
  }

  void ellipsoid(std::size_t i, const EllipsoidGate& g) {
    detail::EllipsoidForm form;
    form.dimensions = g.dimensions.size();
    if (form.dimensions > detail::kMaxEllipsoidDimensions) throw Error("ellipsoid gates support at most 32 dimensions");
    const auto inv = invert_matrix(g.covariance, form.dimensions);
    if (!inv) throw Error("the covariance matrix is singular");
    form.q = *inv;
    form.mean = g.mean;
    form.limit = g.distance_square;
    Step step;
    step.parent = parents[i];
    std::vector<const double*> columns;
    for (const auto& d : g.dimensions) {
      const auto c = cache.lazy(d);
      step.need(c);
      columns.push_back(c.values.data());
    }
    step.kernel = [form, columns, parent = step.parent, out = &results[i].members](std::size_t b, std::size_t e) {
      detail::ellipsoid_words(form, columns, *parent, *out, b, e);
    };
    assigned[i] = 1;
    steps.push_back(std::move(step));
  }

  void boolean(std::size_t i, const BooleanGate& g, const std::unordered_map<std::string, std::size_t>& index) {
    std::vector<const Membership*> operands;
    for (const auto& o : g.operands) operands.push_back(&results[index.at(o.population)].members);
    Step step;
    step.parent = parents[i];
    step.kernel = [g, operands, parent = step.parent, out = &results[i].members](std::size_t b, std::size_t e) {
      detail::boolean_words(g, operands, *parent, *out, b, e);
    };
    assigned[i] = 1;
    steps.push_back(std::move(step));
  }
};

}  // namespace

namespace {
std::vector<detail::PopulationEntry> entries(const std::vector<PopulationResult>& populations) {
  std::vector<detail::PopulationEntry> out;
  out.reserve(populations.size());
  for (const auto& p : populations) out.push_back({p.name, p.parent, p.path});
  return out;
}
}  // namespace

const PopulationResult* GatingResults::find(std::string_view name_or_path) const {
  for (const auto& p : populations_)  // the common case: a name that is no path
    if (p.name == name_or_path && name_or_path.find('/') == std::string_view::npos) return &p;
  const auto i = detail::find_population(entries(populations_), name_or_path);
  return i ? &populations_[*i] : nullptr;
}

const PopulationResult& GatingResults::at(std::string_view name_or_path) const {
  if (const auto* p = find(name_or_path)) return *p;
  return populations_[detail::population_index(entries(populations_), name_or_path)];  // throws, listing candidates
}

std::size_t GatingResults::parent_count(std::string_view name_or_path) const {
  const auto& p = at(name_or_path);
  return p.parent.empty() ? events_ : at(p.parent).count;
}

struct GatingRun::State {
  State(const GatingStrategy& s, const fcs::Sample& sample, const GateOptions& options)
      : pops(s.populations()),
        events(sample.event_count()),
        everyone(events, true),
        cache(options.columns ? *options.columns : own.emplace(s, sample, options.parallel)),
        prep{s, pops, cache, results.populations_, {}, std::vector<char>(pops.size(), 0), {}} {}

  std::vector<Population> pops;
  std::size_t events;
  GatingResults results;
  Membership everyone;
  std::optional<ColumnCache> own;  // unless the options lend one
  ColumnCache& cache;
  Preparation prep;
};

GatingRun::GatingRun(const GatingStrategy& strategy, const fcs::Sample& sample, const GateOptions& options) {
  strategy.validate();
  strategy.check_sample(sample);
  state_ = std::make_unique<State>(strategy, sample, options);
  State& st = *state_;
  const auto& pops = st.pops;
  auto& populations = st.results.populations_;
  st.results.events_ = st.events;
  populations.reserve(pops.size());
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < pops.size(); ++i) {
    PopulationResult r;
    r.name = pops[i].name;
    r.parent = pops[i].parent;
    r.path = (pops[i].parent.empty() ? std::string() : populations[index.at(pops[i].parent)].path) + "/" +
             pops[i].name;
    r.members = Membership(st.events);
    index.emplace(r.name, i);
    populations.push_back(std::move(r));
  }
  for (const auto& pop : pops)
    st.prep.parents.push_back(pop.parent.empty() ? &st.everyone : &populations[index.at(pop.parent)].members);

  // Prepare every gate: all errors surface here, in tree order, naming their gate.
  for (std::size_t i = 0; i < pops.size(); ++i) {
    if (st.prep.assigned[i]) continue;  // done with an earlier sibling or quadrant
    const GateNode& node = strategy.gates()[pops[i].gate];
    const std::vector<char> before = st.prep.assigned;
    try {
      std::visit(Overloaded{[&](const RectangleGate& g) { st.prep.rectangles(i, g); },
                            [&](const QuadrantGate& g) { st.prep.quadrants(i, g); },
                            [&](const PolygonGate& g) { st.prep.polygon(i, g); },
                            [&](const EllipsoidGate& g) { st.prep.ellipsoid(i, g); },
                            [&](const BooleanGate& g) { st.prep.boolean(i, g, index); }},
                 node.gate);
    } catch (const Error& e) {
      if (!e.context().where.empty()) throw;
      ErrorContext context = node.origin;
      if (context.file.empty()) context.file = sample.source;
      context.where = "gate '" + node.id + "'";
      throw Error(e.message() + " (sample " + sample.source + ")", std::move(context));
    }
    // Exclusion gates among the populations this step filled: the parent's events the gate
    // left out, right after it (before any child reads them).
    for (std::size_t j = 0; j < pops.size(); ++j) {
      if (before[j] || !st.prep.assigned[j] || !strategy.gates()[pops[j].gate].exclude) continue;
      Step step;
      step.parent = st.prep.parents[j];
      step.kernel = [parent = step.parent, out = &populations[j].members](std::size_t b, std::size_t e) {
        const auto in = parent->words();
        const auto words = out->words();
        for (std::size_t w = b; w < e; ++w) words[w] = in[w] & ~words[w];
      };
      st.prep.steps.push_back(std::move(step));
    }
  }
}

GatingRun::~GatingRun() = default;
GatingRun::GatingRun(GatingRun&&) noexcept = default;
GatingRun& GatingRun::operator=(GatingRun&&) noexcept = default;

void GatingRun::evaluate(std::size_t first_event, std::size_t count) {
  State& st = *state_;
  if (first_event % 64 != 0 || first_event + count > st.events ||
      (count % 64 != 0 && first_event + count != st.events))
    throw Error("gating: events " + std::to_string(first_event) + "+" + std::to_string(count) +
                " are not whole 64-event words of the " + std::to_string(st.events) + " events");
  const std::size_t end_word = (first_event + count + 63) / 64;
  // Block by block; within a block, the steps in tree order (parents and operands first).
  for (std::size_t begin = first_event / 64; begin < end_word; begin += kBlockWords) {
    const std::size_t end = std::min(end_word, begin + kBlockWords);
    for (const Step& step : st.prep.steps) {
      for (const auto& column : step.columns) st.cache.fill(column, step.parent, begin, end);
      step.kernel(begin, end);
    }
  }
}

GatingResults GatingRun::finish() {
  State& st = *state_;
  for (auto& r : st.results.populations_)
    r.count = detail::popcount_words(r.members.words().data(), r.members.words().size());
  GatingResults out = std::move(st.results);
  state_.reset();
  return out;
}

bool gates_while_decoding(const GatingStrategy& strategy) {
  auto plain = [](const Dimension& d) { return d.compensation == kUncompensated; };
  for (const auto& node : strategy.gates()) {
    const bool ok = std::visit(
        [&](const auto& g) {
          using G = std::decay_t<decltype(g)>;
          if constexpr (std::is_same_v<G, QuadrantGate>) {
            return std::all_of(g.dividers.begin(), g.dividers.end(), [&](const Divider& d) { return plain(d.dimension); });
          } else if constexpr (std::is_same_v<G, BooleanGate>) {
            return true;
          } else {
            return std::all_of(g.dimensions.begin(), g.dimensions.end(), plain);
          }
        },
        node.gate);
    if (!ok) return false;
  }
  return true;
}

GatingResults gate_sample(const GatingStrategy& strategy, const fcs::Sample& sample,
                          const GateOptions& options) {
  // A finder's gate is a placeholder until place_gates puts it on this sample's data: gating
  // with it would give counts of nothing in particular (every event, or none) without a word.
  for (const auto& node : strategy.gates())
    if (node.finder)
      throw Error("gate '" + node.id + "' (find: " + std::string(to_string(node.finder->method)) +
                      ") is placed from each sample's data: gate with place_gates / gate_with_finders, which "
                      "place it first",
                  node.origin.file.empty() ? ErrorContext{sample.source, "gate '" + node.id + "'", 0, 0} : node.origin);
  GatingRun run(strategy, sample, options);
  const std::size_t n = sample.event_count();
  const std::size_t block = kBlockWords * 64;
  const std::size_t blocks = (n + block - 1) / block;
  auto evaluate_blocks = [&](std::size_t first, std::size_t last) {
    run.evaluate(first * block, std::min(n, last * block) - first * block);
  };
  if (options.parallel && blocks > 2)
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 2),
                      [&](const tbb::blocked_range<std::size_t>& r) { evaluate_blocks(r.begin(), r.end()); });
  else
    evaluate_blocks(0, blocks);
  return run.finish();
}

std::vector<double> dimension_values(const GatingStrategy& strategy, const fcs::Sample& sample,
                                     const Dimension& dimension) {
  ColumnCache cache(strategy, sample);
  const auto v = cache.get(dimension);
  return {v.begin(), v.end()};
}

}  // namespace cytopipe::gating
