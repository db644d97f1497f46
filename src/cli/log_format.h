// Log lines of kwctl and policy-server, whatever they interpolate: policy ids and URIs from
// configuration files, guests' own log messages, request fields, error texts. Any of these may
// carry control characters; written raw, a newline forges a whole log line, a carriage return
// hides one, and an escape sequence drives the reader's terminal. So the formatter escapes the
// message itself, once for every log call: no call site can forget.
//
//   - Text lines (kText): \n, \r and \t as those two-character escapes; every other C0
//     control, DEL, the C1 controls U+0080..U+009F and the Unicode line and paragraph
//     separators U+2028/U+2029 as \xHH or \u{HHHH}; bytes that are not UTF-8 as \xHH. Backslashes
//     stay as they are, so paths and regular expressions read as written (a literal "\n" in the
//     input is then two ordinary characters, never a line break).
//   - Text that may span lines (kTextLines, for error messages, some of which list what failed
//     on lines of their own): as kText, but \n is kept.
//   - JSON strings (kJson): RFC 8259's escapes for `"`, `\` and C0, and \u00HH for DEL and
//     C1 too (valid JSON either way, but a terminal showing the raw line would act on them);
//     bytes that are not UTF-8 become U+FFFD, so every line stays valid JSON.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/pattern_formatter.h>

namespace kw::cli {

enum class Escaping { kText, kTextLines, kJson };

// Appends `text`, escaped for `escaping`, to `out`.
void AppendEscaped(std::string_view text, Escaping escaping, spdlog::memory_buf_t& out);

// `text` escaped for a text line (kText).
std::string EscapeForText(std::string_view text);

// Prints `Error: <message>` on stderr, the message escaped as kTextLines: what ends a failed run
// is as safe to show as the log lines before it, and keeps the lines it is made of.
void PrintError(std::string_view message);

// A pattern flag writing the log message escaped: register it on a spdlog::pattern_formatter
// (`add_flag<EscapedMessageFlag>('*', Escaping::kText)`) and use it in place of `%v`.
class EscapedMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit EscapedMessageFlag(Escaping escaping) : escaping_(escaping) {}
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override;
  std::unique_ptr<custom_flag_formatter> clone() const override;

 private:
  Escaping escaping_;
};

}  // namespace kw::cli
