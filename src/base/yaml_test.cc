#include "base/yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace kw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

json::value Parse(std::string_view text) {
  auto v = ParseYamlAsJson(text);
  EXPECT_TRUE(v.has_value()) << v.error().message;
  return v ? *v : json::value();
}

json::value ScalarOf(std::string_view scalar) {
  return Parse("v: " + std::string(scalar)).at("v");
}

TEST(YamlParse, NullSpellings) {
  for (auto s : {"~", "null", "Null", "NULL", ""}) {
    EXPECT_TRUE(ScalarOf(s).is_null()) << s;
  }
  EXPECT_TRUE(Parse("").is_null());
  EXPECT_TRUE(Parse("# only a comment\n").is_null());
}

TEST(YamlParse, TaggedKeepsTheRootTagOnly) {
  auto mapping = ParseTaggedYamlAsJson("!DNSLookupHost\nhost: !Inner localhost\n");
  ASSERT_TRUE(mapping) << mapping.error().message;
  EXPECT_EQ(mapping->tag, "!DNSLookupHost");
  EXPECT_EQ(mapping->value, (json::object{{"host", "localhost"}}));

  auto flow = ParseTaggedYamlAsJson("!Variant {a: 1}");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->tag, "!Variant");
  EXPECT_EQ(flow->value, (json::object{{"a", 1}}));

  auto untagged = ParseTaggedYamlAsJson("a: 1\n");
  ASSERT_TRUE(untagged);
  EXPECT_EQ(untagged->tag, "");
  auto quoted = ParseTaggedYamlAsJson("'text'");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->tag, "");
  EXPECT_EQ(quoted->value, "text");

  EXPECT_FALSE(ParseTaggedYamlAsJson("!Variant {a: "));
}

TEST(YamlParse, Booleans) {
  for (auto s : {"true", "True", "TRUE"}) EXPECT_EQ(ScalarOf(s), json::value(true)) << s;
  for (auto s : {"false", "False", "FALSE"}) EXPECT_EQ(ScalarOf(s), json::value(false)) << s;
  // YAML 1.1 spellings are plain strings, as in serde_yaml.
  for (auto s : {"yes", "no", "on", "off", "y", "n"}) {
    EXPECT_EQ(ScalarOf(s), json::value(s)) << s;
  }
}

TEST(YamlParse, Integers) {
  EXPECT_EQ(ScalarOf("42"), json::value(std::int64_t{42}));
  EXPECT_TRUE(ScalarOf("42").is_int64());
  EXPECT_EQ(ScalarOf("-17"), json::value(std::int64_t{-17}));
  EXPECT_EQ(ScalarOf("+5"), json::value(std::int64_t{5}));
  EXPECT_EQ(ScalarOf("0"), json::value(std::int64_t{0}));
  EXPECT_EQ(ScalarOf("0x1F"), json::value(std::int64_t{31}));
  EXPECT_EQ(ScalarOf("0o17"), json::value(std::int64_t{15}));
  EXPECT_EQ(ScalarOf("0b101"), json::value(std::int64_t{5}));
  EXPECT_EQ(ScalarOf("-9223372036854775808"),
            json::value(std::numeric_limits<std::int64_t>::min()));
  json::value big = ScalarOf("18446744073709551615");
  ASSERT_TRUE(big.is_uint64());
  EXPECT_EQ(big.get_uint64(), std::numeric_limits<std::uint64_t>::max());
  json::value huge = ScalarOf("184467440737095516150");  // beyond 64 bits: a float
  ASSERT_TRUE(huge.is_double());
  EXPECT_DOUBLE_EQ(huge.get_double(), 1.8446744073709552e20);
}

TEST(YamlParse, LeadingZerosStayStrings) {
  EXPECT_EQ(ScalarOf("0755"), json::value("0755"));
  EXPECT_EQ(ScalarOf("-012"), json::value("-012"));
}

