// The Cairo backend: pixels at hand-placed positions, encoded file headers, SVG structure,
// format choice by extension and write failures.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/render.hpp"
#include "svg_parse.hpp"

namespace cytopipe::plot {
namespace {

constexpr Rgb kRed = rgb(0xff0000), kBlue = rgb(0x0000ff), kWhite = rgb(0xffffff), kBlack = rgb(0x000000);

bool near(Rgb a, Rgb b, double tolerance = 2.0 / 255) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance && std::abs(a.b - b.b) <= tolerance;
}

// A figure whose every mark is placed by hand, so expected pixels need no layout code.
Figure hand_placed() {
  Figure f;
  f.width = 120;
  f.height = 80;
  f.marks.push_back(Rect{10, 10, 30, 20, true, kRed, 1, Stroke{{}, 0}, "bar"});
  f.marks.push_back(Circle{{80, 20}, 6, kBlue, Stroke{{}, 0}, "point"});
  f.marks.push_back(Line{{10, 50}, {110, 50}, Stroke{kBlack, 2}, "axis"});
  Raster raster{60, 55, 40, 20, 2, 1, {0xff00ff00u, 0x00000000u}, "density"};  // green | transparent
  f.marks.push_back(raster);
  return f;
}

TEST(Rasterize, PixelsMatchHandPlacedMarks) {
  const Image image = rasterize(hand_placed(), 2);  // 2 pixels per point
  ASSERT_EQ(image.width, 240);
  ASSERT_EQ(image.height, 160);
  EXPECT_TRUE(near(image.at(50, 40), kRed));      // (25, 20) pt: inside the rectangle
  EXPECT_TRUE(near(image.at(85, 40), kWhite));    // (42.5, 20) pt: right of it
  EXPECT_TRUE(near(image.at(160, 40), kBlue));    // the circle's centre
  EXPECT_TRUE(near(image.at(160, 40 + 14), kWhite));  // 7 pt below the centre: outside r = 6
  EXPECT_TRUE(near(image.at(100, 100), kBlack));  // on the 2 pt line at y = 50 pt
  EXPECT_TRUE(near(image.at(100, 105), kWhite));  // 2.5 pt below it
  EXPECT_TRUE(near(image.at(130, 130), rgb(0x00ff00)));  // left raster cell (60..80, 55..75 pt)
  EXPECT_TRUE(near(image.at(170, 130), kWhite));  // right cell is transparent
}

TEST(Rasterize, TextLeavesInkInsideItsBox) {
  Figure f;
  f.width = 100;
  f.height = 40;
  f.marks.push_back(Text{{50, 20}, "MM1S", 12, Anchor::Middle, Baseline::Middle, 0, true, kBlack, "t"});
  const Image image = rasterize(f, 2);
  int ink_near = 0, ink_far = 0;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const bool dark = image.at(x, y).r < 0.5;
      const bool in_box = std::abs(x / 2.0 - 50) < 20 && std::abs(y / 2.0 - 20) < 9;
      (in_box ? ink_near : ink_far) += dark;
    }
  EXPECT_GT(ink_near, 100);
  EXPECT_EQ(ink_far, 0);
}

TEST(Render, DoseFigurePngHasBarTintWhereTheMeanSays) {
  DoseFigure spec;
  spec.y_title = "Viability (%)";
  DosePanel panel;
  panel.groups = {"0", "100"};
  panel.series.push_back({"", {{50, 50, 50}, {100, 100, 100}}, {}});
  spec.panels.push_back(panel);
  const Figure figure = dose_figure(spec);
  const Line* axis = figure.find<Line>("y-axis")[0];
  const Rect* bar = figure.find<Rect>("bar")[0];
  // Independent mapping: data 0..100 along the drawn axis (ticks 0..100 by 20, worked by hand).
  const double x = bar->x + bar->width * 0.1;  // left part of the bar: clear of points and whisker
  const double y25 = axis->from.y - 0.25 * (axis->from.y - axis->to.y);
  const double y75 = axis->from.y - 0.75 * (axis->from.y - axis->to.y);
  const Image image = rasterize(figure, 3);
  // Bar fill: the first palette colour (#0072B2) mixed 70 % towards white.
  const Rgb tint{0 + 0.7, 0x72 / 255.0 + (1 - 0x72 / 255.0) * 0.7, 0xB2 / 255.0 + (1 - 0xB2 / 255.0) * 0.7};
  EXPECT_TRUE(near(image.at(static_cast<int>(x * 3), static_cast<int>(y25 * 3)), tint));
  EXPECT_TRUE(near(image.at(static_cast<int>(x * 3), static_cast<int>(y75 * 3)), kWhite));  // above mean 50
}

std::vector<unsigned char> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cytopipe_plot_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

using Save = TempDir;

