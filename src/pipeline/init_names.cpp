// Factors from a tube or file name: "MM1S 25nM R2", "bcma_MM1S_0.1uM_rep2", "NT_0nM_isotype".
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "cytopipe/pipeline/init.hpp"

namespace cytopipe::pipeline {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

// nM per unit ("µ" as UTF-8 micro sign or Greek mu, or "u"); nullopt for anything else.
std::optional<double> molar_unit(std::string_view unit) {
  std::string u(unit);
  for (const char* micro : {"\xC2\xB5", "\xCE\xBC"})
    if (u.rfind(micro, 0) == 0) u = "u" + u.substr(2);
  const std::string l = lower(u);
  if (l == "pm") return 1e-3;
  if (l == "nm") return 1.0;
  if (l == "um") return 1e3;
  if (l == "mm") return 1e6;
  return std::nullopt;
}

// "30nM", "0.1µM": the dose in nM.
std::optional<double> dose_of(std::string_view token) {
  std::size_t digits = 0;
  while (digits < token.size() && (std::isdigit(static_cast<unsigned char>(token[digits])) || token[digits] == '.')) ++digits;
  if (digits == 0 || digits == token.size() || !is_number(token.substr(0, digits))) return std::nullopt;
  const auto unit = molar_unit(token.substr(digits));
  if (!unit) return std::nullopt;
  double v = 0;
  std::from_chars(token.data(), token.data() + digits, v);
  return v * *unit;
}

// "R2", "rep2", "Rep_2" (joined before), "replicate2": the replicate number as written, without
// leading zeros.
std::optional<std::string> replicate_of(std::string_view token) {
  const std::string l = lower(token);
  for (const char* prefix : {"replicate", "rep", "r"}) {
    const std::string p(prefix);
    if (l.size() > p.size() && l.rfind(p, 0) == 0 &&
        std::all_of(l.begin() + static_cast<std::ptrdiff_t>(p.size()), l.end(), [](unsigned char c) { return std::isdigit(c); })) {
      std::string n = l.substr(p.size());
      while (n.size() > 1 && n.front() == '0') n.erase(n.begin());
      return n;
    }
  }
  return std::nullopt;
}

std::string role_of(std::string_view token) {
  const std::string l = lower(token);
  if (l == "isotype" || l == "iso" || l == "isotype-control") return "isotype";
  if (l == "fmo" || l.rfind("fmo-", 0) == 0) return "FMO";
  if (l == "unstained" || l == "unst" || l == "nostain" || l == "no-stain") return "unstained";
  if (l == "nt" || l == "untransduced" || l == "utd" || l == "mock") return "NT";
  if (l == "target-only" || l == "targetonly" || l == "targets-only" || l == "tumour-only" || l == "tumor-only" ||
      l == "target_only")
    return "target-only";
  if (l == "beads" || l == "bead" || l == "countbright") return "beads";
  return {};
}

bool is_effector(std::string_view token) {
  const std::string l = lower(token);
  return l == "car-t" || l == "cart" || l == "car-nk" || l == "nk" || l == "pbmc" || l == "effector" ||
         l == "effectors" || l == "car-tcells" || l == "t-cells" || (l.rfind("car-", 0) == 0 && l.size() > 4);
}

}  // namespace

NameFactors parse_sample_name(std::string_view name) {
  // Words: separated by _ space , ; + ( ) (a hyphen stays inside a word: CAR-T, target-only).
  std::vector<std::string> tokens;
  std::string current;
  for (const char c : name) {
    if (c == '_' || c == ' ' || c == ',' || c == ';' || c == '+' || c == '(' || c == ')' || c == '\t') {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  // Joined across a separator: "0.1 µM", "rep 2", "target only".
  std::vector<std::string> joined;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i + 1 < tokens.size()) {
      const std::string l = lower(tokens[i]);
      const bool number_unit = is_number(tokens[i]) && molar_unit(tokens[i + 1]);
      const bool rep_number = (l == "r" || l == "rep" || l == "replicate") && is_number(tokens[i + 1]);
      const bool two_words = (l == "target" || l == "targets" || l == "tumour" || l == "tumor") && lower(tokens[i + 1]) == "only";
      if (number_unit || rep_number) {
        joined.push_back(tokens[i] + tokens[i + 1]);
        ++i;
        continue;
      }
      if (two_words) {
        joined.push_back(tokens[i] + "-only");
        ++i;
        continue;
      }
    }
    joined.push_back(tokens[i]);
  }
  NameFactors f;
  for (std::size_t i = 0; i < joined.size(); ++i) {
    const auto& t = joined[i];
    if (auto d = dose_of(t); d && !f.dose_nM) {
      f.dose_nM = d;
    } else if (auto r = replicate_of(t); r && f.replicate.empty()) {
      f.replicate = *r;
    } else if (auto role = role_of(t); !role.empty() && f.role.empty()) {
      f.role = role;
    } else if (is_effector(t) && f.effector.empty()) {
      f.effector = t;
    } else if (i + 1 == joined.size() && i > 0 && t.size() <= 2 &&
               std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); }) &&
               f.replicate.empty()) {
      f.replicate = t.size() > 1 && t.front() == '0' ? t.substr(1) : t;  // a trailing _2
    } else {
      f.words.push_back(t);
    }
  }
  return f;
}

}  // namespace cytopipe::pipeline
