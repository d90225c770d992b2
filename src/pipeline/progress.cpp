#include <cstdio>
#include <iomanip>
#include <sstream>

#include "pipeline/progress.hpp"

namespace cytopipe::pipeline::detail {
namespace {

std::string duration_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--";
  const auto s = static_cast<long>(seconds + 0.5);
  std::ostringstream out;
  if (s >= 3600) out << s / 3600 << "h";
  if (s >= 60) out << std::setw(s >= 3600 ? 2 : 1) << std::setfill('0') << (s / 60) % 60 << "m";
  out << std::setw(s >= 60 ? 2 : 1) << std::setfill('0') << s % 60 << "s";
  return out.str();
}

}  // namespace

Progress::Progress(std::ostream* out, bool terminal, std::string label, std::size_t total)
    : out_(out), terminal_(terminal), label_(std::move(label)), total_(total) {}

void Progress::file_done(std::size_t events) {
  ++done_;
  events_ += events;
  if (!out_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(events_) / elapsed : 0;
  const double eta = done_ > 0 ? elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_) : -1;
  std::ostringstream text;
  text << label_ << ' ' << done_ << '/' << total_ << " files, " << std::fixed << std::setprecision(2)
       << rate / 1e6 << " M events/s, ETA " << duration_text(eta);
  if (terminal_) {
    constexpr int width = 30;
    const int filled = total_ ? static_cast<int>(width * done_ / total_) : width;
    *out_ << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << text.str()
          << "   " << std::flush;
  } else if (done_ * 20 >= next_line_ * total_ || done_ == total_) {
    *out_ << text.str() << '\n';
    while (next_line_ * total_ <= done_ * 20) ++next_line_;
  }
}

void Progress::finish() {
  if (out_ && terminal_ && done_ > 0) *out_ << '\n';
}

}  // namespace cytopipe::pipeline::detail
