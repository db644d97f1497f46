#include "cli/log_format.h"

#include <gtest/gtest.h>

namespace kw::cli {
namespace {

std::string Json(std::string_view text) {
  spdlog::memory_buf_t out;
  AppendEscaped(text, Escaping::kJson, out);
  return std::string(out.data(), out.size());
}

TEST(EscapeForText, ControlCharactersCannotBreakOrForgeALine) {
  EXPECT_EQ(EscapeForText("a\nb\r\tc"), "a\\nb\\r\\tc");
  EXPECT_EQ(EscapeForText("x\x1b[31mred\x07\x7f"), "x\\x1b[31mred\\x07\\x7f");
  EXPECT_EQ(EscapeForText(std::string("nul\0!", 5)), "nul\\x00!");
  // C1 controls as UTF-8 (U+009B is a one-byte CSI for some terminals) and the Unicode line
  // separators.
  EXPECT_EQ(EscapeForText("\xc2\x9b" "2J \xe2\x80\xa8 \xe2\x80\xa9"),
            "\\u{009b}2J \\u{2028} \\u{2029}");
  // Bytes that are not UTF-8 (a raw 0x9b is CSI to a Latin-1 terminal).
  EXPECT_EQ(EscapeForText("\x9b\xff\xc3"), "\\x9b\\xff\\xc3");
}

TEST(EscapeForTextLines, KeepsLineBreaksAndEscapesTheRest) {
  spdlog::memory_buf_t out;
  AppendEscaped("first\nsecond\r\x1b[K\tthird", Escaping::kTextLines, out);
  EXPECT_EQ(std::string(out.data(), out.size()), "first\nsecond\\r\\x1b[K\\tthird");
}

TEST(EscapeForText, PrintableTextIsUntouched) {
  for (std::string_view text : {"plain policy id", "C:\\path\\n and \"quotes\"", "héllo ☃ 𝄞"}) {
    EXPECT_EQ(EscapeForText(text), text);
  }
}

TEST(EscapeForJson, EveryLineStaysOneValidJsonString) {
  EXPECT_EQ(Json("a\"b\\c\nd\re\tf"), "a\\\"b\\\\c\\nd\\re\\tf");
  EXPECT_EQ(Json("\x1b\x7f\xc2\x85"), "\\u001b\\u007f\\u0085");
  EXPECT_EQ(Json("ok \xff end"), "ok \\ufffd end");
  EXPECT_EQ(Json("héllo \xe2\x80\xa8"), "héllo \xe2\x80\xa8");  // valid JSON as it is
}

}  // namespace
}  // namespace kw::cli
