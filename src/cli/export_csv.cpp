#include "cli/export_csv.hpp"

#include <charconv>
#include <string>

#include "cytopipe/base/csv.hpp"

namespace cytopipe::cli {

void write_csv(std::ostream& out, const fcs::Sample& sample, const std::vector<std::size_t>& channels) {
  std::string buffer;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    if (i) buffer += ',';
    buffer += csv::field(sample.channels[channels[i]].name);
  }
  buffer += '\n';
  std::vector<const double*> columns;
  for (auto c : channels) columns.push_back(sample.events.column(c).data());
  const std::size_t events = sample.events.events();
  constexpr std::size_t flush_at = 1 << 16;
  char number[40];
  for (std::size_t e = 0; e < events; ++e) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i) buffer += ',';
      // to_chars with general format and precision 9 is printf's %.9g, without the locale.
      auto result = std::to_chars(number, number + sizeof number, columns[i][e],
                                  std::chars_format::general, 9);
      buffer.append(number, result.ptr);
    }
    buffer += '\n';
    if (buffer.size() >= flush_at) {
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

}  // namespace cytopipe::cli
