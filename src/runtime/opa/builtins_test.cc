#include "runtime/opa/builtins.h"
#include "runtime/opa/rego_value.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace kw::runtime::opa {
namespace {

// Calls builtin `name` with the arguments of the JSON array `args_json`.
Result<json::value> Call(std::string_view name, std::string_view args_json,
                         const BuiltinContext& context = {}) {
  Builtin builtin = FindBuiltin(name);
  if (builtin == nullptr) return Fail(ErrorKind::kNotFound, "no builtin " + std::string(name));
  auto args = ParseJson(args_json);
  if (!args || !args->is_array()) return Fail(ErrorKind::kInternal, "bad test arguments");
  const json::array& array = args->get_array();
  return builtin(context, std::span<const json::value>(array.data(), array.size()));
}

// The result as compact JSON, or "error: <message>".
std::string Eval(std::string_view name, std::string_view args_json) {
  auto result = Call(name, args_json);
  if (!result) return "error: " + result.error().message;
  return RegoValueText(*result);
}

// sprintf's result string, or "error: <message>".
std::string Sprintf(std::string_view format, std::string_view values_json) {
  json::array args{json::string(format), *ParseJson(values_json)};
  auto result = FindBuiltin("sprintf")(BuiltinContext{}, std::span<const json::value>(args.data(), 2));
  if (!result) return "error: " + result.error().message;
  return std::string(result->get_string());
}

TEST(OpaBuiltins, RegistersBurregosNamesAndTheTimeAliases) {
  for (std::string_view name :
       {"trace", "base64url.encode_no_pad", "urlquery.encode", "urlquery.decode",
        "urlquery.encode_object", "urlquery.decode_object", "json.is_valid", "yaml.marshal",
        "yaml.unmarshal", "yaml.is_valid", "hex.encode", "hex.decode", "glob.quote_meta",
        "json.patch", "regex.split", "regex.template_match", "regex.find_n", "regex.replace",
        "regex.globs_match", "regex.find_all_string_submatch_n", "semver.is_valid",
        "semver.compare", "sprintf", "time.now_ns", "parse_rfc3339_ns", "date",
        "time.parse_rfc3339_ns", "time.date"}) {
    EXPECT_NE(FindBuiltin(name), nullptr) << name;
  }
  EXPECT_EQ(FindBuiltin("http.send"), nullptr);
  EXPECT_EQ(FindBuiltin(""), nullptr);
  auto names = BuiltinNames();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "a name twice";
}

TEST(OpaBuiltins, RejectsOperandsOfTheWrongType) {
  EXPECT_EQ(Eval("hex.encode", "[1]"), "error: hex.encode: operand 1 must be string but got number");
  EXPECT_EQ(Eval("urlquery.encode", "[null]"),
            "error: urlquery.encode: operand 1 must be string but got null");
  EXPECT_EQ(Eval("sprintf", R"(["%d", 1])"),
            "error: sprintf: operand 2 must be array but got number");
  EXPECT_EQ(Eval("regex.split", R"(["a", ["b"]])"),
            "error: regex.split: operand 2 must be string but got array");
  EXPECT_EQ(Eval("trace", "[]"), "error: trace: expects 1 arguments, got 0");
}

TEST(OpaBuiltins, Trace) { EXPECT_EQ(Eval("trace", R"(["hello"])"), "true"); }

TEST(OpaBuiltins, InternalPrintAnswersSoThatTheRuleGoesOn) {
  // The lines go to the log; what the test can see is that print is never undefined.
  EXPECT_EQ(Eval("internal.print", R"([[{"\u0000rego.set": ["a", 1]}, {"\u0000rego.set": []}]])"), "true");
  EXPECT_EQ(Eval("internal.print", "[[]]"), "true");
  EXPECT_EQ(Eval("internal.print", "[[1]]"), "error: internal.print: illegal argument type: number");
  EXPECT_EQ(Eval("internal.print", "[1]"), "error: internal.print: operand 1 must be array but got number");
}

TEST(OpaBuiltins, Base64UrlEncodeNoPad) {
  EXPECT_EQ(Eval("base64url.encode_no_pad", R"(["hello"])"), R"("aGVsbG8")");
  EXPECT_EQ(Eval("base64url.encode_no_pad", R"(["\u00ff\u00fe?>"])"), R"("w7_Dvj8-")");
  EXPECT_EQ(Eval("base64url.encode_no_pad", R"([""])"), R"("")");
}

TEST(OpaBuiltins, Hex) {
  EXPECT_EQ(Eval("hex.encode", R"(["lorem ipsum"])"), R"("6c6f72656d20697073756d")");
  EXPECT_EQ(Eval("hex.decode", R"(["6c6F72656d"])"), R"("lorem")");
  EXPECT_EQ(Eval("hex.decode", R"(["6g"])"),
            "error: hex.decode: encoding/hex: invalid byte: U+0067 'g'");
  EXPECT_EQ(Eval("hex.decode", R"(["6c6"])"), "error: hex.decode: encoding/hex: odd length hex string");
  EXPECT_EQ(Eval("hex.decode", R"(["6c6z"])"), "error: hex.decode: encoding/hex: invalid byte: U+007A 'z'");
  EXPECT_EQ(Eval("hex.decode", R"(["\u00e9"])"), "error: hex.decode: encoding/hex: invalid byte: U+00C3 'Ã'");
  EXPECT_EQ(Eval("hex.decode", R"(["\n0"])"), "error: hex.decode: encoding/hex: invalid byte: U+000A");
  // Bytes that are not UTF-8 reach the guest as U+FFFD, as Go's encoding/json writes them.
  EXPECT_EQ(Eval("hex.decode", R"(["ff41c3"])"), "\"\xEF\xBF\xBD" "A\xEF\xBF\xBD\"");
  EXPECT_EQ(Eval("urlquery.decode", R"(["%FF%41"])"), "\"\xEF\xBF\xBD" "A\"");
}

TEST(OpaBuiltins, UrlQuery) {
  EXPECT_EQ(Eval("urlquery.encode", R"(["a b&c=d/é~"])"), R"("a+b%26c%3Dd%2F%C3%A9~")");
  EXPECT_EQ(Eval("urlquery.decode", R"(["a+b%26c%3dd"])"), R"("a b&c=d")");
  EXPECT_EQ(Eval("urlquery.decode", R"(["100%zz"])"),
            R"(error: urlquery.decode: invalid URL escape "%zz")");
  EXPECT_EQ(Eval("urlquery.decode", R"(["abc%4"])"),
            R"(error: urlquery.decode: invalid URL escape "%4")");
  EXPECT_EQ(Eval("urlquery.encode_object", R"([{"z": "1", "a": ["x y", "2"], "m": "&"}])"),
            R"("a=x+y&a=2&m=%26&z=1")");
  EXPECT_EQ(Eval("urlquery.encode_object", R"([{}])"), R"("")");
  EXPECT_EQ(Eval("urlquery.encode_object", R"([{"a": 1}])"),
            "error: urlquery.encode_object: query parameter value must be string, "
            "array[string], or set[string]");
  EXPECT_EQ(Eval("urlquery.decode_object", R"(["a=1&b=x+y&a=2&&c"])"),
            R"({"a":["1","2"],"b":["x y"],"c":[""]})");
  EXPECT_EQ(Eval("urlquery.decode_object", R"([""])"), "{}");
  EXPECT_EQ(Eval("urlquery.decode_object", R"(["a=1;b=2"])"),
            "error: urlquery.decode_object: invalid semicolon separator in query");
  // Go reports the semicolon even after an earlier bad escape, and a bad escape otherwise.
  EXPECT_EQ(Eval("urlquery.decode_object", R"(["a=%zz&b;c"])"),
            "error: urlquery.decode_object: invalid semicolon separator in query");
  EXPECT_EQ(Eval("urlquery.decode_object", R"(["a=%zz&b=%4"])"),
            R"(error: urlquery.decode_object: invalid URL escape "%zz")");
}

TEST(OpaBuiltins, JsonIsValidAndPatch) {
  EXPECT_EQ(Eval("json.is_valid", R"(["{\"a\": [1]}"])"), "true");
  EXPECT_EQ(Eval("json.is_valid", R"(["{a: 1}"])"), "false");
  EXPECT_EQ(Eval("json.is_valid", "[7]"), "false");
  EXPECT_EQ(Eval("json.patch", R"([{"a": {"foo": 1}}, [{"op": "add", "path": "/a/bar", "value": 2}]])"),
            R"({"a":{"foo":1,"bar":2}})");
  // OPA also takes a path as an array of segments.
  EXPECT_EQ(Eval("json.patch", R"([{"a": ["x"]}, [{"op": "replace", "path": ["a", 0], "value": "y"}]])"),
            R"({"a":["y"]})");
  EXPECT_EQ(Eval("json.patch", R"([{"a": 1}, [{"op": "test", "path": "/a", "value": 2}]])").rfind(
                "error: json.patch: ", 0),
            0u);
  EXPECT_EQ(Eval("json.patch", R"([{}, {}])"),
            "error: json.patch: operand 2 must be array but got object");
}

TEST(OpaBuiltins, Yaml) {
  EXPECT_EQ(Eval("yaml.marshal", R"([{"b": [1, "x"], "a": true}])"), R"("a: true\nb:\n- 1\n- x\n")");
  EXPECT_EQ(Eval("yaml.unmarshal", R"(["a: 1\nb: [x, 2.5]\n"])"), R"({"a":1,"b":["x",2.5E0]})");
  EXPECT_EQ(Eval("yaml.unmarshal", R"(["a: 1\n---\nb: 2\n"])").rfind("error: yaml.unmarshal: ", 0), 0u);
  EXPECT_EQ(Eval("yaml.unmarshal", R"(["a: [1"])").rfind("error: yaml.unmarshal: invalid YAML", 0), 0u);
  EXPECT_EQ(Eval("yaml.is_valid", R"(["a: 1"])"), "true");
  EXPECT_EQ(Eval("yaml.is_valid", R"(["a: [1"])"), "false");
  EXPECT_EQ(Eval("yaml.is_valid", "[{}]"), "false");
}

TEST(OpaBuiltins, GlobQuoteMeta) {
  EXPECT_EQ(Eval("glob.quote_meta", R"(["*.github.com"])"), R"("\\*.github.com")");
  EXPECT_EQ(Eval("glob.quote_meta", R"(["[a]{b,c}?\\!-"])"), R"("\\[a\\]\\{b,c\\}\\?\\\\!-")");
}

TEST(OpaBuiltins, SemVer) {
  EXPECT_EQ(Eval("semver.is_valid", R"(["1.0.0-alpha.1+build.5"])"), "true");
  EXPECT_EQ(Eval("semver.is_valid", R"(["1.0"])"), "false");
  EXPECT_EQ(Eval("semver.is_valid", R"(["01.0.0"])"), "false");
  EXPECT_EQ(Eval("semver.is_valid", R"(["1.0.0-01"])"), "false");
  EXPECT_EQ(Eval("semver.is_valid", R"(["v1.0.0"])"), "false");
  EXPECT_EQ(Eval("semver.is_valid", "[1]"), "false");
  EXPECT_EQ(Eval("semver.compare", R"(["1.0.0", "1.0.0+meta"])"), "0");
  EXPECT_EQ(Eval("semver.compare", R"(["1.10.0", "1.9.0"])"), "1");
  EXPECT_EQ(Eval("semver.compare", R"(["1.0.0-alpha", "1.0.0"])"), "-1");
  // SemVer 2.0.0 §11's chain, pairwise.
  const char* chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"};
  for (std::size_t i = 0; i + 1 < std::size(chain); ++i) {
    std::string args = std::string("[\"") + chain[i] + "\", \"" + chain[i + 1] + "\"]";
    EXPECT_EQ(Eval("semver.compare", args), "-1") << args;
  }
  EXPECT_EQ(Eval("semver.compare", R"(["1.0", "1.0.0"])"),
            R"(error: semver.compare: operand 1: string "1.0" is not a valid SemVer)");
}

TEST(OpaBuiltins, Time) {
  BuiltinContext context{.now_ns = 1'700'000'000'123'456'789};
  auto now = Call("time.now_ns", "[]", context);
  ASSERT_TRUE(now) << now.error().message;
  EXPECT_EQ(now->as_int64(), context.now_ns);

  EXPECT_EQ(Eval("time.parse_rfc3339_ns", R"(["1970-01-01T00:00:00Z"])"), "0");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["2017-06-02T19:00:00.123456789-07:00"])"),
            "1496455200123456789");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["1969-12-31T23:59:59.5Z"])"), "-500000000");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["2021-02-29T00:00:00Z"])"),
            R"(error: time.parse_rfc3339_ns: parsing time "2021-02-29T00:00:00Z": day out of range)");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["2021-01-01"])"),
            R"(error: time.parse_rfc3339_ns: parsing time "2021-01-01" as )"
            R"("2006-01-02T15:04:05Z07:00": cannot parse "" as "T")");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["2021-01-01T10:00:00+0100"])"),
            R"(error: time.parse_rfc3339_ns: parsing time "2021-01-01T10:00:00+0100" as )"
            R"("2006-01-02T15:04:05Z07:00": cannot parse "+0100" as "Z07:00")");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["2021-01-01T10:00:00Z "])"),
            R"(error: time.parse_rfc3339_ns: parsing time "2021-01-01T10:00:00Z ": extra text: " ")");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["2021-01-01T24:00:00Z"])"),
            R"(error: time.parse_rfc3339_ns: parsing time "2021-01-01T24:00:00Z": hour out of range)");
  // Go reads nine digits of a fraction and skips the rest; it accepts a +24:00 offset.
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["1970-01-01T00:00:00.1234567891Z"])"), "123456789");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["1970-01-02T00:00:00+24:00"])"), "0");
  EXPECT_EQ(Eval("parse_rfc3339_ns", R"(["3000-01-01T00:00:00Z"])").rfind("error: ", 0), 0u);

  EXPECT_EQ(Eval("time.date", "[1496455200123456789]"), "[2017,6,3]");
  EXPECT_EQ(Eval("date", "[-1]"), "[1969,12,31]");
  EXPECT_EQ(Eval("time.date", R"([[1496455200123456789, "UTC"]])"), "[2017,6,3]");
  EXPECT_EQ(Eval("time.date", R"([[1496455200123456789, ""]])"), "[2017,6,3]");
  EXPECT_EQ(Eval("time.date", R"([[1496455200123456789, "Nowhere/Special"]])"),
            "error: time.date: unknown time zone Nowhere/Special");
  EXPECT_EQ(Eval("time.date", R"([[0, "../../etc/passwd"]])"),
            "error: time.date: time: invalid location name");
  EXPECT_EQ(Eval("time.date", R"(["x"])"),
            "error: time.date: operand 1 must be either number (ns) or [number (ns), string "
            "(tz)] but got string");
  EXPECT_EQ(Eval("time.date", "[1.5]"), "error: time.date: timestamp too big");
}

