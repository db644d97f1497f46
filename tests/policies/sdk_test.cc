// Unit tests of the C++ policy SDK (sdk/cpp/include/kubewarden), compiled natively: the headers
// are portable C++ apart from the waPC imports, which are faked below.
#include <gtest/gtest.h>

// The request is read on demand here (request.h), as the policies that opt in read it; the
// policies' case tests cover the whole parse.
#define KUBEWARDEN_REQUEST_ON_DEMAND

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "kubewarden/kubewarden.h"

// --- Fake waPC host: one call at a time, enough for HandleGuestCall and HostCall. ---
namespace fake {
std::string op, payload, response, error, host_answer, host_error_text, last_host_call, log;
bool host_ok = true;
}  // namespace fake

extern "C" {
void kubewarden_wapc_guest_request(char* op, char* payload) {
  std::copy(fake::op.begin(), fake::op.end(), op);
  std::copy(fake::payload.begin(), fake::payload.end(), payload);
}
void kubewarden_wapc_guest_response(const char* ptr, std::size_t len) {
  fake::response.assign(ptr, len);
}
void kubewarden_wapc_guest_error(const char* ptr, std::size_t len) { fake::error.assign(ptr, len); }
int kubewarden_wapc_host_call(const char* b, std::size_t bl, const char* n, std::size_t nl,
                              const char* o, std::size_t ol, const char* p, std::size_t pl) {
  fake::last_host_call = std::string(b, bl) + "|" + std::string(n, nl) + "|" + std::string(o, ol) +
                         "|" + std::string(p, pl);
  return fake::host_ok ? 1 : 0;
}
std::size_t kubewarden_wapc_host_response_len() { return fake::host_answer.size(); }
void kubewarden_wapc_host_response(char* ptr) {
  std::copy(fake::host_answer.begin(), fake::host_answer.end(), ptr);
}
std::size_t kubewarden_wapc_host_error_len() { return fake::host_error_text.size(); }
void kubewarden_wapc_host_error(char* ptr) {
  std::copy(fake::host_error_text.begin(), fake::host_error_text.end(), ptr);
}
void kubewarden_wapc_console_log(const char* ptr, std::size_t len) { fake::log.assign(ptr, len); }
}

namespace kubewarden {
namespace {

// ================================================================================================
// json.h
// ================================================================================================

std::string RoundTrip(std::string_view text) {
  json::Document doc;
  json::Value* v = doc.Parse(text);
  return v ? json::Serialize(*v) : "ERROR: " + doc.error();
}

std::string TrimmedForTest(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return std::string(text);
}

TEST(Json, ParsesEveryTypeAndKeepsOrderAndNumberText) {
  std::string text =
      R"({"z":1,"a":[true,false,null],"n":-1.50e+3,"big":123456789012345678901234,"s":"x","o":{}})";
  EXPECT_EQ(RoundTrip(text), text);
  EXPECT_EQ(RoundTrip(" \n\t[ 1 , {\"a\" : [ ] } ]\r\n"), R"([1,{"a":[]}])");
  EXPECT_EQ(RoundTrip("\"\""), "\"\"");
  EXPECT_EQ(RoundTrip("0"), "0");
  EXPECT_EQ(RoundTrip("-0.0e-0"), "-0.0e-0");
}

TEST(Json, DecodesEscapesAndReescapes) {
  json::Document doc;
  std::string text = R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20ac\ud83d\ude00", "\u0001\u001f"])";
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr) << doc.error();
  EXPECT_EQ(*v->At(0)->AsString(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(*v->At(1)->AsString(), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(*v->At(2)->AsString(), std::string("\x01\x1f"));
  EXPECT_EQ(json::Serialize(*v),
            "[\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\",\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\","
            "\"\\u0001\\u001f\"]");
}

TEST(Json, EscapedKeysAreDecoded) {
  json::Document doc;
  std::string text = R"({"a\u002fb":1,"c\"":2})";
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr);
  EXPECT_NE(v->Find("a/b"), nullptr);
  EXPECT_NE(v->Find("c\""), nullptr);
  EXPECT_EQ(json::Serialize(*v), R"({"a/b":1,"c\"":2})");
}

TEST(Json, ErrorsNameTheProblemAndThePosition) {
  struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "EOF while parsing a value at line 1 column 1"},
      {"[1,2", "EOF while parsing a list at line 1 column 4"},
      {"{\"a\":1", "EOF while parsing an object at line 1 column 6"},
      {"{\"a\" 1}", "expected `:` at line 1 column 6"},
      {"{\"a\":1 \"b\":2}", "expected `,` or `}` at line 1 column 8"},
      {"[1 2]", "expected `,` or `]` at line 1 column 4"},
      {"{1:2}", "key must be a string at line 1 column 2"},
      {"[1,]", "expected value at line 1 column 4"},
      {"01", "trailing characters at line 1 column 2"},
      {"1.", "invalid number at line 1 column 1"},
      {"-", "invalid number at line 1 column 1"},
      {"1e+", "invalid number at line 1 column 1"},
      {"tru", "expected ident at line 1 column 1"},
      {"[nul]", "expected ident at line 1 column 2"},
      {"\"abc", "EOF while parsing a string at line 1 column 4"},
      {"\"a\tb\"",
       "control character (\\u0000-\\u001F) found while parsing a string at line 1 "
       "column 3"},
      {"\"\\x\"", "invalid escape at line 1 column 3"},
      {"\"\\u12G4\"", "invalid escape at line 1 column 2"},
      {"\"\\udc00\"", "lone trailing surrogate in hex escape at line 1 column 6"},
      {"\"\\ud800x\"", "lone leading surrogate in hex escape at line 1 column 6"},
      {"\"\\ud800\\u0041\"", "lone leading surrogate in hex escape at line 1 column 6"},
      {"{\n  \"a\": [1,\n   ]\n}", "expected value at line 3 column 4"},
      {"1 2", "trailing characters at line 1 column 3"},
  };
  for (const auto& c : cases) {
    json::Document doc;
    EXPECT_EQ(doc.Parse(c.text), nullptr) << c.text;
    EXPECT_EQ(doc.error(), c.error) << c.text;
  }
}

TEST(Json, NestingIsBounded) {
  std::string ok(json::kMaxDepth, '['), too_deep(json::kMaxDepth + 1, '[');
  ok += std::string(json::kMaxDepth, ']');
  too_deep += std::string(json::kMaxDepth + 1, ']');
  json::Document doc;
  EXPECT_NE(doc.Parse(ok), nullptr) << doc.error();
  EXPECT_EQ(doc.Parse(too_deep), nullptr);
  EXPECT_EQ(doc.error(), "recursion limit exceeded at line 1 column 1025");
}

TEST(Json, OnDemandReadsTheSameTreeAndWritesUnreadContainersAsTheyWere) {
  const std::string text =
      R"({"a": {"b" : [1, {"c":"\u0041"}]}, "d":[true,null,-1.5e3,"x\"y"], "e":{}, "f":[]})";
  json::Document eager, lazy;
  const json::Value* all = eager.Parse(text);
  json::Value* v = lazy.ParseOnDemand(text);
  ASSERT_NE(v, nullptr) << lazy.error();
  // Nothing below the top level read: the nested containers are copied as they were written.
  EXPECT_EQ(json::Serialize(*v),
            R"({"a":{"b" : [1, {"c":"\u0041"}]},"d":[true,null,-1.5e3,"x\"y"],"e":{},"f":[]})");
  EXPECT_TRUE(json::Equal(*all, *v));
  EXPECT_EQ(v->GetString("a/b/1/c"), "A");
  EXPECT_EQ(v->Get("d")->size(), 4u);
  EXPECT_EQ(v->Get("d/2")->NumberText(), "-1.5e3");
  // Edited: what was read and changed is written anew, the rest still as it was.
  lazy.Set(*v->Get("a/b/1"), "c", lazy.String("B"));
  EXPECT_EQ(json::Serialize(*v),
            R"({"a":{"b":[1,{"c":"B"}]},"d":[true,null,-1.5e3,"x\"y"],"e":{},"f":[]})");
  EXPECT_EQ(json::Serialize(*lazy.Clone(*v->Get("d"))), R"([true,null,-1.5e3,"x\"y"])");
  EXPECT_TRUE(lazy.deferred_error().empty());
}

