// The round trip: a strategy written as a FlowJo workspace (to_flowjo_workspace, what
// `gate --write-wsp` writes) and read back gives the same counts. Polygons on scaled axes are the
// case that matters: FlowJo draws a polygon on its axis transform, so the file holds data-value
// vertices whose edges are straight on that transform. Checked at 1,000,000 events built from
// FlowSOM's 68983 (real compensated data), in both evaluation modes, against point-in-polygon
// tests written here on the transformed values (default mode) and on FlowJo's gate grid (flowjo
// mode).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/gating/evaluate.hpp"
#include "cytopipe/gating/flowjo.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "cytopipe/transform/flowjo_biex.hpp"
#include "cytopipe/transform/transform.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe::gating;
namespace tf = cytopipe::transform;
namespace fs = std::filesystem;

using Point = std::array<double, 2>;

// 68983's 19,225 events, 52 copies each scaled by 1 + 0.001 k (all channels, so compensated and
// transformed values move too): 1,000,000 distinct events with the file's real structure. Only
// the channels the gates use (scatter and the matrix's detectors).
cytopipe::fcs::Sample million_events(const fs::path& file) {
  const auto source = cytopipe::fcs::read_fcs(file);
  cytopipe::fcs::Sample s;
  s.source = "68983_1M.fcs";
  s.version = source.version;
  s.keywords = source.keywords;
  s.spillover = source.spillover;
  std::vector<std::size_t> keep;
  for (std::size_t c = 0; c < source.channels.size(); ++c) {
    const auto& name = source.channels[c].name;
    const bool detector = std::find(source.spillover->detectors.begin(), source.spillover->detectors.end(), name) !=
                          source.spillover->detectors.end();
    if (detector || name == "FSC-A" || name == "SSC-A" || name == "FSC-H" || name == "FSC-W") keep.push_back(c);
  }
  constexpr std::size_t kEvents = 1'000'000;
  const std::size_t n = source.event_count();
  s.events = cytopipe::fcs::EventMatrix(kEvents, keep.size());
  for (std::size_t k = 0; k < keep.size(); ++k) {
    s.channels.push_back(source.channels[keep[k]]);
    s.channels.back().index = static_cast<int>(k + 1);
    const auto in = source.events.column(keep[k]);
    auto out = s.events.column(k);
    for (std::size_t e = 0; e < kEvents; ++e) out[e] = in[e % n] * (1 + 0.001 * static_cast<double>(e / n));
  }
  s.event_total = kEvents;
  return s;
}

struct Shape {
  std::string id, x, y;
  tf::Transform tx, ty;
  std::vector<Point> vertices;  // on the transformed axes
};

const tf::Transform kLogicle{tf::Logicle{262144, 0.5, 4.5, 0}};
const tf::Transform kBiex{tf::FlowJoBiex{262144, -10, 4.418539922, 0}};
const tf::Transform kFasinh{tf::Fasinh{262144, 4.5, 0}};
const tf::Transform kHyperlog{tf::Hyperlog{262144, 0.5, 4.5, 0}};
const tf::Transform kFlog{tf::Flog{262144, 4.5}};
const tf::Transform kLinear{};

// Polygons on every transform FlowJo can hold, each channel on one transform (FlowJo keeps one
// axis per channel), vertices at uneven values (convex and not), two with a linear axis. "cells"
// (linear FSC-A x SSC-A) is the parent of the others.
std::vector<Shape> shapes() {
  return {
      {"cells", "FSC-A", "SSC-A", kLinear, kLinear,
       {{121241, 27904}, {101580, 13952}, {72089, 8128}, {58982, 12800}, {53521, 22080}, {56797, 41920},
        {67720, 59392}, {95027, 74560}, {122333, 75712}, {139810, 67520}, {146363, 53568}, {137625, 36096}}},
      {"fitc_qdot", "FITC-A", "Qdot 605-A", kLogicle, kLogicle,
       {{0.2913, 0.3071}, {0.8123, 0.3377}, {0.5517, 0.5239}, {0.8411, 0.8093}, {0.4187, 0.7631}}},
      {"amcyan_af700", "AmCyan-A", "Alexa Fluor 700-A", kLogicle, kLogicle,
       {{0.3011, 0.2987}, {0.7934, 0.3519}, {0.8562, 0.8017}, {0.3977, 0.7488}}},
      {"af700_petr", "Alexa Fluor 700-A", "PE-Texas Red-A", kLogicle, kLogicle,
       {{0.2501, 0.2602}, {0.6703, 0.2299}, {0.7107, 0.6911}, {0.4403, 0.5197}, {0.2897, 0.7303}}},
      {"apc_pe_biex", "APC-A", "PE-A", kBiex, kBiex,
       {{0.3137, 0.2841}, {0.7759, 0.3302}, {0.8213, 0.7779}, {0.3681, 0.7413}}},
      {"pb_apccy7_fasinh", "Pacific Blue-A", "APC-Cy7-A", kFasinh, kFasinh,
       {{0.2013, 0.1897}, {0.6311, 0.2117}, {0.7003, 0.6609}, {0.2411, 0.5993}}},
      {"pecy5_hyperlog_fsc", "PE-Cy5-A", "FSC-A", kHyperlog, kLinear,
       {{0.2711, 40113.5}, {0.7193, 52011.25}, {0.6617, 131313.125}, {0.3109, 120007.75}}},
      {"pecy7_logicle_ssc", "PE-Cy7-A", "SSC-A", kLogicle, kLinear,
       {{0.2219, 9000.5}, {0.8317, 12011.0}, {0.7919, 70003.25}, {0.3003, 61117.0}}},
      {"fsch_fscw_flog", "FSC-H", "FSC-W", kFlog, kFlog,
       {{0.7813, 0.8571}, {0.9117, 0.8419}, {0.9311, 0.9413}, {0.8013, 0.9587}}},
  };
}

