#include "admission/json_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "admission/json_text_blocks.h"
#include "base/json.h"

namespace kw::admission {
namespace {

using json_text_internal::BlockMasks;
using json_text_internal::ScanBlock;
using json_text_internal::ScanBlockBytewise;

bool operator==(const BlockMasks& a, const BlockMasks& b) {
  return a.quote == b.quote && a.backslash == b.backslash && a.open == b.open &&
         a.close == b.close;
}

TEST(ScanBlockTest, MatchesTheBytewiseScan) {
  std::mt19937 rng(1);
  std::string block(64, ' ');
  // Every byte value at every position, then random blocks heavy in the interesting bytes.
  for (int byte = 0; byte < 256; ++byte) {
    for (int i = 0; i < 64; ++i) block[i] = static_cast<char>((byte + i) % 256);
    ASSERT_TRUE(ScanBlock(block.data()) == ScanBlockBytewise(block.data())) << byte;
  }
  const std::string alphabet = "\"\\{}[]a {\xfb\xdb\x7b\x5b\x7d\x5d\x22\x5c\xa2";
  for (int round = 0; round < 2000; ++round) {
    for (char& c : block) c = alphabet[rng() % alphabet.size()];
    ASSERT_TRUE(ScanBlock(block.data()) == ScanBlockBytewise(block.data())) << block;
  }
  const std::string known = "\"\\{[}]x" + std::string(55, ' ') + "\"\\";
  ASSERT_EQ(known.size(), 64u);
  const BlockMasks m = ScanBlockBytewise(known.data());
  EXPECT_EQ(m.quote, (std::uint64_t{1} << 0) | (std::uint64_t{1} << 62));
  EXPECT_EQ(m.backslash, (std::uint64_t{1} << 1) | (std::uint64_t{1} << 63));
  EXPECT_EQ(m.open, std::uint64_t{0b1100});
  EXPECT_EQ(m.close, std::uint64_t{0b110000});
}

// The brackets outside strings of `text` (a multiple of 64 bytes), one byte at a time.
void NaiveBracketMasks(std::string_view text, std::vector<std::uint64_t>& opens,
                       std::vector<std::uint64_t>& closes) {
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 64 == 0) {
      opens.push_back(0);
      closes.push_back(0);
    }
    const char c = text[i];
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    // (Like the kernels, a backslash escapes the next byte inside strings or not: JSON has
    // none outside, and an escaped byte only matters when it is a quote.)
    const bool escaped_here = escaped;
    escaped = !escaped_here && c == '\\';
    if (c == '"') {
      if (!escaped_here) in_string = !in_string;
    } else if (!in_string && (c == '{' || c == '[')) {
      opens.back() |= bit;
    } else if (!in_string && (c == '}' || c == ']')) {
      closes.back() |= bit;
    }
  }
}

// Both kernels give the byte-at-a-time answer, over runs of blocks of every length, the state
// carried from one call to the next (strings and escapes across block boundaries).
TEST(BracketKernelTest, KernelsMatchTheNaiveScan) {
  std::vector<std::pair<const char*, json_text_internal::BracketKernel>> kernels = {
      {"portable", json_text_internal::BracketMasksPortable}};
#if defined(__x86_64__)
  if (json_text_internal::HasWideBracketKernel()) {
    kernels.emplace_back("avx2", json_text_internal::BracketMasksAvx2);
  }
#endif
  std::mt19937 rng(7);
  const std::string alphabet = "\"\\{}[]a :,\\\\\"\xfb\xdb\x7b\x5b\x7d\x5d\x22\x5c\xa2";
  for (int round = 0; round < 3000; ++round) {
    std::string text(64 * (1 + rng() % 20), ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    std::vector<std::uint64_t> want_opens, want_closes;
    NaiveBracketMasks(text, want_opens, want_closes);
    for (const auto& [name, kernel] : kernels) {
      json_text_internal::StringState state;
      std::vector<std::uint64_t> opens(want_opens.size()), closes(want_closes.size());
      for (std::size_t b = 0, run = 1 + rng() % 5; b < opens.size(); b += run) {
        const std::size_t n = std::min(run, opens.size() - b);
        kernel(text.data() + 64 * b, n, state, opens.data() + b, closes.data() + b);
      }
      ASSERT_EQ(opens, want_opens) << name << " " << text;
      ASSERT_EQ(closes, want_closes) << name << " " << text;
    }
  }
}

TEST(SkipJsonValueTest, Scalars) {
  const std::pair<std::string_view, std::size_t> kCases[] = {
      {"1", 1},          {"-1.5e+3,", 7},     {"true]", 4},   {"null }", 4},
      {R"("a")", 3},     {R"("a\"b" ,)", 6},  {R"("\\")", 4}, {R"("\\\"")", 6},
      {R"("]}")", 4},    {"\"\xc3\xa9\"", 4}, {"{}", 2},      {"[ ]", 3},
      {R"({"a":"}"})", 9}, {R"([["]"],{}])", 10},
  };
  for (const auto& [text, end] : kCases) EXPECT_EQ(SkipJsonValue(text, 0), end) << text;
}

