#include "admission/json_patch.h"
#include "testing/json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace kw::admission {
namespace {

using testing::J;

json::array Ops(std::string_view text) { return J(text).as_array(); }

// Diff over the two values' serializations, its patch parsed back.
json::array DiffOf(const json::value& from, const json::value& to) {
  auto patch = Diff(json::serialize(from), json::serialize(to));
  EXPECT_TRUE(patch.has_value()) << patch.error().message;
  return patch ? J(*patch).as_array() : json::array();
}

// Asserts that DiffOf(from, to) applied to `from` yields exactly `to`.
void ExpectRoundTrip(const json::value& from, const json::value& to) {
  const json::array patch = DiffOf(from, to);
  auto applied = ApplyPatch(from, patch);
  ASSERT_TRUE(applied.has_value())
      << applied.error().message << "\npatch: " << json::serialize(patch);
  EXPECT_EQ(*applied, to) << "from: " << json::serialize(from) << "\nto: " << json::serialize(to)
                          << "\npatch: " << json::serialize(patch);
  if (from == to) {
    EXPECT_TRUE(patch.empty()) << json::serialize(patch);
  }
}

TEST(DiffTest, EqualDocumentsGiveAnEmptyPatch) {
  for (const char* doc : {"null", "1", "\"a\"", "[]", "{}", R"({"a":[1,{"b":null}],"c":"d"})"}) {
    EXPECT_TRUE(DiffOf(J(doc), J(doc)).empty()) << doc;
  }
}

TEST(DiffTest, ObjectKeyOrderDoesNotMatter) {
  EXPECT_TRUE(DiffOf(J(R"({"a":1,"b":2})"), J(R"({"b":2,"a":1})")).empty());
}

TEST(DiffTest, AddRemoveReplaceMembers) {
  EXPECT_EQ(json::value(DiffOf(J(R"({"a":1,"b":2})"), J(R"({"a":3,"c":4})"))),
            J(R"([{"op":"replace","path":"/a","value":3},{"op":"remove","path":"/b"},
                  {"op":"add","path":"/c","value":4}])"));
}

TEST(DiffTest, ReplacesTheRootWhenKindsDiffer) {
  EXPECT_EQ(json::value(DiffOf(J("{}"), J("[]"))), J(R"([{"op":"replace","path":"","value":[]}])"));
  EXPECT_EQ(json::value(DiffOf(J("1"), J("2"))), J(R"([{"op":"replace","path":"","value":2}])"));
}

TEST(DiffTest, DistinguishesIntegersFromFloatsLikeSerde) {
  EXPECT_EQ(DiffOf(J("1"), J("1.0")).size(), 1u);
  // Boost stores large positives as uint64 and small ones as int64; both are the same number.
  json::value a = std::int64_t{5};
  json::value b = std::uint64_t{5};
  EXPECT_TRUE(DiffOf(a, b).empty());
}

TEST(DiffTest, KeepsTheTypeOfFloatsInValues) {
  EXPECT_EQ(json::value(DiffOf(J("{}"), J(R"({"a":1.0,"b":2.5e300,"c":-0.0,"d":7})"))),
            J(R"([{"op":"add","path":"/a","value":1.0},{"op":"add","path":"/b","value":2.5e300},
                  {"op":"add","path":"/c","value":-0.0},{"op":"add","path":"/d","value":7}])"));
  auto patch = Diff("{}", R"({"a":1.0})");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(*patch, R"([{"op":"add","path":"/a","value":1.0}])");
}

TEST(DiffTest, EscapesStringsInPathsAndValues) {
  auto patch = Diff(R"({"q\"k":1})", R"({"q\"k":"line\nbreak \u0001 \u00e9"})");
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(*patch, R"([{"op":"replace","path":"/q\"k","value":"line\nbreak \u0001 é"}])");
}