// AppendJsonAsRead: a container no edit changed is copied as it was read (its spaces and
// escapes show it: "\u0041" stays, where compact writing gives "A"); the containers above an
// edit are written compact, separators included. Serialize stays compact throughout.
std::string AsRead(const json::Value& v) {
  std::string out;
  json::AppendJsonAsRead(out, v);
  return out;
}

TEST(Json, AsReadCopiesWhatNoEditChanged) {
  const std::string text =
      R"( {"meta": {"name" : "\u0041"}, "spec": {"a": [1, 2], "b": {"c": true}, "d": [ {"e": 1} ]}} )";
  json::Document doc;
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr) << doc.error();
  EXPECT_EQ(AsRead(*v), TrimmedForTest(text)) << "nothing edited: the text as read";
  EXPECT_EQ(json::Serialize(*v),
            R"({"meta":{"name":"A"},"spec":{"a":[1,2],"b":{"c":true},"d":[{"e":1}]}})");

  // Each kind of edit re-writes its container and the path above it, and nothing else.
  doc.Set(*v->Get("spec/b"), "c", doc.Bool(false));  // a member replaced
  EXPECT_EQ(AsRead(*v),
            R"({"meta":{"name" : "\u0041"},"spec":{"a":[1, 2],"b":{"c":false},"d":[ {"e": 1} ]}})");
  json::Document fresh;
  const std::string reference = AsRead(*v);
  EXPECT_TRUE(json::Equal(*v, *fresh.Parse(reference)));

  json::Document d3;
  json::Value* x = d3.Parse(text);
  d3.PushBack(*x->Get("spec/a"), d3.Int(3));     // appended
  EXPECT_TRUE(d3.Erase(*x->Get("spec/b"), "c"));  // removed
  EXPECT_EQ(AsRead(*x), R"({"meta":{"name" : "\u0041"},"spec":{"a":[1,2,3],"b":{},"d":[ {"e": 1} ]}})");

  json::Document d4;
  json::Value* y = d4.Parse(text);
  EXPECT_TRUE(d4.EraseAt(*y->Get("spec/a"), 0));
  d4.Insert(*y->Get("meta"), 0, "k", d4.Int(1));
  EXPECT_EQ(AsRead(*y), R"({"meta":{"k":1,"name":"A"},"spec":{"a":[2],"b":{"c": true},"d":[ {"e": 1} ]}})");

  // A container moved elsewhere keeps its text; the one it was taken from, and the one it was
  // put in, are re-written.
  json::Document d5;
  json::Value* z = d5.Parse(text);
  json::Value* b = z->Get("spec/b");
  ASSERT_TRUE(d5.Erase(*z->Get("spec"), "b"));
  d5.Set(*z, "moved", b);
  EXPECT_EQ(AsRead(*z),
            R"({"meta":{"name" : "\u0041"},"spec":{"a":[1, 2],"d":[ {"e": 1} ]},"moved":{"c": true}})");
  // Cloned values and values made by the policy are written compact.
  d5.Set(*z, "copy", d5.Clone(*z->Get("meta")));
  EXPECT_EQ(AsRead(*z->Get("copy")), R"({"name":"A"})");

  // Last, as it switches AppendJsonAsRead to looking into every container for the rest of the
  // process (an in-place change leaves no mark its ancestors can find).
  json::Document d2;
  json::Value* w = d2.Parse(text);
  w->Get("spec/d/0/e")->SetNull();  // a scalar changed in place
  EXPECT_EQ(AsRead(*w),
            R"({"meta":{"name" : "\u0041"},"spec":{"a":[1, 2],"b":{"c": true},"d":[{"e":null}]}})");
  EXPECT_EQ(AsRead(*x), R"({"meta":{"name" : "\u0041"},"spec":{"a":[1,2,3],"b":{},"d":[ {"e": 1} ]}})");
}

// A container edited leaves a mark in the document that parsed it, whichever document's method
// made the edit; containers with no mark inside their text are copied without being looked into.
TEST(Json, AsReadFindsEditsWhereverTheyWereMade) {
  const std::string text = R"({"a": {"b": {"c": [1, {"d": 2}]}, "h": [3]}, "e": [ {"f": 1}, {"g": 2} ]})";
  json::Document doc;
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr) << doc.error();
  doc.Set(*v->Get("a/b/c/1"), "d", doc.Int(3));  // deep: the path above it is re-written
  EXPECT_EQ(AsRead(*v),
            R"({"a":{"b":{"c":[1,{"d":3}]},"h":[3]},"e":[ {"f": 1}, {"g": 2} ]})");
  json::Document other;
  other.Set(*v->Get("e/1"), "g", other.Int(4));  // through another document
  EXPECT_EQ(AsRead(*v), R"({"a":{"b":{"c":[1,{"d":3}]},"h":[3]},"e":[{"f": 1},{"g":4}]})");

  // Moved into another document's tree, then edited inside: the mark is in the text it came
  // from, and the tree it now belongs to finds it there.
  json::Document host;
  json::Value* root = host.Parse(R"({"x" : 1})");
  ASSERT_NE(root, nullptr);
  json::Value* a = v->Get("a");
  ASSERT_TRUE(doc.Erase(*v, "a"));
  host.Set(*root, "a", a);
  EXPECT_EQ(AsRead(*root), R"({"x":1,"a":{"b":{"c":[1,{"d":3}]},"h":[3]}})");
  EXPECT_EQ(AsRead(*a->Get("h")), "[3]");
  host.PushBack(*a->Get("h"), host.Int(5));
  EXPECT_EQ(AsRead(*root), R"({"x":1,"a":{"b":{"c":[1,{"d":3}]},"h":[3,5]}})");

  // Read on demand: the same, level by level.
  json::Document lazy;
  json::Value* l = lazy.ParseOnDemand(text);
  ASSERT_NE(l, nullptr) << lazy.error();
  lazy.EraseAt(*l->Get("a/b/c"), 0);
  EXPECT_EQ(AsRead(*l), R"({"a":{"b":{"c":[{"d": 2}]},"h":[3]},"e":[ {"f": 1}, {"g": 2} ]})");
}

TEST(Json, AsReadCopiesContainersReadOnDemandAndLeftUnchanged) {
  const std::string text = R"({"a": {"b" : [1, {"c":"\u0041"}]}, "d": {"e" : 1}})";
  json::Document doc;
  json::Value* v = doc.ParseOnDemand(text);
  ASSERT_NE(v, nullptr) << doc.error();
  EXPECT_EQ(v->GetString("a/b/1/c"), "A");  // read all the way down, changed nothing
  EXPECT_EQ(AsRead(*v), text);
  doc.Set(*v->Get("d"), "e", doc.Int(2));
  EXPECT_EQ(AsRead(*v), R"({"a":{"b" : [1, {"c":"\u0041"}]},"d":{"e":2}})");
  EXPECT_TRUE(doc.deferred_error().empty());
}

TEST(Json, OnDemandErrorsAtTheTopLevelAtOnceAndBelowItWhenRead) {
  struct {
    const char* text;
    const char* error;
  } at_once[] = {
      {"[1,2", "EOF while parsing a list at line 1 column 4"},
      {"{\"a\" 1}", "expected `:` at line 1 column 6"},
      {"{\"a\":[1}", "expected `,` or `]` at line 1 column 8"},
      {"{\"a\":{}} x", "trailing characters at line 1 column 10"},
      {"tru", "expected ident at line 1 column 1"},
  };
  for (const auto& c : at_once) {
    json::Document doc;
    EXPECT_EQ(doc.ParseOnDemand(c.text), nullptr) << c.text;
    EXPECT_EQ(doc.error(), c.error) << c.text;
  }
  json::Document doc;
  json::Value* v = doc.ParseOnDemand("{\"a\":{\"b\":tru},\n\"c\":[1,]}");
  ASSERT_NE(v, nullptr) << doc.error();
  EXPECT_EQ(v->size(), 2u);
  EXPECT_EQ(doc.deferred_error(), "") << "nothing malformed read yet";
  EXPECT_EQ(v->Get("a/b"), nullptr) << "a malformed container reads as empty";
  EXPECT_EQ(v->Get("a")->size(), 0u);
  EXPECT_EQ(doc.deferred_error(), "expected ident at line 1 column 11");
  EXPECT_EQ(v->Get("c")->size(), 0u);
  EXPECT_EQ(doc.deferred_error(), "expected ident at line 1 column 11") << "the first one stays";

  std::string too_deep = "{\"a\":" + std::string(json::kMaxDepth, '[') +
                         std::string(json::kMaxDepth, ']') + "}";
  EXPECT_EQ(doc.ParseOnDemand(too_deep), nullptr);
  EXPECT_EQ(doc.error(), "recursion limit exceeded at line 1 column 1029");
}

