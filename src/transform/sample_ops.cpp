// Compensation and channel transforms on a whole sample (what the CLI options do).
#include "cytopipe/transform/sample_ops.hpp"

#include <cctype>
#include <sstream>
#include <vector>

#include "cytopipe/error.hpp"
#include "transform/transform_names.hpp"

namespace cytopipe::transform {

namespace {

Error request_error(const std::string& message, const std::string& where, const std::string& file) {
  ErrorContext c;
  c.file = file;
  c.where = where;
  return Error(message, std::move(c));
}

// "logicle(auto,T=1e5)" -> the T/M/A given next to auto (0 / 4.5 / 0 when absent).
Logicle auto_request(std::string_view spec, const std::string& where) {
  const auto open = spec.find('('), close = spec.rfind(')');
  Logicle given{0, 0, 4.5, 0};
  std::string_view list = spec.substr(open + 1, close - open - 1);
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = detail::trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (detail::lower(item) == "auto") continue;
    const auto eq = item.find('=');
    const std::string key = detail::lower(detail::trim(item.substr(0, eq)));
    double value = 0;
    std::istringstream in(std::string(eq == std::string_view::npos ? "" : detail::trim(item.substr(eq + 1))));
    if (eq == std::string_view::npos || !(in >> value) || !in.eof())
      throw request_error("bad logicle(auto) parameter '" + std::string(item) + "'", where, "");
    if (key == "t") given.T = value;
    else if (key == "m") given.M = value;
    else if (key == "a") given.A = value;
    else
      throw request_error("logicle(auto) takes T, M and A (W is estimated), not '" +
                              std::string(detail::trim(item.substr(0, eq))) + "'",
                          where, "");
  }
  return given;
}

bool is_auto(std::string_view spec) {
  const std::string s = detail::lower(spec);
  if (s.rfind("logicle", 0) != 0) return false;
  const auto open = s.find('(');
  if (open == std::string::npos || s.back() != ')') return false;
  std::string_view list(s);
  list = list.substr(open + 1, list.size() - open - 2);
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (detail::trim(list.substr(0, comma)) == "auto") return true;
    if (comma == std::string_view::npos) break;
    list = list.substr(comma + 1);
  }
  return false;
}

}  // namespace

const Compensation* choose_compensation(CompensationSource source, const Compensation* matrix,
                                        const fcs::Sample& sample, std::optional<Compensation>& own,
                                        std::string_view instead) {
  switch (source) {
    case CompensationSource::None:
      return nullptr;
    case CompensationSource::Matrix:
      return matrix;
    case CompensationSource::File:
      if (!sample.spillover) {
        std::string message = "no spillover to compensate with: ";
        message += sample.spillover_error.empty()
                       ? "the file has no SPILL/$SPILLOVER/SPILLOVER keyword"
                       : "its spillover keyword is unusable (" + sample.spillover_error + ")";
        throw request_error(message + "; " + std::string(instead), "", sample.source);
      }
      own.emplace(*sample.spillover, "FCS");
      return &*own;
  }
  return nullptr;
}

Compensation compensation_for(const fcs::Sample& sample, std::string_view source) {
  if (source.empty() || source == "file") {
    std::optional<Compensation> own;
    choose_compensation(CompensationSource::File, nullptr, sample, own,
                        "give a matrix file with --compensate FILE.csv");
    return std::move(*own);
  }
  return Compensation(read_spillover_table(std::string(source)), std::string(source));
}

ChannelTransform ChannelTransform::parse(std::string_view text) {
  const auto eq = text.find('=');
  const auto open = text.find('(');
  // The channel ends at the first '=' that comes before the transform's '('.
  if (eq == std::string_view::npos || (open != std::string_view::npos && open < eq))
    throw request_error("expected CHANNEL=TRANSFORM, e.g. FITC-A=logicle(T=262144,W=0.5,M=4.5,A=0)",
                        std::string(text), "");
  ChannelTransform out{std::string(detail::trim(text.substr(0, eq))), std::string(detail::trim(text.substr(eq + 1)))};
  if (out.channel.empty() || out.spec.empty())
    throw request_error("expected CHANNEL=TRANSFORM", std::string(text), "");
  return out;
}

AppliedTransform apply_channel_transform(fcs::Sample& sample, const ChannelTransform& request,
                                         std::string_view prefix) {
  auto index = sample.find_channel(request.channel);
  if (!index && !prefix.empty()) index = sample.find_channel(std::string(prefix) + request.channel);
  if (!index) {
    std::string message = "no channel '" + request.channel + "' to transform; the file has:";
    for (const auto& c : sample.channels) message += " " + c.name;
    throw request_error(message, request.channel + "=" + request.spec, sample.source);
  }
  AppliedTransform out;
  out.column = *index;
  const auto values = sample.events.column(*index);
  if (is_auto(request.spec)) {
    const std::string where = request.channel + "=" + request.spec;
    const Logicle given = auto_request(request.spec, where);
    LogicleEstimate e;
    try {
      e = estimate_logicle(values, given.T, given.M, given.A);
    } catch (const Error& error) {
      throw request_error(error.message(), where, sample.source);
    }
    out.transform = Transform(e.params);
    std::ostringstream note;
    note << "estimated from " << values.size() << " values: ";
    if (e.negatives == 0)
      note << "no negative values, so W = 0";
    else
      note << "5th percentile of the " << e.negatives << " negative values = "
           << e.negative_percentile;
    if (!(given.T > 0)) note << "; T = the largest value";
    out.note = note.str();
  } else {
    out.transform = Transform::parse(request.spec);
  }
  out.transform.apply(values, values);
  return out;
}

}  // namespace cytopipe::transform
