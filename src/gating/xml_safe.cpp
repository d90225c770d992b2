// The one hardened XML parse of the gating stage (Gating-ML and FlowJo workspaces).
#include "gating/xml_safe.hpp"

#include <libxml/SAX2.h>

#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "cytopipe/error.hpp"

namespace cytopipe::gating::xml {
namespace {

// What a hostile document may not do. The formats read here need no DTD, so an entity declaration (the
// start of billion-laughs and quadratic blow-up documents, and of external entities) ends the
// parse at the declaration, before any reference can be expanded; so does a DOCTYPE naming an
// external DTD. The parser never loads anything (no DTD loading, no network, no entity
// substitution, no XInclude processing), and an xi:include element is refused rather than
// silently left out.
struct Hostility {
  std::string refused;  // why the parse was stopped, empty if it was not
  int line = 0;
  std::string format;   // named in the messages
};

Hostility& hostility_of(void* ctx) {
  return *static_cast<Hostility*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
}

void stop(void* ctx, std::string why) {
  Hostility& h = hostility_of(ctx);
  if (h.refused.empty()) {
    h.refused = std::move(why);
    h.line = xmlSAX2GetLineNumber(ctx);
  }
  xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
}

void on_entity_declaration(void* ctx, const xmlChar* name, int type, const xmlChar*, const xmlChar* system_id,
                           xmlChar*) {
  const std::string n = name ? reinterpret_cast<const char*>(name) : "";
  const bool external = type == XML_EXTERNAL_GENERAL_PARSED_ENTITY || type == XML_EXTERNAL_GENERAL_UNPARSED_ENTITY ||
                        type == XML_EXTERNAL_PARAMETER_ENTITY;
  stop(ctx, std::string(external ? "external entity '" : "entity '") + n + "' declared" +
                (system_id ? std::string(" (SYSTEM \"") + reinterpret_cast<const char*>(system_id) + "\")" : "") +
                ": entity declarations are refused (" + hostility_of(ctx).format + " needs none; they are the means of entity-expansion "
                "and external-entity attacks)");
}

void on_internal_subset(void* ctx, const xmlChar* name, const xmlChar* external_id, const xmlChar* system_id) {
  if (external_id || system_id) {
    stop(ctx, std::string("the DOCTYPE names an external DTD") +
                  (system_id ? std::string(" (\"") + reinterpret_cast<const char*>(system_id) + "\")" : "") +
                  ": refused (" + hostility_of(ctx).format + " needs no DTD, and none is loaded)");
    return;
  }
  xmlSAX2InternalSubset(ctx, name, external_id, system_id);
}

constexpr const char* kXIncludeNs = "http://www.w3.org/2001/XInclude";
constexpr const char* kXIncludeOldNs = "http://www.w3.org/2003/XInclude";

// Refuses elements nested deeper than limits.max_depth and XInclude elements (walked without
// recursion).
void check_tree(const xmlNode* root, const std::string& file, const UntrustedLimits& limits) {
  std::vector<std::pair<const xmlNode*, std::size_t>> todo{{root, 1}};
  while (!todo.empty()) {
    const auto [n, depth] = todo.back();
    todo.pop_back();
    if (depth > limits.max_depth)
      throw Error("elements nested deeper than " + std::to_string(limits.max_depth) + " levels: refused",
                  ErrorContext{file, "", line(n), 0});
    if (in_ns(n, kXIncludeNs) || in_ns(n, kXIncludeOldNs))
      throw Error("XInclude (" + std::string(name(n)) + ") is refused: a " + std::string(limits.format) + " file must be self-contained",
                  ErrorContext{file, "", line(n), 0});
    for (const xmlNode* c : children(n)) todo.emplace_back(c, depth + 1);
  }
}

struct ParserContextDeleter {
  void operator()(xmlParserCtxt* c) const noexcept { xmlFreeParserCtxt(c); }
};

}  // namespace

Document read_untrusted(std::string_view text, const std::string& file, const UntrustedLimits& limits) {
  if (text.size() > limits.max_bytes)
    throw Error("a " + std::string(limits.format) + " document of " + std::to_string(text.size()) +
                    " bytes is larger than the limit of " + std::to_string(limits.max_bytes) + " bytes",
                ErrorContext{file, "", 0, 0});
  std::unique_ptr<xmlParserCtxt, ParserContextDeleter> context(xmlNewParserCtxt());
  if (!context) throw std::bad_alloc();
  Hostility hostility;
  hostility.format = std::string(limits.format);
  context->_private = &hostility;
  context->sax->entityDecl = on_entity_declaration;
  context->sax->internalSubset = on_internal_subset;
  Document doc(xmlCtxtReadMemory(context.get(), text.data(), static_cast<int>(text.size()), file.c_str(), nullptr,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!hostility.refused.empty()) throw Error(hostility.refused, ErrorContext{file, "", hostility.line, 0});
  if (!doc) {
    const xmlError* err = xmlCtxtGetLastError(context.get());
    throw Error(std::string("not well-formed XML") + (err && err->message ? ": " + std::string(err->message) : ""),
                ErrorContext{file, "", err ? err->line : 0, 0});
  }
  check_tree(xmlDocGetRootElement(doc.get()), file, limits);
  return doc;
}

}  // namespace cytopipe::gating::xml