TEST_F(Save, PngHeaderCarriesTheSizeForTheDpi) {
  const auto file = dir_ / "figure.PNG";  // extension case does not matter
  save(hand_placed(), file, {144});       // 2 pixels per point: 240 x 160
  const auto bytes = read_bytes(file);
  ASSERT_GT(bytes.size(), 24u);
  const unsigned char signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_EQ(std::memcmp(bytes.data(), signature, 8), 0);
  EXPECT_EQ(std::memcmp(bytes.data() + 12, "IHDR", 4), 0);
  auto be32 = [&](std::size_t at) {
    return (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  };
  EXPECT_EQ(be32(16), 240);
  EXPECT_EQ(be32(20), 160);
}

TEST_F(Save, PdfAndSvgByExtension) {
  save(hand_placed(), dir_ / "f.pdf");
  save(hand_placed(), dir_ / "f.svg");
  const auto pdf = read_bytes(dir_ / "f.pdf");
  ASSERT_GT(pdf.size(), 5u);
  EXPECT_EQ(std::string(pdf.begin(), pdf.begin() + 5), "%PDF-");
  const auto svg = read_bytes(dir_ / "f.svg");
  const auto doc = test::parse_xml(std::string(svg.begin(), svg.end()));
  ASSERT_TRUE(doc);
  EXPECT_EQ(test::name_of(xmlDocGetRootElement(doc.get())), "svg");
  // No temporary file left beside the outputs.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 2u);
}

TEST_F(Save, UnknownExtensionAndUnwritablePathAreErrors) {
  try {
    save(hand_placed(), dir_ / "figure.jpg");
    FAIL() << "no error for .jpg";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("figure.jpg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(".svg, .pdf or .png"), std::string::npos) << e.what();
  }
  EXPECT_THROW(format_for("figure"), Error);
  EXPECT_EQ(format_for("a/b.Svg"), Format::Svg);
  const auto missing = dir_ / "no_such_folder" / "figure.png";
  try {
    save(hand_placed(), missing);
    FAIL() << "no error for a missing folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(Render, EmptyFigureIsAnError) {
  EXPECT_THROW(render(Figure{}, Format::Png), Error);
  EXPECT_THROW(render_svg(Figure{}), Error);
  Figure bad_raster = hand_placed();
  bad_raster.marks.push_back(Raster{0, 0, 10, 10, 3, 3, {0xff000000u}, "broken"});
  EXPECT_THROW(rasterize(bad_raster), Error);
}

// Counts in the SVG: each circle or rectangle is one <path> with its fill colour, each text
// mark one <g> of glyph <use>s outside <defs>.
struct SvgCounts {
  std::map<std::string, int> paths_by_fill;
  int text_runs = 0;
};

SvgCounts count_svg(const std::string& svg) {
  const auto doc = test::parse_xml(svg);
  if (!doc) throw std::runtime_error("SVG is not well-formed XML");
  SvgCounts counts;
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  for (const xmlNode* child = root->children; child; child = child->next) {
    if (child->type != XML_ELEMENT_NODE || test::name_of(child) == "defs") continue;
    test::for_each_element(child, [&](const xmlNode* node) {
      if (test::name_of(node) == "path") {
        const std::string style = test::attribute(node, "style");
        const auto at = style.find("fill:rgb(");
        if (at != std::string::npos) ++counts.paths_by_fill[style.substr(at + 5, style.find(')', at) - at - 4)];
      }
      if (test::name_of(node) == "g" && node->children) {
        bool uses = false;
        for (const xmlNode* c = node->children; c; c = c->next)
          uses |= c->type == XML_ELEMENT_NODE && test::name_of(c) == "use";
        counts.text_runs += uses;
      }
    });
  }
  return counts;
}

TEST(Svg, DoseFigureHasOnePathPerPointAndBarAndOneRunPerLabel) {
  DoseFigure spec;
  spec.title = "Cytotoxicity";
  spec.y_title = "Killing (%)";
  for (const char* line : {"MM1S", "U266"}) {
    DosePanel panel;
    panel.title = line;
    panel.groups = {"0", "25", "50", "100"};
    panel.series.push_back({"", {{10, 12, 11}, {20, 22, 21}, {30, 33, 31}, {45, 41, 44}}, {}});
    panel.marks = {{1, std::nullopt, 0, "ns"}, {2, std::nullopt, 0, "*"}, {3, std::nullopt, 0, "***"}};
    spec.panels.push_back(panel);
  }
  SvgCounts counts = count_svg(render_svg(dose_figure(spec)));
  // #0072B2 points, and the bars in that colour mixed 70 % towards white (#B2D5E8).
  EXPECT_EQ(counts.paths_by_fill["rgb(0%,44.705882%,69.803922%)"], 24);
  EXPECT_EQ(counts.paths_by_fill["rgb(70%,83.411765%,90.941176%)"], 8);
  // Text: title 1, panel titles 2, y title 1, x titles 2, y tick labels 2 x 6 (data 0..45.4, the
  // top being mean + SD of 45, 41, 44: a step of 10 needs 5 intervals, so 0, 10, ..., 50),
  // x tick labels 8, stars 6.
  EXPECT_EQ(counts.text_runs, 1 + 2 + 1 + 2 + 2 * 6 + 8 + 6);
}

}  // namespace
}  // namespace cytopipe::plot
