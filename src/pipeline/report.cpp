// Dose-response statistics over readouts.csv (stats.csv), dose figures and the HTML report.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include <tbb/parallel_for.h>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/plot/dose.hpp"
#include "cytopipe/plot/dose_response.hpp"
#include "cytopipe/plot/histogram.hpp"
#include "cytopipe/plot/number_format.hpp"
#include "cytopipe/plot/render.hpp"
#include "cytopipe/plot/time_course.hpp"
#include "cytopipe/plot/xy.hpp"
#include "cytopipe/pipeline/design_check.hpp"
#include "cytopipe/plot/acquisition.hpp"
#include "cytopipe/plot/report.hpp"
#include "cytopipe/stats/analysis.hpp"
#include "cytopipe/stats/levels.hpp"
#include "cytopipe/stats/p_value.hpp"
#include "pipeline/gating_sheets.hpp"
#include "pipeline/outputs.hpp"

namespace cytopipe::pipeline::detail {
namespace {

std::string short_number(double v) {
  std::ostringstream out;
  out.precision(std::abs(v) >= 100 ? 4 : 3);
  out << v;
  return out.str();
}

// Numbers as the report prints them (stats.csv keeps full precision).
std::string shown(double v) { return std::isnan(v) ? "" : plot::format_significant(v, plot::kReportDigits); }
std::string p_shown(double p) { return plot::format_significant(p, plot::kReportPDigits); }

struct AnalysisData {
  const AnalysisConfig* config = nullptr;
  std::size_t readout = 0;
  std::vector<std::string> strata;                       // "all" without a stratum
  std::vector<std::string> groups;
  std::map<std::pair<std::string, std::string>, std::vector<double>> values;  // (stratum, group)
  std::vector<stats::ResultRow> rows;
  std::string control;
  std::map<std::string, std::map<std::string, std::string>> marks;  // stratum -> group -> mark vs control
};

stats::SignificanceScale scale_of(const Config& config) {
  stats::SignificanceScale scale;
  if (!config.outputs.significance.empty()) {
    scale.thresholds.clear();
    for (const auto& [p, label] : config.outputs.significance)
      if (label != "ns") scale.thresholds.emplace_back(p, label);
    std::sort(scale.thresholds.begin(), scale.thresholds.end());
  }
  return scale;
}

// The stats stage's summary row of (stratum, group) as the dose figure draws it (SD 0 for a
// single value, as plot::mean_sd), or nullopt when there is none.
std::optional<plot::MeanSd> summary_of(const AnalysisData& a, const std::string& stratum,
                                       const std::string& group) {
  for (const auto& r : a.rows) {
    if (r.test != "summary" || r.stratum != stratum || r.comparison != group) continue;
    const std::size_t n = r.sizes.empty() ? 0 : r.sizes.front().n;
    return plot::MeanSd{r.estimate, std::isnan(r.sd) ? 0.0 : r.sd, n};
  }
  return std::nullopt;
}

// One figure per stratum: the marker in one representative sample per group, overlaid (each
// normalised to its mode), on the channel's transforms: scale.
void histogram_figures(plot::HtmlReport& report, const Plan& plan, const SampleSet& samples, const AnalysisData& data,
                       const Plan::Histogram& h, const std::map<std::string, const SampleOutcome*>& outcome_of,
                       std::vector<std::string>& summary) {
  const Config& config = *plan.config;
  // The threshold gate the read-out counts (BCMA+ of tumour_live), if it is one: each series
  // then shows the threshold placed for its sample's group and the gate's exact % of parent.
  std::optional<std::size_t> gate;
  if (const Expression& e = plan.readouts[data.readout]; e.kind == Expression::Kind::Percent)
    for (std::size_t g = 0; g < config.gating.thresholds.size(); ++g)
      if (config.gating.thresholds[g].name == e.population) gate = g;
  std::map<std::string, const SampleEntry*> entry_of;
  for (const auto& s : samples.samples) entry_of[s.name] = &s;
  const auto* scale = transform_for(config, h.channel);
  std::vector<std::string> strata, groups;
  for (const auto& [key, file] : h.samples) {
    strata.push_back(key.first);
    groups.push_back(key.second);
  }
  for (const auto& stratum : stats::ordered_levels(strata)) {
    plot::HistogramFigure spec;
    // Readable names: the read-out's description names the population ("BCMA+ of live tumour
    // cells"), the x axis the marker and its detector ("BCMA (PE-A)"); ids only where the
    // config gives no description.
    const std::string& description = config.readouts[data.readout].description;
    spec.title = (description.empty() ? h.channel + " in " + h.population : description) +
                 (stratum == "all" ? "" : ", " + stratum);
    spec.x_title = channel_title(config, h.channel);
    if (description.empty()) spec.x_title += " in " + h.population;
    std::string files;
    for (const auto& group : stats::ordered_levels(groups)) {
      auto s = h.samples.find({stratum, group});
      if (s == h.samples.end()) continue;
      auto o = outcome_of.find(s->second);
      if (o == outcome_of.end() || !o->second->analysed) continue;
      auto v = o->second->histograms.find({h.population, h.channel});
      if (v == o->second->histograms.end() || v->second.empty()) continue;
      plot::HistogramSeries series;
      series.name = factor_title(config, data.config->group) + " " + group;
      series.values = v->second;
      series.filled = false;
      if (gate) {
        const auto& tg = config.gating.thresholds[*gate];
        const auto e = entry_of.find(s->second);
        if (e != entry_of.end() && e->second->matches(tg.applies_to)) {
          auto t = plan.thresholds[*gate].find(group_key(*e->second, tg.match));
          if (t != plan.thresholds[*gate].end())
            series.threshold = scale ? scale->transform.apply(t->second.value) : t->second.value;
          const auto& pops = o->second->values.populations;
          auto pos = pops.find(tg.name), parent = pops.find(tg.parent);
          if (pos != pops.end() && parent != pops.end() && parent->second.count > 0)
            series.percent_positive = 100.0 * pos->second.count / parent->second.count;
        }
      }
      spec.series.push_back(std::move(series));
      files += (files.empty() ? "" : ", ") + s->second;
    }
    if (spec.series.empty()) continue;
    if (gate) spec.positive_label = config.gating.thresholds[*gate].name;
    // The data's range, widened to every threshold so each line shows.
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& series : spec.series) {
      for (double v : series.values)
        if (std::isfinite(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      if (series.threshold && std::isfinite(*series.threshold)) {
        lo = std::min(lo, *series.threshold);
        hi = std::max(hi, *series.threshold);
      }
    }
    if (lo < hi) {
      spec.x_min = lo;
      spec.x_max = hi;
    }
    // A transformed axis is labelled in decades of the data, as cytometry packages draw it.
    if (scale && scale->transform.name() != "linear" && lo < hi)
      spec.x_ticks = plot::decade_ticks([&](double v) { return scale->transform.apply(v); }, lo, hi, 0.06, true);
    try {
      report.figure(plot::histogram_figure(spec), spec.title + ": one sample per " + data.config->group + " (" + files + ")");
    } catch (const Error& e) {
      summary.push_back("histogram of " + data.config->name + " skipped: " + e.message());
    }
  }
}


// Statistics: each analysis's observations, its stats rows and marks against the control, and
// the console summary (mean +/- SD (n) per group with the marks).
std::vector<AnalysisData> analyse(const Config& config, const RunResult& result,
                                  std::vector<std::string>& summary) {
  std::vector<AnalysisData> analyses;
  const auto scale = scale_of(config);
  for (const auto& a : config.analyses) {
    AnalysisData data;
    data.config = &a;
    for (std::size_t i = 0; i < config.readouts.size(); ++i)
      if (config.readouts[i].name == a.readout) data.readout = i;
    stats::Observations observations;
    observations.source = "readouts.csv";
    for (const auto& row : result.readouts) {
      if (!row.sample->matches(a.select)) continue;
      const double v = row.values[data.readout];
      if (std::isnan(v)) continue;
      const std::string group(row.sample->factor(a.group).value_or(""));
      const std::string stratum = a.stratum ? std::string(row.sample->factor(*a.stratum).value_or("")) : "all";
      observations.values.push_back(as_published(v));
      observations.groups.push_back(group);
      if (a.stratum) observations.strata.push_back(stratum);
      data.values[{stratum, group}].push_back(v);
    }
    data.strata = a.stratum ? stats::ordered_levels(observations.strata) : std::vector<std::string>{};
    if (!a.stratum && !observations.values.empty()) data.strata = {"all"};
    data.groups = stats::ordered_levels(observations.groups);
    data.control = a.control_level.value_or(data.groups.empty() ? "" : data.groups.front());
    // Group summaries (n, mean, SD, SEM, CI) for every analysis, plot-only ones too: the console
    // line, the figure and the report show these rows rather than recomputing them.
    if (!observations.values.empty()) {
      stats::AnalysisSpec spec;
      spec.value = a.name;  // stats.csv names rows by analysis (one read-out may be analysed twice)
      spec.group = a.group;
      spec.stratum = a.stratum;
      if (!a.tests.empty()) spec.control = a.control_level;
      spec.tests = a.tests;
      spec.group_summaries = true;
      spec.adjustment = a.adjustment;
      spec.significance = scale;
      try {
        data.rows = stats::run_analysis(observations, spec);
      } catch (const Error& e) {
        throw Error(e.message(), a.at.context("analysis." + a.readout));
      }
    }
    for (const auto& stratum : data.strata)
      data.marks[stratum] = stats::marks_against_control(data.rows, stratum, data.control);

    for (const auto& stratum : data.strata) {
      const auto& marks = data.marks[stratum];
      std::string line = a.name + (stratum == "all" ? "" : " [" + stratum + "]") + " by " + a.group + ":";
      for (const auto& g : data.groups) {
        const auto summary = summary_of(data, stratum, g);
        if (!summary) continue;
        const plot::MeanSd& ms = *summary;
        line += "  " + g + ": " + short_number(ms.mean) + "±" + short_number(ms.sd) + " (n=" + std::to_string(ms.n) + ")";
        if (auto m = marks.find(g); m != marks.end()) line += " " + m->second;
      }
      summary.push_back(line);
    }
    analyses.push_back(std::move(data));
  }
  return analyses;
}

void write_statistics(const std::filesystem::path& file, const std::vector<AnalysisData>& analyses) {
  std::vector<stats::ResultRow> all_rows;
  for (const auto& data : analyses) all_rows.insert(all_rows.end(), data.rows.begin(), data.rows.end());
  write_file_atomically(file, [&](std::ostream& out) { stats::write_rows_csv(out, all_rows); });
}

// Figures: one per analysis, a facet per stratum, the marks against the control above the groups.
// A time course: the group factor as numbers (days) on the x axis, a line per stratum level
// (patient) with its maximum marked (Tmax, Cmax; named in the legend), and the read-out in the
// other levels of `also_show` (pleural effusion) as open points in the patient's colour.
std::optional<plot::Figure> time_course_figure(const Config& config, const AnalysisData& data, const RunResult& result) {
  const AnalysisConfig& a = *data.config;
  auto number = [](const std::string& text) -> std::optional<double> {
    try {
      std::size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size() && std::isfinite(v)) return v;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  };
  plot::TimeCourseFigure spec;
  spec.title = a.title.empty() ? a.readout : a.title;
  spec.x_title = factor_title(config, a.group);
  spec.y_title = readout_title(config, a.readout);
  for (const auto& r : config.readouts)
    if (r.name == a.readout) spec.y_unit = r.unit;
  for (const auto& f : config.factor_labels)
    if (f.factor == a.group) spec.x_unit = f.unit;
  for (const auto& stratum : data.strata) {
    plot::TimeCourseLine line;
    line.name = stratum == "all" ? std::string("all") : stratum;
    for (const auto& g : data.groups) {
      auto it = data.values.find({stratum, g});
      const auto day = number(g);
      if (it == data.values.end() || !day) continue;
      for (double v : it->second) line.points.push_back({*day, v});
    }
    if (line.points.empty()) continue;
    if (a.also_show) {
      // The same read-out in the other levels of also_show, for this stratum.
      Selector select = a.select;
      std::erase_if(select.conditions, [&](const auto& c) { return c.first == *a.also_show; });
      std::map<std::string, std::vector<plot::Point>> others;
      for (const auto& row : result.readouts) {
        if (!row.sample->matches(select) || row.sample->matches(a.select)) continue;
        if (a.stratum && row.sample->factor(*a.stratum).value_or("") != stratum) continue;
        const double v = row.values[data.readout];
        const auto day = number(std::string(row.sample->factor(a.group).value_or("")));
        if (std::isnan(v) || !day) continue;
        others[std::string(row.sample->factor(*a.also_show).value_or(""))].push_back({*day, v});
      }
      for (auto& [level, points] : others) {
        std::string name = level;
        std::replace(name.begin(), name.end(), '_', ' ');
        line.elsewhere.push_back({std::move(name), std::move(points)});
      }
    }
    spec.lines.push_back(std::move(line));
  }
  if (spec.lines.empty()) return std::nullopt;
  return plot::time_course_figure(spec);
}

// The dose-response curve of an analysis whose tests fit a 4PL (hill, hill-control): a curve per
// stratum from its stats rows over the replicates, or the fit's message where there is none.
bool fits_curve(const AnalysisConfig& a) {
  return std::any_of(a.tests.begin(), a.tests.end(),
                     [](stats::TestKind t) { return t == stats::TestKind::hill || t == stats::TestKind::hill_control; });
}

plot::Figure curve_figure(const Config& config, const AnalysisData& data) {
  const AnalysisConfig& a = *data.config;
  plot::DoseResponseFigure spec;
  spec.title = (a.title.empty() ? a.readout : a.title) + ": 4PL fit";
  spec.x_title = factor_title(config, a.group);
  spec.y_title = readout_title(config, a.readout);
  for (const auto& f : config.factor_labels)
    if (f.factor == a.group) spec.x_unit = f.unit;
  for (const auto& stratum : data.strata) {
    plot::DoseResponseSeries series;
    series.name = stratum == "all" ? "" : stratum;
    for (const auto& g : data.groups) {
      auto it = data.values.find({stratum, g});
      if (it == data.values.end()) continue;
      double dose = 0;
      try {
        std::size_t used = 0;
        dose = std::stod(g, &used);
        if (used != g.size()) throw std::invalid_argument(g);
      } catch (const std::exception&) {
        throw Error("the dose-response curve needs numeric doses; '" + a.group + "' has the level '" + g + "'");
      }
      for (double v : it->second) series.replicates.push_back({dose, v});
    }
    series.fit = plot::fitted_curve(data.rows, stratum, series.no_fit);
    spec.series.push_back(std::move(series));
  }
  return plot::dose_response_figure(spec);
}

std::vector<std::pair<std::string, plot::Figure>> dose_figures(const Config& config,
                                                               const std::vector<AnalysisData>& analyses,
                                                               const RunResult& result,
                                                               std::vector<std::string>& summary) {
  std::vector<std::pair<std::string, plot::Figure>> figures;
  for (const auto& data : analyses) {
    if (data.groups.empty()) continue;
    if (data.config->figure == AnalysisFigure::TimeCourse) {
      try {
        if (auto figure = time_course_figure(config, data, result)) figures.emplace_back(data.config->name, std::move(*figure));
      } catch (const Error& e) {
        summary.push_back("time course of " + data.config->name + " skipped: " + e.message());
      }
      continue;
    }
    plot::DoseFigure spec;
    spec.title = data.config->title.empty() ? data.config->readout : data.config->title;
    spec.y_title = readout_title(config, data.config->readout);
    spec.x_title = factor_title(config, data.config->group);
    spec.error_sem = data.config->error_bars_sem;
    for (const auto& stratum : data.strata) {
      plot::DosePanel panel;
      panel.title = stratum == "all" ? "" : stratum;
      plot::DoseSeries series;
      for (const auto& g : data.groups) {
        auto it = data.values.find({stratum, g});
        if (it == data.values.end()) continue;
        const auto summary = summary_of(data, stratum, g);
        if (!summary) continue;
        panel.groups.push_back(g);
        series.values.push_back(it->second);
        series.summaries.push_back(*summary);
      }
      if (panel.groups.empty()) continue;
      panel.series.push_back(std::move(series));
      plot::mark_groups(panel, data.marks.at(stratum));
      spec.panels.push_back(std::move(panel));
    }
    if (spec.panels.empty()) continue;
    try {
      figures.emplace_back(data.config->name, plot::dose_figure(spec));
    } catch (const Error& e) {
      summary.push_back("plot of " + data.config->name + " skipped: " + e.message());
    }
    if (!fits_curve(*data.config)) continue;
    try {
      figures.emplace_back(data.config->name + "_curve", curve_figure(config, data));
    } catch (const Error& e) {
      summary.push_back("dose-response curve of " + data.config->name + " skipped: " + e.message());
    }
  }
  return figures;
}

// Gating: a sheet per representative file of each group and per file whose populations are
// outliers of its group, so a wrong gate is seen, not only its numbers.
void gating_section(plot::HtmlReport& report, const Plan& plan, const RunResult& result,
                    const std::vector<SampleOutcome>& outcomes, std::vector<std::string>& summary) {
  const auto chosen = choose_sheet_samples(*plan.config, result.samples, outcomes);
  if (chosen.empty()) return;
  report.section("Gating");
  report.paragraph("Each sheet shows one file as it was gated: a panel per gate level (the parent population on the "
                   "gate's dimensions; a linear gate on a marker is drawn on the marker's transforms: scale), the "
                   "gates as applied to that file (thresholds placed on its controls included) and the % of parent "
                   "beside each. Files are the first of each group by name, and any file with a population more "
                   "than max(10 points, 3 robust SD) from its group's median % of parent.");
  std::size_t outliers = 0;
  for (const auto& c : chosen) outliers += c.why.starts_with("outlier");
  report.paragraph(std::to_string(chosen.size()) + " sheets, " + std::to_string(outliers) + " of them for outliers.");
  // Each sheet reads its file again, gates and draws it on its own: one task per sheet (TBB),
  // added to the report in the order chosen.
  struct Drawn {
    std::vector<std::pair<std::string, std::string>> sheets;  // compact SVG, caption
    std::vector<std::string> problems;
  };
  std::vector<Drawn> drawn(chosen.size());
  tbb::parallel_for(std::size_t(0), chosen.size(), [&](std::size_t k) {
    for (auto& sheet : gating_sheets(plan, result.samples, {chosen[k]}, drawn[k].problems))
      drawn[k].sheets.emplace_back(plot::render_svg_compact(sheet.figure), sheet.sample + ": " + sheet.why);
  });
  for (auto& d : drawn) {
    for (auto& [svg, caption] : d.sheets) report.svg(std::move(svg), std::move(caption));
    for (auto& p : d.problems) summary.push_back(std::move(p));
  }
}

// Acquisition QC: events/s over time per file with the flagged bins shaded (the files QC did not
// pass first, then passing ones up to kQcPanels), and the verdict of every file.
constexpr std::size_t kQcPanels = 24;
void acquisition_section(plot::HtmlReport& report, const Config& config, const RunResult& result,
                         const std::vector<SampleOutcome>& outcomes, std::vector<std::string>& summary) {
  report.section("Acquisition QC");
  report.paragraph(std::string("Each file's acquisition is cut into time bins; a bin whose event rate or channel level (mean on an arcsinh scale) lies "
                               "beyond the thresholds (in robust SDs) from the file's typical bin is flagged") +
                   (config.qc.remove ? " and its events are removed before gating." : " (qc.remove: false, nothing is removed)."));
  plot::AcquisitionFigure figure;
  plot::HtmlTable table{"QC verdict per file", {"file", "verdict", "events removed (%)", "reason"}, {}};
  std::vector<std::size_t> order;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < outcomes.size() && i < result.samples.samples.size(); ++i) {
      const auto& qc = outcomes[i].qc;
      if (!qc) continue;
      if ((qc->verdict == transform::QcVerdict::Pass) == (pass == 1)) order.push_back(i);
    }
  std::size_t shown = 0;
  for (auto i : order) {
    const auto& qc = *outcomes[i].qc;
    const auto& name = result.samples.samples[i].name;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.3g", 100 * qc.removed_fraction());
    table.rows.push_back({name, std::string(transform::to_string(qc.verdict)), pct, qc.reason});
    if (shown >= kQcPanels || qc.bins.empty()) continue;
    plot::AcquisitionPanel panel;
    panel.title = name;
    panel.note = std::string(transform::to_string(qc.verdict)) + (qc.removed_events ? std::string(", ") + pct + " % removed" : "") +
                 (qc.timestep_known ? "" : " (no $TIMESTEP: Time units)");
    for (const auto& b : qc.bins) panel.bins.push_back({b.start, b.end, b.rate, b.flagged()});
    figure.panels.push_back(std::move(panel));
    ++shown;
  }
  if (!figure.panels.empty()) {
    try {
      report.figure(plot::acquisition_figure(figure),
                    "Events per second over each acquisition; flagged bins shaded" +
                        (shown < order.size() ? " (" + std::to_string(shown) + " of " + std::to_string(order.size()) +
                                                    " files: those not passing first)"
                                              : std::string()));
    } catch (const Error& e) {
      summary.push_back("acquisition QC figure skipped: " + e.message());
    }
  }
  report.table(std::move(table));
}

void write_report(const std::filesystem::path& file, const Config& config, const Plan& plan,
                  const RunResult& result, const std::vector<SampleOutcome>& outcomes,
                  const std::vector<AnalysisData>& analyses,
                  const std::vector<std::pair<std::string, plot::Figure>>& figures,
                  std::vector<std::string>& summary) {
  plot::HtmlReport report(config.name);
  if (!config.description.empty()) report.paragraph(config.description);
  report.paragraph(std::to_string(result.samples.samples.size()) + " samples, " +
                   std::to_string(result.files_failed) + " files failed, " +
                   std::to_string(result.failures.size()) + " problems listed in failures.csv.");
  report.section("Read-outs");
  plot::HtmlTable formulas{"How each read-out is computed", {"read-out", "expression", "formula"}, {}};
  for (std::size_t i = 0; i < config.readouts.size(); ++i)
    formulas.rows.push_back({config.readouts[i].name, to_string(plan.readouts[i]), formula(plan.readouts[i])});
  report.table(std::move(formulas));
  for (const auto& w : design_warnings(config, result.samples)) report.paragraph("Note: " + w.message + ".");
  for (const auto& w : result.samples.warnings) report.paragraph("Note: " + w + ".");
  gating_section(report, plan, result, outcomes, summary);
  std::map<std::string, const SampleOutcome*> outcome_of;
  for (std::size_t i = 0; i < outcomes.size() && i < result.samples.samples.size(); ++i)
    outcome_of[result.samples.samples[i].name] = &outcomes[i];
  for (std::size_t a = 0; a < analyses.size(); ++a) {
    const auto& data = analyses[a];
    report.section(data.config->title.empty() ? data.config->readout : data.config->title);
    for (const auto& [name, figure] : figures)
      if (name == data.config->name + "_curve")
        report.figure(figure, readout_title(config, data.config->readout) + " by " + factor_title(config, data.config->group) +
                                  " on a log axis: every replicate, the 4PL fitted in stats.csv ('4PL fit' rows), EC50 "
                                  "dashed; dose 0 left of the axis break");
      else if (name == data.config->name)
        report.figure(figure, data.config->figure == AnalysisFigure::TimeCourse
                                  ? readout_title(config, data.config->readout) + " over " + factor_title(config, data.config->group) +
                                        ": a line per " + data.config->stratum.value_or("series") + ", its maximum (Cmax) circled at a dashed Tmax line"
                                  : readout_title(config, data.config->readout) + " by " + factor_title(config, data.config->group) +
                                        ": every replicate shown, bars mean ± " + (data.config->error_bars_sem ? "SEM" : "SD") +
                                        ", marks vs the control from stats.csv");
    for (const auto& h : plan.histograms)
      if (h.analysis == a) histogram_figures(report, plan, result.samples, data, h, outcome_of, summary);
    plot::HtmlTable groups{"Group summaries",
                           {"stratum", data.config->group, "n", "mean", "SD", "SEM", "95 % CI of the mean"}, {}};
    plot::HtmlTable t{"Tests", {"stratum", "test", "comparison", "statistic", "p", "p adjusted", "significance", "n", "message"}, {}};
    for (const auto& r : data.rows) {
      if (r.test == "summary") {
        groups.rows.push_back({r.stratum, r.comparison, r.sizes.empty() ? "" : std::to_string(r.sizes.front().n),
                               shown(r.estimate), shown(r.sd), shown(r.sem),
                               std::isnan(r.ci_low) ? "" : shown(r.ci_low) + " to " + shown(r.ci_high)});
        continue;
      }
      // p values as R's format.pval prints them: "< 2.2e-16" below the epsilon, a bound where the row says so.
      const bool adjusted = !std::isnan(r.p_adjusted);
      t.rows.push_back({r.stratum, r.test, r.comparison,
                        r.statistic_name + " = " + shown(r.statistic),
                        stats::report_p_text(r.p, adjusted ? "" : r.p_bound, p_shown(r.p)),
                        stats::report_p_text(r.p_adjusted, adjusted ? r.p_bound : "", p_shown(r.p_adjusted)),
                        r.significance, stats::sizes_text(r.sizes), r.message});
    }
    if (!groups.rows.empty()) report.table(std::move(groups));
    report.table(std::move(t));
  }
  if (config.qc.present && config.qc.enabled) acquisition_section(report, config, result, outcomes, summary);
  if (!result.warnings.empty()) {
    report.section("Warnings");
    plot::HtmlTable t{"Values given with a warning (warnings.csv): read-outs on few events, acquisition QC",
                      {"file", "stage", "reason"}, {}};
    for (const auto& w : result.warnings) t.rows.push_back({w.file, w.stage, w.reason});
    report.table(std::move(t));
  }
  if (!result.failures.empty()) {
    report.section("Failures");
    plot::HtmlTable t{"Files and read-outs that could not be computed", {"file", "stage", "reason"}, {}};
    for (const auto& f : result.failures) t.rows.push_back({f.file, f.stage, f.reason});
    report.table(std::move(t));
  }
  report.write(file);
}

}  // namespace

std::vector<std::string> write_analyses(const std::filesystem::path& dir, const Config& config,
                                        const Plan& plan, const RunResult& result,
                                        const std::vector<SampleOutcome>& outcomes,
                                        std::vector<std::string>& summary) {
  std::vector<std::string> written;
  const std::vector<AnalysisData> analyses = analyse(config, result, summary);
  if (!config.analyses.empty()) {
    write_statistics(dir / "stats.csv", analyses);
    written.push_back("stats.csv");
  }
  std::vector<std::pair<std::string, plot::Figure>> figures;
  if (config.outputs.plots || config.outputs.report) figures = dose_figures(config, analyses, result, summary);
  if (config.outputs.plots && !figures.empty()) {
    std::filesystem::create_directories(dir / "plots");
    for (const auto& [name, figure] : figures)
      for (const auto& format : config.outputs.plot_formats) {
        plot::save(figure, dir / "plots" / (name + "." + format));
        written.push_back("plots/" + name + "." + format);
      }
  }
  if (config.outputs.report) {
    write_report(dir / "report.html", config, plan, result, outcomes, analyses, figures, summary);
    written.push_back("report.html");
  }
  return written;
}

}  // namespace cytopipe::pipeline::detail