TEST(Json, OnDemandDeepNestingStaysLinear) {
  // Reading every level of deep nesting would skim the rest of the text once per level; past a
  // budget the remaining containers are parsed whole. Same tree either way.
  std::string text = std::string(json::kMaxDepth - 1, '[') + "\"x\"" +
                     std::string(json::kMaxDepth - 1, ']');
  json::Document doc;
  const json::Value* v = doc.ParseOnDemand(text);
  ASSERT_NE(v, nullptr) << doc.error();
  std::size_t depth = 1;
  while (v->IsArray()) {
    v = v->At(0);
    ++depth;
  }
  EXPECT_EQ(depth, json::kMaxDepth);
  EXPECT_EQ(v->AsString(), "x");
  EXPECT_TRUE(doc.deferred_error().empty());
}

TEST(Json, LooksUpByKeyIndexAndPath) {
  json::Document doc;
  std::string text =
      R"({"spec":{"containers":[{"name":"a"},{"name":"b","securityContext":{"privileged":true}}]},
          "a/b":{"c~d":7},"n":null,"i":-9223372036854775808,"u":18446744073709551615,"f":1.5})";
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr) << doc.error();
  EXPECT_EQ(*v->GetString("spec/containers/1/name"), "b");
  EXPECT_EQ(*v->GetString("/spec/containers/0/name"), "a");
  EXPECT_EQ(v->GetBool("spec/containers/1/securityContext/privileged"), true);
  EXPECT_EQ(v->Get("spec/containers/2"), nullptr);
  EXPECT_EQ(v->Get("spec/containers/x"), nullptr);
  EXPECT_EQ(v->Get("spec/missing/deeper"), nullptr);
  EXPECT_EQ(v->Get(""), v);
  EXPECT_EQ(v->GetInt64("a~1b/c~0d"), 7);
  EXPECT_TRUE(v->Get("n")->IsNull());
  EXPECT_EQ(v->GetBool("n"), std::nullopt);
  EXPECT_EQ(v->GetInt64("i"), INT64_MIN);
  EXPECT_EQ(v->Find("u")->AsInt64(), std::nullopt);
  EXPECT_EQ(v->Find("u")->AsUint64(), UINT64_MAX);
  EXPECT_EQ(v->Find("f")->AsInt64(), std::nullopt);
  EXPECT_EQ(v->Find("f")->AsDouble(), 1.5);
  EXPECT_EQ(v->Find("f")->NumberText(), "1.5");
  EXPECT_EQ(v->GetObject("spec")->size(), 1u);
  EXPECT_EQ(v->GetArray("spec"), nullptr);
  EXPECT_EQ(v->GetArray("spec/containers")->size(), 2u);
  std::vector<std::string> keys;
  for (const json::Value& m : *v) keys.emplace_back(m.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"spec", "a/b", "n", "i", "u", "f"}));
}

TEST(Json, EditsKeepOrderAndPosition) {
  json::Document doc;
  std::string text = R"({"a":1,"b":{"x":true},"c":[1]})";
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr);
  EXPECT_NE(doc.Set(*v, "b", doc.String("new")), nullptr);     // replaced in place
  EXPECT_NE(doc.Set(*v, "d", doc.Int(-5)), nullptr);           // appended
  EXPECT_NE(doc.Insert(*v, 0, "first", doc.Null()), nullptr);  // prepended
  EXPECT_NE(doc.Insert(*v, 2, "mid", doc.Bool(false)), nullptr);
  EXPECT_TRUE(doc.Erase(*v, "c"));
  EXPECT_FALSE(doc.Erase(*v, "c"));
  EXPECT_EQ(json::Serialize(*v), R"({"first":null,"a":1,"mid":false,"b":"new","d":-5})");
  EXPECT_EQ(v->size(), 5u);

  json::Value* arr = doc.Array();
  doc.PushBack(*arr, doc.Uint(18446744073709551615ull));
  doc.PushBack(*arr, doc.String("q\"\n"));
  doc.PushBack(*arr, doc.Number("1.0e2"));
  EXPECT_TRUE(doc.EraseAt(*arr, 0));
  EXPECT_FALSE(doc.EraseAt(*arr, 5));
  EXPECT_EQ(json::Serialize(*arr), R"(["q\"\n",1.0e2])");
  EXPECT_EQ(doc.PushBack(*arr, v->Find("a")), nullptr) << "placed values cannot be placed twice";
  EXPECT_EQ(doc.Set(*arr, "k", doc.Null()), nullptr) << "not an object";

  json::Value* sc = doc.GetOrAddObject(*v, "securityContext");
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(doc.GetOrAddObject(*v, "securityContext"), sc);
  EXPECT_EQ(doc.GetOrAddObject(*v, "a"), nullptr) << "never overwrites data";
  EXPECT_NE(doc.GetOrAddObject(*v, "first"), nullptr) << "null counts as absent";
  doc.Set(*sc, "k\"ey", doc.Bool(true));
  EXPECT_EQ(json::Serialize(*v),
            R"({"first":{},"a":1,"mid":false,"b":"new","d":-5,"securityContext":{"k\"ey":true}})");
  v->Find("mid")->SetBool(true);
  v->Find("a")->SetNull();
  EXPECT_EQ(json::Serialize(*v->Find("mid")), "true");
  EXPECT_TRUE(v->Find("a")->IsNull());
}

TEST(Json, CloneAndEqual) {
  json::Document doc;
  std::string text = R"({"a":[1,{"b":"c\n"}],"n":1.0,"i":5})";
  json::Value* v = doc.Parse(text);
  ASSERT_NE(v, nullptr);
  json::Value* copy = doc.Clone(*v);
  EXPECT_TRUE(json::Equal(*v, *copy));
  EXPECT_EQ(json::Serialize(*copy), json::Serialize(*v));
  doc.Set(*copy, "i", doc.Number("5"));
  EXPECT_TRUE(json::Equal(*v, *copy));
  doc.Set(*copy, "n", doc.Number("1"));
  EXPECT_FALSE(json::Equal(*v, *copy)) << "1 and 1.0 differ, as in serde_json";
  json::Document other;
  std::string reordered = R"({"i":5,"n":1.0,"a":[1,{"b":"c\n"}]})";
  EXPECT_TRUE(json::Equal(*v, *other.Parse(reordered)));
}

TEST(Json, WriterBuildsCompactJson) {
  std::string out;
  json::Writer w(out);
  w.BeginObject().Key("a").Int(-1).Key("b\"").BeginArray().String("x\ty").Null().Bool(true);
  w.BeginObject().EndObject().EndArray().Key("c").Uint(7).Key("d").Raw("[1]").EndObject();
  EXPECT_EQ(out, R"({"a":-1,"b\"":["x\ty",null,true,{}],"c":7,"d":[1]})");
}

// ================================================================================================
// serde.h, format.h
// ================================================================================================

std::string Unexpected(std::string text) {
  json::Document doc;
  return serde::Unexpected(*doc.Parse(text));
}