TEST(OpaBuiltins, DateInANamedZone) {
  // 2017-06-03T02:00:00Z is still June 2 in Los Angeles (UTC-7 in summer).
  auto r = Call("time.date", R"([[1496455200000000000, "America/Los_Angeles"]])");
  if (!r && r.error().message.find("unknown time zone") != std::string::npos) {
    GTEST_SKIP() << "no tzdata on this system";
  }
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(ToJson(*r), "[2017,6,2]");
  // And January 1st 00:30 in Tokyo is still December 31st in UTC.
  EXPECT_EQ(Eval("time.date", R"([[1609428600000000000, "Asia/Tokyo"]])"), "[2021,1,1]");
  EXPECT_EQ(Eval("time.date", "[1609428600000000000]"), "[2020,12,31]");
}

TEST(OpaBuiltins, RegexSplit) {
  EXPECT_EQ(Eval("regex.split", R"(["a", "banana"])"), R"(["b","n","n",""])");
  EXPECT_EQ(Eval("regex.split", R"(["x*", "xaxbx"])"), R"(["","a","b",""])");
  EXPECT_EQ(Eval("regex.split", R"(["", "abc"])"), R"(["a","b","c"])");
  EXPECT_EQ(Eval("regex.split", R"(["a", ""])"), R"([""])");
  EXPECT_EQ(Eval("regex.split", R"(["[", "a"])"),
            "error: regex.split: error parsing regexp: missing closing ]: `[`");
}

TEST(OpaBuiltins, RegexFindN) {
  EXPECT_EQ(Eval("regex.find_n", R"(["a.", "paranormal", -1])"), R"(["ar","an","al"])");
  EXPECT_EQ(Eval("regex.find_n", R"(["a.", "paranormal", 2])"), R"(["ar","an"])");
  EXPECT_EQ(Eval("regex.find_n", R"(["a.", "paranormal", 0])"), "[]");
  EXPECT_EQ(Eval("regex.find_n", R"(["z", "paranormal", -1])"), "[]");
  // Later searches still see the text before them: ^ matches only at the start, \b only at
  // word boundaries.
  EXPECT_EQ(Eval("regex.find_n", R"(["^a", "aaa", -1])"), R"(["a"])");
  EXPECT_EQ(Eval("regex.find_n", R"(["\\bx", "xx x", -1])"), R"(["x","x"])");
  EXPECT_EQ(Eval("regex.find_n", R"(["(?m)^x", "xx\nx", -1])"), R"(["x","x"])");
  // Go skips an empty match right after a match.
  EXPECT_EQ(Eval("regex.find_n", R"(["a*", "baaac", -1])"), R"(["","aaa",""])");
  EXPECT_EQ(Eval("regex.find_n", R"(["a", "b", 1.5])"),
            "error: regex.find_n: operand 3 must be integer number but got floating-point number");
}

// OPA's regex.find_all_string_submatch_n is Go's FindAllStringSubmatch (the examples of Go's
// documentation): a group that took no part reads "".
TEST(OpaBuiltins, RegexFindAllStringSubmatchN) {
  EXPECT_EQ(Eval("regex.find_all_string_submatch_n", R"(["a(x*)b", "-ab-axxb-", -1])"),
            R"([["ab",""],["axxb","xx"]])");
  EXPECT_EQ(Eval("regex.find_all_string_submatch_n", R"(["a(x*)b", "-ab-axxb-", 1])"),
            R"([["ab",""]])");
  EXPECT_EQ(Eval("regex.find_all_string_submatch_n", R"(["a(x*)b(y|z)?", "-axxxby-ab-", -1])"),
            R"([["axxxby","xxx","y"],["ab","",""]])");
  EXPECT_EQ(Eval("regex.find_all_string_submatch_n", R"(["a(x*)b", "-foo-", -1])"), "[]");
  EXPECT_EQ(Eval("regex.find_all_string_submatch_n", R"(["x*", "ab", -1])"), R"([[""],[""],[""]])");
  EXPECT_EQ(Eval("regex.find_all_string_submatch_n", R"(["(", "ab", -1])"),
            "error: regex.find_all_string_submatch_n: error parsing regexp: missing closing ): `(`");
}

// Go's ReplaceAllString, as OPA's regex.replace(s, pattern, value) calls it.
TEST(OpaBuiltins, RegexReplace) {
  EXPECT_EQ(Eval("regex.replace", R"(["-ab-axxb-", "a(x*)b", "T"])"), R"("-T-T-")");
  EXPECT_EQ(Eval("regex.replace", R"(["-ab-axxb-", "a(x*)b", "$1"])"), R"("--xx-")");
  EXPECT_EQ(Eval("regex.replace", R"(["-ab-axxb-", "a(x*)b", "$1W"])"), R"("---")");
  EXPECT_EQ(Eval("regex.replace", R"(["-ab-axxb-", "a(x*)b", "${1}W"])"), R"("-W-xxW-")");
  EXPECT_EQ(Eval("regex.replace", R"x(["Alan Turing", "(?P<first>\\w+) (?P<last>\\w+)", "${last}, $first"])x"),
            R"("Turing, Alan")");
  EXPECT_EQ(Eval("regex.replace", R"(["baaac", "a*", "X"])"), R"("XbXcX")");
  EXPECT_EQ(Eval("regex.replace", R"(["1.2.3", "\\.", "$$"])"), R"("1$2$3")");
  EXPECT_EQ(Eval("regex.replace", R"(["abc", "z", "y"])"), R"("abc")");
  EXPECT_EQ(Eval("regex.replace", R"(["abc", "a{1001}", "y"])"),
            "error: regex.replace: error parsing regexp: invalid repeat count: `{1001}`");
  EXPECT_EQ(Eval("regex.replace", R"(["abc", "b", 1])"),
            "error: regex.replace: operand 3 must be string but got number");
}

// regex.globs_match: whether the two globs (`.`, classes, `*`, `+`, escapes; anchored) share a
// non-empty string. The first two are the glob-intersection package's own examples.
TEST(OpaBuiltins, RegexGlobsMatch) {
  auto globs = [](std::string_view a, std::string_view b) {
    return Eval("regex.globs_match", std::string(R"([")") + std::string(a) + R"(", ")" +
                                         std::string(b) + R"("])");
  };
  EXPECT_EQ(globs("a.a.", ".b.b"), "true");          // both match "abab"
  EXPECT_EQ(globs("[a-z]+", "[0-9]*"), "false");
  EXPECT_EQ(globs("a.a.[0-9]+z", ".b.b2359825792*z"), "true");
  EXPECT_EQ(globs("a.a.[0-9]+z", ".b.b2359825792*"), "false");
  EXPECT_EQ(globs("abc", "abc"), "true");
  EXPECT_EQ(globs("abc", "abcd"), "false");
  EXPECT_EQ(globs("ab*c", "a+bbbc"), "true");        // "abbbc"
  EXPECT_EQ(globs("ab*c", "aa+bc"), "false");        // `ab*c` has one `a`
  EXPECT_EQ(globs("a+b*c", "aaabbbc"), "true");
  EXPECT_EQ(globs("[a-c]+x", "[c-e]+x"), "true");
  EXPECT_EQ(globs("[a-b]+x", "[c-e]+x"), "false");
  EXPECT_EQ(globs(".*", "anything"), "true");
  EXPECT_EQ(globs("a*", "b*"), "false");             // they share "" only
  EXPECT_EQ(globs("", ""), "false");
  EXPECT_EQ(globs("a*", "a*"), "true");              // "a"
  EXPECT_EQ(globs("a*b*", "b"), "true");
  EXPECT_EQ(globs("a?", "a"), "false");              // `?` is a literal here
  EXPECT_EQ(globs("a?", "a\\\\?"), "true");
  EXPECT_EQ(globs("\\\\.", "x"), "false");           // an escaped `.` is a dot
  EXPECT_EQ(globs("[\\\\]]", "\\\\]"), "true");
  EXPECT_EQ(globs("\xc3\xa9+", "[\xc3\xa0-\xc3\xbf]"), "true");  // runes, not bytes
  for (std::string_view bad : {"*a", "a**", "a+*", "[", "[]", "[a-", "[b-a]", "[-a]", "a]", "\\\\"}) {
    EXPECT_EQ(globs(bad, "a"), "error: regex.globs_match: the input provided is invalid") << bad;
    EXPECT_EQ(globs("a", bad), "error: regex.globs_match: the input provided is invalid") << bad;
  }
  EXPECT_EQ(Eval("regex.globs_match", R"(["a", 1])"),
            "error: regex.globs_match: operand 2 must be string but got number");
  // The product of the lengths is capped: an error, not a long search.
  std::string long_glob(5000, 'a');
  EXPECT_EQ(globs(long_glob, long_glob),
            "error: regex.globs_match: globs too long: the product of their lengths exceeds "
            "16777216 runes");
}

TEST(OpaBuiltins, RegexTemplateMatch) {
  EXPECT_EQ(Eval("regex.template_match", R"(["urn:foo:{.*}", "urn:foo:bar:baz", "{", "}"])"), "true");
  EXPECT_EQ(Eval("regex.template_match", R"(["urn:foo.bar:{[a-z]+}", "urn:foo.bar:baz", "{", "}"])"),
            "true");
  // The text outside the delimiters is literal: '.' does not match 'x'.
  EXPECT_EQ(Eval("regex.template_match", R"(["urn:foo.bar:{[a-z]+}", "urn:fooxbar:baz", "{", "}"])"),
            "false");
  EXPECT_EQ(Eval("regex.template_match", R"(["<[0-9]+>-x", "12-x", "<", ">"])"), "true");
  EXPECT_EQ(Eval("regex.template_match", R"(["{a", "a", "{", "}"])"),
            R"(error: regex.template_match: unbalanced braces in "{a")");
  EXPECT_EQ(Eval("regex.template_match", R"(["{a}", "a", "{{", "}"])"),
            "error: regex.template_match: start delimiter has to be exactly one character long "
            "but is 2 long");
}

TEST(OpaSprintf, FormatsNumbersAndStrings) {
  EXPECT_EQ(Sprintf("%d items at %.2f", "[3, 1.5]"), "3 items at 1.50");
  EXPECT_EQ(Sprintf("hello %s, you are %v", R"(["bob", 42])"), "hello bob, you are 42");
  EXPECT_EQ(Sprintf("%5d|%-5d|%05d|%+d|% d", "[1, 2, -3, 4, 5]"), "    1|2    |-0003|+4| 5");
  EXPECT_EQ(Sprintf("%x %X %o %O %b %#x %#o %#b", "[255, 255, 8, 8, 5, 255, 8, 5]"),
            "ff FF 10 0o10 101 0xff 010 0b101");
  EXPECT_EQ(Sprintf("%.3d|%8.3d|%.0d|", "[7, -7, 0]"), "007|    -007||");
  EXPECT_EQ(Sprintf("%c %q %U %#U", "[65, 97, 9731, 9731]"), "A 'a' U+2603 U+2603 '☃'");
  EXPECT_EQ(Sprintf("%v %v %v %v", "[1.5, 100000.0, 1000000.0, 0.00001]"),
            "1.5 100000 1e+06 1e-05");
  EXPECT_EQ(Sprintf("%e %E %.2e %g %G %.3g", "[1234.5678, 1234.5678, 1234.5678, 0.5, 1e21, 3.14159]"),
            "1.234568e+03 1.234568E+03 1.23e+03 0.5 1E+21 3.14");
  EXPECT_EQ(Sprintf("%f|%8.2f|%-8.2f|%08.2f|%+.1f", "[3.0, 3.14159, 3.14159, -3.14159, 2.0]"),
            "3.000000|    3.14|3.14    |-0003.14|+2.0");
  EXPECT_EQ(Sprintf("%s|%10s|%-10s|%.2s|%q|%x|% X", R"(["héllo", "hé", "hé", "héllo", "a\"b\n", "hi", "hi"])"),
            "héllo|        hé|hé        |hé|\"a\\\"b\\n\"|6869|68 69");
  EXPECT_EQ(Sprintf("%#q %+q", R"(["a`b", "é"])"), "\"a`b\" \"\\u00e9\"");
  EXPECT_EQ(Sprintf("%T %T %T", R"([1, 1.5, "s"])"), "int float64 string");
  EXPECT_EQ(Sprintf("100%%", "[]"), "100%");
  EXPECT_EQ(Sprintf("%d", "[18446744073709551615]"), "18446744073709551615");
  // Cases checked against Go 1.19's fmt: hexadecimal floats, '#' on floats, *big.Int flags.
  EXPECT_EQ(Sprintf("%x %X %.1x %#g %#.3g %#.0f %#e %+v %#O %08.3f %-8.3e|",
                    "[1.5, 3.0, 1.96875, 1.0, 2.0, 3.0, 100.0, 18446744073709551615, "
                    "18446744073709551615, -3.14159, 1234.5]"),
            "0x1.8p+00 0X1.8P+01 0x1.0p+01 1.00000 2.00 3. 1.000000e+02 +18446744073709551615 "
            "0o1777777777777777777777 -003.142 1.234e+03|");
  EXPECT_EQ(Sprintf("%b %8.2x %#x %#v %#v %#g", R"([1.0, 255.5, 0.0, "q", 2.5, 1234567.0])"),
            "4503599627370496p-52 0x1.ffp+07 0x0.0000p+00 \"q\" 2.5 1.234567e+06");
}

TEST(OpaSprintf, FormatsOtherValuesAsOpaPrintsThem) {
  EXPECT_EQ(Sprintf("%v", R"([[1, "a"]])"), R"([1, "a"])");
  EXPECT_EQ(Sprintf("%v", R"([{"b": [true, null], "a": {"x": 1.5}}])"),
            R"({"a": {"x": 1.5}, "b": [true, null]})");
  EXPECT_EQ(Sprintf("%v %s", "[true, null]"), "true null");
  EXPECT_EQ(Sprintf("%v", R"([[1e-7, 2.5e21, 0.25, "é\n"]])"), R"([1e-7, 2.5e+21, 0.25, "é\n"])");
  // They are strings to Go, so %d and %t are bad verbs for them.
  EXPECT_EQ(Sprintf("%t", "[true]"), "%!t(string=true)");
  EXPECT_EQ(Sprintf("%d", R"(["hi"])"), "%!d(string=hi)");
  EXPECT_EQ(Sprintf("%s", "[5]"), "%!s(int=5)");
  EXPECT_EQ(Sprintf("%d", "[1.5]"), "%!d(float64=1.5)");
}

TEST(OpaSprintf, ReportsArgumentMistakesAsGoDoes) {
  EXPECT_EQ(Sprintf("%d %d", "[1]"), "1 %!d(MISSING)");
  EXPECT_EQ(Sprintf("%d", R"([1, 2, "x"])"), "1%!(EXTRA int=2, string=x)");
  EXPECT_EQ(Sprintf("abc%", "[]"), "abc%!(NOVERB)");
  EXPECT_EQ(Sprintf("%z", "[1]"), "%!z(int=1)");
  EXPECT_EQ(Sprintf("%*d|%-*d|%.*f", "[5, 1, 3, 2, 1, 3.14159]"), "    1|2  |3.1");
  EXPECT_EQ(Sprintf("%*d", R"(["x", 1])"), "%!(BADWIDTH)1");
  EXPECT_EQ(Sprintf("%[2]d %[1]d", "[1, 2]"), "2 1");
  EXPECT_EQ(Sprintf("%[3]d", "[1, 2]"), "%!d(BADINDEX)");
}

TEST(OpaSprintf, BoundsWidthAndOutput) {
  // Go treats a width above 1e6 as malformed: it swallows the rest of the format.
  EXPECT_EQ(Sprintf("%99999999999999999999d", "[1]"), "%!(NOVERB)%!(EXTRA int=1)");
  // Widths Go accepts still add up: the result is capped.
  std::string format;
  for (int i = 0; i < 20; ++i) format += "%1000000d";
  std::string values = "[";
  for (int i = 0; i < 20; ++i) values += i ? ",1" : "1";
  values += "]";
  EXPECT_EQ(Sprintf(format, values), "error: sprintf: the result is too large");
}


// The examples of OPA's builtin documentation, with the results it shows.

TEST(OpaStrings, AnyPrefixAndSuffixMatch) {
  EXPECT_EQ(Eval("strings.any_prefix_match", R"(["foo bar", "foo"])"), "true");
  EXPECT_EQ(Eval("strings.any_prefix_match", R"(["foo bar", ["bar", "foo"]])"), "true");
  EXPECT_EQ(Eval("strings.any_prefix_match", R"([["a", "b"], ["c", "bb", "b"]])"), "true");
  EXPECT_EQ(Eval("strings.any_prefix_match", R"([["a", "b"], []])"), "false");
  EXPECT_EQ(Eval("strings.any_suffix_match", R"(["foo bar", "bar"])"), "true");
  EXPECT_EQ(Eval("strings.any_suffix_match", R"([["registry.io/x", "y"], [":latest", "/x"]])"),
            "true");
  EXPECT_EQ(Eval("strings.any_suffix_match", R"(["foo", "x"])"), "false");
  EXPECT_EQ(Eval("strings.any_prefix_match", R"([1, "x"])"),
            "error: strings.any_prefix_match: operand 1 must be one of {string, set, array} but "
            "got number");
  EXPECT_EQ(Eval("strings.any_suffix_match", R"(["x", ["a", 2]])"),
            "error: strings.any_suffix_match: operand 2 must be array of strings but got array "
            "containing number");
}

TEST(OpaStrings, ReplaceN) {
  EXPECT_EQ(Eval("strings.replace_n", R"([{"a": "1", "b": "2"}, "abcab"])"), R"("12c12")");
  // Go's Replacer: the earliest pair (in key order) that starts at an offset wins, and the
  // replaced text is not scanned again.
  EXPECT_EQ(Eval("strings.replace_n", R"([{"ab": "x", "a": "y"}, "aab"])"), R"("yyb")");
  EXPECT_EQ(Eval("strings.replace_n", R"([{"ab": "x", "b": "y"}, "aab"])"), R"("ax")");
  EXPECT_EQ(Eval("strings.replace_n", R"([{"a": "b", "b": "a"}, "ab"])"), R"("ba")");
  EXPECT_EQ(Eval("strings.replace_n", R"([{"": "-"}, "ab"])"), R"("-a-b-")");
  EXPECT_EQ(Eval("strings.replace_n", R"([{"": "X"}, "òo"])"), "\"XoX\xcc\x80XoX\"");
  EXPECT_EQ(Eval("strings.replace_n", R"(["a", "b"])"),
            "error: strings.replace_n: operand 1 must be object but got string");
  EXPECT_EQ(Eval("strings.replace_n", R"([{"a": 1}, "b"])"),
            "error: strings.replace_n: operand 1 non-string value found in pattern object");
}

TEST(OpaStrings, ReverseCountIndexOfN) {
  EXPECT_EQ(Eval("strings.reverse", R"(["abcdefg"])"), R"("gfedcba")");
  EXPECT_EQ(Eval("strings.reverse", R"(["h\u00e9llo"])"), "\"oll\xc3\xa9h\"");
  EXPECT_EQ(Eval("strings.count", R"(["cheese", "e"])"), "3");
  EXPECT_EQ(Eval("strings.count", R"(["five", ""])"), "5");
  EXPECT_EQ(Eval("strings.count", R"(["aaaa", "aa"])"), "2");
  EXPECT_EQ(Eval("indexof_n", R"(["dynamical", "a"])"), "[3,7]");
  EXPECT_EQ(Eval("indexof_n", R"(["aaa", "aa"])"), "[0,1]");
  EXPECT_EQ(Eval("indexof_n", R"(["\u00e9a", "a"])"), "[1]");
}

TEST(OpaObjects, KeysSubsetUnionN) {
  EXPECT_EQ(Eval("array.reverse", R"([[1, 2, 3]])"), "[3,2,1]");
  EXPECT_EQ(Eval("array.reverse", R"(["x"])"),
            "error: array.reverse: operand 1 must be array but got string");
  EXPECT_EQ(Eval("object.keys", R"([{"b": 1, "a": 2}])"), R"({"a","b"})");
  EXPECT_EQ(Eval("object.subset", R"([{"a": "b", "c": {"x": {"y": "z"}}, "d": 1},
                                      {"c": {"x": {"y": "z"}}}])"),
            "true");
  EXPECT_EQ(Eval("object.subset", R"([{"a": {"b": 1}}, {"a": {"b": 2}}])"), "false");
  EXPECT_EQ(Eval("object.subset", R"([[1, 2, 3, 4], [2, 3]])"), "true");
  EXPECT_EQ(Eval("object.subset", R"([[1, 2, 3, 4], [2, 4]])"), "false");
  EXPECT_EQ(Eval("object.subset", R"([{"a": 1}, [1]])"),
            "error: object.subset: both arguments object.subset must be of the same type or "
            "array and set");
  EXPECT_EQ(Eval("object.union_n", R"([[{"a": 1}, {"b": 2}, {"a": 3}]])"), R"({"a":3,"b":2})");
  EXPECT_EQ(Eval("object.union_n", R"([[{"a": {"b": 1, "c": 2}}, {"a": {"c": 3}}]])"),
            R"({"a":{"b":1,"c":3}})");
  EXPECT_EQ(Eval("object.union_n", R"([[{"a": 1}, 2]])"),
            "error: object.union_n: operand 1 must be array of objects but got array containing "
            "number");
}

TEST(OpaCrypto, DigestsAndHmacs) {
  EXPECT_EQ(Eval("crypto.md5", R"(["hello"])"), R"("5d41402abc4b2a76b9719d911017c592")");
  EXPECT_EQ(Eval("crypto.sha1", R"(["hello"])"), R"("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")");
  EXPECT_EQ(Eval("crypto.sha256", R"(["hello"])"),
            R"("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")");
  // RFC 4231 test case 2.
  EXPECT_EQ(Eval("crypto.hmac.sha256", R"(["what do ya want for nothing?", "Jefe"])"),
            R"("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")");
  EXPECT_EQ(Eval("crypto.hmac.sha512", R"(["what do ya want for nothing?", "Jefe"])"),
            R"("164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737")");
  EXPECT_EQ(Eval("crypto.hmac.md5", R"(["what do ya want for nothing?", "Jefe"])"),
            R"("750c783e6ab0b503eaa86e310a5db738")");
  EXPECT_EQ(Eval("crypto.hmac.sha1", R"(["what do ya want for nothing?", "Jefe"])"),
            R"("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")");
  EXPECT_EQ(Eval("crypto.hmac.equal", R"(["abc", "abc"])"), "true");
  EXPECT_EQ(Eval("crypto.hmac.equal", R"(["abc", "abd"])"), "false");
  EXPECT_EQ(Eval("crypto.md5", R"([1])"), "error: crypto.md5: operand 1 must be string but got number");
}

// The HS256 token of jwt.io's example (secret "your-256-bit-secret").
constexpr std::string_view kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
    "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

TEST(OpaJwt, DecodeAndVerifyHmac) {
  std::string token(kJwt);
  EXPECT_EQ(Eval("io.jwt.decode", "[\"" + token + "\"]"),
            R"([{"alg":"HS256","typ":"JWT"},{"sub":"1234567890","name":"John Doe","iat":1516239022},)"
            R"("49f94ac7044948c78a285d904f87f0a4c7897f7e8f3a4eb2255fda750b2cc397"])");
  EXPECT_EQ(Eval("io.jwt.verify_hs256", "[\"" + token + "\", \"your-256-bit-secret\"]"), "true");
  EXPECT_EQ(Eval("io.jwt.verify_hs256", "[\"" + token + "\", \"other\"]"), "false");
  EXPECT_EQ(Eval("io.jwt.decode", R"(["abc"])"),
            "error: io.jwt.decode: encoded JWT had no period separators");
  EXPECT_EQ(Eval("io.jwt.decode", R"(["a.b"])"),
            "error: io.jwt.decode: encoded JWT must have 3 sections, found 2");
  EXPECT_EQ(Eval("io.jwt.decode", R"(["a!.b.c"])"),
            "error: io.jwt.decode: JWT header had invalid encoding: illegal base64 data at input "
            "byte 1");
}

TEST(OpaNet, Cidrs) {
  EXPECT_EQ(Eval("net.cidr_is_valid", R"(["192.168.0.0/24"])"), "true");
  EXPECT_EQ(Eval("net.cidr_is_valid", R"(["192.168.0.0/33"])"), "false");
  EXPECT_EQ(Eval("net.cidr_is_valid", R"(["192.168.0.0"])"), "false");
  EXPECT_EQ(Eval("net.cidr_is_valid", R"(["2001:db8::/32"])"), "true");
  EXPECT_EQ(Eval("net.cidr_is_valid", R"(["010.0.0.0/8"])"), "false");
  EXPECT_EQ(Eval("net.cidr_contains", R"(["10.0.0.0/8", "10.1.2.3"])"), "true");
  EXPECT_EQ(Eval("net.cidr_contains", R"(["10.0.0.0/8", "11.1.2.3"])"), "false");
  EXPECT_EQ(Eval("net.cidr_contains", R"(["10.0.0.0/8", "10.1.0.0/16"])"), "true");
  EXPECT_EQ(Eval("net.cidr_contains", R"(["2001:4860:4860::8888/32", "2001:4860:4860:1234::8888"])"), "true");
  EXPECT_EQ(Eval("net.cidr_contains", R"(["10.0.0.0/x", "10.0.0.1"])"),
            "error: net.cidr_contains: invalid CIDR address: 10.0.0.0/x");
  EXPECT_EQ(Eval("net.cidr_intersects", R"(["192.168.0.0/16", "192.168.1.0/24"])"), "true");
  EXPECT_EQ(Eval("net.cidr_intersects", R"(["192.168.0.0/24", "192.168.1.0/24"])"), "false");
  // OPA's documented examples.
  EXPECT_EQ(Eval("net.cidr_expand", R"(["192.168.0.0/30"])"),
            R"({"192.168.0.0","192.168.0.1","192.168.0.2","192.168.0.3"})");
  EXPECT_EQ(Eval("net.cidr_expand", R"(["2001:db8::/127"])"), R"({"2001:db8::","2001:db8::1"})");
  EXPECT_EQ(Eval("net.cidr_expand", R"(["10.0.0.0/8"])"),
            "error: net.cidr_expand: CIDR 10.0.0.0/8 holds more than 65536 addresses");
  EXPECT_EQ(Eval("net.cidr_merge", R"([["192.0.128.0/24", "192.0.129.0/24"]])"), R"({"192.0.128.0/23"})");
  EXPECT_EQ(Eval("net.cidr_merge", R"([["192.0.128.0/24", "192.0.130.0/24"]])"),
            R"({"192.0.128.0/24","192.0.130.0/24"})");
  EXPECT_EQ(Eval("net.cidr_merge", R"([["10.0.0.0/8", "10.1.0.0/16", "10.0.0.1", "2001:db8::/32"]])"),
            R"({"10.0.0.0/8","2001:db8::/32"})");
  EXPECT_EQ(Eval("net.cidr_merge", R"([["1.1.1.0", "1.1.1.1", "1.1.1.2", "1.1.1.3"]])"), R"({"1.1.1.0/30"})");
  EXPECT_EQ(Eval("net.cidr_contains_matches", R"(["1.1.1.0/24", "1.1.1.128"])"),
            R"({["1.1.1.0/24","1.1.1.128"]})");
  EXPECT_EQ(Eval("net.cidr_contains_matches", R"([["1.1.1.0/24", "1.1.2.0/24"], "1.1.1.128"])"),
            R"({[0,"1.1.1.128"]})");
  EXPECT_EQ(Eval("net.cidr_contains_matches",
                 R"([[["1.1.0.0/16", "foo"], "1.1.2.0/24"], {"x": "1.1.1.128", "y": ["1.1.254.254", "bar"]}])"),
            R"({[0,"x"],[0,"y"]})");
}

TEST(OpaUnits, ParseAndParseBytes) {
  EXPECT_EQ(Eval("units.parse", R"(["10K"])"), "10000");
  EXPECT_EQ(Eval("units.parse", R"(["1Ki"])"), "1024");
  EXPECT_EQ(Eval("units.parse", R"(["200m"])"), "2E-1");
  EXPECT_EQ(Eval("units.parse", R"(["1.5M"])"), "1500000");
  EXPECT_EQ(Eval("units.parse", R"(["1mi"])"), "1048576");
  EXPECT_EQ(Eval("units.parse", R"(["\"10G\""])"), "10000000000");
  EXPECT_EQ(Eval("units.parse", R"(["10 K"])"),
            "error: units.parse: operand 1 spaces not allowed in resource strings");
  EXPECT_EQ(Eval("units.parse", R"(["K"])"), "error: units.parse: operand 1 no amount provided");
  EXPECT_EQ(Eval("units.parse", R"(["1x"])"), "error: units.parse: operand 1 unit x not recognized");
  EXPECT_EQ(Eval("units.parse", R"(["1.2.3"])"),
            "error: units.parse: operand 1 could not parse amount to a number");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["1KB"])"), "1000");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["1KiB"])"), "1024");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["1.5Mi"])"), "1572864");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["100"])"), "100");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["1.1"])"), "1");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["1xb"])"),
            "error: units.parse_bytes: operand 1 byte unit xb not recognized");
  EXPECT_EQ(Eval("units.parse_bytes", R"(["GB"])"),
            "error: units.parse_bytes: operand 1 no byte amount provided");
}

