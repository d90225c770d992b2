// --compensate / --comp-prefix / --transform: parsing and application to a sample.
#include "cli/transform_options.hpp"

#include <iostream>

#include "cytopipe/transform/sample_ops.hpp"

namespace cytopipe::cli {

void TransformFlags::add_to(CLI::App& app) {
  compensate_option =
      app.add_option("--compensate", compensate,
                     "Compensate before exporting: with no value or 'file', with the file's "
                     "spillover keyword; otherwise with this CSV/TSV matrix (FlowJo layout or "
                     "header + rows). Put it after the input file or write --compensate=file")
          ->expected(0, 1);
  app.add_option("--comp-prefix", comp_prefix,
                 "Rename compensated channels with this prefix (e.g. Comp-)");
  app.add_option("--transform", transforms,
                 "CHANNEL=SPEC, repeatable: logicle(T=,W=,M=,A=), hyperlog(T=,W=,M=,A=), "
                 "fasinh(T=,M=,A=), flin(T=,A=), flog(T=,M=), asinh(cofactor=), log10(floor=), "
                 "biex(maxRange=,width=,pos=,neg=), linear; logicle(auto[,T=,M=,A=]) estimates "
                 "W from the data and prints the parameters")
      ->expected(1)
      ->take_all();
}

void TransformFlags::apply(fcs::Sample& sample) const {
  if (compensate_option != nullptr && compensate_option->count() > 0) {
    const transform::Compensation comp = transform::compensation_for(sample, compensate);
    comp.apply_in_place(sample, comp_prefix);
    // The events are compensated now: a spillover keyword left in place would make FlowJo or
    // flowCore compensate an exported file a second time (with or without a Comp- prefix, a reader
    // matching by detector name cannot tell), so it is removed; the matrix applied stays on record
    // under a name no reader applies.
    for (std::string_view name : {"$SPILLOVER", "SPILL", "SPILLOVER", "$SPILL"})
      if (const auto value = sample.keywords.find(name)) {
        if (!sample.keywords.contains("CYTOPIPE_APPLIED_SPILLOVER"))
          sample.keywords.set("CYTOPIPE_APPLIED_SPILLOVER", std::string(*value));
        sample.keywords.erase(name);
      }
    sample.spillover.reset();  // else the FCS writer would write it back as $SPILLOVER
  }
  for (const std::string& text : transforms) {
    const auto request = transform::ChannelTransform::parse(text);
    const auto applied = transform::apply_channel_transform(sample, request, comp_prefix);
    if (!applied.note.empty())
      std::cerr << "cytopipe: " << request.channel << '=' << applied.transform.to_string() << "  ("
                << applied.note << ")\n";
  }
}

}  // namespace cytopipe::cli
