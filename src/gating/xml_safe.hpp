#pragma once
// Reading XML that may be hostile (Gating-ML files, FlowJo workspaces): one hardened parse for
// every XML reader of the gating stage.
#include <cstddef>
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

}  // namespace cytopipe::gating::xml