TEST(YamlParse, Floats) {
  EXPECT_EQ(ScalarOf("1.5"), json::value(1.5));
  EXPECT_EQ(ScalarOf("-0.25"), json::value(-0.25));
  EXPECT_EQ(ScalarOf(".5"), json::value(0.5));
  EXPECT_EQ(ScalarOf("1."), json::value(1.0));
  EXPECT_EQ(ScalarOf("1e3"), json::value(1000.0));
  EXPECT_EQ(ScalarOf("2.5E-1"), json::value(0.25));
  EXPECT_TRUE(ScalarOf(".inf").is_null());
  EXPECT_TRUE(ScalarOf("-.Inf").is_null());
  EXPECT_TRUE(ScalarOf(".nan").is_null());
  EXPECT_EQ(ScalarOf("1e999"), json::value("1e999"));
  EXPECT_EQ(ScalarOf("1.2.3"), json::value("1.2.3"));
  EXPECT_EQ(ScalarOf("e3"), json::value("e3"));
}

TEST(YamlParse, QuotedAndBlockScalarsAreStrings) {
  EXPECT_EQ(ScalarOf("\"true\""), json::value("true"));
  EXPECT_EQ(ScalarOf("'123'"), json::value("123"));
  EXPECT_EQ(ScalarOf("\"\""), json::value(""));
  EXPECT_EQ(ScalarOf("'null'"), json::value("null"));
  EXPECT_EQ(ScalarOf("!!str 12"), json::value("12"));
  EXPECT_EQ(Parse("v: |\n  12\n").at("v"), json::value("12\n"));
  EXPECT_EQ(Parse("v: >-\n  a\n  b\n").at("v"), json::value("a b"));
}

TEST(YamlParse, Structures) {
  json::value v = Parse(R"(
rules:
- apiGroups: [""]
  operations:
  - CREATE
  - UPDATE
mutating: false
annotations:
  io.kubewarden.policy.title: pod-privileged
empty_map: {}
empty_list: []
)");
  json::value expected = json::parse(R"({
    "rules": [{"apiGroups": [""], "operations": ["CREATE", "UPDATE"]}],
    "mutating": false,
    "annotations": {"io.kubewarden.policy.title": "pod-privileged"},
    "empty_map": {},
    "empty_list": []
  })");
  EXPECT_EQ(v, expected);
  // Keys keep document order.
  EXPECT_EQ(v.get_object().begin()->key(), "rules");
}

TEST(YamlParse, AsStringsKeepsScalarText) {
  auto v = ParseYamlAsJson("a: 1.0\nb: true\nc: 0x10\nd: ~\ne: [1, 'x']\n", "invalid",
                           YamlScalars::kAsStrings);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(*v, json::parse(R"({"a": "1.0", "b": "true", "c": "0x10", "d": null,
                                "e": ["1", "x"]})"));
}

TEST(YamlParse, NonStringKeysBecomeText) {
  EXPECT_EQ(Parse("1: a\ntrue: b\n"), json::parse(R"({"1": "a", "true": "b"})"));
}

TEST(YamlParse, Aliases) {
  EXPECT_EQ(Parse("a: &x [1, 2]\nb: *x\n"), json::parse(R"({"a": [1, 2], "b": [1, 2]})"));
}

TEST(YamlParse, SyntaxErrorsNameTheLocation) {
  auto v = ParseYamlAsJson("a: [1, 2\nb: c\n", "invalid settings");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(v.error().message, HasSubstr("invalid settings: "));
  EXPECT_THAT(v.error().message, HasSubstr(" at line "));
  EXPECT_THAT(v.error().message, HasSubstr(" column "));
}

TEST(YamlParse, DuplicateKeysAreErrors) {
  auto v = ParseYamlAsJson("a: 1\nb: 2\na: 3\n");
  ASSERT_FALSE(v.has_value());
  EXPECT_THAT(v.error().message, HasSubstr("duplicate mapping key 'a'"));
  EXPECT_THAT(v.error().message, HasSubstr("line 3"));
}

TEST(YamlParse, ComplexKeysAreErrors) {
  auto v = ParseYamlAsJson("? [a, b]\n: c\n");
  ASSERT_FALSE(v.has_value());
  EXPECT_THAT(v.error().message, HasSubstr("mapping keys must be scalars"));
}