TEST(OpaTime, ClockWeekdayDiffAddDateFormat) {
  // 2021-01-31T12:34:56.789Z
  constexpr std::string_view kNs = "1612096496789000000";
  std::string ns(kNs);
  EXPECT_EQ(Eval("time.clock", "[" + ns + "]"), "[12,34,56]");
  EXPECT_EQ(Eval("time.clock", "[[" + ns + ", \"Asia/Tokyo\"]]"), "[21,34,56]");
  EXPECT_EQ(Eval("time.weekday", "[" + ns + "]"), R"("Sunday")");
  EXPECT_EQ(Eval("time.date", "[[" + ns + ", \"America/New_York\"]]"), "[2021,1,31]");
  // Go's AddDate rolls 2021-02-31 over to 2021-03-03.
  EXPECT_EQ(Eval("time.add_date", "[" + ns + ", 0, 1, 0]"), "1614774896789000000");
  EXPECT_EQ(Eval("time.add_date", "[" + ns + ", 1, 0, 1]"), "1643718896789000000");
  EXPECT_EQ(Eval("time.diff", "[" + ns + ", 1643718896789000000]"), "[1,0,1,0,0,0]");
  EXPECT_EQ(Eval("time.diff", "[1643718896789000000, " + ns + "]"), "[1,0,1,0,0,0]");
  // 2021-01-31 to 2021-03-01: months 2, days -30, borrowed from January's 31 days.
  EXPECT_EQ(Eval("time.diff", "[1612051200000000000, 1614556800000000000]"), "[0,1,1,0,0,0]");
  EXPECT_EQ(Eval("time.parse_duration_ns", R"(["1h30m"])"), "5400000000000");
  EXPECT_EQ(Eval("time.parse_duration_ns", R"(["1x"])"),
            "error: time.parse_duration_ns: time: invalid duration \"1x\"");
  EXPECT_EQ(Eval("time.format", "[" + ns + "]"), R"("2021-01-31T12:34:56.789Z")");
  EXPECT_EQ(Eval("time.format", "[[" + ns + ", \"Europe/Paris\", \"Mon Jan _2 15:04:05 2006\"]]"),
            R"("Sun Jan 31 13:34:56 2021")");
  EXPECT_EQ(Eval("time.format", "[[" + ns + ", \"Asia/Kolkata\", \"RFC3339\"]]"),
            R"("2021-01-31T18:04:56+05:30")");
  EXPECT_EQ(Eval("time.format", "[[" + ns + ", \"UTC\", \"02/01/06 3:04PM .000 MST\"]]"),
            R"("31/01/21 12:34PM .789 UTC")");
  EXPECT_EQ(Eval("time.format", "[[" + ns + ", \"Nowhere/Land\"]]"),
            "error: time.format: unknown time zone Nowhere/Land");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

TEST(OpaRandom, SameCallSameAnswerWithinAnEvaluation) {
  BuiltinContext evaluation;
  auto uuid = [&](std::string_view key) {
    return ToJson(*Call("uuid.rfc4122", "[\"" + std::string(key) + "\"]", evaluation));
  };
  std::string a = uuid("a");
  EXPECT_EQ(uuid("a"), a);
  EXPECT_NE(uuid("b"), a);
  // 8-4-4-4-12 hex digits, version 4, RFC 4122 variant.
  ASSERT_EQ(a.size(), 38u);
  EXPECT_EQ(a[15], '4');
  EXPECT_NE(std::string_view("89ab").find(a[20]), std::string_view::npos);
  BuiltinContext next_evaluation;
  EXPECT_NE(ToJson(*Call("uuid.rfc4122", R"(["a"])", next_evaluation)), a);

  auto intn = [&](std::string_view args) { return ToJson(*Call("rand.intn", args, evaluation)); };
  std::string first = intn(R"(["k", 1000000])");
  EXPECT_EQ(intn(R"(["k", 1000000])"), first);
  EXPECT_EQ(intn(R"(["k", 0])"), "0");
  EXPECT_EQ(intn(R"(["k", 1])"), "0");
  EXPECT_EQ(Eval("rand.intn", R"(["k", 1.5])"),
            "error: rand.intn: operand 2 must be integer number but got floating-point number");
  EXPECT_EQ(Eval("opa.runtime", "[]"), "{}");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

TEST(OpaTime, ParseNsWithGoLayouts) {
  // OPA's documented example.
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02", "1970-01-02"])"), "86400000000000");
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02T15:04:05Z07:00", "2021-01-31T12:34:56.789+01:00"])"),
            "1612092896789000000");
  EXPECT_EQ(Eval("time.parse_ns", R"(["Mon Jan _2 15:04:05 MST 2006", "Sun Jan 31 12:34:56 UTC 2021"])"),
            "1612096496000000000");
  EXPECT_EQ(Eval("time.parse_ns", R"(["January 2, 2006 3:04pm", "february 1, 2021 1:05pm"])"),
            "1612184700000000000");
  EXPECT_EQ(Eval("time.parse_ns", R"(["02/01/06 15:04:05.000 -0700", "31/01/21 12:34:56.120 -0130"])"),
            "1612101896120000000");
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02", "2021-02-30"])"),
            "error: time.parse_ns: parsing time \"2021-02-30\": day out of range");
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02", "2021-13-01"])"),
            "error: time.parse_ns: parsing time \"2021-13-01\": month out of range");
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02", "2021/01/01"])"),
            "error: time.parse_ns: parsing time \"2021/01/01\" as \"2006-01-02\": cannot parse "
            "\"/01/01\" as \"-\"");
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02", "2021-01-01x"])"),
            "error: time.parse_ns: parsing time \"2021-01-01x\": extra text: \"x\"");
  // What time.format writes, time.parse_ns reads back.
  EXPECT_EQ(Eval("time.format", R"([[1612096496789000000, "Asia/Kolkata", "2006-01-02 15:04:05.000 -07:00"]])"),
            R"("2021-01-31 18:04:56.789 +05:30")");
  EXPECT_EQ(Eval("time.parse_ns", R"(["2006-01-02 15:04:05.000 -07:00", "2021-01-31 18:04:56.789 +05:30"])"),
            "1612096496789000000");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

