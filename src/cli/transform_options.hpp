#pragma once
// The scale options of `export` (and any command that wants them): --compensate [file|FILE.csv],
// --comp-prefix PREFIX and --transform CHANNEL=SPEC (repeatable).
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cytopipe/fcs/sample.hpp"

namespace cytopipe::cli {

struct TransformFlags {
  std::string compensate;          // "" or "file" = the file's spillover; else a CSV/TSV matrix
  std::string comp_prefix;         // renames compensated channels, e.g. "Comp-"
  std::vector<std::string> transforms;  // CHANNEL=SPEC, applied in order after compensation
  CLI::Option* compensate_option = nullptr;

  void add_to(CLI::App& app);
  // Compensates, then transforms, in place. Auto-estimated parameters are printed on stderr as
  // "cytopipe: CHANNEL=logicle(T=...,W=...,M=...,A=...)" so they can be reused verbatim.
  void apply(fcs::Sample& sample) const;
  // Whether apply would change anything (compensation or a transform asked for).
  bool any() const { return (compensate_option != nullptr && compensate_option->count() > 0) || !transforms.empty(); }
};

}  // namespace cytopipe::cli
