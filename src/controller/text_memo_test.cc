#include "controller/text_memo.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace kw::controller {
namespace {

// Derives the text's length, counting derivations; "unreadable" cannot be read.
struct Lengths {
  int derivations = 0;
  TextMemo<std::size_t> memo;

  std::shared_ptr<const std::size_t> Get(std::string_view key, std::string_view text,
                                         TextMemo<std::size_t>::Text shared = nullptr) {
    return memo.Get(
        key, text,
        [this](std::string_view t) -> std::shared_ptr<const std::size_t> {
          ++derivations;
          if (t == "unreadable") return nullptr;
          return std::make_shared<const std::size_t>(t.size());
        },
        std::move(shared));
  }
};

TEST(TextMemo, DerivesOncePerTextOfEachObject) {
  Lengths lengths;
  EXPECT_EQ(*lengths.Get("a", "abc"), 3u);
  EXPECT_EQ(*lengths.Get("a", std::string("abc")), 3u);  // the same text in another string
  EXPECT_EQ(lengths.derivations, 1);
  EXPECT_EQ(*lengths.Get("b", "abc"), 3u);  // another object
  EXPECT_EQ(lengths.derivations, 2);
  EXPECT_EQ(*lengths.Get("a", "abcd"), 4u);  // a new version
  EXPECT_EQ(*lengths.Get("a", "abcd"), 4u);
  EXPECT_EQ(lengths.derivations, 3);
  EXPECT_EQ(*lengths.Get("a", "abc"), 3u);  // back to the old text: derived again, never stale
  EXPECT_EQ(lengths.derivations, 4);
}

TEST(TextMemo, ForgetAndUnreadableTextsAreNotRemembered) {
  Lengths lengths;
  lengths.Get("a", "abc");
  lengths.memo.Forget("a");
  lengths.memo.Forget("never there");
  EXPECT_EQ(*lengths.Get("a", "abc"), 3u);
  EXPECT_EQ(lengths.derivations, 2);

  EXPECT_EQ(lengths.Get("a", "unreadable"), nullptr);
  EXPECT_EQ(lengths.Get("a", "unreadable"), nullptr);
  EXPECT_EQ(lengths.derivations, 4);
  EXPECT_EQ(*lengths.Get("a", "abc"), 3u);  // the entry of the last readable text still serves it
  EXPECT_EQ(lengths.derivations, 4);
}

TEST(TextMemo, SharedTextIsKeptAndRecognized) {
  Lengths lengths;
  auto shared = std::make_shared<const std::string>(100000, 'x');
  std::weak_ptr<const std::string> kept = shared;
  EXPECT_EQ(*lengths.Get("cm", *shared, shared), 100000u);
  shared.reset();
  ASSERT_FALSE(kept.expired());  // the memo holds the informer's string, not a copy
  EXPECT_EQ(*lengths.Get("cm", *kept.lock()), 100000u);
  EXPECT_EQ(lengths.derivations, 1);
  lengths.memo.Forget("cm");
  EXPECT_TRUE(kept.expired());
}

}  // namespace
}  // namespace kw::controller
