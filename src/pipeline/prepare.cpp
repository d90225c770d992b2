#include "pipeline/prepare.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>

#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/input_file.hpp"
#include "cytopipe/pipeline/sha256.hpp"
#include "cytopipe/transform/compensation.hpp"
#include "cytopipe/transform/sample_ops.hpp"
#include "pipeline/pool.hpp"

namespace cytopipe::pipeline::detail {
namespace {

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// A buffer for a whole file, kept between files: allocating (and zeroing, and faulting in)
// 50+ MB per file cost more than hashing it. Uninitialised: every byte used is read.
struct FileBuffer {
  std::unique_ptr<std::byte[]> data;
  std::size_t capacity = 0;
  std::span<std::byte> get(std::size_t size) {
    if (size > capacity) {
      data.reset();
      data = std::make_unique_for_overwrite<std::byte[]>(size);
      capacity = size;
    }
    return {data.get(), size};
  }
};

// Whole-file buffers lent one per hashed read.
using FileBuffers = Pool<FileBuffer>;

FileBuffers& file_buffers() {
  static FileBuffers pool;
  return pool;
}

// The whole file in `buffer`, hashed 1 MiB at a time right after each read (still in cache).
std::span<const std::byte> read_hashed(const std::filesystem::path& file, std::string& hex, FileBuffer& buffer) {
  const std::string name = file.string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO: refused below, not waited on
  if (fd < 0) throw Error(std::string("cannot open: ") + std::strerror(errno), {name, "", 0, 0});
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    throw Error(std::string("not a regular file (") + file_kind(info.st_mode) + ")", {name, "", 0, 0});
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  std::span<std::byte> bytes = buffer.get(static_cast<std::size_t>(info.st_size));
  Sha256 hash;
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(fd, bytes.data() + done, std::min(kChunk, bytes.size() - done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(std::string("read failed: ") + std::strerror(errno), {name, "", 0, 0});
    if (got == 0) {  // shrank while being read
      bytes = bytes.first(done);
      break;
    }
    hash.update(std::span<const std::byte>(bytes.data() + done, static_cast<std::size_t>(got)));
    done += static_cast<std::size_t>(got);
  }
  hex = hash.hex();
  return bytes;
}

}  // namespace

std::optional<transform::Compensation> load_matrix_compensation(const Config& config) {
  if (config.compensation.source != CompensationSource::Matrix) return std::nullopt;
  try {
    return transform::Compensation(transform::read_spillover_table(config.resolve(config.compensation.matrix)),
                                   config.compensation.matrix.filename().string());
  } catch (const Error& e) {
    throw Error(e.what(), config.compensation.at.context("compensation.matrix"));
  }
}

std::vector<std::pair<std::string, std::string>> panel_for(const PanelConfig& panel, std::string_view cyt) {
  auto markers = panel.markers;
  for (const auto& [instrument, overrides] : panel.instruments) {
    if (!same_text(instrument, cyt)) continue;
    for (const auto& [marker, channel] : overrides) {
      // `name`, not the binding itself: clang 14 (the fuzz build) cannot capture a binding.
      const std::string& name = marker;
      auto it = std::find_if(markers.begin(), markers.end(), [&](const auto& m) { return m.first == name; });
      if (it != markers.end()) it->second = channel;
      else markers.emplace_back(marker, channel);
    }
  }
  return markers;
}

namespace {

// Runs a compensation step; an Error becomes StageError("compensate") naming the sample's file.
template <class Step>
decltype(auto) compensation_step(const fcs::Sample& sample, Step&& step) {
  try {
    return step();
  } catch (const Error& e) {
    throw StageError("compensate", Error(e.message(), {sample.source, e.context().where, 0, 0}));
  }
}

// The compensation a sample gets (transform::choose_compensation decides). Throws
// StageError("compensate").
const transform::Compensation* compensation_for(const Config& config, const fcs::Sample& sample,
                                                const std::optional<transform::Compensation>& matrix,
                                                std::optional<transform::Compensation>& own) {
  const auto source = [&] {
    switch (config.compensation.source) {
      case CompensationSource::File: return transform::CompensationSource::File;
      case CompensationSource::Matrix: return transform::CompensationSource::Matrix;
      case CompensationSource::None: break;
    }
    return transform::CompensationSource::None;
  }();
  return compensation_step(sample, [&] {
    return transform::choose_compensation(source, matrix ? &*matrix : nullptr, sample, own,
                                          "set 'compensation: none' or give a matrix");
  });
}

// Gives the panel's channels their markers as aliases ($PnN stays). Throws StageError("panel").
void apply_panel(const Config& config, fcs::Sample& sample) {
  const std::string& file = sample.source;
  const auto cyt = sample.keywords.find("$CYT");
  const auto markers = panel_for(config.panel, cyt ? *cyt : std::string_view());
  std::vector<std::size_t> targets;
  for (const auto& [marker, channel] : markers) {
    const auto index = sample.find_channel(channel);
    if (!index) {
      throw StageError("panel", Error("marker '" + marker + "': channel '" + channel +
                                          "' is not in the file (it has: " + sample.channel_list() + ")",
                                      {file, "panel." + marker, 0, 0}));
    }
    targets.push_back(*index);
  }
  for (std::size_t i = 0; i < markers.size(); ++i) {
    // A marker may not take the name of another channel of the file (the gates would be ambiguous).
    const auto clash = sample.find_channel(markers[i].first);
    if (clash && *clash != targets[i] &&
        std::find(targets.begin(), targets.end(), *clash) == targets.end())
      throw StageError("panel", Error("marker '" + markers[i].first + "' is also the name of channel " +
                                          std::to_string(*clash + 1) + " of the file",
                                      {file, "panel." + markers[i].first, 0, 0}));
  }
  for (std::size_t i = 0; i < markers.size(); ++i) sample.channels[targets[i]].aliases.push_back(markers[i].first);
}

// Erases every channel of `sample` but `names` (so they are not decoded); leaves all when a name
// is not in the file.
void keep_only(fcs::Sample& sample, const std::vector<std::string>& names) {
  std::vector<bool> keep(sample.channels.size(), false);
  for (const auto& name : names) {
    const auto index = sample.find_channel(name);
    if (!index) return;
    keep[*index] = true;
  }
  std::vector<fcs::Channel> kept;
  for (std::size_t c = 0; c < keep.size(); ++c)
    if (keep[c]) kept.push_back(std::move(sample.channels[c]));
  sample.channels = std::move(kept);
}

}  // namespace

fcs::Sample prepare_sample(const Config& config, const SampleEntry& entry,
                           const std::optional<transform::Compensation>& matrix, std::string* sha256,
                           bool parallel, const Streaming* streaming) {
  fcs::ReadOptions options;
  options.parallel = parallel;
  std::optional<transform::Compensation> own;
  const transform::Compensation* compensation = nullptr;
  std::vector<std::size_t> columns;  // the compensation's detectors in the decoded sample
  fcs::Sample* target = nullptr;     // the reader's sample, while it is decoded
  fcs::DecodeHooks hooks;
  if (streaming) {
    hooks.metadata = [&](fcs::Sample& s) {
      compensation = compensation_for(config, s, matrix, own);
      if (compensation) compensation_step(s, [&] { return compensation->detector_columns(s); });  // all there
      apply_panel(config, s);
      if (!streaming->channels.empty()) {
        std::vector<std::string> keep = streaming->channels;
        if (compensation) keep.insert(keep.end(), compensation->detectors().begin(), compensation->detectors().end());
        keep_only(s, keep);
      }
    };
    hooks.prepare = [&](fcs::Sample& s) {
      target = &s;
      if (compensation) columns = compensation_step(s, [&] { return compensation->detector_columns(s); });
      if (streaming->ready) streaming->ready(s);
    };
    hooks.decoded = [&](std::size_t first, std::size_t count) {
      if (compensation)
        compensation_step(*target, [&] { compensation->apply_in_place(*target, columns, first, count); });
      if (streaming->decoded) streaming->decoded(first, count);
    };
  }
  fcs::Sample sample;
  try {
    if (sha256) {
      FileBuffers::Lease buffer(file_buffers());
      sample = fcs::read_fcs(read_hashed(entry.path, *sha256, buffer.get()), entry.path.string(), options, hooks);
    } else {
      sample = fcs::read_fcs(entry.path, options, hooks);
    }
  } catch (const StageError&) {
    throw;
  } catch (const Error& e) {
    throw StageError("read", e);
  }
  if (streaming) return sample;

  compensation = compensation_for(config, sample, matrix, own);
  if (compensation) compensation_step(sample, [&] { compensation->apply_in_place(sample); });
  apply_panel(config, sample);
  return sample;
}

}  // namespace cytopipe::pipeline::detail
