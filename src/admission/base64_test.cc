#include "base/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace kw {
namespace {

struct Vector {
  const char* plain;
  const char* encoded;
};

// RFC 4648 §10.
constexpr Vector kRfc4648Vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64Test, EncodesRfc4648Vectors) {
  for (const auto& v : kRfc4648Vectors) EXPECT_EQ(Base64Encode(v.plain), v.encoded) << v.plain;
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  for (const auto& v : kRfc4648Vectors) {
    auto decoded = Base64Decode(v.encoded);
    ASSERT_TRUE(decoded.has_value()) << v.encoded << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, v.plain);
  }
}

TEST(Base64Test, UsesTheStandardAlphabet) {
  EXPECT_EQ(Base64Encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(Base64Encode(std::string("\0\0\0", 3)), "AAAA");
  EXPECT_EQ(*Base64Decode("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64Test, RoundTripsEveryByteAtEveryAlignment) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 1) {
    const std::string plain = all.substr(all.size() - len);
    const std::string encoded = Base64Encode(plain);
    EXPECT_EQ(encoded.size(), (len + 2) / 3 * 4);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64Test, EncodeAppendKeepsThePrefix) {
  std::string out = "prefix:";
  Base64EncodeAppend("foobar", out);
  EXPECT_EQ(out, "prefix:Zm9vYmFy");
}

TEST(Base64Test, RejectsMalformedInput) {
  for (const char* bad : {
           "Zg",        // unpadded
           "Zg=",       // length not a multiple of 4
           "Zg==Zg==",  // padding in the middle
           "Z===",      // too much padding
           "====",      // padding only
           "=Zm9",      // padding first
           "Zm9v\n",    // whitespace
           "Zm 9",      // space
           "Zm-_",      // URL-safe alphabet
           "Zh==",      // non-zero trailing bits
           "Zm9=",      // non-zero trailing bits with one pad
           "Zm9v*A==",  // symbol outside the alphabet
       }) {
    auto decoded = Base64Decode(bad);
    ASSERT_FALSE(decoded.has_value()) << bad;
    EXPECT_EQ(decoded.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_TRUE(decoded.error().message.starts_with("invalid base64")) << decoded.error().message;
  }
}

TEST(Base64Test, RejectsNonAsciiBytes) {
  EXPECT_FALSE(Base64Decode("Zm9\xc3").has_value());
  EXPECT_FALSE(Base64Decode(std::string("Zm9\0", 4)).has_value());
}

}  // namespace
}  // namespace kw
