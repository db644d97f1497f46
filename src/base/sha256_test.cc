#include "base/sha256.h"

#include <gtest/gtest.h>

namespace kw {
namespace {

TEST(Sha256, KnownVectors) {
  // FIPS 180-2 appendix B.1 and the empty string.
  EXPECT_EQ(Sha256Hex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(Sha256(AsBytes(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, PartsHashAsTheirConcatenation) {
  EXPECT_EQ(Sha256({AsBytes("a"), AsBytes(""), AsBytes("bc")}), Sha256(AsBytes("abc")));
}

}  // namespace
}  // namespace kw
