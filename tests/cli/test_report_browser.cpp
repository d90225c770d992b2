// report.html as a browser shows it: headless Chromium loads the report of the Fig. 3 run and
// screenshots it; the page must load with no console message (the report has no script and no
// external resource, so any message is a fault: a failed load, a parse error) and must not be
// blank. Skipped with a message where Chromium is not installed; a failure when CI is set (CI
// installs it: scripts/install-deps.sh).
#include <gtest/gtest.h>

#include <cairo.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/tiny_batch.hpp"
#include "support/cli_run.hpp"
#include "support/shared_data.hpp"

namespace {

namespace fs = std::filesystem;

std::string find_chromium() {
  if (const char* given = std::getenv("CYTOPIPE_CHROMIUM"); given && *given) return given;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
      if (!dir.empty() && fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
  return {};
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(ReportInBrowser, LoadsWithoutConsoleErrorsAndIsNotBlank) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    if (std::getenv("CI")) FAIL() << "CI is set but chromium is not installed (scripts/install-deps.sh installs it)";
    GTEST_SKIP() << "chromium not installed: report.html not rendered in a browser (apt-get install chromium)";
  }
  cytopipe::pipeline::test::TempDir dir;
  const fs::path out = dir / "out";
  const auto run = cytopipe::test::run_cytopipe(
      {"run", "-q", "--no-hash", (cytopipe::test::source_dir() / "pipelines" / "fig3_selinexor.yaml").string(), "-o",
       out.string()},
      dir / "cli");
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_TRUE(fs::exists(out / "report.html"));

  const fs::path png = dir / "report.png", log = dir / "chromium.log";
  // Background networking off and a profile of its own; --enable-logging=stderr --v=0 puts every
  // console message on stderr as "...:CONSOLE...".
  const std::string command =
      "timeout 300 " + quoted(chromium) +
      " --headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage"
      " --no-first-run --hide-scrollbars --user-data-dir=" + quoted((dir / "profile").string()) +
      " --enable-logging=stderr --v=0 --window-size=1200,2400 --screenshot=" + quoted(png.string()) + " " +
      quoted("file://" + fs::absolute(out / "report.html").string()) + " > " + quoted(log.string()) + " 2>&1";
  const int status = std::system(command.c_str());
  const std::string messages = cytopipe::test::read_text_file(log);
  ASSERT_EQ(status, 0) << command << "\n" << messages;
  std::vector<std::string> console;
  std::stringstream lines(messages);
  for (std::string line; std::getline(lines, line);)
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos)
      console.push_back(line);
  EXPECT_TRUE(console.empty()) << "console messages:\n" << console.front();
  ASSERT_TRUE(fs::exists(png)) << messages;

  // Not blank: the screenshot has the window's size and a good share of ink (text, tables, figures).
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> image(
      cairo_image_surface_create_from_png(png.c_str()), cairo_surface_destroy);
  ASSERT_EQ(cairo_surface_status(image.get()), CAIRO_STATUS_SUCCESS);
  const int w = cairo_image_surface_get_width(image.get()), h = cairo_image_surface_get_height(image.get());
  EXPECT_EQ(w, 1200);
  EXPECT_EQ(h, 2400);
  const int stride = cairo_image_surface_get_stride(image.get());
  const unsigned char* data = cairo_image_surface_get_data(image.get());
  std::size_t inked = 0, coloured = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const auto pixel = *reinterpret_cast<const std::uint32_t*>(data + y * stride + x * 4);
      const int r = (pixel >> 16) & 0xff, g = (pixel >> 8) & 0xff, b = pixel & 0xff;
      inked += r + g + b < 600;
      coloured += std::max({r, g, b}) - std::min({r, g, b}) > 60;  // figures: bars, densities
    }
  const double area = static_cast<double>(w) * h;
  EXPECT_GT(inked / area, 0.01) << "the screenshot is (nearly) blank";
  EXPECT_GT(coloured, 500u) << "no figure colour in the first screen";
}

}  // namespace