TEST(YamlParse, CyclicAliasIsAnErrorNotACrash) {
  auto v = ParseYamlAsJson("a: &x [*x]\n");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(v.error().message,
            "invalid YAML: an alias refers to a node that contains it at line 1 column 8");
}

TEST(YamlParse, AliasesAsKeys) {
  EXPECT_EQ(Parse("k: &k name\n*k : 1\n"), json::parse(R"({"k": "name", "name": 1})"));
  auto v = ParseYamlAsJson("k: &k [a]\n*k : 1\n");
  ASSERT_FALSE(v);
  EXPECT_THAT(v.error().message, HasSubstr("mapping keys must be scalars"));
}

TEST(YamlParse, AliasBombIsBounded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int j = 0; j < 9; ++j) text += ", " + prev;
    text += "]\n";
  }
  auto v = ParseYamlAsJson(text, "settings");
  ASSERT_FALSE(v.has_value());
  EXPECT_THAT(v.error().message,
              HasSubstr("settings: anchors and aliases copy more than twice what the document "
                        "itself holds at line "));
}

TEST(YamlParse, NestedAnchorsCountAsCopies) {
  // Each anchor keeps a copy of everything inside it: 200 nested anchors around a long scalar
  // would cost 200 copies of it.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "&n" + std::to_string(i) + " [";
  text += std::string(100000, 'x') + std::string(200, ']');
  auto v = ParseYamlAsJson(text);
  ASSERT_FALSE(v.has_value());
  EXPECT_THAT(v.error().message, HasSubstr("anchors and aliases copy more than twice"));
}

TEST(YamlParse, ModerateAliasUseIsFine) {
  // A block defined once and used a few times, as in hand-written configuration.
  std::string text = "base: &base\n";
  for (int i = 0; i < 1000; ++i) text += "  key" + std::to_string(i) + ": value\n";
  for (int i = 0; i < 3; ++i) text += "copy" + std::to_string(i) + ": *base\n";
  auto v = ParseYamlAsJson(text);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->at("copy2"), v->at("base"));
}

TEST(YamlParse, LargeDocumentsWithoutAliasesHaveNoNodeLimit) {
  // 1.5 million nodes: only the size of the text bounds a document without aliases.
  std::string text = "[0";
  for (int i = 1; i < 1'500'000; ++i) text += ",0";
  text += "]";
  for (const std::string& document : {text, "v: " + text}) {  // JSON, then YAML
    auto v = ParseYamlAsJson(document + "\n");
    ASSERT_TRUE(v) << v.error().message;
  }
}

TEST(YamlParse, DeepNestingIsAnError) {
  for (std::size_t depth : {400, 100000}) {
    std::string text(depth, '[');
    text += std::string(depth, ']');
    auto v = ParseYamlAsJson(text);
    ASSERT_FALSE(v.has_value()) << depth;
    EXPECT_THAT(v.error().message, HasSubstr("nesting is too deep")) << depth;
  }
}

TEST(YamlParse, FirstDocumentOnly) {
  EXPECT_EQ(Parse("a: 1\n---\nb: 2\n"), json::parse(R"({"a": 1})"));
}

TEST(YamlParseDocuments, AllDocumentsInOrder) {
  auto docs = ParseYamlDocumentsAsJson("a: 1\n---\nb: 2\n---\n- x\n");
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0], json::parse(R"({"a": 1})"));
  EXPECT_EQ((*docs)[1], json::parse(R"({"b": 2})"));
  EXPECT_EQ((*docs)[2], json::parse(R"(["x"])"));
  auto none = ParseYamlDocumentsAsJson("");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(ParseYamlDocumentsAsJson("a: 1\n---\nb: [\n").has_value());
}

