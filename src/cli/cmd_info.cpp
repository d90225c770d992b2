// cytopipe info FILE... [--json] [--keywords]: what an FCS file holds, without decoding events.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.hpp"
#include "cli/export_read_options.hpp"
#include "cytopipe/fcs/reader.hpp"

namespace cytopipe::cli {
namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", v);
  return buffer;
}

nlohmann::json to_json(const fcs::Sample& s, bool keywords) {
  using nlohmann::json;
  json out;
  out["file"] = s.source;
  out["version"] = s.version;
  out["datatype"] = std::string(1, static_cast<char>(s.datatype));
  out["dataset"] = s.dataset_index + 1;
  json datasets = json::array();
  for (const auto& d : s.datasets)
    datasets.push_back({{"index", d.index + 1}, {"offset", d.offset}, {"version", d.version}, {"tot", d.tot}});
  out["datasets"] = datasets;
  out["events"] = s.event_total;
  json channels = json::array();
  for (const auto& c : s.channels) {
    json ch{{"index", c.index},
            {"name", c.name},
            {"marker", c.marker},
            {"bits", c.bits},
            {"range", c.range},
            {"log", {c.log_decades, c.log_offset}},
            {"gain", c.gain ? json(*c.gain) : json(nullptr)},
            {"voltage", c.voltage ? json(*c.voltage) : json(nullptr)},
            {"linearised", c.linearised}};
    channels.push_back(ch);
  }
  out["channels"] = channels;
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
    json list = json::array();
    for (const auto& e : s.keywords.entries()) list.push_back({e.name, e.value});
    out["keywords"] = list;
  }
  return out;
}

void print_text(const fcs::Sample& s, bool keywords, std::ostream& out) {
  out << s.source << '\n';
  out << "  version     " << s.version << "   $DATATYPE " << static_cast<char>(s.datatype) << '\n';
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
        nlohmann::json all = nlohmann::json::array();
        int status = 0;
        for (const auto& file : args->files) {
          try {
            auto sample = fcs::read_fcs(file, options);
            print_notices(sample);
            if (args->json)
              all.push_back(to_json(sample, args->keywords));
            else
              print_text(sample, args->keywords, std::cout);
          } catch (const Error& e) {
            if (args->files.size() == 1) throw;
            std::cerr << "cytopipe: error: " << e.what() << '\n';
            status = 1;  // report the others anyway
          }
        }
        if (args->json) std::cout << all.dump(2) << '\n';
        return status;
      });
    },
}};

}  // namespace
}  // namespace cytopipe::cli
