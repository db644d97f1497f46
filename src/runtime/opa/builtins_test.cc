#include "runtime/opa/builtins.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace kw::runtime::opa {
namespace {

// Calls builtin `name` with the arguments of the JSON array `args_json`.
Result<json::value> Call(std::string_view name, std::string_view args_json,
                         BuiltinContext context = {}) {
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
  return ToJson(*result);
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
        "json.patch", "regex.split", "regex.template_match", "regex.find_n", "semver.is_valid",
        "semver.compare", "sprintf", "time.now_ns", "parse_rfc3339_ns", "date",
        "time.parse_rfc3339_ns", "time.date"}) {
    EXPECT_NE(FindBuiltin(name), nullptr) << name;
  }
  EXPECT_EQ(FindBuiltin("http.send"), nullptr);
  EXPECT_EQ(FindBuiltin(""), nullptr);
  auto names = BuiltinNames();
  EXPECT_EQ(names.size(), 25u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
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

}  // namespace
}  // namespace kw::runtime::opa
