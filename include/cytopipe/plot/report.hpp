#pragma once
// A small self-contained HTML report: a title, sections holding paragraphs, inline SVG figures
// and tables. The pipeline writes report.html with it.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cytopipe/plot/figure.hpp"

namespace cytopipe::plot {

struct HtmlTable {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each as long as header (checked)
};

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  // Starts a new section; later content goes into it. Content before any section goes on top.
  HtmlReport& section(std::string heading);
  HtmlReport& paragraph(std::string text);
  // Inlines the figure as compact SVG (render_svg_compact: text as text, no ids).
  HtmlReport& figure(const Figure& figure, std::string caption = {});
  // Inlines SVG text from elsewhere (e.g. Cairo's). Element ids are made unique per figure,
  // because Cairo names its glyphs and clips the same way in every file and inline SVGs share
  // one id space.
  HtmlReport& svg(std::string svg_text, std::string caption = {});
  // Error when a row's length differs from the header's (naming the table and row).
  HtmlReport& table(HtmlTable table);

  std::string html() const;
  // Writes html() atomically.
  void write(const std::filesystem::path& file) const;

 private:
  struct Block {
    enum class Kind { Paragraph, Svg, Table } kind;
    std::string text;      // paragraph text, or SVG markup (already id-prefixed)
    std::string caption;
    HtmlTable table;
  };
  struct Section {
    std::string heading;
    std::vector<Block> blocks;
  };
  Section& current();

  std::string title_;
  std::vector<Section> sections_;
  int svg_count_ = 0;
};

// Text with &, <, >, " and ' escaped for HTML.
std::string escape_html(std::string_view text);

}  // namespace cytopipe::plot
