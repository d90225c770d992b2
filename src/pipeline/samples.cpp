#include "cytopipe/pipeline/samples.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/base/yaml_reader.hpp"
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
  auto ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  csv::ReadOptions options;
  options.separator = ext == ".tsv" || ext == ".tab" ? '\t' : '\0';  // '\0': a tab in the header makes a TSV
  options.comment_lines = true;
  const std::string text = csv::read_text(file, "sample sheet");
  // Sheet values become labels in tables, plots and the report, which are UTF-8: a sheet saved
  // in Latin-1 (or another 8-bit encoding) is refused here, naming the place, rather than failing
  // later in a plot.
  if (const auto bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    const auto line_start = text.rfind('\n', bad);
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    const int column = static_cast<int>(bad - (line_start == std::string::npos ? 0 : line_start + 1)) + 1;
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
    throw Error(std::string("not valid UTF-8 (byte ") + byte + "); save the sample sheet as UTF-8",
                {file.string(), "", line, column});
  }
  csv::Document doc = csv::parse(text, file.string(), options);
  // Sheets are typed by hand: spaces around a cell are not part of it.
  const auto trim = [](std::string& c) {
    while (!c.empty() && c.back() == ' ') c.pop_back();
    while (!c.empty() && c.front() == ' ') c.erase(c.begin());
  };
  SampleSheet sheet;
  sheet.source = std::move(doc.source);
  sheet.header = std::move(doc.header);
  for (auto& h : sheet.header) trim(h);
  std::set<std::string> seen;
  for (const auto& h : sheet.header)
    if (!seen.insert(h).second) throw Error("duplicate column '" + h + "'", {sheet.source, "", doc.header_line, 0});
  for (auto& row : doc.rows)
    for (auto& c : row) trim(c);
  sheet.rows = std::move(doc.rows);
  sheet.lines = std::move(doc.row_lines);
  return sheet;
}

SampleSet resolve_samples(const Config& c) {
  std::vector<Error> errors;
  auto set = resolve_samples(c, errors);
  if (!errors.empty()) yaml::throw_all(errors);
  return set;
}

SampleSet resolve_samples(const Config& c, std::vector<Error>& errors) {
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

  // A row without its file or a file without its row: an error unless `unmatched: warn`; either
  // way every one is listed, with the closest name on the other side (a misspelled row).
  std::vector<std::string> row_names, file_names;
  for (const auto& [name, r] : row_of) row_names.push_back(name);
  for (const auto& path : files) file_names.push_back(path.filename().string());
  auto unmatched = [&](std::string message, ErrorContext at) {
    if (in.unmatched_warn) {
      set.warnings.push_back(Error::format(message, at));
    } else {
      message += " (set 'inputs.unmatched: warn' or pass --allow-unmatched to analyse without it)";
      errors.emplace_back(std::move(message), std::move(at));
    }
  };
  std::set<std::string> row_names_set(row_names.begin(), row_names.end());
  std::set<std::string> file_names_set(file_names.begin(), file_names.end());
  auto close_to = [](const std::string& name, const std::vector<std::string>& candidates,
                     const std::set<std::string>& taken) {
    std::vector<std::string> free;
    for (const auto& c : candidates)
      if (!taken.count(c)) free.push_back(c);
    const auto guess = yaml::closest_name(name, free);
    return guess.empty() ? std::string() : " (did you mean '" + guess + "'?)";
  };

  std::set<std::string> used_rows;
  for (const auto& path : files) {
    SampleEntry s;
    s.path = path;
    s.name = path.filename().string();
    if (sheet) {
      auto it = row_of.find(s.name);
      if (it == row_of.end()) {
        unmatched("file " + s.name + " has no row in the sample sheet " + sheet->source + " (column '" +
                      in.key_column + "')" + close_to(s.name, row_names, file_names_set),
                  {path.string(), "", 0, 0});
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
      if (row_names_set.count(name) && !file_names_set.count(name)) {
        // The key cell's column, counted over the cells before it (unquoted cells).
        int column = 1;
        for (std::size_t i = 0; i < key && i < sheet->rows[r].size(); ++i)
          column += static_cast<int>(sheet->rows[r][i].size()) + 1;
        unmatched("row '" + name + "' matches no FCS file among the inputs" +
                      close_to(name, file_names, row_names_set),
                  {sheet->source, in.key_column, sheet->lines[r], column});
      }
    }

  // Every selector and required factor must name a known factor (a typo would select nothing).
  auto check_factor = [&](const std::string& f, const Location& at, const std::string& where) {
    if (std::find(set.factor_names.begin(), set.factor_names.end(), f) == set.factor_names.end()) {
      std::string known;
      for (const auto& n : set.factor_names) known += (known.empty() ? "" : ", ") + n;
      std::string message = "unknown factor '" + f + "'";
      if (auto guess = yaml::closest_name(f, set.factor_names); !guess.empty())
        message += " (did you mean '" + guess + "'?)";
      errors.emplace_back(message + " (the samples have: " + known + ")", at.context(where));
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
      if (auto v = s.factor(f); v && v->empty())
        errors.emplace_back("sample " + s.name + " has no value for required factor '" + f + "'",
                            in.factors_at.context("inputs.factors"));

  if (set.samples.empty() && errors.empty())
    throw Error("no sample left after matching files, sample sheet and 'select'", in.files_at.context("inputs"));
  return set;
}

}  // namespace cytopipe::pipeline
