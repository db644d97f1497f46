#include "ui/symbols.h"

#include <gtest/gtest.h>

namespace kw::ui {
namespace {

TEST(SymbolsTest, OneSymbolPerTextWhileReferenced) {
  Symbols symbols;
  const Symbol a = symbols.Acquire("a");
  EXPECT_EQ(symbols.Acquire(std::string("a")), a);
  const Symbol b = symbols.Acquire("b");
  EXPECT_NE(a, b);
  EXPECT_EQ(symbols.Text(b), "b");
  EXPECT_EQ(symbols.Find("a"), a);
  symbols.Release(a);
  EXPECT_EQ(symbols.Find("a"), a);  // one reference left
  symbols.Release(a);
  EXPECT_FALSE(symbols.Find("a"));
  // The freed number serves the next new text.
  EXPECT_EQ(symbols.Acquire("c"), a);
  EXPECT_EQ(symbols.Text(a), "c");
  EXPECT_EQ(symbols.Bound(), 2u);
}

TEST(SymbolsTest, RanksFollowTheTexts) {
  Symbols symbols;
  const Symbol z = symbols.Acquire("z");
  const Symbol a = symbols.Acquire("a");
  const Symbol m = symbols.Acquire("m");
  EXPECT_LT(symbols.Ranks()[a], symbols.Ranks()[m]);
  EXPECT_LT(symbols.Ranks()[m], symbols.Ranks()[z]);
  const Symbol b = symbols.Acquire("b");
  EXPECT_LT(symbols.Ranks()[a], symbols.Ranks()[b]);
  EXPECT_LT(symbols.Ranks()[b], symbols.Ranks()[m]);
}

TEST(SymbolsTest, ManyTextsKeepTheirSymbols) {
  // Growing the table moves no text out from under the lookup.
  Symbols symbols;
  for (int i = 0; i < 10000; ++i) symbols.Acquire("text-" + std::to_string(i));
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(symbols.Find("text-" + std::to_string(i)), static_cast<Symbol>(i));
  }
}

}  // namespace
}  // namespace kw::ui
