// Field masks: what a policy asks to keep of each object it lists (upstream's `field_masks`,
// dot-paths such as "spec.containers.image"), so a cache of 10,000 objects holds only what the
// policies read. apiVersion, kind and metadata are always kept; arrays are transparent (the
// mask applies to each element); a path ending on an object keeps the whole object.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"

namespace kw::kube {

class FieldMask {
 public:
  // No paths: everything is kept.
  explicit FieldMask(const std::vector<std::string>& paths = {});

  bool empty() const { return root_.children.empty(); }
  // Removes from `object` what the mask does not keep.
  void Apply(json::object& object) const;

 private:
  struct Node {
    bool whole = false;  // a path ends here: keep everything below
    std::map<std::string, Node, std::less<>> children;
  };
  static void ApplyTo(const Node& node, json::value& value);
  Node root_;
};

}  // namespace kw::kube
