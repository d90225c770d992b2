#include "cytopipe/pipeline/readout.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace cytopipe::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Recursive-descent parser over the expression text; errors point at the column of the fault
// within the YAML scalar (exact for plain scalars on one line).
class Parser {
 public:
  Parser(std::string_view text, const Location& at) : text_(text), at_(at) {}

  Expression parse_all() {
    Expression e = parse_call(0, text_.size());
    return e;
  }

 private:
  [[noreturn]] void fail(std::size_t offset, const std::string& message) const {
    Location where = at_;
    if (where.column > 0) where.column += static_cast<int>(offset);
    throw Error(message + " in read-out '" + std::string(text_) + "'", where.context());
  }

  // Splits [begin, end) at top-level commas.
  std::vector<std::pair<std::size_t, std::size_t>> split_args(std::size_t begin, std::size_t end) const {
    std::vector<std::pair<std::size_t, std::size_t>> parts;
    int depth = 0;
    std::size_t start = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (text_[i] == '(') ++depth;
      else if (text_[i] == ')') --depth;
      else if (text_[i] == ',' && depth == 0) {
        parts.emplace_back(start, i);
        start = i + 1;
      }
    }
    parts.emplace_back(start, end);
    return parts;
  }

  std::string name_at(std::size_t begin, std::size_t end, const char* what) const {
    std::string name = trim(text_.substr(begin, end - begin));
    if (name.empty()) fail(begin, std::string("missing ") + what);
    if (name.find_first_of("(),") != std::string::npos) fail(begin, std::string("bad ") + what + " '" + name + "'");
    return name;
  }

  Expression parse_call(std::size_t begin, std::size_t end) {
    while (begin < end && std::isspace(static_cast<unsigned char>(text_[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text_[end - 1]))) --end;
    const auto open = text_.find('(', begin);
    if (open == std::string_view::npos || open >= end)
      fail(begin, "expected a function call such as percent(POP of PARENT)");
    if (text_[end - 1] != ')') fail(end - 1, "missing ')'");
    int depth = 0;
    for (std::size_t i = open; i < end; ++i) {
      if (text_[i] == '(') ++depth;
      if (text_[i] == ')' && --depth == 0 && i != end - 1) fail(i + 1, "unexpected text after ')'");
    }
    if (depth != 0) fail(open, "unbalanced parentheses");

    Expression e;
    e.function = trim(text_.substr(begin, open - begin));
    const auto args = split_args(open + 1, end - 1);
    const auto& f = e.function;
    auto expect_args = [&](std::size_t n, const std::string& usage) {
      if (args.size() != n) fail(open, "'" + f + "' takes " + usage);
    };

    if (f == "count") {
      expect_args(1, "one population: count(POP)");
      e.kind = Expression::Kind::Count;
      e.population = name_at(args[0].first, args[0].second, "population");
    } else if (f == "percent" || f == "viability") {
      expect_args(1, "'POP of PARENT'");
      e.kind = Expression::Kind::Percent;
      const auto arg = text_.substr(args[0].first, args[0].second - args[0].first);
      const auto of = arg.find(" of ");
      if (of == std::string_view::npos) {
        if (f == "viability") fail(args[0].first, "'viability' takes 'LIVE of PARENT'");
        e.population = name_at(args[0].first, args[0].second, "population");
      } else {
        e.population = name_at(args[0].first, args[0].first + of, "population");
        e.parent = name_at(args[0].first + of + 4, args[0].second, "parent population");
      }
    } else if (auto statistic = parse_statistic(f)) {
      if (args.size() != 2 && args.size() != 3)
        fail(open, "'" + f + "' takes a channel and a population: " + f + "(CHANNEL, POP) or " + f +
                       "(CHANNEL, POP, scaled)");
      e.kind = Expression::Kind::Channel;
      e.statistic = *statistic;
      e.channel = name_at(args[0].first, args[0].second, "channel");
      e.population = name_at(args[1].first, args[1].second, "population");
      if (args.size() == 3) {
        const auto scale = name_at(args[2].first, args[2].second, "scale");
        if (scale != "scaled") fail(args[2].first, "third argument must be 'scaled' (the channel's transforms: scale), not '" + scale + "'");
        e.scaled = true;
      }
    } else if (f == "absolute_count") {
      expect_args(3, "absolute_count(POP, BEADS, COLUMN)");
      e.kind = Expression::Kind::AbsoluteCount;
      e.population = name_at(args[0].first, args[0].second, "population");
      e.beads = name_at(args[1].first, args[1].second, "bead population");
      e.column = name_at(args[2].first, args[2].second, "sample sheet column");
    } else if (f == "concentration") {
      expect_args(1, "one population: concentration(POP) (events per µL from the file's $VOL)");
      e.kind = Expression::Kind::Concentration;
      e.population = name_at(args[0].first, args[0].second, "population");
    } else if (f == "specific_lysis" || f == "killing") {
      expect_args(1, "one quantity, e.g. " + f + (f == "killing" ? "(count(live_targets))" : "(percent(dead of targets))"));
      e.kind = f == "killing" ? Expression::Kind::Killing : Expression::Kind::SpecificLysis;
      e.inner.push_back(parse_call(args[0].first, args[0].second));
      if (e.inner.front().needs_control()) fail(args[0].first, "'" + f + "' cannot nest another control-based read-out");
      // A quantity that cannot mean what the read-out says is refused, not computed: killing
      // compares counts of live targets, specific lysis a percentage of dead ones.
      const auto inner = e.inner.front().kind;
      const bool count_like = inner == Expression::Kind::Count || inner == Expression::Kind::AbsoluteCount ||
                              inner == Expression::Kind::Concentration;
      if (f == "killing" && !count_like)
        fail(args[0].first, "'killing' compares counts of live targets (count, absolute_count or concentration), not '" +
                                e.inner.front().function + "'; for a percentage of dead targets use specific_lysis");
      if (f == "specific_lysis" && inner != Expression::Kind::Percent)
        fail(args[0].first, "'specific_lysis' takes a percentage of dead targets (percent(DEAD of TARGETS)), not '" +
                                e.inner.front().function + "'; for counts of live targets use killing");
    } else {
      fail(begin, "unknown function '" + f +
                      "' (known: count, percent, viability, mean, median, geomean, sd, cv, rsd, rcv, "
                      "absolute_count, concentration, specific_lysis, killing)");
    }
    return e;
  }

  std::string_view text_;
  Location at_;
};