TEST(JsonToYaml, BlockLayout) {
  json::value v = json::parse(R"({
    "protocolVersion": "v1",
    "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
               "operations": ["CREATE"]}],
    "annotations": {"io.kubewarden.policy.title": "pod-privileged"},
    "mutating": false,
    "contextAwareResources": [],
    "nested": {"list": [[1, 2], {}], "empty": {}},
    "ratio": 1.0,
    "none": null
  })");
  EXPECT_EQ(JsonToYaml(v),
            "protocolVersion: v1\n"
            "rules:\n"
            "- apiGroups:\n"
            "  - \"\"\n"
            "  apiVersions:\n"
            "  - v1\n"
            "  resources:\n"
            "  - pods\n"
            "  operations:\n"
            "  - CREATE\n"
            "annotations:\n"
            "  io.kubewarden.policy.title: pod-privileged\n"
            "mutating: false\n"
            "contextAwareResources: []\n"
            "nested:\n"
            "  list:\n"
            "  - - 1\n"
            "    - 2\n"
            "  - {}\n"
            "  empty: {}\n"
            "ratio: 1.0\n"
            "none: null\n");
}

TEST(JsonToYaml, ScalarsAtTopLevel) {
  EXPECT_EQ(JsonToYaml(json::value(nullptr)), "null\n");
  EXPECT_EQ(JsonToYaml(json::object()), "{}\n");
  EXPECT_EQ(JsonToYaml(json::array()), "[]\n");
  EXPECT_EQ(JsonToYaml(json::value("hello")), "hello\n");
  EXPECT_EQ(JsonToYaml(json::value(std::int64_t{-3})), "-3\n");
}

TEST(JsonToYaml, QuotesOnlyWhenNeeded) {
  auto render = [](std::string_view s) { return JsonToYaml(json::value(s)); };
  EXPECT_EQ(render("plain text"), "plain text\n");
  EXPECT_EQ(render("http://example.com/a#b"), "http://example.com/a#b\n");
  EXPECT_EQ(render("Flavio Castelli <fcastelli@suse.com>"),
            "Flavio Castelli <fcastelli@suse.com>\n");
  EXPECT_EQ(render("-foo"), "-foo\n");
  EXPECT_EQ(render("1.36.0"), "1.36.0\n");
  EXPECT_EQ(render("a:b"), "a:b\n");
  EXPECT_EQ(render("snake_case"), "snake_case\n");
  for (std::string_view s : {"", "true", "False", "null", "~", "123", "-1", "1.5", "1e5", "0x10",
                             "0755", "yes", "off", "a: b", "a #b", "key:", " lead", "trail ",
                             "- item", "-", "*alias", "&anchor", "!tag", "[x]", "{x}", "#c",
                             "'q'", "\"q\"", "%x", "@x", "`x", "|x", ">x", ",x", "tab\there",
                             "---", "...", "<<", ".inf", "1e999", "bell\x07", "1_000", "12:30"}) {
    std::string out = render(s);
    EXPECT_TRUE(out.starts_with('"')) << "'" << s << "' rendered as " << out;
  }
}

TEST(JsonToYaml, FloatsAlwaysHaveADot) {
  EXPECT_EQ(JsonToYaml(json::value(3.0)), "3.0\n");
  EXPECT_EQ(JsonToYaml(json::value(0.1)), "0.1\n");
  EXPECT_EQ(JsonToYaml(json::value(1e300)), "1.0e+300\n");
  EXPECT_EQ(JsonToYaml(json::value(-2.5e-7)), "-2.5e-07\n");
}

TEST(JsonToYaml, EscapesInDoubleQuotes) {
  EXPECT_EQ(JsonToYaml(json::value("say \"hi\"\\ \x01")), "\"say \\\"hi\\\"\\\\ \\x01\"\n");
}

TEST(JsonToYaml, MultiLineStringsUseLiteralBlocks) {
  json::object o;
  o["usage"] = "# Title\n\nSome text  \n- item\n";
  o["strip"] = "a\nb";
  o["keep"] = "a\n\n";
  EXPECT_EQ(JsonToYaml(o),
            "usage: |\n"
            "  # Title\n"
            "\n"
            "  Some text  \n"
            "  - item\n"
            "strip: |-\n"
            "  a\n"
            "  b\n"
            "keep: |+\n"
            "  a\n"
            "\n");
  // Leading blanks would need an indentation indicator: quote instead.
  EXPECT_EQ(JsonToYaml(json::value("  indented\nline")), "\"  indented\\nline\"\n");
}

