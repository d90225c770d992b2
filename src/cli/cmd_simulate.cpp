// cytopipe simulate DESIGN.yaml -o DIR [--seed N] [--events N] [--replicates N]
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "cytopipe/sim/design.hpp"
#include "cytopipe/sim/output.hpp"

namespace cytopipe::cli {
namespace {

struct SimulateArgs {
  std::string design;
  std::string output;
  std::optional<std::uint64_t> seed;
  std::optional<std::size_t> events;
  std::optional<std::size_t> replicates;
  std::vector<std::string> experiments;
  std::string style;
  std::string file_names, tube_names, cytometer;
  std::optional<double> tube_volume_ul;
  unsigned threads = 0;
  bool quiet = false;
};

const RegisterCommand simulate_command{{
    "simulate",
    "Simulate FCS files with known answers from a design YAML (see sample_fcs/README.md)",
    [](CLI::App& app) -> std::function<int()> {
      auto args = std::make_shared<SimulateArgs>();
      app.add_option("design", args->design, "design YAML (e.g. sample_fcs/design.yaml)")->required();
      app.add_option("-o,--output", args->output, "output folder (FCS files, samples.csv, truth.csv)")
          ->required();
      app.add_option("--seed", args->seed, "replace the design's seed");
      app.add_option("--events", args->events, "events per file for every experiment (benchmarks)")
          ->check(CLI::PositiveNumber);
      app.add_option("--replicates", args->replicates, "replicates per group for every experiment")
          ->check(CLI::PositiveNumber);
      app.add_option("--experiments", args->experiments,
                     "only these experiments (tcell_viability, tumour_bcma, coculture, car_kinetics)")
          ->delimiter(',');
      app.add_option("--style", args->style, "instrument style: facsdiva (FCS 3.1 float) or "
                                             "facscalibur (FCS 2.0, 10-bit log)")
          ->check(CLI::IsMember({"facsdiva", "facscalibur"}));
      app.add_option("--file-names", args->file_names,
                     "tube (bcma_MM1S_25nM_r1.fcs, the default) or opaque (Specimen_001_A01_001.fcs: the "
                     "identity only in TUBE NAME)")
          ->check(CLI::IsMember({"tube", "opaque"}));
      app.add_option("--tube-names", args->tube_names,
                     "file (TUBE NAME = the file's stem, the default) or words (\"MM1S 0.1 µM isotype R1\")")
          ->check(CLI::IsMember({"file", "words"}));
      app.add_option("--tube-volume", args->tube_volume_ul,
                     "write $VOL (nL acquired) for tubes of this many µL (counting beads' share of the tube)")
          ->check(CLI::Range(1.0, 1e6));
      app.add_option("--cytometer", args->cytometer, "replace the design's $CYT");
      app.add_option("--threads", args->threads, "files simulated in parallel (0 = all cores)");
      app.add_flag("-q,--quiet", args->quiet, "no summary line");
      return [args] {
        sim::Design design = sim::load_design(args->design);
        if (args->seed) design.seed = *args->seed;
        sim::scale_design(design, args->events, args->replicates);
        if (!args->experiments.empty()) sim::restrict_experiments(design, args->experiments);
        if (args->style == "facscalibur") {
          design.instrument.style = sim::InstrumentStyle::FacsCalibur;
          design.instrument.cytometer = "FACSCalibur";
        }
        if (args->style == "facsdiva") design.instrument.style = sim::InstrumentStyle::FacsDiva;
        if (!args->file_names.empty()) design.instrument.file_names = args->file_names;
        if (!args->tube_names.empty()) design.instrument.tube_names = args->tube_names;
        if (args->tube_volume_ul) design.instrument.tube_volume_ul = args->tube_volume_ul;
        if (!args->cytometer.empty()) design.instrument.cytometer = args->cytometer;
        sim::OutputOptions options;
        options.threads = args->threads;
        const auto summary = sim::write_simulation(design, args->output, options);
        if (!args->quiet)
          std::cout << "simulated " << summary.files << " files, " << summary.events << " events, "
                    << summary.bytes << " bytes of FCS into " << args->output << '\n';
        return 0;
      };
    }}};

}  // namespace
}  // namespace cytopipe::cli
