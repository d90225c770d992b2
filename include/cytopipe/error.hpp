#pragma once
// The one exception type cytopipe throws for bad input. It carries where the fault is
// (file, keyword or key, line and column) so the CLI can report it without guessing.
#include <stdexcept>
#include <string>
#include <utility>

namespace cytopipe {

struct ErrorContext {
  std::string file;     // the input file the fault is in (empty if none)
  std::string where;    // keyword, YAML key, gate id, channel... (empty if none)
  int line = 0;         // 1-based; 0 = not applicable
  int column = 0;       // 1-based; 0 = not applicable
};

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, ErrorContext context = {})
      : std::runtime_error(format(message, context)),
        message_(std::move(message)),
        context_(std::move(context)) {}

  // The fault alone, without the location prefix.
  const std::string& message() const noexcept { return message_; }
  const ErrorContext& context() const noexcept { return context_; }

  // "file:line:column: where: message", leaving out the parts that are empty.
  static std::string format(const std::string& message, const ErrorContext& c) {
    std::string out;
    if (!c.file.empty()) {
      out += c.file;
      if (c.line > 0) {
        out += ':' + std::to_string(c.line);
        if (c.column > 0) out += ':' + std::to_string(c.column);
      }
      out += ": ";
    }
    if (!c.where.empty()) out += c.where + ": ";
    out += message;
    return out;
  }

 private:
  std::string message_;
  ErrorContext context_;
};

}  // namespace cytopipe