// The obvious byte-at-a-time reading of the same contract, to compare against.
std::size_t NaiveSkip(std::string_view text, std::size_t pos) {
  if (pos >= text.size()) return kNoPos;
  const char first = text[pos];
  if (first != '"' && first != '{' && first != '[') return SkipJsonValue(text, pos);
  std::size_t depth = 0;
  bool in_string = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    // A backslash escapes the next byte even outside strings: that never happens in JSON, but
    // matters when a comparison starts inside a string.
    if (c == '\\') {
      ++pos;
    } else if (in_string) {
      if (c == '"') {
        in_string = false;
        if (depth == 0) return pos + 1;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && (depth == 0 || --depth == 0)) {
      return pos + 1;
    }
  }
  return kNoPos;
}

// SkipJsonValue against NaiveSkip from every quote and bracket of `text`, value starts or not.
void ExpectSameAsNaive(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c != '"' && c != '{' && c != '[') continue;
    ASSERT_EQ(SkipJsonValue(text, pos), NaiveSkip(text, pos)) << pos << " in " << text;
  }
}

TEST(SkipJsonValueTest, EscapesAcrossBlockBoundaries) {
  // The same tricky strings at every offset from the container's start, so that each of their
  // backslashes and quotes lands on both sides of a 64-byte boundary.
  const std::string tricky = R"("a\\\"}]\\\\" , "\\", "\"[{\"", "x\\\\\\\"y")";
  for (std::size_t pad = 0; pad < 140; ++pad) {
    const std::string text = "[" + std::string(pad, ' ') + tricky + "]   ,\"after\"";
    ASSERT_EQ(SkipJsonValue(text, 0), text.find("]   ,") + 1) << pad;
    ASSERT_EQ(SkipJsonValue(text, text.find('"')), text.find('"') + 13) << pad;
    ExpectSameAsNaive(text);
  }
}

TEST(SkipJsonValueTest, ManyBlocksDeep) {
  // Depth well above any block's count of closing brackets, then all the way down.
  const std::string text = std::string(300, '[') + std::string(300, ']') + "x";
  EXPECT_EQ(SkipJsonValue(text, 0), 600u);
  EXPECT_EQ(SkipJsonValue(text, 100), 500u);
}

TEST(SkipJsonValueTest, TruncatedOrMalformedTextNeverReadsOutside) {
  const std::string doc = R"({"a":[1,"x\"]",{"b":"\\"}],"c":"}"})";
  for (std::size_t n = 0; n < doc.size(); ++n) {
    // A copy of exactly n bytes, so that a sanitizer would catch any read past it.
    const std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), doc.data(), n);
    const std::string_view text(copy.get(), n);
    const std::size_t end = SkipJsonValue(text, 0);
    EXPECT_TRUE(end == kNoPos || end <= n) << n;
    JsonObjectText members(text, 0);
    (void)members.Value(1);
  }
  for (const std::string_view bad : {"]", "}}", "\"", "\"\\", "[\"\\", "{\"a\"", "{\"a\":"}) {
    const std::size_t end = SkipJsonValue(bad, 0);
    EXPECT_TRUE(end == kNoPos || end <= bad.size()) << bad;
  }
}

