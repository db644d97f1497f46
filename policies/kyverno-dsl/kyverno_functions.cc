// Kyverno's JMESPath functions (Kyverno 1.10 semantics for the ones implemented here).
#include <kubewarden/regex.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "../common/image_reference.h"
#include "cel/text.h"
#include "jmespath_functions.h"
#include "kyverno_functions_more.h"
#include "scalars.h"
#include "yaml.h"

namespace kyverno::jmespath {
namespace {

Value Compare(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  int r = c.args[0].as_string().compare(c.args[1].as_string());
  return Value(r < 0 ? -1 : r > 0 ? 1 : 0);
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}
std::string Upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

Value EqualFold(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  return Value(Lower(c.args[0].as_string()) == Lower(c.args[1].as_string()));
}

std::string ReplaceN(const std::string& s, const std::string& from, const std::string& to, long long n) {
  if (n == 0) return s;
  std::string out;
  std::size_t pos = 0;
  long long done = 0;
  if (from.empty()) {
    // Go: an empty `from` matches before every character and at the end.
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (n < 0 || done < n) {
        out += to;
        ++done;
      }
      if (i < s.size()) out += s[i];
    }
    return out;
  }
  while (n < 0 || done < n) {
    std::size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos).append(to);
    pos = hit + from.size();
    ++done;
  }
  return out.append(s, pos);
}

Value Replace(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"}) || !c.Need(2, {"string"}) || !c.Need(3, {"number"})) {
    return Value();
  }
  return Value(ReplaceN(c.args[0].as_string(), c.args[1].as_string(), c.args[2].as_string(),
                        static_cast<long long>(c.args[3].as_number())));
}

Value ReplaceAll(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"}) || !c.Need(2, {"string"})) return Value();
  return Value(ReplaceN(c.args[0].as_string(), c.args[1].as_string(), c.args[2].as_string(), -1));
}

Value ToUpper(Call& c) { return c.Need(0, {"string"}) ? Value(Upper(c.args[0].as_string())) : Value(); }
Value ToLower(Call& c) { return c.Need(0, {"string"}) ? Value(Lower(c.args[0].as_string())) : Value(); }

Value Trim(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  const std::string& s = c.args[0].as_string();
  const std::string& cut = c.args[1].as_string();
  std::size_t b = s.find_first_not_of(cut);
  if (b == std::string::npos) return Value("");
  return Value(s.substr(b, s.find_last_not_of(cut) - b + 1));
}

Value TrimPrefix(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  const std::string& s = c.args[0].as_string();
  const std::string& p = c.args[1].as_string();
  return Value(s.starts_with(p) ? s.substr(p.size()) : s);
}

Value Split(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  const std::string& s = c.args[0].as_string();
  const std::string& sep = c.args[1].as_string();
  Array parts;
  if (sep.empty()) {
    for (std::size_t i = 0; i < s.size();) {
      std::size_t j = i + 1;
      while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
      parts.push_back(Value(s.substr(i, j - i)));
      i = j;
    }
    return Value(std::move(parts));
  }
  std::size_t pos = 0;
  while (true) {
    std::size_t hit = s.find(sep, pos);
    if (hit == std::string::npos) break;
    parts.push_back(Value(s.substr(pos, hit - pos)));
    pos = hit + sep.size();
  }
  parts.push_back(Value(s.substr(pos)));
  return Value(std::move(parts));
}

// The subject of regex_match/pattern_match: a string, or a number as text.
bool Subject(Call& c, std::size_t i, std::string* out) {
  if (!c.Need(i, {"string", "number"})) return false;
  *out = ScalarText(c.args[i]);
  return true;
}

Value RegexMatch(Call& c) {
  std::string subject;
  if (!c.Need(0, {"string"}) || !Subject(c, 1, &subject)) return Value();
  auto re = kubewarden::regex::Regexp::Compile(c.args[0].as_string());
  if (!re) return c.Fail(re.error());
  return Value(re->Match(subject));
}

