// cel/value.h: the values a CEL expression computes with.
//
// A Value is a small handle (48 bytes): scalars inline, everything else shared. Strings, bytes,
// lists and maps are immutable and reference counted, so copying a Value never copies its
// contents. Values read from JSON (the `object`, `oldObject`, `request`, `params` a policy gets)
// stay backed by the parsed JSON document: a field access walks the document and hands out a
// view into it, so evaluating against a 5 KB Pod copies nothing but the scalars it reads.
//
// Kinds follow the CEL spec (langdef "Values"): null, bool, int (int64), uint (uint64), double,
// string (UTF-8), bytes, list, map (keys bool/int/uint/string), timestamp
// (google.protobuf.Timestamp: seconds + nanos, years 1 to 9999), duration
// (google.protobuf.Duration, held as int64 nanoseconds, ±292 years as cel-go's time.Duration),
// type values, error and unknown. kOpaque is the extension point for the types libraries add
// (optional, Kubernetes quantity/url/ip/cidr ...): an OpaqueValue subclass.
//
// Errors are values (no exceptions): Value::Error("no such key: x"). Unknown carries the
// attribute that was unknown; partial evaluation beyond propagation is not implemented.
//
// Thread-safety: Values are immutable once built; copies may be used from any thread.
#ifndef KW_CEL_VALUE_H_
#define KW_CEL_VALUE_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubewarden::json {
class Value;
}

namespace kw::cel {

enum class Kind : std::uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,
  kMap,
  kTimestamp,
  kDuration,
  kType,
  kError,
  kUnknown,
  kOpaque,
};

// The CEL type name of a kind: "int", "list", "google.protobuf.Timestamp", "null_type", ...
// (kOpaque: "opaque"; an opaque value's own name is OpaqueValue::TypeName()).
std::string_view KindName(Kind kind);

// A value of a type that a library adds. Subclasses are immutable.
class OpaqueValue {
 public:
  virtual ~OpaqueValue() = default;
  // The CEL type name (what type(v) returns), e.g. "optional_type", "kubernetes.Quantity", in
  // static storage (type values keep a view of it).
  virtual std::string_view TypeName() const = 0;
  // CEL equality with another opaque value (of any type).
  virtual bool Equals(const OpaqueValue& other) const = 0;
  // A readable form for messages and tests.
  virtual std::string DebugString() const = 0;
};

class Value {
 public:
  Value() = default;  // null

  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(std::int64_t i);
  static Value Uint(std::uint64_t u);
  static Value Double(double d);
  static Value String(std::string s);
  // A string whose bytes `owner` keeps alive (no copy). The text must be valid UTF-8.
  static Value StringView(std::string_view s, std::shared_ptr<const void> owner);
  static Value Bytes(std::string b);
  static Value List(std::vector<Value> elements);
  // Keys must be bool/int/uint/string and distinct (under CEL equality): otherwise an error
  // value ("unsupported key type" / "Failed with repeated key").
  static Value Map(std::vector<std::pair<Value, Value>> entries);
  // An error value when outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z.
  static Value Timestamp(std::int64_t seconds, std::int32_t nanos);
  static Value Duration(std::int64_t nanos);
  // `name` must outlive the value unless it is one of the built-in names (KindName).
  static Value Type(std::string_view name);
  static Value Error(std::string message);
  static Value Unknown(std::string attribute);
  static Value Opaque(std::shared_ptr<const OpaqueValue> value);
  // A view of a JSON node (numbers without fraction or exponent become int when they fit in
  // int64, other numbers double). `owner` keeps the node's document alive.
  static Value FromJson(const kubewarden::json::Value& node, std::shared_ptr<const void> owner);

  Kind kind() const { return kind_; }
  bool IsError() const { return kind_ == Kind::kError; }
  bool IsUnknown() const { return kind_ == Kind::kUnknown; }
  // Error or unknown: what strict functions propagate instead of running.
  bool IsErrorOrUnknown() const { return kind_ == Kind::kError || kind_ == Kind::kUnknown; }
  bool IsBool(bool b) const { return kind_ == Kind::kBool && u_.b == b; }

