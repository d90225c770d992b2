// SHA-256 against the FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf" examples).
#include <gtest/gtest.h>

#include <string>

#include "cytopipe/pipeline/sha256.hpp"
#include "tiny_batch.hpp"

using cytopipe::pipeline::Sha256;
using cytopipe::pipeline::sha256_file;
using cytopipe::pipeline::sha256_hex;

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAsInUnevenChunksAndFromFile) {
  Sha256 h;
  const std::string chunk(997, 'a');  // a prime length crosses block boundaries everywhere
  std::size_t left = 1000000;
  while (left > 0) {
    const std::size_t n = std::min(left, chunk.size());
    h.update(std::string_view(chunk.data(), n));
    left -= n;
  }
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  EXPECT_EQ(h.hex(), expected);

  cytopipe::pipeline::test::TempDir dir;
  cytopipe::pipeline::test::write_text(dir / "a.txt", std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(dir / "a.txt"), expected);
  EXPECT_THROW(sha256_file(dir / "missing.txt"), cytopipe::Error);
}
