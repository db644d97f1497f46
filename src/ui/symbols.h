// Interned strings: each distinct string of the report index (a uid, a namespace, a policy
// name) gets a small number, so that queries group and sort 50,000 results by integers instead
// of hashing and comparing strings. Reference-counted: a number is freed, and reused, when the
// last result naming its string goes, so that a cluster whose pods come and go does not grow the
// table forever.
//
// Not thread-safe: the index guards it with its own lock (Acquire/Release under the write lock,
// the rest under the read lock; Ranks() guards its cache itself).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kw::ui {

using Symbol = std::uint32_t;

class Symbols {
 public:
  // The symbol of `text`, taking one reference to it.
  Symbol Acquire(std::string_view text);
  // Drops one reference; the symbol is free once none is left.
  void Release(Symbol symbol);

  std::optional<Symbol> Find(std::string_view text) const;
  const std::string& Text(Symbol symbol) const { return texts_[symbol]; }
  // One past the largest symbol in use: the size of a table indexed by symbol.
  std::size_t Bound() const { return texts_.size(); }

  // Each symbol's position in the byte order of the texts (free symbols rank anywhere): sorting
  // by rank is sorting by text. Recomputed on the first call after a new text came in, which
  // may run concurrently with other readers.
  const std::vector<std::uint32_t>& Ranks() const;

 private:
  std::deque<std::string> texts_;  // a deque: growing it moves no string, so views stay valid
  std::vector<std::uint32_t> references_;
  std::vector<Symbol> free_;
  std::unordered_map<std::string_view, Symbol> by_text_;  // views into texts_'s strings

  mutable std::mutex ranks_mutex_;
  mutable bool ranks_stale_ = true;
  mutable std::vector<std::uint32_t> ranks_;
};

}  // namespace kw::ui
