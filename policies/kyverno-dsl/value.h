// kyverno-dsl: the JSON value every component works on (the policy, the AdmissionRequest, the
// JMESPath results). Immutable containers shared by reference: JMESPath projections and
// pattern checks pass sub-trees around far more often than they build new ones. Objects keep
// their keys sorted, as Go's map[string]interface{} marshals them, so output is deterministic.
//
// Containers parsed from JSON text (ParseJson) are lazy: they stay nodes of the SDK's parsed
// document until read. Find() converts only the member it returns and as_object()/as_array()
// one level, so a rule that reads three fields of a 5 KB Pod does not pay for the whole
// object. The conversions are cached in the shared container (values are therefore not safe
// to share between threads; the guest has one).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubewarden::json {
class Value;
}

namespace kyverno {

class Value;
using Array = std::vector<Value>;
using Object = std::map<std::string, Value, std::less<>>;

class Value {
 public:
  enum class Type : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : type_(Type::kBool), bool_(b) {}
  Value(double n) : type_(Type::kNumber), number_(n) {}
  Value(int n) : type_(Type::kNumber), number_(n) {}
  Value(std::int64_t n) : type_(Type::kNumber), number_(static_cast<double>(n)) {}
  Value(std::string s) : type_(Type::kString), data_(std::make_shared<const std::string>(std::move(s))) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(Array a);
  Value(Object o);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  const std::string& as_string() const { return is_string() ? Data<std::string>() : Empty<std::string>(); }
  const Array& as_array() const { return is_array() ? Elements() : Empty<Array>(); }
  const Object& as_object() const { return is_object() ? Members() : Empty<Object>(); }

  // The number of nodes the value stands for when written out (containers share their
  // elements, so a few JMESPath steps like `[@, @] | [@, @]` double it cheaply); saturates.
  // Computed on first use (only JMESPath results need it): building a container from a lazy
  // request must not walk the whole request.
  std::uint64_t weight() const { return lazy_ ? LazyWeight() : weight_ != 0 ? weight_ : ContainerWeight(); }

  // The member `key` of an object, or nullptr (also for non-objects).
  const Value* Find(std::string_view key) const;
  // Follows a dotted path of object keys ("metadata.name"); nullptr when absent.
  const Value* Path(std::string_view dotted) const;
  // Convenience: the string at `key`, "" when absent or not a string.
  std::string_view StringAt(std::string_view key) const;

 private:
  friend struct LazyNode;
  const Array& Elements() const;
  const Object& Members() const;
  std::uint64_t LazyWeight() const;
  std::uint64_t ContainerWeight() const;

  template <typename T>
  static const T& Empty() {
    static const T empty;
    return empty;
  }
  template <typename T>
  const T& Data() const {
    return *static_cast<const T*>(data_.get());
  }
  // One shared pointer for the string, array or object (type_ says which; a LazyNode when
  // lazy_): values are copied and moved constantly, and each shared pointer costs on every copy.
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool lazy_ = false;
  double number_ = 0;
  std::shared_ptr<const void> data_;
  mutable std::uint64_t weight_ = 1;  // 0: a container's, not computed yet
};

// Above this weight a JMESPath result is refused: writing it out or walking it would take
// unbounded time and memory.
inline constexpr std::uint64_t kMaxValueWeight = 1u << 22;

// JMESPath's type names: null, boolean, number, string, array, object.
const char* TypeName(const Value& v);
// JMESPath truthiness: false, null, "", [] and {} are false.
bool Truthy(const Value& v);
// How Go's encoding/json names a JSON value's type in its errors: bool, number, string,
// array, object (null for null).
const char* GoJsonTypeName(const Value& v);
// Deep equality (numbers by value).
bool Equal(const Value& a, const Value& b);

// JSON text as Go's encoding/json writes it (sorted keys, integral numbers without a fraction,
// no HTML escaping).
std::string ToJson(const Value& v);
void AppendJson(std::string& out, const Value& v);
// A number as Go's encoding/json writes a float64.
std::string FormatNumber(double n);
// Go's fmt %v of a number as Kyverno holds it: integral values as int64 ("1000000"), others
// as float64 ("1.5", "1.5e+06", "1e-05").
std::string GoFormatFloat(double n);
// Go's fmt %v of the unstructured value (map[a:1 b:x], [a b], <nil>): Kyverno's pattern errors
// print values this way.
std::string GoString(const Value& v);

// Parses JSON text (copied: the value does not borrow `text`); containers are lazy. On failure
// returns false and sets `error`.
bool ParseJson(std::string_view text, Value* out, std::string* error);
// The same without the copy: `text` must outlive `out` and every value read from it (the
// policy's payload, which lives for the whole call).
bool ParseJsonBorrowed(std::string_view text, Value* out, std::string* error);

}  // namespace kyverno
