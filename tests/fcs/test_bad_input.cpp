// Broken files: each gets an FcsError naming the file and the fault, never a crash, a hang or a
// read past the buffer (run this suite under -DCYTOPIPE_SANITIZE=ON too).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "cytopipe/fcs/event_blocks.hpp"
#include "cytopipe/fcs/reader.hpp"
#include "fcs_builder.hpp"
#include "support/shared_data.hpp"

namespace {

using namespace cytopipe::test;
using cytopipe::fcs::FcsError;
using cytopipe::fcs::FcsErrorKind;

struct Outcome {
  bool ok = false;
  FcsErrorKind kind = FcsErrorKind::Other;
  std::string message;
};

Outcome attempt(std::span<const std::byte> bytes, cytopipe::fcs::ReadOptions options = {}) {
  Outcome out;
  try {
    auto s = cytopipe::fcs::read_fcs(bytes, "bad.fcs", options);
    out.ok = true;
    // A clean read is whole: every channel has every event.
    EXPECT_EQ(s.events.channels(), s.channels.size());
  } catch (const FcsError& e) {
    out.kind = e.kind();
    out.message = e.what();
    EXPECT_EQ(e.context().file, "bad.fcs");
    EXPECT_FALSE(e.message().empty());
  }
  return out;
}

Outcome attempt(const FcsBuild& b) { return attempt(build_fcs(b)); }

FcsBuild good() {
  auto b = basic_fcs("I", 2, 3, 16, "1024");
  for (int i = 0; i < 6; ++i) put_le(b.data, 100 + i, 2);
  return b;
}

TEST(BadInput, GoodFileReads) { EXPECT_TRUE(attempt(good()).ok); }

TEST(BadInput, NotFcsAndTooShort) {
  std::string text = "oi21j0 not an fcs file";
  auto r = attempt(std::as_bytes(std::span(text)));
  EXPECT_EQ(r.kind, FcsErrorKind::NotFcs);
  EXPECT_NE(r.message.find("oi21j0"), std::string::npos);
  std::string shorter = "FCS3.1    ";
  EXPECT_EQ(attempt(std::as_bytes(std::span(shorter))).kind, FcsErrorKind::Truncated);
  EXPECT_EQ(attempt(std::span<const std::byte>()).kind, FcsErrorKind::NotFcs);
}

TEST(BadInput, OffsetsPastTheEnd) {
  auto b = good();
  b.header_data = std::pair<std::uint64_t, std::uint64_t>{300, 5000};
  b.text_data = b.header_data;
  auto r = attempt(b);
  EXPECT_EQ(r.kind, FcsErrorKind::Truncated);
  EXPECT_NE(r.message.find("300-5000"), std::string::npos) << r.message;
}

TEST(BadInput, ParZeroOrHuge) {
  auto b = good();
  b.set("$PAR", "0");
  EXPECT_EQ(attempt(b).kind, FcsErrorKind::BadKeyword);
  b.set("$PAR", "999999999999");
  auto r = attempt(b);
  EXPECT_EQ(r.kind, FcsErrorKind::BadKeyword);
  EXPECT_NE(r.message.find("$PAR"), std::string::npos);
  b.set("$PAR", "3");  // says 3, TEXT describes 2
  r = attempt(b);
  EXPECT_EQ(r.kind, FcsErrorKind::BadKeyword);
  EXPECT_NE(r.message.find("$P3B"), std::string::npos) << r.message;
}

TEST(BadInput, TotLargerThanData) {
  auto b = good();
  b.set("$TOT", "1000000000000");
  auto r = attempt(b);
  EXPECT_EQ(r.kind, FcsErrorKind::TotMismatch);
  EXPECT_NE(r.message.find("1000000000000"), std::string::npos) << r.message;
  b.set("$TOT", "4");
  r = attempt(b);
  EXPECT_EQ(r.kind, FcsErrorKind::TotMismatch);
  EXPECT_NE(r.message.find("holds 3 events"), std::string::npos) << r.message;
}

TEST(BadInput, MissingRequiredKeywords) {
  for (const char* keyword : {"$DATATYPE", "$PAR", "$BYTEORD", "$P1B", "$P2N"}) {
    auto b = good();
    b.remove(keyword);
    auto r = attempt(b);
    EXPECT_EQ(r.kind, FcsErrorKind::BadKeyword) << keyword;
    EXPECT_NE(r.message.find(keyword), std::string::npos) << r.message;
  }
}

TEST(BadInput, MalformedChannelKeywords) {
  auto b = good();
  b.set("$P1B", "sixteen");
  EXPECT_EQ(attempt(b).kind, FcsErrorKind::BadKeyword);
  b = good();
  b.set("$P2R", "0");
  auto r = attempt(b);
  EXPECT_EQ(r.kind, FcsErrorKind::BadKeyword);
  EXPECT_NE(r.message.find("$P2R"), std::string::npos) << r.message;
  b = good();
  b.set("$P1R", "8589934592");  // 2^33
  EXPECT_EQ(attempt(b).kind, FcsErrorKind::BadKeyword);
  b = good();
  b.set("$DATATYPE", "F");  // $PnB 16 with float
  EXPECT_EQ(attempt(b).kind, FcsErrorKind::BadKeyword);
  b = good();
  b.set("$BYTEORD", "1,1");
  EXPECT_EQ(attempt(b).kind, FcsErrorKind::BadKeyword);
  b = good();
  b.set("$MODE", "H");
  EXPECT_EQ(attempt(b).kind, FcsErrorKind::UnsupportedMode);
}

TEST(BadInput, UnterminatedText) {
  auto b = good();
  b.text_override = "/$BEGINDATA/0/$ENDDATA/0/$PAR/2/$TOT/3/$DATATYPE/I/$BYTEORD/1,2/$P1B/16/$P1N/A/$P2B";
  auto r = attempt(b);
  EXPECT_FALSE(r.ok);
}

TEST(BadInput, TruncatedAtEveryByteOfASmallFile) {
  auto bytes = build_fcs(good());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = attempt(std::span(bytes).first(n));
    EXPECT_FALSE(r.ok) << "truncated to " << n << " bytes";
  }
}

