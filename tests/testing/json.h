// Test helper: JSON literals in tests.
#pragma once

#include <string_view>

#include <gtest/gtest.h>

#include "base/json.h"

namespace kw::testing {

// Parses `text`, failing the current test (and returning null) when it is not JSON.
inline json::value J(std::string_view text) {
  auto v = ParseJson(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v ? *v : json::value();
}

}  // namespace kw::testing
