// cytopipe: the command-line entry point. Errors are reported here, once, with their context.
#include <algorithm>
#include <exception>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cytopipe/error.hpp"

namespace cytopipe::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace cytopipe::cli

int main(int argc, char** argv) {
  using namespace cytopipe::cli;
  CLI::App app{"cytopipe: flow cytometry analysis pipeline (FCS reading, gating, statistics)",
               "cytopipe"};
  app.set_version_flag("--version", std::string("cytopipe ") + CYTOPIPE_VERSION);
  app.require_subcommand(1);

  auto& commands = command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  // A command named first is the one parsed (only one is allowed): just its options are
  // declared, not every command's (a few hundred options and validators at each start).
  const auto named = std::find_if(commands.begin(), commands.end(),
                                  [&](const Command& c) { return argc > 1 && c.name == argv[1]; });
  for (const auto& command : commands) {
    if (named != commands.end() && &command != &*named) continue;
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    actions.emplace_back(sub, command.setup(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const cytopipe::Error& e) {
    std::cerr << "cytopipe: error: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cytopipe: internal error: " << e.what() << '\n';
    return 3;
  }
  return 2;
}
