#include "pipeline/sheet_record.hpp"

#include <array>
#include <variant>

#include "pipeline/shard_record.hpp"

namespace cytopipe::pipeline::detail {
namespace {

template <class... F>
struct Visit : F... {
  using F::operator()...;
};
template <class... F>
Visit(F...) -> Visit<F...>;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Pixels as little-endian bytes in base64 (a third the size of JSON numbers).
std::string pixels_text(const std::vector<std::uint32_t>& pixels) {
  std::string bytes;
  bytes.reserve(pixels.size() * 4);
  for (const auto p : pixels)
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<char>((p >> (8 * b)) & 0xff));
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t v = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<std::uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kAlphabet[v & 63] : '=');
  }
  return out;
}

std::vector<std::uint32_t> pixels_of(const std::string& text, std::size_t count) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  std::string bytes;
  bytes.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const int v = value[static_cast<unsigned char>(c)];
    if (v < 0) throw Error("raster pixels: not base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bytes.size() != count * 4) throw Error("raster pixels: " + std::to_string(bytes.size() / 4) + " pixels, expected " + std::to_string(count));
  std::vector<std::uint32_t> pixels(count);
  for (std::size_t i = 0; i < count; ++i)
    for (int b = 0; b < 4; ++b) pixels[i] |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[4 * i + b])) << (8 * b);
  return pixels;
}

Json rgb_json(const plot::Rgb& c) { return Json::array({number_json(c.r), number_json(c.g), number_json(c.b)}); }
plot::Rgb rgb_of(const Json& j) { return {number_of(j.at(0)), number_of(j.at(1)), number_of(j.at(2))}; }
Json point_json(const plot::Point& p) { return Json::array({number_json(p.x), number_json(p.y)}); }
plot::Point point_of(const Json& j) { return {number_of(j.at(0)), number_of(j.at(1))}; }
Json stroke_json(const plot::Stroke& s) {
  Json dash = Json::array();
  for (const double d : s.dash) dash.push_back(number_json(d));
  return {{"colour", rgb_json(s.colour)}, {"width", number_json(s.width)}, {"dash", std::move(dash)}};
}
plot::Stroke stroke_of(const Json& j) {
  plot::Stroke s;
  s.colour = rgb_of(j.at("colour"));
  s.width = number_of(j.at("width"));
  for (const auto& d : j.at("dash")) s.dash.push_back(number_of(d));
  return s;
}

Json mark_json(const plot::Mark& mark) {
  return std::visit(
      Visit{
          [](const plot::Line& m) -> Json {
            return {{"mark", "line"}, {"from", point_json(m.from)}, {"to", point_json(m.to)}, {"stroke", stroke_json(m.stroke)},
                    {"role", m.role}};
          },
          [](const plot::Polyline& m) -> Json {
            Json points = Json::array();
            for (const auto& p : m.points) points.push_back(point_json(p));
            return {{"mark", "polyline"}, {"points", std::move(points)}, {"closed", m.closed}, {"stroke", stroke_json(m.stroke)},
                    {"filled", m.filled}, {"fill", rgb_json(m.fill)}, {"fill_opacity", number_json(m.fill_opacity)},
                    {"role", m.role}};
          },
          [](const plot::Rect& m) -> Json {
            return {{"mark", "rect"}, {"x", number_json(m.x)}, {"y", number_json(m.y)}, {"width", number_json(m.width)},
                    {"height", number_json(m.height)}, {"filled", m.filled}, {"fill", rgb_json(m.fill)},
                    {"fill_opacity", number_json(m.fill_opacity)}, {"stroke", stroke_json(m.stroke)}, {"role", m.role}};
          },
          [](const plot::Circle& m) -> Json {
            return {{"mark", "circle"}, {"centre", point_json(m.centre)}, {"radius", number_json(m.radius)},
                    {"fill", rgb_json(m.fill)}, {"stroke", stroke_json(m.stroke)}, {"role", m.role}};
          },
          [](const plot::Text& m) -> Json {
            return {{"mark", "text"}, {"at", point_json(m.at)}, {"text", m.text}, {"size", number_json(m.size)},
                    {"anchor", static_cast<int>(m.anchor)}, {"baseline", static_cast<int>(m.baseline)},
                    {"rotation", number_json(m.rotation)}, {"bold", m.bold}, {"colour", rgb_json(m.colour)},
                    {"role", m.role}};
          },
          [](const plot::Raster& m) -> Json {
            return {{"mark", "raster"}, {"x", number_json(m.x)}, {"y", number_json(m.y)}, {"width", number_json(m.width)},
                    {"height", number_json(m.height)}, {"columns", m.columns}, {"rows", m.rows},
                    {"pixels", pixels_text(m.pixels)}, {"role", m.role}};
          },
      },
      mark);
}

