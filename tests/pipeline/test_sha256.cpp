// SHA-256 against the FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf" examples), for both
// engines (portable and SHA-NI), and the two engines against each other on random buffers.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cytopipe/pipeline/sha256.hpp"
#include "tiny_batch.hpp"

using cytopipe::pipeline::Sha256;
using cytopipe::pipeline::sha256_file;
using cytopipe::pipeline::sha256_hex;

namespace {

std::vector<Sha256::Engine> engines() {
  std::vector<Sha256::Engine> out = {Sha256::Engine::Portable};
  if (Sha256::sha_ni_available()) out.push_back(Sha256::Engine::ShaNi);
  return out;
}

std::string digest(Sha256::Engine engine, std::string_view text) {
  Sha256 h(engine);
  h.update(text);
  return h.hex();
}

std::string digest(Sha256::Engine engine, std::span<const std::byte> bytes) {
  Sha256 h(engine);
  h.update(bytes);
  return h.hex();
}

}  // namespace

TEST(Sha256, FipsExamplesBothEngines) {
  for (auto engine : engines()) {
    SCOPED_TRACE(engine == Sha256::Engine::ShaNi ? "SHA-NI" : "portable");
    EXPECT_EQ(digest(engine, ""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(digest(engine, "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 448 bits: the padding needs a second block.
    EXPECT_EQ(digest(engine, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // 896 bits: two message blocks.
    EXPECT_EQ(digest(engine, "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                             "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(digest(engine, std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(Sha256, AutoPicksShaNiWhenTheCpuHasIt) {
  Sha256 h;
  EXPECT_EQ(h.engine(), Sha256::sha_ni_available() ? Sha256::Engine::ShaNi : Sha256::Engine::Portable);
  if (!Sha256::sha_ni_available()) {
    EXPECT_THROW(Sha256(Sha256::Engine::ShaNi), cytopipe::Error);
    GTEST_SKIP() << "this CPU has no SHA extensions: only the portable engine was tested";
  }
}

TEST(Sha256, EnginesAgreeOnRandomBuffers) {
  if (!Sha256::sha_ni_available()) GTEST_SKIP() << "this CPU has no SHA extensions";
  std::mt19937_64 rng(20240611);
  std::vector<std::byte> data(3 * 1024 * 1024 + 17);
  for (auto& b : data) b = static_cast<std::byte>(rng() & 0xff);
  const std::span<const std::byte> all(data);
  // Every length around the block and padding boundaries, at unaligned starts.
  for (std::size_t n = 0; n <= 300; ++n) {
    const auto piece = all.subspan(n % 7, n);
    ASSERT_EQ(digest(Sha256::Engine::ShaNi, piece), digest(Sha256::Engine::Portable, piece)) << "length " << n;
  }
  // A few MB, once in one update and once in uneven chunks.
  const std::string whole = digest(Sha256::Engine::Portable, all);
  EXPECT_EQ(digest(Sha256::Engine::ShaNi, all), whole);
  Sha256 chunked(Sha256::Engine::ShaNi);
  std::size_t at = 0;
  while (at < data.size()) {
    const std::size_t n = std::min<std::size_t>(data.size() - at, 1 + rng() % 5000);
    chunked.update(all.subspan(at, n));
    at += n;
  }
  EXPECT_EQ(chunked.hex(), whole);
}

TEST(Sha256, MillionAsInUnevenChunksAndFromFile) {
  for (auto engine : engines()) {
    Sha256 h(engine);
    const std::string chunk(997, 'a');  // a prime length crosses block boundaries everywhere
    std::size_t left = 1000000;
    while (left > 0) {
      const std::size_t n = std::min(left, chunk.size());
      h.update(std::string_view(chunk.data(), n));
      left -= n;
    }
    EXPECT_EQ(h.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
  cytopipe::pipeline::test::TempDir dir;
  cytopipe::pipeline::test::write_text(dir / "a.txt", std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(dir / "a.txt"), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_THROW(sha256_file(dir / "missing.txt"), cytopipe::Error);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
