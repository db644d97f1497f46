// Unit tests of goregex/regex.h (Go RE2 regular expressions), compiled natively. The
// expectations are Go's regexp behaviour: what MatchString and FindStringIndex return and the
// exact regexp.Compile error texts (policies.md §1.7).
#include "goregex/regex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace goregex {
namespace {

using namespace std::string_view_literals;

// "<error>" or "match"/"no match".
std::string MatchResult(std::string_view pattern, std::string_view text) {
  auto re = Regexp::Compile(pattern);
  if (!re) return re.error();
  return re->Match(text) ? "match" : "no match";
}

// "<begin>,<end>", "none" or the compile error.
std::string FindResult(std::string_view pattern, std::string_view text) {
  auto re = Regexp::Compile(pattern);
  if (!re) return re.error();
  auto span = re->Find(text);
  if (!span) return "none";
  return std::to_string(span->first) + "," + std::to_string(span->second);
}

// "" when the pattern compiles, else Go's message.
std::string CompileError(std::string_view pattern) {
  auto re = Regexp::Compile(pattern);
  return re ? "" : re.error();
}

struct MatchCase {
  std::string_view pattern;
  std::string_view text;
  bool match;
};

void ExpectMatches(std::initializer_list<MatchCase> cases) {
  for (const MatchCase& c : cases) {
    EXPECT_EQ(MatchResult(c.pattern, c.text), c.match ? "match" : "no match")
        << "pattern `" << c.pattern << "` text \"" << c.text << "\"";
  }
}

TEST(Regex, SearchIsUnanchored) {
  ExpectMatches({
      {"", "", true},
      {"", "anything", true},
      {"a", "xay", true},
      {"abc", "xxabcxx", true},
      {"abc", "ab", false},
      {"b+", "aaabbb", true},
      {"team", "my-team-blue", true},
  });
}

TEST(Regex, Anchors) {
  ExpectMatches({
      {"^abc$", "abc", true},
      {"^abc$", "xabc", false},
      {"^abc$", "abcx", false},
      {"^abc", "abcx", true},
      {"abc$", "xabc", true},
      // Without (?m), $ matches only at the very end (unlike Perl, not before a final \n).
      {"^abc$", "abc\n", false},
      {"^b$", "a\nb\nc", false},
      {"(?m)^b$", "a\nb\nc", true},
      {"(?m)a$", "a\n", true},
      {"(?m)^$", "a\n\nb", true},
      {"\\Aab\\z", "ab", true},
      {"\\Aab\\z", "ab\n", false},
      {"(?m)\\Ab", "a\nb", false},
      {"(?m)a\\z", "a\nb", false},
      {"^*x", "x", true},  // ^* is valid in Go
      {"a^b", "a^b", false},
      {"$a", "a", false},
  });
}

TEST(Regex, WordBoundaries) {
  ExpectMatches({
      {"\\bfoo\\b", "a foo b", true},
      {"\\bfoo\\b", "afoo", false},
      {"\\bfoo\\b", "foo_", false},
      {"\\bfoo\\b", "foo-bar", true},
      {"\\Boo\\B", "foob", true},
      {"\\Boo", "oo", false},
      {"\\b", "", false},
      {"\\B", "", true},
      // Word characters are ASCII: é is not one.
      {"\\bé", "é", false},
      {"a\\b", "aé", true},
  });
}

TEST(Regex, DotAndNewlines) {
  ExpectMatches({
      {"a.c", "abc", true},
      {"a.c", "a\nc", false},
      {"(?s)a.c", "a\nc", true},
      {"(?s:.)", "\n", true},
      {"[^a]", "\n", true},  // negated classes match \n
      {"\\D", "\n", true},
      {"^.$", "\xe2\x98\xba", true},  // one rune, three bytes
  });
}

TEST(Regex, CharacterClasses) {
  ExpectMatches({
      {"[a-c]+", "xxbxx", true},
      {"^[a-c]+$", "abcd", false},
      {"^[a-cx-z]+$", "azby", true},
      {"[]a]", "]", true},
      {"[^]a]", "]", false},
      {"[^]a]", "b", true},
      {"^[a-]$", "-", true},
      {"^[-a]$", "-", true},
      {"^[a-b-]$", "-", true},
      {"^[\\]]$", "]", true},
      {"^[\\-]$", "-", true},
      {"^[.]$", "x", false},
      {"^[\\d\\s]+$", "1 2\t3", true},
      {"^[^\\d]$", "5", false},
      {"^[\\D]$", "x", true},
      {"^[^\\D]$", "5", true},
      {"^[\\x41-\\x43]+$", "ABC", true},
      {"^[\\101]$", "A", true},
      {"^[[]$", "[", true},
      {"^[[:]$", ":", true},  // not a named class: no closing :]
      {"^[\\p{Any}]$", "x", true},
      {"^[\\P{Any}x]$", "x", true},
      {"[\\P{Any}]", "x", false},
      {"\\p{^Any}", "x", false},
  });
}

TEST(Regex, PerlAndPosixClasses) {
  ExpectMatches({
      {"\\d+", "abc123", true},
      {"^\\d+$", "12a", false},
      {"\\D", "1", false},
      {"\\s", "\t", true},
      {"\\s", "\v", false},  // Go's \s is [\t\n\f\r ]
      {"\\S", " ", false},
      {"^\\w+$", "a_Z9", true},
      {"\\w", "é", false},
      {"\\W", "é", true},
      {"^\\d$", "\xd9\xa3", false},  // ARABIC-INDIC DIGIT THREE: \d is ASCII
      {"^[[:alpha:]]+$", "abcXYZ", true},
      {"^[[:digit:]]+$", "123", true},
      {"[[:^alpha:]]", "abc", false},
      {"[[:^alpha:]]", "ab1", true},
      {"^[[:upper:][:digit:]]+$", "A1", true},
      {"^[[:upper:][:digit:]]+$", "a1", false},
      {"^[[:punct:]]+$", "!/:@[`{~", true},
      {"[[:punct:]]", "a", false},
      {"^[[:xdigit:]]+$", "09afAF", true},
      {"[[:xdigit:]]", "g", false},
      {"^[[:space:]]+$", " \t\n\v\f\r", true},
      {"^[[:blank:]]+$", " \t", true},
      {"[[:blank:]]", "\n", false},
      {"^[[:alnum:]]+$", "a1", true},
      {"^[[:word:]]+$", "a_1", true},
      {"^[[:lower:]]+$", "abc", true},
      {"^[[:lower:]]+$", "aBc", false},
      {"^[[:print:]]+$", " ~", true},
      {"[[:graph:]]", " ", false},
      {"[[:cntrl:]]", "\x7f", true},
      {"^[[:ascii:]]+$", "\x7f", true},
      {"[[:ascii:]]", "é", false},
  });
}

TEST(Regex, Escapes) {
  ExpectMatches({
      {"a\\.b", "a.b", true},
      {"a\\.b", "axb", false},
      {"\\\\", "\\", true},
      {"\\t", "\t", true},
      {"\\n", "\n", true},
      {"\\r\\f\\v\\a", "\r\f\v\a", true},
      {"\\x41", "A", true},
      {"\\x{263a}", "\xe2\x98\xba", true},
      {"\\x{10FFFF}", "\xf4\x8f\xbf\xbf", true},
      {"\\101", "A", true},
      {"\\0", "\0"sv, true},
      {"^\\07$", "\a", true},
      {"^\\1234$", "S4", true},  // three octal digits at most
      {"\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$", "*+?()[]{}|^$", true},
      {"\\_", "_", true},
      {"\\-\\~\\#\\ ", "-~# ", true},
      {"\\Q.*+\\E", ".*+", true},
      {"\\Q.*+\\E", "abc", false},
      {"^\\Qa.b", "a.b", true},  // \Q without \E runs to the end
      {"^\\Q\\E*$", "", true},
      {"^a\\Q\\Eb$", "ab", true},
  });
}

TEST(Regex, GroupsAndAlternation) {
  ExpectMatches({
      {"^(foo|bar)$", "bar", true},
      {"^(foo|bar)$", "baz", false},
      {"a|b|c", "xcx", true},
      {"^(|a)$", "", true},
      {"^(a|)$", "a", true},
      {"^(?:ab)+$", "ababab", true},
      {"^(?P<first>a)(?<second>b)$", "ab", true},
      {"^(?P<n_1>x)$", "x", true},
      {"^()$", "", true},
      {"^(?:)$", "", true},
      {"a(?)b", "ab", true},  // (?) changes no flag
      {"^(a|b|c|d)+$", "abcdcba", true},
      {"^(.|\\n)+$", "a\nb", true},
      {"x|y|.", "\n", false},
      {"a|\\n", "\n", true},
  });
}

TEST(Regex, Repetitions) {
  ExpectMatches({
      {"^a*$", "", true},
      {"^a*$", "aaa", true},
      {"^a+$", "", false},
      {"^a?b$", "b", true},
      {"^a{3}$", "aaa", true},
      {"^a{3}$", "aa", false},
      {"^a{3}$", "aaaa", false},
      {"^a{2,}$", "aaaaa", true},
      {"^a{2,}$", "a", false},
      {"^a{2,3}$", "aaaa", false},
      {"^a{2,3}$", "aa", true},
      {"^a{0}$", "", true},
      {"^a{0}b$", "b", true},
      {"^a{0,0}$", "a", false},
      {"^a{1,}$", "a", true},
      {"^a{0,}$", "", true},
      {"^(ab){2}$", "abab", true},
      {"^[a-z]{1000}$", std::string_view(std::string(1000, 'q')), true},
      {"^(?:a{10}){100}$", std::string_view(std::string(1000, 'a')), true},
      // Not repetitions: literal braces.
      {"^a{,2}$", "a{,2}", true},
      {"^x{01}$", "x{01}", true},
      {"^a{$", "a{", true},
      {"^a{1$", "a{1", true},
      {"^a{1,$", "a{1,", true},
      {"^a{1,2$", "a{1,2", true},
      {"^{$", "{", true},
      {"^}$", "}", true},
      {"^]$", "]", true},
      {"^a*?$", "aa", true},
      {"^(?U)a*$", "aa", true},
      // Empty-width loops terminate.
      {"^(a*)*$", "aaa", true},
      {"^(a*)+$", "", true},
      {"^(a?)*?b$", "aab", true},
      {"^(|a)*$", "aa", true},
      {"^(?:^)*$", "", true},
      {"^(\\b)*a$", "a", true},
  });
}

TEST(Regex, CaseFolding) {
  ExpectMatches({
      {"(?i)hello", "HeLLo", true},
      {"hello", "HELLO", false},
      {"(?i)^[a-z]+$", "ABCxyz", true},
      {"(?i)^[^a-z]$", "A", false},
      {"(?i)^\\w+$", "\xc5\xbf\xe2\x84\xaa", true},  // ſ and KELVIN SIGN fold to s and k
      {"^\\w+$", "\xc5\xbf", false},
      {"(?i)\\W", "\xc5\xbf", false},
      {"(?i)k", "\xe2\x84\xaa", true},
      {"(?i)\xe2\x84\xaa", "k", true},
      {"(?i)s", "\xc5\xbf", true},
      {"(?i)\xc3\x9f", "\xe1\xba\x9e", true},  // ß and ẞ
      {"(?i)stra\xc3\x9f"
       "e",
       "STRASSE", false},                                  // simple folding only
      {"(?i)\xce\xa3", "\xcf\x82", true},                  // Σ and final ς
      {"(?i)\xce\xb8", "\xcf\x91", true},                  // θ and ϑ
      {"(?i)\xc4\xb1", "I", false},                        // dotless ı folds to itself only
      {"(?i)i", "\xc4\xb0", false},                        // İ folds to itself only
      {"(?i)\xd0\x96", "\xd0\xb6", true},                  // Cyrillic Ж ж
      {"(?i)\xf0\x90\x90\x80", "\xf0\x90\x90\xa8", true},  // Deseret 𐐀 𐐨
      {"(?i)[k]", "\xe2\x84\xaa", true},
      {"(?i)[^k]", "\xe2\x84\xaa", false},
      {"(?i)[[:upper:]]", "a", true},
      {"(?i)[[:^lower:]]", "A", false},
      {"(?i)\\x41", "a", true},
      {"(?i)1", "1", true},
      {"(?i:a)b", "Ab", true},
      {"(?i:a)b", "AB", false},
      {"a(?i)b", "aB", true},
      {"a(?i)b", "AB", false},
      {"(a(?i)b)c", "aBc", true},
      {"(a(?i)b)c", "aBC", false},  // the flag ends with its group
      {"(?i)(?-i:a)", "A", false},
      {"(?i-i)a", "A", false},
      {"(?i)a|b", "B", true},
      {"a|(?i)b", "B", true},
      {"(?i)A|a", "a", true},
  });
}

TEST(Regex, Utf8) {
  ExpectMatches({
      {"^..$", "\xc3\xa9", false},  // é is one rune
      {"^[\xc3\xa9]$", "\xc3\xa9", true},
      {"^[^a]$", "\xc3\xa9", true},
      {"^.{3}$", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", true},
      {"^\\x{65e5}", "\xe6\x97\xa5\xe6\x9c\xac", true},
      {"[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", true},
      {"\xc3\xa9+$", "x\xc3\xa9\xc3\xa9", true},
      {"^\xf0\x9f\x98\x80?$", "", true},
      // Invalid UTF-8 in the text reads as U+FFFD, one byte at a time.
      {"^.$", "\xff", true},
      {"^\\x{fffd}$", "\xff", true},
      {"^..$", "\xe6\x97", true},
      {"^.$", "\xed\xa0\x80", false},  // a surrogate: three invalid bytes
      {"\\x{a9}", "\xc3\xa9", false},  // U+00A9 is not the byte 0xA9 ending é
  });
  // Matches start at rune boundaries only.
  EXPECT_EQ(FindResult("\\x{a9}", "\xc3\xa9\xc2\xa9"), "2,4");
}

TEST(Regex, FindLeftmostFirst) {
  EXPECT_EQ(FindResult("a+", "xaaa"), "1,4");
  EXPECT_EQ(FindResult("a+?", "xaaa"), "1,2");
  EXPECT_EQ(FindResult("a*?", "aaa"), "0,0");
  EXPECT_EQ(FindResult("a*", "baaa"), "0,0");
  EXPECT_EQ(FindResult("a.*b", "aXbYb"), "0,5");
  EXPECT_EQ(FindResult("a.*?b", "aXbYb"), "0,3");
  EXPECT_EQ(FindResult("(?U)a+", "aaa"), "0,1");
  EXPECT_EQ(FindResult("(?U)a+?", "aaa"), "0,3");
  EXPECT_EQ(FindResult("a{2,4}", "aaaaa"), "0,4");
  EXPECT_EQ(FindResult("a{2,4}?", "aaaaa"), "0,2");
  EXPECT_EQ(FindResult("a{2,}?", "aaaaa"), "0,2");
  EXPECT_EQ(FindResult("a|ab", "ab"), "0,1");
  EXPECT_EQ(FindResult("ab|a", "ab"), "0,2");
  EXPECT_EQ(FindResult("(a|ab)(c|bcd)", "abcd"), "0,4");
  EXPECT_EQ(FindResult("a??b", "ab"), "0,2");
  EXPECT_EQ(FindResult("(a*)*", "aa"), "0,2");
  EXPECT_EQ(FindResult("b", "aaa"), "none");
  EXPECT_EQ(FindResult("$", "abc"), "3,3");
  EXPECT_EQ(FindResult("(?m)$", "ab\ncd"), "2,2");
  EXPECT_EQ(FindResult("\\b", "  ab"), "2,2");
  EXPECT_EQ(FindResult("x*", ""), "0,0");
}

// The matcher simulates the automaton: time is linear in the text whatever the pattern.
TEST(Regex, PathologicalPatternsRunInLinearTime) {
  const std::string as(100000, 'a');
  const std::string as_bang = std::string(30000, 'a') + "!";
  auto start = std::chrono::steady_clock::now();
  ExpectMatches({
      {"(a*)*b", as, false},
      {"(a|a)*b", as, false},
      {"(a+)+$x", as, false},
      {"^(a|aa)+$", as_bang, false},
      {"(x+x+)+y", std::string(30000, 'x'), false},
      {"(.*)*(.*)*(.*)*z", as, false},
      {"^(a?){30}a{30}$", std::string(30, 'a'), true},
      {"(?i)(a|A|\\w)*\\d", as, false},
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 5);
}

TEST(Regex, SimpleFoldOrbits) {
  using internal::SimpleFold;
  EXPECT_EQ(SimpleFold('A'), 'a');
  EXPECT_EQ(SimpleFold('a'), 'A');
  EXPECT_EQ(SimpleFold('K'), 'k');
  EXPECT_EQ(SimpleFold('k'), 0x212A);
  EXPECT_EQ(SimpleFold(0x212A), 'K');
  EXPECT_EQ(SimpleFold('S'), 's');
  EXPECT_EQ(SimpleFold('s'), 0x17F);
  EXPECT_EQ(SimpleFold(0x17F), 'S');
  EXPECT_EQ(SimpleFold('1'), '1');
  EXPECT_EQ(SimpleFold(0x130), 0x130);
  EXPECT_EQ(SimpleFold(0x131), 0x131);
  EXPECT_EQ(SimpleFold(0x100), 0x101);
  EXPECT_EQ(SimpleFold(0x101), 0x100);
  EXPECT_EQ(SimpleFold(0x1C4), 0x1C5);
  EXPECT_EQ(SimpleFold(0x1C5), 0x1C6);
  EXPECT_EQ(SimpleFold(0x1C6), 0x1C4);
  EXPECT_EQ(SimpleFold(0x10400), 0x10428);
  EXPECT_EQ(SimpleFold(0x1E921), 0x1E943);
  EXPECT_EQ(SimpleFold(0x1E943), 0x1E921);
  EXPECT_EQ(SimpleFold(-1), -1);
  EXPECT_EQ(SimpleFold(0x10FFFF), 0x10FFFF);
  // Every orbit is a cycle: following SimpleFold comes back to the start.
  for (std::int32_t r = 0; r <= 0x1FFFF; ++r) {
    std::int32_t f = SimpleFold(r);
    int steps = 1;
    for (; f != r && steps < 5; ++steps) f = SimpleFold(f);
    ASSERT_EQ(f, r) << "rune " << r;
  }
}

TEST(Regex, CompileErrors) {
  struct ErrorCase {
    std::string_view pattern;
    std::string_view error;  // after "error parsing regexp: "
  };
  const ErrorCase cases[] = {
      // missing closing ]: from the unmatched [ to the end.
      {"^team-[ab$", "missing closing ]: `[ab$`"},
      {"[a", "missing closing ]: `[a`"},
      {"x[]", "missing closing ]: `[]`"},
      {"[^]", "missing closing ]: `[^]`"},
      {"[", "missing closing ]: `[`"},
      {"[a-", "missing closing ]: `[a-`"},
      {"x[[:alpha:]", "missing closing ]: `[[:alpha:]`"},
      {"a[b(c)", "missing closing ]: `[b(c)`"},
      // missing closing ): the whole pattern.
      {"(a", "missing closing ): `(a`"},
      {"((a)", "missing closing ): `((a)`"},
      {"a(b|c", "missing closing ): `a(b|c`"},
      {"(?:a", "missing closing ): `(?:a`"},
      {"(?i:a", "missing closing ): `(?i:a`"},
      {"(?P<name>a", "missing closing ): `(?P<name>a`"},
      {"(", "missing closing ): `(`"},
      // unexpected ): the whole pattern.
      {"a)", "unexpected ): `a)`"},
      {")", "unexpected ): `)`"},
      {"a|b)", "unexpected ): `a|b)`"},
      {"(a))", "unexpected ): `(a))`"},
      {"())(", "unexpected ): `())(`"},
      // invalid escape sequence: the escape.
      {"\\8", "invalid escape sequence: `\\8`"},
      {"a\\9b", "invalid escape sequence: `\\9`"},
      {"\\1", "invalid escape sequence: `\\1`"},
      {"\\q", "invalid escape sequence: `\\q`"},
      {"\\C", "invalid escape sequence: `\\C`"},
      {"\\\xc3\xa9", "invalid escape sequence: `\\\xc3\xa9`"},
      {"[\\b]", "invalid escape sequence: `\\b`"},
      {"[a-\\d]", "invalid escape sequence: `\\d`"},
      {"\\x", "invalid escape sequence: `\\x`"},
      {"\\x4", "invalid escape sequence: `\\x4`"},
      {"\\xZ1", "invalid escape sequence: `\\xZ1`"},
      {"\\x{", "invalid escape sequence: `\\x{`"},
      {"\\x{41", "invalid escape sequence: `\\x{41`"},
      {"\\x{}", "invalid escape sequence: `\\x{}`"},
      {"\\x{zz}", "invalid escape sequence: `\\x{z`"},
      {"\\x{110000}", "invalid escape sequence: `\\x{110000`"},
      // invalid character class range.
      {"[z-a]", "invalid character class range: `z-a`"},
      {"x[b-a]", "invalid character class range: `b-a`"},
      {"[\\x{10}-\\x{5}]", "invalid character class range: `\\x{10}-\\x{5}`"},
      {"[[:foo:]]", "invalid character class range: `[:foo:]`"},
      {"[[:alpha]x:]]", "invalid character class range: `[:alpha]x:]`"},
      {"[[::]]", "invalid character class range: `[::]`"},
      {"\\p{Foo}", "invalid character class range: `\\p{Foo}`"},
      {"\\p{Any", "invalid character class range: `\\p{Any`"},
      {"\\p", "invalid character class range: `\\p`"},
      {"[\\P{Foo}]", "invalid character class range: `\\P{Foo}`"},
      // missing argument to repetition operator: the operator.
      {"*", "missing argument to repetition operator: `*`"},
      {"+a", "missing argument to repetition operator: `+`"},
      {"?", "missing argument to repetition operator: `?`"},
      {"*?", "missing argument to repetition operator: `*?`"},
      {"(*)", "missing argument to repetition operator: `*`"},
      {"(?:*)", "missing argument to repetition operator: `*`"},
      {"a|*", "missing argument to repetition operator: `*`"},
      {"{2}", "missing argument to repetition operator: `{2}`"},
      {"(?i)*", "missing argument to repetition operator: `*`"},
      // invalid nested repetition operator: both operators.
      {"a**", "invalid nested repetition operator: `**`"},
      {"a*+", "invalid nested repetition operator: `*+`"},
      {"a+?*", "invalid nested repetition operator: `+?*`"},
      {"a**?", "invalid nested repetition operator: `**?`"},
      {"a{2}{3}", "invalid nested repetition operator: `{2}{3}`"},
      {"a*{2}", "invalid nested repetition operator: `*{2}`"},
      {"a???x", "invalid nested repetition operator: `???`"},
      // invalid repeat count: the counted operator.
      {"x{1001}", "invalid repeat count: `{1001}`"},
      {"x{1001,}", "invalid repeat count: `{1001,}`"},
      {"x{2,1}", "invalid repeat count: `{2,1}`"},
      {"x{0,1001}", "invalid repeat count: `{0,1001}`"},
      {"x{99999999999}", "invalid repeat count: `{99999999999}`"},
      {"x{1,99999999999}", "invalid repeat count: `{1,99999999999}`"},
      {"{1001}", "invalid repeat count: `{1001}`"},
      {"a*{1001}", "invalid repeat count: `{1001}`"},
      {"(x{500}){3}", "invalid repeat count: `{3}`"},
      {"((a{10}){10}){11}", "invalid repeat count: `{11}`"},
      {"(a{2}|b{600}){2}?", "invalid repeat count: `{2}?`"},
      // invalid or unsupported Perl syntax: from ( to the offending character.
      {"(?z)", "invalid or unsupported Perl syntax: `(?z`"},
      {"(?", "invalid or unsupported Perl syntax: `(?`"},
      {"(?i", "invalid or unsupported Perl syntax: `(?i`"},
      {"(?-)", "invalid or unsupported Perl syntax: `(?-)`"},
      {"(?i-)", "invalid or unsupported Perl syntax: `(?i-)`"},
      {"(?--i)", "invalid or unsupported Perl syntax: `(?--`"},
      {"(?P=name)", "invalid or unsupported Perl syntax: `(?P`"},
      {"(?P<", "invalid or unsupported Perl syntax: `(?P`"},
      {"(?<", "invalid or unsupported Perl syntax: `(?<`"},
      {"(?=a)", "invalid or unsupported Perl syntax: `(?=`"},
      {"(?!a)", "invalid or unsupported Perl syntax: `(?!`"},
      {"(?<=a)b", "invalid named capture: `(?<=a)b`"},
      {"(?#comment)", "invalid or unsupported Perl syntax: `(?#`"},
      // invalid named capture: the group opener.
      {"(?<name", "invalid named capture: `(?<name`"},
      {"(?P<name", "invalid named capture: `(?P<name`"},
      {"(?P<>a)", "invalid named capture: `(?P<>`"},
      {"(?<>a)", "invalid named capture: `(?<>`"},
      {"(?<a-b>x)", "invalid named capture: `(?<a-b>`"},
      {"(?P<a b>x)", "invalid named capture: `(?P<a b>`"},
      {"(?P<\xc3\xa9>x)", "invalid named capture: `(?P<\xc3\xa9>`"},
      // trailing backslash: an empty fragment.
      {"\\", "trailing backslash at end of expression: ``"},
      {"a\\", "trailing backslash at end of expression: ``"},
      {"[a\\", "trailing backslash at end of expression: ``"},
      // invalid UTF-8: from the bad byte to the end of what was being read.
      {"a\xff"
       "b",
       "invalid UTF-8: `\xff"
       "b`"},
      {"[\xff]", "invalid UTF-8: `\xff]`"},
      {"\\Q\xc3\\E", "invalid UTF-8: `\xc3`"},
      {"(?P<a\xff>x)", "invalid UTF-8: `\xff`"},
  };
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(CompileError(c.pattern), "error parsing regexp: " + std::string(c.error))
        << "pattern `" << c.pattern << "`";
  }
}

TEST(Regex, Limits) {
  // Nesting: 999 groups around an empty one are 1000 levels; one more is too deep.
  std::string ok = std::string(999, '(') + std::string(999, ')');
  EXPECT_EQ(CompileError(ok), "");
  std::string deep = std::string(1000, '(') + std::string(1000, ')');
  EXPECT_EQ(CompileError(deep),
            "error parsing regexp: expression nests too deeply: `" + deep + "`");
  std::string stars = "a" + std::string(1, '*');
  for (int i = 0; i < 1000; ++i) stars = "(" + stars + ")*";
  EXPECT_NE(CompileError(stars).find("expression nests too deeply"), std::string::npos);
  // Non-capturing groups add no level.
  std::string flat;
  for (int i = 0; i < 5000; ++i) flat += "(?:";
  flat += "a" + std::string(5000, ')');
  EXPECT_EQ(MatchResult(flat, "a"), "match");
  // An unclosed deep nest is a missing paren, not a crash.
  EXPECT_EQ(CompileError(std::string(100000, '(')),
            "error parsing regexp: missing closing ): `" + std::string(100000, '(') + "`");

  // Size: 1000 copies of a 3356-instruction body exceed Go's 3355443-instruction budget.
  std::string big = "(" + std::string(3356, '.') + "){1000}";
  EXPECT_EQ(CompileError(big), "error parsing regexp: expression too large: `" + big + "`");
  std::string fits = "(" + std::string(3000, '.') + "){1000}";
  EXPECT_EQ(CompileError(fits), "");
  EXPECT_EQ(CompileError("(a{1000}){1}"), "");
  EXPECT_EQ(CompileError("((a{10}){10}){10}"), "");
}

// Unicode property classes need Unicode tables; only \p{Any} is built in. The others fail to
// compile with Go's message for an unknown class rather than match differently.
TEST(Regex, UnicodeClassesOtherThanAnyAreRejected) {
  EXPECT_EQ(CompileError("\\pL"), "error parsing regexp: invalid character class range: `\\pL`");
  EXPECT_EQ(CompileError("[\\p{Greek}]"),
            "error parsing regexp: invalid character class range: `\\p{Greek}`");
  EXPECT_EQ(CompileError("\\P{^Lu}"),
            "error parsing regexp: invalid character class range: `\\P{^Lu}`");
  EXPECT_EQ(MatchResult("^\\p{Any}+$", "\xe6\x97\xa5x"), "match");
}

// "<begin>,<end> <group 1 begin>,<group 1 end> ..." (Go's FindStringSubmatchIndex), "none" or
// the compile error.
std::string SubmatchResult(std::string_view pattern, std::string_view text) {
  auto re = Regexp::Compile(pattern);
  if (!re) return re.error();
  auto m = re->FindSubmatchIndex(text);
  if (!m) return "none";
  std::string out;
  for (std::size_t i = 0; i < m->size(); i += 2) {
    if (i > 0) out += ' ';
    out += std::to_string((*m)[i]) + "," + std::to_string((*m)[i + 1]);
  }
  return out;
}

// Go's FindAllStringSubmatch(text, -1), the groups of each match joined by '|' and the
// matches by ';'.
std::string FindAllSubmatches(const Regexp& re, std::string_view text) {
  std::string out;
  Regexp::Searcher searcher(re, text);
  while (searcher.Next()) {
    if (!out.empty()) out += ';';
    Regexp::Submatches m = searcher.SubmatchIndex();
    for (std::size_t i = 0; i < m.size(); i += 2) {
      if (i > 0) out += '|';
      if (m[i] >= 0) out += text.substr(m[i], m[i + 1] - m[i]);
    }
  }
  return out;
}

// The examples of Go's regexp documentation (FindStringSubmatch, FindStringSubmatchIndex,
// FindAllStringSubmatch, FindAllStringSubmatchIndex).
TEST(Submatch, GoDocumentationExamples) {
  EXPECT_EQ(SubmatchResult("a(x*)b(y|z)c", "-axxxbyc-"), "1,8 2,5 6,7");
  EXPECT_EQ(SubmatchResult("a(x*)b(y|z)c", "-abzc-"), "1,5 2,2 3,4");
  EXPECT_EQ(SubmatchResult("a(x*)b", "-ab-"), "1,3 2,2");
  EXPECT_EQ(SubmatchResult("a(x*)b", "-axxb-"), "1,5 2,4");
  EXPECT_EQ(SubmatchResult("a(x*)b", "-ab-axb-"), "1,3 2,2");
  EXPECT_EQ(SubmatchResult("a(x*)b", "-axxb-ab-"), "1,5 2,4");
  EXPECT_EQ(SubmatchResult("a(x*)b", "-foo-"), "none");

  auto re = Regexp::Compile("a(x*)b");
  ASSERT_TRUE(re);
  EXPECT_EQ(FindAllSubmatches(*re, "-ab-"), "ab|");
  EXPECT_EQ(FindAllSubmatches(*re, "-axxb-"), "axxb|xx");
  EXPECT_EQ(FindAllSubmatches(*re, "-ab-axb-"), "ab|;axb|x");
  EXPECT_EQ(FindAllSubmatches(*re, "-axxb-ab-"), "axxb|xx;ab|");
  EXPECT_EQ(FindAllSubmatches(*re, "-foo-"), "");

  Regexp::Searcher searcher(*re, "-axxb-ab-");
  ASSERT_TRUE(searcher.Next());
  EXPECT_EQ(searcher.SubmatchIndex(), (Regexp::Submatches{1, 5, 2, 4}));
  ASSERT_TRUE(searcher.Next());
  EXPECT_EQ(searcher.SubmatchIndex(), (Regexp::Submatches{6, 8, 7, 7}));
  EXPECT_FALSE(searcher.Next());
  EXPECT_TRUE(searcher.SubmatchIndex().empty());
}

// Go's semantics where several paths match: the groups are those of the path the pattern
// prefers (leftmost-first), a group in a repetition keeps its last iteration, and a group
// that took no part is -1.
TEST(Submatch, PreferredPathDecides) {
  EXPECT_EQ(SubmatchResult("(a)|b", "b"), "0,1 -1,-1");
  EXPECT_EQ(SubmatchResult("(a)|(b)", "b"), "0,1 -1,-1 0,1");
  EXPECT_EQ(SubmatchResult("(a){0}", ""), "0,0 -1,-1");
  EXPECT_EQ(SubmatchResult("(a*)*", "b"), "0,0 0,0");
  EXPECT_EQ(SubmatchResult("(a*)+", "b"), "0,0 0,0");
  EXPECT_EQ(SubmatchResult("(a*)*", "aa"), "0,2 0,2");
  EXPECT_EQ(SubmatchResult("((a|b|c)*(d))", "abcd"), "0,4 0,4 2,3 3,4");
  EXPECT_EQ(SubmatchResult("(((a|b|c)*)(d))", "abcd"), "0,4 0,4 0,3 2,3 3,4");
  EXPECT_EQ(SubmatchResult("(([^xyz]*)(d))", "abcd"), "0,4 0,4 0,3 3,4");
  EXPECT_EQ(SubmatchResult("(a+?)(a*)", "aaa"), "0,3 0,1 1,3");
  EXPECT_EQ(SubmatchResult("(a+)(a*)", "aaa"), "0,3 0,3 3,3");
  EXPECT_EQ(SubmatchResult("(a|ab)(c|bcd)(d*)", "abcd"), "0,4 0,1 1,4 4,4");
  EXPECT_EQ(SubmatchResult("(a){2}", "aaa"), "0,2 1,2");
  EXPECT_EQ(SubmatchResult("(?:(a)|(b))+", "ab"), "0,2 0,1 1,2");
  EXPECT_EQ(SubmatchResult("x(\\b)", "x y"), "0,1 1,1");
  EXPECT_EQ(SubmatchResult("(?m)^(\\w+)$", "a b\ncd"), "4,6 4,6");
  EXPECT_EQ(SubmatchResult("(\xe6\x97\xa5+)", "x\xe6\x97\xa5\xe6\x97\xa5"), "1,7 1,7");
  // The attempts that start earlier and fail must not disturb the one that matches.
  EXPECT_EQ(SubmatchResult("(a+)(b)", "aaxaab"), "3,6 3,5 5,6");
  EXPECT_EQ(SubmatchResult("(?:a(x)|a(y))z", "axyaxaz ayz"), "8,11 -1,-1 9,10");
}

TEST(Submatch, Names) {
  auto re = Regexp::Compile("(?P<first>[a-zA-Z]+) (?P<last>[a-zA-Z]+)");
  ASSERT_TRUE(re);
  EXPECT_EQ(re->NumSubexp(), 2u);
  EXPECT_EQ(re->SubexpNames(), (std::vector<std::string>{"", "first", "last"}));
  EXPECT_EQ(re->SubexpIndex("last"), 2);
  EXPECT_EQ(re->SubexpIndex("middle"), -1);
  EXPECT_EQ(re->SubexpIndex(""), -1);
  EXPECT_EQ(re->ReplaceAllString("Alan Turing", "${last} ${first}"), "Turing Alan");

  auto numbered = Regexp::Compile("(.*)((a)b)(.*)a");
  ASSERT_TRUE(numbered);
  EXPECT_EQ(numbered->NumSubexp(), 4u);
  // Go allows a name twice; SubexpIndex gives the leftmost.
  auto twice = Regexp::Compile("(?P<bob>a+)(?<bob>b+)(?:c)");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->NumSubexp(), 2u);
  EXPECT_EQ(twice->SubexpIndex("bob"), 1);
}

// Go's ExampleRegexp_Expand, ExampleRegexp_ReplaceAllString and
// ExampleRegexp_ReplaceAllLiteralString.
TEST(Replace, GoDocumentationExamples) {
  auto re = Regexp::Compile("a(x*)b");
  ASSERT_TRUE(re);
  EXPECT_EQ(re->ReplaceAllString("-ab-axxb-", "T"), "-T-T-");
  EXPECT_EQ(re->ReplaceAllString("-ab-axxb-", "$1"), "--xx-");
  EXPECT_EQ(re->ReplaceAllString("-ab-axxb-", "$1W"), "---");
  EXPECT_EQ(re->ReplaceAllString("-ab-axxb-", "${1}W"), "-W-xxW-");
  auto named = Regexp::Compile("a(?P<1W>x*)b");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->ReplaceAllString("-ab-axxb-", "$1W"), "--xx-");
  EXPECT_EQ(named->ReplaceAllString("-ab-axxb-", "${1}W"), "-W-xxW-");