TEST(DiffTest, RejectsTextsThatAreNotJson) {
  for (auto [from, to] : {std::pair{"{", "{}"}, std::pair{"{}", "[1,]"}, std::pair{"1", ""}}) {
    auto patch = Diff(from, to);
    ASSERT_FALSE(patch.has_value()) << from << " -> " << to;
    EXPECT_TRUE(patch.error().message.starts_with("invalid JSON: ")) << patch.error().message;
  }
}

// Objects past the linear-lookup limit of the diff, whose members are found through an index:
// `to` drops the multiples of 3, lists the others backwards and adds "extra".
std::pair<json::object, json::object> WideObjects() {
  json::object from, to;
  for (int i = 0; i < 1000; ++i) {
    from["k" + std::to_string(i)] = i;
    if (i % 3 != 0) to["k" + std::to_string(999 - i)] = 999 - i;
  }
  to["extra"] = true;
  return {from, to};
}

TEST(DiffTest, WideObjectsAreDiffedByKey) {
  const auto [from, to] = WideObjects();
  ExpectRoundTrip(from, to);
  const json::array patch = DiffOf(from, to);
  EXPECT_EQ(patch.size(), 334u + 1u);  // the removed multiples of 3, and "extra"
}

TEST(DiffTest, EscapesPointerTokens) {
  const json::array ops = DiffOf(J(R"({"a/b":1,"m~n":2})"), J(R"({"a/b":3,"m~n":4,"~/":5})"));
  std::vector<std::string> paths;
  for (const auto& op : ops) paths.emplace_back(op.at("path").as_string());
  EXPECT_EQ(paths, (std::vector<std::string>{"/a~1b", "/m~0n", "/~0~1"}));
}

TEST(DiffTest, GrowingArraysAppendInOrder) {
  EXPECT_EQ(json::value(DiffOf(J("[1]"), J("[1,2,3]"))),
            J(R"([{"op":"add","path":"/1","value":2},{"op":"add","path":"/2","value":3}])"));
}

TEST(DiffTest, ShrinkingArraysRemoveFromTheEnd) {
  EXPECT_EQ(json::value(DiffOf(J("[1,2,3,4]"), J("[1,5]"))),
            J(R"([{"op":"replace","path":"/1","value":5},{"op":"remove","path":"/3"},
                  {"op":"remove","path":"/2"}])"));
}

TEST(DiffTest, RecursesIntoNestedStructures) {
  EXPECT_EQ(json::value(DiffOf(J(R"({"spec":{"containers":[{"name":"a","image":"x"}]}})"),
                             J(R"({"spec":{"containers":[{"name":"a","image":"y"}]}})"))),
            J(R"([{"op":"replace","path":"/spec/containers/0/image","value":"y"}])"));
}

// Pairs that exercise every branch of the diff.
constexpr std::pair<const char*, const char*> kHandPickedPairs[] = {
    {"null", "{}"},
    {"{}", R"({"a":{"b":{"c":[1,2,{"d":null}]}}})"},
    {R"({"a":{"b":{"c":[1,2,{"d":null}]}}})", "{}"},
    {"[]", "[1,[2,[3,[4]]]]"},
    {"[1,[2,[3,[4]]]]", "[]"},
    {"[1,2,3]", "[3,2,1]"},
    {"[1,2,3]", "[0,1,2,3]"},
    {"[0,1,2,3]", "[1,2,3]"},
    {"[[1,2],[3]]", "[[1],[3,4,5]]"},
    {R"({"a":[{"x":1},{"y":2}]})", R"({"a":[{"y":2}]})"},
    {R"({"a/b":{"~":1},"~1":"x"})", R"({"a/b":{"~":2,"/":3},"~0":"x"})"},
    {R"({"":1})", R"({"":2,"/":{"":[]}})"},
    {R"({"k":"v"})", R"({"k":["v"]})"},
    {R"({"k":null})", R"({"k":false})"},
    {R"({"k":1})", R"({"k":1.0})"},
    {R"({"k":-1})", R"({"k":18446744073709551615})"},
    {R"({"metadata":{"labels":{"app":"x"}}})",
     R"({"metadata":{"labels":{"app":"x","kubewarden.io/mutated":"true"},"annotations":{}}})"},
    {"\"\\u00e9\"", "\"\\ud83d\\ude00\""},
};

