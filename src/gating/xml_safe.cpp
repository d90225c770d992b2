// The one hardened XML parse of the gating stage (Gating-ML and FlowJo workspaces).
#include "gating/xml_safe.hpp"

#include <fcntl.h>
#include <libxml/SAX2.h>
#include <unistd.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <list>
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
  // Streaming passes (scan_untrusted, read_untrusted with a filter) check every element as it
  // starts, and keep what the element handlers threw.
  std::string file;
  const UntrustedLimits* limits = nullptr;
  std::size_t depth = 0;
  std::size_t skipped_from = 0;  // depth of the element being left out (filtered read), 0 none
  bool stopped = false;          // the filter ended the parse
  const ElementFilter* keep = nullptr;
  const std::function<void(const xmlNode*)>* take = nullptr;
  std::size_t handed_over = 0;  // depth of the element to hand over when it ends, 0 none
  const ElementHandlers* on = nullptr;
  std::exception_ptr failure;
  std::vector<Attribute> attributes;
  std::list<std::string> decoded;
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

std::string_view view(const xmlChar* s) { return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view(); }

// An exception cannot cross libxml2's C frames: it is kept and the parse stopped.
void fail_pass(void* ctx, std::exception_ptr e) {
  Hostility& h = hostility_of(ctx);
  if (!h.failure) h.failure = std::move(e);
  xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
}

// The checks check_tree makes on a tree, made on an element as it starts (depth already counted).
// (Runs for every element: the line is looked up only for a refusal.)
bool element_allowed(void* ctx, const xmlChar* localname, const xmlChar* uri) {
  Hostility& h = hostility_of(ctx);
  if (h.depth > h.limits->max_depth) {
    fail_pass(ctx, std::make_exception_ptr(Error("elements nested deeper than " + std::to_string(h.limits->max_depth) +
                                                     " levels: refused",
                                                 ErrorContext{h.file, "", xmlSAX2GetLineNumber(ctx), 0})));
    return false;
  }
  const char* u = reinterpret_cast<const char*>(uri);
  if (u && (std::strcmp(u, kXIncludeNs) == 0 || std::strcmp(u, kXIncludeOldNs) == 0)) {
    fail_pass(ctx, std::make_exception_ptr(Error("XInclude (" + std::string(view(localname)) + ") is refused: a " +
                                                     std::string(h.limits->format) + " file must be self-contained",
                                                 ErrorContext{h.file, "", xmlSAX2GetLineNumber(ctx), 0})));
    return false;
  }
  return true;
}

// --- scan_untrusted: every element to the handlers, no tree --------------------------------------
void on_scan_start(void* ctx, const xmlChar* localname, const xmlChar*, const xmlChar* uri, int, const xmlChar**,
                   int nb_attributes, int, const xmlChar** attributes) {
  Hostility& h = hostility_of(ctx);
  ++h.depth;
  if (h.failure || !element_allowed(ctx, localname, uri)) return;
  // Values as the parser hands them over: with entity substitution off it writes a '&' that came
  // from a reference as "&#38;" (for the tree builder to resolve); resolved here the same way.
  h.attributes.clear();
  h.decoded.clear();
  for (int i = 0; i < nb_attributes; ++i) {
    const xmlChar* const* a = attributes + 5 * i;
    const char* begin = reinterpret_cast<const char*>(a[3]);
    const auto length = static_cast<std::size_t>(a[4] - a[3]);
    std::string_view value(begin, length);
    if (std::memchr(begin, '&', length) && value.find("&#38;") != std::string_view::npos) {
      std::string out;
      for (std::size_t k = 0; k < value.size(); ++k) {
        out += value[k];
        if (value.compare(k, 5, "&#38;") == 0) k += 4;
      }
      // A list, not a vector: the views of the values decoded before stay valid.
      value = h.decoded.emplace_back(std::move(out));
    }
    h.attributes.push_back({view(a[0]), value});
  }
  try {
    h.on->start(Element{view(localname), h.attributes, xmlSAX2GetLineNumber(ctx), h.depth, ctx});
  } catch (...) {
    fail_pass(ctx, std::current_exception());
  }
}

void on_scan_end(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  Hostility& h = hostility_of(ctx);
  if (!h.failure && h.on->end) try {
      h.on->end(h.depth);
    } catch (...) {
      fail_pass(ctx, std::current_exception());
    }
  --h.depth;
}