  EXPECT_EQ(re->ReplaceAllLiteralString("-ab-axxb-", "T"), "-T-T-");
  EXPECT_EQ(re->ReplaceAllLiteralString("-ab-axxb-", "$1"), "-$1-$1-");
  EXPECT_EQ(re->ReplaceAllLiteralString("-ab-axxb-", "${1}"), "-${1}-${1}-");

  const std::string_view content =
      "\n\t# comment line\n\toption1: value1\n\toption2: value2\n\n\t# another comment line\n"
      "\toption3: value3\n";
  auto pattern = Regexp::Compile("(?m)(?P<key>\\w+):\\s+(?P<value>\\w+)$");
  ASSERT_TRUE(pattern);
  std::string result;
  Regexp::Searcher searcher(*pattern, content);
  while (searcher.Next()) pattern->Expand(result, "$key=$value\n", content, searcher.SubmatchIndex());
  EXPECT_EQ(result, "option1=value1\noption2=value2\noption3=value3\n");
}

TEST(Replace, TemplateSyntax) {
  auto re = Regexp::Compile("(a)(?P<n>b)?");
  ASSERT_TRUE(re);
  auto expand = [&](std::string_view tmpl) { return re->ReplaceAllString("a", tmpl); };
  EXPECT_EQ(expand("[$0]"), "[a]");
  EXPECT_EQ(expand("[$1]"), "[a]");
  EXPECT_EQ(expand("[${1}]"), "[a]");
  EXPECT_EQ(expand("[$2]"), "[]");      // took no part
  EXPECT_EQ(expand("[$n]"), "[]");
  EXPECT_EQ(expand("[$3]"), "[]");      // no such group
  EXPECT_EQ(expand("[$01]"), "[]");     // a leading zero makes it a name
  EXPECT_EQ(expand("[$1_]"), "[]");     // the name `1_`
  EXPECT_EQ(expand("[$1\xc3\xa9]"), "[]");  // a letter continues the name: `1é`
  EXPECT_EQ(expand("[${1}\xc3\xa9]"), "[a\xc3\xa9]");
  EXPECT_EQ(expand("[$1\xe2\x82\xac]"), "[a\xe2\x82\xac]");  // `€` is no letter
  EXPECT_EQ(expand("[$1\xd9\xa3]"), "[]");  // ARABIC-INDIC DIGIT THREE is a digit
  EXPECT_EQ(expand("$$1"), "$1");
  EXPECT_EQ(expand("$"), "$");
  EXPECT_EQ(expand("$-"), "$-");
  EXPECT_EQ(expand("${"), "${");
  EXPECT_EQ(expand("${1"), "${1");
  EXPECT_EQ(expand("${}"), "${}");
  EXPECT_EQ(expand("${-}"), "${-}");
  EXPECT_EQ(expand("$\xff"), "$\xff");
}

