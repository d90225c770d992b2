#pragma once
// Subcommand registry: each src/cli/cmd_*.cpp registers itself with a static RegisterCommand,
// so adding a command never touches main.cpp.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace cytopipe::cli {

// Declares the subcommand's options on `app` and returns the action to run after parsing.
// The action returns the process exit code (0 ok, 1 bad input, 2 usage; see main.cpp).
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct Command {
  std::string name;
  std::string summary;
  CommandSetup setup;
};

std::vector<Command>& command_registry();

struct RegisterCommand {
  explicit RegisterCommand(Command command) { command_registry().push_back(std::move(command)); }
};

}  // namespace cytopipe::cli