// --- read_untrusted with a filter: the SAX2 tree builder, told nothing of what is left out -------
void on_filtered_start(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
                       int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
                       const xmlChar** attributes) {
  Hostility& h = hostility_of(ctx);
  ++h.depth;
  if (!element_allowed(ctx, localname, uri) || h.failure || h.skipped_from) return;
  Keep keep = Keep::Build;
  try {
    keep = (*h.keep)(view(localname), h.depth);
  } catch (...) {
    fail_pass(ctx, std::current_exception());
    return;
  }
  if (keep == Keep::Stop) {
    h.stopped = true;
    h.skipped_from = h.depth;
    xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx));
    return;
  }
  if (keep == Keep::LeaveOut) {
    h.skipped_from = h.depth;
    return;
  }
  if (keep == Keep::HandOver && !h.handed_over) h.handed_over = h.depth;
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted, attributes);
}

void on_filtered_end(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri) {
  Hostility& h = hostility_of(ctx);
  const bool left_out = h.skipped_from != 0;
  if (h.skipped_from == h.depth) h.skipped_from = 0;
  const bool hand_over = !left_out && h.handed_over == h.depth;
  --h.depth;
  if (left_out) return;
  xmlNodePtr done = static_cast<xmlParserCtxtPtr>(ctx)->node;
  xmlSAX2EndElementNs(ctx, localname, prefix, uri);
  if (!hand_over) return;
  h.handed_over = 0;
  if (!h.failure && done) try {
      (*h.take)(done);
    } catch (...) {
      fail_pass(ctx, std::current_exception());
    }
  if (done) {
    // Emptied, not unlinked: the tree builder's text merging assumes its last node is still there.
    xmlFreeNodeList(done->children);
    done->children = done->last = nullptr;
    xmlFreePropList(done->properties);
    done->properties = nullptr;
  }
}

bool in_left_out(void* ctx) { return hostility_of(ctx).skipped_from != 0; }
void on_filtered_characters(void* ctx, const xmlChar* ch, int len) {
  if (!in_left_out(ctx)) xmlSAX2Characters(ctx, ch, len);
}
void on_filtered_cdata(void* ctx, const xmlChar* ch, int len) {
  if (!in_left_out(ctx)) xmlSAX2CDataBlock(ctx, ch, len);
}
void on_filtered_comment(void* ctx, const xmlChar* text) {
  if (!in_left_out(ctx)) xmlSAX2Comment(ctx, text);
}
void on_filtered_pi(void* ctx, const xmlChar* target, const xmlChar* data) {
  if (!in_left_out(ctx)) xmlSAX2ProcessingInstruction(ctx, target, data);
}
void on_filtered_reference(void* ctx, const xmlChar* name) {
  if (!in_left_out(ctx)) xmlSAX2Reference(ctx, name);
}

