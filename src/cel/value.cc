#include "cel/value.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "cel/text.h"
#include "cel/time.h"
#include "kubewarden/json.h"

namespace kw::cel {
namespace {

namespace json = kubewarden::json;

struct ListData {
  std::vector<Value> elements;
};
struct MapData {
  std::vector<std::pair<Value, Value>> entries;
};
// A parsed JSON text and its document (whose strings may point into the text).
struct JsonHolder {
  std::string text;
  json::Document doc;
};

const json::Value* JsonNode(const void* p) { return static_cast<const json::Value*>(p); }

const json::Value* NextSibling(const json::Value* node) {
  json::ChildIterator<const json::Value> it(node);
  ++it;
  return it == json::ChildIterator<const json::Value>(nullptr) ? nullptr : &*it;
}

bool IsKeyKind(Kind k) {
  return k == Kind::kBool || k == Kind::kInt || k == Kind::kUint || k == Kind::kString;
}

// Numbers compared by value across int, uint and double.
std::partial_ordering CompareNumbers(const Value& a, const Value& b) {
  auto cmp_int_uint = [](std::int64_t i, std::uint64_t u) -> std::partial_ordering {
    if (i < 0) return std::partial_ordering::less;
    return static_cast<std::uint64_t>(i) <=> u;
  };
  // An integer against a double: exact, without rounding the integer to a double first.
  auto cmp_int_double = [](std::int64_t i, double d) -> std::partial_ordering {
    if (std::isnan(d)) return std::partial_ordering::unordered;
    if (d >= 9223372036854775808.0) return std::partial_ordering::less;
    if (d < -9223372036854775808.0) return std::partial_ordering::greater;
    double t = std::trunc(d);
    auto ti = static_cast<std::int64_t>(t);
    if (i != ti) return i <=> ti;
    return 0.0 <=> d - t;
  };
  auto cmp_uint_double = [](std::uint64_t u, double d) -> std::partial_ordering {
    if (std::isnan(d)) return std::partial_ordering::unordered;
    if (d >= 18446744073709551616.0) return std::partial_ordering::less;
    if (d < 0) return std::partial_ordering::greater;
    double t = std::trunc(d);
    auto tu = static_cast<std::uint64_t>(t);
    if (u != tu) return u <=> tu;
    return 0.0 <=> d - t;
  };
  auto flip = [](std::partial_ordering o) -> std::partial_ordering {
    if (o == std::partial_ordering::less) return std::partial_ordering::greater;
    if (o == std::partial_ordering::greater) return std::partial_ordering::less;
    return o;
  };
  switch (a.kind()) {
    case Kind::kInt:
      if (b.kind() == Kind::kInt) return a.int_value() <=> b.int_value();
      if (b.kind() == Kind::kUint) return cmp_int_uint(a.int_value(), b.uint_value());
      return cmp_int_double(a.int_value(), b.double_value());
    case Kind::kUint:
      if (b.kind() == Kind::kUint) return a.uint_value() <=> b.uint_value();
      if (b.kind() == Kind::kInt) return flip(cmp_int_uint(b.int_value(), a.uint_value()));
      return cmp_uint_double(a.uint_value(), b.double_value());
    default:
      if (b.kind() == Kind::kDouble) return a.double_value() <=> b.double_value();
      if (b.kind() == Kind::kInt) return flip(cmp_int_double(b.int_value(), a.double_value()));
      return flip(cmp_uint_double(b.uint_value(), a.double_value()));
  }
}

bool IsNumber(Kind k) { return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble; }

// Map key equality: like Equal, but only between kinds a key can have (and doubles that a
// lookup may use).
bool KeyMatches(const Value& stored, const Value& key) {
  if (IsNumber(stored.kind()) && IsNumber(key.kind())) return CompareNumbers(stored, key) == 0;
  if (stored.kind() != key.kind()) return false;
  if (stored.kind() == Kind::kString) return stored.text() == key.text();
  if (stored.kind() == Kind::kBool) return stored.bool_value() == key.bool_value();
  return false;
}

// A total order of map keys (bool < numbers < strings; numbers by value) for sorted lookups.
bool KeyLess(const Value& a, const Value& b) {
  auto rank = [](Kind k) { return k == Kind::kBool ? 0 : IsNumber(k) ? 1 : 2; };
  int ra = rank(a.kind()), rb = rank(b.kind());
  if (ra != rb) return ra < rb;
  if (ra == 0) return a.bool_value() < b.bool_value();
  if (ra == 1) return CompareNumbers(a, b) < 0;
  return a.text() < b.text();
}

// Whether two keys are equal under CEL equality: pairwise for small maps, sorted for large
// ones (a literal may have tens of thousands of entries).
bool HasRepeatedKey(const std::vector<std::pair<Value, Value>>& entries) {
  std::size_t n = entries.size();
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (KeyMatches(entries[j].first, entries[i].first)) return true;
    return false;
  }
  std::vector<const Value*> keys;
  keys.reserve(n);
  for (const auto& entry : entries) keys.push_back(&entry.first);
  std::sort(keys.begin(), keys.end(), [](const Value* a, const Value* b) { return KeyLess(*a, *b); });
  for (std::size_t i = 1; i < n; ++i)
    if (KeyMatches(*keys[i - 1], *keys[i])) return true;
  return false;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null_type";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kUint: return "uint";
    case Kind::kDouble: return "double";
    case Kind::kString: return "string";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
    case Kind::kTimestamp: return "google.protobuf.Timestamp";
    case Kind::kDuration: return "google.protobuf.Duration";
    case Kind::kType: return "type";
    case Kind::kError: return "error";
    case Kind::kUnknown: return "unknown";
    case Kind::kOpaque: return "opaque";
  }
  return "unknown";
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.u_.b = b;
  return v;
}
Value Value::Int(std::int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.u_.i = i;
  return v;
}
Value Value::Uint(std::uint64_t u) {
  Value v;
  v.kind_ = Kind::kUint;
  v.u_.u = u;
  return v;
}
Value Value::Double(double d) {
  Value v;
  v.kind_ = Kind::kDouble;
  v.u_.d = d;
  return v;
}