// Go's Regexp.ReplaceAll(src, repl) (literal = false: $1, ${1}, $name, ${name} and $$ expand)
// or ReplaceAllLiteral, as Kyverno calls them.
Value RegexReplace(Call& c, bool literal) {
  std::string src;
  if (!c.Need(0, {"string"}) || !Subject(c, 1, &src) || !c.Need(2, {"string", "number"})) return Value();
  std::string repl = ScalarText(c.args[2]);
  auto re = kubewarden::regex::Regexp::Compile(c.args[0].as_string());
  if (!re) return c.Fail(re.error());
  return Value(literal ? re->ReplaceAllLiteralString(src, repl) : re->ReplaceAllString(src, repl));
}
Value RegexReplaceAll(Call& c) { return RegexReplace(c, false); }
Value RegexReplaceAllLiteral(Call& c) { return RegexReplace(c, true); }

Value PatternMatch(Call& c) {
  std::string subject;
  if (!c.Need(0, {"string"}) || !Subject(c, 1, &subject)) return Value();
  return Value(Wildcard(c.args[0].as_string(), subject));
}

Value LabelMatch(Call& c) {
  if (!c.Need(0, {"object"}) || !c.Need(1, {"object"})) return Value();
  for (const auto& [k, v] : c.args[0].as_object()) {
    const Value* have = c.args[1].Find(k);
    if (have == nullptr || !Equal(*have, v)) return Value(false);
  }
  return Value(true);
}

Value ToBoolean(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  std::string s = Lower(c.args[0].as_string());
  if (s == "true") return Value(true);
  if (s == "false") return Value(false);
  return c.Fail("lower case '" + c.args[0].as_string() + "' is neither 'true' nor 'false'");
}

bool Numbers(Call& c, double* a, double* b) {
  if (!c.Need(0, {"number"}) || !c.Need(1, {"number"})) return false;
  *a = c.args[0].as_number();
  *b = c.args[1].as_number();
  return true;
}
Value Add(Call& c) {
  double a, b;
  return Numbers(c, &a, &b) ? Value(a + b) : Value();
}
Value Subtract(Call& c) {
  double a, b;
  return Numbers(c, &a, &b) ? Value(a - b) : Value();
}
Value Multiply(Call& c) {
  double a, b;
  return Numbers(c, &a, &b) ? Value(a * b) : Value();
}
Value Divide(Call& c) {
  double a, b;
  if (!Numbers(c, &a, &b)) return Value();
  if (b == 0) return c.Fail("Zero divisor passed");
  return Value(a / b);
}
Value Modulo(Call& c) {
  double a, b;
  if (!Numbers(c, &a, &b)) return Value();
  if (a != std::trunc(a) || b != std::trunc(b)) return c.Fail("Non-integer argument(s) passed for modulo");
  if (b == 0) return c.Fail("Zero divisor passed");
  return Value(std::fmod(a, b));
}

Value Base64Encode(Call& c) {
  return c.Need(0, {"string"}) ? Value(kw::cel::Base64Encode(c.args[0].as_string())) : Value();
}

Value Base64Decode(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  const std::string& s = c.args[0].as_string();
  auto digit = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
  };
  std::string out;
  std::size_t end = s.size();
  while (end > 0 && s[end - 1] == '=' && s.size() - end < 2) --end;
  if (s.size() % 4 != 0) return c.Fail("illegal base64 data at input byte " + std::to_string(s.size() / 4 * 4));
  unsigned bits = 0;
  int nbits = 0;
  for (std::size_t i = 0; i < end; ++i) {
    int d = digit(s[i]);
    if (d < 0) return c.Fail("illegal base64 data at input byte " + std::to_string(i));
    bits = (bits << 6) | static_cast<unsigned>(d);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> nbits) & 0xFF);
    }
  }
  return Value(std::move(out));
}

Value PathCanonicalize(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  return Value(CleanPath(c.args[0].as_string()));
}

Value Truncate(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"number"})) return Value();
  double n = c.args[1].as_number();
  const std::string& s = c.args[0].as_string();
  if (n < 0) n = 0;
  std::size_t len = static_cast<std::size_t>(n);
  return Value(len >= s.size() ? s : s.substr(0, len));
}

Value ParseJsonFn(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  Value v;
  std::string error;
  if (!ParseJson(c.args[0].as_string(), &v, &error)) return c.Fail(error);
  return v;
}

Value ParseYamlFn(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  Value v;
  std::string error;
  if (!ParseYaml(c.args[0].as_string(), &v, &error)) return c.Fail(error);
  return v;
}

