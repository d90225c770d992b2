#include "cytopipe/plot/report.hpp"

#include <sstream>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/plot/render.hpp"

namespace cytopipe::plot {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// An SVG document ready to sit inside HTML: no XML declaration, every id and reference to one
// prefixed so that figures cannot capture each other's glyphs or clip paths.
std::string inline_svg(std::string svg, const std::string& prefix) {
  if (svg.starts_with("<?xml")) {
    const auto end = svg.find("?>");
    svg.erase(0, end == std::string::npos ? svg.size() : end + 2);
  }
  const auto start = svg.find("<svg");
  if (start == std::string::npos) throw Error("report: figure is not SVG (no <svg> element)");
  svg.erase(0, start);
  replace_all(svg, "id=\"", "id=\"" + prefix);
  replace_all(svg, "href=\"#", "href=\"#" + prefix);
  replace_all(svg, "url(#", "url(#" + prefix);
  return svg;
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

HtmlReport::Section& HtmlReport::current() {
  if (sections_.empty()) sections_.push_back({});
  return sections_.back();
}

HtmlReport& HtmlReport::section(std::string heading) {
  sections_.push_back({std::move(heading), {}});
  return *this;
}

HtmlReport& HtmlReport::paragraph(std::string text) {
  current().blocks.push_back({Block::Kind::Paragraph, std::move(text), {}, {}});
  return *this;
}

HtmlReport& HtmlReport::figure(const Figure& figure, std::string caption) {
  // Compact SVG: the report holds dozens of figures, and Cairo's repeats its glyph outlines in
  // each (a 6 MB Fig. 3 report); the report's own CSS already asks for the same font.
  ++svg_count_;
  current().blocks.push_back({Block::Kind::Svg, render_svg_compact(figure), std::move(caption), {}});
  return *this;
}

HtmlReport& HtmlReport::svg(std::string svg_text, std::string caption) {
  const std::string prefix = "fig" + std::to_string(++svg_count_) + "-";
  current().blocks.push_back({Block::Kind::Svg, inline_svg(std::move(svg_text), prefix), std::move(caption), {}});
  return *this;
}

HtmlReport& HtmlReport::table(HtmlTable table) {
  const std::string name = table.caption.empty() ? "report table" : "report table '" + table.caption + "'";
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    if (table.rows[r].size() != table.header.size())
      throw Error(name + ": row " + std::to_string(r + 1) + " has " + std::to_string(table.rows[r].size()) +
                  " cells but the header has " + std::to_string(table.header.size()));
  current().blocks.push_back({Block::Kind::Table, {}, {}, std::move(table)});
  return *this;
}

std::string HtmlReport::html() const {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
      << escape_html(title_) << "</title>\n<style>\n"
      << "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n"
      << "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\n"
      << "figure{margin:1em 0}figcaption{font-size:.9em;color:#444}\n"
      << "table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;font-weight:bold;padding-bottom:.3em}\n"
      << "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}th{background:#f0f0f0}\n"
      << "svg{max-width:100%;height:auto}nav.toc ol{line-height:1.5}\n"
      // Printed (or saved as PDF from a browser): figures and tables are not cut across pages.
      << "@media print{body{max-width:none;margin:0}figure,table,tr{break-inside:avoid}h2{break-after:avoid}"
      << "nav.toc a{color:#222;text-decoration:none}}\n"
      << "</style>\n</head>\n<body>\n<h1>" << escape_html(title_) << "</h1>\n";
  // A table of contents when there is more than one section to go to.
  std::size_t headed = 0;
  for (const Section& section : sections_) headed += !section.heading.empty();
  if (headed > 1) {
    out << "<nav class=\"toc\">\n<h2>Contents</h2>\n<ol>\n";
    for (std::size_t i = 0; i < sections_.size(); ++i)
      if (!sections_[i].heading.empty())
        out << "<li><a href=\"#section-" << i + 1 << "\">" << escape_html(sections_[i].heading) << "</a></li>\n";
    out << "</ol>\n</nav>\n";
  }
  for (std::size_t i = 0; i < sections_.size(); ++i) {
    const Section& section = sections_[i];
    if (!section.heading.empty())
      out << "<section id=\"section-" << i + 1 << "\">\n<h2>" << escape_html(section.heading) << "</h2>\n";
    for (const Block& block : section.blocks) {
      switch (block.kind) {
        case Block::Kind::Paragraph:
          out << "<p>" << escape_html(block.text) << "</p>\n";
          break;
        case Block::Kind::Svg:
          out << "<figure>\n" << block.text << "\n";
          if (!block.caption.empty()) out << "<figcaption>" << escape_html(block.caption) << "</figcaption>\n";
          out << "</figure>\n";
          break;
        case Block::Kind::Table:
          out << "<table>\n";
          if (!block.table.caption.empty()) out << "<caption>" << escape_html(block.table.caption) << "</caption>\n";
          out << "<thead><tr>";
          for (const auto& cell : block.table.header) out << "<th>" << escape_html(cell) << "</th>";
          out << "</tr></thead>\n<tbody>\n";
          for (const auto& row : block.table.rows) {
            out << "<tr>";
            for (const auto& cell : row) out << "<td>" << escape_html(cell) << "</td>";
            out << "</tr>\n";
          }
          out << "</tbody>\n</table>\n";
          break;
      }
    }
    if (!section.heading.empty()) out << "</section>\n";
  }
  out << "</body>\n</html>\n";
  return out.str();
}

void HtmlReport::write(const std::filesystem::path& file) const { write_file_atomically(file, html()); }

}  // namespace cytopipe::plot