plot::Mark mark_of(const Json& j) {
  const auto kind = j.at("mark").get<std::string>();
  const auto role = j.at("role").get<std::string>();
  if (kind == "line") return plot::Line{point_of(j.at("from")), point_of(j.at("to")), stroke_of(j.at("stroke")), role};
  if (kind == "polyline") {
    plot::Polyline m;
    for (const auto& p : j.at("points")) m.points.push_back(point_of(p));
    m.closed = j.at("closed").get<bool>();
    m.stroke = stroke_of(j.at("stroke"));
    m.filled = j.at("filled").get<bool>();
    m.fill = rgb_of(j.at("fill"));
    m.fill_opacity = number_of(j.at("fill_opacity"));
    m.role = role;
    return m;
  }
  if (kind == "rect") {
    plot::Rect m;
    m.x = number_of(j.at("x"));
    m.y = number_of(j.at("y"));
    m.width = number_of(j.at("width"));
    m.height = number_of(j.at("height"));
    m.filled = j.at("filled").get<bool>();
    m.fill = rgb_of(j.at("fill"));
    m.fill_opacity = number_of(j.at("fill_opacity"));
    m.stroke = stroke_of(j.at("stroke"));
    m.role = role;
    return m;
  }
  if (kind == "circle") {
    plot::Circle m;
    m.centre = point_of(j.at("centre"));
    m.radius = number_of(j.at("radius"));
    m.fill = rgb_of(j.at("fill"));
    m.stroke = stroke_of(j.at("stroke"));
    m.role = role;
    return m;
  }
  if (kind == "text") {
    plot::Text m;
    m.at = point_of(j.at("at"));
    m.text = j.at("text").get<std::string>();
    m.size = number_of(j.at("size"));
    m.anchor = static_cast<plot::Anchor>(j.at("anchor").get<int>());
    m.baseline = static_cast<plot::Baseline>(j.at("baseline").get<int>());
    m.rotation = number_of(j.at("rotation"));
    m.bold = j.at("bold").get<bool>();
    m.colour = rgb_of(j.at("colour"));
    m.role = role;
    return m;
  }
  if (kind == "raster") {
    plot::Raster m;
    m.x = number_of(j.at("x"));
    m.y = number_of(j.at("y"));
    m.width = number_of(j.at("width"));
    m.height = number_of(j.at("height"));
    m.columns = j.at("columns").get<int>();
    m.rows = j.at("rows").get<int>();
    if (m.columns < 0 || m.rows < 0) throw Error("raster of negative size");
    m.pixels = pixels_of(j.at("pixels").get<std::string>(), static_cast<std::size_t>(m.columns) * static_cast<std::size_t>(m.rows));
    m.role = role;
    return m;
  }
  throw Error("unknown mark '" + kind + "'");
}

Json figure_json(const plot::Figure& f) {
  Json marks = Json::array();
  for (const auto& m : f.marks) marks.push_back(mark_json(m));
  return {{"width", number_json(f.width)}, {"height", number_json(f.height)}, {"background", rgb_json(f.background)},
          {"marks", std::move(marks)}};
}

plot::Figure figure_of(const Json& j) {
  plot::Figure f;
  f.width = number_of(j.at("width"));
  f.height = number_of(j.at("height"));
  f.background = rgb_of(j.at("background"));
  for (const auto& m : j.at("marks")) f.marks.push_back(mark_of(m));
  return f;
}

}  // namespace

Json sheet_json(const StoredSheet& sheet) {
  if (!sheet.layout) return {{"problem", sheet.problem}};
  const auto& grid = sheet.layout->grid;
  Json panels = Json::array();
  for (const auto& p : grid.panels) panels.push_back(figure_json(p));
  return {{"title", grid.title},         {"notes", grid.notes},          {"columns", grid.columns},
          {"gap", number_json(grid.gap)}, {"font_size", number_json(grid.font_size)}, {"panels", std::move(panels)}};
}

StoredSheet sheet_of(const Json& j) {
  StoredSheet sheet;
  if (j.contains("problem")) {
    sheet.problem = j.at("problem").get<std::string>();
    return sheet;
  }
  GatingSheetLayout layout;
  auto& grid = layout.grid;
  grid.title = j.at("title").get<std::string>();
  grid.notes = j.at("notes").get<std::vector<std::string>>();
  grid.columns = j.at("columns").get<int>();
  grid.gap = number_of(j.at("gap"));
  grid.font_size = number_of(j.at("font_size"));
  for (const auto& p : j.at("panels")) grid.panels.push_back(figure_of(p));
  sheet.layout = std::move(layout);
  return sheet;
}

}  // namespace cytopipe::pipeline::detail