TEST(SkipJsonStringTest, SaysWhetherTheStringHasAnEscape) {
  bool escaped = true;
  EXPECT_EQ(SkipJsonString(R"("plain":1)", 0, escaped), 7u);
  EXPECT_FALSE(escaped);
  EXPECT_EQ(SkipJsonString(R"("a\"b",)", 0, escaped), 6u);
  EXPECT_TRUE(escaped);
  EXPECT_EQ(SkipJsonString(R"(x"a")", 1, escaped), 4u);
  EXPECT_FALSE(escaped);
  EXPECT_EQ(SkipJsonString("1", 0, escaped), kNoPos);  // not a string
  EXPECT_EQ(SkipJsonString(R"("open)", 0, escaped), kNoPos);
  EXPECT_EQ(SkipJsonString(R"("a\)", 0, escaped), kNoPos);
}

// Every container of `text` (its brackets outside strings), looked up outer ones first or inner
// ones first, ends where SkipJsonValue says; and again, from what the lookups recorded.
void ExpectEndsAsSkipped(std::string_view text, bool outer_first) {
  std::vector<std::size_t> opens;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '"') pos = SkipJsonValue(text, pos) - 1;
    else if (text[pos] == '{' || text[pos] == '[') opens.push_back(pos);
  }
  if (!outer_first) std::reverse(opens.begin(), opens.end());
  ContainerEnds ends(text);
  for (std::size_t open : opens) {
    ASSERT_EQ(ends.End(open), SkipJsonValue(text, open)) << open << " in " << text;
  }
  for (std::size_t open : opens) ASSERT_EQ(ends.End(open), SkipJsonValue(text, open));
}

TEST(ContainerEndsTest, EndsAreSkipJsonValuesInAnyOrderOfLookup) {
  const std::string tricky = R"({"a\\\"}]\\\\" : [1, {"\\": "\"[{\""}], "b": [[], {}]})";
  for (std::size_t pad = 0; pad < 140; ++pad) {
    const std::string text = "[" + std::string(pad, ' ') + tricky + ", " + tricky + "]";
    ExpectEndsAsSkipped(text, true);
    ExpectEndsAsSkipped(text, false);
  }
  const std::string deep = std::string(300, '[') + std::string(300, ']');
  ContainerEnds ends(deep);
  EXPECT_EQ(ends.End(100), 500u);
  EXPECT_EQ(ends.End(0), 600u);
  EXPECT_EQ(ends.End(299), 301u);
}

TEST(ContainerEndsTest, WhatIsNotAClosedContainerIsNoPos) {
  const std::string_view text = R"({"a": [1, 2], "b": "[{", "c": [)";
  ContainerEnds ends(text);
  EXPECT_EQ(ends.End(text.find('[')), text.find(']') + 1);
  EXPECT_EQ(ends.End(1), kNoPos);                       // a quote, not a bracket
  EXPECT_EQ(ends.End(0), kNoPos);                       // the text ends first
  EXPECT_EQ(ends.End(text.rfind('[')), kNoPos);         // likewise
  EXPECT_EQ(ends.End(text.size()), kNoPos);
  EXPECT_EQ(ContainerEnds("]").End(0), kNoPos);
  // Deeper than any parser accepts: not scanned.
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  EXPECT_EQ(ContainerEnds(deep).End(0), kNoPos);
}

TEST(JsonObjectTextTest, FindsMembersForwardOnly) {
  const std::string_view text = R"(  { "a" : 1 , "b\"" :{"x":[ ]}, "c":"v" }  )";
  JsonObjectText members(text, text.find('{'));
  EXPECT_EQ(members.Value(1), R"({"x":[ ]})");
  EXPECT_EQ(members.ValueStart(2), text.find("\"v\""));
  EXPECT_EQ(members.Value(2), R"("v")");
  EXPECT_EQ(members.Value(3), std::nullopt);  // no such member
  JsonObjectText again(text, text.find('{'));
  EXPECT_EQ(again.Value(0), "1");
  EXPECT_EQ(again.Value(0), std::nullopt);  // already passed
  JsonObjectText empty("{ }", 0);
  EXPECT_EQ(empty.ValueStart(0), std::nullopt);
}

TEST(TrimJsonSpaceTest, Trims) {
  EXPECT_EQ(TrimJsonSpace(" \t\r\n[1] \n"), "[1]");
  EXPECT_EQ(TrimJsonSpace("   "), "");
  EXPECT_EQ(TrimJsonSpace(""), "");
}

// Random documents, written with random whitespace and random (valid) string escapes.
class RandomJson {
 public:
  explicit RandomJson(unsigned seed) : rng_(seed) {}

