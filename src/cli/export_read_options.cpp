#include "cli/export_read_options.hpp"

#include <iostream>

namespace cytopipe::cli {

void FcsReadFlags::add_to(CLI::App& app) {
  app.add_option("--dataset", dataset, "Data set to read in a $NEXTDATA chain (1 = first)")
      ->check(CLI::PositiveNumber);
  app.add_option("--offsets", offsets,
                 "Which data offsets to trust when HEADER and TEXT disagree: auto (the pair that "
                 "fits $TOT), header or text")
      ->check(CLI::IsMember({"auto", "header", "text"}));
}

fcs::ReadOptions FcsReadFlags::options() const {
  fcs::ReadOptions options;
  options.dataset = dataset - 1;
  options.offsets = offsets == "header" ? fcs::OffsetPolicy::Header
                    : offsets == "text" ? fcs::OffsetPolicy::Text
                                        : fcs::OffsetPolicy::Auto;
  return options;
}

void print_notices(const fcs::Sample& sample) {
  for (const auto& notice : sample.notices)
    std::cerr << "cytopipe: notice: " << sample.source << ": " << notice << '\n';
}

}  // namespace cytopipe::cli
