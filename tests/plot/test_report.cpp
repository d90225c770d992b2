// The HTML report: parses as HTML, escapes text, keeps inline SVG ids unique, writes atomically.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cytopipe/error.hpp"
#include "cytopipe/plot/render.hpp"
#include "cytopipe/plot/report.hpp"
#include "svg_parse.hpp"

namespace cytopipe::plot {
namespace {

Figure labelled(const std::string& text) {
  Figure f;
  f.width = 80;
  f.height = 30;
  f.marks.push_back(Text{{5, 20}, text, 10, Anchor::Start, Baseline::Alphabetic, 0, false, {}, "label"});
  f.marks.push_back(Circle{{60, 15}, 5, rgb(0x0072B2), Stroke{{}, 0}, "point"});
  return f;
}

HtmlReport sample_report() {
  HtmlReport report("Fig. 3 <selinexor> & CAR-T");
  report.paragraph("Doses read from the sample sheet.");
  report.section("BCMA expression");
  report.figure(labelled("MM1S"), "Figure 1: MM1S");
  report.figure(labelled("U266"), "Figure 2: U266");
  report.table({"Dunnett vs 0 nM", {"dose", "p", "mark"}, {{"25", "0.012", "*"}, {"100", "<0.0001", "***"}}});
  report.section("Cytotoxicity");
  report.paragraph("Specific lysis = 100 x (dead - dead0) / (100 - dead0).");
  return report;
}

TEST(HtmlReport, ParsesWithSectionsFiguresAndTables) {
  const std::string html = sample_report().html();
  const auto doc = test::parse_html(html);
  ASSERT_TRUE(doc);
  std::map<std::string, int> counts;
  std::vector<std::string> cells;
  test::for_each_element(xmlDocGetRootElement(doc.get()), [&](const xmlNode* node) {
    ++counts[test::name_of(node)];
    if (test::name_of(node) == "td") {
      xmlChar* text = xmlNodeGetContent(node);
      cells.emplace_back(reinterpret_cast<const char*>(text));
      xmlFree(text);
    }
  });
  EXPECT_EQ(counts["h1"], 1);
  EXPECT_EQ(counts["h2"], 3);  // the two sections and the table of contents
  EXPECT_EQ(counts["section"], 2);
  EXPECT_EQ(counts["nav"], 1);
  EXPECT_EQ(counts["svg"], 2);
  EXPECT_EQ(counts["figcaption"], 2);
  EXPECT_EQ(counts["table"], 1);
  EXPECT_EQ(counts["th"], 3);
  EXPECT_EQ(counts["tr"], 3);  // header + 2 rows
  EXPECT_EQ(cells, (std::vector<std::string>{"25", "0.012", "*", "100", "<0.0001", "***"}));
  EXPECT_EQ(counts["p"], 2);
}

// The table of contents links every headed section by an id that exists.
TEST(HtmlReport, TableOfContentsLinksEverySection) {
  const std::string html = sample_report().html();
  const auto doc = test::parse_html(html);
  ASSERT_TRUE(doc);
  std::vector<std::string> links, ids, link_texts;
  test::for_each_element(xmlDocGetRootElement(doc.get()), [&](const xmlNode* node) {
    if (test::name_of(node) == "a") {
      links.push_back(test::attribute(node, "href"));
      xmlChar* text = xmlNodeGetContent(node);
      link_texts.emplace_back(reinterpret_cast<const char*>(text));
      xmlFree(text);
    }
    if (test::name_of(node) == "section") ids.push_back("#" + test::attribute(node, "id"));
  });
  EXPECT_EQ(links, ids);
  EXPECT_EQ(link_texts, (std::vector<std::string>{"BCMA expression", "Cytotoxicity"}));
  HtmlReport one("one");
  one.section("Only");
  EXPECT_EQ(one.html().find("<nav"), std::string::npos);  // nothing to navigate
}

TEST(HtmlReport, EscapesText) {
  const std::string html = sample_report().html();
  EXPECT_NE(html.find("Fig. 3 &lt;selinexor&gt; &amp; CAR-T"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;0.0001</td>"), std::string::npos);
  EXPECT_EQ(html.find("<selinexor>"), std::string::npos);
  EXPECT_EQ(escape_html("a\"b'c"), "a&quot;b&#39;c");
}

// Cairo names glyphs "glyph0-1", ... in every SVG; SVG text inlined with svg() must not collide,
// and every reference must resolve inside its own figure.
TEST(HtmlReport, InlineSvgIdsAreUniqueAndResolveWithinTheirFigure) {
  HtmlReport report("ids");
  report.svg(render_svg(labelled("MM1S")));
  report.svg(render_svg(labelled("U266")));
  const std::string html = report.html();
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  const auto doc = test::parse_html(html);
  ASSERT_TRUE(doc);
  std::multiset<std::string> ids;
  std::vector<const xmlNode*> svgs;
  test::for_each_element(xmlDocGetRootElement(doc.get()), [&](const xmlNode* node) {
    const std::string id = test::attribute(node, "id");
    if (!id.empty()) ids.insert(id);
    if (test::name_of(node) == "svg") svgs.push_back(node);
  });
  ASSERT_EQ(svgs.size(), 2u);
  ASSERT_FALSE(ids.empty());
  for (const auto& id : ids) EXPECT_EQ(ids.count(id), 1u) << "duplicate id " << id;
  int references = 0;
  for (const xmlNode* svg : svgs) {
    std::set<std::string> own_ids;
    std::vector<std::string> refs;
    test::for_each_element(svg->children, [&](const xmlNode* node) {
      const std::string id = test::attribute(node, "id");
      if (!id.empty()) own_ids.insert(id);
      // The HTML parser keeps "xlink:href" as the attribute name.
      for (const char* name : {"xlink:href", "href"}) {
        const std::string ref = test::attribute(node, name);
        if (ref.starts_with("#")) refs.push_back(ref.substr(1));
      }
    });
    for (const auto& ref : refs) EXPECT_TRUE(own_ids.count(ref)) << "dangling reference #" << ref;
    references += static_cast<int>(refs.size());
  }
  EXPECT_GE(references, 8);  // "MM1S" and "U266": four glyph uses each
}

// Figures go in as compact SVG: their text as <text> elements (no glyph outlines, no ids), so
// a report of many figures does not carry the font once per figure.
TEST(HtmlReport, FiguresInlineTextAsTextWithoutIds) {
  const std::string html = sample_report().html();
  const auto doc = test::parse_html(html);
  ASSERT_TRUE(doc);
  std::vector<std::string> texts;
  int ids = 0, uses = 0;
  test::for_each_element(xmlDocGetRootElement(doc.get()), [&](const xmlNode* node) {
    ids += !test::attribute(node, "id").empty() && test::name_of(node) != "section";
    uses += test::name_of(node) == "use";
    if (test::name_of(node) == "text") {
      xmlChar* text = xmlNodeGetContent(node);
      texts.emplace_back(reinterpret_cast<const char*>(text));
      xmlFree(text);
    }
  });
  EXPECT_EQ(texts, (std::vector<std::string>{"MM1S", "U266"}));
  EXPECT_EQ(ids, 0);
  EXPECT_EQ(uses, 0);
}

TEST(HtmlReport, RaggedTableIsAnError) {
  HtmlReport report("r");
  try {
    report.table({"stats", {"a", "b"}, {{"1", "2"}, {"3"}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'stats': row 2 has 1 cells but the header has 2"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(report.svg("<p>not svg</p>"), Error);
}

TEST(HtmlReport, WritesTheFileAtomically) {
  const auto dir = std::filesystem::temp_directory_path() / "cytopipe_plot_report_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto file = dir / "report.html";
  const HtmlReport report = sample_report();
  report.write(file);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), report.html());
  EXPECT_THROW(report.write(dir / "missing" / "report.html"), Error);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cytopipe::plot
