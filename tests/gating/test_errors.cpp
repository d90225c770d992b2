// Bad strategies and bad samples are Errors that name the gate (and file/line for YAML).
#include <gtest/gtest.h>

#include "cytopipe/gating/gating.hpp"
#include "gating/synthetic.hpp"

namespace {

using namespace cytopipe::gating;
using cytopipe::Error;

// Runs `f`, expecting an Error whose text contains every string of `parts`.
template <class F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
    FAIL() << "no error thrown";
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const auto& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  }
}

const char* kHeader = "gates:\n";

TEST(YamlErrors, UnknownGateTypeNamesGateFileAndLine) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - id: cells\n    type: range\n    dimension: FSC-A\n    min: 1\n"
                                        "  - id: blob\n    type: blob\n", "s.yaml"); },
               {"s.yaml:7", "gate 'blob'", "unknown gate type 'blob'"});
}

TEST(YamlErrors, PolygonWithTwoVertices) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - id: tri\n    type: polygon\n    dimensions: [A, B]\n"
                                        "    vertices: [[0, 0], [1, 1]]\n", "p.yaml"); },
               {"p.yaml:2", "gate 'tri'", "at least 3 vertices"});
}

TEST(YamlErrors, SingularCovariance) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - id: e\n    type: ellipsoid\n    dimensions: [A, B]\n"
                                        "    mean: [0, 0]\n    covariance: [[1, 2], [2, 4]]\n", "e.yaml"); },
               {"e.yaml:2", "gate 'e'", "singular"});
}

TEST(YamlErrors, BooleanReferringToItself) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - id: b\n    type: boolean\n    op: not\n    operands: [b]\n", "b.yaml"); },
               {"b.yaml:2", "gate 'b'", "itself"});
}

TEST(YamlErrors, CycleOfParents) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - {id: a, type: range, parent: b, dimension: X, min: 0}\n"
                                        "  - {id: b, type: range, parent: a, dimension: X, min: 0}\n", "c.yaml"); },
               {"c.yaml", "cycle"});
}

TEST(YamlErrors, DuplicateNameAndMissingParent) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - {id: a, type: range, dimension: X, min: 0}\n"
                                        "  - {id: a, type: range, dimension: Y, min: 0}\n", "d.yaml"); },
               {"d.yaml:3", "gate 'a'", "already used"});
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - {id: a, type: range, parent: ghost, dimension: X, min: 0}\n", "m.yaml"); },
               {"m.yaml:2", "gate 'a'", "parent population 'ghost' does not exist"});
}

TEST(YamlErrors, MalformedYamlAndUnknownKeysAndBadNumbers) {
  expect_error([] { parse_strategy_yaml("gates: [\n  - id: a\n", "bad.yaml"); }, {"bad.yaml", "not valid YAML"});
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - {id: a, type: range, dimension: X, min: 0, colour: red}\n", "k.yaml"); },
               {"k.yaml:2", "unknown key 'colour'"});
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - {id: a, type: range, dimension: X, min: lots}\n", "n.yaml"); },
               {"n.yaml:2:45", "not a finite number", "lots"});
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - {id: a, type: range, dimension: {channel: X, transform: 'wobble(3)'}, min: 0}\n",
                                        "t.yaml"); },
               {"t.yaml:2", "gate 'a'"});
}

TEST(SampleErrors, ChannelAbsentFromSampleNamesGateAndChannel) {
  const auto sample = cytopipe::gating::test::make_sample({{"FSC-A", {1, 2}}}, "tube1.fcs");
  const auto s = parse_strategy_yaml(std::string(kHeader) +
                                     "  - {id: cd3, type: range, dimension: CD3, min: 0}\n", "g.yaml");
  expect_error([&] { gate_sample(s, sample); }, {"gate 'cd3'", "'CD3'", "tube1.fcs", "FSC-A"});
}

