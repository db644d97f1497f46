#include "runtime/opa/glob_intersection.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "base/utf8.h"

namespace kw::runtime::opa {
namespace {

// The glob package's error for every malformed expression.
constexpr std::string_view kInvalidInput = "the input provided is invalid";

struct RuneRange {
  char32_t lo, hi;
};

// One item of a glob: the runes it matches (sorted, disjoint) and its repetition.
struct Item {
  enum Repeat : std::uint8_t { kOnce, kStar, kPlus };
  std::vector<RuneRange> runes;
  Repeat repeat = kOnce;
};

bool Overlap(const Item& a, const Item& b) {
  auto x = a.runes.begin(), y = b.runes.begin();
  while (x != a.runes.end() && y != b.runes.end()) {
    if (x->hi < y->lo) {
      ++x;
    } else if (y->hi < x->lo) {
      ++y;
    } else {
      return true;
    }
  }
  return false;
}

// The runes as Go's []rune(s) reads them: a stray byte is U+FFFD.
std::vector<char32_t> Runes(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    Utf8Sequence seq = DecodeUtf8OrReplacement(s.substr(i));
    out.push_back(seq.code_point);
    i += seq.length;
  }
  return out;
}

// Parses a class after its `[` at runes[i]; leaves i after the `]`.
bool ParseClass(const std::vector<char32_t>& runes, std::size_t& i, Item& item) {
  const std::size_t n = runes.size();
  // One rune of the class, escaped or not; the class's own symbols unescaped are malformed.
  auto member = [&](char32_t& out) {
    if (i >= n) return false;
    if (runes[i] == '\\') {
      if (i + 1 >= n) return false;
      out = runes[i + 1];
      i += 2;
      return true;
    }
    if (runes[i] == '[' || runes[i] == ']' || runes[i] == '-') return false;
    out = runes[i++];
    return true;
  };
  while (i < n && runes[i] != ']') {
    char32_t lo, hi;
    if (!member(lo)) return false;
    hi = lo;
    if (i < n && runes[i] == '-') {
      ++i;
      if (!member(hi) || hi < lo) return false;
    }
    item.runes.push_back({lo, hi});
  }
  if (i >= n || item.runes.empty()) return false;
  ++i;
  std::sort(item.runes.begin(), item.runes.end(),
            [](const RuneRange& a, const RuneRange& b) { return a.lo < b.lo; });
  std::size_t out = 0;
  for (const RuneRange& r : item.runes) {
    if (out > 0 && r.lo <= item.runes[out - 1].hi + 1) {
      item.runes[out - 1].hi = std::max(item.runes[out - 1].hi, r.hi);
    } else {
      item.runes[out++] = r;
    }
  }
  item.runes.resize(out);
  return true;
}

std::expected<std::vector<Item>, std::string> Parse(const std::vector<char32_t>& runes) {
  std::vector<Item> items;
  const std::size_t n = runes.size();
  for (std::size_t i = 0; i < n;) {
    Item item;
    switch (runes[i]) {
      case '\\':
        if (i + 1 >= n) return std::unexpected(std::string(kInvalidInput));
        item.runes.push_back({runes[i + 1], runes[i + 1]});
        i += 2;
        break;
      case '.':
        item.runes.push_back({0, 0x10FFFF});
        ++i;
        break;
      case '[':
        ++i;
        if (!ParseClass(runes, i, item)) return std::unexpected(std::string(kInvalidInput));
        break;
      case '*':  // a repetition of nothing, or of a repetition
      case '+':
      case ']':
        return std::unexpected(std::string(kInvalidInput));
      default:
        item.runes.push_back({runes[i], runes[i]});
        ++i;
        break;
    }
    if (i < n && (runes[i] == '*' || runes[i] == '+')) {
      item.repeat = runes[i] == '*' ? Item::kStar : Item::kPlus;
      ++i;
    }
    items.push_back(std::move(item));
  }
  return items;
}

// Where consuming one rune of item `i` may lead: back to `i` (a repetition) and on to i + 1
// (a star reaches i + 1 through its loop and the skip).
template <typename Visit>
void Successors(const std::vector<Item>& items, std::size_t i, Visit visit) {
  if (items[i].repeat != Item::kOnce) visit(i);
  if (items[i].repeat != Item::kStar) visit(i + 1);
}

}  // namespace

std::expected<bool, std::string> GlobsIntersect(std::string_view a, std::string_view b) {
  const std::vector<char32_t> runes_a = Runes(a), runes_b = Runes(b);
  if ((runes_a.size() + 1) * (runes_b.size() + 1) > kMaxGlobProduct) {
    return std::unexpected("globs too long: the product of their lengths exceeds " +
                           std::to_string(kMaxGlobProduct) + " runes");
  }
  auto first = Parse(runes_a);
  if (!first) return std::unexpected(first.error());
  auto second = Parse(runes_b);
  if (!second) return std::unexpected(second.error());
  const std::vector<Item>& x = *first;
  const std::vector<Item>& y = *second;

  // A breadth-first search of the product automaton from (0, 0) to (|x|, |y|). A state is a
  // position in each glob and whether a rune was consumed on the way: the common string must be
  // non-empty, as the glob-intersection package defines it ("a non-empty set of non-empty
  // strings"), so ("a*", "b*"), which share only "", do not match. A starred item may be
  // skipped without consuming.
  const std::size_t width = y.size() + 1;
  const std::size_t layer = (x.size() + 1) * width;
  std::vector<bool> seen(2 * layer);
  struct State {
    std::size_t i, j;
    bool consumed;
  };
  std::deque<State> queue;
  auto reach = [&](std::size_t i, std::size_t j, bool consumed) {
    std::size_t index = (consumed ? layer : 0) + i * width + j;
    if (!seen[index]) {
      seen[index] = true;
      queue.push_back({i, j, consumed});
    }
  };
  reach(0, 0, false);
  while (!queue.empty()) {
    auto [i, j, consumed] = queue.front();
    queue.pop_front();
    if (i == x.size() && j == y.size() && consumed) return true;
    if (i < x.size() && x[i].repeat == Item::kStar) reach(i + 1, j, consumed);
    if (j < y.size() && y[j].repeat == Item::kStar) reach(i, j + 1, consumed);
    if (i < x.size() && j < y.size() && Overlap(x[i], y[j])) {
      Successors(x, i, [&](std::size_t next_i) {
        Successors(y, j, [&](std::size_t next_j) { reach(next_i, next_j, true); });
      });
    }
  }
  return false;
}

}  // namespace kw::runtime::opa