Value Items(Call& c) {
  if (!c.Need(0, {"object", "array"}) || !c.Need(1, {"string"}) || !c.Need(2, {"string"})) return Value();
  Array out;
  const std::string& key_name = c.args[1].as_string();
  const std::string& value_name = c.args[2].as_string();
  if (c.args[0].is_object()) {
    for (const auto& [k, v] : c.args[0].as_object()) out.push_back(Value(Object{{key_name, Value(k)}, {value_name, v}}));
  } else {
    const Array& a = c.args[0].as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      out.push_back(Value(Object{{key_name, Value(static_cast<double>(i))}, {value_name, a[i]}}));
    }
  }
  return Value(std::move(out));
}

Value ObjectFromLists(Call& c) {
  if (!c.Need(0, {"array"}) || !c.Need(1, {"array"})) return Value();
  const Array& keys = c.args[0].as_array();
  const Array& values = c.args[1].as_array();
  Object out;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i].is_string()) return c.Fail("object_from_lists: keys must be strings");
    out.insert_or_assign(keys[i].as_string(), i < values.size() ? values[i] : Value());
  }
  return Value(std::move(out));
}

// semver_compare(version, range): a comparator (=, !=, >, >=, <, <=; none means =) before a
// version, ranges joined by spaces (all must hold) or "||" (any).
struct Version {
  long long part[3] = {0, 0, 0};
  std::string pre;
};
std::optional<Version> ParseVersion(std::string_view s) {
  if (!s.empty() && s[0] == 'v') s.remove_prefix(1);
  Version v;
  std::size_t plus = s.find('+');
  if (plus != std::string_view::npos) s = s.substr(0, plus);
  std::size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    v.pre = std::string(s.substr(dash + 1));
    s = s.substr(0, dash);
  }
  int k = 0;
  std::size_t i = 0;
  while (k < 3) {
    std::size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i || j - i > 15) return std::nullopt;
    std::from_chars(s.data() + i, s.data() + j, v.part[k++]);  // not stoll: no strtoll in the module
    if (j == s.size()) break;
    if (s[j] != '.') return std::nullopt;
    i = j + 1;
    if (k == 3) return std::nullopt;
  }
  if (k == 0) return std::nullopt;
  return v;
}
int CompareVersions(const Version& a, const Version& b) {
  for (int k = 0; k < 3; ++k) {
    if (a.part[k] != b.part[k]) return a.part[k] < b.part[k] ? -1 : 1;
  }
  if (a.pre == b.pre) return 0;
  if (a.pre.empty()) return 1;
  if (b.pre.empty()) return -1;
  return a.pre < b.pre ? -1 : 1;
}

Value SemverCompare(Call& c) {
  if (!c.Need(0, {"string"}) || !c.Need(1, {"string"})) return Value();
  std::optional<Version> version = ParseVersion(c.args[0].as_string());
  if (!version) return c.Fail("Invalid Semantic Version");
  const std::string& range = c.args[1].as_string();
  std::size_t start = 0;
  while (start <= range.size()) {
    std::size_t bar = range.find("||", start);
    std::string alternative = range.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    bool all = true;
    bool any_term = false;
    std::size_t i = 0;
    while (i < alternative.size()) {
      while (i < alternative.size() && alternative[i] == ' ') ++i;
      if (i >= alternative.size()) break;
      std::size_t j = i;
      while (j < alternative.size() && std::string_view("<>=!").find(alternative[j]) != std::string_view::npos) ++j;
      std::string op = alternative.substr(i, j - i);
      while (j < alternative.size() && alternative[j] == ' ') ++j;
      std::size_t k = j;
      while (k < alternative.size() && alternative[k] != ' ') ++k;
      std::optional<Version> bound = ParseVersion(std::string_view(alternative).substr(j, k - j));
      if (!bound) return c.Fail("Could not get version from string: \"" + alternative + "\"");
      int r = CompareVersions(*version, *bound);
      bool ok = op.empty() || op == "=" || op == "==" ? r == 0
                : op == "!="                          ? r != 0
                : op == ">"                           ? r > 0
                : op == ">="                          ? r >= 0
                : op == "<"                           ? r < 0
                : op == "<="                          ? r <= 0
                                                      : false;
      all = all && ok;
      any_term = true;
      i = k;
    }
    if (any_term && all) return Value(true);
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  return Value(false);
}

}  // namespace

