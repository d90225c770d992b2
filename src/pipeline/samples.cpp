#include "cytopipe/pipeline/samples.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/input_file.hpp"
#include "cytopipe/text_encoding.hpp"

namespace cytopipe::pipeline {
namespace {

// '*' and '?' wildcards over one path component.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool is_fcs_name(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".fcs" || ext == ".lmd";
}

// The regular files of `folder` that `keep` accepts. A folder that cannot be listed (no
// permission, gone while being read) is bad input: an Error naming it, not a filesystem_error.
template <class Keep>
void list_folder(const std::filesystem::path& folder, const Config& c, std::vector<std::filesystem::path>& out,
                 const Keep& keep) {
  try {
    for (const auto& f : std::filesystem::directory_iterator(folder))
      if (f.is_regular_file() && keep(f.path())) out.push_back(f.path());
  } catch (const std::filesystem::filesystem_error& e) {
    throw Error("cannot list the input folder " + folder.string() + ": " + e.code().message(),
                c.inputs.files_at.context("inputs.files"));
  }
}

std::vector<std::filesystem::path> list_files(const Config& c) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : c.inputs.files) {
    const auto p = c.resolve(entry);
    const auto last = p.filename().string();
    std::error_code ec;
    if (last.find_first_of("*?") != std::string::npos) {
      const auto folder = p.parent_path();
      if (!std::filesystem::is_directory(folder, ec))
        throw Error("no such folder: " + folder.string(), c.inputs.files_at.context("inputs.files"));
      list_folder(folder, c, out, [&](const std::filesystem::path& f) { return wildcard_match(last, f.filename().string()); });
    } else if (std::filesystem::is_directory(p, ec)) {
      list_folder(p, c, out, [](const std::filesystem::path& f) { return is_fcs_name(f); });
    } else if (std::filesystem::is_regular_file(p, ec)) {
      out.push_back(p);
    } else if (std::filesystem::exists(p, ec)) {  // a FIFO, device, socket: named, not opened
      require_regular_file(p, "FCS file");
    } else {
      throw Error("no such file or folder: " + p.string(), c.inputs.files_at.context("inputs.files"));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.filename().string() < b.filename().string() ||
           (a.filename() == b.filename() && a.string() < b.string());
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> split_line(const std::string& line, char sep, const std::string& source, int line_no) {
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch == '"' && cell.empty()) {
      quoted = true;
    } else if (ch == sep) {
      cells.push_back(std::move(cell));
      cell.clear();
    } else {
      cell += ch;
    }
  }
  if (quoted) throw Error("unterminated quoted field", {source, "", line_no, 0});
  cells.push_back(std::move(cell));
  for (auto& c : cells) {
    while (!c.empty() && (c.back() == ' ' || c.back() == '\r')) c.pop_back();
    while (!c.empty() && c.front() == ' ') c.erase(c.begin());
  }
  return cells;
}

}  // namespace

std::optional<std::string_view> SampleEntry::factor(std::string_view factor_name) const {
  for (const auto& [k, v] : factors)
    if (k == factor_name) return std::string_view(v);
  return std::nullopt;
}

bool SampleEntry::matches(const Selector& selector) const {
  for (const auto& [name, levels] : selector.conditions) {
    const auto value = factor(name);
    if (!value || std::find(levels.begin(), levels.end(), *value) == levels.end()) return false;
  }
  return true;
}

SampleSheet read_sample_sheet(const std::filesystem::path& file) {
  require_regular_file(file, "sample sheet");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open sample sheet", {file.string(), "", 0, 0});
  SampleSheet sheet;
  sheet.source = file.string();
  std::string line;
  int line_no = 0;
  char sep = ',';
  auto ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // Sheet values become labels in tables, plots and the report, which are UTF-8: a sheet saved
    // in Latin-1 (or another 8-bit encoding) is refused here, naming the place, rather than
    // failing later in a plot.
    if (const auto bad = first_invalid_utf8(line); bad != std::string_view::npos) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(line[bad]));
      throw Error(std::string("not valid UTF-8 (byte ") + byte + "); save the sample sheet as UTF-8",
                  {sheet.source, "", line_no, static_cast<int>(bad) + 1});
    }
    if (sheet.header.empty()) {
      if (ext == ".tsv" || ext == ".tab" || line.find('\t') != std::string::npos) sep = '\t';
      sheet.header = split_line(line, sep, sheet.source, line_no);
      std::set<std::string> seen;
      for (const auto& h : sheet.header)
        if (!seen.insert(h).second) throw Error("duplicate column '" + h + "'", {sheet.source, "", line_no, 0});
      continue;
    }
    auto cells = split_line(line, sep, sheet.source, line_no);
    if (cells.size() != sheet.header.size())
      throw Error("row has " + std::to_string(cells.size()) + " fields, the header has " +
                      std::to_string(sheet.header.size()),
                  {sheet.source, "", line_no, 0});
    sheet.rows.push_back(std::move(cells));
    sheet.lines.push_back(line_no);
  }
  if (sheet.header.empty()) throw Error("empty sample sheet", {sheet.source, "", 0, 0});
  return sheet;
}

