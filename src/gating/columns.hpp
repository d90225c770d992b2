#pragma once
// The values a sample offers to gates: each distinct (compensation, channel or ratio, scale)
// column is computed once per sample and shared by every gate that reads it.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/gating/strategy.hpp"

namespace cytopipe::gating {

class ColumnCache {
 public:
  ColumnCache(const GatingStrategy& strategy, const fcs::Sample& sample, bool parallel = true);
  // The dimension's values for every event; valid as long as the cache lives.
  std::span<const double> get(const Dimension& dimension);

 private:
  struct Compensated {
    std::vector<std::string> outputs;
    std::vector<std::vector<double>> columns;  // one per output
  };
  // A channel (or compensation output) before any ratio or scale.
  std::span<const double> base(const std::string& compensation, const std::string& name);
  const Compensated* compensated(const std::string& compensation);

  const GatingStrategy& strategy_;
  const fcs::Sample& sample_;
  bool parallel_;
  std::map<std::string, std::unique_ptr<Compensated>> compensations_;
  std::map<std::string, std::vector<double>> columns_;
};

// The key identifying a dimension's values (equal keys = equal values).
std::string column_key(const Dimension& dimension);

}  // namespace cytopipe::gating