// Tokens signed with the openssl CLI for these keys (1024-bit RSA, P-256).
constexpr std::string_view kRsaPublicKey = "-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCfCQcRO5z5nN3lcAYoCHragBdQ\njlsWoJ/9e0Q0vE+5zD3FRVs3rw+jIfwRRgnJ+M8qhgSJHkruYoaMqExQlnFcdTF7\nkf3HOxzs1uVi3/qC7kj6ypmt7jy4rI3CfhBDnLNNqTlQuM8isGYW+w0DWuKNbZEk\n+tKrqT5JG6Ek/9SKiwIDAQAB\n-----END PUBLIC KEY-----\n";
constexpr std::string_view kEcPublicKey = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPOyq2/hBaVXtq1FFU7YwL3FzHR4f\niyyZvmUvsvkAQzO/FyL+jvNAodyfb58cjl1M5NcsJi70DiOxWFOGQePk0Q==\n-----END PUBLIC KEY-----\n";
constexpr std::string_view kRs256 = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrdyJ9.hcfIUUpc2vdRKZRLwyUSm3I39XXr2OEpfWrNNKATBCWGkTiesumpshyrsN0XRxCR9ePpJ3ruwEsHMhmf3CPK4eNbP_9Szp9cJk6oa9Uwn54NefQYXbybOxWjnGmzDUvl9ha87f0WDXviAHN0LIyxWZc81HvHpOx-5y3Pu55Hupk";
constexpr std::string_view kPs256 = "eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrdyJ9.NQRAD_tIieR-3ISdtmILR3sdI8w9rW5mN0SWU_bAVtV0Z9etW7lkOg4nkV-WMKYNh0sXSFYdZ0_RK10WowzAhVF2iWOPljSU3uZeighZMWRfax3WqO8TayrmZo1q9JF2HuQw_jW4Cg7r0F7TUWJEB2xG1Smr1yGj0XcjArgq39U";
constexpr std::string_view kEs256 = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJrdyJ9.mNCDK0KK7tkFFXMJi5NN80mNeJlEcWoFSQFU7VJzZADk5eS6DDiT84mEWyWYMOnEUzPUqDqH8JfzaUiLby9gQQ";

