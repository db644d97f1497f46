// Kyverno's random(pattern): a random string matching a regular expression (Kyverno uses
// goregen). The pattern is first compiled as Go does, so syntax errors read as Go's
// ("error parsing regexp: ..."). Generation covers the subset policies use: literals,
// escapes (\d \w \s \D \W \S and escaped punctuation), `.`, classes with ranges and negation
// (printable ASCII), groups (capturing, (?:...), (?P<name>...)), alternation, anchors, and the
// quantifiers ? * + {n} {n,} {n,m} (lazy forms too); unbounded repeats stop at 10, as
// goregen's default. Anything else (Unicode classes \p{..}, flags) is an error.
#include <kubewarden/regex.h>
#include <sys/random.h>

#include <cstdint>
#include <vector>

#include "kyverno_functions_more.h"

namespace kyverno::jmespath {
namespace {

constexpr int kMaxUnboundedRepeat = 10;  // goregen's DefaultMaxUnboundedRepeatCount
constexpr std::size_t kMaxOutput = 64 * 1024;
constexpr int kMaxRepeat = 1000;  // Go's own limit on {n,m}

class Generator {
 public:
  Generator(std::string_view pattern, std::uint64_t seed) : p_(pattern), state_(seed) {}

  bool Run(std::string* out, std::string* error) {
    if (!Alternation(out, 0) || pos_ != p_.size()) {
      *error = error_.empty() ? "random: unsupported pattern syntax" : error_;
      return false;
    }
    return true;
  }

 private:
  std::uint64_t Next() {  // splitmix64
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<std::uint64_t>(n)); }

  bool Unsupported(std::string what) {
    if (error_.empty()) error_ = "random: unsupported pattern syntax: " + what;
    return false;
  }

  // Each alternative is generated into a scratch string and one is kept, so the pattern is
  // read once and every branch is checked.
  bool Alternation(std::string* out, int depth) {
    if (depth > 100) return Unsupported("nesting too deep");
    std::vector<std::string> branches(1);
    while (true) {
      if (!Sequence(&branches.back(), depth)) return false;
      if (pos_ < p_.size() && p_[pos_] == '|') {
        ++pos_;
        branches.emplace_back();
        continue;
      }
      break;
    }
    out->append(branches[static_cast<std::size_t>(Below(static_cast<int>(branches.size())))]);
    return true;
  }

  bool Sequence(std::string* out, int depth) {
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      std::size_t atom_start = pos_;
      std::string once;
      if (!Atom(&once, depth)) return false;
      std::size_t atom_end = pos_;
      int min = 1, max = 1;
      if (!Quantifier(&min, &max)) return false;
      int count = min + (max > min ? Below(max - min + 1) : 0);
      for (int k = 0; k < count; ++k) {
        if (k == 0) {
          out->append(once);
        } else {
          // Each repetition draws anew.
          std::size_t after = pos_;
          pos_ = atom_start;
          std::string again;
          if (!Atom(&again, depth)) return false;
          pos_ = after;
          out->append(again);
        }
        if (out->size() > kMaxOutput) return Unsupported("the result would be too long");
      }
      (void)atom_end;
    }
    return true;
  }

  bool Quantifier(int* min, int* max) {
    if (pos_ >= p_.size()) return true;
    char q = p_[pos_];
    if (q == '?' || q == '*' || q == '+') {
      ++pos_;
      *min = q == '+' ? 1 : 0;
      *max = q == '?' ? 1 : kMaxUnboundedRepeat;
    } else if (q == '{') {
      std::size_t close = p_.find('}', pos_);
      std::string_view body = close == std::string_view::npos ? std::string_view() : p_.substr(pos_ + 1, close - pos_ - 1);
      auto number = [](std::string_view s, int* n) {
        if (s.empty() || s.size() > 4) return false;
        *n = 0;
        for (char c : s) {
          if (c < '0' || c > '9') return false;
          *n = *n * 10 + (c - '0');
        }
        return true;
      };
      std::size_t comma = body.find(',');
      if (comma == std::string_view::npos) {
        if (!number(body, min)) return true;  // a literal '{' (Go reads it so)
        *max = *min;
      } else {
        if (!number(body.substr(0, comma), min)) return true;
        if (comma + 1 == body.size()) {
          *max = *min + kMaxUnboundedRepeat;
        } else if (!number(body.substr(comma + 1), max)) {
          return true;
        }
      }
      if (*max > kMaxRepeat || *min > *max) return Unsupported("repeat count");
      pos_ = close + 1;
    } else {
      return true;
    }
    if (pos_ < p_.size() && p_[pos_] == '?') ++pos_;  // lazy: same strings
    return true;
  }

  static bool InClassEscape(char e, unsigned char c) {
    bool digit = c >= '0' && c <= '9';
    bool word = digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    switch (e) {
      case 'd': return digit;
      case 'D': return !digit;
      case 'w': return word;
      case 'W': return !word;
      case 's': return space;
      case 'S': return !space;
      default: return false;
    }
  }