// A compensation's detectors are looked up at the first dimension it compensates: a detector the
// sample lacks is named at the first gate using that matrix (not at a later one), a second
// matrix's missing detector at the first gate using the second, and the matrices' detectors
// present, every dimension passes.
TEST(SampleErrors, MissingDetectorNamedAtTheFirstGateItsCompensationIsUsedIn) {
  const auto sample = cytopipe::gating::test::make_sample({{"A", {1, 2}}, {"B", {3, 4}}, {"C", {5, 6}}}, "t.fcs");
  auto matrix = [](std::vector<std::string> detectors) {
    SpectrumMatrix m;
    m.spectrum.detectors = detectors;
    m.spectrum.fluorochromes = detectors;
    m.spectrum.values.assign(detectors.size() * detectors.size(), 0.0);
    for (std::size_t i = 0; i < detectors.size(); ++i) m.spectrum.values[i * detectors.size() + i] = 1.0;
    return m;
  };
  auto range = [](std::string id, std::string parent, std::string channel, std::string compensation) {
    GateNode g;
    g.id = std::move(id);
    g.parent = std::move(parent);
    RectangleGate r;
    Dimension d;
    d.channel = std::move(channel);
    d.compensation = std::move(compensation);
    r.dimensions = {d};
    r.intervals = {Interval{0.0, std::nullopt}};
    g.gate = r;
    return g;
  };
  auto strategy = [&](const std::vector<std::string>& first, const std::vector<std::string>& second) {
    GatingStrategy s;
    s.add_matrix("M", matrix(first));
    s.add_matrix("N", matrix(second));
    s.add(range("plain", "", "A", std::string(kUncompensated)));
    s.add(range("m1", "plain", "A", "M"));
    s.add(range("m2", "m1", "B", "M"));
    s.add(range("n1", "m2", "A", "N"));
    s.add(range("n2", "n1", "C", "N"));
    return s;
  };
  EXPECT_NO_THROW(strategy({"A", "B"}, {"A", "C"}).check_sample(sample));
  expect_error([&] { strategy({"A", "Z"}, {"A", "C"}).check_sample(sample); },
               {"gate 'm1'", "compensation 'M' needs detector 'Z'", "t.fcs"});
  expect_error([&] { strategy({"A", "B"}, {"Y", "C"}).check_sample(sample); },
               {"gate 'n1'", "compensation 'N' needs detector 'Y'", "t.fcs"});
  // The first gate's error, not a later one's.
  try {
    strategy({"A", "Z"}, {"A", "C"}).check_sample(sample);
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("gate 'm2'"), std::string::npos) << e.what();
  }
}

TEST(SampleErrors, UnknownPopulationInResults) {
  const auto sample = cytopipe::gating::test::make_sample({{"X", {1, 2}}});
  const auto s = parse_strategy_yaml(std::string(kHeader) + "  - {id: a, type: range, dimension: X, min: 0}\n");
  const auto r = gate_sample(s, sample);
  expect_error([&] { (void)r.at("nope"); }, {"no population 'nope'", "a"});
}

TEST(GatingMLErrors, UnknownElementAndMissingTransformation) {
  const std::string head =
      "<?xml version=\"1.0\"?>\n<gating:Gating-ML xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\" "
      "xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n";
  expect_error([&] { parse_gatingml(head + "<gating:BlobGate gating:id=\"x\"/>\n</gating:Gating-ML>", "g.xml"); },
               {"g.xml:3", "unknown gate type 'BlobGate'"});
  expect_error([&] {
    parse_gatingml(head +
                       "<gating:RectangleGate gating:id=\"r\">\n<gating:dimension gating:min=\"1\" "
                       "gating:transformation-ref=\"nowhere\"><data-type:fcs-dimension data-type:name=\"A\"/>"
                       "</gating:dimension></gating:RectangleGate>\n</gating:Gating-ML>",
                   "g.xml");
  }, {"g.xml:4", "gate 'r'", "unknown transformation 'nowhere'"});
  expect_error([&] { parse_gatingml("<notxml", "broken.xml"); }, {"broken.xml", "not well-formed"});
  expect_error([&] { parse_gatingml("<?xml version=\"1.0\"?><root/>", "other.xml"); }, {"other.xml", "Gating-ML"});
}

