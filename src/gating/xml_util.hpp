#pragma once
// Thin RAII and lookup helpers over libxml2 for the Gating-ML reader and writer.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cytopipe::gating::xml {

inline constexpr const char* kGatingNs = "http://www.isac-net.org/std/Gating-ML/v2.0/gating";
inline constexpr const char* kTransformsNs =
    "http://www.isac-net.org/std/Gating-ML/v2.0/transformations";
inline constexpr const char* kDataTypeNs = "http://www.isac-net.org/std/Gating-ML/v2.0/datatypes";

struct DocDeleter {
  void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using Document = std::unique_ptr<xmlDoc, DocDeleter>;

inline std::string_view name(const xmlNode* n) {
  return n && n->name ? std::string_view(reinterpret_cast<const char*>(n->name)) : std::string_view();
}
inline bool in_ns(const xmlNode* n, const char* ns) {
  return n && n->ns && n->ns->href &&
         std::string_view(reinterpret_cast<const char*>(n->ns->href)) == ns;
}
inline bool is(const xmlNode* n, const char* ns, std::string_view local) {
  return n && n->type == XML_ELEMENT_NODE && name(n) == local && in_ns(n, ns);
}
inline std::vector<xmlNode*> children(const xmlNode* n) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n ? n->children : nullptr; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}
inline std::vector<xmlNode*> children(const xmlNode* n, const char* ns, std::string_view local) {
  std::vector<xmlNode*> out;
  for (xmlNode* c : children(n))
    if (is(c, ns, local)) out.push_back(c);
  return out;
}
inline xmlNode* child(const xmlNode* n, const char* ns, std::string_view local) {
  for (xmlNode* c : children(n))
    if (is(c, ns, local)) return c;
  return nullptr;
}
// An attribute in namespace `ns`, or without a namespace (files in the wild are lax).
inline std::optional<std::string> attr(const xmlNode* n, const char* ns, const char* local) {
  xmlChar* v = xmlGetNsProp(n, reinterpret_cast<const xmlChar*>(local),
                            reinterpret_cast<const xmlChar*>(ns));
  if (!v) v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(local));
  if (!v) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}
inline std::string text(const xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}
inline int line(const xmlNode* n) { return static_cast<int>(xmlGetLineNo(n)); }

// A number as XML attributes write it (Gating-ML, FlowJo workspaces): blanks around it and a
// leading '+' allowed; nullopt for anything else. nan and inf read as such: a reader that needs
// finite values checks.
inline std::optional<double> number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r' ||
                        s.front() == '\v' || s.front() == '\f'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r' ||
                        s.back() == '\v' || s.back() == '\f'))
    s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace cytopipe::gating::xml
