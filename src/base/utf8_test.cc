#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace kw {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST(DecodeUtf8, ReadsOneSequenceOfEachLength) {
  EXPECT_EQ(DecodeUtf8("a")->code_point, U'a');
  EXPECT_EQ(DecodeUtf8("\xC3\xA9x")->code_point, U'\u00E9');
  EXPECT_EQ(DecodeUtf8("\xC3\xA9x")->length, 2u);
  EXPECT_EQ(DecodeUtf8("\xE2\x82\xAC")->code_point, U'\u20AC');
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80")->code_point, U'\U0001F600');
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80")->length, 4u);
}

TEST(DecodeUtf8, RefusesWhatIsNotWellFormed) {
  EXPECT_FALSE(DecodeUtf8(""));
  EXPECT_FALSE(DecodeUtf8("\x80"));              // a stray continuation byte
  EXPECT_FALSE(DecodeUtf8("\xC3"));              // truncated
  EXPECT_FALSE(DecodeUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(DecodeUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(DecodeUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(DecodeUtf8("\xFF"));
}

TEST(Utf8, ValidatesAndCountsAsGoDoes) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("plain \xC3"));
  EXPECT_EQ(CountRunes("\xC3\xA9t\xC3\xA9"), 3u);
  EXPECT_EQ(CountRunes("a\xFF\xFE" "b"), 4u);  // each stray byte is a rune
}

TEST(ToValidUtf8, ReplacesEachStrayByteAndKeepsTheRest) {
  EXPECT_EQ(ToValidUtf8(""), "");
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("\xFF"), kReplacement);
  EXPECT_EQ(ToValidUtf8("a\xFF\xFE" "b"), "a" + kReplacement + kReplacement + "b");
  // A truncated sequence is one stray byte, then whatever follows it.
  EXPECT_EQ(ToValidUtf8("\xE2\x82" "x\xC3\xA9"), kReplacement + kReplacement + "x\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("end\xC3"), "end" + kReplacement);
  const std::string long_text(100000, 'a');
  EXPECT_EQ(ToValidUtf8(long_text + "\x80" + long_text), long_text + kReplacement + long_text);
}

TEST(Latin1StraysToUtf8, ReadsStrayBytesAsLatin1) {
  EXPECT_EQ(Latin1StraysToUtf8("a\x85" "b\xA0"), "a\xC2\x85" "b\xC2\xA0");
  EXPECT_EQ(Latin1StraysToUtf8("\xC3\xA9\xFF"), "\xC3\xA9\xC3\xBF");
}

}  // namespace
}  // namespace kw
