#include "kube/field_mask.h"

#include <string_view>

namespace kw::kube {

FieldMask::FieldMask(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    Node* node = &root_;
    std::string_view rest = path;
    while (!rest.empty()) {
      const std::size_t dot = rest.find('.');
      const std::string_view key = rest.substr(0, dot);
      node = &node->children[std::string(key)];
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    }
    if (node != &root_) node->whole = true;
  }
}

void FieldMask::ApplyTo(const Node& node, json::value& value) {
  if (node.whole) return;
  if (value.is_array()) {
    for (json::value& element : value.as_array()) ApplyTo(node, element);
    return;
  }
  if (!value.is_object()) return;
  json::object& object = value.as_object();
  for (auto it = object.begin(); it != object.end();) {
    auto child = node.children.find(std::string_view(it->key()));
    if (child == node.children.end()) {
      it = object.stable_erase(it);  // keeps the order of what stays
    } else {
      ApplyTo(child->second, it->value());
      ++it;
    }
  }
}

void FieldMask::Apply(json::object& object) const {
  if (empty()) return;
  for (auto it = object.begin(); it != object.end();) {
    const std::string_view key = it->key();
    if (key == "apiVersion" || key == "kind" || key == "metadata") {
      ++it;
      continue;
    }
    auto child = root_.children.find(key);
    if (child == root_.children.end()) {
      it = object.stable_erase(it);  // keeps the order of what stays
    } else {
      ApplyTo(child->second, it->value());
      ++it;
    }
  }
}

}  // namespace kw::kube
