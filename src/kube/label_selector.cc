#include "kube/label_selector.h"

#include <algorithm>

namespace kw::kube {
namespace {

const json::value* Label(const json::value* labels, std::string_view key) {
  if (labels == nullptr || !labels->is_object()) return nullptr;
  const json::value* value = labels->get_object().if_contains(key);
  return value != nullptr && value->is_string() ? value : nullptr;
}

Result<bool> ExpressionHolds(const json::value& expression, const json::value* labels) {
  if (!expression.is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "a matchExpressions entry is not an object");
  }
  const std::string key = StringAt(expression, {"key"});
  const std::string op = StringAt(expression, {"operator"});
  const json::value* label = Label(labels, key);
  if (op == "Exists") return label != nullptr;
  if (op == "DoesNotExist") return label == nullptr;
  if (op != "In" && op != "NotIn") {
    return Fail(ErrorKind::kInvalidArgument, "\"" + op + "\" is not a valid label selector operator");
  }
  bool listed = false;
  if (const json::value* values = FindKey(expression, "values");
      values != nullptr && values->is_array() && label != nullptr) {
    listed = std::any_of(values->get_array().begin(), values->get_array().end(),
                         [&](const json::value& v) { return v == *label; });
  }
  return op == "In" ? listed : !listed;
}

}  // namespace

Result<bool> LabelSelectorMatches(const json::value* selector, const json::value* labels) {
  if (selector == nullptr || selector->is_null()) return true;
  if (!selector->is_object()) {
    return Fail(ErrorKind::kInvalidArgument, "a label selector must be an object");
  }
  if (const json::value* match = FindKey(*selector, "matchLabels");
      match != nullptr && !match->is_null()) {
    if (!match->is_object()) return Fail(ErrorKind::kInvalidArgument, "matchLabels must be an object");
    for (const auto& [key, value] : match->get_object()) {
      if (!value.is_string()) {
        return Fail(ErrorKind::kInvalidArgument,
                    "matchLabels." + std::string(key) + " must be a string");
      }
      const json::value* label = Label(labels, key);
      if (label == nullptr || *label != value) return false;
    }
  }
  if (const json::value* expressions = FindKey(*selector, "matchExpressions");
      expressions != nullptr && !expressions->is_null()) {
    if (!expressions->is_array()) {
      return Fail(ErrorKind::kInvalidArgument, "matchExpressions must be a list");
    }
    for (const json::value& expression : expressions->get_array()) {
      KW_ASSIGN_OR_RETURN(bool holds, ExpressionHolds(expression, labels));
      if (!holds) return false;
    }
  }
  return true;
}

}  // namespace kw::kube
