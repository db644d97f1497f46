// container-resources (policies.md §20): requires and bounds container CPU and memory requests and
// limits, filling missing values from defaults.
//
// Go-origin: settings decode like encoding/json (case-insensitive field names, last duplicate
// wins, null is absent/zero, first error in document order; quantity errors are Kubernetes'
// texts). The pod spec comes from Extraction G; only `containers` are inspected. Every rejection
// carries code 400. Quantities are exact decimals (quantity.h, §1.10).
#include <kubewarden/go_json.h>
#include <kubewarden/kubewarden.h>

#include "quantity.h"

namespace kw = kubewarden;
using kw::k8s::ContainerList;
using quantity::Quantity;

namespace {

enum Bound { kMinLimit, kMaxLimit, kMinRequest, kMaxRequest, kDefaultRequest, kDefaultLimit, kN };
constexpr std::string_view kFieldNames[kN] = {"minLimit",   "maxLimit",       "minRequest",
                                              "maxRequest", "defaultRequest", "defaultLimit"};

struct ResourceConfig {
  Quantity q[kN];
  bool ignore_values = false;

  bool AllZero() const {
    for (const Quantity& x : q) {
      if (!x.IsZero()) return false;
    }
    return true;
  }
  bool Ignore() const { return ignore_values || AllZero(); }
};

struct Settings {
  std::optional<ResourceConfig> cpu;
  std::optional<ResourceConfig> memory;
  std::vector<std::string_view> ignore_images;
};

// Quantity.UnmarshalJSON: null is zero, a string is parsed (trimmed), anything else is parsed as
// its JSON text (so numbers work and other types fail the grammar).
std::string_view DecodeQuantity(const kw::json::Value& v, Quantity& out) {
  if (v.IsNull()) {
    out = Quantity{};
    return {};
  }
  std::string_view text;
  if (v.IsString()) {
    text = *v.AsString();
  } else if (v.IsNumber()) {
    text = v.NumberText();
  } else {
    text = v.IsBool() ? (*v.AsBool() ? "true" : "false") : "{";
  }
  quantity::ParseResult r = quantity::Parse(text);
  if (!r.value) return r.error;
  out = *r.value;
  return {};
}

void ReadConfig(const kw::json::Value& value, std::string_view name, ResourceConfig& config,
                std::string& error) {
  for (const kw::json::Value& m : value) {
    for (int i = 0; i < kN; ++i) {
      if (!kw::GoFieldMatches(m.key(), kFieldNames[i])) continue;
      std::string_view e = DecodeQuantity(m, config.q[i]);
      if (!e.empty() && error.empty()) error = e;
    }
    if (kw::GoFieldMatches(m.key(), "ignoreValues")) {
      if (m.IsBool()) {
        config.ignore_values = *m.AsBool();
      } else if (!m.IsNull() && error.empty()) {
        error = kw::GoTypeError(m, "ResourceConfiguration." + std::string(name) + ".ignoreValues",
                            "bool");
      }
    }
  }
}

// Decodes the settings as upstream's Go struct; returns the decode error, if any.
std::optional<std::string> DecodeSettings(const kw::json::Value& value, Settings& settings) {
  if (!value.IsObject()) {
    if (value.IsNull()) return std::nullopt;
    return kw::GoTypeError(value, "", "main.Settings");
  }
  std::string error;
  for (const kw::json::Value& m : value) {
    bool is_cpu = kw::GoFieldMatches(m.key(), "cpu");
    if (is_cpu || kw::GoFieldMatches(m.key(), "memory")) {
      std::optional<ResourceConfig>& config = is_cpu ? settings.cpu : settings.memory;
      std::string_view name = is_cpu ? "cpu" : "memory";
      if (m.IsNull()) {
        config.reset();
      } else if (m.IsObject()) {
        if (!config) config.emplace();
        ReadConfig(m, name, *config, error);
      } else if (error.empty()) {
        error = kw::GoTypeError(m, "Settings." + std::string(name), "main.ResourceConfiguration");
      }
    } else if (kw::GoFieldMatches(m.key(), "ignoreImages")) {
      settings.ignore_images.clear();
      if (m.IsNull()) continue;
      if (!m.IsArray()) {
        if (error.empty()) error = kw::GoTypeError(m, "Settings.ignoreImages", "[]string");
        continue;
      }
      for (const kw::json::Value& e : m) {
        if (e.IsString()) {
          settings.ignore_images.push_back(*e.AsString());
        } else if (e.IsNull()) {
          settings.ignore_images.push_back({});
        } else if (error.empty()) {
          error = kw::GoTypeError(e, "Settings.ignoreImages", "string");
        }
      }
    }
  }
  if (!error.empty()) return error;
  return std::nullopt;
}

constexpr std::string_view kAllZero = "all the quantities must be defined";

// The first failing check of one resource configuration.
std::optional<std::string> CheckConfig(const ResourceConfig& c) {
  if (c.AllZero() && !c.ignore_values) return std::string(kAllZero);
  struct Pair {
    Bound left, right;
  };
  static constexpr Pair kPairs[] = {
      {kDefaultLimit, kMaxLimit},      {kMinLimit, kMaxLimit},         {kMaxRequest, kMaxLimit},
      {kDefaultRequest, kMaxLimit},    {kMinRequest, kMaxLimit},       {kMinLimit, kDefaultLimit},
      {kMaxRequest, kDefaultLimit},    {kDefaultRequest, kDefaultLimit},
      {kMinRequest, kDefaultLimit},    {kMaxRequest, kMinLimit},       {kDefaultRequest, kMinLimit},
      {kMinRequest, kMinLimit},        {kDefaultRequest, kMaxRequest}, {kMinRequest, kMaxRequest},
      {kMinRequest, kDefaultRequest}};
  static constexpr std::string_view kNames[kN] = {"min limit",   "max limit",       "min request",
                                                  "max request", "default request", "default limit"};
  for (const Pair& p : kPairs) {
    const Quantity& l = c.q[p.left];
    const Quantity& r = c.q[p.right];
    if (l.IsZero() || r.IsZero()) continue;
    if (quantity::Compare(l, r) > 0) {
      return std::string(kNames[p.left]) + ": " + quantity::Canonical(l) +
             " cannot be greater than " + std::string(kNames[p.right]) + ": " +
             quantity::Canonical(r);
    }
  }
  return std::nullopt;
}

// Settings.Valid(): the combined error message, if any.
std::optional<std::string> CheckSettings(const Settings& s) {
  if (!s.cpu && !s.memory) {
    return "no settings provided. At least one resource limit or request must be verified";
  }
  std::optional<std::string> cpu_error = s.cpu ? CheckConfig(*s.cpu) : std::nullopt;
  std::optional<std::string> memory_error = s.memory ? CheckConfig(*s.memory) : std::nullopt;
  if (cpu_error && !memory_error && *cpu_error == kAllZero) return std::nullopt;
  if (memory_error && !cpu_error && *memory_error == kAllZero) return std::nullopt;
  std::string out;
  if (cpu_error) out = "invalid cpu settings\n" + *cpu_error;
  if (memory_error) {
    if (!out.empty()) out.push_back('\n');
    out += "invalid memory settings\n" + *memory_error;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

kw::SettingsValidationResponse ValidateSettings(const kw::json::Value& value) {
  Settings settings;
  std::optional<std::string> error = DecodeSettings(value, settings);
  if (!error) error = CheckSettings(settings);
  if (error) return kw::SettingsInvalid("Provided settings are not valid: " + *error);
  return kw::SettingsValid();
}

bool IgnoredImage(const Settings& s, const kw::json::Value& container) {
  const kw::json::Value* image_value = container.Find("image");
  std::string_view image;
  if (image_value != nullptr && image_value->IsString()) image = *image_value->AsString();
  for (std::string_view pattern : s.ignore_images) {
    if (pattern.ends_with('*')) {
      if (image.starts_with(pattern.substr(0, pattern.size() - 1))) return true;
    } else if (image == pattern) {
      return true;
    }
  }
  return false;
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!quantity::IsSpace(c)) return false;
  }
  return true;
}

// A map member (limits/requests entry) that is absent, null or a blank string is missing.
const kw::json::Value* Entry(const kw::json::Value* map, std::string_view key) {
  if (map == nullptr || !map->IsObject()) return nullptr;
  const kw::json::Value* v = map->Find(key);
  if (v == nullptr || v->IsNull()) return nullptr;
  if (v->IsString() && IsBlank(*v->AsString())) return nullptr;
  return v;
}

const kw::json::Value* Map(const kw::json::Value* resources, std::string_view key) {
  if (resources == nullptr || !resources->IsObject()) return nullptr;
  const kw::json::Value* v = resources->Find(key);
  if (v == nullptr || v->IsNull()) return nullptr;
  return v;
}

std::optional<Quantity> ParseEntry(const kw::json::Value& v) {
  if (!v.IsString()) return std::nullopt;
  quantity::ParseResult r = quantity::Parse(*v.AsString());
  return r.value;
}

std::string_view ParseError(const kw::json::Value& v) {
  if (!v.IsString()) return quantity::kErrFormat;
  return quantity::Parse(*v.AsString()).error;
}

// Sets resources.<map>.<key> = value, creating the maps as needed.
void SetEntry(kw::json::Document& doc, kw::json::Value& container, std::string_view map,
              std::string_view key, const std::string& value) {
  kw::json::Value* resources = doc.GetOrAddObject(container, "resources");
  kw::json::Value* m = resources ? doc.GetOrAddObject(*resources, map) : nullptr;
  if (m != nullptr) doc.Set(*m, key, doc.String(value));
}

// Validates and adjusts one container; returns the rejection message, if any.
std::optional<std::string> CheckContainer(kw::json::Document& doc, kw::json::Value& container,
                                          const Settings& s, bool& mutated) {
  const bool ignore_cpu = s.cpu && s.cpu->Ignore();
  const bool ignore_memory = s.memory && s.memory->Ignore();
  const kw::json::Value* resources = Map(&container, "resources");
  const kw::json::Value* limits = Map(resources, "limits");
  const kw::json::Value* requests = Map(resources, "requests");

  // 2. Presence checks.
  if (resources == nullptr && (ignore_cpu || ignore_memory)) {
    return std::string("container does not have any resource limits or requests: required Cpu:") +
           (ignore_cpu ? "true" : "false") + ", Memory:" + (ignore_memory ? "true" : "false");
  }
  if (limits == nullptr && ignore_cpu && ignore_memory) {
    return "container does not have any resource limits";
  }
  if (ignore_cpu && Entry(limits, "cpu") == nullptr) return "container does not have a cpu limit";
  if (ignore_memory && Entry(limits, "memory") == nullptr) {
    return "container does not have a memory limit";
  }
  if (requests == nullptr && ignore_cpu && ignore_memory) {
    return "container does not have any resource requests";
  }
  auto has_key = [requests](std::string_view key) {
    return requests != nullptr && requests->IsObject() && requests->Find(key) != nullptr;
  };
  if (ignore_cpu && !has_key("cpu")) return "container does not have a cpu request";
  if (ignore_memory && !has_key("memory")) return "container does not have a memory request";

  struct Resource {
    std::string_view name;
    const std::optional<ResourceConfig>& config;
  };
  const Resource kResources[] = {{"memory", s.memory}, {"cpu", s.cpu}};

  // 3. Limits and requests of enforced resources.
  bool limits_mutated = false;
  for (const Resource& r : kResources) {
    if (!r.config || r.config->Ignore()) continue;
    const ResourceConfig& c = *r.config;
    const std::string name(r.name);
    const kw::json::Value* limit = Entry(limits, r.name);
    if (limit == nullptr) {
      if (!c.q[kDefaultLimit].IsZero()) {
        SetEntry(doc, container, "limits", r.name, quantity::Canonical(c.q[kDefaultLimit]));
        limits_mutated = true;
      }
    } else {
      std::optional<Quantity> v = ParseEntry(*limit);
      if (!v) return "invalid " + name + " limit";
      if (!c.q[kMaxLimit].IsZero() && quantity::Compare(*v, c.q[kMaxLimit]) > 0) {
        return name + " limit '" + quantity::Canonical(*v) + "' exceeds the max allowed value '" +
               quantity::Canonical(c.q[kMaxLimit]) + "'";
      }
      if (!c.q[kMinLimit].IsZero() && quantity::Compare(*v, c.q[kMinLimit]) < 0) {
        return name + " limit '" + quantity::Canonical(*v) +
               "' doesn't reach the min allowed value '" + quantity::Canonical(c.q[kMinLimit]) +
               "'";
      }
    }
    const kw::json::Value* request = Entry(requests, r.name);
    if (request != nullptr) {
      std::optional<Quantity> v = ParseEntry(*request);
      if (!v) return "invalid " + name + " request";
      if (!c.q[kMinRequest].IsZero() && quantity::Compare(*v, c.q[kMinRequest]) < 0) {
        return name + " request '" + quantity::Canonical(*v) +
               "' doesn't reach the min allowed value '" + quantity::Canonical(c.q[kMinRequest]) +
               "'";
      }
      if (!c.q[kMaxRequest].IsZero() && quantity::Compare(*v, c.q[kMaxRequest]) > 0) {
        return name + " request '" + quantity::Canonical(*v) +
               "' exceeds the max allowed value '" + quantity::Canonical(c.q[kMaxRequest]) + "'";
      }
    }
  }

  // 4. Request defaulting (ignore mode included).
  bool requests_mutated = false;
  for (const Resource& r : kResources) {
    if (!r.config) continue;
    const Quantity& def = r.config->q[kDefaultRequest];
    if (def.IsZero()) continue;
    const kw::json::Value* res = Map(&container, "resources");
    if (Entry(Map(res, "requests"), r.name) != nullptr) continue;
    SetEntry(doc, container, "requests", r.name, quantity::Canonical(def));
    requests_mutated = true;
  }

  if (!limits_mutated && !requests_mutated) return std::nullopt;
  mutated = true;

  // 5. Consistency after a mutation.
  const std::string prefix = requests_mutated
                                 ? "There is an issue after resource requests mutation"
                                 : "There is an issue after resource limits mutation";
  resources = Map(&container, "resources");
  limits = Map(resources, "limits");
  requests = Map(resources, "requests");
  for (const Resource& r : kResources) {
    const std::string name(r.name);
    const kw::json::Value* limit = Entry(limits, r.name);
    const kw::json::Value* request = Entry(requests, r.name);
    if (limit == nullptr || request == nullptr) continue;
    std::optional<Quantity> l = ParseEntry(*limit);
    if (!l) return prefix + "\ninvalid " + name + " limit\n" + std::string(ParseError(*limit));
    std::optional<Quantity> q = ParseEntry(*request);
    if (!q) {
      return prefix + "\ninvalid " + name + " request\n" + std::string(ParseError(*request));
    }
    if (quantity::Compare(*l, *q) < 0) {
      return prefix + "\n" + name + " limit '" + quantity::Canonical(*l) +
             "' is less than the requested '" + quantity::Canonical(*q) +
             "' value. Please, change the resource configuration or change the policy settings "
             "to accommodate the requested value";
    }
  }
  return std::nullopt;
}

kw::ValidationResponse Validate(kw::ValidationRequest& request) {
  Settings settings;
  if (auto error = DecodeSettings(request.settings(), settings)) {
    return kw::Reject("Provided settings are not valid: " + *error, 400);
  }
  auto spec = kw::k8s::ExtractPodSpecGo(request);
  if (!spec) return kw::Reject(spec.error(), 400);
  if (*spec == nullptr) return kw::Accept();
  kw::json::Document& doc = request.document();
  bool mutated = false;
  for (kw::json::Value& container : kw::k8s::Containers(**spec, ContainerList::kContainers)) {
    if (!container.IsObject() || IgnoredImage(settings, container)) continue;
    if (auto error = CheckContainer(doc, container, settings, mutated)) {
      return kw::Reject(*error, 400);
    }
  }
  if (!mutated) return kw::Accept();
  return kw::Mutate(*request.mutable_object());
}

}  // namespace

KUBEWARDEN_POLICY(Validate, ValidateSettings)
