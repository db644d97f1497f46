// JMESPath: a table of expressions and expected results, mostly from the JMESPath
// specification's examples and compliance suite (basic, literal, slice, projection, filter,
// multiselect, pipe, function and syntax cases), plus Kyverno's functions.
#include <gtest/gtest.h>

#include <string>

#include "jmespath.h"
#include "value.h"

namespace kyverno {
namespace {

struct Case {
  const char* data;
  const char* expression;
  const char* expected;  // JSON, or "ERROR" for a parse or runtime error
};

constexpr char kFoo[] = R"({"foo": {"bar": {"baz": "correct"}, "qux": [1, 2, 3]}})";
constexpr char kPeople[] = R"({"people": [{"first": "James", "last": "d", "age": 30},
  {"first": "Jacob", "last": "e", "age": 40}, {"first": "Jayden", "last": "f", "age": 50},
  {"missing": "different"}], "foo": {"bar": "baz"}})";
constexpr char kList[] = R"({"foo": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "bar": {"baz": 1}})";
constexpr char kNested[] = R"({"reservations": [{"instances": [{"state": "running"}, {"state": "stopped"}]},
  {"instances": [{"state": "terminated"}, {"state": "running"}]}]})";
constexpr char kOps[] = R"({"machines": [{"name": "a", "state": "running"}, {"name": "b", "state": "stopped"},
  {"name": "c", "state": "running"}]})";
constexpr char kNums[] = R"({"numbers": [-1, 3, 4, 5], "empty": [], "strings": ["a", "c", "b"],
  "decimals": [1.01, 1.2, -1.5], "str": "Str", "objects": {"foo": "bar", "bar": "baz"},
  "people": [{"age": 20, "name": "b"}, {"age": 10, "name": "a"}, {"age": 30, "name": "c"}],
  "mixed": [1, "a"], "nullv": null, "t": true, "f": false, "zero": 0})";

