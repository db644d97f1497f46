// Test helper: a Value written as YAML (flow style keeps test inputs short).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "value.h"
#include "yaml.h"

namespace kyverno {

inline Value Y(const char* text) {
  Value v;
  std::string error;
  EXPECT_TRUE(ParseYaml(text, &v, &error)) << error;
  return v;
}

}  // namespace kyverno
