#pragma once
// Samples built in tests: named channels with given values.
#include <string>
#include <utility>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::gating::test {

inline fcs::Sample make_sample(const std::vector<std::pair<std::string, std::vector<double>>>& columns,
                               std::string source = "synthetic.fcs") {
  fcs::Sample s;
  s.source = std::move(source);
  const std::size_t n = columns.empty() ? 0 : columns.front().second.size();
  s.events = fcs::EventMatrix(n, columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    fcs::Channel ch;
    ch.index = static_cast<int>(c + 1);
    ch.name = columns[c].first;
    s.channels.push_back(ch);
    auto col = s.events.column(c);
    for (std::size_t e = 0; e < n; ++e) col[e] = columns[c].second[e];
  }
  return s;
}

}  // namespace cytopipe::gating::test
