// cytopipe init: what a folder's headers say, and a first sheet, pipeline and strategy from it.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <functional>
#include <sstream>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/base/number_text.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/pipeline/init.hpp"

namespace cytopipe::pipeline {
namespace {

namespace fs = std::filesystem;

struct ScannedFile {
  fs::path path;
  std::string name;
  fcs::Sample meta;  // HEADER + TEXT only
};

bool is_fcs_name(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".fcs" || ext == ".lmd";
}

std::string some(const std::vector<std::string>& names, std::size_t most = 3) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > most) out += ", ... (" + std::to_string(names.size()) + " files)";
  return out;
}

std::string shortest(double v) {
  std::ostringstream s;
  s.precision(12);
  s << v;
  return s.str();
}

bool is_scatter_or_time(const std::string& name) {
  std::string u = name;
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
  return u.rfind("FSC", 0) == 0 || u.rfind("SSC", 0) == 0 || u == "TIME" || u.rfind("FS ", 0) == 0 ||
         u.rfind("SS ", 0) == 0 || u == "EVENT" || u == "EVENT_LENGTH";
}

// A marker name usable in read-out expressions: letters, digits, - + . (others become _).
std::string marker_name(std::string m) {
  for (auto& c : m)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '+' && c != '.') c = '_';
  return m;
}

bool same_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_viability(const std::string& m) {
  std::string l = m;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* w : {"viab", "live", "dead", "7-aad", "7aad", "dapi", "zombie", "fvs", "l_d", "ld", "pi"})
    if (l == w || (std::string(w).size() > 3 && l.find(w) != std::string::npos)) return true;
  return false;
}

// Keywords that vary per file by nature (times, counts, offsets, the file's own name): never a factor.
bool is_bookkeeping(const std::string& k) {
  std::string u = k;
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
  if (u.size() > 2 && u[0] == '$' && u[1] == 'P' && std::isdigit(static_cast<unsigned char>(u[2]))) return true;
  if (u.size() > 1 && u[0] == 'P' && std::isdigit(static_cast<unsigned char>(u[1]))) return true;
  for (const char* w : {"$BTIM", "$ETIM", "$DATE", "$FIL", "$TOT", "$BEGINDATA", "$ENDDATA", "$BEGINSTEXT",
                        "$ENDSTEXT", "$BEGINANALYSIS", "$ENDANALYSIS", "$NEXTDATA", "$VOL", "$WELLID", "$LAST_MODIFIED",
                        "$SPILLOVER", "SPILL", "$SPILL", "SPILLOVER", "$TIMESTEP", "GUID", "$ORIGINALITY", "CREATOR",
                        "EXPORT TIME", "FILENAME", "$ABRT", "$LOST", "$CSMODE"})
    if (u == w) return true;
  return u.find("DATE") != std::string::npos || u.find("TIME") != std::string::npos;
}

std::string column_name(const std::string& keyword) {
  std::string out;
  for (const char c : keyword) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '_') out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "keyword" : out;
}

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

}  // namespace

