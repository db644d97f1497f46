// go-wasi-context-aware-test-policy (policies-more.md §21): an API Deployment (label
// app.kubernetes.io/component=api) must live in the namespace of its customer (label
// customer-id), next to a database and a frontend Deployment and the api-auth-service Service.
// It exists to exercise WASI policies calling the Kubernetes host capabilities through the
// `host.call` import (policies/common/wasi_command.h); the order of its calls matters for
// record/replay. Upstream is written in Go: payloads are the Go SDK's, errors encoding/json's.
#include <kubewarden/format.h>
#include <kubewarden/json.h>
#include <kubewarden/response.h>

#include <string>
#include <vector>

#include "../common/go_decode.h"
#include "../common/wasi_command.h"

namespace kw = kubewarden;
namespace wasi = kw_policies::wasi;

namespace {

struct Settings {
  std::vector<std::string_view> required_keys;  // of requiredAnnotations
  std::vector<std::string_view> forbidden;
};

// Decodes the settings as encoding/json does (unknown keys are ignored).
void DecodeSettings(const kw::json::Value& value, Settings& settings, std::string& error) {
  kw_policies::GoDecodeStruct(
      value, {"", "main.Settings"}, {"requiredAnnotations", "forbiddenAnnotations"}, false, error,
      [&](std::size_t field, const kw::json::Value& v) {
        if (field == 1) {
          kw::GoDecodeStringList(v, "Settings.forbiddenAnnotations", settings.forbidden, error);
          return;
        }
        if (v.IsNull()) return;
        if (!v.IsObject()) {
          kw_policies::GoKeepFirst(
              error, kw::GoTypeError(v, "Settings.requiredAnnotations", "map[string]string"));
          return;
        }
        for (const kw::json::Value& annotation : v) {
          if (!annotation.IsString() && !annotation.IsNull()) {
            kw_policies::GoKeepFirst(
                error, kw::GoTypeError(annotation, "Settings.requiredAnnotations", "string"));
          }
          settings.required_keys.push_back(annotation.key());
        }
      });
}

std::expected<std::string, std::string> ValidateSettings(std::string_view input) {
  kw::json::Document doc;
  Settings settings;
  std::string error =
      kw_policies::GoParseSettings(doc, input, [&](const kw::json::Value& v, std::string& e) {
        DecodeSettings(v, settings, e);
      });
  if (!error.empty()) return kw::SettingsInvalid("cannot unmarshal settings: " + error).ToJson();
  std::vector<std::string_view> both;
  for (std::string_view key : settings.forbidden) {
    for (std::string_view required : settings.required_keys) {
      if (key == required) both.push_back(key);
    }
  }
  kw::SortUnique(both);
  if (!both.empty()) {
    return kw::SettingsInvalid(
               "The following annotations are forbidden and required at the same time: " +
               kw::GoSet(both))
        .ToJson();
  }
  return kw::SettingsValid().ToJson();
}

std::string_view LabelOf(const kw::json::Value& object, std::string_view label) {
  const kw::json::Value* labels = object.GetObject("metadata/labels");
  const kw::json::Value* value = labels ? labels->Find(label) : nullptr;
  return value ? value->AsString().value_or("") : std::string_view();
}

// A host capability's answer parsed into `doc`, or the text of why it failed: the host's error
// or a response that does not decode into a list, both prefixed by `what`. `type` is the list
// type upstream's message names, `go_type` the Go type it decodes into.
struct Answer {
  const kw::json::Value* value = nullptr;
  std::string error;
};
Answer Query(kw::json::Document& doc, std::string_view op, std::string_view payload,
             std::string_view what, std::string_view type, std::string_view go_type) {
  Answer answer;
  auto reply = wasi::HostCall("kubewarden", "kubernetes", op, payload);
  if (!reply) {
    answer.error = std::string(what) + reply.error();
    return answer;
  }
  // The text must outlive `doc`.
  std::string_view text(doc.arena().CopyString(*reply), reply->size());
  answer.value = doc.Parse(text);
  if (answer.value == nullptr || !answer.value->IsObject()) {
    answer.error = std::string(what) + "cannot unmarshall response into " + std::string(type) +
                   ": " +
                   (answer.value ? kw::GoTypeError(*answer.value, "", go_type) : doc.error());
    answer.value = nullptr;
  }
  return answer;
}

bool AnyLabelled(const kw::json::Value& items, std::string_view component) {
  for (const kw::json::Value& item : items) {
    if (item.IsObject() && LabelOf(item, "app.kubernetes.io/component") == component) return true;
  }
  return false;
}

kw::ValidationResponse CheckDeployment(kw::json::Document& doc, const kw::json::Value& deployment) {
  if (LabelOf(deployment, "app.kubernetes.io/component") != "api") return kw::Accept();
  const kw::json::Value* labels = deployment.GetObject("metadata/labels");
  const kw::json::Value* customer = labels->Find("customer-id");
  if (customer == nullptr) {
    return kw::Reject("Label customer-id is required for API deployments", 400);
  }
  std::string customer_id(customer->AsString().value_or(""));

  std::string payload;
  kw::json::Writer(payload).BeginObject().Key("api_version").String("v1").Key("kind")
      .String("Namespace").Key("label_selector").String("customer-id=" + customer_id)
      .EndObject();
  Answer namespaces =
      Query(doc, "list_resources_all", payload, "cannot query Namespaces: ", "NamespaceList",
            "v1.NamespaceList");
  if (!namespaces.value) return kw::Reject(namespaces.error, 500);
  const kw::json::Value* items = namespaces.value->GetArray("items");
  std::size_t count = items ? items->size() : 0;
  if (count == 0) {
    return kw::Reject("Label customer-id (" + customer_id + ") must match namespace label", 404);
  }
  if (count > 1) {
    return kw::Reject("Multiple namespaces found with label 'customer-id=" + customer_id + "'",
                      400);
  }
  std::string ns(items->At(0)->GetString("metadata/name").value_or(""));
  if (deployment.GetString("metadata/namespace").value_or("") != ns) {
    return kw::Reject("Deployment must be created in the matching customer namespace", 400);
  }

  payload.clear();
  kw::json::Writer(payload).BeginObject().Key("api_version").String("apps/v1").Key("kind")
      .String("Deployment").Key("namespace").String(ns).EndObject();
  // Upstream names the wrong list type here.
  Answer deployments = Query(doc, "list_resources_by_namespace", payload,
                             "cannot query Deployments: ", "NamespaceList", "v1.DeploymentList");
  if (!deployments.value) return kw::Reject(deployments.error, 500);
  const kw::json::Value* siblings = deployments.value->GetArray("items");
  if (siblings == nullptr || !AnyLabelled(*siblings, "database")) {
    return kw::Reject("No database component found", 404);
  }
  if (!AnyLabelled(*siblings, "frontend")) return kw::Reject("No frontend component found", 404);

  payload.clear();
  kw::json::Writer(payload).BeginObject().Key("api_version").String("v1").Key("kind")
      .String("Service").Key("name").String("api-auth-service").Key("namespace").String(ns)
      .Key("disable_cache").Bool(false).EndObject();
  auto reply = wasi::HostCall("kubewarden", "kubernetes", "get_resource", payload);
  if (!reply) return kw::Reject("cannot query Service: " + reply.error(), 500);
  if (reply->empty()) return kw::Reject("No API authentication service found", 404);
  std::string_view text(doc.arena().CopyString(*reply), reply->size());
  const kw::json::Value* service = doc.Parse(text);
  if (service == nullptr || !service->IsObject()) {
    return kw::Reject("cannot unmarshall response into Service: " +
                          (service ? kw::GoTypeError(*service, "", "v1.Service") : doc.error()),
                      404);
  }
  const kw::json::Value* service_labels = service->GetObject("metadata/labels");
  if (service_labels == nullptr) {
    return kw::Reject("API authentication service must have labels", 404);
  }
  if (LabelOf(*service, "app.kubernetes.io/part-of") != "api") {
    return kw::Reject("No API authentication service found", 404);
  }
  return kw::Accept();
}

// What encoding/json says of metadata that does not decode into ObjectMeta (labels a
// map[string]string, namespace a string), or "".
std::string MetadataError(const kw::json::Value& metadata) {
  std::string error;
  kw_policies::GoDecodeStruct(
      metadata, {"Deployment.metadata", "v1.ObjectMeta"}, {"labels", "namespace"}, false, error,
      [&](std::size_t field, const kw::json::Value& v) {
        if (field == 1) {
          std::string_view ignored;
          kw_policies::GoDecodeString(v, "ObjectMeta.metadata.namespace", ignored, error);
        } else if (!v.IsObject() && !v.IsNull()) {
          kw_policies::GoKeepFirst(
              error, kw::GoTypeError(v, "ObjectMeta.metadata.labels", "map[string]string"));
        } else if (v.IsObject()) {
          for (const kw::json::Value& label : v) {
            if (!label.IsString() && !label.IsNull()) {
              kw_policies::GoKeepFirst(
                  error, kw::GoTypeError(label, "ObjectMeta.metadata.labels", "string"));
            }
          }
        }
      });
  return error;
}

std::expected<std::string, std::string> Validate(std::string_view input) {
  kw::json::Document doc;
  const kw::json::Value* root = doc.Parse(input);
  if (root == nullptr || !root->IsObject()) {
    std::string why = root ? kw::GoTypeError(*root, "", "kubewarden_protocol.ValidationRequest")
                           : doc.error();
    return kw::Reject("Error deserializing validation request: " + why, 400).ToJson();
  }
  Settings settings;
  std::string error;
  if (const kw::json::Value* raw = root->Find("settings")) DecodeSettings(*raw, settings, error);
  if (!error.empty()) {
    return kw::Reject("Error serializing RawMessage: cannot unmarshal settings " + error, 400)
        .ToJson();
  }
  const kw::json::Value* object = root->Get("request/object");
  if (object != nullptr && !object->IsObject() && !object->IsNull()) {
    return kw::Reject("Error deserializing request object into unstructured: " +
                          kw::GoTypeError(*object, "", "v1.Deployment"),
                      400)
        .ToJson();
  }
  const kw::json::Value* metadata = object ? object->Find("metadata") : nullptr;
  if (metadata == nullptr || metadata->IsNull()) {
    // Upstream dereferences the missing metadata and panics: an evaluation error.
    return std::unexpected(
        "panic: runtime error: invalid memory address or nil pointer dereference");
  }
  if (std::string why = MetadataError(*metadata); !why.empty()) {
    return kw::Reject("Error deserializing request object into unstructured: " + why, 400)
        .ToJson();
  }
  if (metadata->GetObject("labels") == nullptr) return kw::Accept().ToJson();
  return CheckDeployment(doc, *object).ToJson();
}

}  // namespace

int main(int argc, char** argv) { return wasi::Run(argc, argv, Validate, ValidateSettings); }