// Every corpus file cut at many points, and with bytes mutated: a clean error or a clean read.
TEST(BadInput, CorpusTruncatedAndMutated) {
  CYTOPIPE_SHARED_OR_SKIP(dir, "fcs_corpus");
  std::mt19937_64 random(20240611);
  std::size_t files = 0, reads = 0, errors = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".fcs") continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(raw.size());
    std::memcpy(bytes.data(), raw.data(), raw.size());
    // Cut points: every byte of HEADER and the start of TEXT, then spread over the file.
    std::vector<std::size_t> cuts;
    for (std::size_t n = 0; n < std::min<std::size_t>(bytes.size(), 300); n += 7) cuts.push_back(n);
    for (int i = 1; i < 40; ++i) cuts.push_back(bytes.size() * static_cast<std::size_t>(i) / 40);
    cuts.push_back(bytes.size() > 0 ? bytes.size() - 1 : 0);
    for (auto n : cuts) {
      auto r = attempt(std::span(bytes).first(std::min(n, bytes.size())));
      r.ok ? ++reads : ++errors;
    }
    // Mutations: bytes in HEADER and TEXT (where the structure is), a few in DATA.
    const std::size_t text_zone = std::min<std::size_t>(bytes.size(), 6000);
    for (int i = 0; i < 60 && text_zone > 0; ++i) {
      auto mutated = bytes;
      const int changes = 1 + static_cast<int>(random() % 4);
      for (int k = 0; k < changes; ++k) {
        const std::size_t at = random() % (i % 5 == 0 ? mutated.size() : text_zone);
        static const char interesting[] = {'0', '9', '/', '\\', '|', ' ', '\0', '\xff', ',', '*', 'A', '-'};
        mutated[at] = static_cast<std::byte>(random() % 2 ? interesting[random() % sizeof interesting]
                                                           : static_cast<char>(random()));
      }
      auto r = attempt(mutated);
      r.ok ? ++reads : ++errors;
    }
  }
  EXPECT_GT(files, 0u);
  EXPECT_GT(errors, 0u);
  EXPECT_GT(reads, 0u);
}

}  // namespace

// A FIFO given as an FCS file is refused without being opened for reading, so a writer waiting
// to open it stays waiting (a moment's open with O_NONBLOCK let it in).
TEST(BadInput, FifoRefusedWithoutOpeningIt) {
  const auto fifo = std::filesystem::temp_directory_path() / ("cytopipe_fifo_" + std::to_string(::getpid()) + ".fcs");
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::atomic<bool> writer_in{false};
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);  // blocks until a reader opens the FIFO
    writer_in = true;
    if (fd >= 0) ::close(fd);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer waits in open()
  for (int i = 0; i < 2; ++i) {
    try {
      if (i == 0) (void)cytopipe::fcs::read_fcs(fifo);
      else (void)cytopipe::fcs::EventBlocks(fifo);
      ADD_FAILURE() << "a FIFO was read";
    } catch (const FcsError& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file (a FIFO)"), std::string::npos) << e.what();
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(writer_in) << "the FIFO was opened for reading";
  const int release = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // lets the writer finish
  writer.join();
  if (release >= 0) ::close(release);
  std::filesystem::remove(fifo);
}