const PopulationValues& population_of(const SampleValues& s, const std::string& name) {
  auto it = s.populations.find(name);
  if (it == s.populations.end()) throw Error("population '" + name + "' was not computed for this sample");
  return it->second;
}

// A population's count; `all` (unless the strategy defines it) is every event of the file.
double count_of(const SampleValues& s, const std::string& name) {
  if (name == kAllEvents && !s.populations.count(name)) return s.total_events;
  return population_of(s, name).count;
}

// A ratio whose denominator population is empty has no value: say which population it is.
double ratio(double num, double den, const std::string& den_name) {
  if (!(den > 0)) throw Error("population '" + den_name + "' is empty (0 events)");
  return num / den;
}

}  // namespace

std::string_view to_string(Statistic statistic) {
  switch (statistic) {
    case Statistic::Mean: return "mean";
    case Statistic::Median: return "median";
    case Statistic::GeometricMean: return "geomean";
    case Statistic::Sd: return "sd";
    case Statistic::Cv: return "cv";
    case Statistic::RobustSd: return "rsd";
    case Statistic::RobustCv: return "rcv";
  }
  return "?";
}

std::optional<Statistic> parse_statistic(std::string_view name) {
  for (auto s : {Statistic::Mean, Statistic::Median, Statistic::GeometricMean, Statistic::Sd,
                 Statistic::Cv, Statistic::RobustSd, Statistic::RobustCv})
    if (to_string(s) == name) return s;
  // The names `cytopipe gate` writes in its statistics table, accepted as aliases; what the
  // pipeline writes is always the canonical name above.
  if (name == "robust_sd") return Statistic::RobustSd;
  if (name == "robust_cv") return Statistic::RobustCv;
  return std::nullopt;
}