TEST(Serde, DescribesValuesLikeSerde) {
  EXPECT_EQ(Unexpected("null"), "null");
  EXPECT_EQ(Unexpected("true"), "boolean `true`");
  EXPECT_EQ(Unexpected("7"), "integer `7`");
  EXPECT_EQ(Unexpected("-7"), "integer `-7`");
  EXPECT_EQ(Unexpected("1.5"), "floating point `1.5`");
  EXPECT_EQ(Unexpected("1.5E0"), "floating point `1.5`");
  EXPECT_EQ(Unexpected("1e2"), "floating point `100.0`");
  EXPECT_EQ(Unexpected("-2.50e-3"), "floating point `-0.0025`");
  EXPECT_EQ(Unexpected("12345678901234567890123"), "floating point `12345678901234567890123.0`");
  EXPECT_EQ(Unexpected(R"("a\"b")"), R"(string "a\"b")");
  EXPECT_EQ(Unexpected("[]"), "sequence");
  EXPECT_EQ(Unexpected("{}"), "map");
  EXPECT_EQ(serde::MissingField("min"), "missing field `min`");
  EXPECT_EQ(serde::UnknownVariant("X", {"A"}), "unknown variant `X`, expected `A`");
  EXPECT_EQ(serde::UnknownVariant("X", {"A", "B"}), "unknown variant `X`, expected `A` or `B`");
  EXPECT_EQ(serde::UnknownVariant("X", {"A", "B", "C"}),
            "unknown variant `X`, expected one of `A`, `B`, `C`");
  EXPECT_EQ(serde::UnknownField("x", {}), "unknown field `x`, there are no fields");
}

TEST(Serde, DecodesIntegersByRustType) {
  json::Document doc;
  std::string e;
  EXPECT_EQ(serde::DecodeInteger<std::int32_t>(*doc.Parse("-5"), &e), -5);
  EXPECT_EQ(serde::DecodeInteger<std::uint32_t>(*doc.Parse("-5"), &e), std::nullopt);
  EXPECT_EQ(e, "invalid value: integer `-5`, expected u32");
  EXPECT_EQ(serde::DecodeInteger<std::int32_t>(*doc.Parse("3000000000"), &e), std::nullopt);
  EXPECT_EQ(e, "invalid value: integer `3000000000`, expected i32");
  EXPECT_EQ(serde::DecodeInteger<std::int64_t>(*doc.Parse("1.0"), &e), std::nullopt);
  EXPECT_EQ(e, "invalid type: floating point `1.0`, expected i64");
  EXPECT_EQ(serde::DecodeInteger<std::uint16_t>(*doc.Parse("\"1\""), &e), std::nullopt);
  EXPECT_EQ(e, "invalid type: string \"1\", expected u16");
  EXPECT_EQ(serde::DecodeInteger<std::uint64_t>(*doc.Parse("18446744073709551615"), &e),
            UINT64_MAX);
}

TEST(Format, RustAndGoForms) {
  EXPECT_EQ(RustDebug("a\"b\\c\n\t\r\x01\x7f"), R"("a\"b\\c\n\t\r\u{1}\u{7f}")");
  EXPECT_EQ(RustDebug("caf\xC3\xA9 \xC2\x85"), "\"caf\xC3\xA9 \\u{85}\"");
  std::vector<std::string> v = {"b", "a", "b"};
  EXPECT_EQ(RustList(v), R"(["b", "a", "b"])");
  SortUnique(v);
  EXPECT_EQ(RustSet(v), R"({"a", "b"})");
  EXPECT_EQ(GoSet(v), "Set{a, b}");
  EXPECT_EQ(RustList(std::vector<std::string>{}), "[]");
}

// ================================================================================================
// settings.h
// ================================================================================================

struct Decoded {
  json::Document doc;
  json::Value* value;
  explicit Decoded(std::string_view text) : value(doc.Parse(text)) {}
};

TEST(Settings, DefaultsOptionalsAndRequired) {
  Decoded d(R"({"b":true,"s":"x","i":-3,"list":["a","b"],"nul":null,"e":"B"})");
  SettingsReader r(*d.value);
  EXPECT_TRUE(r.Bool("b", false));
  EXPECT_TRUE(r.Bool("absent", true));
  EXPECT_EQ(r.String("s", "d"), "x");
  EXPECT_EQ(r.Integer<std::int32_t>("i", 0), -3);
  EXPECT_EQ(r.StringList("list"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(r.StringList("absent").empty());
  EXPECT_EQ(r.OptionalBool("nul"), std::nullopt);
  EXPECT_EQ(r.OptionalString("absent"), std::nullopt);
  EXPECT_EQ(r.Enum("e", {"A", "B"}), 1u);
  EXPECT_EQ(r.Enum("absent", {"A", "B"}, 0), 0u);
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.RequiredString("missing"), "");
  EXPECT_EQ(r.error(), "missing field `missing`");
}

TEST(Settings, TypeErrorsUseSerdeWordingAndNullIsNotADefault) {
  struct {
    const char* text;
    const char* error;
  } cases[] = {
      {R"({"skip":"yes"})", R"(invalid type: string "yes", expected a boolean)"},
      {R"({"skip":null})", "invalid type: null, expected a boolean"},
      {R"({"skip":1})", "invalid type: integer `1`, expected a boolean"},
      {R"({"list":"a"})", R"(invalid type: string "a", expected a sequence)"},
      {R"({"list":["a",2]})", "invalid type: integer `2`, expected a string"},
      {R"({"port":70000})", "invalid value: integer `70000`, expected u16"},
      {R"({"rule":"Nope"})", "unknown variant `Nope`, expected one of `A`, `B`, `C`"},
      {R"({"rule":1})", "invalid type: integer `1`, expected string or map"},
  };
  for (const auto& c : cases) {
    Decoded d(c.text);
    SettingsReader r(*d.value);
    r.Bool("skip", false);
    r.StringList("list");
    r.Integer<std::uint16_t>("port", 0);
    r.Enum("rule", {"A", "B", "C"}, 0);
    EXPECT_EQ(r.error(), c.error) << c.text;
  }
  Decoded array("[1]");
  SettingsReader r(*array.value);
  EXPECT_EQ(r.error(), "invalid type: sequence, expected struct Settings");
}

TEST(Settings, FirstErrorInInputOrderWinsAndMissingFieldsComeLast) {
  Decoded d(R"({"b":"late","a":"early"})");
  SettingsReader r(*d.value);
  r.Bool("a", false);  // read first, but "a" comes second in the input
  r.Bool("b", false);
  r.RequiredBool("c");
  EXPECT_EQ(r.error(), R"(invalid type: string "late", expected a boolean)");

  Decoded nested(R"({"ranges":[{"min":1,"max":2},{"max":3}],"flag":"x"})");
  SettingsReader n(*nested.value);
  for (SettingsReader& range : n.StructList("ranges", "PortRange")) {
    range.RequiredInteger<std::int32_t>("min");
    range.RequiredInteger<std::int32_t>("max");
  }
  n.Bool("flag", false);
  EXPECT_EQ(n.error(), "missing field `min`") << "inside ranges[1], before `flag`";

  Decoded bad_element(R"({"ranges":[7]})");
  SettingsReader b(*bad_element.value);
  EXPECT_TRUE(b.StructList("ranges", "PortRange").empty());
  EXPECT_EQ(b.error(), "invalid type: integer `7`, expected struct PortRange");

  Decoded unknown(R"({"a":1,"zz":2})");
  SettingsReader u(*unknown.value);
  u.DenyUnknownFields({"a", "b"});
  EXPECT_EQ(u.error(), "unknown field `zz`, expected `a` or `b`");
}

TEST(Settings, NestedStructsAndCustomErrors) {
  Decoded d(R"({"run_as_user":{"rule":"MustRunAs","ranges":[]},"x":5})");
  SettingsReader r(*d.value);
  auto user = r.Struct("run_as_user", "RuleStrategy");
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->Enum("rule", {"MustRunAs", "RunAsAny"}), 0u);
  EXPECT_FALSE(r.Struct("absent", "X").has_value());
  r.Fail("x", "custom problem");
  EXPECT_EQ(r.error(), "custom problem");
  r.Fail("run_as_user", "earlier problem");
  EXPECT_EQ(r.error(), "earlier problem");
}

// ================================================================================================
// request.h, response.h, k8s.h
// ================================================================================================

std::string Payload(std::string_view kind, std::string_view object,
                    std::string_view settings = "{}") {
  return std::string(R"({"request":{"uid":"u1","kind":{"group":"g","version":"v1","kind":")") +
         std::string(kind) +
         R"("},"resource":{"group":"g","version":"v1","resource":"r"},"name":"n","namespace":"ns",)"
         R"("operation":"CREATE","userInfo":{"groups":["a","b"],"username":"alice"},"object":)" +
         std::string(object) + R"(,"oldObject":null,"dryRun":true},"settings":)" +
         std::string(settings) + "}";
}