const Case kCases[] = {
    // Identifiers and sub-expressions.
    {kFoo, "foo", R"({"bar":{"baz":"correct"},"qux":[1,2,3]})"},
    {kFoo, "foo.bar", R"({"baz":"correct"})"},
    {kFoo, "foo.bar.baz", R"("correct")"},
    {kFoo, "foo.bar.baz.bad", "null"},
    {kFoo, "bad", "null"},
    {kFoo, "bad.morebad.morebad", "null"},
    {kFoo, "foo.qux", "[1,2,3]"},
    {kFoo, "foo.qux.bar", "null"},
    {kFoo, "\"foo\".\"bar\"", R"({"baz":"correct"})"},
    {kFoo, "\"foo\".bar.\"baz\"", R"("correct")"},
    {R"({"foo bar": 1})", "\"foo bar\"", "1"},
    {R"({"\"": true})", "\"\\\"\"", "true"},
    {R"({"\\": 1})", "\"\\\\\"", "1"},
    {R"({"a-b": 2})", "\"a-b\"", "2"},
    {R"({"_x": 3})", "_x", "3"},
    {R"({"a1": 4})", "a1", "4"},
    {"[1]", "foo", "null"},
    {"\"str\"", "foo", "null"},
    {"null", "foo", "null"},
    {kFoo, "@", R"({"foo":{"bar":{"baz":"correct"},"qux":[1,2,3]}})"},
    {kFoo, "@.foo.bar", R"({"baz":"correct"})"},
    {kFoo, "foo.@", "ERROR"},
    // Index expressions.
    {kList, "foo[0]", "0"},
    {kList, "foo[9]", "9"},
    {kList, "foo[10]", "null"},
    {kList, "foo[-1]", "9"},
    {kList, "foo[-10]", "0"},
    {kList, "foo[-11]", "null"},
    {kList, "bar[0]", "null"},
    {"[[1, 2], [3, 4]]", "[1][0]", "3"},
    {"[[1, 2], [3, 4]]", "[0][1]", "2"},
    {kFoo, "foo.qux[1]", "2"},
    // Slices.
    {kList, "foo[0:5]", "[0,1,2,3,4]"},
    {kList, "foo[:3]", "[0,1,2]"},
    {kList, "foo[7:]", "[7,8,9]"},
    {kList, "foo[::2]", "[0,2,4,6,8]"},
    {kList, "foo[::-1]", "[9,8,7,6,5,4,3,2,1,0]"},
    {kList, "foo[1::3]", "[1,4,7]"},
    {kList, "foo[-3:]", "[7,8,9]"},
    {kList, "foo[:-3]", "[0,1,2,3,4,5,6]"},
    {kList, "foo[8:2:-2]", "[8,6,4]"},
    {kList, "foo[100:]", "[]"},
    {kList, "foo[:100]", "[0,1,2,3,4,5,6,7,8,9]"},
    {kList, "foo[-100:2]", "[0,1]"},
    {kList, "foo[5:2]", "[]"},
    {kList, "foo[::0]", "ERROR"},
    {kList, "foo[:]", "[0,1,2,3,4,5,6,7,8,9]"},
    {kList, "bar[:]", "null"},
    {kList, "foo[:2].a", "[]"},
    {kList, "foo[1:3:1:1]", "ERROR"},
    {"[{\"a\":1},{\"a\":2},{\"a\":3}]", "[1:].a", "[2,3]"},
    // List and object projections.
    {kPeople, "people[*].first", R"(["James","Jacob","Jayden"])"},
    {kPeople, "people[*].age", "[30,40,50]"},
    {kPeople, "people[*]", R"([{"age":30,"first":"James","last":"d"},{"age":40,"first":"Jacob","last":"e"},{"age":50,"first":"Jayden","last":"f"},{"missing":"different"}])"},
    {kPeople, "people[*].missing", R"(["different"])"},
    {kPeople, "people[*].nothing", "[]"},
    {kPeople, "foo[*]", "null"},
    {kPeople, "people[:2].first", R"(["James","Jacob"])"},
    {R"({"ops": {"a": {"n": 1}, "b": {"n": 2}, "c": {"x": 3}}})", "ops.*.n", "[1,2]"},
    {R"({"ops": {"a": {"n": 1}, "b": {"n": 2}}})", "ops.*", R"([{"n":1},{"n":2}])"},
    {R"({"ops": [1, 2]})", "ops.*", "null"},
    {R"({"a": {"x": 1}, "b": {"x": 2}})", "*.x", "[1,2]"},
    {R"({"a": [1, 2], "b": [3]})", "*[0]", "[1,3]"},
    {R"({"a": [{"b": [1, 2]}, {"b": [3]}]})", "a[*].b[0]", "[1,3]"},
    {R"({"a": [{"b": [1, 2]}, {"b": [3]}]})", "a[*].b[*]", "[[1,2],[3]]"},
    {kNested, "reservations[*].instances[*].state", R"([["running","stopped"],["terminated","running"]])"},
    {R"([[0, 1], [2, 3]])", "[*][0]", "[0,2]"},
    // Flatten.
    {kNested, "reservations[].instances[].state", R"(["running","stopped","terminated","running"])"},
    {kNested, "reservations[*].instances[].state", R"(["running","stopped","terminated","running"])"},
    {"[[0, 1], 2, [3], 4, [5, [6, 7]]]", "[]", "[0,1,2,3,4,5,[6,7]]"},
    {"[[0, 1], 2, [3], 4, [5, [6, 7]]]", "[][]", "[0,1,2,3,4,5,6,7]"},
    {R"({"a": 1})", "[]", "null"},
    {R"({"a": [[1], [2]]})", "a[]", "[1,2]"},
    {R"({"a": [[1], [2]]})", "a[][0]", "[]"},
    {R"({"a": [[1, 3], [2]]})", "a[*][0]", "[1,2]"},
    {R"({"a": [{"b": 1}, {"c": 2}]})", "a[].b", "[1]"},
    // Filters.
    {kOps, "machines[?state=='running'].name", R"(["a","c"])"},
    {kOps, "machines[?state!='running'].name", R"(["b"])"},
    {kOps, "machines[?state=='none'].name", "[]"},
    {kOps, "machines[?name].name", R"(["a","b","c"])"},
    {kOps, "machines[?missing].name", "[]"},
    {kOps, "machines[?state=='running' && name=='c'].name", R"(["c"])"},
    {kOps, "machines[?state=='stopped' || name=='a'].name", R"(["a","b"])"},
    {kOps, "machines[?!(state=='running')].name", R"(["b"])"},
    {kOps, "machines[?state=='running'] | [0].name", R"("a")"},
    {kOps, "machines[?state=='running'].name | [1]", R"("c")"},
    {kPeople, "people[?age > `35`].first", R"(["Jacob","Jayden"])"},
    {kPeople, "people[?age >= `40`].first", R"(["Jacob","Jayden"])"},
    {kPeople, "people[?age < `40`].first", R"(["James"])"},
    {kPeople, "people[?age <= `40`].first", R"(["James","Jacob"])"},
    {kPeople, "people[?age == `40`].first", R"(["Jacob"])"},
    {kPeople, "people[?first < 'K'].first", "[]"},
    {"[1, 2, 3, 4]", "[?@ > `2`]", "[3,4]"},
    {"[1, 2, 3, 4]", "[?@ == `2`] | [0]", "2"},
    {R"({"a": [{"b": [1, 2]}, {"b": []}]})", "a[?b].b", "[[1,2]]"},
    {R"({"a": [{"b": {"c": 1}}, {"b": {}}]})", "a[?b].b.c", "[1]"},
    {R"({"a": [[1, 2], [3]]})", "a[?length(@) > `1`]", "[[1,2]]"},
    {R"({"a": {"b": 1}})", "a[?b]", "null"},
    {R"({"a": [{"x": "1"}, {"x": 1}]})", "a[?x==`1`]", R"([{"x":1}])"},
    {R"({"a": [{"x": [1]}, {"x": [2]}]})", "a[?x==`[1]`]", R"([{"x":[1]}])"},
    {R"({"a": [{"x": {"y": 1}}]})", "a[?x==`{\"y\": 1}`].x.y", "[1]"},
    {R"({"a": [{"x": true}, {"x": false}]})", "a[?x].x", "[true]"},
    {R"({"a": [{"x": null}, {"x": 0}]})", "a[?x == `null`]", R"([{"x":null}])"},
    {R"({"a": [[1, 2], [3, 4]]})", "a[?@[0] == `3`][]", "[3,4]"},
    // Comparisons outside filters.
    {kNums, "zero == `0`", "true"},
    {kNums, "str == 'Str'", "true"},
    {kNums, "str != 'Str'", "false"},
    {kNums, "str < 'T'", "null"},
    {kNums, "`1` < `2`", "true"},
    {kNums, "`2` <= `2`", "true"},
    {kNums, "`3` > `2`", "true"},
    {kNums, "`1` >= `2`", "false"},
    {kNums, "`[1, 2]` == `[1, 2]`", "true"},
    {kNums, "`{\"a\": 1}` == `{\"a\": 1}`", "true"},
    {kNums, "`1` == `1.0`", "true"},
    {kNums, "nullv == missing", "true"},
    // Boolean operators.
    {kNums, "t || f", "true"},
    {kNums, "f || t", "true"},
    {kNums, "f || nullv", "null"},
    {kNums, "empty || str", R"("Str")"},
    {kNums, "str || empty", R"("Str")"},
    {kNums, "t && f", "false"},
    {kNums, "t && str", R"("Str")"},
    {kNums, "empty && str", "[]"},
    {kNums, "!t", "false"},
    {kNums, "!empty", "true"},
    {kNums, "!zero", "false"},
    {kNums, "!nullv", "true"},
    {kNums, "!!str", "true"},
    {kNums, "(t || f) && f", "false"},
    {kNums, "t || f && f", "true"},
    // Literals and raw strings.
    {"{}", "`\"foo\"`", R"("foo")"},
    {"{}", "`[1, 2]`", "[1,2]"},
    {"{}", "`{\"a\": \"b\"}`", R"({"a":"b"})"},
    {"{}", "`true`", "true"},
    {"{}", "`null`", "null"},
    {"{}", "`1.5`", "1.5"},
    {"{}", "`\"a\\`b\"`", R"("a`b")"},
    {"{}", "'foo'", R"("foo")"},
    {"{}", "'foo bar'", R"("foo bar")"},
    {"{}", "'\\''", R"("'")"},
    {"{}", "'\\\\'", R"("\\")"},
    {"{}", "''", R"("")"},
    {"{}", "`foo`", "ERROR"},
    {"{}", "`[1,`", "ERROR"},
    {R"({"foo": "bar"})", "`{\"a\": 1}`.a", "1"},
    // Multi-select lists and hashes.
    {kFoo, "foo.[bar.baz, qux[0]]", R"(["correct",1])"},
    {kFoo, "foo.{b: bar.baz, q: qux}", R"({"b":"correct","q":[1,2,3]})"},
    {kFoo, "[foo.qux[0], foo.qux[2]]", "[1,3]"},
    {kFoo, "{a: foo.qux[0]}", R"({"a":1})"},
    {kFoo, "{\"quoted key\": foo.qux[0]}", R"({"quoted key":1})"},
    {kFoo, "missing.[a, b]", "null"},
    {kFoo, "missing.{a: b}", "null"},
    {kPeople, "people[*].[first, age]", R"([["James",30],["Jacob",40],["Jayden",50],[null,null]])"},
    {kPeople, "people[:2].{n: first, a: age}", R"([{"a":30,"n":"James"},{"a":40,"n":"Jacob"}])"},
    {kFoo, "foo.[bar]", R"([{"baz":"correct"}])"},
    {kFoo, "[foo, foo.qux][1][0]", "1"},
    {kFoo, "foo.[", "ERROR"},
    {kFoo, "foo.{a}", "ERROR"},
    {kFoo, "{a: foo,}", "ERROR"},
    {kFoo, "[foo,]", "ERROR"},
    // Pipes.
    {kPeople, "people[*].first | [0]", R"("James")"},
    {kPeople, "people | [0].first", R"("James")"},
    {kPeople, "people[*] | length(@)", "4"},
    {kFoo, "foo | bar | baz", R"("correct")"},
    {kFoo, "foo.qux | [-1]", "3"},
    {kNested, "reservations[*].instances[*].state | [0]", R"(["running","stopped"])"},
    {kNested, "reservations[].instances[].state | [0]", R"("running")"},
    // Functions: abs, avg, ceil, floor, sum, min, max.
    {kNums, "abs(`-3`)", "3"},
    {kNums, "abs(`3`)", "3"},
    {kNums, "abs(str)", "ERROR"},
    {kNums, "avg(numbers)", "2.75"},
    {kNums, "avg(empty)", "null"},
    {kNums, "avg(strings)", "ERROR"},
    {kNums, "ceil(`1.2`)", "2"},
    {kNums, "floor(`1.8`)", "1"},
    {kNums, "ceil(`-1.2`)", "-1"},
    {kNums, "sum(numbers)", "11"},
    {kNums, "sum(empty)", "0"},
    {kNums, "sum(decimals)", "0.71"},
    {kNums, "max(numbers)", "5"},
    {kNums, "min(numbers)", "-1"},
    {kNums, "max(strings)", R"("c")"},
    {kNums, "min(strings)", R"("a")"},
    {kNums, "max(empty)", "null"},
    {kNums, "max(mixed)", "ERROR"},
    {kNums, "max(objects)", "ERROR"},
    // contains, starts_with, ends_with, join, length.
    {kNums, "contains(strings, 'a')", "true"},
    {kNums, "contains(strings, 'z')", "false"},
    {kNums, "contains(str, 't')", "true"},
    {kNums, "contains(str, 'x')", "false"},
    {kNums, "contains(numbers, `3`)", "true"},
    {kNums, "contains(`false`, 'a')", "ERROR"},
    {kNums, "starts_with(str, 'S')", "true"},
    {kNums, "starts_with(str, 'x')", "false"},
    {kNums, "ends_with(str, 'tr')", "true"},
    {kNums, "ends_with(str, 'S')", "false"},
    {kNums, "starts_with(zero, 'a')", "ERROR"},
    {kNums, "join(', ', strings)", R"("a, c, b")"},
    {kNums, "join('', strings)", R"("acb")"},
    {kNums, "join(', ', empty)", R"("")"},
    {kNums, "join(', ', numbers)", "ERROR"},
    {kNums, "length(str)", "3"},
    {kNums, "length(strings)", "3"},
    {kNums, "length(objects)", "2"},
    {kNums, "length(zero)", "ERROR"},
    {kNums, "length('\u00e9t\u00e9')", "3"},
    // keys, values, merge, not_null, type, to_*.
    {kNums, "keys(objects)", R"(["bar","foo"])"},
    {kNums, "values(objects)", R"(["baz","bar"])"},
    {kNums, "keys(strings)", "ERROR"},
    {kNums, "merge(`{\"a\": 1}`, `{\"b\": 2}`)", R"({"a":1,"b":2})"},
    {kNums, "merge(`{\"a\": 1}`, `{\"a\": 2}`)", R"({"a":2})"},
    {kNums, "merge(`{}`)", "{}"},
    {kNums, "merge(`1`)", "ERROR"},
    {kNums, "not_null(nullv, missing, str)", R"("Str")"},
    {kNums, "not_null(nullv, missing)", "null"},
    {kNums, "type(str)", R"("string")"},
    {kNums, "type(zero)", R"("number")"},
    {kNums, "type(t)", R"("boolean")"},
    {kNums, "type(empty)", R"("array")"},
    {kNums, "type(objects)", R"("object")"},
    {kNums, "type(nullv)", R"("null")"},
    {kNums, "to_string(zero)", R"("0")"},
    {kNums, "to_string(str)", R"("Str")"},
    {kNums, "to_string(strings)", R"("[\"a\",\"c\",\"b\"]")"},
    {kNums, "to_string(objects)", R"("{\"bar\":\"baz\",\"foo\":\"bar\"}")"},
    {kNums, "to_number('1.5')", "1.5"},
    {kNums, "to_number('abc')", "null"},
    {kNums, "to_number(zero)", "0"},
    {kNums, "to_number(t)", "null"},
    {kNums, "to_array(str)", R"(["Str"])"},
    {kNums, "to_array(strings)", R"(["a","c","b"])"},
    // reverse, sort, sort_by, min_by, max_by, map.
    {kNums, "reverse(strings)", R"(["b","c","a"])"},
    {kNums, "reverse(str)", R"("rtS")"},
    {kNums, "reverse(zero)", "ERROR"},
    {kNums, "sort(strings)", R"(["a","b","c"])"},
    {kNums, "sort(numbers)", "[-1,3,4,5]"},
    {kNums, "sort(mixed)", "ERROR"},
    {kNums, "sort(empty)", "[]"},
    {kNums, "sort_by(people, &age)[*].name", R"(["a","b","c"])"},
    {kNums, "sort_by(people, &name)[*].age", "[10,20,30]"},
    // Stable on equal keys, over runs of uneven length.
    {kNums, R"(sort_by(`[{"k":2,"n":"a"},{"k":1,"n":"b"},{"k":2,"n":"c"},{"k":1,"n":"d"},{"k":0,"n":"e"}]`, &k)[*].n)", R"(["e","b","d","a","c"])"},
    {kNums, "sort(`[5,3,9,1,3,7,0]`)", "[0,1,3,3,5,7,9]"},
    {kNums, "sort_by(people, &missing)", "ERROR"},
    {kNums, "min_by(people, &age).name", R"("a")"},
    {kNums, "max_by(people, &age).name", R"("c")"},
    {kNums, "max_by(people, &name).age", "30"},
    {kNums, "max_by(empty, &age)", "null"},
    {kNums, "map(&age, people)", "[20,10,30]"},
    {kNums, "map(&missing, people)", "[null,null,null]"},
    {kNums, "map(&[], `[[1, 2], 3, [4]]`)", "[[1,2],null,[4]]"},
    {kNums, "map(age, people)", "ERROR"},
    {kNums, "sort_by(people, age)", "ERROR"},
    // Function call errors.
    {kNums, "unknown(str)", "ERROR"},
    {kNums, "length()", "ERROR"},
    {kNums, "length(str, str)", "ERROR"},
    {kNums, "\"length\"(str)", "ERROR"},
    {kNums, "abs(`1`, `2`)", "ERROR"},
    // Syntax errors.
    {kFoo, "foo.", "ERROR"},
    {kFoo, ".foo", "ERROR"},
    {kFoo, "foo..bar", "ERROR"},
    {kFoo, "foo[", "ERROR"},
    {kFoo, "foo]", "ERROR"},
    {kFoo, "foo[0", "ERROR"},
    {kFoo, "foo[a]", "ERROR"},
    {kFoo, "foo = bar", "ERROR"},
    {kFoo, "foo | ", "ERROR"},
    {kFoo, "&&", "ERROR"},
    {kFoo, "foo bar", "ERROR"},
    {kFoo, "\"foo", "ERROR"},
    {kFoo, "'foo", "ERROR"},
    {kFoo, "#", "ERROR"},
    {kFoo, "", "ERROR"},
    {kFoo, "foo[?]", "ERROR"},
    {kFoo, "(foo", "ERROR"},
    {kFoo, "foo.1", "ERROR"},
    {kFoo, "-", "ERROR"},
    // Kyverno functions.
    {"{}", "compare('a', 'b')", "-1"},
    {"{}", "compare('b', 'b')", "0"},
    {"{}", "compare('c', 'b')", "1"},
    {"{}", "equal_fold('Go', 'GO')", "true"},
    {"{}", "equal_fold('Go', 'Ga')", "false"},
    {"{}", "replace('aaa', 'a', 'b', `2`)", R"("bba")"},
    {"{}", "replace('aaa', 'a', 'b', `-1`)", R"("bbb")"},
    {"{}", "replace_all('a.b.c', '.', '/')", R"("a/b/c")"},
    {"{}", "to_upper('abc')", R"("ABC")"},
    {"{}", "to_lower('ABC')", R"("abc")"},
    {"{}", "trim('  a b  ', ' ')", R"("a b")"},
    {"{}", "trim('xxaxx', 'x')", R"("a")"},
    {"{}", "trim_prefix('prefix-name', 'prefix-')", R"("name")"},
    {"{}", "trim_prefix('name', 'prefix-')", R"("name")"},
    {"{}", "split('a,b,c', ',')", R"(["a","b","c"])"},
    {"{}", "split('abc', '')", R"(["a","b","c"])"},
    {"{}", "split('', ',')", R"([""])"},
    {"{}", "regex_match('^[a-z]+$', 'abc')", "true"},
    {"{}", "regex_match('^[a-z]+$', 'ab1')", "false"},
    {"{}", "regex_match('^[0-9]+$', `123`)", "true"},
    {"{}", "regex_match('[', 'a')", "ERROR"},
    {"{}", "regex_replace_all_literal('[0-9]', 'a1b2', 'x')", R"("axbx")"},
    {"{}", "regex_replace_all('o+', 'foo boo', '0')", R"("f0 b0")"},
    // Go's ReplaceAll expansion: $1 / ${1} / $name, `$1x` names the group `1x`, $$ is `$`.
    {"{}", "regex_replace_all('([a-z]+)-([0-9]+)', 'app-12 db-3', '${2}_$1')", R"("12_app 3_db")"},
    {"{}", "regex_replace_all('(?P<name>[a-z]+):(?P<tag>.*)', 'nginx:1.25', '$name@$tag$$')", R"("nginx@1.25$")"},
    {"{}", "regex_replace_all('a(x*)b', '-ab-axxb-', '$1W')", R"("---")"},
    {"{}", "regex_replace_all('a*', 'baaac', 'X')", R"("XbXcX")"},
    {"{}", "regex_replace_all_literal('a(x*)b', '-axxb-', '$1')", R"("-$1-")"},
    {"{}", "pattern_match('nginx:*', 'nginx:1.2')", "true"},
    {"{}", "pattern_match('nginx:?', 'nginx:12')", "false"},
    {"{}", "pattern_match('12*', `123`)", "true"},
    {"{}", "label_match(`{\"app\": \"x\"}`, `{\"app\": \"x\", \"t\": \"y\"}`)", "true"},
    {"{}", "label_match(`{\"app\": \"z\"}`, `{\"app\": \"x\"}`)", "false"},
    {"{}", "to_boolean('True')", "true"},
    {"{}", "to_boolean('false')", "false"},
    {"{}", "to_boolean('maybe')", "ERROR"},
    {"{}", "add(`1`, `2`)", "3"},
    {"{}", "subtract(`5`, `2`)", "3"},
    {"{}", "multiply(`3`, `4`)", "12"},
    {"{}", "divide(`9`, `3`)", "3"},
    {"{}", "divide(`9`, `0`)", "ERROR"},
    {"{}", "modulo(`9`, `4`)", "1"},
    {"{}", "modulo(`9.5`, `4`)", "ERROR"},
    {"{}", "add('a', `1`)", "ERROR"},
    {"{}", "base64_encode('hello')", R"("aGVsbG8=")"},
    {"{}", "base64_decode('aGVsbG8=')", R"("hello")"},
    {"{}", "base64_decode('aGk=')", R"("hi")"},
    {"{}", "base64_decode('!!!!')", "ERROR"},
    {"{}", "path_canonicalize('/a/../b/./c/')", R"("/b/c")"},
    {"{}", "path_canonicalize('//etc//passwd')", R"("/etc/passwd")"},
    {"{}", "path_canonicalize('')", R"(".")"},
    {"{}", "truncate('abcdef', `3`)", R"("abc")"},
    {"{}", "truncate('ab', `3`)", R"("ab")"},
    {"{}", "semver_compare('1.2.3', '>1.0.0')", "true"},
    {"{}", "semver_compare('1.2.3', '<1.0.0')", "false"},
    {"{}", "semver_compare('1.2.3', '>=1.2.3 <2.0.0')", "true"},
    {"{}", "semver_compare('1.2.3', '<1.0.0 || >=1.2.0')", "true"},
    {"{}", "semver_compare('1.2.3', '1.2.3')", "true"},
    {"{}", "semver_compare('x', '1.2.3')", "ERROR"},
    {"{}", "parse_json('{\"a\": [1]}').a[0]", "1"},
    {"{}", "parse_json('{')", "ERROR"},
    {"{}", "parse_yaml('a: 1')", R"({"a":1})"},
    {"{}", "parse_yaml('- a\n- b')", R"(["a","b"])"},
    {"{}", "items(`{\"a\": 1, \"b\": 2}`, 'key', 'value')", R"([{"key":"a","value":1},{"key":"b","value":2}])"},
    {"{}", "items(`[\"x\"]`, 'i', 'v')", R"([{"i":0,"v":"x"}])"},
    {"{}", "object_from_lists(`[\"a\", \"b\"]`, `[1]`)", R"({"a":1,"b":null})"},
    {"{}", "regex_match('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$', time_now_utc())", "true"},
};

class JmesPathTable : public ::testing::TestWithParam<Case> {};

TEST_P(JmesPathTable, Evaluates) {
  const Case& c = GetParam();
  Value data;
  std::string error;
  ASSERT_TRUE(ParseJson(c.data, &data, &error)) << error;
  Value result;
  bool ok = jmespath::Search(c.expression, data, &result, &error);
  if (std::string(c.expected) == "ERROR") {
    EXPECT_FALSE(ok) << c.expression << " gave " << ToJson(result);
    EXPECT_FALSE(error.empty());
    return;
  }
  ASSERT_TRUE(ok) << c.expression << ": " << error;
  Value expected;
  ASSERT_TRUE(ParseJson(c.expected, &expected, &error)) << error;
  EXPECT_TRUE(Equal(result, expected)) << c.expression << " gave " << ToJson(result) << ", want " << c.expected;
}

INSTANTIATE_TEST_SUITE_P(Spec, JmesPathTable, ::testing::ValuesIn(kCases));

TEST(JmesPath, DeepNestingIsAnErrorNotACrash) {
  std::string expr(5000, '(');
  expr += "a";
  expr += std::string(5000, ')');
  Value out;
  std::string error;
  EXPECT_FALSE(jmespath::Search(expr, Value(Object{}), &out, &error));
  EXPECT_NE(error.find("nests too deeply"), std::string::npos);
}

TEST(JmesPath, OverlongExpressionIsAnError) {
  std::string expr(jmespath::kMaxExpressionLength + 1, 'a');
  Value out;
  std::string error;
  EXPECT_FALSE(jmespath::Search(expr, Value(Object{}), &out, &error));
}

}  // namespace
}  // namespace kyverno

namespace kyverno {
namespace {

TEST(JmesPath, ExponentialResultsAreRefused) {
  std::string expr = "@";
  for (int i = 0; i < 40; ++i) expr += " | [@, @]";
  Value out;
  std::string error;
  EXPECT_FALSE(jmespath::Search(expr, Value(Object{}), &out, &error));
  EXPECT_EQ(error, "the result is too large");
}

}  // namespace
}  // namespace kyverno