// Go's replaceAll: every match replaced, an empty match right after a match skipped.
TEST(Replace, EmptyMatches) {
  auto star = Regexp::Compile("a*");
  ASSERT_TRUE(star);
  EXPECT_EQ(star->ReplaceAllString("baaac", "X"), "XbXcX");
  EXPECT_EQ(star->ReplaceAllString("", "X"), "X");
  auto x = Regexp::Compile("x*");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->ReplaceAllString("abc", "-"), "-a-b-c-");
  EXPECT_EQ(x->ReplaceAllString("\xe6\x97\xa5\xff", "-"), "-\xe6\x97\xa5-\xff-");
  auto word = Regexp::Compile("\\b");
  ASSERT_TRUE(word);
  EXPECT_EQ(word->ReplaceAllString("ab cd", "|"), "|ab| |cd|");
  auto caret = Regexp::Compile("^");
  ASSERT_TRUE(caret);
  EXPECT_EQ(caret->ReplaceAllLiteralString("abc", "$"), "$abc");
}

// More groups than the capture machine's memory budget holds per thread: the groups are
// tracked in several passes and come out the same.
TEST(Submatch, ManyGroups) {
  constexpr int kGroups = 3000;
  std::string pattern, text;
  for (int i = 0; i < kGroups; ++i) {
    pattern += i % 2 ? "(y)" : "(x)";
    text += i % 2 ? 'y' : 'x';
  }
  auto re = Regexp::Compile(pattern + "|(z)");
  ASSERT_TRUE(re);
  auto m = re->FindSubmatchIndex("-" + text);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 2u * (kGroups + 2));
  for (int i = 0; i <= kGroups; ++i) {
    std::ptrdiff_t begin = i == 0 ? 1 : i;
    std::ptrdiff_t end = i == 0 ? kGroups + 1 : i + 1;
    ASSERT_EQ((*m)[2 * i], begin) << i;
    ASSERT_EQ((*m)[2 * i + 1], end) << i;
  }
  EXPECT_EQ((*m)[2 * (kGroups + 1)], -1);
}

}  // namespace
}  // namespace goregex