Value Value::String(std::string s) {
  auto holder = std::make_shared<const std::string>(std::move(s));
  std::string_view view = *holder;
  return StringView(view, std::move(holder));
}
Value Value::StringView(std::string_view s, std::shared_ptr<const void> owner) {
  Value v;
  v.kind_ = Kind::kString;
  v.text_ = s;
  v.owner_ = std::move(owner);
  return v;
}
Value Value::Bytes(std::string b) {
  Value v = String(std::move(b));
  v.kind_ = Kind::kBytes;
  return v;
}
Value Value::Error(std::string message) {
  Value v = String(std::move(message));
  v.kind_ = Kind::kError;
  return v;
}
Value Value::Unknown(std::string attribute) {
  Value v = String(std::move(attribute));
  v.kind_ = Kind::kUnknown;
  return v;
}
Value Value::Type(std::string_view name) {
  Value v;
  v.kind_ = Kind::kType;
  v.text_ = name;
  return v;
}

Value Value::List(std::vector<Value> elements) {
  auto data = std::make_shared<ListData>(ListData{std::move(elements)});
  Value v;
  v.kind_ = Kind::kList;
  v.u_.p = data.get();
  v.owner_ = std::move(data);
  return v;
}

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  for (const auto& entry : entries)
    if (!IsKeyKind(entry.first.kind())) return Error("unsupported key type");
  if (HasRepeatedKey(entries)) return Error("Failed with repeated key");
  auto data = std::make_shared<const MapData>(MapData{std::move(entries)});
  Value v;
  v.kind_ = Kind::kMap;
  v.u_.p = data.get();
  v.owner_ = std::move(data);
  return v;
}

Value Value::Timestamp(std::int64_t seconds, std::int32_t nanos) {
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds || nanos < 0 || nanos > 999'999'999)
    return Error("timestamp out of range");
  Value v;
  v.kind_ = Kind::kTimestamp;
  v.u_.i = seconds;
  v.nanos_ = nanos;
  return v;
}

Value Value::Duration(std::int64_t nanos) {
  Value v;
  v.kind_ = Kind::kDuration;
  v.u_.i = nanos;
  return v;
}

Value Value::Opaque(std::shared_ptr<const OpaqueValue> value) {
  Value v;
  v.kind_ = Kind::kOpaque;
  v.u_.p = value.get();
  v.owner_ = std::move(value);
  return v;
}

