#pragma once
// Reading XML that may be hostile (Gating-ML files, FlowJo workspaces): one hardened parse for
// every XML reader of the gating stage.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gating/xml_util.hpp"

namespace cytopipe::gating::xml {

struct UntrustedLimits {
  std::size_t max_bytes = 0;   // a larger document is refused before it is parsed
  std::size_t max_depth = 0;   // elements may nest this deep
  std::string_view format;     // "Gating-ML", "FlowJo workspace": named in the messages
};

// Parses `text` (named `file` in messages). Refused with an Error naming the file and line: any
// entity declaration or external DTD (billion laughs, quadratic blow-up, XXE), XInclude, more
// than max_bytes, nesting deeper than max_depth, and XML that is not well-formed. Nothing is
// ever loaded from disk or network and no entity is substituted.
Document read_untrusted(std::string_view text, const std::string& file, const UntrustedLimits& limits);

// The bytes of a document for the streaming reads below: a text in memory, or a file the parser
// reads piece by piece as it goes (a workspace of megabytes is never held whole); `limit` bytes
// at most. `text` is used when `file` is empty.
struct Input {
  std::string_view text;
  std::filesystem::path file;
  std::size_t limit = std::string_view::npos;
};

// An element as a streaming pass sees it: its local name (any prefix dropped), its attributes by
// local name with the values a tree would hold (references resolved), its line and its depth
// (the root is 1). Views valid during the call only.
struct Attribute {
  std::string_view name;
  std::string_view value;
};
struct Element {
  std::string_view name;
  std::span<const Attribute> attributes;
  int line = 0;
  std::size_t depth = 0;
  std::optional<std::string_view> attribute(std::string_view local) const {
    for (const auto& a : attributes)
      if (a.name == local) return a.value;
    return std::nullopt;
  }
  // Bytes of the text read when the start tag was (before its '>'). Asked of the parser only
  // when wanted (a few elements of the tens of thousands a workspace holds).
  std::size_t offset() const;
  const void* parser = nullptr;  // the parse reporting this element
};
struct ElementHandlers {
  std::function<void(const Element&)> start;  // may throw Error: the pass stops and rethrows it
  std::function<void(std::size_t depth)> end;  // the element at `depth` ended
};

// One pass over `text` that builds no tree, refused exactly as read_untrusted refuses (the same
// parser settings and limits, checked on every element): for reading what a large document holds
// without the cost of its tree. Text content is not reported.
void scan_untrusted(const Input& input, const std::string& file, const UntrustedLimits& limits,
                    const ElementHandlers& on);

// read_untrusted building only part of the tree: `keep(name, depth)` is asked for each element
// whose parent is built; an element it leaves out goes with everything inside it; Stop ends the
// parse there, the tree built so far being the result (so the input may be cut short after that
// element's start tag, e.g. at an offset a scan_untrusted of the whole text reported). HandOver
// builds the element and, once it is complete, passes it to `take` and then frees what it holds
// (one such subtree in memory at a time; the empty element stays in the tree; a HandOver inside
// one counts as Build). Lines of the elements built are
// those of the whole document.
enum class Keep { Build, LeaveOut, Stop, HandOver };
using ElementFilter = std::function<Keep(std::string_view name, std::size_t depth)>;
Document read_untrusted(const Input& input, const std::string& file, const UntrustedLimits& limits,
                        const ElementFilter& keep, const std::function<void(const xmlNode*)>& take = {});

}  // namespace cytopipe::gating::xml
