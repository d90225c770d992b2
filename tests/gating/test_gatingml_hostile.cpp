// Hostile Gating-ML: the classic XML attacks are refused with a message naming the file, and
// none of them makes the reader expand, load or connect anything.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "cytopipe/gating/gating.hpp"
#include "cytopipe/gating/io.hpp"

namespace {

using namespace cytopipe::gating;
using cytopipe::Error;

const std::string kRoot =
    "<gating:Gating-ML xmlns:gating=\"http://www.isac-net.org/std/Gating-ML/v2.0/gating\" "
    "xmlns:data-type=\"http://www.isac-net.org/std/Gating-ML/v2.0/datatypes\">\n";
// A one-gate document whose gate id is `id` (where an entity reference goes).
std::string document(const std::string& prolog, const std::string& id) {
  return "<?xml version=\"1.0\"?>\n" + prolog + kRoot + "<gating:RectangleGate gating:id=\"r\">" + id +
         "<gating:dimension gating:min=\"1\"><data-type:fcs-dimension data-type:name=\"A\"/></gating:dimension>"
         "</gating:RectangleGate>\n</gating:Gating-ML>\n";
}

// The Error's text (the test fails if `f` does not throw one).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return {};
}

void expect_contains(const std::string& text, std::initializer_list<std::string> parts) {
  for (const auto& p : parts) EXPECT_NE(text.find(p), std::string::npos) << "'" << p << "' not in: " << text;
}

TEST(HostileGatingML, PlainDocumentStillReads) {  // the hooks leave ordinary documents alone
  const auto s = parse_gatingml(document("", ""), "ok.xml");
  ASSERT_EQ(s.populations().size(), 1u);
  EXPECT_EQ(s.populations()[0].name, "r");
}

TEST(HostileGatingML, BillionLaughsIsRefusedAtTheDeclaration) {
  std::string dtd = "<!DOCTYPE gating:Gating-ML [\n<!ENTITY lol \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    dtd += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    dtd += "\">\n";
  }
  dtd += "]>\n";
  const auto what = error_of([&] { parse_gatingml(document(dtd, "&lol9;"), "laughs.xml"); });
  expect_contains(what, {"laughs.xml:3", "entity 'lol' declared", "refused"});
}

TEST(HostileGatingML, QuadraticBlowUpIsRefused) {
  // One 20 kB entity referenced 20,000 times (60 KB of references, 80 KB in all): 400 MB if
  // expanded, again each time a text node is read. Refused at the declaration, before any
  // reference.
  const std::string big(20000, 'a');
  std::string refs;
  for (int i = 0; i < 20000; ++i) refs += "&a;";
  const std::string doc = document("<!DOCTYPE gating:Gating-ML [<!ENTITY a \"" + big + "\">]>\n",
                                   "<gating:custom_info>" + refs + "</gating:custom_info>");
  EXPECT_GT(doc.size(), 80000u);
  const auto what = error_of([&] { parse_gatingml(doc, "quadratic.xml"); });
  expect_contains(what, {"quadratic.xml:2", "entity 'a' declared"});
}

TEST(HostileGatingML, ParameterEntityIsRefused) {
  const auto what = error_of([&] {
    parse_gatingml(document("<!DOCTYPE g [<!ENTITY % p \"<!ENTITY x 'y'>\"> %p;]>\n", "&x;"), "param.xml");
  });
  expect_contains(what, {"param.xml", "entity 'p' declared"});
}