Value Value::FromJson(const json::Value& node, std::shared_ptr<const void> owner) {
  switch (node.type()) {
    case json::Type::kNull: return Null();
    case json::Type::kBool: return Bool(*node.AsBool());
    case json::Type::kNumber:
      if (node.IsInteger()) {
        if (auto i = node.AsInt64()) return Int(*i);
      }
      return Double(node.AsDouble().value_or(0));
    case json::Type::kString: return StringView(*node.AsString(), std::move(owner));
    case json::Type::kArray:
    case json::Type::kObject: {
      Value v;
      v.kind_ = node.type() == json::Type::kArray ? Kind::kList : Kind::kMap;
      v.rep_ = Rep::kJson;
      v.u_.p = &node;
      v.owner_ = std::move(owner);
      return v;
    }
  }
  return Null();
}

std::string_view Value::TypeName() const {
  if (kind_ == Kind::kOpaque) return opaque().TypeName();
  return KindName(kind_);
}

std::size_t Value::ListSize() const {
  if (rep_ == Rep::kJson) return JsonNode(u_.p)->size();
  return static_cast<const ListData*>(u_.p)->elements.size();
}

Value Value::ListAt(std::size_t index) const {
  if (rep_ == Rep::kJson) return FromJson(*JsonNode(u_.p)->At(index), owner_);
  return static_cast<const ListData*>(u_.p)->elements[index];
}

void Value::ListAppend(Value element) {
  if (rep_ == Rep::kNative && owner_.use_count() == 1) {
    // Created non-const in Value::List, so writing through it is sound.
    const_cast<ListData*>(static_cast<const ListData*>(u_.p))->elements.push_back(std::move(element));
    return;
  }
  std::vector<Value> copy;
  copy.reserve(ListSize() + 1);
  ListIterator it(*this);
  Value e;
  while (it.Next(e)) copy.push_back(std::move(e));
  copy.push_back(std::move(element));
  *this = List(std::move(copy));
}

std::size_t Value::MapSize() const {
  if (rep_ == Rep::kJson) return JsonNode(u_.p)->size();
  return static_cast<const MapData*>(u_.p)->entries.size();
}

std::optional<Value> Value::MapFind(std::string_view key) const {
  if (rep_ == Rep::kJson) {
    const json::Value* found = JsonNode(u_.p)->Find(key);
    if (found == nullptr) return std::nullopt;
    return FromJson(*found, owner_);
  }
  for (const auto& [k, v] : static_cast<const MapData*>(u_.p)->entries)
    if (k.kind() == Kind::kString && k.text() == key) return v;
  return std::nullopt;
}

std::optional<Value> Value::MapFind(const Value& key) const {
  if (key.kind() == Kind::kString) return MapFind(key.text());
  if (rep_ == Rep::kJson) return std::nullopt;  // JSON keys are strings
  if (!IsKeyKind(key.kind()) && key.kind() != Kind::kDouble) return std::nullopt;
  for (const auto& [k, v] : static_cast<const MapData*>(u_.p)->entries)
    if (KeyMatches(k, key)) return v;
  return std::nullopt;
}

ListIterator::ListIterator(const Value& list) : list_(list) {
  if (list.rep_ == Value::Rep::kJson) {
    const json::Value* node = JsonNode(list.u_.p);
    json_next_ = node->empty() ? nullptr : &*node->begin();
  }
}

bool ListIterator::Next(Value& element) {
  if (list_.rep_ == Value::Rep::kJson) {
    if (json_next_ == nullptr) return false;
    const json::Value* node = JsonNode(json_next_);
    element = Value::FromJson(*node, list_.owner_);
    json_next_ = NextSibling(node);
    return true;
  }
  const auto& elements = static_cast<const ListData*>(list_.u_.p)->elements;
  if (index_ >= elements.size()) return false;
  element = elements[index_++];
  return true;
}

MapIterator::MapIterator(const Value& map) : map_(map) {
  if (map.rep_ == Value::Rep::kJson) {
    const json::Value* node = JsonNode(map.u_.p);
    json_next_ = node->empty() ? nullptr : &*node->begin();
  }
}

bool MapIterator::Next(Value& key, Value& value) {
  if (map_.rep_ == Value::Rep::kJson) {
    if (json_next_ == nullptr) return false;
    const json::Value* node = JsonNode(json_next_);
    key = Value::StringView(node->key(), map_.owner_);
    value = Value::FromJson(*node, map_.owner_);
    json_next_ = NextSibling(node);
    return true;
  }
  const auto& entries = static_cast<const MapData*>(map_.u_.p)->entries;
  if (index_ >= entries.size()) return false;
  key = entries[index_].first;
  value = entries[index_].second;
  ++index_;
  return true;
}

