#include "ui/symbols.h"

#include <algorithm>
#include <numeric>

namespace kw::ui {

Symbol Symbols::Acquire(std::string_view text) {
  if (auto found = by_text_.find(text); found != by_text_.end()) {
    ++references_[found->second];
    return found->second;
  }
  Symbol symbol;
  if (!free_.empty()) {
    symbol = free_.back();
    free_.pop_back();
    texts_[symbol] = std::string(text);
    references_[symbol] = 1;
  } else {
    symbol = static_cast<Symbol>(texts_.size());
    texts_.emplace_back(text);
    references_.push_back(1);
  }
  by_text_.emplace(texts_[symbol], symbol);
  std::lock_guard lock(ranks_mutex_);
  ranks_stale_ = true;
  return symbol;
}

void Symbols::Release(Symbol symbol) {
  if (--references_[symbol] > 0) return;
  by_text_.erase(texts_[symbol]);
  texts_[symbol].clear();
  texts_[symbol].shrink_to_fit();
  free_.push_back(symbol);
}

std::optional<Symbol> Symbols::Find(std::string_view text) const {
  auto found = by_text_.find(text);
  if (found == by_text_.end()) return std::nullopt;
  return found->second;
}

const std::vector<std::uint32_t>& Symbols::Ranks() const {
  std::lock_guard lock(ranks_mutex_);
  if (ranks_stale_) {
    std::vector<Symbol> order(texts_.size());
    std::iota(order.begin(), order.end(), Symbol{0});
    std::sort(order.begin(), order.end(),
              [&](Symbol a, Symbol b) { return texts_[a] < texts_[b]; });
    ranks_.assign(order.size(), 0);
    for (std::uint32_t rank = 0; rank < order.size(); ++rank) ranks_[order[rank]] = rank;
    ranks_stale_ = false;
  }
  return ranks_;
}

}  // namespace kw::ui