TEST(Request, TypedAccessors) {
  std::string payload = Payload("Pod", R"({"spec":{}})", R"({"k":1})");
  ValidationRequest r;
  ASSERT_TRUE(r.Parse(payload)) << r.error();
  EXPECT_EQ(r.uid(), "u1");
  EXPECT_EQ(r.kind().kind, "Pod");
  EXPECT_EQ(r.kind().group, "g");
  EXPECT_EQ(r.resource().resource, "r");
  EXPECT_EQ(r.name(), "n");
  EXPECT_EQ(r.namespace_name(), "ns");
  EXPECT_EQ(r.operation(), "CREATE");
  EXPECT_EQ(r.user_info().username, "alice");
  EXPECT_EQ(r.user_info().groups->size(), 2u);
  EXPECT_EQ(r.old_object(), nullptr);
  EXPECT_NE(r.object(), nullptr);
  EXPECT_EQ(r.dry_run(), true);
  EXPECT_EQ(r.settings().GetInt64("k"), 1);
  EXPECT_EQ(r.request_kind().kind, "");

  ValidationRequest bad;
  EXPECT_FALSE(bad.Parse("[1"));
  EXPECT_EQ(bad.error(),
            "Error deserializing validation request: EOF while parsing a list at line 1 column 2");
  ValidationRequest empty;
  ASSERT_TRUE(empty.Parse("{}"));
  EXPECT_TRUE(empty.settings().IsObject());
  EXPECT_EQ(empty.object(), nullptr);
}

TEST(Response, SerializesTheValidationResponse) {
  EXPECT_EQ(Accept().ToJson(), R"({"accepted":true})");
  EXPECT_EQ(Reject("no \"way\"").ToJson(), R"({"accepted":false,"message":"no \"way\""})");
  EXPECT_EQ(Reject("no", 403).ToJson(), R"({"accepted":false,"message":"no","code":403})");
  json::Document doc;
  std::string text = R"({"a":1})";
  EXPECT_EQ(Mutate(*doc.Parse(text)).AddWarning("w1").AddWarning("w2").ToJson(),
            R"({"accepted":true,"mutated_object":{"a":1},"warnings":["w1","w2"]})");
  EXPECT_EQ(Accept().AddAuditAnnotation("k", "v").AddAuditAnnotation("k2", "v2").ToJson(),
            R"({"accepted":true,"audit_annotations":{"k":"v","k2":"v2"}})");
  ValidationResponse e = EvaluationError("boom");
  EXPECT_TRUE(e.is_evaluation_error());
  EXPECT_EQ(e.ToJson(), "boom");
  EXPECT_EQ(SettingsValid().ToJson(), R"({"valid":true})");
  EXPECT_EQ(SettingsInvalid("bad").ToJson(), R"({"valid":false,"message":"bad"})");
}

std::string PodSpec(const char* extra = "") {
  return std::string(R"({"containers":[{"name":"c","image":"nginx"}])") + extra + "}";
}

// Wraps `pod_spec` in `kind`'s shape.
std::string Workload(std::string_view kind, const std::string& pod_spec) {
  std::string tmpl = R"({"metadata":{"labels":{"a":"b"}},"spec":)" + pod_spec + "}";
  if (kind == "Pod")
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{},"spec":)" + pod_spec + "}";
  if (kind == "CronJob") {
    return R"({"apiVersion":"batch/v1","kind":"CronJob","spec":{"schedule":"* * * * *",)"
           R"("jobTemplate":{"spec":{"template":)" +
           tmpl + "}}}}";
  }
  if (kind == "ReplicationController") {
    return R"({"spec":{"replicas":2,"selector":{"a":"b"},"template":)" + tmpl + "}}";
  }
  return R"({"spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}},"template":)" + tmpl + "}}";
}

TEST(K8s, ExtractsThePodSpecOfEveryWorkloadKind) {
  for (const k8s::WorkloadKind& w : k8s::kWorkloadKinds) {
    std::string payload = Payload(w.kind, Workload(w.kind, PodSpec(R"(,"hostPID":true)")));
    ValidationRequest r;
    ASSERT_TRUE(r.Parse(payload)) << r.error();
    auto spec = k8s::ExtractPodSpec(r);
    ASSERT_TRUE(spec) << w.kind << ": " << spec.error();
    ASSERT_NE(*spec, nullptr) << w.kind;
    EXPECT_EQ((*spec)->GetBool("hostPID"), true) << w.kind;
    // The spec is part of the object: edits show up in the serialized object.
    r.document().Set(**spec, "hostPID", r.document().Bool(false));
    EXPECT_NE(json::Serialize(*r.object()).find("\"hostPID\":false"), std::string::npos);
    auto go = k8s::ExtractPodSpecGo(r);
    ASSERT_TRUE(go) << go.error();
    EXPECT_EQ(*go, *spec);
  }
}

TEST(K8s, ExtractionErrorsAndNone) {
  auto extract = [](std::string_view kind, std::string_view object) -> std::string {
    std::string payload = Payload(kind, object);
    ValidationRequest r;
    if (!r.Parse(payload)) return "parse: " + r.error();
    auto spec = k8s::ExtractPodSpec(r);
    if (!spec) return spec.error();
    return *spec ? json::Serialize(**spec) : "none";
  };
  EXPECT_EQ(extract("Service", "{}"), k8s::kUnsupportedKindRust);
  EXPECT_EQ(extract("Pod", "{}"), "none");
  EXPECT_EQ(extract("Pod", R"({"spec":null})"), "none");
  EXPECT_EQ(extract("Deployment", R"({"spec":{"selector":{}}})"), "none");
  EXPECT_EQ(extract("CronJob", R"({"spec":{"jobTemplate":{}}})"), "none");
  EXPECT_EQ(extract("Pod", "null"),
            "error deserializing JSON data: invalid type: null, expected Pod");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":[{"securityContext":{"privileged":"yes"}}]}})"),
            R"(error deserializing JSON data: invalid type: string "yes", expected a boolean)");
  EXPECT_EQ(extract("Pod", R"({"apiVersion":"v2","spec":{}})"),
            R"(error deserializing JSON data: invalid value: string "v2", expected v1)");
  EXPECT_EQ(extract("Deployment", R"({"kind":"Pod"})"),
            R"(error deserializing JSON data: invalid value: string "Pod", expected Deployment)");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":{}}})"),
            "error deserializing JSON data: invalid type: map, expected a sequence");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":null}})"),
            "error deserializing JSON data: invalid type: null, expected a sequence");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":[5]}})"),
            "error deserializing JSON data: invalid type: integer `5`, expected Container");
  EXPECT_EQ(extract("Pod", R"({"spec":{"securityContext":{"runAsUser":1.5}}})"),
            "error deserializing JSON data: invalid type: floating point `1.5`, expected i64");
  EXPECT_EQ(extract("Pod", R"({"spec":{"priority":3000000000}})"),
            "error deserializing JSON data: invalid value: integer `3000000000`, expected i32");
  EXPECT_EQ(extract("Pod", R"({"metadata":{"labels":{"a":1}}})"),
            "error deserializing JSON data: invalid type: integer `1`, expected a string");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":[{"ports":[{"containerPort":80}],)"
                           R"("livenessProbe":{"httpGet":{"port":"http"}},"resources":)"
                           R"({"limits":{"cpu":"1"}}}]}})"),
            R"({"containers":[{"ports":[{"containerPort":80}],"livenessProbe":{"httpGet":)"
            R"({"port":"http"}},"resources":{"limits":{"cpu":"1"}}}]})");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":[{"resources":{"limits":{"cpu":1}}}]}})"),
            "error deserializing JSON data: invalid type: integer `1`, expected a string");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":[{"livenessProbe":{"tcpSocket":)"
                           R"({"port":true}}}]}})"),
            "error deserializing JSON data: invalid type: boolean `true`, expected IntOrString");
  // Unknown members and status are not checked.
  EXPECT_EQ(extract("Pod", R"({"status":5,"spec":{"unknownField":[1],"containers":[]}})"),
            R"({"unknownField":[1],"containers":[]})");
}