TEST(JsonToYaml, RoundTrips) {
  json::value v = json::parse(R"({
    "strings": ["", "true", "yes", "0755", "a: b", " x ", "tab\there", "multi\nline\n",
                "\n\nleading newlines", "trailing\n\n\n", "only\n", "\n", "ünïcödé", "#x",
                "a'b", "c\"d", "back\\slash", "-", "- x", "?", "? x", ":x", "x:", "1e999",
                "new\r\nline", "nel\u0085x", "bom\ufeff", "1_000", "12:30", "a:b"],
    "numbers": [0, -1, 9223372036854775807, 18446744073709551615, 1.5, -0.0, 1e300, 3.0],
    "bools": [true, false],
    "null": null,
    "nested": [[[]], [{}], {"a": [{"b": {"c": ["d"]}}]}],
    "": "empty key",
    "key with: colon": 1,
    "multi\nline key": 2
  })");
  std::string yaml = JsonToYaml(v);
  auto back = ParseYamlAsJson(yaml);
  ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << yaml;
  EXPECT_EQ(*back, v) << yaml;
}

TEST(JsonToYaml, MultiLineInSequencesRoundTrips) {
  json::value v = json::parse(R"([["a\nb", {"k": "x\ny\n"}], "p\nq"])");
  std::string yaml = JsonToYaml(v);
  auto back = ParseYamlAsJson(yaml);
  ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << yaml;
  EXPECT_EQ(*back, v) << yaml;
}

// Found by yaml_fuzzer: keys past YAML's 1024-character implicit-key limit must still round
// trip, and text that is not UTF-8 is refused instead of leaking into JSON strings.
TEST(JsonToYaml, LongKeysUseTheExplicitForm) {
  json::object o;
  o[std::string(2000, 'k')] = json::object({{"a", json::array({1, json::object({{"b", 2}})})}});
  o["short"] = json::array({"x"});
  json::value v = o;
  auto back = ParseYamlAsJson(JsonToYaml(v));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, v);
}

TEST(ParseYamlAsJson, RefusesInvalidUtf8) {
  auto r = ParseYamlAsJson("key: \xff\xfe value\n", "settings");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "settings: not valid UTF-8");
  EXPECT_FALSE(ParseYamlDocumentsAsJson("a: 1\n---\nb: \xc3\x28\n"));
}

// Found by yaml_fuzzer: yaml-cpp's LoadAll never returns on this input.
TEST(ParseYamlDocumentsAsJson, TerminatesOnMalformedInput) {
  auto r = ParseYamlDocumentsAsJson(",.");
  EXPECT_TRUE(r.has_value() || !r.error().message.empty());
}

TEST(ParseYamlDocumentsAsJson, SplitsDocumentsAndKeepsLineNumbers) {
  auto docs = ParseYamlDocumentsAsJson("# header\na: 1\n---\nb: 2\n...\n--- c\n---\n");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 4u);
  EXPECT_EQ((*docs)[0], json::object({{"a", 1}}));
  EXPECT_EQ((*docs)[1], json::object({{"b", 2}}));
  EXPECT_EQ((*docs)[2], "c");
  EXPECT_TRUE((*docs)[3].is_null());

  auto bad = ParseYamlDocumentsAsJson("a: 1\n---\nb: [1, 2\n", "policies.yaml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line 4"), std::string::npos) << bad.error().message;
}

TEST(ParseYamlDocumentsAsJson, ManyDocumentsCostTheirText) {
  // 500 000 empty documents: pieces are views of the text, not copies padded to keep line numbers.
  std::string text;
  for (int i = 0; i < 500'000; ++i) text += "---\n";
  text += "a: [\n";
  auto r = ParseYamlDocumentsAsJson(text, "crds.yaml");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("crds.yaml: "));
  EXPECT_THAT(r.error().message, HasSubstr(" at line 500002 "));
}

