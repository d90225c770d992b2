// cytopipe info FILE... [--json] [--keywords]: what an FCS file holds, without decoding events.
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.hpp"
#include "cli/export_read_options.hpp"
#include "cytopipe/base/number_text.hpp"
#include "cytopipe/fcs/reader.hpp"

namespace cytopipe::cli {
namespace {

std::string number(double v) { return format_number(v, kEventNumber); }

constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

// Writes `items` (each rendered by `one` as a json value) as the text nlohmann's dump(2) gives for
// an array nested as a member of an element of the top-level array (elements at 6 spaces), one
// element at a time: a file with 100,000 channels never holds all their json trees, nor their
// text, at once.
template <class Items, class One>
void write_nested_array(std::ostream& out, const Items& items, const One& one) {
  if (items.empty()) {
    out << "[]";
    return;
  }
  out << "[\n";
  bool first = true;
  std::string line;
  for (const auto& item : items) {
    if (!first) out << ",\n";
    first = false;
    const std::string text = one(item).dump(2, ' ', false, kReplace);
    line.assign("      ");
    for (const char c : text) {
      line += c;
      if (c == '\n') line += "      ";
    }
    out << line;
  }
  out << "\n    ]";
}

// Big arrays (channels, keywords) are written straight from the sample in place of a placeholder
// string when the file's object is printed.
struct Rendered {
  std::string placeholder;  // as dumped: a quoted string
  std::function<void(std::ostream&)> write;
};

nlohmann::json to_json(const fcs::Sample& s, bool keywords, std::vector<Rendered>& rendered) {
  using nlohmann::json;
  json out;
  out["file"] = s.source;
  out["version"] = s.version;
  out["text_encoding"] = s.text_encoding;
  out["datatype"] = std::string(1, static_cast<char>(s.datatype));
  out["dataset"] = s.dataset_index + 1;
  json datasets = json::array();
  for (const auto& d : s.datasets)
    datasets.push_back({{"index", d.index + 1}, {"offset", d.offset}, {"version", d.version}, {"tot", d.tot}});
  out["datasets"] = datasets;
  out["events"] = s.event_total;
  auto placeholder = [&](const char* what, std::function<void(std::ostream&)> write) {
    const std::string id = std::string("\x01") + what + std::to_string(rendered.size()) + "\x01";
    rendered.push_back({json(id).dump(), std::move(write)});
    return id;
  };
  out["channels"] = placeholder("channels", [&s](std::ostream& o) { write_nested_array(o, s.channels, [](const fcs::Channel& c) {
    return json{{"index", c.index},
                {"name", c.name},
                {"marker", c.marker},
                {"bits", c.bits},
                {"range", c.range},
                {"log", {c.log_decades, c.log_offset}},
                {"gain", c.gain ? json(*c.gain) : json(nullptr)},
                {"voltage", c.voltage ? json(*c.voltage) : json(nullptr)},
                {"linearised", c.linearised}};
  }); });
  if (s.spillover) {
    const auto& sp = *s.spillover;
    json matrix = json::array();
    for (std::size_t r = 0; r < sp.rows(); ++r) {
      json row = json::array();
      for (std::size_t c = 0; c < sp.cols(); ++c) row.push_back(sp.at(r, c));
      matrix.push_back(row);
    }
    out["spillover"] = {{"keyword", sp.keyword}, {"detectors", sp.detectors}, {"matrix", matrix}};
  } else {
    out["spillover"] = nullptr;
  }
  if (!s.spillover_error.empty()) out["spillover_error"] = s.spillover_error;
  out["notices"] = s.notices;
  if (keywords) {
    out["keywords"] = placeholder("keywords", [&s](std::ostream& o) {
      write_nested_array(o, s.keywords.entries(),
                         [](const fcs::Keywords::Entry& e) { return json::array({e.name, e.value}); });
    });
  }
  return out;
}

void print_text(const fcs::Sample& s, bool keywords, std::ostream& out) {
  out << s.source << '\n';
  out << "  version     " << s.version << "   $DATATYPE " << static_cast<char>(s.datatype) << "   TEXT "
      << s.text_encoding << '\n';
  out << "  data sets   " << s.datasets.size() << " (showing " << s.dataset_index + 1 << ")\n";
  out << "  events      " << s.event_total << '\n';
  out << "  spillover   ";
  if (s.spillover)
    out << s.spillover->keyword << ", " << s.spillover->rows() << "x" << s.spillover->cols() << '\n';
  else if (!s.spillover_error.empty())
    out << "malformed (" << s.spillover_error << ")\n";
  else
    out << "none\n";
  std::size_t name_width = 4, marker_width = 6;
  for (const auto& c : s.channels) {
    name_width = std::max(name_width, c.name.size());
    marker_width = std::max(marker_width, c.marker.size());
  }
  auto pad = [](const std::string& text, std::size_t width) {
    return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
  };
  out << "  channels    " << s.channels.size() << '\n';
  out << "    " << pad("#", 4) << pad("name", name_width + 2) << pad("marker", marker_width + 2)
      << pad("bits", 6) << pad("range", 14) << pad("log", 12) << "gain\n";
  for (const auto& c : s.channels) {
    std::string log = c.log_decades > 0 ? number(c.log_decades) + "," + number(c.log_offset) : "linear";
    out << "    " << pad(std::to_string(c.index), 4) << pad(c.name, name_width + 2)
        << pad(c.marker.empty() ? "-" : c.marker, marker_width + 2) << pad(std::to_string(c.bits), 6)
        << pad(number(c.range), 14) << pad(log, 12) << (c.gain ? number(*c.gain) : "-") << '\n';
  }
  if (keywords) {
    out << "  keywords    " << s.keywords.size() << '\n';
    for (const auto& e : s.keywords.entries()) out << "    " << e.name << " = " << e.value << '\n';
  }
}

// One element of the top-level array: the object as dump(2) prints it one level in (two more
// spaces after each line break; strings hold no raw line breaks), each placeholder replaced by
// its array. Keywords are UTF-8 by now; a file name or a notice quoting raw bytes may not be:
// shown with U+FFFD rather than failing the whole listing.
void print_json(const nlohmann::json& object, const std::vector<Rendered>& rendered, bool first, std::ostream& out) {
  out << (first ? "[\n  " : ",\n  ");
  std::string text;
  for (const char c : object.dump(2, ' ', false, kReplace)) {
    text += c;
    if (c == '\n') text += "  ";
  }
  // The placeholders appear in order, each once.
  std::size_t from = 0;
  for (const auto& r : rendered) {
    const std::size_t at = text.find(r.placeholder, from);
    out.write(text.data() + from, static_cast<std::streamsize>(at - from));
    r.write(out);
    from = at + r.placeholder.size();
  }
  out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

const RegisterCommand info_command{{
    "info",
    "Show an FCS file's version, data sets, events, channels and spillover",
    [](CLI::App& app) {
      struct Args {
        std::vector<std::string> files;
        bool json = false;
        bool keywords = false;
        FcsReadFlags read;
      };
      auto args = std::make_shared<Args>();
      app.add_option("files", args->files, "FCS files")->required();
      app.add_flag("--json", args->json, "Print JSON (an array, one object per file)");
      app.add_flag("--keywords", args->keywords, "Also list every TEXT keyword");
      args->read.add_to(app);
      return std::function<int()>([args] {
        auto options = args->read.options();
        options.read_events = false;  // metadata only; offsets and $TOT are still checked
        // Each file's object is printed once it is read (as an element of the top-level array
        // that nlohmann's dump(2) would print), its big arrays written from the sample.
        bool first = true;
        int status = 0;
        for (const auto& file : args->files) {
          try {
            auto sample = fcs::read_fcs(file, options);
            print_notices(sample);
            if (args->json) {
              std::vector<Rendered> rendered;
              print_json(to_json(sample, args->keywords, rendered), rendered, first, std::cout);
              first = false;
            } else {
              print_text(sample, args->keywords, std::cout);
            }
          } catch (const Error& e) {
            if (args->files.size() == 1) throw;
            std::cerr << "cytopipe: error: " << e.what() << '\n';
            status = 1;  // report the others anyway
          }
        }
        if (args->json) std::cout << (first ? "[]" : "\n]") << '\n';
        return status;
      });
    },
}};

}  // namespace
}  // namespace cytopipe::cli