// Found by fuzz_strategy_yaml: a non-boolean 'complement' escaped as YAML::TypedBadConversion
// (std::terminate in the fuzzer, exit 3 in the CLI); non-scalar keys did the same.
TEST(YamlErrors, NonBooleanFlagsAndNonScalarKeysAreErrors) {
  const std::string ranges = std::string(kHeader) + "  - {id: a, type: range, dimension: X, min: 0}\n";
  expect_error([&] { parse_strategy_yaml(ranges + "  - {id: b, type: boolean, op: and, operands: [a, {population: a, complement: (eve}]}\n",
                                         "f.yaml"); },
               {"f.yaml:3", "gate 'b'", "'complement' must be true or false"});
  EXPECT_NO_THROW(parse_strategy_yaml(ranges + "  - {id: b, type: boolean, op: and, operands: [a, {population: a, complement: yes}]}\n",
                                      "ok.yaml"));
  expect_error([&] { parse_strategy_yaml(ranges + "  - {id: b, type: boolean, op: or, operands: [a, {population: a, [c]: 1}]}\n",
                                         "k.yaml"); },
               {"k.yaml:3", "a key must be a non-empty string"});
  expect_error([&] {
    parse_strategy_yaml("matrices:\n  m: {fluorochromes: [A], detectors: [A], values: [[1]], inverted_already: [x]}\n" +
                            ranges.substr(0, 0) + ranges,
                        "m.yaml");
  }, {"m.yaml:2", "'inverted_already' must be true or false"});
}

TEST(LoadStrategy, MissingFileIsAnError) {
  expect_error([] { load_strategy("/nonexistent/strategy.yaml"); }, {"/nonexistent/strategy.yaml", "cannot open"});
}

}  // namespace

namespace {

// The strategy reader shares the checked YAML reader's rules with the pipeline config: a key
// written twice (yaml-cpp would keep the first silently) and a number that is not finite are
// refused at their line:column.
TEST(YamlErrors, DuplicateKeysAndNonFiniteNumbersAreRefusedAtTheirPosition) {
  expect_error([] { parse_strategy_yaml(std::string(kHeader) +
                                        "  - id: a\n    type: range\n    dimension: X\n"
                                        "    min: 0\n    min: 5\n", "dup.yaml"); },
               {"dup.yaml:6:5", "'min'", "written twice"});
  for (const char* bad : {"nan", ".nan", "inf", ".inf", "-.inf"}) {
    expect_error([bad] { parse_strategy_yaml(std::string(kHeader) +
                                             "  - {id: a, type: range, dimension: X, min: " + bad + "}\n",
                                             "nan.yaml"); },
                 {"nan.yaml:2:", "not a finite number", bad});
  }
  // `~` stays the open side, so an unbounded range still reads.
  const auto s = parse_strategy_yaml(std::string(kHeader) +
                                     "  - {id: a, type: range, dimension: X, min: ~, max: 1e3}\n", "ok.yaml");
  EXPECT_EQ(s.gates().size(), 1u);
}

// Every problem of a strategy is reported at once, each at its file:line:column: a mistake in a
// value, a gate that cannot be read, and the structural checks of the gates that could be read.
// A child of the gate that could not be read is not blamed for it.
TEST(YamlErrors, EveryProblemIsCollectedWithItsPosition) {
  const std::string text = std::string(kHeader) +
                           "  - {id: a, type: range, dimension: X, mni: 0}\n"            // line 2: unknown key
                           "  - {id: b, type: range, dimension: X, min: nan}\n"          // line 3: not finite
                           "  - {id: c, type: hexagon, dimension: X}\n"                  // line 4: unknown type
                           "  - {id: d, parent: c, type: range, dimension: X, min: 1}\n" // fine (c is not)
                           "  - {id: e, type: polygon, dimensions: [X, Y], vertices: [[0, 0], [1, 1]]}\n";  // line 6
  try {
    parse_strategy_yaml(text, "many.yaml");
    FAIL() << "no error thrown";
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const char* part : {"many.yaml:2:40: gate 'a': unknown key 'mni'",
                             "many.yaml:3:45: gate 'b': min is not a finite number: 'nan'",
                             "many.yaml:4:19: gate 'c': unknown gate type 'hexagon'",
                             "many.yaml:6:5: gate 'e': a polygon needs at least 3 vertices",
                             // what the misspelt key leaves: a range without bounds
                             "many.yaml:2:5: gate 'a': a range gate needs 'min' or 'max'", "(5 problems)"})
      EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
    EXPECT_EQ(what.find("gate 'd'"), std::string::npos) << what;
    // The Error's own location is the first problem's.
    EXPECT_EQ(e.context().file, "many.yaml");
    EXPECT_EQ(e.context().line, 2);
  }
}

}  // namespace
