#pragma once
// Writing a whole design: the FCS files, samples.csv and truth.csv into one folder.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/simulate.hpp"

namespace cytopipe::sim {

struct OutputOptions {
  unsigned threads = 0;  // 0 = hardware concurrency
  std::function<void(const Tube&)> on_file_written;  // progress (called from worker threads, serialised)
};

struct OutputSummary {
  std::size_t files = 0;
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;  // FCS bytes written
};

// Every tube's file (FCS 3.1 via libfcs, or FCS 2.0 in the FACSCalibur style), then the sample
// sheet and the truth table. Each file is written atomically; the output depends only on the
// design (not on the thread count).
OutputSummary write_simulation(const Design& design, const std::filesystem::path& folder,
                               const OutputOptions& options = {});

// The CSV texts (exposed for tests).
std::string samples_csv(const std::vector<Tube>& tubes);
std::string truth_csv(const std::vector<Tube>& tubes, const std::vector<Truth>& truths);

}  // namespace cytopipe::sim