InitResult infer_experiment(const fs::path& folder, const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw Error("not a folder", {folder.string(), "", 0, 0});
  std::vector<fs::path> paths;
  try {
    for (const auto& e : fs::recursive_directory_iterator(folder))
      if (e.is_regular_file() && is_fcs_name(e.path())) paths.push_back(e.path());
  } catch (const fs::filesystem_error& e) {
    throw Error("cannot list the folder: " + e.code().message(), {folder.string(), "", 0, 0});
  }
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) throw Error("no FCS file (*.fcs, *.lmd) in the folder", {folder.string(), "", 0, 0});

  InitResult result;
  std::vector<ScannedFile> files;
  std::set<fs::path> folders;
  // One broken export must not stop init on the rest of the folder (as a run goes on past it):
  // it is listed for the user, left out of the sheet, and only a folder of none readable fails.
  std::vector<std::string> unreadable;
  for (const auto& p : paths) {
    fcs::ReadOptions options;
    options.read_events = false;
    try {
      ScannedFile f{p, p.filename().string(), fcs::read_fcs(p, options)};
      folders.insert(p.parent_path());
      files.push_back(std::move(f));
    } catch (const Error& e) {
      unreadable.push_back(e.what());
    }
  }
  if (files.empty())
    throw Error("no readable FCS file in the folder; the first problem: " + unreadable.front(), {folder.string(), "", 0, 0});
  for (const auto& why : unreadable)
    result.to_decide.push_back("unreadable, left out of samples.csv (fix or move it before validate): " + why);
  result.files = files.size();
  const std::size_t n = files.size();
  auto& found = result.found;
  auto& decide = result.to_decide;

  // Instrument and format.
  std::map<std::string, std::vector<std::string>> by_cyt, by_version;
  for (const auto& f : files) {
    by_cyt[std::string(f.meta.keywords.find("$CYT").value_or("(no $CYT)"))].push_back(f.name);
    by_version[f.meta.version].push_back(f.name);
  }
  for (const auto& [cyt, names] : by_cyt) found.push_back("instrument ($CYT): " + cyt + " in " + std::to_string(names.size()) + " files");
  for (const auto& [v, names] : by_version) found.push_back("format: " + v + " in " + std::to_string(names.size()) + " files");
  if (by_cyt.size() > 1)
    decide.push_back("files come from " + std::to_string(by_cyt.size()) +
                     " instruments: check that their channels carry the same markers (panel.instruments overrides)");

  // Channels: the most common list, and the files that differ.
  std::map<std::vector<std::string>, std::vector<std::string>> by_channels;
  for (const auto& f : files) {
    std::vector<std::string> names;
    for (const auto& c : f.meta.channels) names.push_back(c.name);
    by_channels[names].push_back(f.name);
  }
  const auto common = std::max_element(by_channels.begin(), by_channels.end(),
                                       [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  const std::vector<std::string> channels = common->first;
  {
    std::string list;
    for (const auto& c : channels) list += (list.empty() ? "" : ", ") + c;
    found.push_back("channels ($PnN) in " + std::to_string(common->second.size()) + " of " + std::to_string(n) +
                    " files: " + list);
    for (const auto& [names, in] : by_channels) {
      if (&names == &common->first) continue;
      std::string other;
      for (const auto& c : names) other += (other.empty() ? "" : ", ") + c;
      decide.push_back("other channels in " + some(in) + ": " + other +
                       " (a second instrument or panel: panel.instruments, or analyse them apart)");
    }
  }

  // Markers: per channel the most common $PnS, and the files where it differs.
  struct MarkerOf {
    std::string channel, marker;
  };
  std::vector<MarkerOf> panel;
  double range = 0, decades = 0;
  for (const auto& channel : channels) {
    std::map<std::string, std::vector<std::string>> values;
    for (const auto& f : files)
      if (const auto i = f.meta.find_channel(channel)) {
        const auto& c = f.meta.channels[*i];
        values[c.marker].push_back(f.name);
        if (!is_scatter_or_time(channel)) {
          range = std::max(range, c.range);
          decades = std::max(decades, c.log_decades);
        }
      }
    const auto top = std::max_element(values.begin(), values.end(),
                                      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
    if (top->first.empty() || top->first == channel || is_scatter_or_time(channel)) continue;
    const std::string marker = marker_name(top->first);
    // A marker name is a panel key: a second channel with the same $PnS (a placeholder, or two
    // instruments' panels in one folder) is listed for the user, not written as a duplicate key.
    if (const auto same = std::find_if(panel.begin(), panel.end(), [&](const MarkerOf& m) { return m.marker == marker; });
        same != panel.end()) {
      decide.push_back("marker '" + top->first + "' names both " + same->channel + " and " + channel +
                       ": only the first is in panel.markers; name the other's marker by hand");
      continue;
    }
    panel.push_back({channel, marker});
    std::string line = "marker ($PnS) of " + channel + ": '" + top->first + "'";
    for (const auto& [m, in] : values)
      if (m != top->first) line += "; '" + m + "' in " + some(in);
    found.push_back(line);
  }
  if (panel.empty()) decide.push_back("no $PnS marker names: write panel.markers (marker: channel) by hand");

  // The scale: $PnR (or the log amplifier's decades) sets logicle's T.
  const double T = decades > 0 ? std::pow(10.0, decades) : (range > 0 ? range : 262144);
  found.push_back(decades > 0 ? "fluorescence on " + shortest(decades) + "-decade log amplifiers: logicle T = " + shortest(T)
                              : "fluorescence range ($PnR): " + shortest(range) + " -> logicle T = " + shortest(T));

  // Compensation and volume.
  std::vector<std::string> with_spill, without_spill, with_vol;
  std::set<std::string> spill_keywords;
  for (const auto& f : files) {
    if (f.meta.spillover) {
      with_spill.push_back(f.name);
      spill_keywords.insert(f.meta.spillover->keyword);
    } else {
      without_spill.push_back(f.name);
    }
    if (f.meta.keywords.find("$VOL")) with_vol.push_back(f.name);
  }
  std::string kw;
  for (const auto& k : spill_keywords) kw += (kw.empty() ? "" : ", ") + k;
  found.push_back("spillover matrix (" + (kw.empty() ? std::string("$SPILLOVER/$SPILL/SPILLOVER") : kw) + ") in " +
                  std::to_string(with_spill.size()) + " of " + std::to_string(n) + " files");
  const bool compensate = without_spill.empty();
  if (!compensate && !with_spill.empty())
    decide.push_back("no spillover matrix in " + some(without_spill) +
                     ": compensation is set to none; give a matrix ({matrix: comp.csv}) to compensate");
  if (with_spill.empty()) decide.push_back("no spillover matrix in any file: compensation: none, or {matrix: comp.csv}");
  found.push_back("$VOL (acquired volume) in " + std::to_string(with_vol.size()) + " of " + std::to_string(n) + " files");

  // Keywords that vary between files: candidate factors (few levels) and the sample identity.
  std::vector<std::string> keyword_names;
  for (const auto& e : files.front().meta.keywords.entries()) keyword_names.push_back(e.name);
  std::vector<std::pair<std::string, std::string>> keyword_factors;  // column, keyword
  std::vector<std::string> identity_candidates;                      // keywords present in every file, varying
  for (const auto& k : keyword_names) {
    if (is_bookkeeping(k)) continue;
    std::set<std::string> levels;
    bool everywhere = true;
    for (const auto& f : files) {
      const auto v = f.meta.keywords.find(k);
      if (!v) everywhere = false;
      levels.insert(std::string(v.value_or("")));
    }
    if (levels.size() < 2 || !everywhere) continue;
    found.push_back("keyword '" + k + "' varies: " + std::to_string(levels.size()) + " values");
    if (levels.size() * 2 <= n) keyword_factors.emplace_back(column_name(k), k);
    else identity_candidates.push_back(k);
  }

  // The sample identity: the file name, or the varying keyword whose values parse best.
  auto stem = [](const ScannedFile& f) { return f.path.stem().string(); };
  auto score = [&](const std::function<std::string(const ScannedFile&)>& text) {
    std::size_t s = 0;
    for (const auto& f : files) {
      const auto p = parse_sample_name(text(f));
      s += (p.dose_nM ? 2 : 0) + (p.replicate.empty() ? 0 : 1) + (p.role.empty() ? 0 : 1);
    }
    return s;
  };
  std::string identity = "file name";
  std::function<std::string(const ScannedFile&)> identity_of = stem;
  std::size_t best = score(stem);
  for (const auto& k : identity_candidates) {
    auto of = [k](const ScannedFile& f) { return std::string(f.meta.keywords.find(k).value_or("")); };
    if (const auto s = score(of); s > best) {
      best = s;
      identity = "keyword " + k;
      identity_of = of;
    }
  }
  found.push_back("sample identity read from the " + identity);

  // Factors per file; words recurring in several files (not all) are cell lines.
  std::vector<NameFactors> parsed;
  std::map<std::string, std::size_t> word_files;
  for (const auto& f : files) {
    parsed.push_back(parse_sample_name(identity_of(f)));
    std::set<std::string> seen(parsed.back().words.begin(), parsed.back().words.end());
    for (const auto& w : seen) ++word_files[w];
  }
  std::vector<std::string> cell_line(n), unparsed(n);
  // A cell line is written like one (MM1S, U266, HeLa: a capital or a digit); a lower-case word
  // recurring over the folder (bcma_, tcell_) is more likely an assay's prefix: listed, not used.
  const auto named_like_a_line = [](const std::string& w) {
    return std::any_of(w.begin(), w.end(), [](unsigned char c) { return std::isupper(c) || std::isdigit(c); });
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (const bool strict : {true, false}) {
      if (!cell_line[i].empty()) break;
      for (const auto& w : parsed[i].words)
        if (word_files[w] >= 2 && word_files[w] < n && (!strict || named_like_a_line(w))) {
          cell_line[i] = w;
          break;
        }
    }
    for (const auto& w : parsed[i].words)
      if (w != cell_line[i] && word_files[w] < n) unparsed[i] += (unparsed[i].empty() ? "" : " ") + w;
  }
  bool any_dose = false, any_rep = false, any_line = false, any_effector = false;
  std::set<std::string> roles, effectors, lines;
  for (std::size_t i = 0; i < n; ++i) {
    any_dose |= parsed[i].dose_nM.has_value();
    any_rep |= !parsed[i].replicate.empty();
    any_line |= !cell_line[i].empty();
    if (!parsed[i].effector.empty()) effectors.insert(parsed[i].effector);
    if (!cell_line[i].empty()) lines.insert(cell_line[i]);
    if (parsed[i].role.empty()) parsed[i].role = "sample";
    roles.insert(parsed[i].role);
  }
  any_effector = !effectors.empty();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name = files[i].name + " ('" + identity_of(files[i]) + "')";
    if (!unparsed[i].empty()) decide.push_back(name + ": not understood: '" + unparsed[i] + "' (left out of the sheet)");
    if (any_dose && !parsed[i].dose_nM) decide.push_back(name + ": no dose found (dose_nM left empty)");
    if (any_rep && parsed[i].replicate.empty() && parsed[i].role == "sample")
      decide.push_back(name + ": no replicate found (replicate left empty)");
    if (any_line && cell_line[i].empty()) decide.push_back(name + ": no cell line found (cell_line left empty)");
  }

  // samples.csv
  std::vector<std::string> header = {"file"};
  for (const auto& [column, k] : keyword_factors) header.push_back(column);
  if (any_line) header.push_back("cell_line");
  if (any_effector) header.push_back("effector");
  if (any_dose) header.push_back("dose_nM");
  if (any_rep) header.push_back("replicate");
  header.push_back("role");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> row = {files[i].name};
    for (const auto& [column, k] : keyword_factors) row.emplace_back(files[i].meta.keywords.find(k).value_or(""));
    if (any_line) row.push_back(cell_line[i]);
    if (any_effector) row.push_back(parsed[i].effector);
    if (any_dose) row.push_back(parsed[i].dose_nM ? shortest(*parsed[i].dose_nM) : "");
    if (any_rep) row.push_back(parsed[i].replicate);
    row.push_back(parsed[i].role);
    rows.push_back(std::move(row));
  }
  {
    std::string csv;
    for (std::size_t c = 0; c < header.size(); ++c) csv += (c ? "," : "") + csv::field(header[c]);
    csv += "\n";
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < row.size(); ++c) csv += (c ? "," : "") + csv::field(row[c]);
      csv += "\n";
    }
    result.samples_csv = std::move(csv);
  }

  // gating.yaml: a skeleton on this instrument's scale; every limit is a first guess to check.
  auto marker = [&](auto pred) -> std::string {
    for (const auto& m : panel)
      if (pred(m.marker)) return m.marker;
    return {};
  };
  const std::string viability = marker(is_viability);
  const std::string cd3 = marker([](const std::string& m) { return same_ci(m, "CD3"); });
  const std::string ctv = marker([](const std::string& m) { return same_ci(m, "CTV") || same_ci(m, "CFSE"); });
  const bool has_fsc_h = std::find(channels.begin(), channels.end(), "FSC-H") != channels.end();
  const std::string fsc = std::find(channels.begin(), channels.end(), "FSC-A") != channels.end() ? "FSC-A"
                          : std::find(channels.begin(), channels.end(), "FSC-H") != channels.end() ? "FSC-H"
                                                                                                  : std::string();
  const double scatter_range = [&] {
    for (const auto& c : files.front().meta.channels)
      if (c.name == fsc) return c.range;
    return 262144.0;
  }();
  auto at = [](double fraction, double full) { return shortest(std::round(fraction * full)); };
  std::ostringstream g;
  g << "# Written by cytopipe init: a skeleton on this instrument's scale. Every limit is a first\n"
       "# guess: draw them on your data (cytopipe plot density FILE --x FSC-A --y SSC-A --gates gating.yaml)\n"
       "# and edit. Format: gating/README.md.\n"
       "name: init\ngates:\n";
  std::string cells = "cells", parent_live;
  if (!fsc.empty()) {
    g << "  - id: cells            # CHECK: above the debris\n    type: range\n    dimension: " << fsc
      << "\n    min: " << at(0.1, scatter_range) << "\n";
  } else {
    g << "  - id: cells            # CHECK: no forward scatter channel found; every event\n    type: range\n"
         "    dimension: " << channels.front() << "\n";
    decide.push_back("no FSC-A/FSC-H channel: gating.yaml's 'cells' gate keeps every event; draw your own");
  }
  std::string parent = "cells";
  if (has_fsc_h && fsc == "FSC-A") {
    g << "  - id: singlets         # CHECK: FSC-H / FSC-A of single cells\n    parent: cells\n    type: range\n"
         "    dimension: {ratio: {numerator: FSC-H, denominator: FSC-A}}\n    min: 0.68\n";
    parent = "singlets";
  }
  const double fl_top = T;
  if (!viability.empty()) {
    g << "  - id: live             # CHECK: dead cells are bright in " << viability << "\n    parent: " << parent
      << "\n    type: range\n    dimension: " << viability << "\n    max: " << at(0.0114, fl_top) << "\n";
    g << "  - id: dead\n    parent: " << parent << "\n    type: range\n    dimension: " << viability
      << "\n    min: " << at(0.0114, fl_top) << "\n";
    parent_live = "live";
  } else {
    decide.push_back("no viability marker recognised: gating.yaml has no 'live' gate");
    parent_live = parent;
  }
  std::string tumour = parent_live;
  if (!cd3.empty()) {
    g << "  - id: tcells           # CHECK\n    parent: " << parent_live << "\n    type: range\n    dimension: " << cd3
      << "\n    min: " << at(0.0095, fl_top) << "\n";
    g << "  - id: tumour_live      # CHECK: live CD3- cells (the tumour cells of a co-culture)\n    parent: " << parent_live
      << "\n    type: range\n    dimension: " << cd3 << "\n    max: " << at(0.0095, fl_top) << "\n";
    tumour = "tumour_live";
  }
  const bool targets = !ctv.empty();
  if (targets) {
    g << "  - id: targets          # CHECK: dye-loaded target cells\n    parent: " << parent << "\n    type: range\n"
      << "    dimension: " << ctv << "\n    min: " << at(0.0305, fl_top) << "\n";
    if (!viability.empty()) {
      g << "  - id: targets_live\n    parent: targets\n    type: range\n    dimension: " << viability
        << "\n    max: " << at(0.0114, fl_top) << "\n";
      g << "  - id: targets_dead\n    parent: targets\n    type: range\n    dimension: " << viability
        << "\n    min: " << at(0.0114, fl_top) << "\n";
    }
  }
  result.gating_yaml = g.str();

  // pipeline.yaml
  const fs::path out_abs = fs::absolute(out_dir).lexically_normal();
  std::ostringstream p;
  p << "# Written by cytopipe init from " << n << " files in " << folder.string()
    << ". Lines marked CHECK are guesses;\n# the format is in docs/pipeline-config.md. Then: cytopipe validate pipeline.yaml\n";
  fs::path folder_abs = fs::absolute(folder).lexically_normal();
  if (folder_abs.filename().empty()) folder_abs = folder_abs.parent_path();  // "plate/"
  p << "name: " << column_name(folder_abs.filename().string()) << "\n\ninputs:\n  files:\n";
  for (const auto& dir : folders) {
    const auto rel = fs::relative(fs::absolute(dir).lexically_normal(), out_abs);
    p << "    - " << yaml_quote(rel.empty() ? dir.string() : rel.string()) << "\n";
  }
  p << "  sample_sheet: samples.csv   # one row per file; CHECK the factors init read from the " << identity << "\n";
  p << "  factors: [role]\n\n";
  p << "panel:                        # marker ($PnS) -> channel ($PnN)\n  markers:\n";
  for (const auto& m : panel) p << "    " << yaml_quote(m.marker) << ": " << yaml_quote(m.channel) << "\n";
  if (panel.empty()) p << "    {}\n";
  p << "\ncompensation: " << (compensate ? "file                # the spillover matrix of each file"
                                         : "none                # CHECK: not every file has a spillover matrix")
    << "\n\ntransforms:\n  default: logicle(T=" << shortest(T) << ",W=0.5,M=4.5,A=0)   # T from $PnR\n\n";
  p << "gating:\n  strategy: gating.yaml        # CHECK every limit in it\n";
  std::vector<std::string> match;
  if (any_line) match.push_back("cell_line");
  if (any_dose) match.push_back("dose_nM");
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s + "]";
  };
  // Positivity thresholds on the controls init found.
  std::vector<std::pair<std::string, std::string>> positive;  // gate, marker
  std::ostringstream thresholds;
  for (const auto& m : panel) {
    if (m.marker == viability || m.marker == cd3 || m.marker == ctv) continue;
    const bool isotype_differs = roles.count("isotype") && std::any_of(files.begin(), files.end(), [&](const ScannedFile& f) {
                                   const auto i = f.meta.find_channel(m.channel);
                                   return i && marker_name(f.meta.channels[*i].marker) != m.marker;
                                 });
    std::string control;
    if (isotype_differs) control = "{role: isotype}";
    else if (roles.count("NT") && m.marker.find("CAR") != std::string::npos) control = "{role: NT}";
    else if (roles.count("FMO")) continue;  // which FMO tube lacks which marker is not in the names
    if (control.empty()) continue;
    const std::string gate = m.marker + "+";
    const std::string par = control == "{role: NT}" && !cd3.empty() ? "tcells" : tumour;
    thresholds << "    - name: " << yaml_quote(gate) << "            # CHECK the percentile\n      parent: " << par
               << "\n      channel: " << yaml_quote(m.marker) << "\n      percentile: 98\n      control: " << control
               << "\n      match: " << list(control == "{role: NT}" && any_dose ? std::vector<std::string>{"dose_nM"} : match)
               << "\n";
    positive.emplace_back(gate, m.marker);
  }
  if (!positive.empty()) p << "  thresholds:                  # positivity at a percentile of matched controls\n" << thresholds.str();
  p << "\nreadouts:\n";
  std::vector<std::string> analysed;
  p << "  events: count(all)\n";
  if (parent == "singlets") p << "  singlet_pct: percent(singlets of cells)\n";
  if (!viability.empty()) {
    p << "  viability_pct: viability(live of " << parent << ")\n";
    analysed.push_back("viability_pct");
  }
  if (!cd3.empty()) p << "  cd3_pct: percent(tcells of live)\n";
  for (const auto& [gate, m] : positive) {
    const std::string id = column_name(m);
    p << "  " << id << "_pos_pct:\n    expression: percent(" << gate << " of "
      << (gate.find("CAR") != std::string::npos && !cd3.empty() ? "tcells" : tumour)
      << ")\n    where: {role: sample}   # not on the controls that place the threshold\n";
    analysed.push_back(id + "_pos_pct");
  }
  for (const auto& m : panel) {
    if (m.marker == viability || m.marker == ctv) continue;
    if (std::none_of(positive.begin(), positive.end(), [&](const auto& x) { return x.second == m.marker; })) continue;
    p << "  " << column_name(m.marker) << "_mean: mean(" << m.marker << ", " << tumour << ")\n";
    analysed.push_back(column_name(m.marker) + "_mean");
  }
  const bool lysis = targets && !viability.empty() && roles.count("target-only");
  // The tubes with target cells (effectors or target-only): a keyword factor with one level for
  // exactly those tubes (EXPERIMENT NAME of the co-culture) restricts the target read-outs to them.
  std::string target_tubes;
  if (lysis) {
    for (std::size_t k = 0; k < keyword_factors.size() && target_tubes.empty(); ++k) {
      std::set<std::string> in, out;
      for (std::size_t i = 0; i < n; ++i) {
        const std::string level(files[i].meta.keywords.find(keyword_factors[k].second).value_or(""));
        (!parsed[i].effector.empty() || parsed[i].role == "target-only" ? in : out).insert(level);
      }
      if (in.size() == 1 && !out.count(*in.begin()))
        target_tubes = "{" + keyword_factors[k].first + ": [" + yaml_quote(*in.begin()) + "]}";
    }
    if (target_tubes.empty())
      decide.push_back("no keyword tells the co-culture tubes apart: restrict target_viability_pct and "
                       "live_targets_per_uL with 'where:' to the tubes with target cells");
  }
  const std::string target_where = target_tubes.empty() ? "" : "\n    where: " + target_tubes;
  if (targets && !viability.empty())
    p << "  target_viability_pct:\n    expression: viability(targets_live of targets)" << target_where << "\n";
  if (lysis) {
    std::string where = any_effector ? "{effector: " + list(std::vector<std::string>(effectors.begin(), effectors.end())) + "}"
                                     : "{role: sample}";
    p << "  specific_lysis_pct:\n    expression: specific_lysis(percent(targets_dead of targets))\n    where: " << where
      << "\n    control: {role: target-only}\n    match: " << list(match) << "\n";
    if (with_vol.size() == n) {
      p << "  live_targets_per_uL:\n    expression: concentration(targets_live)   # events per uL, from $VOL" << target_where
        << "\n";
      p << "  killing_pct:\n    expression: killing(concentration(targets_live))\n    where: " << where
        << "\n    control: {role: target-only}\n    match: " << list(match) << "\n";
    }
  }
  if (any_dose && !analysed.empty()) {
    p << "\nanalysis:                     # dose-response per cell line, each dose vs the lowest\n";
    for (const auto& r : analysed) {
      p << "  - readout: " << r << "\n    where: {role: sample}\n    group: dose_nM\n";
      if (any_line) p << "    stratum: cell_line\n";
      p << "    tests: [anova, dunnett]\n";
    }
  }
  p << "\noutputs:\n  directory: results\n";
  result.pipeline_yaml = p.str();

  if (roles.size() > 1) {
    std::string r;
    for (const auto& x : roles) r += (r.empty() ? "" : ", ") + x;
    found.push_back("roles from the names: " + r);
  }
  if (any_effector) decide.push_back("effector cells named in the tubes: check 'where: {effector: ...}' of specific_lysis_pct");
  decide.push_back("gating.yaml: every limit is a first guess on this instrument's scale; draw it on your data");
  return result;
}

}  // namespace cytopipe::pipeline