std::string Verify(std::string_view name, std::string_view token, std::string_view key) {
  json::array args{json::string(token), json::string(key)};
  auto result = FindBuiltin(name)(BuiltinContext{}, std::span<const json::value>(args.data(), 2));
  if (!result) return "error: " + result.error().message;
  return ToJson(*result);
}

TEST(OpaJwt, VerifiesRsaPssAndEcdsaWithPemKeys) {
  EXPECT_EQ(Verify("io.jwt.verify_rs256", kRs256, kRsaPublicKey), "true");
  EXPECT_EQ(Verify("io.jwt.verify_ps256", kPs256, kRsaPublicKey), "true");
  EXPECT_EQ(Verify("io.jwt.verify_es256", kEs256, kEcPublicKey), "true");
  // The wrong scheme, the wrong key, a tampered payload.
  EXPECT_EQ(Verify("io.jwt.verify_ps256", kRs256, kRsaPublicKey), "false");
  EXPECT_EQ(Verify("io.jwt.verify_rs256", kRs256, kEcPublicKey), "false");
  EXPECT_EQ(Verify("io.jwt.verify_es256", kEs256, kRsaPublicKey), "false");
  EXPECT_EQ(Verify("io.jwt.verify_rs384", kRs256, kRsaPublicKey), "false");
  std::string tampered(kEs256);
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_EQ(Verify("io.jwt.verify_es256", tampered, kEcPublicKey), "false");
  EXPECT_EQ(Verify("io.jwt.verify_rs256", kRs256, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            "error: io.jwt.verify_rs256: failed to parse a PEM public key");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

std::string DecodeVerify(std::string_view token, std::string_view constraints_json) {
  json::array args{json::string(token), *ParseJson(constraints_json)};
  // 2024-01-01, after the jwt.io token's iat.
  BuiltinContext context{.now_ns = 1704067200000000000};
  auto result = FindBuiltin("io.jwt.decode_verify")(context, std::span<const json::value>(args.data(), 2));
  if (!result) return "error: " + result.error().message;
  return ToJson(*result);
}

TEST(OpaJwt, DecodeVerifyChecksSignatureAndClaims) {
  EXPECT_EQ(DecodeVerify(kJwt, R"({"secret": "your-256-bit-secret"})"),
            R"([true,{"alg":"HS256","typ":"JWT"},{"sub":"1234567890","name":"John Doe","iat":1516239022}])");
  EXPECT_EQ(DecodeVerify(kJwt, R"({"secret": "other"})"), "[false,{},{}]");
  EXPECT_EQ(DecodeVerify(kJwt, R"({"secret": "your-256-bit-secret", "alg": "RS256"})"), "[false,{},{}]");
  EXPECT_EQ(DecodeVerify(kJwt, R"({"secret": "your-256-bit-secret", "iss": "x"})"), "[false,{},{}]");
  EXPECT_EQ(DecodeVerify(kJwt, R"({"secret": "your-256-bit-secret", "aud": "x"})"), "[false,{},{}]");
  EXPECT_EQ(DecodeVerify(kRs256, std::string(R"({"cert": ")") +
                                     std::string(ToJson(json::string(kRsaPublicKey))).substr(1) + "}"),
            R"([true,{"alg":"RS256","typ":"JWT"},{"sub":"kw"}])");
  EXPECT_EQ(DecodeVerify(kJwt, R"({"secret": "s", "foo": 1})"),
            "error: io.jwt.decode_verify: unknown token validation constraint: foo");
  EXPECT_EQ(DecodeVerify(kJwt, R"({})"),
            "error: io.jwt.decode_verify: exactly one of cert or secret is required");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

// The keys above as a JWK and a JWKS.
constexpr std::string_view kRsaJwk = R"({"kty": "RSA", "n": "nwkHETuc-Zzd5XAGKAh62oAXUI5bFqCf_XtENLxPucw9xUVbN68PoyH8EUYJyfjPKoYEiR5K7mKGjKhMUJZxXHUxe5H9xzsc7NblYt_6gu5I-sqZre48uKyNwn4QQ5yzTak5ULjPIrBmFvsNA1rijW2RJPrSq6k-SRuhJP_Uios", "e": "AQAB"})";
constexpr std::string_view kJwks = R"({"keys": [{"kty": "RSA", "n": "nwkHETuc-Zzd5XAGKAh62oAXUI5bFqCf_XtENLxPucw9xUVbN68PoyH8EUYJyfjPKoYEiR5K7mKGjKhMUJZxXHUxe5H9xzsc7NblYt_6gu5I-sqZre48uKyNwn4QQ5yzTak5ULjPIrBmFvsNA1rijW2RJPrSq6k-SRuhJP_Uios", "e": "AQAB"}, {"kty": "EC", "crv": "P-256", "x": "POyq2_hBaVXtq1FFU7YwL3FzHR4fiyyZvmUvsvkAQzM", "y": "vxci_o7zQKHcn2-fHI5dTOTXLCYu9A4jsVhThkHj5NE"}]})";

TEST(OpaJwt, VerifiesWithJwkAndJwks) {
  EXPECT_EQ(Verify("io.jwt.verify_rs256", kRs256, kRsaJwk), "true");
  EXPECT_EQ(Verify("io.jwt.verify_ps256", kPs256, kJwks), "true");
  EXPECT_EQ(Verify("io.jwt.verify_es256", kEs256, kJwks), "true");
  EXPECT_EQ(Verify("io.jwt.verify_es256", kEs256, kRsaJwk), "false");
  EXPECT_EQ(Verify("io.jwt.verify_rs256", kRs256, R"({"kty": "oct", "k": "AA"})"),
            "error: io.jwt.verify_rs256: failed to parse a JWK key (set)");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

TEST(OpaJwt, EncodeSignWithHmac) {
  // jwt.io's token, signed again from its parts ("your-256-bit-secret" as an oct JWK).
  constexpr std::string_view kKey = R"({"kty": "oct", "k": "eW91ci0yNTYtYml0LXNlY3JldA"})";
  json::array raw{json::string(R"({"alg":"HS256","typ":"JWT"})"),
                  json::string(R"({"sub":"1234567890","name":"John Doe","iat":1516239022})"),
                  json::string(kKey)};
  auto token = FindBuiltin("io.jwt.encode_sign_raw")(BuiltinContext{}, raw);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(std::string_view(token->get_string()), kJwt);
  // encode_sign writes the objects with sorted keys, and what it signs verifies.
  json::array objects{*ParseJson(R"({"typ": "JWT", "alg": "HS512"})"), *ParseJson(R"({"b": 1, "a": [2]})"),
                      *ParseJson(kKey)};
  auto signed_token = FindBuiltin("io.jwt.encode_sign")(BuiltinContext{}, objects);
  ASSERT_TRUE(signed_token) << signed_token.error().message;
  std::string text(signed_token->get_string());
  EXPECT_TRUE(Eval("io.jwt.decode", "[\"" + text + "\"]")
                  .starts_with(R"([{"alg":"HS512","typ":"JWT"},{"a":[2],"b":1},")"))
      << text;
  EXPECT_EQ(Eval("io.jwt.verify_hs512", "[\"" + text + "\", \"your-256-bit-secret\"]"), "true");
  json::array rs{*ParseJson(R"({"alg": "RS256"})"), json::object(), *ParseJson(kKey)};
  auto unsupported = FindBuiltin("io.jwt.encode_sign")(BuiltinContext{}, rs);
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().message,
            "io.jwt.encode_sign: the key must be an RSA JWK with its private part for RS256");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

// The private half of kRsaPublicKey (a throwaway test key): PKCS#1 PEM, and PKCS#8 PEM in
// base64; the JWK its fields make, as the openssl CLI prints them.
constexpr std::string_view kRsaPkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nMIICWwIBAAKBgQCfCQcRO5z5nN3lcAYoCHragBdQjlsWoJ/9e0Q0vE+5zD3FRVs3\nrw+jIfwRRgnJ+M8qhgSJHkruYoaMqExQlnFcdTF7kf3HOxzs1uVi3/qC7kj6ypmt\n7jy4rI3CfhBDnLNNqTlQuM8isGYW+w0DWuKNbZEk+tKrqT5JG6Ek/9SKiwIDAQAB\nAoGARXGCtYKrW8+kkRAmkAqL4qc2BwXyPmIrGlteAA0OXxoRCvfrCdiWYmxvjfdg\nROIxS+czSdCBdbBuAjNnB3V5z+5g/pvTLhz/dwijLmx5kWn5YP6aO862VBD6Bo8I\nhWtdUTdIw48EsNIGvmM6Ru6KaV6HFIijqZy6HCbMGv/ySKkCQQDK6ZG8gaKAaudI\nK0IyZWa0xzGNtatbXRHE4CP/rwl2h1d4yJ8jlXDKC6PIkCLdjgwQv8Gd01wmL+52\nAmKm8BEnAkEAyKS1JSqc1USbLtOvX973mts1ONF9HOMdrwYov9pW3/fNiNC1qgNV\nSYVJkq8rG4hEISw2ro3E5POiX+mnlxAR/QJAOlc7osJ3EYsrInHln43OIO4gzkjM\nkwFIaZ20XABcrSquuLieIOIHwt/j4HeovqDn0S0BIzqxBP3FB0MaUDs4AwJAbp6A\nUHFh7iLY+8QxmEWxdWsNuLmmpNqCbxCSPtP9uZVBeAC5Z3ZW+yXFHl39Ajzqcu+R\nZkM7Ho9EImULxLlTcQJAGSe/2Jo1XSW1Uu6BnwoQiD7/ATV4U1BFpAgv2B8nhPSa\nsi57NESoQpMlq0n0x5ExldGaAfPSdefE4qbXa/enIw==\n-----END RSA PRIVATE KEY-----\n";
constexpr std::string_view kRsaPkcs8Base64 = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUNkUUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVNDQWw4d2dnSmJBZ0VBQW9HQkFKOEpCeEU3blBtYzNlVncKQmlnSWV0cUFGMUNPV3hhZ24vMTdSRFM4VDduTVBjVkZXemV2RDZNaC9CRkdDY240enlxR0JJa2VTdTVpaG95bwpURkNXY1Z4MU1YdVIvY2M3SE96VzVXTGYrb0x1U1ByS21hM3VQTGlzamNKK0VFT2NzMDJwT1ZDNHp5S3daaGI3CkRRTmE0bzF0a1NUNjBxdXBQa2tib1NULzFJcUxBZ01CQUFFQ2dZQkZjWUsxZ3F0Yno2U1JFQ2FRQ292aXB6WUgKQmZJK1lpc2FXMTRBRFE1ZkdoRUs5K3NKMkpaaWJHK045MkJFNGpGTDV6TkowSUYxc0c0Q00yY0hkWG5QN21EKwptOU11SFA5M0NLTXViSG1SYWZsZy9wbzd6clpVRVBvR2p3aUZhMTFSTjBqRGp3U3cwZ2ErWXpwRzdvcHBYb2NVCmlLT3BuTG9jSnN3YS8vSklxUUpCQU1ycGtieUJvb0JxNTBnclFqSmxaclRITVkyMXExdGRFY1RnSS8rdkNYYUgKVjNqSW55T1ZjTW9MbzhpUUl0Mk9EQkMvd1ozVFhDWXY3bllDWXFid0VTY0NRUURJcExVbEtwelZSSnN1MDY5ZgozdmVhMnpVNDBYMGM0eDJ2QmlpLzJsYmY5ODJJMExXcUExVkpoVW1TcnlzYmlFUWhMRGF1amNUazg2SmY2YWVYCkVCSDlBa0E2Vnp1aXduY1JpeXNpY2VXZmpjNGc3aURPU015VEFVaHBuYlJjQUZ5dEtxNjR1SjRnNGdmQzMrUGcKZDZpK29PZlJMUUVqT3JFRS9jVUhReHBRT3pnREFrQnVub0JRY1dIdUl0ajd4REdZUmJGMWF3MjR1YWFrMm9KdgpFSkkrMC8yNWxVRjRBTGxuZGxiN0pjVWVYZjBDUE9weTc1Rm1RenNlajBRaVpRdkV1Vk54QWtBWko3L1ltalZkCkpiVlM3b0dmQ2hDSVB2OEJOWGhUVUVXa0NDL1lIeWVFOUpxeUxuczBSS2hDa3lXclNmVEhrVEdWMFpvQjg5SjEKNThUaXB0ZHI5NmNqCi0tLS0tRU5EIFBSSVZBVEUgS0VZLS0tLS0K";
constexpr std::string_view kRsaPrivateJwk = R"({"kty":"RSA","n":"nwkHETuc-Zzd5XAGKAh62oAXUI5bFqCf_XtENLxPucw9xUVbN68PoyH8EUYJyfjPKoYEiR5K7mKGjKhMUJZxXHUxe5H9xzsc7NblYt_6gu5I-sqZre48uKyNwn4QQ5yzTak5ULjPIrBmFvsNA1rijW2RJPrSq6k-SRuhJP_Uios","e":"AQAB","d":"RXGCtYKrW8-kkRAmkAqL4qc2BwXyPmIrGlteAA0OXxoRCvfrCdiWYmxvjfdgROIxS-czSdCBdbBuAjNnB3V5z-5g_pvTLhz_dwijLmx5kWn5YP6aO862VBD6Bo8IhWtdUTdIw48EsNIGvmM6Ru6KaV6HFIijqZy6HCbMGv_ySKk","p":"yumRvIGigGrnSCtCMmVmtMcxjbWrW10RxOAj_68JdodXeMifI5VwygujyJAi3Y4MEL_BndNcJi_udgJipvARJw","q":"yKS1JSqc1USbLtOvX973mts1ONF9HOMdrwYov9pW3_fNiNC1qgNVSYVJkq8rG4hEISw2ro3E5POiX-mnlxAR_Q","dp":"Olc7osJ3EYsrInHln43OIO4gzkjMkwFIaZ20XABcrSquuLieIOIHwt_j4HeovqDn0S0BIzqxBP3FB0MaUDs4Aw","dq":"bp6AUHFh7iLY-8QxmEWxdWsNuLmmpNqCbxCSPtP9uZVBeAC5Z3ZW-yXFHl39Ajzqcu-RZkM7Ho9EImULxLlTcQ","qi":"GSe_2Jo1XSW1Uu6BnwoQiD7_ATV4U1BFpAgv2B8nhPSasi57NESoQpMlq0n0x5ExldGaAfPSdefE4qbXa_enIw"})";

TEST(OpaCrypto, ParseRsaPrivateKey) {
  EXPECT_EQ(Eval("crypto.x509.parse_rsa_private_key", "[" + ToJson(json::string(kRsaPkcs1)) + "]"),
            kRsaPrivateJwk);
  EXPECT_EQ(Eval("crypto.x509.parse_rsa_private_key", "[\"" + std::string(kRsaPkcs8Base64) + "\"]"),
            kRsaPrivateJwk);
  EXPECT_EQ(Eval("crypto.x509.parse_rsa_private_key", "[" + ToJson(json::string(kRsaPublicKey)) + "]"),
            "error: crypto.x509.parse_rsa_private_key: PEM block type is 'PUBLIC KEY', expected RSA "
            "PRIVATE KEY");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

TEST(OpaBuiltins, GraphReachablePathsAsOpasDocumentedExample) {
  const std::string graph = R"({"aTop": [], "cMiddle": ["aTop"], "bBottom": ["cMiddle"], "dIgnored": []})";
  EXPECT_EQ(Eval("graph.reachable_paths", "[" + graph + R"(, ["bBottom"]])"),
            R"({["bBottom","cMiddle","aTop"]})");
  EXPECT_EQ(Eval("graph.reachable_paths", "[" + graph + R"(, ["dIgnored"]])"), R"({["dIgnored"]})");
  EXPECT_EQ(Eval("graph.reachable_paths", "[" + graph + R"(, ["aTop", "cMiddle"]])"),
            R"({["aTop"],["cMiddle","aTop"]})");
}

TEST(OpaBuiltins, GraphReachablePathsStopAtCyclesAndUnknownNodes) {
  // A branch to a node the walk already went through ends the path before it; a neighbour the
  // graph has no entry for ends it too, without the neighbour (OPA's pathBuilder).
  EXPECT_EQ(Eval("graph.reachable_paths", R"([{"a": ["b", "c"], "b": ["a"], "c": ["x"]}, ["a"]])"),
            R"({["a","b"],["a","c"]})");
  EXPECT_EQ(Eval("graph.reachable_paths", R"([{"a": ["a"]}, ["a"]])"), R"({["a"]})");
  EXPECT_EQ(Eval("graph.reachable_paths", R"([{"a": []}, ["zzz"]])"), "{[]}");
  EXPECT_EQ(Eval("graph.reachable_paths", R"([{}, []])"), "set()");
  EXPECT_EQ(Eval("graph.reachable_paths", R"([[], []])"),
            "error: graph.reachable_paths: operand 1 must be object but got array");
  EXPECT_EQ(Eval("graph.reachable_paths", R"([{}, "a"])"),
            "error: graph.reachable_paths: operand 2 must be one of {set, array} but got string");
}

TEST(OpaBuiltins, GraphReachablePathsOfALongChainNeedNoRecursion) {
  std::string graph = "{";
  for (int i = 0; i < 100000; ++i) {
    graph += "\"" + std::to_string(i) + "\": [\"" + std::to_string(i + 1) + "\"],";
  }
  graph += "\"100000\": []}";
  auto result = Call("graph.reachable_paths", "[" + graph + ", [\"0\"]]");
  ASSERT_TRUE(result.has_value()) << result.error().message;
  const json::array& paths = *ArrayOrSetElements(*result);
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0].get_array().size(), 100001u);
}

TEST(OpaBuiltins, GraphReachable) {
  EXPECT_EQ(Eval("graph.reachable", R"([{"a": ["b"], "b": ["c"], "c": ["a"], "d": []}, ["a"]])"),
            R"({"a","b","c"})");
  EXPECT_EQ(Eval("graph.reachable", R"([{"a": ["x"]}, ["a", "q"]])"), R"({"a"})");
}

TEST(OpaBuiltins, UuidParse) {
  EXPECT_EQ(Eval("uuid.parse", R"(["4ce4b9a8-2c5b-11ee-be56-0242ac120002"])"),
            R"({"clocksequence":15958,"macvariables":"local:unicast","nodeid":"02-42-ac-12-00-02",)"
            R"("time":1690448113876829600,"variant":"RFC4122","version":1})");
  EXPECT_EQ(Eval("uuid.parse", R"(["{00000000-0000-4000-c000-000000000000}"])"),
            R"({"variant":"Microsoft","version":4})");
  EXPECT_EQ(Eval("uuid.parse", R"(["URN:uuid:000003E8-6B2E-21EE-8000-0D0000000001"])"),
            R"({"clocksequence":0,"domain":"Person","id":1000,"macvariables":"global:multicast",)"
            R"("nodeid":"0d-00-00-00-00-01","time":1697355580773271200,"variant":"RFC4122","version":2})");
  EXPECT_EQ(Eval("uuid.parse", R"(["00000000000050008000000000000000"])"),
            R"({"variant":"RFC4122","version":5})");
  // The timestamp of 1582 overflows int64 nanoseconds, and wraps as Go's UnixNano does.
  EXPECT_EQ(Eval("uuid.parse", R"(["00000000-0000-1000-8000-000000000000"])"),
            R"({"clocksequence":0,"macvariables":"global:unicast","nodeid":"00-00-00-00-00-00",)"
            R"("time":6227451273709551616,"variant":"RFC4122","version":1})");
  // Not a UUID: OPA's result is undefined, not an error.
  for (std::string_view bad : {R"([""])", R"(["4ce4b9a8-2c5b-11ee-be56-0242ac12000"])",
                               R"(["4ce4b9a8x2c5b-11ee-be56-0242ac120002"])",
                               R"(["4ce4b9a8-2c5b-11ee-be56-0242ac12000g"])"}) {
    auto result = Call("uuid.parse", bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_TRUE(IsUndefinedResult(result.error())) << bad << ": " << result.error().message;
  }
  EXPECT_EQ(Eval("uuid.parse", "[1]"), "error: uuid.parse: operand 1 must be string but got number");
}

TEST(OpaBuiltins, NumbersRangeStep) {
  EXPECT_EQ(Eval("numbers.range_step", "[0, 10, 2]"), "[0,2,4,6,8,10]");
  EXPECT_EQ(Eval("numbers.range_step", "[0, 10, 3]"), "[0,3,6,9]");
  EXPECT_EQ(Eval("numbers.range_step", "[10, 0, 3]"), "[10,7,4,1]");
  EXPECT_EQ(Eval("numbers.range_step", "[-2, -2, 1]"), "[-2]");
  EXPECT_EQ(Eval("numbers.range_step", "[9223372036854775806, 9223372036854775807, 5]"),
            "[9223372036854775806]");
  EXPECT_EQ(Eval("numbers.range_step", "[0, 10, 0]"),
            "error: numbers.range_step: step must be a positive number above zero");
  EXPECT_EQ(Eval("numbers.range_step", "[0, 10, -1]"),
            "error: numbers.range_step: step must be a positive number above zero");
  EXPECT_EQ(Eval("numbers.range_step", "[0.5, 10, 1]"),
            "error: numbers.range_step: operand 1 must be integer number but got floating-point number");
  EXPECT_EQ(Eval("numbers.range_step", "[-9223372036854775808, 9223372036854775807, 1]"),
            "error: numbers.range_step: the range has more than 1000000 elements");
}

// json.marshal_with_options's string, or "error: <message>".
std::string MarshalWithOptions(std::string_view args) {
  auto result = Call("json.marshal_with_options", args);
  if (!result) return "error: " + result.error().message;
  return std::string(result->get_string());
}

TEST(OpaBuiltins, JsonMarshalWithOptions) {
  const std::string_view doc = R"({"b": [1, {}], "a": "<&>"})";
  EXPECT_EQ(MarshalWithOptions("[" + std::string(doc) + ", {}]"), R"({"a":"\u003c\u0026\u003e","b":[1,{}]})");
  EXPECT_EQ(MarshalWithOptions("[" + std::string(doc) + R"(, {"pretty": true}])"),
            "{\n\t\"a\": \"\\u003c\\u0026\\u003e\",\n\t\"b\": [\n\t\t1,\n\t\t{}\n\t]\n}");
  // prefix or indent ask for the pretty layout, unless "pretty" says otherwise; OPA puts the
  // prefix before the first line too.
  EXPECT_EQ(MarshalWithOptions(R"([{"x": [true]}, {"indent": "  ", "prefix": "# "}])"),
            "# {\n#   \"x\": [\n#     true\n#   ]\n# }");
  EXPECT_EQ(MarshalWithOptions(R"([{"x": [true]}, {"indent": "  ", "pretty": false}])"), R"({"x":[true]})");
  EXPECT_EQ(MarshalWithOptions(R"([[1], {"pretty": 1}])"),
            "error: json.marshal_with_options: operand 2 key pretty failed cast to bool: operand 0 must be "
            "boolean but got number");
  EXPECT_EQ(MarshalWithOptions(R"([[1], {"indent": "", "prefix": 2}])"),
            "error: json.marshal_with_options: operand 2 key prefix failed cast to string: operand 1 must "
            "be string but got number");
  EXPECT_EQ(MarshalWithOptions(R"([[1], {"colour": true}])"),
            R"(error: json.marshal_with_options: operand 2 object contained unknown key "colour")");
  EXPECT_EQ(MarshalWithOptions("[[1], []]"),
            "error: json.marshal_with_options: operand 2 must be object but got array");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

// strings.render_template's string, or "error: <message>".
std::string Render(std::string_view text, std::string_view variables) {
  json::array args{json::string(text), *ParseJson(variables)};
  auto result = FindBuiltin("strings.render_template")(BuiltinContext{},
                                                       std::span<const json::value>(args.data(), 2));
  if (!result) return "error: " + result.error().message;
  return std::string(result->get_string());
}

TEST(OpaBuiltins, RenderTemplateFieldsAndOpasTrim) {
  EXPECT_EQ(Render("{{.test}}", R"({"test": "foo"})"), "foo");
  EXPECT_EQ(Render("  hello {{.a.b}} and {{.n}} {{.t}} {{.z}}\n", R"({"a": {"b": "x"}, "n": 1.5, "t": true, "z": null})"),
            "hello x and 1.5 true <no value>");
  EXPECT_EQ(Render("{{.list}} {{.map}}", R"({"list": [1, "a", null], "map": {"b": 2, "a": [true]}})"),
            "[1 a <nil>] map[a:[true] b:2]");
  EXPECT_EQ(Render("a {{- .x -}} b {{- /* a comment */ -}} c", R"({"x": "-"})"), "a-bc");
  EXPECT_EQ(Render("{{ `raw {{` }}{{\"q\\\"\"}}{{ 42 }}{{ -1.5 }}", "{}"), "raw {{q\"42-1.5");
}

TEST(OpaBuiltins, RenderTemplateMissingKeyIsGosError) {
  EXPECT_EQ(Render("{{.name}}", "{}"),
            R"(error: strings.render_template: template: template:1:2: executing "template" at <.name>: map has no entry for key "name")");
  EXPECT_EQ(Render("line\n  {{ .a.b }}", R"({"a": {}})"),
            R"(error: strings.render_template: template: template:2:5: executing "template" at <.a.b>: map has no entry for key "b")");
  EXPECT_EQ(Render("{{.a.b}}", R"({"a": "s"})"),
            R"(error: strings.render_template: template: template:1:2: executing "template" at <.a.b>: can't evaluate field b in type string)");
}

TEST(OpaBuiltins, RenderTemplateControlFlow) {
  const std::string_view vars = R"({"items": ["a", "b", "c"], "empty": [], "on": true, "m": {"y": 2, "x": 1}, "n": 0})";
  EXPECT_EQ(Render("{{range $i, $e := .items}}{{if $i}}, {{end}}{{$i}}={{$e}}{{end}}", vars), "0=a, 1=b, 2=c");
  EXPECT_EQ(Render("{{range .items}}[{{.}}]{{end}}", vars), "[a][b][c]");
  EXPECT_EQ(Render("{{range .empty}}x{{else}}none{{end}}", vars), "none");
  EXPECT_EQ(Render("{{range $k, $v := .m}}{{$k}}:{{$v}};{{end}}", vars), "x:1;y:2;");
  EXPECT_EQ(Render("{{range .items}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", vars), "a");
  EXPECT_EQ(Render("{{range .items}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", vars), "ac");
  EXPECT_EQ(Render("{{if .missing_ok}}{{end}}", R"({"missing_ok": false})"), "");
  EXPECT_EQ(Render("{{if not .on}}off{{else if .n}}n{{else}}on{{end}}", vars), "n");  // a data number is true
  EXPECT_EQ(Render("{{with .m}}{{.x}}{{end}} {{with .empty}}full{{else}}empty{{end}}", vars), "1 empty");
  EXPECT_EQ(Render("{{$x := .m.y}}{{if .on}}{{$x = 5}}{{end}}{{$x}} {{$.n}}", vars), "5 0");
}

TEST(OpaBuiltins, RenderTemplateFunctions) {
  const std::string_view vars = R"({"items": ["a", "b"], "m": {"k": "v"}, "s": "héllo", "n": 3})";
  EXPECT_EQ(Render("{{len .items}} {{len .m}} {{len .s}} {{.items | len}}", vars), "2 1 6 2");
  EXPECT_EQ(Render("{{index .items 1}} {{index .m \"k\"}} {{index .m \"nope\"}}", vars), "b v <no value>");
  EXPECT_EQ(Render("{{printf \"%s-%d\" .s .n}} {{print 1 2 \"x\" 3}} {{println \"a\" 1}}", vars),
            "héllo-3 1 2x3 a 1");
  EXPECT_EQ(Render("{{and .n .s}} {{or \"\" .n}} {{not .items}} {{eq .n 1 2 3}} {{lt 1 2}} {{ge \"a\" \"b\"}}", vars),
            "héllo 3 false true true false");
  EXPECT_EQ(Render("{{printf \"%v\" (index .items 0) | printf \"<%s>\"}}", vars), "<a>");
  EXPECT_EQ(Render("{{index .items 1.0}}", vars),
            R"(error: strings.render_template: template: template:1:2: executing "template" at <index>: error calling index: cannot index slice/array with type float64)");
  EXPECT_EQ(Render("{{index .items 5}}", vars),
            R"(error: strings.render_template: template: template:1:2: executing "template" at <index>: error calling index: index out of range: 5)");
  EXPECT_EQ(Render("{{lt .s 1}}", vars),
            R"(error: strings.render_template: template: template:1:2: executing "template" at <lt>: error calling lt: incompatible types for comparison)");
}

TEST(OpaBuiltins, RenderTemplateParseErrors) {
  EXPECT_EQ(Render("{{.a", "{}"), "error: strings.render_template: template: template:1: unclosed action");
  EXPECT_EQ(Render("{{if .a}}x", "{}"), "error: strings.render_template: template: template:1: unexpected EOF");
  EXPECT_EQ(Render("x\n{{end}}", "{}"), "error: strings.render_template: template: template:2: unexpected {{end}}");
  EXPECT_EQ(Render("{{nope .a}}", "{}"),
            R"(error: strings.render_template: template: template:1: function "nope" not defined)");
  EXPECT_EQ(Render("{{break}}", "{}"),
            "error: strings.render_template: template: template:1: {{break}} outside {{range}}");
  EXPECT_EQ(Render("{{ }}", "{}"), "error: strings.render_template: template: template:1: missing value for command");
  EXPECT_EQ(Render("{{template \"x\"}}", "{}"),
            "error: strings.render_template: template: template:1: {{template}} is not supported");
  EXPECT_EQ(Render("{{.a}}", "[]"), "error: strings.render_template: operand 2 must be object but got array");
}

TEST(OpaBuiltins, RenderTemplateBoundsWorkAndNesting) {
  std::string nested;
  for (int i = 0; i < 200; ++i) nested += "{{if .a}}";
  EXPECT_EQ(Render(nested, "{}"), "error: strings.render_template: template: template:1: too deeply nested");
  // Ranges nested over the same list multiply: 100^4 steps is past the budget.
  std::string list = "[";
  for (int i = 0; i < 100; ++i) list += std::string(i ? "," : "") + "0";
  list += "]";
  std::string result = Render("{{range .l}}{{range $.l}}{{range $.l}}{{range $.l}}x{{end}}{{end}}{{end}}{{end}}",
                              R"({"l": )" + list + "}");
  EXPECT_TRUE(result.starts_with("error: strings.render_template: template: template:1:")) << result.substr(0, 200);
  EXPECT_NE(result.find("too much work"), std::string::npos);
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

TEST(OpaBuiltins, JsonVerifySchema) {
  EXPECT_EQ(Eval("json.verify_schema", R"([{"properties": {"id": {"type": "integer"}}, "required": ["id"]}])"),
            "[true,null]");
  EXPECT_EQ(Eval("json.verify_schema", R"(["{\"type\": \"string\", \"minLength\": 2}"])"), "[true,null]");
  EXPECT_EQ(Eval("json.verify_schema", R"([{"properties": {"id": {"type": "unknown"}}}])"),
            R"([false,"jsonschema: has a primitive type that is NOT VALID -- given: unknown Expected valid values are:[array boolean integer number null object string]"])");
  EXPECT_EQ(Eval("json.verify_schema", R"([{"properties": []}])"),
            R"([false,"jsonschema: Invalid type. Expected: object, given: properties"])");
  EXPECT_EQ(Eval("json.verify_schema", R"([{"pattern": "a("}])"),
            R"([false,"jsonschema: Invalid regex pattern 'a('"])");
  EXPECT_EQ(Eval("json.verify_schema", R"([{"multipleOf": 0}])"),
            R"([false,"jsonschema: multipleOf must be strictly greater than 0"])");
  EXPECT_EQ(Eval("json.verify_schema", R"([{"definitions": {}, "$ref": "#/definitions/nope"}])"),
            R"([false,"jsonschema: Object has no key 'nope'"])");
  EXPECT_EQ(Eval("json.verify_schema", R"(["{not json"])"), R"([false,"jsonschema: invalid JSON string"])");
  EXPECT_EQ(Eval("json.verify_schema", "[[1]]"),
            R"([false,"jsonschema: wrong type, expected string or object"])");
}

TEST(OpaBuiltins, JsonMatchSchemaAsOpasDocumentedExample) {
  const std::string schema = R"({"properties": {"id": {"type": "integer"}}, "required": ["id"]})";
  EXPECT_EQ(Eval("json.match_schema", R"([{"id": 5}, )" + schema + "]"), "[true,[]]");
  EXPECT_EQ(Eval("json.match_schema", R"([{"id": "foo"}, )" + schema + "]"),
            R"([false,[{"desc":"Invalid type. Expected: integer, given: string",)"
            R"("error":"id: Invalid type. Expected: integer, given: string","field":"id","type":"invalid_type"}]])");
  EXPECT_EQ(Eval("json.match_schema", R"(["{}", )" + schema + "]"),
            R"x([false,[{"desc":"id is required","error":"(root): id is required","field":"(root)","type":"required"}]])x");
}

// json.match_schema's errors, as "<type> <error>" lines, or "valid" / "error: <message>".
std::string SchemaErrors(std::string_view document, std::string_view schema) {
  auto result = Call("json.match_schema", "[" + std::string(document) + ", " + std::string(schema) + "]");
  if (!result) return "error: " + result.error().message;
  const json::array& pair = result->get_array();
  if (pair[0].get_bool()) return "valid";
  std::string out;
  for (const json::value& e : pair[1].get_array()) {
    out += std::string(e.at("type").get_string()) + " " + std::string(e.at("error").get_string()) + "\n";
  }
  return out;
}

TEST(OpaBuiltins, JsonMatchSchemaKeywords) {
  EXPECT_EQ(SchemaErrors(R"({"s": "a", "n": 7.5, "l": [1, 1], "x": 1})",
                         R"({"type": "object", "additionalProperties": false,
                             "properties": {"s": {"type": "string", "minLength": 2, "pattern": "^b"},
                                            "n": {"type": "number", "multipleOf": 2, "maximum": 5},
                                            "l": {"type": "array", "uniqueItems": true, "maxItems": 1}}})"),
            "array_max_items l: Array must have at most 1 items\n"
            "unique l: array items[0,1] must be unique\n"
            "multiple_of n: Must be a multiple of 2\n"
            "number_lte n: Must be less than or equal to 5\n"
            "string_gte s: String length must be greater than or equal to 2\n"
            "pattern s: Does not match pattern '^b'\n"
            "additional_property_not_allowed (root): Additional property x is not allowed\n");
  EXPECT_EQ(SchemaErrors(R"({"a": [1, "x"]})", R"({"properties": {"a": {"items": {"type": "integer"}}}})"),
            "invalid_type a.1: Invalid type. Expected: integer, given: string\n");
  EXPECT_EQ(SchemaErrors(R"({"c": "red"})", R"({"properties": {"c": {"enum": ["blue", 1, {"a": null}]}}})"),
            R"(enum c: c must be one of the following: "blue", 1, {"a":null})" "\n");
  EXPECT_EQ(SchemaErrors(R"({"c": 2.0})", R"({"properties": {"c": {"const": 2, "type": ["string", "integer"]}}})"),
            "valid");
  EXPECT_EQ(SchemaErrors(R"({"c": 1.5})", R"({"properties": {"c": {"type": ["string", "integer"]}}})"),
            "invalid_type c: Invalid type. Expected: [string,integer], given: number\n");
  // Draft 4's boolean exclusive bounds and the numbers of drafts 6 and 7.
  EXPECT_EQ(SchemaErrors(R"({"a": 5, "b": 5})",
                         R"({"properties": {"a": {"minimum": 5, "exclusiveMinimum": true},
                                            "b": {"exclusiveMaximum": 5}}})"),
            "number_gt a: Must be greater than 5\nnumber_lt b: Must be less than 5\n");
  EXPECT_EQ(SchemaErrors(R"({"when": "2024-02-30T10:00:00Z", "ip": "10.0.0.1", "h": "-bad"})",
                         R"({"properties": {"when": {"format": "date-time"}, "ip": {"format": "ipv6"},
                                            "h": {"format": "hostname"}}})"),
            "format h: Does not match format 'hostname'\n"
            "format ip: Does not match format 'ipv6'\n"
            "format when: Does not match format 'date-time'\n");
}

TEST(OpaBuiltins, JsonMatchSchemaCombinatorsAndReferences) {
  const std::string_view schema = R"({"definitions": {"port": {"type": "integer", "minimum": 1}},
      "properties": {"p": {"$ref": "#/definitions/port"},
                     "q": {"anyOf": [{"type": "string"}, {"$ref": "#/definitions/port"}]},
                     "r": {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
                     "s": {"not": {"type": "null"}},
                     "t": {"if": {"minimum": 10}, "then": {"multipleOf": 10}, "else": {"maximum": 3}}}})";
  EXPECT_EQ(SchemaErrors(R"({"p": 80, "q": "x", "r": -1, "s": 1, "t": 20})", schema), "valid");
  EXPECT_EQ(SchemaErrors(R"({"p": 0, "q": 0, "r": 1, "s": null, "t": 15})", schema),
            "number_gte p: Must be greater than or equal to 1\n"
            "number_any_of q: Must validate at least one schema (anyOf)\n"
            "number_gte q: Must be greater than or equal to 1\n"
            "number_one_of r: Must validate one and only one schema (oneOf)\n"
            "number_not s: Must not validate the schema (not)\n"
            "condition_then t: Must validate \"then\" as \"if\" was valid\n"
            "multiple_of t: Must be a multiple of 10\n");
  EXPECT_EQ(SchemaErrors(R"({"a": 1})", R"({"dependencies": {"a": ["b"]}, "propertyNames": {"maxLength": 0}})"),
            "missing_dependency (root): Has a dependency on b\n"
            "invalid_property_name (root): Property name of \"a\" does not match\n"
            "string_lte (root): String length must be less than or equal to 0\n");
  EXPECT_EQ(SchemaErrors("[1]", "{}"), "error: json.match_schema: wrong type, expected string or object");
  EXPECT_EQ(SchemaErrors("{}", R"({"$ref": "http://example.com/schema"})"),
            "error: json.match_schema: Reference http://example.com/schema is not supported: only "
            "references within the schema are");
}

TEST(OpaBuiltins, JsonMatchSchemaBoundsSelfReference) {
  // A schema that refers to itself without consuming the document never ends in gojsonschema;
  // here it is an error.
  EXPECT_EQ(SchemaErrors("{}", R"({"$ref": "#"})"),
            "error: json.match_schema: the schema refers to itself too deeply");
  // A tree of references that doubles at each level: bounded by the step budget.
  std::string defs = R"({"definitions": {)";
  for (int i = 0; i < 40; ++i) {
    defs += "\"d" + std::to_string(i) + R"(": {"allOf": [{"$ref": "#/definitions/d)" + std::to_string(i + 1) +
            R"("}, {"$ref": "#/definitions/d)" + std::to_string(i + 1) + "\"}]},";
  }
  defs += R"("d40": {}}, "$ref": "#/definitions/d0"})";
  EXPECT_EQ(SchemaErrors("{}", defs), "error: json.match_schema: the validation takes too many steps");
}

}  // namespace
}  // namespace kw::runtime::opa

namespace kw::runtime::opa {
namespace {

TEST(OpaBuiltins, JsonFilterAsOpasDocumentedExamples) {
  EXPECT_EQ(Eval("json.filter", R"([{"a": {"b": "x", "c": "y"}}, ["a/b"]])"), R"({"a":{"b":"x"}})");
  EXPECT_EQ(Eval("json.filter", R"([{"a": {"b": "x", "c": "y"}}, [["a", "b"]]])"), R"({"a":{"b":"x"}})");
  EXPECT_EQ(Eval("json.filter", R"([{"a": [1, {"x": 2, "y": 3}, 4], "b/c": 5, "d": 6}, ["/a/1/y", "a/2", "b~1c"]])"),
            R"({"a":[{"y":3},4],"b/c":5})");
  // A shorter path keeps everything under it, in whichever order the paths come.
  EXPECT_EQ(Eval("json.filter", R"([{"a": {"b": 1, "c": 2}}, ["a/b", "a"]])"), R"({"a":{"b":1,"c":2}})");
  EXPECT_EQ(Eval("json.filter", R"([{"a": {"b": 1, "c": 2}}, ["a", "a/b"]])"), R"({"a":{"b":1,"c":2}})");
  EXPECT_EQ(Eval("json.filter", R"([{"a": 1}, [""]])"), "{}");
  EXPECT_EQ(Eval("json.filter", R"([{"a": 1}, "a"])"),
            "error: json.filter: operand 2 must be one of {set, array} but got string");
  EXPECT_EQ(Eval("json.filter", R"([{"a": 1}, [1]])"),
            "error: json.filter: operand 2 must be one of {set, array} containing string paths or array of "
            "path segments but got number");
}

TEST(OpaBuiltins, JsonRemoveAsOpasDocumentedExamples) {
  EXPECT_EQ(Eval("json.remove", R"([{"a": {"b": "x", "c": "y"}}, ["a/b"]])"), R"({"a":{"c":"y"}})");
  EXPECT_EQ(Eval("json.remove", R"([{"a": {"b": "x", "c": "y"}}, [["a", "b"]]])"), R"({"a":{"c":"y"}})");
  // Removed array elements close up.
  EXPECT_EQ(Eval("json.remove", R"([{"a": [1, 2, 3, 4]}, ["a/1", "a/2"]])"), R"({"a":[1,4]})");
  EXPECT_EQ(Eval("json.remove", R"([{"a": 1, "b": {"c": 2}}, ["b/c/d", "x"]])"), R"({"a":1,"b":{"c":2}})");
  EXPECT_EQ(Eval("json.remove", R"([[1], ["a"]])"), "error: json.remove: operand 1 must be object but got array");
}

}  // namespace
}  // namespace kw::runtime::opa
