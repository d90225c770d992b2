// Writing the simulated folder: files in parallel (one tube per task), then the two tables.
#include "cytopipe/sim/output.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "cytopipe/atomic_file.hpp"
#include "cytopipe/error.hpp"
#include "cytopipe/fcs/writer.hpp"
#include "cytopipe/sim/calibur.hpp"
#include "sim/fcs_metadata.hpp"

namespace cytopipe::sim {

namespace {

std::string optional_number(const std::optional<double>& v) {
  return v ? detail::number_text(*v) : std::string();
}

// The FACSCalibur-style file is in other units: fluorescence means scale with it.
void rescale_truth(Truth& truth, double factor) {
  for (auto& [quantity, value] : truth)
    if (quantity == "bcma_mean" || quantity.rfind("mean_", 0) == 0) value *= factor;
}

}  // namespace

// $VOL (nL): the volume acquired from a tube of `tube_ul` µL, i.e. the tube's share recorded: bead
// events / beads added, or for tubes without beads cell events / a nominal 50,000 cells.
void set_volume(SimulatedSample& s, const Tube& tube, double tube_ul) {
  std::size_t beads = 0, cells = 0;
  for (const auto c : s.labels.cls) {
    if (c == EventClass::Bead) ++beads;
    else if (c != EventClass::Debris) ++cells;
  }
  const double share = tube.beads && *tube.beads > 0 && beads > 0 ? static_cast<double>(beads) / *tube.beads
                                                                   : static_cast<double>(cells) / 50000.0;
  s.sample.keywords.set("$VOL", detail::number_text(share * tube_ul * 1000));
}

std::string samples_csv(const std::vector<Tube>& tubes) {
  std::string out = "file,experiment,cell_line,dose_nM,replicate,role,patient,day,tissue,beads\n";
  for (const auto& t : tubes) {
    out += t.file + ',' + t.experiment + ',' + t.cell_line + ',' + optional_number(t.dose_nM) + ',' +
           (t.replicate > 0 ? std::to_string(t.replicate) : "") + ',' + t.role + ',' + t.patient +
           ',' + (t.day ? std::to_string(*t.day) : "") + ',' + t.tissue + ',' +
           optional_number(t.beads) + '\n';
  }
  return out;
}

std::string truth_csv(const std::vector<Tube>& tubes, const std::vector<Truth>& truths) {
  std::string out = "file,quantity,value\n";
  for (std::size_t i = 0; i < tubes.size(); ++i)
    for (const auto& [quantity, value] : truths[i])
      out += tubes[i].file + ',' + quantity + ',' + detail::number_text(value) + '\n';
  return out;
}

OutputSummary write_simulation(const Design& design, const std::filesystem::path& folder,
                               const OutputOptions& options) {
  const std::vector<Tube> tubes = plan_tubes(design);
  if (tubes.empty()) throw Error("the design enables no experiment", {design.source, "experiments", 0, 0});
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) throw Error("cannot create the output folder: " + ec.message(), {folder.string(), "", 0, 0});

  std::vector<Truth> truths(tubes.size());
  std::vector<std::uint64_t> bytes(tubes.size(), 0);
  std::atomic<std::size_t> next{0};
  std::mutex progress;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const bool calibur = design.instrument.style == InstrumentStyle::FacsCalibur;

  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= tubes.size()) return;
      try {
        const Tube& tube = tubes[i];
        SimulatedSample simulated = simulate_tube(design, tube);
        if (design.instrument.tube_volume_ul) set_volume(simulated, tube, *design.instrument.tube_volume_ul);
        truths[i] = file_truth(simulated, tube);
        const auto path = folder / tube.file;
        if (calibur) {
          const auto encoded = to_facscalibur_bytes(simulated, design, tube);
          write_file_atomically(path, std::span<const std::byte>(encoded));
          bytes[i] = encoded.size();
          rescale_truth(truths[i], calibur_scale(design.instrument));
        } else {
          const auto encoded = fcs::to_fcs_bytes(simulated.sample);
          write_file_atomically(path, std::span<const std::byte>(encoded));
          bytes[i] = encoded.size();
        }
        if (options.on_file_written) {
          std::lock_guard lock(progress);
          options.on_file_written(tube);
        }
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = tubes.size();  // stop the other workers early
        return;
      }
    }
  };
  unsigned threads = options.threads ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, tubes.size()));
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  if (failure) std::rethrow_exception(failure);

  add_cytotoxicity(tubes, truths);
  write_file_atomically(folder / "samples.csv", std::string_view(samples_csv(tubes)));
  write_file_atomically(folder / "truth.csv", std::string_view(truth_csv(tubes, truths)));

  OutputSummary summary;
  summary.files = tubes.size();
  for (const auto& t : tubes) summary.events += t.events;
  for (auto b : bytes) summary.bytes += b;
  return summary;
}

}  // namespace cytopipe::sim
