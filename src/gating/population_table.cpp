#include "cytopipe/gating/population_table.hpp"

#include <cmath>

#include "cytopipe/base/csv.hpp"
#include "cytopipe/base/number_text.hpp"

namespace cytopipe::gating {

void append_count_rows(std::vector<PopulationRow>& rows, const GatingResults& results,
                       const PopulationResult& p, const CountRows& which) {
  const double count = static_cast<double>(p.count);
  const double parent = static_cast<double>(results.parent_count(p.name));
  const double total = static_cast<double>(results.events());
  const double nan = std::nan("");
  if (which.count) rows.push_back({p.name, p.parent, "count", "", count});
  if (which.percent_parent)
    rows.push_back({p.name, p.parent, "percent_parent", "", parent > 0 ? 100.0 * count / parent : nan});
  if (which.percent_total)
    rows.push_back({p.name, p.parent, "percent_total", "", total > 0 ? 100.0 * count / total : nan});
}

void append_finder_rows(std::vector<PopulationRow>& rows, std::span<const FinderReport> reports) {
  for (const auto& r : reports) {
    auto row = [&](const char* statistic, const std::string& channel, double value) {
      rows.push_back({r.gate, r.parent, statistic, channel, value});
    };
    const std::string first = r.dimensions.empty() ? std::string() : r.dimensions[0];
    const std::string second = r.dimensions.size() > 1 ? r.dimensions[1] : std::string();
    row("finder_events", "", static_cast<double>(r.events));
    if (r.ignored) row("finder_non_finite_ignored", "", static_cast<double>(r.ignored));
    if (r.pooled_files) row("finder_pooled_files", "", static_cast<double>(r.pooled_files));
    switch (r.method) {
      case FinderMethod::Singlets:
        row("finder_slope", second, r.slope);
        row("finder_intercept", second, r.intercept);
        break;
      case FinderMethod::Cells:
        for (double p : r.peaks) row("finder_peak", first, p);
        row("finder_centre", first, r.centre_x);
        row("finder_centre", second, r.centre_y);
        break;
      case FinderMethod::Ellipse:
        for (std::size_t d = 0; d < r.peaks.size() && d < r.dimensions.size(); ++d)
          row("finder_centre", r.dimensions[d], r.peaks[d]);
        break;
      default:
        for (double p : r.peaks) row("finder_peak", first, p);
        if (r.valley) row("finder_valley", first, *r.valley);
        break;
    }
    if (r.cut) row("finder_cut", first, *r.cut);
    row("finder_fallback", "", r.fallback.empty() ? 0.0 : 1.0);
    row("finder_fraction", "", r.fraction);
  }
}

void write_population_header(std::ostream& out) { out << "file,population,parent,statistic,channel,value\n"; }

void write_population_rows(std::ostream& out, std::string_view file, std::span<const PopulationRow> rows) {
  const std::string name = csv::field(file);
  for (const auto& r : rows)
    out << name << ',' << csv::field(r.population) << ',' << csv::field(r.parent) << ',' << csv::field(r.statistic)
        << ',' << csv::field(r.channel) << ',' << format_number(r.value, kTableNumber) << '\n';
}

}  // namespace cytopipe::gating