Dimension dim(const std::string& channel, const tf::Transform& t) {
  Dimension d;
  d.channel = channel;
  if (channel != "FSC-A" && channel != "SSC-A" && channel != "FSC-H" && channel != "FSC-W")
    d.compensation = std::string(kFileCompensation);
  d.scale.transform = t;
  return d;
}

GatingStrategy strategy() {
  GatingStrategy s;
  for (const auto& shape : shapes()) {
    GateNode g;
    g.id = shape.id;
    g.parent = shape.id == "cells" ? "" : "cells";
    PolygonGate p;
    p.dimensions = {dim(shape.x, shape.tx), dim(shape.y, shape.ty)};
    p.vertices = shape.vertices;
    g.gate = p;
    s.add(g);
  }
  return s;
}

// Point in polygon, written here: on an edge = inside, otherwise the crossing rule.
bool inside(const std::vector<Point>& v, double x, double y) {
  bool in = false;
  for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
    const auto [x0, y0] = v[j];
    const auto [x1, y1] = v[i];
    if ((x1 - x0) * (y - y0) == (y1 - y0) * (x - x0) && std::min(x0, x1) <= x && x <= std::max(x0, x1) &&
        std::min(y0, y1) <= y && y <= std::max(y0, y1))
      return true;
    if ((y0 > y) != (y1 > y) && x < x0 + (y - y0) * (x1 - x0) / (y1 - y0)) in = !in;
  }
  return in;
}

// The same on whole grid channels, exactly (integers, products below 2^53).
bool inside_grid(const std::vector<std::array<long long, 2>>& v, long long x, long long y) {
  bool in = false;
  for (std::size_t i = 0, j = v.size() - 1; i < v.size(); j = i++) {
    const auto [x0, y0] = v[j];
    const auto [x1, y1] = v[i];
    if ((x1 - x0) * (y - y0) == (y1 - y0) * (x - x0) && std::min(x0, x1) <= x && x <= std::max(x0, x1) &&
        std::min(y0, y1) <= y && y <= std::max(y0, y1))
      return true;
    if ((y0 > y) != (y1 > y)) {
      // x < x0 + (y - y0) (x1 - x0) / (y1 - y0), multiplied out by (y1 - y0) with its sign
      const long long lhs = (x - x0) * (y1 - y0), rhs = (y - y0) * (x1 - x0);
      if (y1 > y0 ? lhs < rhs : lhs > rhs) in = !in;
    }
  }
  return in;
}

struct Columns {
  std::map<std::string, std::vector<double>> raw;  // compensated where the gates compensate
};

Columns columns(const cytopipe::fcs::Sample& sample) {
  Columns c;
  const tf::Compensation comp(*sample.spillover);
  const auto compensated = comp.compensate(sample);
  for (std::size_t k = 0; k < comp.outputs().size(); ++k) {
    const auto col = compensated.column(k);
    c.raw[comp.outputs()[k]].assign(col.begin(), col.end());
  }
  for (const char* name : {"FSC-A", "SSC-A", "FSC-H", "FSC-W"}) {
    const auto col = sample.values(name);
    c.raw[name].assign(col.begin(), col.end());
  }
  return c;
}

std::vector<double> through(const tf::Transform& t, const std::vector<double>& values) {
  std::vector<double> out(values.size());
  t.apply(values, out);  // the transform's own bulk form (its definition for gated columns)
  return out;
}

