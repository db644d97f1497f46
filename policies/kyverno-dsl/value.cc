#include "value.h"

#include <kubewarden/json.h>


#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <forward_list>

namespace kyverno {

namespace {
std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

std::uint64_t CountNodes(const kubewarden::json::Value& node) {
  std::uint64_t n = 1;
  for (const kubewarden::json::Value& child : node) n += CountNodes(child);
  return n;
}
}  // namespace

// The parsed text (unless borrowed) and the SDK document whose nodes lazy values point into.
struct JsonSource {
  std::string text;
  kubewarden::json::Document document;
};

// A container still in the SDK's document. `members` caches the members Find() returned (a
// forward_list: the returned pointers must stay valid as it grows); `whole` the Array or Object
// once as_array()/as_object() converted the level.
struct LazyNode {
  std::shared_ptr<const JsonSource> source;
  const kubewarden::json::Value* node;
  mutable std::forward_list<std::pair<const kubewarden::json::Value*, Value>> members;
  mutable std::shared_ptr<const void> whole;
  mutable std::uint64_t weight = 0;

  // Scalars are converted now (they are small); containers become lazy values.
  static Value Wrap(const std::shared_ptr<const JsonSource>& source, const kubewarden::json::Value& node) {
    using kubewarden::json::Type;
    switch (node.type()) {
      case Type::kNull: return Value();
      case Type::kBool: return Value(*node.AsBool());
      case Type::kNumber: return Value(node.AsDouble().value_or(0));
      case Type::kString: return Value(*node.AsString());
      case Type::kArray:
      case Type::kObject: break;
    }
    Value v;
    v.type_ = node.IsArray() ? Value::Type::kArray : Value::Type::kObject;
    v.lazy_ = true;
    v.data_ = std::make_shared<const LazyNode>(LazyNode{source, &node, {}, {}, 0});
    return v;
  }

  const Value* Find(std::string_view key) const {
    if (whole != nullptr) {
      const Object& o = *static_cast<const Object*>(whole.get());
      auto it = o.find(key);
      return it == o.end() ? nullptr : &it->second;
    }
    // Go keeps the last of duplicate keys.
    const kubewarden::json::Value* hit = nullptr;
    for (const kubewarden::json::Value& m : *node) {
      if (m.key() == key) hit = &m;
    }
    if (hit == nullptr) return nullptr;
    for (const auto& [n, v] : members) {
      if (n == hit) return &v;
    }
    members.emplace_front(hit, Wrap(source, *hit));
    return &members.front().second;
  }

  const void* Whole() const {
    if (whole == nullptr) {
      if (node->IsArray()) {
        Array a;
        a.reserve(node->size());
        for (const kubewarden::json::Value& e : *node) a.push_back(Wrap(source, e));
        whole = std::make_shared<const Array>(std::move(a));
      } else {
        Object o;
        for (const kubewarden::json::Value& m : *node) {
          // Members Find() returned keep their conversion (and its cached levels).
          const Value* found = nullptr;
          for (const auto& [n, v] : members) found = n == &m ? &v : found;
          o.insert_or_assign(std::string(m.key()), found != nullptr ? *found : Wrap(source, m));
        }
        whole = std::make_shared<const Object>(std::move(o));
      }
    }
    return whole.get();
  }
};

Value::Value(Array a) : type_(Type::kArray), data_(std::make_shared<const Array>(std::move(a))), weight_(0) {}

Value::Value(Object o) : type_(Type::kObject), data_(std::make_shared<const Object>(std::move(o))), weight_(0) {}

std::uint64_t Value::ContainerWeight() const {
  // The elements cache their own weights, so values sharing sub-trees are summed once per
  // distinct sub-tree, and JMESPath, which checks every intermediate result, recurses one level.
  std::uint64_t weight = 1;
  if (is_array()) {
    for (const Value& e : Data<Array>()) weight = SaturatingAdd(weight, e.weight());
  } else {
    for (const auto& [k, e] : Data<Object>()) weight = SaturatingAdd(weight, e.weight());
  }
  weight_ = weight;
  return weight;
}

const Array& Value::Elements() const {
  if (!lazy_) return Data<Array>();
  return *static_cast<const Array*>(Data<LazyNode>().Whole());
}

const Object& Value::Members() const {
  if (!lazy_) return Data<Object>();
  return *static_cast<const Object*>(Data<LazyNode>().Whole());
}

std::uint64_t Value::LazyWeight() const {
  const LazyNode& lazy = Data<LazyNode>();
  if (lazy.weight == 0) lazy.weight = CountNodes(*lazy.node);
  return lazy.weight;
}

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  if (lazy_) return Data<LazyNode>().Find(key);
  const Object& o = Data<Object>();
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->second;
}