  json::value Value(int depth) {
    switch (Below(depth > 0 ? 8 : 5)) {
      case 0:
        return nullptr;
      case 1:
        return Below(2) == 0;
      case 2:
        return static_cast<std::int64_t>(rng_()) - (std::int64_t{1} << 31);
      case 3:
        return static_cast<double>(rng_() % 100000) / 8.0;  // exact: Boost.JSON round-trips it
      case 4:
        return json::string(String());
      case 5:
      case 6: {
        json::object object;
        const int n = static_cast<int>(Below(6));
        for (int i = 0; i < n; ++i) object[String() + std::to_string(i)] = Value(depth - 1);
        return object;
      }
      default: {
        json::array array;
        const int n = static_cast<int>(Below(6));
        for (int i = 0; i < n; ++i) array.push_back(Value(depth - 1));
        return array;
      }
    }
  }

  void Write(std::string& out, const json::value& v) {
    Space(out);
    switch (v.kind()) {
      case json::kind::string:
        WriteString(out, v.get_string());
        break;
      case json::kind::object: {
        out.push_back('{');
        bool first = true;
        for (const auto& kv : v.get_object()) {
          if (!first) out.push_back(',');
          first = false;
          Space(out);
          WriteString(out, kv.key());
          Space(out);
          out.push_back(':');
          Write(out, kv.value());
        }
        Space(out);
        out.push_back('}');
        break;
      }
      case json::kind::array: {
        out.push_back('[');
        bool first = true;
        for (const auto& item : v.get_array()) {
          if (!first) out.push_back(',');
          first = false;
          Write(out, item);
        }
        Space(out);
        out.push_back(']');
        break;
      }
      default:
        out += json::serialize(v);
    }
    Space(out);
  }

 private:
  std::uint32_t Below(std::uint32_t n) { return rng_() % n; }

  std::string String() {
    static constexpr std::string_view kAlphabet[] = {
        "a", "b", "\"", "\\", "{", "}", "[", "]", ",", ":", "/", " ", "\n", "\x01", "\xc3\xa9"};
    std::string s;
    // Mostly short, sometimes long enough to span several 64-byte blocks.
    const std::uint32_t n = Below(8) == 0 ? Below(200) : Below(12);
    for (std::uint32_t i = 0; i < n; ++i) s += kAlphabet[Below(std::size(kAlphabet))];
    return s;
  }

  void WriteString(std::string& out, std::string_view s) {
    out.push_back('"');
    for (const char c : s) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (byte < 0x20 || (byte < 0x80 && Below(10) == 0)) {
        char escape[7];
        std::snprintf(escape, sizeof escape, "\\u%04x", byte);
        out += escape;
      } else if (c == '/' && Below(2) == 0) {
        out += "\\/";
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }

  void Space(std::string& out) {
    static constexpr char kSpaces[] = {' ', '\t', '\n', '\r'};
    if (Below(3) != 0) return;
    for (std::uint32_t n = Below(4); n > 0; --n) out.push_back(kSpaces[Below(4)]);
  }

  std::mt19937 rng_;
};

TEST(JsonObjectTextTest, RandomDocumentsMemberByMember) {
  RandomJson random(7);
  for (int round = 0; round < 3000; ++round) {
    json::object doc;
    const int n = 1 + round % 7;
    for (int i = 0; i < n; ++i) doc["m" + std::to_string(i)] = random.Value(round % 6);
    std::string text;
    random.Write(text, doc);
    auto parsed = ParseJson(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    ASSERT_EQ(*parsed, json::value(doc));

    const std::size_t open = SkipJsonSpace(text, 0);
    ASSERT_EQ(SkipJsonValue(text, open), TrimJsonSpace(text).size() + open) << text;
    JsonObjectText members(text, open);
    std::size_t i = 0;
    for (const auto& kv : doc) {
      const std::optional<std::string_view> value = members.Value(i++);
      ASSERT_TRUE(value.has_value()) << text;
      auto member = ParseJson(*value);
      ASSERT_TRUE(member.has_value()) << *value << " in " << text;
      ASSERT_EQ(*member, kv.value()) << text;
    }
    ASSERT_EQ(members.Value(i), std::nullopt);
    ExpectSameAsNaive(text);
  }
}

}  // namespace
}  // namespace kw::admission
