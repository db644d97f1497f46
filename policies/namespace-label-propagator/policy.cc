// namespace-label-propagator (policies.md §24, context-aware): copies the labels listed in
// `propagatedLabels` from the request's Namespace (kubernetes/get_resource) onto the object's
// metadata.labels and, for every kind but Pod, onto its pod template labels.
//
// A missing request namespace or a failing host call rejects with code 400; an unsupported
// kind or an undecodable object is an evaluation error. Namespace values win over existing
// ones; labels are never removed. The object is edited in place, so the patch holds only the
// added/replaced labels.
#include <kubewarden/kubewarden.h>

namespace kw = kubewarden;

namespace {

constexpr std::string_view kSettingsPrefix = "Provided settings are not valid: ";

// Go's name of a JSON value's type in "json: cannot unmarshal <type> into ...".
std::string_view GoJsonType(const kw::json::Value& v) {
  if (v.IsString()) return "string";
  if (v.IsNumber()) return "number";
  if (v.IsBool()) return "bool";
  if (v.IsArray()) return "array";
  return "object";
}

// Decodes and validates the settings; returns the (unprefixed) problem, if any.
std::optional<std::string> ReadSettings(const kw::json::Value& value,
                                        std::vector<std::string_view>& labels) {
  if (value.IsNull()) return "some label must be provided";
  if (!value.IsObject()) {
    return "json: cannot unmarshal " + std::string(GoJsonType(value)) +
           " into Go value of type main.Settings";
  }
  const kw::json::Value* list = value.Find("propagatedLabels");
  if (list != nullptr && !list->IsNull()) {
    if (!list->IsArray()) {
      return "json: cannot unmarshal " + std::string(GoJsonType(*list)) +
             " into Go struct field Settings.propagatedLabels of type []string";
    }
    for (const kw::json::Value& e : *list) {
      if (e.IsNull()) {
        labels.emplace_back();
        continue;
      }
      if (!e.IsString()) {
        return "json: cannot unmarshal " + std::string(GoJsonType(e)) +
               " into Go struct field Settings.propagatedLabels of type string";
      }
      labels.push_back(*e.AsString());
    }
  }
  if (labels.empty()) return "some label must be provided";
  for (std::string_view l : labels) {
    if (l.empty()) return "empty labels are not allowed";
  }
  return std::nullopt;
}

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value) {
  std::vector<std::string_view> labels;
  if (auto error = ReadSettings(value, labels)) {
    return kw::SettingsInvalid(std::string(kSettingsPrefix) + *error);
  }
  return kw::SettingsValid();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Sets every label of `wanted` on `labels` when absent or different; true if anything changed.
bool Apply(kw::json::Document& doc, kw::json::Value& labels,
           const std::vector<std::pair<std::string_view, std::string_view>>& wanted) {
  bool changed = false;
  for (const auto& [key, value] : wanted) {
    const kw::json::Value* current = labels.Find(key);
    if (current != nullptr && current->AsString() == value) continue;
    doc.Set(labels, key, doc.String(value));
    changed = true;
  }
  return changed;
}

// The `labels` object under `metadata` of `holder`, created when needed; nullptr when a step
// has another type.
kw::json::Value* LabelsOf(kw::json::Document& doc, kw::json::Value* holder) {
  kw::json::Value* metadata = holder ? doc.GetOrAddObject(*holder, "metadata") : nullptr;
  return metadata ? doc.GetOrAddObject(*metadata, "labels") : nullptr;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  std::vector<std::string_view> propagated;
  if (auto error = ReadSettings(request.settings(), propagated)) {
    return kw::EvaluationError(std::string(kSettingsPrefix) + *error);
  }

  std::string_view ns = request.namespace_name();
  if (ns.empty()) return kw::Reject("admission request is missing namespace", 400);

  std::string payload;
  kw::json::Writer w(payload);
  w.BeginObject().Key("api_version").String("v1").Key("kind").String("Namespace");
  w.Key("name").String(ns).Key("disable_cache").Bool(false).EndObject();
  kw::HostResult answer = kw::HostCapability("kubernetes", "get_resource", payload);
  if (!answer) return kw::Reject("cannot get namespace data: " + answer.error(), 400);
  kw::json::Document ns_doc;
  const kw::json::Value* namespace_object = ns_doc.Parse(*answer);
  if (namespace_object == nullptr || !namespace_object->IsObject()) {
    std::string error = namespace_object == nullptr
                            ? ns_doc.error()
                            : "json: cannot unmarshal " + std::string(GoJsonType(*namespace_object)) +
                                  " into Go value of type v1.Namespace";
    return kw::Reject("cannot parse namespace data: " + error, 400);
  }

  std::vector<std::pair<std::string_view, std::string_view>> wanted;
  const kw::json::Value* ns_labels = namespace_object->GetObject("metadata/labels");
  for (std::string_view label : propagated) {
    const kw::json::Value* v = ns_labels ? ns_labels->Find(label) : nullptr;
    if (v == nullptr) continue;
    if (auto s = v->AsString()) wanted.emplace_back(label, *s);
  }

  std::string kind = Lower(request.kind().kind);
  const char* template_path = nullptr;  // pod template holder, relative to the object
  if (kind == "deployment" || kind == "replicaset" || kind == "statefulset" ||
      kind == "daemonset" || kind == "replicationcontroller" || kind == "job") {
    template_path = "spec/template";
  } else if (kind == "cronjob") {
    template_path = "spec/jobTemplate/spec/template";
  } else if (kind != "pod") {
    return kw::EvaluationError(
        "object should be one of these kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, "
        "ReplicationController, Job, CronJob, Pod. Found " +
        std::string(request.kind().kind));
  }
  // Typed decode of the object, as the upstream Go policy does.
  if (auto spec = kw::k8s::ExtractPodSpecGo(request); !spec) {
    if (!spec.error().starts_with("object should be one of these kinds")) {
      return kw::EvaluationError(spec.error());
    }
  }

  kw::json::Value* object = request.mutable_object();
  if (object == nullptr || !object->IsObject()) {
    return kw::EvaluationError("cannot decode the object");
  }
  if (wanted.empty()) return kw::Accept();

  kw::json::Document& doc = request.document();
  bool changed = false;
  kw::json::Value* labels = LabelsOf(doc, object);
  if (labels == nullptr) return kw::EvaluationError("metadata.labels is not an object");
  changed |= Apply(doc, *labels, wanted);
  if (template_path != nullptr) {
    kw::json::Value* holder = object;
    std::string_view path = template_path;
    while (holder != nullptr && !path.empty()) {
      std::size_t slash = path.find('/');
      holder = doc.GetOrAddObject(*holder, path.substr(0, slash));
      path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    kw::json::Value* template_labels = LabelsOf(doc, holder);
    if (template_labels == nullptr) {
      return kw::EvaluationError("pod template metadata.labels is not an object");
    }
    changed |= Apply(doc, *template_labels, wanted);
  }
  if (!changed) return kw::Accept();
  return kw::Mutate(*object);
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