Expression parse_expression(std::string_view text, const Location& at) {
  return Parser(text, at).parse_all();
}

std::string to_string(const Expression& e) {
  switch (e.kind) {
    case Expression::Kind::Count: return "count(" + e.population + ")";
    case Expression::Kind::Percent:
      return e.function + "(" + e.population + (e.parent.empty() ? "" : " of " + e.parent) + ")";
    case Expression::Kind::Channel:
      return std::string(to_string(e.statistic)) + "(" + e.channel + ", " + e.population +
             (e.scaled ? ", scaled)" : ")");
    case Expression::Kind::AbsoluteCount:
      return "absolute_count(" + e.population + ", " + e.beads + ", " + e.column + ")";
    case Expression::Kind::Concentration: return "concentration(" + e.population + ")";
    case Expression::Kind::SpecificLysis:
    case Expression::Kind::Killing: return e.function + "(" + to_string(e.inner.front()) + ")";
  }
  return {};
}

std::string formula(const Expression& e) {
  switch (e.kind) {
    case Expression::Kind::Count: return "number of events in " + e.population;
    case Expression::Kind::Percent:
      return "100 * count(" + e.population + ") / count(" +
             (e.parent.empty() ? "parent of " + e.population : e.parent) + ")" +
             (e.function == "viability" ? " (viability: % live)" : "");
    case Expression::Kind::Channel:
      if (e.scaled) {
        Expression linear = e;
        linear.scaled = false;
        linear.channel = e.channel + " on its transforms: scale";
        return formula(linear);
      }
      switch (e.statistic) {
        case Statistic::Mean: return "arithmetic mean of " + e.channel + " over " + e.population;
        case Statistic::Median: return "median of " + e.channel + " over " + e.population;
        case Statistic::GeometricMean:
          return "geometric mean of the positive " + e.channel + " values over " + e.population;
        case Statistic::Sd: return "standard deviation (n-1) of " + e.channel + " over " + e.population;
        case Statistic::Cv: return "100 * sd / mean of " + e.channel + " over " + e.population;
        case Statistic::RobustSd:
          return "robust SD = (P84.13 - P15.87) / 2 of " + e.channel + " over " + e.population;
        case Statistic::RobustCv:
          return "robust CV = 100 * robust SD / median of " + e.channel + " over " + e.population;
      }
      break;
    case Expression::Kind::AbsoluteCount:
      return "count(" + e.population + ") / count(" + e.beads + ") * " + e.column +
             " (absolute count with counting beads)";
    case Expression::Kind::Concentration:
      return "count(" + e.population + ") / acquired volume in uL ($VOL; nL unless it states a unit) (events per uL)";
    case Expression::Kind::SpecificLysis:
      return "% specific lysis = 100 * (X - X_control) / (100 - X_control), X = " +
             to_string(e.inner.front()) + ", X_control = mean of X over the matched controls";
    case Expression::Kind::Killing:
      return "count-based killing = 100 * (1 - X / X_control), X = " + to_string(e.inner.front()) +
             ", X_control = mean of X over the matched controls";
  }
  return {};
}

void collect_populations(const Expression& e, std::set<std::string>& out) {
  if (!e.population.empty()) out.insert(e.population);
  if (!e.parent.empty()) out.insert(e.parent);
  if (!e.beads.empty()) out.insert(e.beads);
  for (const auto& i : e.inner) collect_populations(i, out);
}

std::string statistic_channel(const Expression& e) {
  return e.scaled ? "scaled(" + e.channel + ")" : e.channel;
}

void for_each_channel_statistic(const Expression& e, const std::function<void(const Expression&)>& visit) {
  if (e.kind == Expression::Kind::Channel) visit(e);
  for (const auto& i : e.inner) for_each_channel_statistic(i, visit);
}

void collect_columns(const Expression& e, std::set<std::string>& out) {
  if (!e.column.empty()) out.insert(e.column);
  for (const auto& i : e.inner) collect_columns(i, out);
}

