// apimachinery's name validators (k8s.io/apimachinery/pkg/util/validation): each returns the
// problems of a value in apimachinery's exact texts, none when the value is valid.
//
// They live with CEL because Kubernetes' CEL format library (ext_format.cc) exposes them and
// src/cel must build for wasm32 policies without src/base; the controller's webhooks (src/crd)
// and kwctl use the same functions, so a name is judged and worded the same everywhere.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kw::cel::names {

using Problems = std::vector<std::string>;

Problems Dns1123Label(std::string_view value);      // IsDNS1123Label
Problems Dns1123Subdomain(std::string_view value);  // IsDNS1123Subdomain
Problems Dns1035Label(std::string_view value);      // IsDNS1035Label
Problems QualifiedName(std::string_view value);     // IsQualifiedName ("prefix/name")
Problems LabelValue(std::string_view value);        // IsValidLabelValue

}  // namespace kw::cel::names
