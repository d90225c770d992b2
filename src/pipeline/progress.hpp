#pragma once
// Progress over a batch of files (the bounded loop over them is gating::stream_samples).
#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace cytopipe::pipeline::detail {

// Files done / total, events per second and ETA: a redrawn bar on a terminal, plain lines
// (about every 5 %) otherwise.
class Progress {
 public:
  Progress(std::ostream* out, bool terminal, std::string label, std::size_t total);
  void file_done(std::size_t events);
  void finish();

 private:
  std::ostream* out_;
  bool terminal_;
  std::string label_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::size_t events_ = 0;
  std::size_t next_line_ = 1;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace cytopipe::pipeline::detail
