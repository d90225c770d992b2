#include "support/cli_run.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cytopipe::test {
namespace {

std::string shell_quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliResult run_cytopipe(const std::vector<std::string>& args, const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  const auto out_file = scratch / "cli.stdout";
  const auto err_file = scratch / "cli.stderr";
  std::string command = shell_quote(CYTOPIPE_BINARY);
  for (const auto& a : args) {
    command += ' ';
    command += shell_quote(a);
  }
  command += " >";
  command += shell_quote(out_file.string());
  command += " 2>";
  command += shell_quote(err_file.string());
  CliResult r;
  const int status = std::system(command.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text_file(out_file);
  r.err = read_text_file(err_file);
  return r;
}

}  // namespace cytopipe::test