TEST(DiffTest, RoundTripsHandPickedPairs) {
  for (const auto& [from, to] : kHandPickedPairs) {
    SCOPED_TRACE(std::string(from) + " -> " + to);
    ExpectRoundTrip(J(from), J(to));
    ExpectRoundTrip(J(to), J(from));
  }
}

// Random documents drawn from a small alphabet of keys (including `/`, `~` and the empty key) so
// that pairs share structure and exercise every diff branch.
class RandomJson {
 public:
  explicit RandomJson(unsigned seed) : rng_(seed) {}

  json::value Value(int depth) {
    const int pick = Uniform(0, depth <= 0 ? 5 : 7);
    switch (pick) {
      case 0:
        return nullptr;
      case 1:
        return Uniform(0, 1) == 1;
      case 2:
        return Uniform(-3, 3);
      case 3:
        return Uniform(0, 1) ? 0.5 : 1.0;
      case 4:
      case 5:
        return json::string(kStrings[Uniform(0, kStringCount - 1)]);
      case 6: {
        json::array arr;
        for (int i = Uniform(0, 4); i > 0; --i) arr.push_back(Value(depth - 1));
        return arr;
      }
      default: {
        json::object obj;
        for (int i = Uniform(0, 4); i > 0; --i) {
          obj[kStrings[Uniform(0, kStringCount - 1)]] = Value(depth - 1);
        }
        return obj;
      }
    }
  }

  // A variation of `v`: some subtrees replaced, members added/removed, arrays resized.
  json::value Mutate(const json::value& v, int depth) {
    if (Uniform(0, 9) == 0) return Value(depth);
    if (const json::object* obj = v.if_object()) {
      json::object out;
      for (const auto& kv : *obj) {
        if (Uniform(0, 5) == 0) continue;
        out[kv.key()] = Mutate(kv.value(), depth - 1);
      }
      if (Uniform(0, 2) == 0) out[kStrings[Uniform(0, kStringCount - 1)]] = Value(depth - 1);
      return out;
    }
    if (const json::array* arr = v.if_array()) {
      json::array out;
      for (const auto& item : *arr) {
        if (Uniform(0, 5) == 0) continue;
        out.push_back(Mutate(item, depth - 1));
      }
      for (int i = Uniform(0, 2); i > 0; --i) out.push_back(Value(depth - 1));
      return out;
    }
    return v;
  }

 private:
  static constexpr int kStringCount = 8;
  static constexpr const char* kStrings[kStringCount] = {"a", "b", "a/b", "~", "~1", "", "-", "0"};

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::mt19937 rng_;
};

TEST(DiffTest, RoundTripsRandomDocumentPairs) {
  RandomJson gen(20240601);
  for (int i = 0; i < 3000; ++i) {
    const json::value from = gen.Value(4);
    const json::value to = i % 3 == 0 ? gen.Value(4) : gen.Mutate(from, 4);
    ExpectRoundTrip(from, to);
    if (HasFailure()) break;
  }
}

