#include "support/shared_data.hpp"

#include <cstdlib>
#include <string_view>

namespace cytopipe::test {

std::filesystem::path source_dir() { return CYTOPIPE_SOURCE_DIR; }

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("CYTOPIPE_SHARED")) return env;
  return source_dir().parent_path() / "shared";
}

bool running_on_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) != "" && std::string_view(ci) != "false" &&
         std::string_view(ci) != "0";
}

std::filesystem::path shared_file_or_report(const std::string& relative) {
  auto path = shared_dir() / relative;
  if (std::filesystem::exists(path)) return path;
  if (running_on_ci()) {
    ADD_FAILURE() << "missing reference data " << path << " (CI must have ../shared beside the checkout)";
  } else {
    GTEST_MESSAGE_("reference data ../shared is not beside this checkout; skipping",
                   ::testing::TestPartResult::kSkip);
  }
  return {};
}

}  // namespace cytopipe::test