TEST(K8s, GoExtractionMessages) {
  auto extract = [](std::string_view kind, std::string_view object) -> std::string {
    std::string payload = Payload(kind, object);
    ValidationRequest r;
    if (!r.Parse(payload)) return "parse: " + r.error();
    auto spec = k8s::ExtractPodSpecGo(r);
    if (!spec) return spec.error();
    return json::Serialize(**spec);
  };
  EXPECT_EQ(extract("Service", "{}"), k8s::kUnsupportedKindGo);
  EXPECT_EQ(extract("Deployment", "{}"), "{}") << "a missing pod spec is an empty one";
  EXPECT_EQ(extract("Pod", R"({"apiVersion":"v2","spec":{"containers":null}})"),
            R"({"containers":null})");
  EXPECT_EQ(extract("Pod", R"({"spec":{"containers":[{"securityContext":{"privileged":"x"}}]}})"),
            "json: cannot unmarshal string into Go struct field "
            "SecurityContext.spec.containers.securityContext.privileged of type bool");
}

TEST(K8s, ContainerLists) {
  json::Document doc;
  std::string text = R"({"containers":[{"name":"a"},{"name":"b"}],"initContainers":[{"name":"i"}],)"
                     R"("ephemeralContainers":"not a list"})";
  json::Value* spec = doc.Parse(text);
  std::vector<std::string> names;
  for (json::Value& c : k8s::Containers(*spec, k8s::ContainerList::kContainers)) {
    names.emplace_back(*c.GetString("name"));
  }
  for (const json::Value& c : k8s::Containers(*spec, k8s::ContainerList::kInitContainers)) {
    names.emplace_back(*c.GetString("name"));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "i"}));
  EXPECT_TRUE(k8s::Containers(*spec, k8s::ContainerList::kEphemeralContainers).empty());
  EXPECT_TRUE(k8s::AnyContainer(*spec, k8s::ContainerList::kContainers,
                                [](const json::Value& c) { return c.GetString("name") == "b"; }));
  EXPECT_EQ(k8s::ContainerListKey(k8s::ContainerList::kEphemeralContainers), "ephemeralContainers");
}

TEST(K8s, ForEachContainerWalksTheListsInOrderWithIndexes) {
  json::Document doc;
  json::Value* spec = doc.Parse(
      R"({"ephemeralContainers":[{"name":"e"}],"initContainers":[{"name":"i0"},{"name":"i1"}],)"
      R"("containers":[{"name":"c"}]})");
  std::vector<std::string> seen;
  EXPECT_TRUE(k8s::ForEachContainer(*spec, [&](json::Value& c, k8s::ContainerList list,
                                               std::size_t index) {
    seen.push_back(std::string(k8s::ContainerListNoun(list)) + " " + std::string(*c.GetString("name")) +
                   " " + k8s::ContainerPointer("/spec", list, index));
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"container c /spec/containers/0",
                                            "init container i0 /spec/initContainers/0",
                                            "init container i1 /spec/initContainers/1",
                                            "ephemeral container e /spec/ephemeralContainers/0"}));

  // A bool-returning visitor stops the walk; `lists` picks the lists and their order.
  const json::Value& const_spec = *spec;
  constexpr k8s::ContainerList kInitThenContainers[] = {k8s::ContainerList::kInitContainers,
                                                        k8s::ContainerList::kContainers};
  std::vector<std::string_view> names;
  EXPECT_FALSE(k8s::ForEachContainer(
      const_spec,
      [&](const json::Value& c, k8s::ContainerList, std::size_t) {
        names.push_back(*c.GetString("name"));
        return c.GetString("name") != "i1";
      },
      kInitThenContainers));
  EXPECT_EQ(names, (std::vector<std::string_view>{"i0", "i1"}));

  EXPECT_EQ(k8s::PodSpecPointer(*k8s::FindWorkloadKind("CronJob")),
            "/spec/jobTemplate/spec/template/spec");
}

// ================================================================================================
// allocator.h
// ================================================================================================

alignas(16) char g_heap[1 << 20];
std::size_t g_heap_used = 0;
void* TestSource(std::size_t bytes) {
  if (sizeof g_heap - g_heap_used < bytes) return nullptr;
  void* p = g_heap + g_heap_used;
  g_heap_used += bytes;
  return p;
}

TEST(Allocator, ReusesBlocksPerSizeClassAndAligns) {
  g_heap_used = 0;
  internal::SizeClassAllocator a(TestSource);
  char* p = static_cast<char*>(a.Allocate(1));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
  EXPECT_EQ(a.UsableSize(p), 16u);
  std::size_t used = g_heap_used;
  a.Free(p);
  EXPECT_EQ(a.Allocate(10), p) << "same class: the freed block comes back";
  EXPECT_EQ(g_heap_used, used);
  char* q = static_cast<char*>(a.Allocate(17));
  EXPECT_NE(q, p);
  EXPECT_EQ(a.UsableSize(q), 48u);
  std::memset(q, 'x', 17);
  char* r = static_cast<char*>(a.Reallocate(q, 40));
  EXPECT_EQ(r, q) << "fits in place";
  char* s = static_cast<char*>(a.Reallocate(r, 100));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(std::string(s, 17), std::string(17, 'x'));
  char* z = static_cast<char*>(a.AllocateZeroed(10, 10));
  EXPECT_EQ(std::string(z, 100), std::string(100, '\0'));
  EXPECT_EQ(a.AllocateZeroed(SIZE_MAX / 2, 4), nullptr) << "overflow";
  for (std::size_t align : {32u, 64u, 4096u}) {
    char* aligned = static_cast<char*>(a.AllocateAligned(align, 50));
    ASSERT_NE(aligned, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % align, 0u);
    EXPECT_GE(a.UsableSize(aligned), 50u);
    std::memset(aligned, 1, 50);
    a.Free(aligned);
  }
  EXPECT_EQ(a.Allocate(2u << 20), nullptr) << "the source is exhausted";
  a.Free(nullptr);
}

// ================================================================================================
// wapc.h, host.h, policy.h
// ================================================================================================

ValidationResponse TestValidate(ValidationRequest& request) {
  if (request.settings().GetBool("fail").value_or(false)) return EvaluationError("asked to fail");
  return Reject(std::string(request.uid()));
}
SettingsValidationResponse TestValidateSettings(const json::Value& settings) {
  return settings.Find("bad") ? SettingsInvalid("bad setting") : SettingsValid();
}

int Call(std::string op, std::string payload) {
  fake::op = std::move(op);
  fake::payload = std::move(payload);
  fake::response.clear();
  fake::error.clear();
  return wapc::HandleGuestCall(static_cast<std::uint32_t>(fake::op.size()),
                               static_cast<std::uint32_t>(fake::payload.size()));
}

ValidationResponse ValidateSpec(ValidationRequest& request) {
  const json::Value* spec = request.object() ? request.object()->Find("spec") : nullptr;
  return spec ? Accept() : Reject("no spec");
}

TEST(Wapc, MalformedPayloadMetOnDemandFailsTheCall) {
  wapc::RegisterFunction("validate", internal::ValidateHandler<ValidateSpec>);
  EXPECT_EQ(Call("validate", Payload("Pod", R"({"spec":{}})")), 1);
  EXPECT_EQ(fake::response, R"({"accepted":true})");
  EXPECT_EQ(Call("validate", Payload("Pod", R"({"spec":{},"x":tru})")), 0);
  EXPECT_EQ(fake::error,
            "Error deserializing validation request: expected ident at line 1 column 252");
}

