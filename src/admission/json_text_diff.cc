// DiffParsedJson (json_patch.h): json_patch.cc's diff, walking JSON text instead of two DOMs.
//
// The walk mirrors DomDiff step for step, so that the patch is the same: objects pair their
// members in step over the common run of equal keys, then look the rest up by key; arrays pair
// elements by index, then add or remove the surplus. Keys are compared as their raw text,
// which equals the parsed key only without escapes, so an object with an escaped key is handed
// to the DOM diff whole. Whatever the walk cannot settle from bytes alone goes to the DOM diff
// too, parsed from its own text: scalars whose bytes differ (1.0 and 1 differ, "\u0041" and
// "A" do not), unless both are spelled the one way a value can be (short integers, plain
// strings, literals). Added and replacing values are parsed to be written as the DOM diff writes
// them, unless they are such scalars.
//
// Where a value ends is found by comparing it with the value the other side has there (equal
// bytes end alike); where they differ, a string or scalar is scanned, and a container's end is
// looked up in an index of the whole text (ContainerEnds), built on the first such lookup: one
// pass over each text, however deep the edits. The walk still reads the members of every object
// on the way to an edit, so a hostile answer nested hundreds deep could cost its size times its
// depth: the walk has a budget of bytes proportional to the input, and past it the whole diff
// goes to the DOM.
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "admission/json_patch.h"
#include "admission/json_patch_dom.h"
#include "admission/json_text.h"
#include "admission/request.h"
#include "admission/simdjson_dom.h"

namespace kw::admission {
namespace {

namespace dom = simdjson::dom;

struct TextMember {
  std::string_view key;    // its raw text, between the quotes
  std::string_view value;  // its text
  bool as_guessed = false;  // the value's bytes are those of the other side's at its index
};

struct TextElement {
  std::string_view value;
  bool as_guessed = false;  // (as TextMember's)
};

bool IsContainer(std::string_view value) { return value.front() == '{' || value.front() == '['; }

// One of the two texts being diffed, with the ends of its containers (found as they are asked).
class IndexedText {
 public:
  explicit IndexedText(std::string_view whole) : whole_(whole), ends_(whole) {}

  // One past the end of the value that starts at `text[pos]`, `text` being a part of this text
  // (kNoPos when there is none).
  std::size_t ValueEnd(std::string_view text, std::size_t pos) {
    if (pos >= text.size() || !IsContainer(text.substr(pos))) {
      const std::size_t end = SkipJsonValue(text, pos);
      return end == pos ? kNoPos : end;
    }
    const auto offset = static_cast<std::size_t>(text.data() - whole_.data());
    const std::size_t end = ends_.End(offset + pos);
    return end == kNoPos || end > offset + text.size() ? kNoPos : end - offset;
  }