// A TCP listener on a free local port: connected() says whether anyone connected.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      ADD_FAILURE() << "no local listener";
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  bool connected() const {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c >= 0) ::close(c);
    return c >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A FIFO that records whether anything opened it for reading (a reader blocked in open() is
// released at once, so a regression fails the test instead of hanging it).
class WatchedFifo {
 public:
  explicit WatchedFifo(std::filesystem::path path) : path_(std::move(path)) {
    std::filesystem::remove(path_);
    EXPECT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    watcher_ = std::thread([this] {
      while (!done_) {
        const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0) {
          opened_ = true;
          ::close(fd);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  ~WatchedFifo() {
    done_ = true;
    watcher_.join();
    std::filesystem::remove(path_);
  }
  const std::filesystem::path& path() const { return path_; }
  bool opened() const { return opened_; }

 private:
  std::filesystem::path path_;
  std::atomic<bool> done_{false}, opened_{false};
  std::thread watcher_;
};

std::filesystem::path scratch_name(const std::string& stem) {
  return std::filesystem::temp_directory_path() / (stem + std::to_string(std::random_device{}()));
}

TEST(HostileGatingML, ExternalEntitiesTouchNoFileAndNoNetwork) {
  Listener listener;
  WatchedFifo fifo(scratch_name("cytopipe_xxe_fifo_"));
  const std::string url = "http://127.0.0.1:" + std::to_string(listener.port()) + "/x";

  auto what = error_of([&] {
    parse_gatingml(document("<!DOCTYPE g [<!ENTITY xxe SYSTEM \"file://" + fifo.path().string() + "\">]>\n", "&xxe;"),
                   "xxe.xml");
  });
  expect_contains(what, {"xxe.xml:2", "external entity 'xxe' declared", "refused"});
  what = error_of([&] {
    parse_gatingml(document("<!DOCTYPE g [<!ENTITY xxe SYSTEM \"" + url + "\">]>\n", "&xxe;"), "net.xml");
  });
  expect_contains(what, {"net.xml", "external entity 'xxe'"});
  what = error_of([&] { parse_gatingml(document("<!DOCTYPE g SYSTEM \"" + url + "\">\n", ""), "dtd.xml"); });
  expect_contains(what, {"dtd.xml:2", "external DTD", "refused"});
  what = error_of([&] {
    parse_gatingml(document("<!DOCTYPE g [<!ENTITY % remote SYSTEM \"" + url + "\"> %remote;]>\n", ""), "pe.xml");
  });
  expect_contains(what, {"pe.xml", "external entity 'remote'"});
  // A reference to an entity that was never declared is not looked up anywhere.
  what = error_of([&] { parse_gatingml(document("", "&undeclared;"), "undeclared.xml"); });
  expect_contains(what, {"undeclared.xml", "not well-formed"});

  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the watcher look once more
  EXPECT_FALSE(fifo.opened()) << "an external entity was opened";
  EXPECT_FALSE(listener.connected()) << "the reader connected to the network";
}

TEST(HostileGatingML, XIncludeIsRefusedNotFollowed) {
  WatchedFifo fifo(scratch_name("cytopipe_xinclude_fifo_"));
  const std::string include = "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"" +
                              fifo.path().string() + "\" parse=\"text\"/>";
  const auto what = error_of([&] { parse_gatingml(document("", include), "xinclude.xml"); });
  expect_contains(what, {"xinclude.xml:3", "XInclude", "refused"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(fifo.opened());
}

TEST(HostileGatingML, DeepNestingIsRefused) {
  std::string open, close;
  for (std::size_t i = 0; i < kMaxGatingMlDepth; ++i) {
    open += "<w>";
    close += "</w>";
  }
  const auto what = error_of([&] { parse_gatingml(document("", open + close), "deep.xml"); });
  expect_contains(what, {"deep.xml:3", "nested deeper than 64"});
  // One level less (root + gate + the wrappers = 66 levels would be refused; 62 wrappers is 64).
  std::string ok_open, ok_close;
  for (std::size_t i = 0; i + 2 < kMaxGatingMlDepth; ++i) {
    ok_open += "<w>";
    ok_close += "</w>";
  }
  EXPECT_NO_THROW(parse_gatingml(document("", ok_open + ok_close), "deep_ok.xml"));
}

TEST(HostileGatingML, OversizedFileIsRefusedBeforeReading) {
  const auto file = scratch_name("cytopipe_huge_strategy_") += ".xml";
  {
    std::ofstream out(file);
    out << "<";
  }
  std::filesystem::resize_file(file, kMaxStrategyBytes + 1);  // sparse: no disk, no memory
  const auto what = error_of([&] { load_strategy(file); });
  std::filesystem::remove(file);
  expect_contains(what, {file.string(), std::to_string(kMaxStrategyBytes + 1) + " bytes", "limit"});
}

}  // namespace