TEST(Wapc, DispatchesRegisteredOperations) {
  wapc::RegisterFunction("validate", internal::ValidateHandler<TestValidate>);
  wapc::RegisterFunction("validate_settings",
                         internal::ValidateSettingsHandler<TestValidateSettings>);

  EXPECT_EQ(Call("protocol_version", ""), 1);
  EXPECT_EQ(fake::response, "\"v1\"");
  EXPECT_EQ(Call("validate", Payload("Pod", "{}")), 1);
  EXPECT_EQ(fake::response, R"({"accepted":false,"message":"u1"})");
  EXPECT_EQ(Call("validate", Payload("Pod", "{}", R"({"fail":true})")), 0);
  EXPECT_EQ(fake::error, "asked to fail");
  EXPECT_EQ(Call("validate", "nope"), 0);
  EXPECT_EQ(fake::error,
            "Error deserializing validation request: expected ident at line 1 column 1");
  EXPECT_EQ(Call("validate_settings", R"({"bad":1})"), 1);
  EXPECT_EQ(fake::response, R"({"valid":false,"message":"bad setting"})");
  EXPECT_EQ(Call("validate_settings", ""), 1);
  EXPECT_EQ(fake::response, R"({"valid":true})");
  EXPECT_EQ(Call("validate_settings", "{"), 1);
  EXPECT_EQ(fake::response,
            R"({"valid":false,"message":"EOF while parsing an object at line 1 column 1"})");
  EXPECT_EQ(Call("other", ""), 0);
  EXPECT_EQ(fake::error, "No handler registered for function other");
}

struct TestSettings {
  int limit = 0;
};
std::optional<std::string> ReadTestSettings(const json::Value& value, TestSettings& settings) {
  SettingsReader reader(value);
  settings.limit = reader.Integer<int>("limit", 1);
  if (!reader.ok()) return reader.error();
  if (settings.limit > 9) return "limit too high";
  return std::nullopt;
}
ValidationResponse ValidateWithTestSettings(ValidationRequest&, const TestSettings& settings) {
  return Reject("limit " + std::to_string(settings.limit));
}

TEST(Policy, SettingsAreReadOnceForBothEntryPoints) {
  wapc::RegisterFunction(
      "validate",
      internal::ValidateHandler<
          internal::ValidateWithSettings<TestSettings, ReadTestSettings, ValidateWithTestSettings>>);
  wapc::RegisterFunction(
      "validate_settings",
      internal::ValidateSettingsHandler<internal::ValidateSettingsWith<TestSettings, ReadTestSettings>>);
  EXPECT_EQ(Call("validate_settings", R"({"limit":10})"), 1);
  EXPECT_EQ(fake::response, R"({"valid":false,"message":"limit too high"})");
  EXPECT_EQ(Call("validate_settings", R"({"limit":"x"})"), 1);
  EXPECT_EQ(fake::response,
            R"({"valid":false,"message":"invalid type: string \"x\", expected i32"})");
  EXPECT_EQ(Call("validate_settings", R"({"limit":3})"), 1);
  EXPECT_EQ(fake::response, R"({"valid":true})");
  EXPECT_EQ(Call("validate", Payload("Pod", "{}", R"({"limit":3})")), 1);
  EXPECT_EQ(fake::response, R"({"accepted":false,"message":"limit 3"})");
  EXPECT_EQ(Call("validate", Payload("Pod", "{}")), 1);
  EXPECT_EQ(fake::response, R"({"accepted":false,"message":"limit 1"})") << "the default";
  EXPECT_EQ(Call("validate", Payload("Pod", "{}", R"({"limit":10})")), 0)
      << "settings the host did not validate fail the call";
  EXPECT_EQ(fake::error, "limit too high");

  wapc::RegisterFunction(
      "validate",
      internal::ValidateHandler<internal::ValidateWithSettings<
          TestSettings, ReadTestSettings, ValidateWithTestSettings,
          internal::BadSettingsAnswer::kReject400>>);
  EXPECT_EQ(Call("validate", Payload("Pod", "{}", R"({"limit":10})")), 1) << "Go policies reject";
  EXPECT_EQ(fake::response, R"({"accepted":false,"message":"limit too high","code":400})");

  wapc::RegisterFunction("validate_settings",
                         internal::ValidateSettingsHandler<internal::AnySettingsAreValid>);
  EXPECT_EQ(Call("validate_settings", R"({"anything":[1]})"), 1);
  EXPECT_EQ(fake::response, R"({"valid":true})");
}

TEST(Host, CallsAndLogs) {
  fake::host_ok = true;
  fake::host_answer = R"({"digest":"sha256:1"})";
  json::Document doc;
  auto digest = host::ManifestDigest(doc, "busybox:latest");
  ASSERT_TRUE(digest) << digest.error();
  EXPECT_EQ((*digest)->GetString("digest"), "sha256:1");
  EXPECT_EQ(fake::last_host_call, R"(kubewarden|oci|v1/manifest_digest|"busybox:latest")");

  auto got = host::GetResource(doc, "v1", "Namespace", "ns1", "");
  ASSERT_TRUE(got);
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|kubernetes|get_resource|{"api_version":"v1","kind":"Namespace",)"
            R"("name":"ns1","disable_cache":false})");

  fake::host_answer = R"({"trusted":true,"reason":""})";
  auto trusted = host::IsCertificateTrusted(
      doc, {host::Certificate::Encoding::kPem, "AB"},
      {{host::Certificate::Encoding::kDer, std::string_view("\x00\xff", 2)}},
      "2030-01-01T00:00:00Z");
  ASSERT_TRUE(trusted) << trusted.error();
  EXPECT_EQ((*trusted)->GetBool("trusted"), true);
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|crypto|v1/is_certificate_trusted|)"
            R"({"cert":{"encoding":"Pem","data":[65,66]},)"
            R"("cert_chain":[{"encoding":"Der","data":[0,255]}],)"
            R"("not_after":"2030-01-01T00:00:00Z"})");
  ASSERT_TRUE(host::IsCertificateTrusted(doc, {host::Certificate::Encoding::kDer, "x"}));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|crypto|v1/is_certificate_trusted|)"
            R"({"cert":{"encoding":"Der","data":[120]},"cert_chain":null,"not_after":null})");

  fake::host_ok = false;
  fake::host_error_text = "not granted";
  auto failed = HostCapability("net", "v1/dns_lookup_host", "\"x\"");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), "not granted");

  Log(LogLevel::kWarning, "hello \"you\"", {{"policy", "p"}});
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|tracing|log|{"level":"warning","message":"hello \"you\"","policy":"p"})");
  wapc::ConsoleLog("plain");
  EXPECT_EQ(fake::log, "plain");
}

TEST(Wildcard, MatchesTheWholeStringWithStarsAndQuestionMarks) {
  EXPECT_TRUE(WildcardMatch("ghcr.io/*", "ghcr.io/a/b:1"));
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("app:?.?", "app:1.0"));
  EXPECT_TRUE(WildcardMatch("a?c", "a\xC3\xA9" "c"));  // `?` is one character, not one byte
  EXPECT_FALSE(WildcardMatch("app:?.?", "app:1.10"));
  EXPECT_FALSE(WildcardMatch("ghcr.io/*", "GHCR.io/a"));
  EXPECT_FALSE(WildcardMatch("ghcr.io", "ghcr.io/a"));
  EXPECT_TRUE(PatternOrLiteralMatches("nginx", "nginx"));
  EXPECT_FALSE(PatternOrLiteralMatches("nginx", "nginx:1"));
  EXPECT_TRUE(PatternOrLiteralMatches("nginx*", "nginx:1"));
  // Many stars cost no exponential backtracking (this would not finish otherwise).
  EXPECT_FALSE(WildcardMatch(std::string(2000, '*') + "b", std::string(5000, 'a')));
}

TEST(Host, KubernetesPayloadsCarryFieldMasksAndSelectorsOnlyWhenGiven) {
  fake::host_ok = true;
  fake::host_answer = R"({"items":[]})";
  json::Document doc;
  const std::string_view masks[] = {"spec.containers.image", "status"};
  ASSERT_TRUE(host::GetResource(doc, "v1", "Pod", "web", "team-a", true, masks));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|kubernetes|get_resource|{"api_version":"v1","kind":"Pod","name":"web",)"
            R"("namespace":"team-a","disable_cache":true,)"
            R"("field_masks":["spec.containers.image","status"]})");
  ASSERT_TRUE(host::ListResourcesByNamespace(doc, "v1", "Pod", "team-a", "app=web", "", masks));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|kubernetes|list_resources_by_namespace|{"api_version":"v1",)"
            R"("kind":"Pod","namespace":"team-a","label_selector":"app=web",)"
            R"("field_masks":["spec.containers.image","status"]})");
  ASSERT_TRUE(host::ListResourcesAll(doc, "apps/v1", "Deployment", "", "metadata.name=x"));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|kubernetes|list_resources_all|{"api_version":"apps/v1",)"
            R"("kind":"Deployment","field_selector":"metadata.name=x"})");
}