const Value* Value::Path(std::string_view dotted) const {
  const Value* v = this;
  while (v != nullptr && !dotted.empty()) {
    std::size_t dot = dotted.find('.');
    v = v->Find(dotted.substr(0, dot));
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return v;
}

std::string_view Value::StringAt(std::string_view key) const {
  const Value* v = Find(key);
  return v != nullptr && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

const char* TypeName(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull: return "null";
    case Value::Type::kBool: return "boolean";
    case Value::Type::kNumber: return "number";
    case Value::Type::kString: return "string";
    case Value::Type::kArray: return "array";
    case Value::Type::kObject: return "object";
  }
  return "null";
}

const char* GoJsonTypeName(const Value& v) {
  switch (v.type()) {
    case Value::Type::kBool: return "bool";
    case Value::Type::kNumber: return "number";
    case Value::Type::kString: return "string";
    case Value::Type::kArray: return "array";
    case Value::Type::kObject: return "object";
    default: return "null";
  }
}

bool Truthy(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull: return false;
    case Value::Type::kBool: return v.as_bool();
    case Value::Type::kNumber: return true;
    case Value::Type::kString: return !v.as_string().empty();
    case Value::Type::kArray: return !v.as_array().empty();
    case Value::Type::kObject: return !v.as_object().empty();
  }
  return false;
}

bool Equal(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kNull: return true;
    case Value::Type::kBool: return a.as_bool() == b.as_bool();
    case Value::Type::kNumber: return a.as_number() == b.as_number();
    case Value::Type::kString: return a.as_string() == b.as_string();
    case Value::Type::kArray: {
      const Array& x = a.as_array();
      const Array& y = b.as_array();
      if (&x == &y) return true;  // shared: JMESPath results often are
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!Equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Value::Type::kObject: {
      const Object& x = a.as_object();
      const Object& y = b.as_object();
      if (&x == &y) return true;
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->first != j->first || !Equal(i->second, j->second)) return false;
      }
      return true;
    }
  }
  return false;
}

namespace {

// The shortest digits that read back as `n`, and the decimal exponent of the first one
// (n = d1.d2d3... × 10^exponent). Not std::to_chars: its shortest form links libc++'s ~100 KB
// of fixed-precision tables into the module.
struct Digits {
  bool negative = false;
  std::string digits;
  int exponent = 0;
};

// The exact decimal expansion of a finite positive double (every double is a finite decimal):
// its significand times 2^e as a base-10^9 big number, multiplied out. Used instead of
// snprintf("%.*e"), which links printf and the long double arithmetic behind it.
Digits ExactDigits(double a) {
  std::uint64_t bits = std::bit_cast<std::uint64_t>(a);
  int biased = static_cast<int>(bits >> 52 & 0x7FF);
  std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  if (biased != 0) mantissa |= std::uint64_t{1} << 52;
  int e2 = (biased == 0 ? 1 : biased) - 1075;  // a = mantissa * 2^e2
  constexpr std::uint32_t kBase = 1000000000;
  std::vector<std::uint32_t> limbs;  // little-endian, base 10^9
  for (std::uint64_t m = mantissa; m != 0; m /= kBase) limbs.push_back(static_cast<std::uint32_t>(m % kBase));
  auto multiply = [&](std::uint32_t factor) {
    std::uint64_t carry = 0;
    for (std::uint32_t& limb : limbs) {
      std::uint64_t v = std::uint64_t{limb} * factor + carry;
      limb = static_cast<std::uint32_t>(v % kBase);
      carry = v / kBase;
    }
    for (; carry != 0; carry /= kBase) limbs.push_back(static_cast<std::uint32_t>(carry % kBase));
  };
  // a = mantissa * 2^e2, or mantissa * 5^-e2 * 10^e2 for negative e2; by 2^29 or 5^13 at a
  // time (the largest powers whose product with a limb fits 64 bits).
  for (int left = e2 >= 0 ? e2 : -e2; left > 0;) {
    int step = std::min(left, e2 >= 0 ? 29 : 13);
    std::uint32_t factor = 1;
    for (int k = 0; k < step; ++k) factor *= e2 >= 0 ? 2 : 5;
    multiply(factor);
    left -= step;
  }
  Digits d;
  d.digits = std::to_string(limbs.back());
  for (std::size_t k = limbs.size() - 1; k-- > 0;) {
    std::string part = std::to_string(limbs[k]);
    d.digits.append(9 - part.size(), '0').append(part);
  }
  d.exponent = static_cast<int>(d.digits.size()) - 1 + (e2 < 0 ? e2 : 0);
  return d;
}

// `exact` rounded to `precision` significant digits, half to even (as printf's %.*e).
Digits RoundDigits(const Digits& exact, std::size_t precision) {
  Digits r = exact;
  if (r.digits.size() <= precision) return r;
  char next = r.digits[precision];
  bool rest = r.digits.find_first_not_of('0', precision + 1) != std::string::npos;
  r.digits.resize(precision);
  bool up = next > '5' || (next == '5' && (rest || (r.digits.back() - '0') % 2 == 1));
  if (!up) return r;
  std::size_t k = precision;
  while (k > 0 && r.digits[k - 1] == '9') r.digits[--k] = '0';
  if (k == 0) {
    r.digits.insert(r.digits.begin(), '1');
    r.digits.pop_back();
    ++r.exponent;
  } else {
    ++r.digits[k - 1];
  }
  return r;
}

Digits ShortestDigits(double n) {
  Digits d;
  d.negative = std::signbit(n);
  double a = std::fabs(n);
  if (a == std::trunc(a) && a < 9007199254740992.0) {
    // Integers below 2^53: their decimal digits, trailing zeros dropped.
    std::string digits = std::to_string(static_cast<long long>(a));
    d.exponent = static_cast<int>(digits.size()) - 1;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    d.digits = std::move(digits);
    return d;
  }
  // The fewest significant digits that read back as `a` (as Go's shortest formatting).
  Digits exact = ExactDigits(a);
  for (std::size_t precision = 1; precision <= 17; ++precision) {
    d = RoundDigits(exact, precision);
    std::string text = d.digits.substr(0, 1) + "." + d.digits.substr(1) + "e" + std::to_string(d.exponent);
    if (kubewarden::ParseDecimal(text).value == a) break;
  }
  d.negative = std::signbit(n);
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

std::string Fixed(const Digits& d) {
  std::string out = d.negative ? "-" : "";
  int point = d.exponent + 1;  // digits before the decimal point
  int count = static_cast<int>(d.digits.size());
  if (point <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-point), '0') + d.digits;
  } else if (point >= count) {
    out += d.digits + std::string(static_cast<std::size_t>(point - count), '0');
  } else {
    out += d.digits.substr(0, static_cast<std::size_t>(point)) + "." + d.digits.substr(static_cast<std::size_t>(point));
  }
  return out;
}

