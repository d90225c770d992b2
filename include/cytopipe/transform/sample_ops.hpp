#pragma once
// Compensation and scales applied to a whole sample, as the command line asks for them:
// "--compensate file|FILE.csv" and "--transform CHANNEL=logicle(T=...,W=...,M=...,A=...)".
#include <optional>
#include <string>
#include <string_view>

#include "cytopipe/fcs/sample.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "cytopipe/transform/transform.hpp"

namespace cytopipe::transform {

// Where a sample's compensation comes from. Chosen by choose_compensation, the one place that
// decides it for `cytopipe export` and `cytopipe run` alike.
enum class CompensationSource { None, File, Matrix };

// nullptr for None; `matrix` for Matrix (a spillover table read once, read_spillover_table);
// for File, the sample's own spillover keyword, constructed into `own`. A file without a usable
// keyword is an Error naming the file and why, followed by `instead` (what the user can do).
const Compensation* choose_compensation(CompensationSource source, const Compensation* matrix,
                                        const fcs::Sample& sample, std::optional<Compensation>& own,
                                        std::string_view instead);

// The compensation `source` names: "file" (or empty) = the sample's own spillover keyword,
// anything else = a CSV/TSV spillover table. A file without a usable keyword is an Error.
Compensation compensation_for(const fcs::Sample& sample, std::string_view source);

// One "CHANNEL=spec" request. `spec` is anything Transform::parse takes, or "logicle(auto)" /
// "logicle(auto,T=...,M=...,A=...)" to estimate W (and T, unless given) from the channel's values.
struct ChannelTransform {
  std::string channel;
  std::string spec;
  static ChannelTransform parse(std::string_view text);
};

struct AppliedTransform {
  std::size_t column = 0;  // the sample's column that was transformed
  Transform transform;     // as applied (auto parameters resolved)
  std::string note;        // for auto: how the parameters were found (empty otherwise)
};

// Transforms the channel's values in place (the bulk path). The channel is found by $PnN, or as
// `prefix` + name when compensation renamed it (e.g. "Comp-").
AppliedTransform apply_channel_transform(fcs::Sample& sample, const ChannelTransform& request,
                                         std::string_view prefix = {});

}  // namespace cytopipe::transform
