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

void write_population_header(std::ostream& out) { out << "file,population,parent,statistic,channel,value\n"; }

void write_population_rows(std::ostream& out, std::string_view file, std::span<const PopulationRow> rows) {
  const std::string name = csv::field(file);
  for (const auto& r : rows)
    out << name << ',' << csv::field(r.population) << ',' << csv::field(r.parent) << ',' << csv::field(r.statistic)
        << ',' << csv::field(r.channel) << ',' << format_number(r.value, kTableNumber) << '\n';
}

}  // namespace cytopipe::gating