  // Picks one printable ASCII character (or \t\n for \s) accepted by `accepts`.
  template <typename F>
  bool Pick(std::string* out, F accepts) {
    std::string choices;
    for (int c = 9; c < 127; ++c) {
      if ((c >= 32 || c == 9 || c == 10) && accepts(static_cast<unsigned char>(c))) choices += static_cast<char>(c);
    }
    if (choices.empty()) return Unsupported("an empty character class");
    *out += choices[static_cast<std::size_t>(Below(static_cast<int>(choices.size())))];
    return true;
  }

  bool Atom(std::string* out, int depth) {
    char c = p_[pos_];
    if (c == '(') {
      ++pos_;
      if (p_.substr(pos_).starts_with("?:")) {
        pos_ += 2;
      } else if (p_.substr(pos_).starts_with("?P<") || p_.substr(pos_).starts_with("?<")) {
        std::size_t close = p_.find('>', pos_);
        if (close == std::string_view::npos) return Unsupported("group name");
        pos_ = close + 1;
      } else if (pos_ < p_.size() && p_[pos_] == '?') {
        return Unsupported("flags");
      }
      if (!Alternation(out, depth + 1)) return false;
      if (pos_ >= p_.size() || p_[pos_] != ')') return Unsupported("missing )");
      ++pos_;
      return true;
    }
    if (c == '[') return Class(out);
    if (c == '.') {
      ++pos_;
      return Pick(out, [](unsigned char ch) { return ch != '\n'; });
    }
    if (c == '^' || c == '$') {
      ++pos_;
      return true;
    }
    if (c == '\\') {
      if (pos_ + 1 >= p_.size()) return Unsupported("trailing \\");
      char e = p_[pos_ + 1];
      pos_ += 2;
      if (std::string_view("dDwWsS").find(e) != std::string_view::npos) {
        return Pick(out, [e](unsigned char ch) { return InClassEscape(e, ch); });
      }
      if (e == 'A' || e == 'z' || e == 'b' || e == 'B') return true;
      if (e == 'n') return out->push_back('\n'), true;
      if (e == 't') return out->push_back('\t'), true;
      if (std::string_view("\\.+*?()|[]{}^$-/#&~ '\"").find(e) != std::string_view::npos) return out->push_back(e), true;
      return Unsupported(std::string("\\") + e);
    }
    // A literal: the whole UTF-8 sequence.
    std::size_t n = 1;
    while (pos_ + n < p_.size() && (static_cast<unsigned char>(p_[pos_ + n]) & 0xC0) == 0x80) ++n;
    out->append(p_.substr(pos_, n));
    pos_ += n;
    return true;
  }

  bool Class(std::string* out) {
    ++pos_;  // [
    bool negated = pos_ < p_.size() && p_[pos_] == '^';
    if (negated) ++pos_;
    bool member[128] = {};
    bool first = true;
    while (pos_ < p_.size() && (p_[pos_] != ']' || first)) {
      first = false;
      unsigned char lo = static_cast<unsigned char>(p_[pos_]);
      if (lo >= 0x80) return Unsupported("non-ASCII character classes");
      if (lo == '[') return Unsupported("named classes");
      if (lo == '\\') {
        if (pos_ + 1 >= p_.size()) return Unsupported("trailing \\");
        char e = p_[pos_ + 1];
        pos_ += 2;
        if (std::string_view("dDwWsS").find(e) != std::string_view::npos) {
          for (int ch = 0; ch < 128; ++ch) member[ch] = member[ch] || InClassEscape(e, static_cast<unsigned char>(ch));
          continue;
        }
        if (static_cast<unsigned char>(e) >= 0x80 || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
          if (e != 'n' && e != 't') return Unsupported(std::string("\\") + e);
          e = e == 'n' ? '\n' : '\t';
        }
        lo = static_cast<unsigned char>(e);
      } else {
        ++pos_;
      }
      unsigned char hi = lo;
      if (pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
        hi = static_cast<unsigned char>(p_[pos_ + 1]);
        if (hi >= 0x80 || hi == '\\') return Unsupported("class range");
        pos_ += 2;
      }
      for (int ch = lo; ch <= hi; ++ch) member[ch] = true;
    }
    if (pos_ >= p_.size()) return Unsupported("missing ]");
    ++pos_;  // ]
    return Pick(out, [&](unsigned char ch) { return member[ch] != negated; });
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  std::uint64_t state_;
  std::string error_;
};

std::uint64_t Seed() {
  std::uint64_t seed = 0;
  if (getentropy(&seed, sizeof seed) != 0) seed = 0x2545F4914F6CDD1Dull;
  return seed;
}

}  // namespace

Value Random(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  const std::string& pattern = c.args[0].as_string();
  if (pattern.empty()) return c.Fail("no pattern provided");
  auto re = kubewarden::regex::Regexp::Compile(pattern);
  if (!re) return c.Fail(re.error());
  static std::uint64_t seed = Seed();
  Generator generator(pattern, seed++ * 0x9E3779B97F4A7C15ull);
  std::string out, error;
  if (!generator.Run(&out, &error)) return c.Fail(error);
  return Value(std::move(out));
}

}  // namespace kyverno::jmespath
