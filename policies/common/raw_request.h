// policies/common/raw_request.h: the raw request of the raw-* test policies
// (policies-more.md §24-§26), {"request": {"user", "action", "resource"}, "settings": {...}},
// decoded as upstream's Go structs are: strictly (encoding/json's DisallowUnknownFields), with
// Go's error texts (go_decode.h). A missing string reads as "".
#ifndef POLICIES_COMMON_RAW_REQUEST_H_
#define POLICIES_COMMON_RAW_REQUEST_H_

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "go_decode.h"

namespace kw_policies {

struct RawRequest {
  std::string_view user;
  std::string_view action;
  std::string_view resource;
};

// Decodes the whole payload; `decode_settings(value, error)` decodes its "settings" member (the
// Go struct `Settings`, found at JSON path "settings"). Returns the first problem in `error`.
template <typename DecodeSettings>
RawRequest DecodeRawPayload(const kw::json::Value& root, std::string& error,
                            DecodeSettings decode_settings) {
  RawRequest request;
  GoDecodeStruct(root, {"", "main.ValidationRequest"}, {"request", "settings"}, true, error,
                 [&](std::size_t field, const kw::json::Value& value) {
                   if (field == 1) {
                     decode_settings(value, error);
                     return;
                   }
                   GoDecodeStruct(
                       value, {"ValidationRequest.request", "main.Request"},
                       {"user", "action", "resource"}, true, error,
                       [&](std::size_t f, const kw::json::Value& v) {
                         static constexpr std::string_view kNames[] = {"user", "action",
                                                                       "resource"};
                         std::string_view* out[] = {&request.user, &request.action,
                                                    &request.resource};
                         GoDecodeString(v, GoFieldPath("Request", "request", kNames[f]),
                                        *out[f], error);
                       });
                 });
  return request;
}

// Parses the payload text into `doc` and decodes it as DecodeRawPayload does; a text that is
// not JSON gives the parser's error.
template <typename DecodeSettings>
RawRequest ParseRawPayload(kw::json::Document& doc, std::string_view text, std::string& error,
                           DecodeSettings decode_settings) {
  const kw::json::Value* root = doc.Parse(text);
  if (root == nullptr) {
    error = doc.error();
    return {};
  }
  return DecodeRawPayload(*root, error, decode_settings);
}

// The settings of the raw-validation test policies (§22 waPC, §24 WASI): what is allowed.
struct RawValidationSettings {
  std::vector<std::string_view> valid_users;
  std::vector<std::string_view> valid_actions;
  std::vector<std::string_view> valid_resources;

  static bool Contains(const std::vector<std::string_view>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  }
};

}  // namespace kw_policies

#endif  // POLICIES_COMMON_RAW_REQUEST_H_