class FlowJoRoundTrip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path file = cytopipe::test::shared_dir() / "gatingml_ref/flowjo/FlowSOM_example/68983.fcs";
    if (!fs::exists(file)) return;
    sample_ = new cytopipe::fcs::Sample(million_events(file));
    WorkspaceExport what;
    what.files = {"68983_1M.fcs"};
    what.metadata = {sample_};
    text_ = new std::string(to_flowjo_workspace(strategy(), what));
  }
  static void TearDownTestSuite() {
    delete sample_;
    delete text_;
    sample_ = nullptr;
    text_ = nullptr;
  }
  static inline cytopipe::fcs::Sample* sample_ = nullptr;
  static inline std::string* text_ = nullptr;
};

// Default (exact) mode: the written polygon reads back as the same polygon on the same transformed
// axes, vertex for vertex to the bit, so every event is where it was.
TEST_F(FlowJoRoundTrip, DefaultModeReadsBackTheSamePolygonsAndEveryEvent) {
  CYTOPIPE_SHARED_OR_SKIP(file, "gatingml_ref/flowjo/FlowSOM_example/68983.fcs");
  ASSERT_TRUE(sample_);
  const GatingStrategy written = strategy();
  const auto before = gate_sample(written, *sample_);
  const Workspace ws = parse_workspace(*text_, "written.wsp");
  ASSERT_EQ(ws.samples.size(), 1u);
  const GatingStrategy& read = ws.samples[0].strategy;
  const auto after = gate_sample(read, *sample_);

  const Columns c = columns(*sample_);
  std::vector<bool> cells(sample_->event_count());
  std::size_t exact_vertices = 0, vertices = 0;
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.id);
    // The vertices come back as written, or an ulp or two off where no data value maps onto
    // them (the transforms' rounding skips some doubles: logicle near 0.8 steps by two ulps).
    const auto& p = std::get<PolygonGate>(read.find_gate(shape.id)->gate);
    ASSERT_EQ(p.vertices.size(), shape.vertices.size());
    for (std::size_t i = 0; i < p.vertices.size(); ++i)
      for (int k = 0; k < 2; ++k) {
        const double a = p.vertices[i][k], b = shape.vertices[i][k];
        EXPECT_LE(std::abs(a - b), 2 * std::numeric_limits<double>::epsilon() * std::abs(b)) << i << " " << k;
        exact_vertices += a == b;
        ++vertices;
      }
    EXPECT_TRUE(p.dimensions[0].scale.transform == shape.tx);
    EXPECT_TRUE(p.dimensions[1].scale.transform == shape.ty);
    EXPECT_EQ(p.dimensions[0].scale.grid_scale, 0.0);

    // Counted here: the transformed values in the polygon (and in cells).
    const auto x = through(shape.tx, c.raw.at(shape.x)), y = through(shape.ty, c.raw.at(shape.y));
    std::size_t count = 0;
    for (std::size_t e = 0; e < x.size(); ++e) {
      const bool in = inside(shape.vertices, x[e], y[e]);
      if (shape.id == "cells") cells[e] = in;
      count += in && cells[e];
    }
    EXPECT_EQ(before.count(shape.id), count);
    EXPECT_EQ(after.count(shape.id), count);
    EXPECT_EQ(after.at(shape.id).members, before.at(shape.id).members);
    std::printf("  %-20s written %7zu  read back %7zu  counted here %7zu\n", shape.id.c_str(), before.count(shape.id),
                after.count(shape.id), count);
    EXPECT_GT(count, 900u);
    EXPECT_LT(count, sample_->event_count());
  }
  std::printf("  %zu of %zu vertex coordinates read back to the bit\n", exact_vertices, vertices);
  EXPECT_GT(exact_vertices, vertices / 2);
}

