// echo (policies-more.md §19): a debugging aid for policy authors. An object that carries the
// annotation io.kubewarden.policy.echo.<operation> is rejected with code 418 and, as the
// message, the AdmissionRequest it came in, so the author sees what a policy receives.
//
// CREATE and CONNECT look at the object's annotations, UPDATE and DELETE at the old object's.
// The message is compact JSON with the keys of every object in byte order, as upstream's
// serde_json map (a BTreeMap) prints them; a repeated key keeps its last value there too.
// Numbers keep the text they came with. No settings.
#include <kubewarden/kubewarden.h>

#include <algorithm>
#include <vector>

namespace kw = kubewarden;

namespace {

void WriteSorted(kw::json::Writer& out, const kw::json::Value& value) {
  if (value.IsArray()) {
    out.BeginArray();
    for (const kw::json::Value& element : value) WriteSorted(out, element);
    out.EndArray();
    return;
  }
  if (!value.IsObject()) {
    out.Json(value);
    return;
  }
  std::vector<const kw::json::Value*> members;
  for (const kw::json::Value& member : value) members.push_back(&member);
  // Stable, so that among equal keys the last one in the document stays last.
  std::stable_sort(members.begin(), members.end(),
                   [](const auto* a, const auto* b) { return a->key() < b->key(); });
  out.BeginObject();
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i + 1 < members.size() && members[i + 1]->key() == members[i]->key()) continue;
    out.Key(members[i]->key());
    WriteSorted(out, *members[i]);
  }
  out.EndObject();
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  const kw::json::Value* operation = request.request().Find("operation");
  if (operation == nullptr || !operation->IsString()) {
    return kw::EvaluationError("jmespath didn't return a string");
  }
  std::string_view op = *operation->AsString();
  const kw::json::Value* object;
  if (op == "CREATE" || op == "CONNECT") {
    object = request.object();
  } else if (op == "UPDATE" || op == "DELETE") {
    object = request.old_object();
  } else {
    return kw::EvaluationError("unknown type of operation: " + std::string(op));
  }

  std::string trigger = "io.kubewarden.policy.echo.";
  for (char c : op) trigger.push_back(static_cast<char>(c - 'A' + 'a'));
  const kw::json::Value* metadata = object ? object->Find("metadata") : nullptr;
  const kw::json::Value* annotations = metadata ? metadata->Find("annotations") : nullptr;
  if (annotations == nullptr || !annotations->IsObject() || annotations->Find(trigger) == nullptr) {
    return kw::Accept();
  }
  std::string message;
  kw::json::Writer writer(message);
  WriteSorted(writer, request.request());
  return kw::Reject(message, 418);
}

}  // namespace

KUBEWARDEN_POLICY_NO_SETTINGS(Validate)