// The JSON-or-YAML choice: a text whose first non-blank byte is `{` or `[` is read by the JSON
// parser; what is not JSON there is read as YAML, and an error is JSON's.
TEST(ParseYamlAsJson, JsonTextIsReadAsJson) {
  EXPECT_EQ(Parse(" \n{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}"),
            json::parse(R"({"a": [1, 2.5, "x", true, null], "b": {}})"));
  EXPECT_EQ(Parse("[1, 2]"), json::parse("[1, 2]"));
  // The JSON parser's messages: a JSON text with an error is reported as JSON.
  auto bad = ParseYamlAsJson("{\n  \"a\": 1,\n  \"b\": [1, 2\n}", "settings.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "settings.json: syntax error at line 4 column 1");
  // What is not JSON but YAML is YAML, as serde_yaml reads it.
  EXPECT_EQ(Parse("{\"a\": 1, \"b\": }"), json::parse(R"({"a": 1, "b": null})"));
  // Duplicate keys are refused as YAML refuses them.
  auto duplicate = ParseYamlAsJson(R"({"a": 1, "b": {"c": 1}, "a": 2})", "settings.json");
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().message,
            "settings.json: duplicate key 'a' at line 1 column 27");
  EXPECT_TRUE(ParseYamlAsJson(R"({"a": {"x": 1}, "b": {"x": 1}})"));  // per object
  // Nesting has the YAML limit.
  auto deep = ParseYamlAsJson(std::string(300, '[') + std::string(300, ']'));
  ASSERT_FALSE(deep);
  EXPECT_THAT(deep.error().message, HasSubstr("nesting is too deep"));
}

TEST(ParseYamlAsJson, FlowYamlThatIsNotJsonFallsBackToYaml) {
  EXPECT_EQ(Parse("{a: 1, b: [x, y]}"), json::parse(R"({"a": 1, "b": ["x", "y"]})"));
  EXPECT_EQ(Parse("[a, b] # a comment\n"), json::parse(R"(["a", "b"])"));
  EXPECT_EQ(Parse("{\"a\": 1e999}"), json::parse(R"({"a": "1e999"})"));  // as serde_yaml
  // Plain YAML is never tried as JSON, and keeps its own messages.
  auto v = ParseYamlAsJson("a: [1, 2\nb: c\n", "settings");
  ASSERT_FALSE(v);
  EXPECT_THAT(v.error().message, Not(HasSubstr("syntax error")));
}

TEST(ParseYamlAsJson, AsStringsReadsJsonTextAsYaml) {
  // Scalars keep their text, which only the YAML reading has.
  auto v = ParseYamlAsJson(R"({"a": 1.0, "b": true})", "metadata", YamlScalars::kAsStrings);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, json::parse(R"({"a": "1.0", "b": "true"})"));
}

TEST(ParseYamlDocumentsAsJson, JsonTextIsOneDocument) {
  auto docs = ParseYamlDocumentsAsJson("{\"kind\": \"AdmissionPolicy\"}\n");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0], json::parse(R"({"kind": "AdmissionPolicy"})"));
  auto flow = ParseYamlDocumentsAsJson("{a: 1}\n---\n{b: 2}\n");
  ASSERT_TRUE(flow) << flow.error().message;
  EXPECT_EQ(flow->size(), 2u);
}

// Found by yaml_fuzzer: yaml-cpp decodes these two escapes to single Latin-1 bytes.
TEST(ParseYamlAsJson, NelAndNbspEscapesBecomeUtf8) {
  auto v = Parse("\"a\\Nb\\_c\\Ld\u00e0\": \"\\N\"\n");
  EXPECT_EQ(v, json::parse("{\"a\\u0085b\\u00a0c\\u2028d\\u00e0\": \"\\u0085\"}"));
}

TEST(ParseYamlAsJson, RefusesControlCharacters) {
  auto r = ParseYamlAsJson(std::string_view("a: 1\nr\0\0\0\ts:p\n", 14), "policies.yml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "policies.yml: control character at line 2 column 2");
  EXPECT_TRUE(ParseYamlAsJson("a:\tb\r\n"));  // tabs and CRLF are fine
}

}  // namespace
}  // namespace kw
