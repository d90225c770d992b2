// cytopipe export FILE [--dataset N] [--channels a,b] [-o OUT.csv|OUT.fcs]: events as CSV
// (stdout by default) or as FCS 3.1.
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "cli/export_columns.hpp"
#include "cli/export_csv.hpp"
#include "cli/export_read_options.hpp"
#include "cli/transform_options.hpp"
#include "cytopipe/atomic_file.hpp"
#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "cytopipe/fcs/writer.hpp"

namespace cytopipe::cli {
namespace {

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

const RegisterCommand export_command{{
    "export",
    "Export events of an FCS file as CSV or FCS 3.1",
    [](CLI::App& app) {
      struct Args {
        std::string file;
        std::vector<std::string> channels;
        std::string output;
        FcsReadFlags read;
        TransformFlags scales;  // --compensate, --comp-prefix, --transform
      };
      auto args = std::make_shared<Args>();
      app.add_option("file", args->file, "FCS file")->required();
      app.add_option("--channels", args->channels, "Channels to export, by $PnN (a,b,c); all by default")
          ->delimiter(',');
      app.add_option("-o,--output", args->output,
                     "Output file: .csv (CSV) or .fcs (FCS 3.1); CSV on stdout when absent");
      args->read.add_to(app);
      args->scales.add_to(app);
      return std::function<int()>([args] {
        const std::string ext = args->output.empty() ? ".csv" : lower_extension(args->output);
        if (ext != ".csv" && ext != ".fcs") {
          std::cerr << "cytopipe export: the output must end in .csv or .fcs: " << args->output << '\n';
          return 2;
        }
        if (ext == ".fcs" && !args->scales.any()) {
          // Nothing to compute over the whole sample: decoded, converted and written block by
          // block, never holding the events (same bytes as below).
          const fcs::EventBlocks blocks(args->file, args->read.options());
          if (blocks.block_by_block()) {
            print_notices(blocks.metadata());
            fcs::WriteOptions options;
            options.channels = export_channels(blocks.metadata(), args->channels);
            fcs::write_fcs(args->output, blocks, options);
            return 0;
          }
        }
        fcs::Sample sample = fcs::read_fcs(args->file, args->read.options());
        print_notices(sample);
        args->scales.apply(sample);
        const auto channels = export_channels(sample, args->channels);
        if (ext == ".fcs") {
          fcs::WriteOptions options;
          options.channels = channels;
          fcs::write_fcs(args->output, sample, options);
        } else if (args->output.empty()) {
          write_csv(std::cout, sample, channels);
          std::cout.flush();
          if (!std::cout) throw Error("writing CSV to stdout failed", {args->file, ""});
        } else {
          write_file_atomically(args->output,
                                [&](std::ostream& out) { write_csv(out, sample, channels); });
        }
        return 0;
      });
    },
}};

}  // namespace
}  // namespace cytopipe::cli