namespace {

bool Spend(std::uint64_t& budget, std::uint64_t units) {
  if (budget < units) {
    budget = 0;
    return false;
  }
  budget -= units;
  return true;
}

// Values still to compare. Equality walks containers with this explicit stack, not by
// recursion: JSON documents may nest 1024 deep, more than a policy's stack holds.
using Pending = std::vector<std::pair<Value, Value>>;

// Queues the entries of two maps of equal size for comparison; false when their keys differ.
std::optional<bool> QueueMaps(const Value& a, const Value& b, std::uint64_t& budget, Pending& pending) {
  std::size_t n = a.MapSize();
  Value k, v;
  if (n <= 8) {
    MapIterator it(a);
    while (it.Next(k, v)) {
      if (!Spend(budget, n)) return std::nullopt;
      auto other = b.MapFind(k);
      if (!other) return false;
      pending.emplace_back(std::move(v), std::move(*other));
    }
    return true;
  }
  // Large maps: sorted once, then binary searched, instead of a scan per key.
  if (!Spend(budget, 2 * n * (1 + std::bit_width(n)))) return std::nullopt;
  std::vector<std::pair<Value, Value>> sorted;
  sorted.reserve(n);
  MapIterator ib(b);
  while (ib.Next(k, v)) sorted.emplace_back(k, v);
  std::sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return KeyLess(x.first, y.first); });
  MapIterator ia(a);
  while (ia.Next(k, v)) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), k,
                               [](const auto& entry, const Value& key) { return KeyLess(entry.first, key); });
    if (it == sorted.end() || !KeyMatches(it->first, k)) return false;
    pending.emplace_back(std::move(v), it->second);
  }
  return true;
}

// Compares two values without looking into lists and maps, which it queues instead.
std::optional<bool> EqualShallow(const Value& a, const Value& b, std::uint64_t& budget, Pending& pending) {
  if (!Spend(budget, 1)) return std::nullopt;
  if (IsNumber(a.kind()) && IsNumber(b.kind())) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull: return true;
    case Kind::kBool: return a.bool_value() == b.bool_value();
    case Kind::kString:
    case Kind::kBytes:
      if (!Spend(budget, a.text().size() / 64)) return std::nullopt;
      return a.text() == b.text();
    case Kind::kType: return a.text() == b.text();
    case Kind::kTimestamp:
      return a.timestamp_seconds() == b.timestamp_seconds() && a.timestamp_nanos() == b.timestamp_nanos();
    case Kind::kDuration: return a.duration_nanos() == b.duration_nanos();
    case Kind::kList: {
      if (a.ListSize() != b.ListSize()) return false;
      ListIterator ia(a), ib(b);
      Value x, y;
      while (ia.Next(x) && ib.Next(y)) pending.emplace_back(std::move(x), std::move(y));
      return true;
    }
    case Kind::kMap:
      if (a.MapSize() != b.MapSize()) return false;
      return QueueMaps(a, b, budget, pending);
    case Kind::kOpaque: return a.opaque().Equals(b.opaque());
    default: return false;
  }
}

}  // namespace

std::optional<bool> EqualWithin(const Value& a, const Value& b, std::uint64_t& budget) {
  Pending pending;
  auto eq = EqualShallow(a, b, budget, pending);
  while (eq && *eq && !pending.empty()) {
    auto [x, y] = std::move(pending.back());
    pending.pop_back();
    eq = EqualShallow(x, y, budget, pending);
  }
  return eq;
}

bool Equal(const Value& a, const Value& b) {
  std::uint64_t unlimited = UINT64_MAX;
  return EqualWithin(a, b, unlimited).value_or(false);
}

std::optional<std::partial_ordering> Compare(const Value& a, const Value& b) {
  if (IsNumber(a.kind()) && IsNumber(b.kind())) return CompareNumbers(a, b);
  if (a.kind() != b.kind()) return std::nullopt;
  switch (a.kind()) {
    case Kind::kBool: return a.bool_value() <=> b.bool_value();
    case Kind::kString:
    case Kind::kBytes: {
      int c = a.text().compare(b.text());  // byte order = code point order for UTF-8
      return c <=> 0;
    }
    case Kind::kTimestamp:
      if (a.timestamp_seconds() != b.timestamp_seconds()) return a.timestamp_seconds() <=> b.timestamp_seconds();
      return a.timestamp_nanos() <=> b.timestamp_nanos();
    case Kind::kDuration: return a.duration_nanos() <=> b.duration_nanos();
    default: return std::nullopt;
  }
}

