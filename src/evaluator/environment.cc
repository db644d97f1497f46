#include "evaluator/environment.h"

#include <algorithm>

namespace kw::evaluator {

std::string_view EntryStateName(EntryState state) {
  switch (state) {
    case EntryState::kLive: return "live";
    case EntryState::kLastGood: return "last-good";
    case EntryState::kFailed: return "failed";
  }
  return "failed";
}

std::vector<PolicySharedPtr> EnvironmentEntry::Policies() const {
  std::vector<PolicySharedPtr> out;
  if (policy) out.push_back(policy);
  if (group) {
    for (const auto& [name, member] : group->members) out.push_back(member);
  }
  return out;
}

Environment::Environment(std::vector<EnvironmentEntry> entries, std::uint64_t generation,
                         std::string version)
    : entries_(std::move(entries)), generation_(generation), version_(std::move(version)) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    by_id_.emplace(entries_[i].id, i);
    for (const auto& p : entries_[i].Policies()) served_keys_.push_back(p->key.value());
  }
  std::sort(served_keys_.begin(), served_keys_.end());
}

const EnvironmentEntry* Environment::Find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &entries_[it->second];
}

bool Environment::Serves(std::uint64_t key) const {
  return std::binary_search(served_keys_.begin(), served_keys_.end(), key);
}

bool Environment::Serves(const PolicyKey& key) const { return Serves(key.value()); }

}  // namespace kw::evaluator