// image_normalize(image): Kyverno's ImageInfo text. Like Kyverno, the default registry is
// prepended when the first component is not a domain, but the path is kept as written (no
// "library/"); "latest" is the tag when there is neither tag nor digest, and a digest drops
// the tag.
Value ImageNormalize(Call& c) {
  if (!c.Need(0, {"string"})) return Value();
  const std::string& image = c.args[0].as_string();
  std::string full = image;
  std::size_t slash = image.find('/');
  std::string_view first = std::string_view(image).substr(0, slash);
  bool has_domain = slash != std::string::npos &&
                    (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
                     std::any_of(first.begin(), first.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }));
  if (!has_domain) full = "docker.io/" + image;
  auto parsed = image_reference::ParseReference(full);
  if (!parsed) {
    return c.Fail("JMESPath function 'image_normalize': bad image: " + full +
                  ", defaultRegistry: docker.io, enableDefaultRegistryMutation: true: " + parsed.error());
  }
  std::string_view rest = full;
  std::string digest;
  if (std::size_t at = rest.find('@'); at != std::string_view::npos) {
    digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  std::string tag = "latest";
  std::size_t colon = rest.rfind(':');
  bool tagged = colon != std::string_view::npos && rest.substr(colon + 1).find('/') == std::string_view::npos;
  if (tagged) {
    tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  if (!digest.empty()) return Value(std::string(rest) + "@" + digest);
  return Value(std::string(rest) + ":" + tag);
}

namespace {

constexpr FunctionSpec kKyvernoFunctions[] = {
    {"compare", 2, 2, Compare},
    {"equal_fold", 2, 2, EqualFold},
    {"replace", 4, 4, Replace},
    {"replace_all", 3, 3, ReplaceAll},
    {"to_upper", 1, 1, ToUpper},
    {"to_lower", 1, 1, ToLower},
    {"trim", 2, 2, Trim},
    {"trim_prefix", 2, 2, TrimPrefix},
    {"split", 2, 2, Split},
    {"regex_replace_all", 3, 3, RegexReplaceAll},
    {"regex_replace_all_literal", 3, 3, RegexReplaceAllLiteral},
    {"regex_match", 2, 2, RegexMatch},
    {"pattern_match", 2, 2, PatternMatch},
    {"label_match", 2, 2, LabelMatch},
    {"to_boolean", 1, 1, ToBoolean},
    {"add", 2, 2, Add},
    {"subtract", 2, 2, Subtract},
    {"multiply", 2, 2, Multiply},
    {"divide", 2, 2, Divide},
    {"modulo", 2, 2, Modulo},
    {"base64_decode", 1, 1, Base64Decode},
    {"base64_encode", 1, 1, Base64Encode},
    {"path_canonicalize", 1, 1, PathCanonicalize},
    {"truncate", 2, 2, Truncate},
    {"semver_compare", 2, 2, SemverCompare},
    {"parse_json", 1, 1, ParseJsonFn},
    {"parse_yaml", 1, 1, ParseYamlFn},
    {"items", 3, 3, Items},
    {"object_from_lists", 2, 2, ObjectFromLists},
    {"time_since", 3, 3, TimeSince},
    {"time_now", 0, 0, TimeNow},
    {"time_now_utc", 0, 0, TimeNowUtc},
    {"random", 1, 1, Random},
    {"x509_decode", 1, 1, X509Decode},
    {"time_to_cron", 1, 1, TimeToCron},
    {"time_add", 2, 2, TimeAdd},
    {"time_parse", 2, 2, TimeParse},
    {"time_utc", 1, 1, TimeUtc},
    {"time_diff", 2, 2, TimeDiff},
    {"time_before", 2, 2, TimeBefore},
    {"time_after", 2, 2, TimeAfter},
    {"time_between", 3, 3, TimeBetween},
    {"time_truncate", 2, 2, TimeTruncate},
    {"image_normalize", 1, 1, ImageNormalize},
};

}  // namespace

const FunctionSpec* FindKyvernoFunction(std::string_view name) {
  for (const FunctionSpec& f : kKyvernoFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace kyverno::jmespath