// `text` with whitespace around every structural character outside strings, as a
// pretty-printer (or a hand-written request) would have it.
std::string Spaced(std::string_view text) {
  std::string out;
  bool in_string = false, escaped = false;
  for (char c : text) {
    out.push_back(c);
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[' || c == ',' || c == ':') out.append("\n  ");
  }
  return " " + out + "\t\n";
}

// DiffParsedJson must give Diff's patch, byte for byte.
void ExpectSamePatchAsDiff(std::string_view from, std::string_view to) {
  const auto expected = Diff(from, to);
  const auto actual = DiffParsedJson(from, to);
  ASSERT_EQ(expected.has_value(), actual.has_value()) << from << " -> " << to;
  if (expected) {
    EXPECT_EQ(*actual, *expected) << from << " -> " << to;
  } else {
    EXPECT_EQ(actual.error().message, expected.error().message);
  }
}

TEST(DiffParsedJsonTest, GivesDiffsPatchForHandPickedPairs) {
  for (const auto& [from, to] : kHandPickedPairs) {
    for (const auto& [a, b] : {std::pair<std::string, std::string>{from, to}, {to, from}}) {
      ExpectSamePatchAsDiff(a, b);
      ExpectSamePatchAsDiff(Spaced(a), b);
      ExpectSamePatchAsDiff(a, Spaced(b));
    }
  }
}

TEST(DiffParsedJsonTest, GivesDiffsPatchForRandomDocumentPairs) {
  RandomJson gen(20261206);
  for (int i = 0; i < 3000; ++i) {
    const json::value from = gen.Value(4);
    const json::value to = i % 3 == 0 ? gen.Value(4) : gen.Mutate(from, 4);
    const std::string a = json::serialize(from), b = json::serialize(to);
    ExpectSamePatchAsDiff(a, b);
    ExpectSamePatchAsDiff(Spaced(a), b);
    if (HasFailure()) break;
  }
}

TEST(DiffParsedJsonTest, ComparesValuesNotTheirSpelling) {
  // Same values spelled differently: no operation, as Diff; different ones: Diff's operation.
  const std::pair<const char*, const char*> kPairs[] = {
      {R"({"a":"A"})", R"({"a":"\u0041"})"},
      {R"({"a":1})", R"({"a":1.0})"},
      {R"({"a":1.0})", R"({"a":1.00})"},
      {R"({"a":100})", R"({"a":1e2})"},
      {R"({"a":1.5})", R"({"a":15e-1})"},
      {R"({"a":-0})", R"({"a":0})"},
      {R"({"a":18446744073709551615})", R"({"a":1.8446744073709552e19})"},
      {R"({"a":true})", R"({"a":false})"},
      {R"({"a":null})", R"({"a":{}})"},
      {R"({"a":[]})", R"({"a":"[]"})"},
  };
  for (const auto& [from, to] : kPairs) {
    ExpectSamePatchAsDiff(from, to);
    ExpectSamePatchAsDiff(to, from);
  }
  auto same = DiffParsedJson(R"({"a":"A","b":[1.0]})", R"({"a":"\u0041","b":[1.0]})");
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(*same, "[]");
}

TEST(DiffParsedJsonTest, ObjectsWithEscapedKeysAreDiffedByValue) {
  // "\u0061" is the key "a": the raw texts of the keys differ, the keys do not.
  const std::pair<const char*, const char*> kPairs[] = {
      {R"({"\u0061":1,"b":2})", R"({"a":1,"b":3})"},
      {R"({"a":1,"b":2})", R"({"b":2,"\u0061":1,"c":[]})"},
      {R"({"q\"k":1,"x":{"y":1}})", R"({"q\"k":2,"x":{"y":2}})"},
      {R"({"x":{"\/":1}})", R"({"x":{"/":2}})"},
  };
  for (const auto& [from, to] : kPairs) {
    ExpectSamePatchAsDiff(from, to);
    ExpectSamePatchAsDiff(to, from);
  }
}

TEST(DiffParsedJsonTest, DuplicateKeysAreDiffedAsDiffDoes) {
  const std::pair<const char*, const char*> kPairs[] = {
      {R"({"a":1,"a":2})", R"({"a":1,"a":3})"},
      {R"({"a":1,"a":2})", R"({"a":3})"},
      {R"({"b":0,"a":1,"a":2})", R"({"a":5,"c":1,"c":2})"},
  };
  for (const auto& [from, to] : kPairs) {
    ExpectSamePatchAsDiff(from, to);
    ExpectSamePatchAsDiff(to, from);
  }
}