TEST(Host, CanIWritesEveryFieldOfTheReviewAndReadsTheStatus) {
  fake::host_ok = true;
  fake::host_answer = R"({"allowed":false,"denied":true,"reason":"no","evaluationError":"e"})";
  host::SubjectAccessReview review;
  review.user = "system:serviceaccount:team-a:admin";
  review.resource_attributes.resource = "secrets";
  review.resource_attributes.verb = "get";
  review.resource_attributes.group = "";
  review.resource_attributes.namespace_name = "team-a";
  auto status = host::CanI(review);
  ASSERT_TRUE(status) << status.error();
  EXPECT_FALSE(status->allowed);
  EXPECT_EQ(status->denied, true);
  EXPECT_EQ(status->reason, "no");
  EXPECT_EQ(status->evaluation_error, "e");
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|kubernetes|can_i|{"subject_access_review":{"groups":null,)"
            R"("resource_attributes":{"group":"","name":null,"namespace":"team-a",)"
            R"("resource":"secrets","subresource":null,"verb":"get","version":null},)"
            R"("user":"system:serviceaccount:team-a:admin"},"disable_cache":false})");

  review.groups = std::vector<std::string_view>{"dev", "ops"};
  review.resource_attributes = {"pods", "create", "apps", "web", std::nullopt, "log", "v1"};
  fake::host_answer = R"({"allowed":true})";
  status = host::CanI(review, true);
  ASSERT_TRUE(status) << status.error();
  EXPECT_TRUE(status->allowed);
  EXPECT_EQ(status->denied, std::nullopt);
  EXPECT_EQ(status->reason, std::nullopt);
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|kubernetes|can_i|{"subject_access_review":{"groups":["dev","ops"],)"
            R"("resource_attributes":{"group":"apps","name":"web","namespace":null,)"
            R"("resource":"pods","subresource":"log","verb":"create","version":"v1"},)"
            R"("user":"system:serviceaccount:team-a:admin"},"disable_cache":true})");

  fake::host_answer = R"({"reason":"no allowed"})";
  status = host::CanI(review);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "invalid host response: missing boolean `allowed`");
  fake::host_ok = false;
  fake::host_error_text = "Policy has not been granted access";
  status = host::CanI(review);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "Policy has not been granted access");
}

TEST(Host, OciManifestsTakeTheImageAsAJsonString) {
  fake::host_ok = true;
  fake::host_answer = R"({"schemaVersion":2,"manifests":[]})";
  json::Document doc;
  auto index = host::OciManifest(doc, "ghcr.io/a/b:1");
  ASSERT_TRUE(index) << index.error();
  EXPECT_NE((*index)->Find("manifests"), nullptr);
  EXPECT_EQ(fake::last_host_call, R"(kubewarden|oci|v1/oci_manifest|"ghcr.io/a/b:1")");
  fake::host_answer = R"({"manifest":{},"digest":"sha256:2","config":{}})";
  auto config = host::OciManifestConfig(doc, "busybox");
  ASSERT_TRUE(config) << config.error();
  EXPECT_EQ((*config)->GetString("digest"), "sha256:2");
  EXPECT_EQ(fake::last_host_call, R"(kubewarden|oci|v1/oci_manifest_config|"busybox")");
}

TEST(Host, VerifyV2WritesTheFiveShapesTaggedOnType) {
  fake::host_ok = true;
  fake::host_answer = R"({"is_trusted":true,"digest":"sha256:abc"})";
  host::PubKeyVerify pub{"ghcr.io/a/b:1", {"-----BEGIN PUBLIC KEY-----\nx\n"}, std::nullopt};
  auto result = host::Verify(pub);
  ASSERT_TRUE(result) << result.error();
  EXPECT_TRUE(result->is_trusted);
  EXPECT_EQ(result->digest, "sha256:abc");
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v2/verify|{"type":"SigstorePubKeyVerify","image":"ghcr.io/a/b:1",)"
            R"("pub_keys":["-----BEGIN PUBLIC KEY-----\nx\n"],"annotations":null})");

  host::Annotations env = std::vector<std::pair<std::string_view, std::string_view>>{
      {"env", "prod"}, {"team", "a"}};
  ASSERT_TRUE(host::Verify(host::KeylessVerify{"img", {{"https://iss", "me@x"}}, env}));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v2/verify|{"type":"SigstoreKeylessVerify","image":"img",)"
            R"("keyless":[{"issuer":"https://iss","subject":"me@x"}],)"
            R"("annotations":{"env":"prod","team":"a"}})");

  ASSERT_TRUE(host::Verify(host::KeylessPrefixVerify{"img", {{"https://iss", "https://g/"}}, {}}));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v2/verify|{"type":"SigstoreKeylessPrefixVerify","image":"img",)"
            R"("keyless_prefix":[{"issuer":"https://iss","url_prefix":"https://g/"}],)"
            R"("annotations":null})");

  ASSERT_TRUE(host::Verify(host::GithubActionsVerify{"img", "kubewarden", std::nullopt, {}}));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v2/verify|{"type":"SigstoreGithubActionsVerify","image":"img",)"
            R"("owner":"kubewarden","repo":null,"annotations":null})");
  ASSERT_TRUE(host::Verify(host::GithubActionsVerify{"img", "kubewarden", "policies", {}}));
  EXPECT_NE(fake::last_host_call.find(R"("repo":"policies")"), std::string::npos);

  host::CertificateVerify cert{"img", "AB", std::nullopt, true, {}};
  ASSERT_TRUE(host::Verify(cert));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v2/verify|{"type":"SigstoreCertificateVerify","image":"img",)"
            R"("certificate":[65,66],"certificate_chain":null,"require_rekor_bundle":true,)"
            R"("annotations":null})");
  cert.certificate_chain = std::vector<std::string_view>{"C", std::string_view("\xff", 1)};
  cert.require_rekor_bundle = false;
  ASSERT_TRUE(host::Verify(cert));
  EXPECT_NE(fake::last_host_call.find(
                R"("certificate_chain":[[67],[255]],"require_rekor_bundle":false)"),
            std::string::npos)
      << fake::last_host_call;
}

TEST(Host, VerifyV1IsExternallyTagged) {
  fake::host_ok = true;
  fake::host_answer = R"({"is_trusted":false,"digest":"sha256:d"})";
  auto result = host::VerifyV1(host::PubKeyVerify{"img", {"k"}, {}});
  ASSERT_TRUE(result) << result.error();
  EXPECT_FALSE(result->is_trusted);
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v1/verify|{"SigstorePubKeyVerify":{"image":"img",)"
            R"("pub_keys":["k"],"annotations":null}})");
  ASSERT_TRUE(host::VerifyV1(host::KeylessVerify{"img", {{"i", "s"}}, {}}));
  EXPECT_EQ(fake::last_host_call,
            R"(kubewarden|oci|v1/verify|{"SigstoreKeylessVerify":{"image":"img",)"
            R"("keyless":[{"issuer":"i","subject":"s"}],"annotations":null}})");
}

TEST(Host, VerifyReportsHostErrorsAndMalformedAnswers) {
  fake::host_ok = false;
  fake::host_error_text = "Image verification failed: missing signatures";
  auto failed = host::Verify(host::GithubActionsVerify{"img", "o", std::nullopt, {}});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), "Image verification failed: missing signatures");

  fake::host_ok = true;
  for (const char* answer : {R"({"is_trusted":true})", R"([1])", R"("x")",
                             R"({"is_trusted":"yes","digest":"sha256:1"})"}) {
    fake::host_answer = answer;
    auto bad = host::Verify(host::GithubActionsVerify{"img", "o", std::nullopt, {}});
    ASSERT_FALSE(bad) << answer;
    EXPECT_EQ(bad.error(),
              R"(invalid host response: expected {"is_trusted": bool, "digest": string})");
  }
  fake::host_answer = "{";
  auto unparsable = host::Verify(host::GithubActionsVerify{"img", "o", std::nullopt, {}});
  ASSERT_FALSE(unparsable);
  EXPECT_TRUE(unparsable.error().starts_with("invalid host response: ")) << unparsable.error();
}

}  // namespace
}  // namespace kubewarden