 private:
  std::string_view whole_;
  ContainerEnds ends_;
};

// One past the end of the value that starts at `text[pos]` (kNoPos when there is none).
// `guess` is the text of the value the other side has there: when the bytes at `pos` are the
// same, the value ends where the guess does (a string or a container by its last byte, a number
// or a literal where a delimiter follows), and only the comparison is paid, not a scan;
// `as_guessed` then says so.
std::size_t ValueEnd(IndexedText& index, std::string_view text, std::size_t pos,
                     std::string_view guess, bool& as_guessed) {
  as_guessed = false;
  if (!guess.empty() && text.size() - pos >= guess.size() &&
      text.compare(pos, guess.size(), guess) == 0) {
    const std::size_t end = pos + guess.size();
    as_guessed = true;
    if (guess.front() == '"' || IsContainer(guess) || end == text.size()) return end;
    const char next = text[end];
    if (next == ',' || next == '}' || next == ']' || next == ' ' || next == '\t' ||
        next == '\n' || next == '\r') {
      return end;
    }
    as_guessed = false;
  }
  return index.ValueEnd(text, pos);
}

// Appends the members of the object text `object` ('{' first, its '}' last) to `out`, and says
// whether a key has an escape. `like` are the members of the object it is compared with, whose
// values guess where its own end (see ValueEnd). False when the text is not an object's.
bool ReadMembers(IndexedText& text, std::string_view object, std::vector<TextMember>& out,
                 bool& escaped_key, std::span<const TextMember> like = {}) {
  std::size_t pos = SkipJsonSpace(object, 1);
  if (pos + 1 == object.size() && object[pos] == '}') return true;
  for (std::size_t index = 0;; ++index) {
    bool escaped = false;
    const std::size_t key_end = SkipJsonString(object, pos, escaped);
    if (key_end == kNoPos) return false;
    const std::string_view key = object.substr(pos + 1, key_end - pos - 2);
    escaped_key = escaped_key || escaped;
    pos = SkipJsonSpace(object, key_end);
    if (pos >= object.size() || object[pos] != ':') return false;
    pos = SkipJsonSpace(object, pos + 1);
    bool as_guessed = false;
    const std::size_t value_end =
        ValueEnd(text, object, pos, index < like.size() ? like[index].value : std::string_view(),
                 as_guessed);
    if (value_end == kNoPos) return false;
    out.push_back({key, object.substr(pos, value_end - pos), as_guessed});
    pos = SkipJsonSpace(object, value_end);
    if (pos + 1 == object.size() && object[pos] == '}') return true;
    if (pos >= object.size() || object[pos] != ',') return false;
    pos = SkipJsonSpace(object, pos + 1);
  }
}

// Appends the elements of the array text `array` ('[' first, its ']' last) to `out`, with the
// elements of the array it is compared with as guesses. False when the text is not an array's.
bool ReadElements(IndexedText& text, std::string_view array, std::vector<TextElement>& out,
                  std::span<const TextElement> like = {}) {
  std::size_t pos = SkipJsonSpace(array, 1);
  if (pos + 1 == array.size() && array[pos] == ']') return true;
  for (std::size_t index = 0;; ++index) {
    bool as_guessed = false;
    const std::size_t end = ValueEnd(
        text, array, pos, index < like.size() ? like[index].value : std::string_view(),
        as_guessed);
    if (end == kNoPos) return false;
    out.push_back({array.substr(pos, end - pos), as_guessed});
    pos = SkipJsonSpace(array, end);
    if (pos + 1 == array.size() && array[pos] == ']') return true;
    if (pos >= array.size() || array[pos] != ',') return false;
    pos = SkipJsonSpace(array, pos + 1);
  }
}

// Bytes the walk may scan per byte of input: the walk of a policy's edit a few levels deep
// into an object scans it a few times.
constexpr std::size_t kScanBudgetPerByte = 8;

// Whether the scalar text `value` is written in a patch exactly as it is (AppendElementJson
// writes it so): a literal, a string of printable ASCII without escapes, or an integer of at most
// 18 digits without a sign of zero. Two such texts that differ are different values.
bool IsVerbatimScalar(std::string_view value) {
  if (value == "true" || value == "false" || value == "null") return true;
  if (value.front() == '"') {
    if (value.size() < 2 || value.back() != '"') return false;
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
      const char c = value[i];
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    }
    return true;
  }
  const std::string_view digits = value.front() == '-' ? value.substr(1) : value;
  if (digits.empty() || digits.size() > 18 || (digits.front() == '0' && value != "0")) {
    return false;
  }
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class TextDiff {
 public:
  // `from` and `to` are the whole texts whose parts Diff() is given.
  TextDiff(internal::PatchWriter& writer, std::string_view from, std::string_view to,
           std::size_t budget)
      : writer_(writer), from_(from), to_(to), budget_(budget) {}

  // Writes the operations that turn the value text `from` into `to`; false when a text turns
  // out not to be JSON or the budget runs out (some operations may have been written).
  bool Diff(std::string_view from, std::string_view to, std::size_t depth) {
    if (from.empty() || to.empty() || depth > kMaxJsonDepth) return false;
    if (from == to) return true;
    if (from.front() == '{' && to.front() == '{') return DiffObjects(from, to, depth);
    if (from.front() == '[' && to.front() == '[') return DiffArrays(from, to, depth);
    if (!IsContainer(from) && !IsContainer(to) &&
        !(IsVerbatimScalar(from) && IsVerbatimScalar(to))) {
      return DiffDoms(from, to);  // equal values may be spelled differently
    }
    return Write("replace", to);  // different values, or different kinds of values
  }

 private:
  // Charges the scan of the two texts of a container to the budget; false when it runs out.
  bool Charge(std::string_view from, std::string_view to) {
    const std::size_t cost = from.size() + to.size();
    if (cost > budget_) return false;
    budget_ -= cost;
    return true;
  }

  bool DiffObjects(std::string_view from, std::string_view to, std::size_t depth) {
    if (!Charge(from, to)) return false;
    std::vector<TextMember>& a = Buffer(members_, 2 * depth);
    std::vector<TextMember>& b = Buffer(members_, 2 * depth + 1);
    bool escaped_key = false;
    if (!ReadMembers(from_, from, a, escaped_key) || !ReadMembers(to_, to, b, escaped_key, a)) {
      return false;
    }
    if (escaped_key) return DiffDoms(from, to);
    auto ia = a.cbegin(), ib = b.cbegin();
    for (; ia != a.cend() && ib != b.cend() && ia->key == ib->key; ++ia, ++ib) {
      if (ib->as_guessed) continue;  // the same bytes: nothing to write
      writer_.PushKey(ia->key);
      if (!Diff(ia->value, ib->value, depth + 1)) return false;
      writer_.Pop();
    }
    if (ia == a.cend() && ib == b.cend()) return true;
    const internal::MemberIndex rest_of_b(ib, b.cend()), rest_of_a(ia, a.cend());
    for (; ia != a.cend(); ++ia) {
      writer_.PushKey(ia->key);
      if (const auto other = rest_of_b.Find(ia->key)) {
        if (!Diff(ia->value, *other, depth + 1)) return false;
      } else {
        writer_.Op("remove", nullptr);
      }
      writer_.Pop();
    }
    for (; ib != b.cend(); ++ib) {
      if (rest_of_a.Find(ib->key)) continue;
      writer_.PushKey(ib->key);
      if (!Write("add", ib->value)) return false;
      writer_.Pop();
    }
    return true;
  }

  bool DiffArrays(std::string_view from, std::string_view to, std::size_t depth) {
    if (!Charge(from, to)) return false;
    std::vector<TextElement>& a = Buffer(elements_, 2 * depth);
    std::vector<TextElement>& b = Buffer(elements_, 2 * depth + 1);
    if (!ReadElements(from_, from, a) || !ReadElements(to_, to, b, a)) return false;
    std::size_t i = 0;
    for (; i < a.size() && i < b.size(); ++i) {
      if (b[i].as_guessed) continue;
      writer_.PushIndex(i);
      if (!Diff(a[i].value, b[i].value, depth + 1)) return false;
      writer_.Pop();
    }
    for (; i < b.size(); ++i) {
      writer_.PushIndex(i);
      if (!Write("add", b[i].value)) return false;
      writer_.Pop();
    }
    for (std::size_t k = a.size(); k > i; --k) {
      writer_.PushIndex(k - 1);
      writer_.Op("remove", nullptr);
      writer_.Pop();
    }
    return true;
  }

  // Writes operation `op` with `value`.
  bool Write(std::string_view op, std::string_view value) {
    if (!IsContainer(value) && IsVerbatimScalar(value)) {
      writer_.Op(op, value);
      return true;
    }
    return internal::WithDom(
        value, [](simdjson::error_code) { return false; },
        [&](dom::element parsed) {
          writer_.Op(op, &parsed);
          return true;
        });
  }

  bool DiffDoms(std::string_view from, std::string_view to) {
    const auto fail = [](simdjson::error_code) { return false; };
    return internal::WithDom(from, fail, [&](dom::element a) {
      return internal::WithDom(to, fail, [&](dom::element b) {
        internal::DiffElements(writer_, a, b);
        return true;
      });
    });
  }

  // The empty vector number `n` of `buffers`: each level of the walk reads its members into its
  // own two, kept from one object to the next (a deque, so that deeper levels adding theirs
  // leave the vectors of the levels above in place).
  template <typename T>
  static std::vector<T>& Buffer(std::deque<std::vector<T>>& buffers, std::size_t n) {
    while (buffers.size() <= n) buffers.emplace_back();
    buffers[n].clear();
    return buffers[n];
  }

  internal::PatchWriter& writer_;
  IndexedText from_, to_;
  std::size_t budget_;
  std::deque<std::vector<TextMember>> members_;
  std::deque<std::vector<TextElement>> elements_;
};

}  // namespace

Result<std::string> DiffParsedJson(std::string_view from_json, std::string_view to_json) {
  std::string patch = "[";
  internal::PatchWriter writer(patch);
  const std::string_view from = TrimJsonSpace(from_json), to = TrimJsonSpace(to_json);
  TextDiff walk(writer, from, to, kScanBudgetPerByte * (from_json.size() + to_json.size()));
  if (!walk.Diff(from, to, 0)) {
    // Not JSON after all (Diff says why), or too costly a walk.
    return Diff(from_json, to_json);
  }
  patch.push_back(']');
  return patch;
}

}  // namespace kw::admission