// flowjo mode: the written polygon (gateResolution 256) is tested on FlowJo's gate grid, as
// FlowJo tests it: each axis cut into 256 channels (linear 0 .. 262144 in 1024-wide channels
// centred on whole multiples of 1024; biex by FlowJo's 4096-channel table; the others on their
// 0..1 scale), events and vertices replaced by their channel.
TEST_F(FlowJoRoundTrip, FlowJoModeCountsTheWrittenPolygonsOnFlowJosGrid) {
  CYTOPIPE_SHARED_OR_SKIP(file, "gatingml_ref/flowjo/FlowSOM_example/68983.fcs");
  ASSERT_TRUE(sample_);
  const Workspace ws = parse_workspace(*text_, "written.wsp", {WorkspaceEvaluation::FlowJo});
  const auto r = gate_sample(ws.samples[0].strategy, *sample_);
  const Columns c = columns(*sample_);
  const tf::FlowJoBiexTable table(262144, -10, 4.418539922, 0, 4096);
  auto channel = [&](const tf::Transform& t, double data) -> long long {
    if (t == kLinear) return static_cast<long long>(std::floor(data / 1024 + 0.5));
    if (t == kBiex) return static_cast<long long>(std::floor(table.scale(data) * 256));
    double v[1] = {data};
    t.apply(v, v);
    return static_cast<long long>(std::floor(v[0] * 256));
  };
  std::vector<bool> cells(sample_->event_count());
  for (const auto& shape : shapes()) {
    SCOPED_TRACE(shape.id);
    std::vector<std::array<long long, 2>> grid;
    for (const auto& [vx, vy] : shape.vertices)
      grid.push_back({channel(shape.tx, shape.tx.inverse(vx)), channel(shape.ty, shape.ty.inverse(vy))});
    const auto& x = c.raw.at(shape.x);
    const auto& y = c.raw.at(shape.y);
    std::size_t count = 0;
    for (std::size_t e = 0; e < x.size(); ++e) {
      // NaN (flog below 0) is in no channel and in no polygon
      const bool valid = !std::isnan(x[e]) && !std::isnan(y[e]) &&
                         (shape.tx != kFlog || x[e] > 0) && (shape.ty != kFlog || y[e] > 0);
      const bool in = valid && inside_grid(grid, channel(shape.tx, x[e]), channel(shape.ty, y[e]));
      if (shape.id == "cells") cells[e] = in;
      count += in && cells[e];
    }
    EXPECT_EQ(r.count(shape.id), count);
    std::printf("  %-20s flowjo mode %7zu  on the grid counted here %7zu\n", shape.id.c_str(), r.count(shape.id), count);
  }
}

}  // namespace

namespace {

// Range limits on scaled axes: FlowJo tests rectangles on data values, so a limit is written as
// the first data value the scale takes to the limit or above. Limits placed exactly at the
// transformed values of real events: the event at min is in (min inclusive), the one at max out,
// and both stay so after the round trip (the transform's inverse alone can miss them by the
// bulk form's last bits).
TEST_F(FlowJoRoundTrip, RangeLimitsOnScaledAxesCutTheSameEventsToTheEdge) {
  CYTOPIPE_SHARED_OR_SKIP(file, "gatingml_ref/flowjo/FlowSOM_example/68983.fcs");
  ASSERT_TRUE(sample_);
  const Columns c = columns(*sample_);
  struct Range {
    std::string id, channel;
    tf::Transform t;
    std::size_t at_min, at_max;  // events whose scaled values become the limits
  };
  const std::vector<Range> ranges = {{"pe_logicle", "PE-A", kLogicle, 1234, 777777},
                                     {"apc_biex", "APC-A", kBiex, 4321, 654321},
                                     {"pb_fasinh", "Pacific Blue-A", kFasinh, 99999, 500000},
                                     {"pecy5_hyperlog", "PE-Cy5-A", kHyperlog, 31337, 271828},
                                     {"fsch_flog", "FSC-H", kFlog, 5555, 888888}};
  GatingStrategy s;
  std::map<std::string, std::pair<std::size_t, std::size_t>> edge;  // id -> (in at min, out at max)
  std::map<std::string, std::pair<double, double>> limits;
  for (const auto& r : ranges) {
    const auto v = through(r.t, c.raw.at(r.channel));
    std::size_t lo = r.at_min, hi = r.at_max;
    if (v[lo] > v[hi]) std::swap(lo, hi);
    ASSERT_LT(v[lo], v[hi]) << r.id;
    GateNode g;
    g.id = r.id;
    RectangleGate rect;
    rect.dimensions = {dim(r.channel, r.t)};
    rect.intervals = {Interval{v[lo], v[hi]}};
    g.gate = rect;
    s.add(g);
    edge[r.id] = {lo, hi};
    limits[r.id] = {v[lo], v[hi]};
  }
  WorkspaceExport what;
  what.files = {"68983_1M.fcs"};
  what.metadata = {sample_};
  const Workspace ws = parse_workspace(to_flowjo_workspace(s, what), "written.wsp");
  const auto before = gate_sample(s, *sample_);
  const auto after = gate_sample(ws.samples[0].strategy, *sample_);
  for (const auto& r : ranges) {
    SCOPED_TRACE(r.id);
    EXPECT_TRUE(before.at(r.id).members.test(edge[r.id].first));
    EXPECT_FALSE(before.at(r.id).members.test(edge[r.id].second));
    EXPECT_TRUE(after.at(r.id).members.test(edge[r.id].first));
    EXPECT_FALSE(after.at(r.id).members.test(edge[r.id].second));
    EXPECT_EQ(after.at(r.id).members, before.at(r.id).members);
    // Counted here on the scaled values.
    const auto v = through(r.t, c.raw.at(r.channel));
    std::size_t count = 0;
    for (const double x : v) count += x >= limits[r.id].first && x < limits[r.id].second;
    EXPECT_EQ(before.count(r.id), count);
    EXPECT_EQ(after.count(r.id), count);
  }
}

}  // namespace