TEST(DiffParsedJsonTest, WideObjectsAreDiffedByKey) {
  const auto [from, to] = WideObjects();
  ExpectSamePatchAsDiff(json::serialize(from), json::serialize(to));
}

TEST(DiffParsedJsonTest, EditsDeepInsideALargeObject) {
  // What a mutating policy does: one field added deep inside, the rest byte-equal.
  json::object pod = J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
                          "spec":{"containers":[{"name":"c","image":"i"}]}})").as_object();
  for (int i = 0; i < 200; ++i) {
    pod["metadata"].as_object()["labels"].emplace_object()["l" + std::to_string(i)] = "v";
  }
  json::value mutated = pod;
  mutated.at("spec").as_object()["dnsConfig"] =
      J(R"({"options":[{"name":"ndots","value":"1"}]})");
  mutated.at("spec").at("containers").at(0).as_object()["image"] = "j";
  const std::string from = json::serialize(json::value(pod)), to = json::serialize(mutated);
  ExpectSamePatchAsDiff(from, to);
  EXPECT_EQ(*DiffParsedJson(from, to),
            R"([{"op":"replace","path":"/spec/containers/0/image","value":"j"},)"
            R"({"op":"add","path":"/spec/dnsConfig","value":{"options":[{"name":"ndots","value":"1"}]}}])");
}

TEST(DiffParsedJsonTest, TextsThatAreNotJsonGetDiffsError) {
  for (auto [from, to] : {std::pair{"{", "{}"}, std::pair{"{}", "[1,]"}, std::pair{"1", ""},
                          std::pair{R"({"a":[1,2})", R"({"a":[1,3]})"},
                          std::pair{R"({"a":1})", R"({"a":tru})"},
                          std::pair{R"({"a":{"b":1}})", R"({"a":{"b" 2}})"}}) {
    SCOPED_TRACE(std::string(from) + " -> " + to);
    auto patch = DiffParsedJson(from, to);
    ASSERT_FALSE(patch.has_value());
    EXPECT_TRUE(patch.error().message.starts_with("invalid JSON: ")) << patch.error().message;
  }
}

TEST(DiffParsedJsonTest, DeepNestingIsBounded) {
  // Deeper than any parser accepts: an error, not a stack overflow.
  const std::string from = std::string(100000, '[') + "1" + std::string(100000, ']');
  const std::string to = std::string(100000, '[') + "2" + std::string(100000, ']');
  EXPECT_FALSE(DiffParsedJson(from, to).has_value());
  // Deep but valid, differing at every level: past its scan budget the walk hands over to Diff.
  std::string deep_from = "1", deep_to = "2";
  for (int i = 0; i < 400; ++i) {
    deep_from = R"({"a":)" + deep_from + R"(,"b":[1,2,3,4,5,6,7,8]})";
    deep_to = R"({"a":)" + deep_to + R"(,"b":[1,2,3,4,5,6,7,8]})";
  }
  ExpectSamePatchAsDiff(deep_from, deep_to);
}

// RFC 6902 appendix A examples, plus the error cases the RFC calls out.
TEST(ApplyPatchTest, Rfc6902AppendixExamples) {
  struct Case {
    const char* doc;
    const char* patch;
    const char* expected;
  };
  const Case kCases[] = {
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
       R"({"baz":"qux","foo":"bar"})"},
      {R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])",
       R"({"foo":["bar","qux","baz"]})"},
      {R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
      {R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
       R"({"foo":["bar","baz"]})"},
      {R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])",
       R"({"baz":"boo","foo":"bar"})"},
      {R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
      {R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})"},
      {R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})"},
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})"},
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])",
       R"({"foo":"bar","baz":"qux"})"},
      {R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})"},
      {R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])", R"({"/":9,"~1":10})"},
      {R"({"foo":1})", R"([{"op":"copy","from":"/foo","path":"/bar"}])", R"({"foo":1,"bar":1})"},
      {R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":{"b":1}})"},
      {R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])", "[1]"},
      {R"({"a":1})", R"([{"op":"add","path":"","value":null}])", "null"},
      {R"({"":{"":1}})", R"([{"op":"replace","path":"//","value":2}])", R"({"":{"":2}})"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.patch);
    auto result = ApplyPatch(J(c.doc), Ops(c.patch));
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(*result, J(c.expected));
  }
}

