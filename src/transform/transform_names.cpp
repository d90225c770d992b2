// Parsing and printing transform specifications.
#include "transform/transform_names.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "cytopipe/base/number_text.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/overloaded.hpp"

namespace cytopipe::transform::detail {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

std::string number(double v) { return format_number(v, kShortestNumber); }

std::string with(std::string_view name, std::initializer_list<std::pair<const char*, double>> kv) {
  std::string out(name);
  out += '(';
  bool first = true;
  for (const auto& [key, value] : kv) {
    if (!first) out += ',';
    first = false;
    out += key;
    out += '=';
    out += number(value);
  }
  out += ')';
  return out;
}

// The key=value list of one spec, checked against the keys the transform takes.
class Arguments {
 public:
  Arguments(std::string_view spec, std::string_view list) : spec_(spec) {
    list = trim(list);
    if (list.empty()) return;
    std::size_t start = 0;
    while (start <= list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string_view::npos) comma = list.size();
      const std::string_view item = trim(list.substr(start, comma - start));
      const auto eq = item.find('=');
      if (eq == std::string_view::npos) fail("expected key=value, got '" + std::string(item) + "'");
      const std::string key(trim(item.substr(0, eq)));
      const std::string_view text = trim(item.substr(eq + 1));
      double value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        fail("'" + key + "' is not a number: '" + std::string(text) + "'");
      for (const auto& seen : items_)
        if (lower(seen.first) == lower(key)) fail("'" + key + "' is given twice");
      items_.emplace_back(key, value);
      start = comma + 1;
    }
  }

  // The value of `key` (matched case-insensitively); every key must be used exactly once.
  double take(std::string_view key) {
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (lower(it->first) == lower(key)) {
        const double v = it->second;
        items_.erase(it);
        return v;
      }
    }
    fail("missing parameter '" + std::string(key) + "'");
  }
  void done() const {
    if (!items_.empty()) fail("unknown parameter '" + items_.front().first + "'");
  }
  [[noreturn]] void fail(const std::string& what) const {
    ErrorContext context;
    context.where = std::string(spec_);
    throw Error("bad transform: " + what, std::move(context));
  }

 private:
  std::string_view spec_;
  std::vector<std::pair<std::string, double>> items_;
};

}  // namespace

std::string_view name_of(const Transform::Params& params) {
  return std::visit(Overloaded{
                        [](const Identity&) { return "linear"; },
                        [](const Flin&) { return "flin"; },
                        [](const Flog&) { return "flog"; },
                        [](const Fasinh&) { return "fasinh"; },
                        [](const Logicle&) { return "logicle"; },
                        [](const Hyperlog&) { return "hyperlog"; },
                        [](const Log10&) { return "log10"; },
                        [](const ArcsinhCofactor&) { return "asinh"; },
                        [](const FlowJoBiex&) { return "biex"; },
                    },
                    params);
}

std::string describe(const Transform::Params& params) {
  const std::string_view n = name_of(params);
  return std::visit(
      Overloaded{
          [&](const Identity&) { return std::string(n); },
          [&](const Flin& t) { return with(n, {{"T", t.T}, {"A", t.A}}); },
          [&](const Flog& t) { return with(n, {{"T", t.T}, {"M", t.M}}); },
          [&](const Fasinh& t) { return with(n, {{"T", t.T}, {"M", t.M}, {"A", t.A}}); },
          [&](const Logicle& t) {
            return with(n, {{"T", t.T}, {"W", t.W}, {"M", t.M}, {"A", t.A}});
          },
          [&](const Hyperlog& t) {
            return with(n, {{"T", t.T}, {"W", t.W}, {"M", t.M}, {"A", t.A}});
          },
          [&](const Log10& t) { return with(n, {{"floor", t.floor}}); },
          [&](const ArcsinhCofactor& t) { return with(n, {{"cofactor", t.cofactor}}); },
          [&](const FlowJoBiex& t) {
            return with(n, {{"maxRange", t.max_value},
                            {"width", t.width},
                            {"pos", t.positive_decades},
                            {"neg", t.negative_decades}});
          },
      },
      params);
}

Transform::Params parse_params(std::string_view spec) {
  const std::string_view text = trim(spec);
  std::string_view name = text;
  std::string_view list;
  if (const auto open = text.find('('); open != std::string_view::npos) {
    if (text.back() != ')') Arguments(spec, {}).fail("missing ')' at the end");
    name = trim(text.substr(0, open));
    list = text.substr(open + 1, text.size() - open - 2);
  }
  Arguments args(spec, list);
  const std::string key = lower(name);
  Transform::Params p;
  if (key == "linear" || key == "identity" || key == "lin") {
    p = Identity{};
  } else if (key == "flin") {
    p = Flin{args.take("T"), args.take("A")};
  } else if (key == "flog") {
    p = Flog{args.take("T"), args.take("M")};
  } else if (key == "fasinh") {
    p = Fasinh{args.take("T"), args.take("M"), args.take("A")};
  } else if (key == "logicle") {
    p = Logicle{args.take("T"), args.take("W"), args.take("M"), args.take("A")};
  } else if (key == "hyperlog") {
    p = Hyperlog{args.take("T"), args.take("W"), args.take("M"), args.take("A")};
  } else if (key == "log10" || key == "log") {
    p = Log10{args.take("floor")};
  } else if (key == "asinh" || key == "arcsinh") {
    p = ArcsinhCofactor{args.take("cofactor")};
  } else if (key == "biex") {
    const double max_value = args.take("maxRange");
    const double width = args.take("width");
    const double pos = args.take("pos");
    p = FlowJoBiex{max_value, width, pos, args.take("neg")};
  } else {
    args.fail("unknown transform '" + std::string(name) +
              "' (known: linear, flin, flog, fasinh, logicle, hyperlog, log10, asinh, biex)");
  }
  args.done();
  return p;
}

}  // namespace cytopipe::transform::detail