SampleSet resolve_samples(const Config& c) {
  const auto& in = c.inputs;
  SampleSet set;
  const auto files = list_files(c);
  if (files.empty())
    throw Error("no FCS file matches", in.files_at.context("inputs.files"));

  // Sheet rows keyed by file name (the key column may hold a relative path: its file name counts).
  std::map<std::string, std::size_t> row_of;
  std::optional<SampleSheet> sheet;
  std::size_t key = 0;
  if (in.sample_sheet) {
    sheet = read_sample_sheet(c.resolve(*in.sample_sheet));
    auto it = std::find(sheet->header.begin(), sheet->header.end(), in.key_column);
    if (it == sheet->header.end())
      throw Error("sample sheet " + sheet->source + " has no key column '" + in.key_column + "'",
                  in.sample_sheet_at.context("inputs.key"));
    key = static_cast<std::size_t>(it - sheet->header.begin());
    for (std::size_t i = 0; i < sheet->header.size(); ++i)
      if (i != key) set.factor_names.push_back(sheet->header[i]);
    for (std::size_t r = 0; r < sheet->rows.size(); ++r) {
      const auto name = std::filesystem::path(sheet->rows[r][key]).filename().string();
      if (!row_of.emplace(name, r).second)
        throw Error("file '" + name + "' is listed twice", {sheet->source, in.key_column, sheet->lines[r], 0});
    }
  }
  for (const auto& k : in.keywords) set.factor_names.push_back(k.factor);
  for (const auto& f : in.filename)
    for (const auto& name : f.factors) set.factor_names.push_back(name);

  std::set<std::string> used_rows;
  for (const auto& path : files) {
    SampleEntry s;
    s.path = path;
    s.name = path.filename().string();
    if (sheet) {
      auto it = row_of.find(s.name);
      if (it == row_of.end()) {
        set.notices.push_back("skipped " + s.name + ": not in the sample sheet");
        continue;
      }
      used_rows.insert(s.name);
      const auto& row = sheet->rows[it->second];
      for (std::size_t i = 0; i < row.size(); ++i)
        if (i != key) s.factors.emplace_back(sheet->header[i], row[i]);
    }
    if (!in.keywords.empty()) {
      fcs::ReadOptions options;
      options.read_events = false;
      const auto meta = fcs::read_fcs(path, options);
      for (const auto& k : in.keywords) {
        auto v = meta.keywords.find(k.keyword);
        s.factors.emplace_back(k.factor, v ? std::string(*v) : std::string());
      }
    }
    for (const auto& f : in.filename) {
      const std::regex re(f.pattern);
      std::smatch m;
      const std::string name = s.name;
      if (!std::regex_search(name, m, re)) {
        set.notices.push_back("file name " + s.name + " does not match the pattern '" + f.pattern + "'");
        for (const auto& factor : f.factors) s.factors.emplace_back(factor, "");
      } else {
        for (std::size_t g = 0; g < f.factors.size(); ++g) s.factors.emplace_back(f.factors[g], m[g + 1].str());
      }
    }
    if (!s.matches(in.select)) continue;
    set.samples.push_back(std::move(s));
  }
  if (sheet)
    for (std::size_t r = 0; r < sheet->rows.size(); ++r) {
      const auto name = std::filesystem::path(sheet->rows[r][key]).filename().string();
      if (!used_rows.count(name))
        set.notices.push_back("sample sheet row " + std::to_string(sheet->lines[r]) + " (" + name +
                              "): no such FCS file among the inputs");
    }

  // Every selector and required factor must name a known factor (a typo would select nothing).
  auto check_factor = [&](const std::string& f, const Location& at, const std::string& where) {
    if (std::find(set.factor_names.begin(), set.factor_names.end(), f) == set.factor_names.end()) {
      std::string known;
      for (const auto& n : set.factor_names) known += (known.empty() ? "" : ", ") + n;
      throw Error("unknown factor '" + f + "' (the samples have: " + known + ")", at.context(where));
    }
  };
  for (const auto& [f, levels] : in.select.conditions) check_factor(f, in.select.at, "inputs.select");
  for (const auto& f : in.factors) check_factor(f, in.factors_at, "inputs.factors");
  for (const auto& g : c.gating.thresholds) {
    for (const auto& [f, levels] : g.control.conditions) check_factor(f, g.control.at, "gating.thresholds." + g.name);
    for (const auto& f : g.match) check_factor(f, g.at, "gating.thresholds." + g.name + ".match");
    for (const auto& [f, levels] : g.applies_to.conditions) check_factor(f, g.applies_to.at, "gating.thresholds." + g.name);
  }
  for (const auto& r : c.readouts) {
    for (const auto& [f, levels] : r.control.conditions) check_factor(f, r.control.at, "readouts." + r.name);
    for (const auto& f : r.match) check_factor(f, r.at, "readouts." + r.name + ".match");
    for (const auto& [f, levels] : r.applies_to.conditions) check_factor(f, r.applies_to.at, "readouts." + r.name);
  }
  for (const auto& a : c.analyses) {
    check_factor(a.group, a.at, "analysis." + a.readout + ".group");
    if (a.stratum) check_factor(*a.stratum, a.at, "analysis." + a.readout + ".stratum");
    for (const auto& [f, levels] : a.select.conditions) check_factor(f, a.select.at, "analysis." + a.readout);
  }

  for (const auto& s : set.samples)
    for (const auto& f : in.factors)
      if (auto v = s.factor(f); !v || v->empty())
        throw Error("sample " + s.name + " has no value for required factor '" + f + "'",
                    in.factors_at.context("inputs.factors"));

  if (set.samples.empty())
    throw Error("no sample left after matching files, sample sheet and 'select'", in.files_at.context("inputs"));
  return set;
}

}  // namespace cytopipe::pipeline
