#include "cli/log_format.h"

#include <cstdio>

#include "base/utf8.h"

namespace kw::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void Append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

// \xHH: a control byte or a byte that is not UTF-8, in text.
void AppendByteEscape(spdlog::memory_buf_t& out, unsigned char byte) {
  const char escaped[] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
  out.append(escaped, escaped + sizeof escaped);
}

// \uHHHH (JSON) or \u{HHHH} (text).
void AppendCodePointEscape(spdlog::memory_buf_t& out, char32_t code_point, bool json) {
  const char digits[] = {kHex[(code_point >> 12) & 15], kHex[(code_point >> 8) & 15],
                         kHex[(code_point >> 4) & 15], kHex[code_point & 15]};
  Append(out, json ? "\\u" : "\\u{");
  out.append(digits, digits + sizeof digits);
  if (!json) out.push_back('}');
}

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7f && c <= 0x9f); }

}  // namespace

void AppendEscaped(std::string_view text, Escaping escaping, spdlog::memory_buf_t& out) {
  const bool json = escaping == Escaping::kJson;
  while (!text.empty()) {
    std::optional<Utf8Sequence> sequence = DecodeUtf8(text);
    if (!sequence) {
      if (json) {
        Append(out, "\\ufffd");
      } else {
        AppendByteEscape(out, static_cast<unsigned char>(text.front()));
      }
      text.remove_prefix(1);
      continue;
    }
    const char32_t c = sequence->code_point;
    std::string_view raw = text.substr(0, sequence->length);
    text.remove_prefix(sequence->length);
    switch (c) {
      case '\n':
        if (escaping == Escaping::kTextLines) {
          out.push_back('\n');
        } else {
          Append(out, "\\n");
        }
        continue;
      case '\r': Append(out, "\\r"); continue;
      case '\t': Append(out, "\\t"); continue;
      case '"':
      case '\\':
        if (json) out.push_back('\\');
        out.push_back(static_cast<char>(c));
        continue;
      default: break;
    }
    if (IsControl(c) || (!json && (c == 0x2028 || c == 0x2029))) {
      if (json || c >= 0x80) {
        AppendCodePointEscape(out, c, json);
      } else {
        AppendByteEscape(out, static_cast<unsigned char>(c));
      }
    } else {
      Append(out, raw);
    }
  }
}

std::string EscapeForText(std::string_view text) {
  spdlog::memory_buf_t out;
  AppendEscaped(text, Escaping::kText, out);
  return std::string(out.data(), out.size());
}

void PrintError(std::string_view message) {
  spdlog::memory_buf_t out;
  Append(out, "Error: ");
  AppendEscaped(message, Escaping::kTextLines, out);
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

void EscapedMessageFlag::format(const spdlog::details::log_msg& msg, const std::tm&,
                                spdlog::memory_buf_t& dest) {
  AppendEscaped(std::string_view(msg.payload.data(), msg.payload.size()), escaping_, dest);
}

std::unique_ptr<spdlog::custom_flag_formatter> EscapedMessageFlag::clone() const {
  return std::make_unique<EscapedMessageFlag>(escaping_);
}

}  // namespace kw::cli
