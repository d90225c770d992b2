// The report's compact SVG: every mark where the layout put it, text as text, rasters as PNGs
// that decode to the raster's pixels.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstring>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/render.hpp"
#include "svg_parse.hpp"

namespace cytopipe::plot {
namespace {

std::string content(const xmlNode* node) {
  xmlChar* text = xmlNodeGetContent(node);
  std::string out(reinterpret_cast<const char*>(text));
  xmlFree(text);
  return out;
}

std::vector<const xmlNode*> elements(const xmlDoc* doc, const std::string& name) {
  std::vector<const xmlNode*> out;
  test::for_each_element(xmlDocGetRootElement(const_cast<xmlDoc*>(doc)), [&](const xmlNode* node) {
    if (test::name_of(node) == name) out.push_back(node);
  });
  return out;
}

std::vector<unsigned char> base64_decode(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::vector<unsigned char> out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<unsigned char>((bits >> count) & 0xff));
    }
  }
  return out;
}

TEST(CompactSvg, MarksAtTheirPlacesAndTextAsText) {
  Figure f;
  f.width = 200;
  f.height = 100;
  f.marks.push_back(Line{{10, 90}, {190, 90}, Stroke{rgb(0x000000), 1, {}}, "axis"});
  f.marks.push_back(Line{{20, 90}, {20, 94}, Stroke{rgb(0x000000), 1, {}}, "tick"});
  f.marks.push_back(Line{{40, 90}, {40, 94}, Stroke{rgb(0x000000), 1, {}}, "tick"});
  f.marks.push_back(Line{{10, 10}, {190, 10}, Stroke{rgb(0xD55E00), 1.5, {4, 2}}, "threshold"});
  f.marks.push_back(Circle{{60, 40}, 3, rgb(0x0072B2), Stroke{{}, 0}, "point"});
  f.marks.push_back(Text{{20, 95}, "10³ & <CD3>", 8, Anchor::Middle, Baseline::Alphabetic, 0, false, {}, "tick-label"});
  f.marks.push_back(Text{{5, 50}, "Count", 9, Anchor::Middle, Baseline::Alphabetic, 90, true, {}, "y-title"});
  const std::string svg = render_svg_compact(f);
  const auto doc = test::parse_xml(svg);
  ASSERT_TRUE(doc) << svg;

  const auto texts = elements(doc.get(), "text");
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(content(texts[0]), "10³ & <CD3>");
  EXPECT_EQ(test::attribute(texts[0], "x"), "20");
  EXPECT_EQ(test::attribute(texts[0], "y"), "95");  // alphabetic: the baseline is the mark's y
  EXPECT_EQ(test::attribute(texts[0], "text-anchor"), "middle");
  EXPECT_EQ(test::attribute(texts[0], "font-size"), "8");
  EXPECT_EQ(content(texts[1]), "Count");
  EXPECT_EQ(test::attribute(texts[1], "transform"), "translate(5 50) rotate(-90)");
  EXPECT_EQ(test::attribute(texts[1], "font-weight"), "bold");
  EXPECT_TRUE(elements(doc.get(), "use").empty());
  EXPECT_TRUE(elements(doc.get(), "symbol").empty());

  const auto circles = elements(doc.get(), "circle");
  ASSERT_EQ(circles.size(), 1u);
  EXPECT_EQ(test::attribute(circles[0], "cx"), "60");
  EXPECT_EQ(test::attribute(circles[0], "cy"), "40");
  EXPECT_EQ(test::attribute(circles[0], "r"), "3");
  EXPECT_EQ(test::attribute(circles[0], "fill"), "#0072b2");

  // The axis and its two ticks share a stroke: one path of three segments; the dashed line its own.
  const auto paths = elements(doc.get(), "path");
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(test::attribute(paths[0], "d"), "M10 90H190 M20 90V94 M40 90V94");
  EXPECT_EQ(test::attribute(paths[1], "stroke"), "#d55e00");
  EXPECT_EQ(test::attribute(paths[1], "stroke-width"), "1.5");
  EXPECT_EQ(test::attribute(paths[1], "stroke-dasharray"), "4 2");
  EXPECT_EQ(test::attribute(xmlDocGetRootElement(doc.get()), "viewBox"), "0 0 200 100");
}

TEST(CompactSvg, RasterIsAPngOfItsPixels) {
  Figure f;
  f.width = 50;
  f.height = 50;
  Raster r{5, 6, 30, 20, 3, 2, {0xffff0000u, 0xff00ff00u, 0x00000000u, 0xff0000ffu, 0xff123456u, 0xffffffffu}, "density"};
  f.marks.push_back(r);
  const auto doc = test::parse_xml(render_svg_compact(f));
  ASSERT_TRUE(doc);
  const auto images = elements(doc.get(), "image");
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(test::attribute(images[0], "x"), "5");
  EXPECT_EQ(test::attribute(images[0], "width"), "30");
  EXPECT_EQ(test::attribute(images[0], "height"), "20");
  EXPECT_EQ(test::attribute(images[0], "preserveAspectRatio"), "none");
  const std::string href = test::attribute(images[0], "href");
  const std::string prefix = "data:image/png;base64,";
  ASSERT_TRUE(href.starts_with(prefix)) << href.substr(0, 40);
  const std::vector<unsigned char> png = base64_decode(href.substr(prefix.size()));
  const cv::Mat image = cv::imdecode(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(image.empty());
  ASSERT_EQ(image.type(), CV_8UC4);  // alpha kept
  ASSERT_EQ(image.cols, 3);
  ASSERT_EQ(image.rows, 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) {
      const auto& bgra = image.at<cv::Vec4b>(y, x);
      const std::uint32_t p = (std::uint32_t{bgra[3]} << 24) | (std::uint32_t{bgra[2]} << 16) |
                              (std::uint32_t{bgra[1]} << 8) | bgra[0];
      EXPECT_EQ(p, r.pixels[static_cast<std::size_t>(y) * 3 + x]) << x << "," << y;  // lossless, not premultiplied
    }
}

// A Fig. 3-like dose figure: the compact SVG is a fraction of Cairo's, which carries each glyph's
// outline and a <use> per character.
TEST(CompactSvg, AFractionOfCairosSize) {
  DoseFigure spec;
  spec.title = "Cytotoxicity";
  spec.y_title = "Specific lysis (%)";
  for (const char* line : {"MM1S", "U266"}) {
    DosePanel panel;
    panel.title = line;
    panel.groups = {"0", "25", "50", "100"};
    panel.series.push_back({"", {{10, 12, 11}, {20, 22, 21}, {30, 33, 31}, {45, 41, 44}}, {}});
    panel.marks = {{1, std::nullopt, 0, "ns"}, {2, std::nullopt, 0, "*"}, {3, std::nullopt, 0, "***"}};
    spec.panels.push_back(panel);
  }
  const Figure figure = dose_figure(spec);
  const std::string compact = render_svg_compact(figure), cairo = render_svg(figure);
  EXPECT_LT(compact.size() * 3, cairo.size()) << compact.size() << " vs " << cairo.size();
  EXPECT_TRUE(test::parse_xml(compact));
  EXPECT_THROW(render_svg_compact(Figure{}), Error);
}

}  // namespace
}  // namespace cytopipe::plot
