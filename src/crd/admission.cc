#include "crd/admission.h"


#include "base/base64.h"
#include "base/json.h"
#include "base/strings.h"
#include "crd/defaulting.h"
#include "crd/field_error.h"

namespace kw::crd {
namespace {

constexpr std::string_view kMutatePrefix = "/mutate-policies-kubewarden-io-v1-";
constexpr std::string_view kValidatePrefix = "/validate-policies-kubewarden-io-v1-";
constexpr std::string_view kPolicyServerKind = "PolicyServer";

std::unexpected<Error> BadReview(std::string why) {
  return Fail(ErrorKind::kInvalidArgument, "invalid AdmissionReview: " + why);
}

// controller-runtime's Errored(400, err): a request it could not decode.
json::object Errored(std::string message) {
  return json::object{{"metadata", json::object{}}, {"message", std::move(message)}, {"code", 400}};
}

json::object AllowedStatus() { return json::object{{"metadata", json::object{}}, {"code", 200}}; }

// The response of `request`, without its uid.
json::object Respond(WebhookRoute route, const json::object& request, ObjectLookup& lookup,
                     const WebhookOptions& options) {
  const json::value* operation = request.if_contains("operation");
  const bool is_delete = operation != nullptr && operation->is_string() &&
                         operation->get_string() == "DELETE";
  // Neither webhook has anything to say about a deletion.
  if (is_delete) return json::object{{"allowed", true}, {"status", AllowedStatus()}};
  const json::value* object = request.if_contains("object");
  if (object == nullptr || object->is_null()) {
    return json::object{{"allowed", false}, {"status", Errored("there is no content to decode")}};
  }
  if (!object->is_object()) {
    return json::object{{"allowed", false},
                        {"status", Errored("the object to admit is not a JSON object")}};
  }

  if (route.action == WebhookAction::kMutate) {
    auto patch = route.policy_kind ? PolicyDefaultingPatch(ToJson(*object))
                                   : PolicyServerDefaultingPatch(ToJson(*object));
    if (!patch) return json::object{{"allowed", false}, {"status", Errored(patch.error().message)}};
    json::object response{{"allowed", true}, {"status", AllowedStatus()}};
    if (*patch != "[]") {
      response["patchType"] = "JSONPatch";
      response["patch"] = Base64Encode(*patch);
    }
    return response;
  }

  const json::value* old_object = request.if_contains("oldObject");
  if (old_object != nullptr && old_object->is_null()) old_object = nullptr;
  FieldErrors errors = route.policy_kind
                           ? ValidatePolicy(*route.policy_kind, *object, old_object, options)
                           : ValidatePolicyServer(*object, lookup, options);
  if (errors.empty()) return json::object{{"allowed", true}, {"status", AllowedStatus()}};
  return json::object{
      {"allowed", false},
      {"status", InvalidStatus(route.KindName(), StringAt(*object, {"metadata", "name"}), errors)}};
}

}  // namespace

std::string_view WebhookRoute::KindName() const {
  return policy_kind ? crd::KindName(*policy_kind) : kPolicyServerKind;
}

std::optional<WebhookRoute> RouteFor(std::string_view path) {
  for (WebhookAction action : {WebhookAction::kMutate, WebhookAction::kValidate}) {
    std::string_view prefix = action == WebhookAction::kMutate ? kMutatePrefix : kValidatePrefix;
    if (!path.starts_with(prefix)) continue;
    std::string_view kind_part = path.substr(prefix.size());
    if (kind_part == AsciiLower(kPolicyServerKind)) return WebhookRoute{action, std::nullopt};
    for (PolicyKind kind : kAllPolicyKinds) {
      if (AsciiLower(crd::KindName(kind)) == kind_part) return WebhookRoute{action, kind};
    }
  }
  return std::nullopt;
}

std::string WebhookName(WebhookRoute route) {
  return (route.action == WebhookAction::kMutate ? "m" : "v") + AsciiLower(route.KindName()) + ".kb.io";
}

std::string WebhookPath(WebhookRoute route) {
  return std::string(route.action == WebhookAction::kMutate ? kMutatePrefix : kValidatePrefix) +
         AsciiLower(route.KindName());
}

Result<std::string> HandleAdmissionReview(std::string_view path, std::string_view body,
                                          ObjectLookup& lookup, const WebhookOptions& options) {
  std::optional<WebhookRoute> route = RouteFor(path);
  if (!route) return Fail(ErrorKind::kNotFound, "no admission webhook at " + std::string(path));
  if (body.size() > kMaxAdmissionReviewBytes) {
    return BadReview("the body is larger than " + ByteSize(kMaxAdmissionReviewBytes));
  }
  auto parsed = ParseJson(body, "invalid AdmissionReview");
  if (!parsed) return std::unexpected(Error(ErrorKind::kInvalidArgument, parsed.error().message));
  const json::value& review = *parsed;
  std::string api_version = StringAt(review, {"apiVersion"});
  if (api_version != "admission.k8s.io/v1" && api_version != "admission.k8s.io/v1beta1") {
    return BadReview("apiVersion must be admission.k8s.io/v1, got \"" + api_version + "\"");
  }
  if (StringAt(review, {"kind"}) != "AdmissionReview") {
    return BadReview("kind must be AdmissionReview");
  }
  const json::value* request = FindKey(review, "request");
  if (request == nullptr || !request->is_object()) return BadReview("it has no request");
  const json::value* uid = FindKey(*request, "uid");
  if (uid == nullptr || !uid->is_string() || uid->get_string().empty()) {
    return BadReview("the request has no uid");
  }
  json::object response{{"uid", *uid}};
  for (auto& [key, value] : Respond(*route, request->get_object(), lookup, options)) {
    response.emplace(key, std::move(value));
  }
  return ToJson(json::object{{"apiVersion", api_version},
                             {"kind", "AdmissionReview"},
                             {"response", std::move(response)}});
}

}  // namespace kw::crd
