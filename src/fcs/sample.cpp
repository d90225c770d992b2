// The in-memory model: keywords, event matrix and channel lookup.
#include <algorithm>
#include <cstring>

#include "cytopipe/fcs/sample.hpp"
#include "fcs/huge_pages.hpp"
#include "fcs/text_util.hpp"

namespace cytopipe::fcs {

std::string_view to_string(FcsErrorKind kind) {
  switch (kind) {
    case FcsErrorKind::NotFcs: return "not_fcs";
    case FcsErrorKind::Truncated: return "truncated";
    case FcsErrorKind::UnsupportedMode: return "unsupported_mode";
    case FcsErrorKind::OffsetsInconsistent: return "offsets_inconsistent";
    case FcsErrorKind::TotMismatch: return "tot_mismatch";
    case FcsErrorKind::BadKeyword: return "bad_keyword";
    case FcsErrorKind::Other: return "other";
  }
  return "other";
}

std::optional<std::size_t> Keywords::position(std::string_view name) const {
  auto it = index_.find(detail::upper(detail::trim(name)));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string_view> Keywords::find(std::string_view name) const {
  if (auto pos = position(name)) return std::string_view(entries_[*pos].value);
  return std::nullopt;
}

void Keywords::set(std::string_view name, std::string value) {
  if (auto pos = position(name)) {
    entries_[*pos].value = std::move(value);
    return;
  }
  add_if_absent(name, std::move(value));
}

bool Keywords::add_if_absent(std::string_view name, std::string value) {
  auto trimmed = detail::trim(name);
  auto [it, inserted] = index_.emplace(detail::upper(trimmed), entries_.size());
  if (!inserted) return false;
  entries_.push_back({std::string(trimmed), std::move(value)});
  return true;
}

void Keywords::erase(std::string_view name) {
  auto pos = position(name);
  if (!pos) return;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(*pos));
  index_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) index_.emplace(detail::upper(entries_[i].name), i);
}

EventMatrix::EventMatrix(std::size_t events, std::size_t channels)
    : events_(events), channels_(channels) {
  const std::size_t count = events * channels;
  if (detail::huge_buffers_enabled && count >= detail::huge_buffer_threshold / sizeof(double)) {
    if (auto mapping = detail::map_huge(count * sizeof(double)); mapping.data) {
      data_ = std::unique_ptr<double[], Release>(static_cast<double*>(mapping.data),
                                                 Release{mapping.length});
      return;
    }
  }
  data_ = std::unique_ptr<double[], Release>(std::make_unique_for_overwrite<double[]>(count).release());
}

void EventMatrix::Release::operator()(double* data) const noexcept {
  if (mapped_bytes > 0)
    detail::unmap_huge({data, mapped_bytes});
  else
    std::default_delete<double[]>()(data);
}

EventMatrix EventMatrix::clone() const {
  EventMatrix copy(events_, channels_);
  if (events_ * channels_ > 0)
    std::memcpy(copy.data_.get(), data_.get(), events_ * channels_ * sizeof(double));
  return copy;
}

std::optional<std::size_t> Sample::find_channel(std::string_view name) const {
  const auto alias_of = [&](std::size_t i, auto&& same) {
    return std::any_of(channels[i].aliases.begin(), channels[i].aliases.end(), same);
  };
  for (std::size_t i = 0; i < channels.size(); ++i)
    if (alias_of(i, [&](const std::string& a) { return a == name; })) return i;
  for (std::size_t i = 0; i < channels.size(); ++i)
    if (channels[i].name == name) return i;
  const auto wanted = detail::upper(name);
  for (std::size_t i = 0; i < channels.size(); ++i)
    if (alias_of(i, [&](const std::string& a) { return detail::upper(a) == wanted; })) return i;
  for (std::size_t i = 0; i < channels.size(); ++i)
    if (detail::upper(channels[i].name) == wanted) return i;
  return std::nullopt;
}

std::size_t Sample::channel_index(std::string_view name) const {
  if (auto index = find_channel(name)) return *index;
  throw Error("no channel named '" + std::string(name) + "'; the file has: " + channel_list(),
              {source, std::string(name)});
}

std::string Sample::channel_list() const {
  std::string out;
  for (const auto& channel : channels) {
    if (!out.empty()) out += ", ";
    out += channel.name;
    for (std::size_t a = 0; a < channel.aliases.size(); ++a)
      out += (a == 0 ? " (" : ", ") + channel.aliases[a] + (a + 1 == channel.aliases.size() ? ")" : "");
  }
  return out;
}

}  // namespace cytopipe::fcs
