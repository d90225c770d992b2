#pragma once
// Parsing rendered SVG and HTML with libxml2 in the plot tests.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <functional>
#include <memory>
#include <string>

namespace cytopipe::plot::test {

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDoc = std::unique_ptr<xmlDoc, XmlDocFree>;

// A strict XML parse (no recovery): nullptr when the text is not well-formed.
inline XmlDoc parse_xml(const std::string& text) {
  return XmlDoc(xmlReadMemory(text.data(), static_cast<int>(text.size()), "figure.svg", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

inline XmlDoc parse_html(const std::string& text) {
  return XmlDoc(htmlReadMemory(text.data(), static_cast<int>(text.size()), "report.html", "utf-8",
                               HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING));
}

inline std::string name_of(const xmlNode* node) { return reinterpret_cast<const char*>(node->name); }

inline std::string attribute(const xmlNode* node, const char* name) {
  xmlChar* value = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (!value) return {};
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

// Calls `visit` on every element under `node` (inclusive), depth first.
inline void for_each_element(const xmlNode* node, const std::function<void(const xmlNode*)>& visit) {
  for (; node; node = node->next) {
    if (node->type == XML_ELEMENT_NODE) {
      visit(node);
      for_each_element(node->children, visit);
    }
  }
}

}  // namespace cytopipe::plot::test