// Go's 'e' form: d.ddde±XX (at least two exponent digits).
std::string Exponent(const Digits& d) {
  std::string out = d.negative ? "-" : "";
  out += d.digits.substr(0, 1);
  if (d.digits.size() > 1) out += "." + d.digits.substr(1);
  out += d.exponent < 0 ? "e-" : "e+";
  int a = d.exponent < 0 ? -d.exponent : d.exponent;
  if (a < 10) out += '0';
  return out + std::to_string(a);
}

}  // namespace

std::string FormatNumber(double n) {
  if (std::isnan(n) || std::isinf(n)) return "null";
  if (n == 0) return "0";
  Digits d = ShortestDigits(n);
  double a = std::fabs(n);
  if (a >= 1e-6 && a < 1e21) return Fixed(d);
  std::string out = Exponent(d);
  // encoding/json writes e-07 as e-7.
  std::size_t e = out.find("e-0");
  if (e != std::string::npos && out.size() == e + 4) out.erase(e + 2, 1);
  return out;
}

std::string GoFormatFloat(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "+Inf" : "-Inf";
  if (n == 0) return std::signbit(n) ? "-0" : "0";
  // Integral values print as the int64 that Kubernetes' unstructured objects hold.
  if (n == std::trunc(n) && std::fabs(n) < 9.2e18) return std::to_string(static_cast<long long>(n));
  Digits d = ShortestDigits(n);
  // %v is %g with the shortest digits, whose exponent form starts below 1e-4 and from 1e6.
  if (d.exponent < -4 || d.exponent >= 6) return Exponent(d);
  return Fixed(d);
}

void AppendJson(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull: out += "null"; break;
    case Value::Type::kBool: out += v.as_bool() ? "true" : "false"; break;
    case Value::Type::kNumber: out += FormatNumber(v.as_number()); break;
    case Value::Type::kString: kubewarden::json::AppendQuoted(out, v.as_string()); break;
    case Value::Type::kArray: {
      out += '[';
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, e);
      }
      out += ']';
      break;
    }
    case Value::Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out += ',';
        first = false;
        kubewarden::json::AppendQuoted(out, k);
        out += ':';
        AppendJson(out, e);
      }
      out += '}';
      break;
    }
  }
}

std::string ToJson(const Value& v) {
  std::string out;
  AppendJson(out, v);
  return out;
}

std::string GoString(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull: return "<nil>";
    case Value::Type::kBool: return v.as_bool() ? "true" : "false";
    case Value::Type::kNumber: return GoFormatFloat(v.as_number());
    case Value::Type::kString: return v.as_string();
    case Value::Type::kArray: {
      std::string out = "[";
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out += ' ';
        first = false;
        out += GoString(e);
      }
      return out + "]";
    }
    case Value::Type::kObject: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out += ' ';
        first = false;
        out += k + ":" + GoString(e);
      }
      return out + "]";
    }
  }
  return "";
}

namespace {
bool ParseInto(std::shared_ptr<JsonSource> source, std::string_view text, Value* out, std::string* error) {
  const kubewarden::json::Value* parsed = source->document.Parse(text);
  if (parsed == nullptr) {
    *error = source->document.error();
    return false;
  }
  *out = LazyNode::Wrap(source, *parsed);
  return true;
}
}  // namespace

bool ParseJson(std::string_view text, Value* out, std::string* error) {
  auto source = std::make_shared<JsonSource>();
  source->text.assign(text);
  return ParseInto(source, source->text, out, error);
}

bool ParseJsonBorrowed(std::string_view text, Value* out, std::string* error) {
  return ParseInto(std::make_shared<JsonSource>(), text, out, error);
}

}  // namespace kyverno