double evaluate(const Expression& e, const SampleValues& sample) {
  switch (e.kind) {
    case Expression::Kind::Count: return count_of(sample, e.population);
    case Expression::Kind::Percent: {
      const double count = count_of(sample, e.population);
      const std::string parent = e.parent.empty() ? (e.population == kAllEvents && !sample.populations.count(e.population)
                                                         ? std::string()
                                                         : population_of(sample, e.population).parent)
                                                  : e.parent;
      const double den = parent.empty() ? sample.total_events : count_of(sample, parent);
      return 100.0 * ratio(count, den, parent.empty() ? "all events" : parent);
    }
    case Expression::Kind::Concentration: {
      if (!sample.volume_uL) throw Error("concentration(" + e.population + "): " + sample.volume_problem);
      if (!(*sample.volume_uL > 0)) throw Error("concentration(" + e.population + "): the acquired volume ($VOL) is 0");
      return count_of(sample, e.population) / *sample.volume_uL;
    }
    case Expression::Kind::Channel: {
      const auto& pop = population_of(sample, e.population);
      auto it = pop.statistics.find({statistic_channel(e), e.statistic});
      if (it == pop.statistics.end())
        throw Error(std::string(to_string(e.statistic)) + " of '" + statistic_channel(e) + "' in '" +
                    e.population + "' was not computed for this sample");
      if (pop.count == 0) throw Error("population '" + e.population + "' is empty (0 events)");
      return it->second;
    }
    case Expression::Kind::AbsoluteCount: {
      auto it = sample.factors.find(e.column);
      if (it == sample.factors.end() || it->second.empty())
        throw Error("sample sheet column '" + e.column + "' is empty or missing for this sample");
      double added = 0;
      try {
        std::size_t used = 0;
        added = std::stod(it->second, &used);
        if (used != it->second.size()) throw std::invalid_argument("trailing text");
      } catch (const std::exception&) {
        throw Error("sample sheet column '" + e.column + "' holds '" + it->second + "', not a number");
      }
      return ratio(population_of(sample, e.population).count,
                   population_of(sample, e.beads).count, e.beads) * added;
    }
    case Expression::Kind::SpecificLysis:
    case Expression::Kind::Killing:
      throw Error("'" + e.function + "' needs matched control samples");
  }
  return kNaN;
}

double volume_microlitres(std::string_view vol) {
  std::string text(vol);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
                               text[end] == 'e' || text[end] == 'E' || text[end] == '-' || text[end] == '+'))
    ++end;
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(text.substr(0, end), &used);
    if (used != end) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw Error("keyword $VOL holds '" + text + "', not a volume");
  }
  std::string unit = text.substr(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (const char* micro : {"\xC2\xB5", "\xCE\xBC"})
    if (unit.rfind(micro, 0) == 0) unit = "u" + unit.substr(2);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  double per_ul = 1e-3;  // FCS 3.1: nanolitres
  if (unit == "ul") per_ul = 1;
  else if (unit == "ml") per_ul = 1e3;
  else if (unit == "l") per_ul = 1e6;
  else if (!unit.empty() && unit != "nl")
    throw Error("keyword $VOL holds '" + text + "': unknown unit '" + text.substr(end) + "' (nL, uL, mL)");
  if (!std::isfinite(value) || value < 0) throw Error("keyword $VOL holds '" + text + "', not a volume");
  return value * per_ul;
}

double evaluate(const Expression& e, const SampleValues& sample,
                const std::vector<const SampleValues*>& controls) {
  if (!e.needs_control()) return evaluate(e, sample);
  if (controls.empty()) throw Error("no matched control sample for '" + to_string(e) + "'");
  const double x = evaluate(e.inner.front(), sample);
  double sum = 0;
  for (const auto* c : controls) sum += evaluate(e.inner.front(), *c);
  const double control = sum / static_cast<double>(controls.size());
  if (e.kind == Expression::Kind::SpecificLysis)
    return control < 100 ? 100.0 * (x - control) / (100.0 - control) : kNaN;
  return control > 0 ? 100.0 * (1.0 - x / control) : kNaN;
}

}  // namespace cytopipe::pipeline
