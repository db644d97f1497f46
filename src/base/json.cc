#include "base/json.h"

#include <charconv>
#include <cmath>
#include <unordered_set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

namespace kw {
namespace {

// Builds a json::value as Boost.JSON's own parser does, except for floating-point numbers.
// Boost 1.81 computes those with a fast method that is not always correctly rounded, turns
// `0e400` into NaN and `1e400` into infinity (which it then serializes as invalid JSON). Here
// each one is re-read from its text with std::from_chars, correctly rounded like serde_json and
// simdjson; an underflow gives a signed zero, and an overflow is an error, as in serde_json.
class ValueBuilder {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  explicit ValueBuilder(DuplicateKeys duplicates)
      : refuse_duplicates_(duplicates == DuplicateKeys::kRefuse) {}

  json::value Release() { return stack_.release(); }
  // Why the handler stopped the parse, when it did.
  const std::string& failure() const { return failure_; }

  bool on_document_begin(json::error_code&) {
    stack_.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (refuse_duplicates_) open_objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    if (refuse_duplicates_) open_objects_.pop_back();
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (refuse_duplicates_) key_.append(s.data(), s.size());
    stack_.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    if (refuse_duplicates_) {
      key_.append(s.data(), s.size());
      // The keys of the objects still open: as much memory as their text, freed at their end.
      if (!open_objects_.back().insert(key_).second) {
        failure_ = "duplicate key '" + key_ + "'";
        ec = json::error::syntax;
        return false;
      }
      key_.clear();
    }
    stack_.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double estimate, json::string_view last_part, json::error_code& ec) {
    number_.append(last_part.data(), last_part.size());
    double d = 0;
    const auto [end, error] = std::from_chars(number_.data(), number_.data() + number_.size(), d);
    if (error == std::errc::result_out_of_range) {
      // Boost's estimate tells an underflow (below 1 in magnitude) from an overflow.
      if (!(std::isfinite(estimate) && std::fabs(estimate) < 1)) {
        failure_ = "number out of range";
        ec = json::error::exponent_overflow;
        return false;
      }
      d = number_.front() == '-' ? -0.0 : 0.0;
    } else if (error != std::errc() || end != number_.data() + number_.size()) {
      d = estimate;  // not reached: Boost validated the grammar, which from_chars accepts
    }
    number_.clear();
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  json::value_stack stack_;
  std::string number_;  // the text of the number being read, when it comes in parts
  std::string failure_;
  bool refuse_duplicates_;
  std::string key_;  // the key being read, when duplicates are refused
  std::vector<std::unordered_set<std::string>> open_objects_;
};

// "line L column C" of byte `offset` of `text`, both counted from 1.
std::string Location(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + " column " + std::to_string(column);
}

}  // namespace

Result<json::value> ParseJson(std::string_view text, std::string_view what, JsonLimits limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  json::basic_parser<ValueBuilder> parser(options, limits.duplicates);
  json::error_code ec;
  const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) ec = json::error::extra_data;
  if (ec) {
    std::string reason =
        parser.handler().failure().empty() ? ec.message() : parser.handler().failure();
    if (ec == json::error::too_deep) reason = "nesting is too deep";  // Boost says "too deep"
    return Fail(ErrorKind::kInvalidArgument,
                std::string(what) + ": " + reason + " at " + Location(text, consumed));
  }
  return parser.handler().Release();
}

std::string ToJson(const json::value& value) { return json::serialize(value); }

const json::value* FindKey(const json::value& value, std::string_view key) {
  const auto* obj = value.if_object();
  if (!obj) return nullptr;
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &it->value();
}

const json::value* FindPath(const json::value& value, std::initializer_list<std::string_view> path) {
  const json::value* current = &value;
  for (std::string_view key : path) {
    current = FindKey(*current, key);
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::string StringAt(const json::value& value, std::initializer_list<std::string_view> path) {
  const json::value* found = FindPath(value, path);
  return found != nullptr && found->is_string() ? std::string(found->as_string()) : std::string();
}

}  // namespace kw