  // Accessors: each requires the matching kind.
  bool bool_value() const { return u_.b; }
  std::int64_t int_value() const { return u_.i; }
  std::uint64_t uint_value() const { return u_.u; }
  double double_value() const { return u_.d; }
  // string, bytes: the contents; type: the name; error: the message; unknown: the attribute.
  std::string_view text() const { return text_; }
  std::int64_t timestamp_seconds() const { return u_.i; }
  std::int32_t timestamp_nanos() const { return nanos_; }
  std::int64_t duration_nanos() const { return u_.i; }
  const OpaqueValue& opaque() const { return *static_cast<const OpaqueValue*>(u_.p); }

  // The CEL type name of this value (an opaque value's own name).
  std::string_view TypeName() const;

  // Lists. ListAt requires index < ListSize(); it is O(index) for JSON arrays (iterate with
  // ListIterator instead).
  std::size_t ListSize() const;
  Value ListAt(std::size_t index) const;

  // Maps. Lookups use CEL key equality: 1, 1u and 1.0 find the same entry. nullopt when the
  // key is absent (or of a kind no map key can have).
  std::size_t MapSize() const;
  std::optional<Value> MapFind(const Value& key) const;
  std::optional<Value> MapFind(std::string_view key) const;

  // Appends to a list (which must be a list): in place when this handle is the list's only
  // owner (a comprehension's accumulator), else into a copy. Keeps `map`/`filter` linear.
  void ListAppend(Value element);

 private:
  friend class ListIterator;
  friend class MapIterator;
  enum class Rep : std::uint8_t { kNative, kJson };

  Kind kind_ = Kind::kNull;
  Rep rep_ = Rep::kNative;
  std::int32_t nanos_ = 0;
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
    const void* p;  // list/map data (native or JSON node), opaque value
  } u_{.i = 0};
  std::string_view text_;
  std::shared_ptr<const void> owner_;
};

// Walks a list's elements in order.
class ListIterator {
 public:
  explicit ListIterator(const Value& list);
  // The next element, or false at the end.
  bool Next(Value& element);

 private:
  const Value& list_;
  std::size_t index_ = 0;
  const void* json_next_ = nullptr;
};

// Walks a map's entries in insertion (JSON: document) order.
class MapIterator {
 public:
  explicit MapIterator(const Value& map);
  bool Next(Value& key, Value& value);

 private:
  const Value& map_;
  std::size_t index_ = 0;
  const void* json_next_ = nullptr;
};

// CEL equality (the `==` operator on two values that are neither error nor unknown):
// heterogeneous numbers compare by value (1 == 1u == 1.0), values of different kinds are
// unequal, lists and maps compare element-wise, NaN equals nothing.
bool Equal(const Value& a, const Value& b);
// Equal within a work budget: each value visited takes one unit from `budget`; nullopt once it
// runs out (what the evaluator turns into its cost-limit error). Map comparisons sort large maps
// instead of scanning them per key, so the work stays O(n log n).
std::optional<bool> EqualWithin(const Value& a, const Value& b, std::uint64_t& budget);

// CEL ordering for `<` `<=` `>` `>=`: numbers across int/uint/double, and two strings, bytes,
// bools, timestamps or durations. nullopt when the kinds have no ordering ("no such overload");
// unordered for NaN.
std::optional<std::partial_ordering> Compare(const Value& a, const Value& b);

// A CEL-literal-like text of a value (recursive: for messages about and tests of values of
// bounded depth): 1, 1u, 1.5, "s", b"\x00",
// [1, 2], {"a": 1}, timestamp("2009-02-13T23:31:30Z"), duration("1.5s"), int, error("...").
std::string DebugString(const Value& value);

// Parses JSON text into a value backed by its own copy of the text (see Value::FromJson).
// Errors read like serde_json's ("expected `,` or `}` at line 1 column 17").
std::expected<Value, std::string> ParseJson(std::string_view text);

// Writes a value as JSON: timestamps as RFC 3339 strings, durations as "1.5s", bytes in
// base64, map keys as strings. Errors for error/unknown/opaque/type values, non-finite
// doubles and nesting deeper than `max_depth` (it recurses: mind a wasm32 policy's stack).
std::expected<std::string, std::string> ToJson(const Value& value, std::size_t max_depth = 128);

}  // namespace kw::cel

#endif  // KW_CEL_VALUE_H_
