// kubewarden/request.h: the `validate` payload, {"request": <AdmissionRequest>, "settings": ...}.
//
// A ValidationRequest parses the payload once into its own json::Document and offers typed
// access to the AdmissionRequest fields (policy-server spec §1.4). Accessors never fail: a
// missing or mistyped field reads as "" / nullptr / nullopt. The payload text must outlive
// the request (strings point into it); the SDK's glue guarantees that for handlers.
//
// The object is editable in place (mutable_object()): the document is the policy's private
// copy, so a mutating policy edits only the fields it means to change and answers
// Mutate(*request.mutable_object()). Key order, untouched fields and number spellings are
// preserved, which keeps the host's JSON patch minimal (policies.md §1.2).
//
// For raw policies (policyType: raw) request() is whatever JSON value was sent.
#ifndef KUBEWARDEN_REQUEST_H_
#define KUBEWARDEN_REQUEST_H_

#include <optional>
#include <string>
#include <string_view>

#include "kubewarden/json.h"

namespace kubewarden {

struct GroupVersionKind {
  std::string_view group;
  std::string_view version;
  std::string_view kind;
};

struct GroupVersionResource {
  std::string_view group;
  std::string_view version;
  std::string_view resource;
};

struct UserInfo {
  std::string_view username;
  std::string_view uid;
  const json::Value* groups = nullptr;  // array of strings, or nullptr
  const json::Value* extra = nullptr;   // object of string arrays, or nullptr
};

class ValidationRequest {
 public:
  ValidationRequest() = default;
  ValidationRequest(const ValidationRequest&) = delete;
  ValidationRequest& operator=(const ValidationRequest&) = delete;

  // Parses `payload` (which must outlive this object). Returns false on malformed JSON or a
  // payload that is not an object; error() then reads
  // "Error deserializing validation request: <reason>".
  //
  // A policy that reads a few fields of large objects defines KUBEWARDEN_REQUEST_ON_DEMAND
  // before including the SDK: the payload is then read on demand (json.h's ParseOnDemand),
  // its top level now and the rest as the policy reads it, and malformed JSON met later makes
  // deferred_error() say so in the same words. It costs more than a whole parse for a policy
  // that reads (or type-checks) most of the object, such as one decoding a whole PodSpec: a
  // structural pass over the text is nearly as long as the parse without SIMD.
  bool Parse(std::string_view payload) {
#if defined(KUBEWARDEN_REQUEST_ON_DEMAND)
    json::Value* root = doc_.ParseOnDemand(payload);
#else
    json::Value* root = doc_.Parse(payload);
#endif
    if (root == nullptr || !root->IsObject()) {
      error_ = kErrorPrefix;
      error_.append(root == nullptr ? doc_.error() : std::string("expected a JSON object"));
      return false;
    }
    request_ = root->Find("request");
    if (request_ == nullptr) request_ = doc_.Object();
    settings_ = root->Find("settings");
    if (settings_ == nullptr || settings_->IsNull()) settings_ = doc_.Object();
    return true;
  }
  const std::string& error() const { return error_; }
  std::string deferred_error() const {
    const std::string& late = doc_.deferred_error();
    return late.empty() ? std::string() : kErrorPrefix + late;
  }

  // The document holding everything; use it to create values for mutations.
  json::Document& document() { return doc_; }

  // The AdmissionRequest (or the raw request).
  const json::Value& request() const { return *request_; }
  json::Value& request() { return *request_; }
  // The policy settings ({} when none were sent).
  const json::Value& settings() const { return *settings_; }

  std::string_view uid() const { return Str(*request_, "uid"); }
  // `request.kind`: what policies dispatch on (never object.kind).
  GroupVersionKind kind() const { return Gvk("kind"); }
  GroupVersionKind request_kind() const { return Gvk("requestKind"); }
  GroupVersionResource resource() const { return Gvr("resource"); }
  GroupVersionResource request_resource() const { return Gvr("requestResource"); }
  std::string_view sub_resource() const { return Str(*request_, "subResource"); }
  std::string_view name() const { return Str(*request_, "name"); }
  std::string_view namespace_name() const { return Str(*request_, "namespace"); }
  // CREATE, UPDATE, DELETE or CONNECT.
  std::string_view operation() const { return Str(*request_, "operation"); }
  UserInfo user_info() const {
    UserInfo u;
    if (const json::Value* i = Obj("userInfo")) {
      u.username = Str(*i, "username");
      u.uid = Str(*i, "uid");
      const json::Value* groups = i->Find("groups");
      const json::Value* extra = i->Find("extra");
      u.groups = groups && groups->IsArray() ? groups : nullptr;
      u.extra = extra && extra->IsObject() ? extra : nullptr;
    }
    return u;
  }
  // `request.object` / `request.oldObject`; nullptr when absent or null.
  const json::Value* object() const { return NonNull("object"); }
  json::Value* mutable_object() { return const_cast<json::Value*>(NonNull("object")); }
  const json::Value* old_object() const { return NonNull("oldObject"); }
  const json::Value* options() const { return NonNull("options"); }
  std::optional<bool> dry_run() const {
    const json::Value* v = request_->Find("dryRun");
    return v ? v->AsBool() : std::nullopt;
  }

 private:
  static std::string_view Str(const json::Value& v, std::string_view key) {
    const json::Value* m = v.Find(key);
    return m ? m->AsString().value_or(std::string_view()) : std::string_view();
  }
  const json::Value* Obj(std::string_view key) const {
    const json::Value* m = request_->Find(key);
    return m && m->IsObject() ? m : nullptr;
  }
  GroupVersionKind Gvk(std::string_view key) const {
    GroupVersionKind g;
    if (const json::Value* v = Obj(key)) {
      g = {Str(*v, "group"), Str(*v, "version"), Str(*v, "kind")};
    }
    return g;
  }
  GroupVersionResource Gvr(std::string_view key) const {
    GroupVersionResource g;
    if (const json::Value* v = Obj(key)) {
      g = {Str(*v, "group"), Str(*v, "version"), Str(*v, "resource")};
    }
    return g;
  }
  const json::Value* NonNull(std::string_view key) const {
    const json::Value* v = request_->Find(key);
    return v == nullptr || v->IsNull() ? nullptr : v;
  }

  static constexpr const char* kErrorPrefix = "Error deserializing validation request: ";

  json::Document doc_;
  json::Value* request_ = nullptr;
  json::Value* settings_ = nullptr;
  std::string error_;
};

}  // namespace kubewarden

#endif  // KUBEWARDEN_REQUEST_H_