std::string DebugString(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull: return "null";
    case Kind::kBool: return v.bool_value() ? "true" : "false";
    case Kind::kInt: return std::to_string(v.int_value());
    case Kind::kUint: return std::to_string(v.uint_value()) + "u";
    case Kind::kDouble: {
      std::string s = FormatDouble(v.double_value());
      if (s.find_first_of(".eIN") == std::string::npos) s += ".0";
      return s;
    }
    case Kind::kString: return QuoteString(v.text(), false);
    case Kind::kBytes: return QuoteString(v.text(), true);
    case Kind::kList: {
      std::string out = "[";
      ListIterator it(v);
      Value e;
      bool first = true;
      while (it.Next(e)) {
        if (!first) out += ", ";
        first = false;
        out += DebugString(e);
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      MapIterator it(v);
      Value k, e;
      bool first = true;
      while (it.Next(k, e)) {
        if (!first) out += ", ";
        first = false;
        out += DebugString(k) + ": " + DebugString(e);
      }
      return out + "}";
    }
    case Kind::kTimestamp:
      return "timestamp(\"" + FormatTimestamp({v.timestamp_seconds(), v.timestamp_nanos()}) + "\")";
    case Kind::kDuration: return "duration(\"" + FormatDuration(v.duration_nanos()) + "\")";
    case Kind::kType: return std::string(v.text());
    case Kind::kError: return "error(" + QuoteString(v.text(), false) + ")";
    case Kind::kUnknown: return "unknown(" + std::string(v.text()) + ")";
    case Kind::kOpaque: return v.opaque().DebugString();
  }
  return "?";
}

std::expected<Value, std::string> ParseJson(std::string_view text) {
  auto holder = std::make_shared<JsonHolder>();
  holder->text.assign(text);
  const json::Value* root = holder->doc.Parse(holder->text);
  if (root == nullptr) return std::unexpected(holder->doc.error());
  return Value::FromJson(*root, std::shared_ptr<const void>(holder, holder.get()));
}

namespace {

bool WriteJson(const Value& v, json::Writer& w, std::string& error, std::size_t depth) {
  if (depth == 0) {
    error = "nesting too deep for JSON";
    return false;
  }
  switch (v.kind()) {
    case Kind::kNull: w.Null(); return true;
    case Kind::kBool: w.Bool(v.bool_value()); return true;
    case Kind::kInt: w.Int(v.int_value()); return true;
    case Kind::kUint: w.Uint(v.uint_value()); return true;
    case Kind::kDouble: {
      double d = v.double_value();
      if (!std::isfinite(d)) {
        error = "cannot write " + FormatDouble(d) + " as JSON";
        return false;
      }
      w.Raw(FormatJsonDouble(d));
      return true;
    }
    case Kind::kString: w.String(v.text()); return true;
    case Kind::kBytes: w.String(Base64Encode(v.text())); return true;
    case Kind::kTimestamp: w.String(FormatTimestamp({v.timestamp_seconds(), v.timestamp_nanos()})); return true;
    case Kind::kDuration: w.String(FormatDuration(v.duration_nanos())); return true;
    case Kind::kList: {
      w.BeginArray();
      ListIterator it(v);
      Value e;
      while (it.Next(e))
        if (!WriteJson(e, w, error, depth - 1)) return false;
      w.EndArray();
      return true;
    }
    case Kind::kMap: {
      w.BeginObject();
      MapIterator it(v);
      Value k, e;
      while (it.Next(k, e)) {
        switch (k.kind()) {
          case Kind::kString: w.Key(k.text()); break;
          case Kind::kBool: w.Key(k.bool_value() ? "true" : "false"); break;
          case Kind::kInt: w.Key(std::to_string(k.int_value())); break;
          default: w.Key(std::to_string(k.uint_value())); break;
        }
        if (!WriteJson(e, w, error, depth - 1)) return false;
      }
      w.EndObject();
      return true;
    }
    default:
      error = "cannot write a value of type " + std::string(v.TypeName()) + " as JSON";
      return false;
  }
}

}  // namespace

std::expected<std::string, std::string> ToJson(const Value& value, std::size_t max_depth) {
  std::string out, error;
  json::Writer w(out);
  if (!WriteJson(value, w, error, max_depth)) return std::unexpected(error);
  return out;
}

}  // namespace kw::cel
