// What the controller derives from an informer's object (its parsed JSON, the policies its
// ConfigMap lists), computed once per version of the object's text.
//
// Why: one change on a policy server makes every policy bound to it reconcile, and each of
// those reads the same few objects again (the PolicyServer, its Deployment, Pods and ConfigMap,
// the CA Secret). Parsing them each time made a change on a server of N policies cost N times
// those parses (166 ms of CPU with 1,000 policies).
//
// An entry holds the text it was derived from and is used only while the informer still holds
// that same text, so an update racing a lookup can never leave a stale value behind. When the
// caller has the informer's shared text (kube::Reflector::Text), the entry keeps that very
// string and a later lookup of the same version is a pointer comparison: no copy or comparison
// of a large ConfigMap N times. Forget() drops an entry when its object changes or goes, which
// bounds the memo by the live objects (an object deleted while being read may leave one entry
// behind). Thread-safe; derivation runs outside the lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace kw::controller {

template <typename T>
class TextMemo {
 public:
  using Value = std::shared_ptr<const T>;

  using Text = std::shared_ptr<const std::string>;

  // The value derived from `text`, the current text of the object `key`: remembered, or
  // `derive(text)` (nullptr when the text cannot be read, which is not remembered). `shared`,
  // when given, is the string `text` views.
  Value Get(std::string_view key, std::string_view text,
            const std::function<Value(std::string_view)>& derive, Text shared = nullptr) {
    {
      std::lock_guard lock(mutex_);
      auto found = entries_.find(key);
      // The entry's string is alive, so no other string can sit at its address: the same
      // address is the same text.
      if (found != entries_.end() &&
          ((found->second.text->data() == text.data() && found->second.text->size() == text.size()) ||
           *found->second.text == text)) {
        return found->second.value;
      }
    }
    Value value = derive(text);
    if (value == nullptr) return nullptr;
    if (shared == nullptr) shared = std::make_shared<const std::string>(text);
    std::lock_guard lock(mutex_);
    entries_.insert_or_assign(std::string(key), Entry{std::move(shared), value});
    return value;
  }

  void Forget(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (auto found = entries_.find(key); found != entries_.end()) entries_.erase(found);
  }

 private:
  struct Entry {
    Text text;  // never null
    Value value;
  };
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace kw::controller
