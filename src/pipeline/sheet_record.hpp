#pragma once
// A gating sheet as a shard keeps it for the merge's report (shard folder sheets/FILE.json): the
// laid-out panels as plot marks, numbers that read back to the same doubles, raster pixels as
// base64, so the merge draws exactly the figure the whole run draws.
#include <nlohmann/json.hpp>

#include "pipeline/analyse.hpp"

namespace cytopipe::pipeline::detail {

nlohmann::ordered_json sheet_json(const StoredSheet& sheet);
// Error naming what is malformed.
StoredSheet sheet_of(const nlohmann::ordered_json& json);

}  // namespace cytopipe::pipeline::detail
