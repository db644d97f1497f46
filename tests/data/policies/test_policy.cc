// Settings-driven Kubewarden waPC test policy (C++ -> wasm32-wasi reactor).
//
// Operations:
//   validate_settings  settings {"invalid": "<msg>"} -> {"valid":false,"message":"<msg>"}
//                      anything else                 -> {"valid":true}
//   validate           payload {"request": ..., "settings": ...}; see validate() below
//   protocol_version   -> "v1"
//   anything else      -> __guest_error("unknown operation: <op>"), returns 0
//
// validate, driven by settings (first matching key wins, after `log`):
//   log: "<msg>"          logged first via __console_log (then evaluation continues)
//   respond: <json>       raw response bytes: the serialized value, or a string's content verbatim
//   reject: "<msg>"       {"accepted":false,"message":msg[,"code":settings.code]}
//   add_label: {key,value} accept, mutated_object = request.object with metadata.labels[key]=value
//   host_call: {binding,namespace,operation,payload}
//                         __host_call(payload serialized as JSON; absent -> empty bytes);
//                         success -> accept, message = host response text
//                         failure -> reject, message = "host error: <host error text>"
//   otherwise             reject "Privileged container is not allowed" if any
//                         request.object.spec.containers[*].securityContext.privileged == true,
//                         else accept.
//   warnings: [str] and annotations: {str: str} are copied into every *accepting*
//   response ("warnings" and "audit_annotations").
#define JSON_NOEXCEPTION
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using json = nlohmann::json;

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(name)))

extern "C" {
WAPC_IMPORT("__guest_request") void wapc_guest_request(char* op_ptr, char* payload_ptr);
WAPC_IMPORT("__guest_response") void wapc_guest_response(const char* ptr, size_t len);
WAPC_IMPORT("__guest_error") void wapc_guest_error(const char* ptr, size_t len);
WAPC_IMPORT("__host_call")
int wapc_host_call(const char* bd_ptr, size_t bd_len, const char* ns_ptr, size_t ns_len,
                   const char* op_ptr, size_t op_len, const char* ptr, size_t len);
WAPC_IMPORT("__host_response_len") size_t wapc_host_response_len();
WAPC_IMPORT("__host_response") void wapc_host_response(char* ptr);
WAPC_IMPORT("__host_error_len") size_t wapc_host_error_len();
WAPC_IMPORT("__host_error") void wapc_host_error(char* ptr);
WAPC_IMPORT("__console_log") void wapc_console_log(const char* ptr, size_t len);
}

namespace {

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

int respond_raw(std::string_view bytes) {
  wapc_guest_response(bytes.data(), bytes.size());
  return 1;
}

int respond(const json& j) { return respond_raw(dump(j)); }

int fail(std::string_view msg) {
  wapc_guest_error(msg.data(), msg.size());
  return 0;
}

// Member lookup that never aborts: nullptr unless `j` is an object holding `key`.
const json* get(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

const std::string* get_string(const json& j, const char* key) {
  const json* v = get(j, key);
  return v && v->is_string() ? v->get_ptr<const std::string*>() : nullptr;
}

std::string field(const json& j, const char* key) {
  const std::string* s = get_string(j, key);
  return s ? *s : std::string();
}

json accept(const json& settings) {
  json r = {{"accepted", true}};
  if (const json* w = get(settings, "warnings"); w && w->is_array()) r["warnings"] = *w;
  if (const json* a = get(settings, "annotations"); a && a->is_object()) r["audit_annotations"] = *a;
  return r;
}

json reject(std::string msg) { return {{"accepted", false}, {"message", std::move(msg)}}; }

bool privileged(const json& request) {
  const json* object = get(request, "object");
  const json* spec = object ? get(*object, "spec") : nullptr;
  const json* containers = spec ? get(*spec, "containers") : nullptr;
  if (!containers || !containers->is_array()) return false;
  for (const json& c : *containers) {
    const json* sc = get(c, "securityContext");
    const json* p = sc ? get(*sc, "privileged") : nullptr;
    if (p && p->is_boolean() && p->get<bool>()) return true;
  }
  return false;
}

int validate(std::string_view payload) {
  json in = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (in.is_discarded() || !in.is_object()) return fail("cannot parse the validation request");
  const json empty = json::object();
  const json* request = get(in, "request");
  if (!request) request = &empty;
  const json* settings = get(in, "settings");
  if (!settings || !settings->is_object()) settings = &empty;

  if (const std::string* msg = get_string(*settings, "log")) wapc_console_log(msg->data(), msg->size());

  if (const json* raw = get(*settings, "respond")) {
    if (raw->is_string()) return respond_raw(raw->get_ref<const std::string&>());
    return respond(*raw);
  }

  if (const std::string* msg = get_string(*settings, "reject")) {
    json r = reject(*msg);
    if (const json* code = get(*settings, "code")) r["code"] = *code;
    return respond(r);
  }

  if (const json* label = get(*settings, "add_label"); label && label->is_object()) {
    json object = json::object();
    if (const json* o = get(*request, "object"); o && o->is_object()) object = *o;
    json& metadata = object["metadata"];
    if (!metadata.is_object()) metadata = json::object();
    json& labels = metadata["labels"];
    if (!labels.is_object()) labels = json::object();
    labels[field(*label, "key")] = field(*label, "value");
    json r = accept(*settings);
    r["mutated_object"] = std::move(object);
    return respond(r);
  }

  if (const json* hc = get(*settings, "host_call"); hc && hc->is_object()) {
    std::string bd = field(*hc, "binding"), ns = field(*hc, "namespace"), op = field(*hc, "operation");
    std::string body;
    if (const json* p = get(*hc, "payload")) body = dump(*p);
    int ok = wapc_host_call(bd.data(), bd.size(), ns.data(), ns.size(), op.data(), op.size(),
                            body.data(), body.size());
    std::string answer(ok ? wapc_host_response_len() : wapc_host_error_len(), '\0');
    if (ok) {
      wapc_host_response(answer.data());
      json r = accept(*settings);
      r["message"] = std::move(answer);
      return respond(r);
    }
    wapc_host_error(answer.data());
    return respond(reject("host error: " + answer));
  }

  if (privileged(*request)) return respond(reject("Privileged container is not allowed"));
  return respond(accept(*settings));
}

int validate_settings(std::string_view payload) {
  json settings = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (settings.is_discarded())
    return respond(json{{"valid", false}, {"message", "cannot parse the settings"}});
  if (const std::string* msg = get_string(settings, "invalid"))
    return respond(json{{"valid", false}, {"message", *msg}});
  return respond(json{{"valid", true}});
}

}  // namespace

extern "C" __attribute__((export_name("__guest_call"))) int guest_call(size_t op_len, size_t msg_len) {
  std::string op(op_len, '\0');
  std::string payload(msg_len, '\0');
  wapc_guest_request(op.data(), payload.data());

  if (op == "validate") return validate(payload);
  if (op == "validate_settings") return validate_settings(payload);
  if (op == "protocol_version") return respond_raw("\"v1\"");
  return fail("unknown operation: " + op);
}