// Where the parser's bytes come from, handed to it piece by piece. libxml2 asks for 4000 bytes at
// a time; a file is read 64 kB at a time and handed over from there (a read(2) per 4000 bytes was
// a tenth of scanning a 5 MB workspace). Not mapped: a file cut short while it is read would then
// end the process (SIGBUS) instead of the parse.
class Feed {
 public:
  explicit Feed(const Input& input) : rest_(input.text), left_(input.limit) {
    if (input.file.empty()) return;
    fd_ = ::open(input.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw Error(std::string("cannot open: ") + std::strerror(errno), ErrorContext{input.file.string(), "", 0, 0});
    buffer_ = std::make_unique<char[]>(kPiece);
  }
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;
  ~Feed() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Fewer bytes than asked only at the end; -1 (an I/O error for the parser) if reading fails.
  int read(char* to, int size) {
    const std::size_t want = std::min(left_, static_cast<std::size_t>(std::max(size, 0)));
    std::size_t n = 0;
    while (n < want) {
      if (rest_.empty() && !refill()) break;
      const std::size_t k = std::min(want - n, rest_.size());
      std::copy_n(rest_.data(), k, to + n);
      rest_.remove_prefix(k);
      n += k;
    }
    if (failed_) return -1;
    left_ -= n;
    return static_cast<int>(n);
  }

 private:
  // The file's next piece into the buffer; false at its end (or on an error: failed_).
  bool refill() {
    if (fd_ < 0) return false;
    ssize_t got = 0;
    do got = ::read(fd_, buffer_.get(), kPiece);
    while (got < 0 && errno == EINTR);
    failed_ = got < 0;
    if (got <= 0) return false;
    rest_ = std::string_view(buffer_.get(), static_cast<std::size_t>(got));
    return true;
  }

  static constexpr std::size_t kPiece = 64 * 1024;
  bool failed_ = false;
  std::string_view rest_;  // bytes not handed over yet: of the text, or of the file's last piece
  std::size_t left_;
  int fd_ = -1;
  std::unique_ptr<char[]> buffer_;
};

// The hardened parse itself: `configure` may replace the element callbacks of the context.
template <class Configure>
Document parse(const Input& source, const std::string& file, const UntrustedLimits& limits, Hostility& hostility,
               Configure configure) {
  std::error_code size_error;
  const std::size_t size = source.file.empty() ? source.text.size() : std::filesystem::file_size(source.file, size_error);
  if (size > limits.max_bytes && !size_error)
    throw Error("a " + std::string(limits.format) + " document of " + std::to_string(size) +
                    " bytes is larger than the limit of " + std::to_string(limits.max_bytes) + " bytes",
                ErrorContext{file, "", 0, 0});
  Feed feed(source);
  std::unique_ptr<xmlParserCtxt, ParserContextDeleter> context(xmlNewParserCtxt());
  if (!context) throw std::bad_alloc();
  hostility.format = std::string(limits.format);
  hostility.file = file;
  hostility.limits = &limits;
  context->_private = &hostility;
  context->sax->entityDecl = on_entity_declaration;
  context->sax->internalSubset = on_internal_subset;
  configure(*context->sax);
  // What xmlCtxtReadMemory does, but a parse a filter stopped keeps the tree it built, and the
  // parser reads its input in pieces as it goes instead of copying all of it first (the copy into
  // fresh memory, and reading a file whole, were a third of importing a 5 MB workspace).
  xmlParserInputBufferPtr buffer = xmlParserInputBufferCreateIO(
      [](void* from, char* to, int n) { return static_cast<Feed*>(from)->read(to, n); }, [](void*) { return 0; },
      &feed, XML_CHAR_ENCODING_NONE);
  if (!buffer) throw std::bad_alloc();
  xmlParserInputPtr input = xmlNewIOInputStream(context.get(), buffer, XML_CHAR_ENCODING_NONE);
  if (!input) {
    xmlFreeParserInputBuffer(buffer);
    throw std::bad_alloc();
  }
  inputPush(context.get(), input);
  xmlCtxtUseOptions(context.get(), XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  input->filename = reinterpret_cast<const char*>(xmlStrdup(reinterpret_cast<const xmlChar*>(file.c_str())));
  xmlParseDocument(context.get());
  Document doc(context->myDoc);
  context->myDoc = nullptr;
  if (!context->wellFormed && !hostility.stopped) doc.reset();
  if (!hostility.refused.empty()) throw Error(hostility.refused, ErrorContext{file, "", hostility.line, 0});
  if (hostility.failure) std::rethrow_exception(hostility.failure);
  if (!doc) {
    const xmlError* err = xmlCtxtGetLastError(context.get());
    throw Error(std::string("not well-formed XML") + (err && err->message ? ": " + std::string(err->message) : ""),
                ErrorContext{file, "", err ? err->line : 0, 0});
  }
  return doc;
}

}  // namespace

std::size_t Element::offset() const {
  return static_cast<std::size_t>(xmlByteConsumed(static_cast<xmlParserCtxtPtr>(const_cast<void*>(parser))));
}

Document read_untrusted(std::string_view text, const std::string& file, const UntrustedLimits& limits) {
  Hostility hostility;
  Document doc = parse(Input{text, {}, std::string_view::npos}, file, limits, hostility, [](xmlSAXHandler&) {});
  check_tree(xmlDocGetRootElement(doc.get()), file, limits);
  return doc;
}

Document read_untrusted(const Input& input, const std::string& file, const UntrustedLimits& limits,
                        const ElementFilter& keep, const std::function<void(const xmlNode*)>& take) {
  Hostility hostility;
  hostility.keep = &keep;
  hostility.take = &take;
  Document doc = parse(input, file, limits, hostility, [](xmlSAXHandler& sax) {
    sax.startElementNs = on_filtered_start;
    sax.endElementNs = on_filtered_end;
    sax.characters = on_filtered_characters;
    sax.ignorableWhitespace = on_filtered_characters;
    sax.cdataBlock = on_filtered_cdata;
    sax.comment = on_filtered_comment;
    sax.processingInstruction = on_filtered_pi;
    sax.reference = on_filtered_reference;
  });
  if (const xmlNode* root = xmlDocGetRootElement(doc.get())) check_tree(root, file, limits);
  return doc;
}

void scan_untrusted(const Input& input, const std::string& file, const UntrustedLimits& limits,
                    const ElementHandlers& on) {
  Hostility hostility;
  hostility.on = &on;
  parse(input, file, limits, hostility, [](xmlSAXHandler& sax) {
    sax.startElementNs = on_scan_start;
    sax.endElementNs = on_scan_end;
    sax.characters = nullptr;
    sax.ignorableWhitespace = nullptr;
    sax.cdataBlock = nullptr;
    sax.comment = nullptr;
    sax.processingInstruction = nullptr;
    sax.reference = nullptr;
  });
}

}  // namespace cytopipe::gating::xml