TEST(ApplyPatchTest, RejectsInvalidOperations) {
  struct Case {
    const char* doc;
    const char* patch;
    const char* message_part;
  };
  const Case kCases[] = {
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])",
       "parent path not found"},
      {R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])", "test failed"},
      {R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])", "test failed"},
      {R"({"foo":"bar"})", R"([{"op":"remove","path":"/nope"}])", "path not found"},
      {R"({"foo":"bar"})", R"([{"op":"replace","path":"/nope","value":1}])", "path not found"},
      {R"({"foo":[1]})", R"([{"op":"add","path":"/foo/2","value":1}])", "out of range"},
      {R"({"foo":[1]})", R"([{"op":"add","path":"/foo/01","value":1}])", "out of range"},
      {R"({"foo":[1]})", R"([{"op":"remove","path":"/foo/-"}])", "path not found"},
      {R"({"foo":[1]})", R"([{"op":"remove","path":"/foo/1"}])", "path not found"},
      {R"({"foo":[1]})", R"([{"op":"replace","path":"/foo/x","value":1}])", "path not found"},
      {R"({"foo":1})", R"([{"op":"add","path":"foo","value":1}])", "malformed JSON pointer"},
      {R"({"foo":1})", R"([{"op":"add","path":"/a~2","value":1}])", "malformed JSON pointer"},
      {R"({"foo":1})", R"([{"op":"add","path":"/a~","value":1}])", "malformed JSON pointer"},
      {R"({"foo":1})", R"([{"op":"add","path":"/x"}])", "missing `value`"},
      {R"({"foo":1})", R"([{"op":"frobnicate","path":"/x"}])", "unknown operation"},
      {R"({"foo":1})", R"([{"path":"/x"}])", "`op`"},
      {R"({"foo":1})", R"([{"op":"add","value":1}])", "`path`"},
      {R"({"foo":1})", R"([{"op":"move","path":"/x"}])", "`from`"},
      {R"({"foo":1})", R"([{"op":"copy","from":"/nope","path":"/x"}])", "`from` path not found"},
      {R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])", "its children"},
      {R"({"foo":1})", R"([{"op":"remove","path":""}])", "root"},
      {R"({"foo":1})", R"([42])", "must be an object"},
      {R"({"foo":"bar"})", R"([{"op":"add","path":"/foo/x","value":1}])",
       "neither an object nor an array"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.patch);
    auto result = ApplyPatch(J(c.doc), Ops(c.patch));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(result.error().message.find(c.message_part), std::string::npos)
        << result.error().message;
  }
}

TEST(ApplyPatchTest, ErrorNamesTheOperationIndex) {
  auto result = ApplyPatch(J(R"({"a":1})"), Ops(R"([{"op":"remove","path":"/a"},
                                                    {"op":"remove","path":"/a"}])"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "patch operation 1 (remove /a): path not found");
}

TEST(ApplyPatchTest, LeavesTheInputUntouchedOnFailure) {
  const json::value doc = J(R"({"a":1})");
  auto result = ApplyPatch(doc, Ops(R"([{"op":"add","path":"/b","value":2},
                                        {"op":"test","path":"/a","value":3}])"));
  EXPECT_FALSE(result.has_value());
  EXPECT_EQ(doc, J(R"({"a":1})"));
}

TEST(PointerTest, EscapesTildeBeforeSlash) {
  std::string pointer;
  AppendPointerToken(pointer, "a~/b");
  AppendPointerToken(pointer, "");
  EXPECT_EQ(pointer, "/a~0~1b/");
}

}  // namespace
}  // namespace kw::admission
