#include "controller/controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "base/base64.h"
#include "base/yaml.h"
#include "certs/certificates.h"
#include "certs/rotation.h"
#include "controller/conditions.h"
#include "crd/replica_report.h"
#include "kube/resources.h"

namespace kw::controller {
namespace {

using Requeue = std::optional<std::chrono::milliseconds>;
using std::chrono::milliseconds;

constexpr std::string_view kPolicyServerKind = "PolicyServer";
constexpr std::string_view kCaSecretName = "kubewarden-ca";
constexpr std::string_view kManagedByLabel = "kubewarden.io/managed-by";
constexpr std::string_view kManagedByDefaults = "kubewarden-controller-defaults";
constexpr std::string_view kWebhookServerSecret = "kubewarden-webhook-server-cert";
constexpr std::string_view kOwnValidatingWebhooks =
    "kubewarden-controller-validating-webhook-configuration";
constexpr std::string_view kOwnMutatingWebhooks =
    "kubewarden-controller-mutating-webhook-configuration";
constexpr std::string_view kPolicyServerLabel = "kubewarden/policy-server";
constexpr std::string_view kObjectPrefix = "policy-server-";
constexpr milliseconds kWebhookCleanupPoll{2000};

std::string PolicyServerKey(std::string_view name) {
  return std::string(kPolicyServerKind) + "//" + std::string(name);
}

std::string PolicyKey(crd::PolicyKind kind, std::string_view ns, std::string_view name) {
  return std::string(crd::KindName(kind)) + "/" + std::string(ns) + "/" + std::string(name);
}

// Names an object of an informer in the memo of parsed objects. Two informers of one resource
// share entries: the same text parses the same.
std::string ObjectKey(const kube::ResourceType& type, std::string_view ns, std::string_view name) {
  std::string key = type.plural + "." + type.group + "/";
  key.append(ns).append("/").append(name);
  return key;
}

// Secret data, decoded; values that are not base64 are left out (they cannot be what we wrote).
certs::SecretData SecretData(const json::value& secret) {
  certs::SecretData data;
  const json::value* fields = FindKey(secret, "data");
  if (fields == nullptr || !fields->is_object()) return data;
  for (const auto& [key, value] : fields->get_object()) {
    if (!value.is_string()) continue;
    if (auto decoded = Base64Decode(value.get_string())) data[std::string(key)] = *decoded;
  }
  return data;
}

json::object EncodeSecretData(const certs::SecretData& data) {
  json::object encoded;
  for (const auto& [key, value] : data) encoded[key] = Base64Encode(value);
  return encoded;
}

json::array FinalizersWithout(const crd::ObjectMeta& meta) {
  json::array kept;
  for (const std::string& finalizer : meta.finalizers) {
    if (finalizer != crd::kFinalizer && finalizer != crd::kLegacyFinalizer) {
      kept.emplace_back(finalizer);
    }
  }
  return kept;
}

json::array FinalizersWith(const crd::ObjectMeta& meta) {
  json::array finalizers;
  for (const std::string& finalizer : meta.finalizers) finalizers.emplace_back(finalizer);
  finalizers.emplace_back(crd::kFinalizer);
  return finalizers;
}

json::array ConditionsOf(const json::value& status) {
  const json::value* conditions = FindKey(status, "conditions");
  return conditions != nullptr && conditions->is_array() ? conditions->get_array()
                                                         : json::array();
}

}  // namespace

Controller::Controller(std::shared_ptr<const kube::Client> client, ControllerOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  discovery_ = std::make_shared<kube::Discovery>(client_);
  applier_ = std::make_unique<Applier>(client_, discovery_);
}

Controller::~Controller() { Stop(); }

Result<void> Controller::StartInformer(
    std::unique_ptr<kube::Reflector>& slot, std::string_view api_version, std::string_view kind,
    std::string_view ns, kube::Selectors selectors,
    std::function<void(std::string_view, std::string_view)> on_change) {
  KW_ASSIGN_OR_RETURN(kube::ResourceType type, discovery_->Find(api_version, kind));
  kube::ReflectorOptions options;
  options.ns = std::string(ns);
  // Events before every informer exists are dropped: mapping them reads the other informers,
  // and Start queues every object once they have all listed.
  options.on_change = [this, type, on_change = std::move(on_change)](std::string_view object_ns,
                                                                      std::string_view name) {
    const std::string key = ObjectKey(type, object_ns, name);
    objects_.Forget(key);
    policies_read_.Forget(key);
    if (informers_ready_.load()) on_change(object_ns, name);
  };
  slot = std::make_unique<kube::Reflector>(client_, std::move(type), std::move(selectors),
                                           std::vector<std::string>{}, std::move(options));
  return {};
}

Result<void> Controller::Start(std::chrono::steady_clock::time_point deadline) {
  const std::string& ns = options_.cluster.deployments_namespace;
  KW_TRY(StartInformer(policy_servers_, crd::kApiVersion, kPolicyServerKind, "", {},
                       [this](std::string_view, std::string_view name) {
                         EnqueuePolicyServer(name);
                         EnqueuePoliciesOf(name);
                         EnqueueDefaults();
                       }));
  for (crd::PolicyKind kind : crd::kAllPolicyKinds) {
    KW_TRY(StartInformer(
        policies_[static_cast<int>(kind)], crd::kApiVersion, crd::KindName(kind), "", {},
        [this, kind](std::string_view policy_ns, std::string_view name) {
          queue_.Add(PolicyKey(kind, policy_ns, name));
          EnqueueDefaults();
          // The policy server's ConfigMap lists the policy: whichever server it names now or
          // named before (the informer no longer knows), so every server looks again.
          if (auto object = Cached(*policies_[static_cast<int>(kind)], policy_ns, name)) {
            EnqueuePolicyServer(StringAt(*object, {"spec", "policyServer"}));
          } else {
            policy_servers_->Visit("", [this](std::string_view, std::string_view ps,
                                              std::string_view) { EnqueuePolicyServer(ps); });
          }
        }));
  }
  const auto owned = [this](std::string_view, std::string_view name) { EnqueueOwnedObject(name); };
  const kube::Selectors by_policy_server{std::string(kPolicyServerLabel), ""};
  const kube::Selectors part_of_kubewarden{"app.kubernetes.io/part-of=kubewarden", ""};
  KW_TRY(StartInformer(config_maps_, "v1", "ConfigMap", ns, by_policy_server,
                       [this](std::string_view, std::string_view name) {
                         EnqueueOwnedObject(name);
                         if (name.starts_with(kObjectPrefix)) {
                           EnqueuePoliciesOf(name.substr(kObjectPrefix.size()));
                         }
                       }));
  KW_TRY(StartInformer(deployments_, "apps/v1", "Deployment", ns, by_policy_server,
                       [this](std::string_view, std::string_view name) {
                         EnqueueOwnedObject(name);
                         if (name.starts_with(kObjectPrefix)) {
                           EnqueuePoliciesOf(name.substr(kObjectPrefix.size()));
                         }
                       }));
  KW_TRY(StartInformer(services_, "v1", "Service", ns, by_policy_server, owned));
  KW_TRY(StartInformer(budgets_, "policy/v1", "PodDisruptionBudget", ns, {}, owned));
  KW_TRY(StartInformer(secrets_, "v1", "Secret", ns, {},
                       [this](std::string_view, std::string_view name) {
                         if (name == kCaSecretName || name == kWebhookServerSecret) {
                           queue_.Add("CA");
                           EnqueueAll();
                         } else {
                           EnqueueOwnedObject(name);
                         }
                       }));
  KW_TRY(StartInformer(pods_, "v1", "Pod", ns, by_policy_server,
                       [this](std::string_view pod_ns, std::string_view name) {
                         if (auto pod = Cached(*pods_, pod_ns, name)) {
                           const std::string server =
                               StringAt(*pod, {"metadata", "labels", kPolicyServerLabel});
                           EnqueuePolicyServer(server);  // whether its replicas report
                           EnqueuePoliciesOf(server);
                         } else {
                           EnqueueAll();  // a Pod went away: its server is unknown now
                         }
                       }));
  const auto webhook_changed = [this](std::string_view, std::string_view name) {
    if (name == kOwnValidatingWebhooks || name == kOwnMutatingWebhooks) {
      queue_.Add("CA");  // re-applied by hand or by a chart: its caBundle may be gone
      return;
    }
    // The configuration names its policy in annotations (kubewardenPolicyName, and
    // kubewardenPolicyNamespace for a namespaced one): the policy of either kind that can have
    // that name and scope looks again (a key with no object behind it costs a lookup).
    for (kube::Reflector* informer : {validating_webhooks_.get(), mutating_webhooks_.get()}) {
      const Object configuration =
          informer != nullptr ? Cached(*informer, "", name) : nullptr;
      const std::string policy_name =
          configuration ? StringAt(*configuration, {"metadata", "annotations", "kubewardenPolicyName"})
                        : std::string();
      if (policy_name.empty()) continue;
      const std::string policy_ns =
          StringAt(*configuration, {"metadata", "annotations", "kubewardenPolicyNamespace"});
      for (crd::PolicyKind kind : crd::kAllPolicyKinds) {
        if (crd::IsNamespaced(kind) == !policy_ns.empty()) {
          queue_.Add(PolicyKey(kind, policy_ns, policy_name));
        }
      }
      return;
    }
    // Gone, or made by someone else: the configuration's name is the policy's unique name.
    for (crd::PolicyKind kind : crd::kAllPolicyKinds) {
      const kube::Reflector& informer = *policies_[static_cast<int>(kind)];
      informer.Visit(
          "", [&](std::string_view policy_ns, std::string_view policy_name,
                  std::string_view json) {
            auto policy = PolicyOf(informer, policy_ns, policy_name, json);
            if (policy && policy->UniqueName() == name) {
              queue_.Add(PolicyKey(kind, policy_ns, policy_name));
            }
          });
    }
  };
  KW_TRY(StartInformer(validating_webhooks_, "admissionregistration.k8s.io/v1",
                       "ValidatingWebhookConfiguration", "", part_of_kubewarden,
                       webhook_changed));
  KW_TRY(StartInformer(mutating_webhooks_, "admissionregistration.k8s.io/v1",
                       "MutatingWebhookConfiguration", "", part_of_kubewarden,
                       webhook_changed));

  if (!options_.defaults_config_map.empty()) {
    KW_TRY(StartInformer(defaults_, "v1", "ConfigMap", ns,
                         {"", "metadata.name=" + options_.defaults_config_map},
                         [this](std::string_view, std::string_view) { EnqueueDefaults(); }));
    KW_TRY(defaults_->WaitSynced(deadline));
    queue_.Add("Defaults");
  }
  for (kube::Reflector* reflector :
       {policy_servers_.get(), policies_[0].get(), policies_[1].get(), policies_[2].get(),
        policies_[3].get(), config_maps_.get(), deployments_.get(), services_.get(),
        budgets_.get(), secrets_.get(), pods_.get(), validating_webhooks_.get(),
        mutating_webhooks_.get()}) {
    KW_TRY(reflector->WaitSynced(deadline));
  }
  informers_ready_ = true;
  queue_.Add("CA");
  EnqueueAll();
  for (unsigned i = 0; i < std::max(1u, options_.workers); ++i) {
    workers_.emplace_back([this] { Worker(); });
  }
  started_ = true;
  return {};
}

void Controller::Stop() {
  queue_.ShutDown();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  // Informers stop with their destructors, before the queue they feed.
  policy_servers_.reset();
  for (auto& reflector : policies_) reflector.reset();
  config_maps_.reset();
  deployments_.reset();
  services_.reset();
  budgets_.reset();
  secrets_.reset();
  pods_.reset();
  validating_webhooks_.reset();
  mutating_webhooks_.reset();
  defaults_.reset();
}

void Controller::Worker() {
  while (std::optional<std::string> key = queue_.Get()) {
    auto result = Reconcile(*key);
    if (!result) {
      // A conflict only means an informer is a little behind: its event brings the key back.
      if (result.error().kind == ErrorKind::kConflict) {
        spdlog::debug("reconcile {}: {}", *key, result.error().message);
      } else {
        spdlog::error("reconcile {}: {}", *key, result.error().message);
      }
      queue_.AddWithBackoff(*key);
    } else {
      queue_.Forget(*key);
      if (*result) queue_.AddAfter(*key, **result);
    }
    queue_.Done(*key);
  }
}

Result<Requeue> Controller::Reconcile(const std::string& key) {
  if (key == "CA") return ReconcileCa();
  if (key == "Defaults") return ReconcileDefaults();
  const std::size_t first = key.find('/');
  const std::size_t second = key.find('/', first + 1);
  if (first == std::string::npos || second == std::string::npos) return Requeue{};
  const std::string kind = key.substr(0, first);
  const std::string ns = key.substr(first + 1, second - first - 1);
  const std::string name = key.substr(second + 1);
  if (kind == kPolicyServerKind) return ReconcilePolicyServer(name);
  if (auto policy_kind = crd::PolicyKindFromName(kind)) {
    return ReconcilePolicy(*policy_kind, ns, name);
  }
  return Requeue{};
}

Controller::Object Controller::Cached(const kube::Reflector& reflector, std::string_view ns,
                                      std::string_view name) const {
  kube::Reflector::Text text = reflector.Find(ns, name);
  if (!text) return nullptr;
  return Parsed(reflector, ns, name, *text, text);
}

Controller::Object Controller::Parsed(const kube::Reflector& reflector, std::string_view ns,
                                      std::string_view name, std::string_view json,
                                      kube::Reflector::Text shared) const {
  return objects_.Get(
      ObjectKey(reflector.type(), ns, name), json,
      [](std::string_view text) -> Object {
        auto parsed = ParseJson(text);
        if (!parsed) return nullptr;
        return std::make_shared<const json::value>(std::move(*parsed));
      },
      std::move(shared));
}

std::shared_ptr<const crd::ServedConfiguration> Controller::ServedConfigurationOf(
    std::string_view policy_server) {
  const std::string name = PolicyServerObjectName(policy_server);
  kube::Reflector::Text text = config_maps_->Find(options_.cluster.deployments_namespace, name);
  if (!text) {
    served_.Forget(name);
    return nullptr;
  }
  return served_.Get(
      name, *text,
      [&](std::string_view) -> std::shared_ptr<const crd::ServedConfiguration> {
        Object parsed =
            Parsed(*config_maps_, options_.cluster.deployments_namespace, name, *text, text);
        if (!parsed) return nullptr;
        return std::make_shared<const crd::ServedConfiguration>(
            crd::ReadServedConfiguration(*parsed));
      },
      text);
}

std::shared_ptr<const crd::Policy> Controller::PolicyOf(const kube::Reflector& reflector,
                                                        std::string_view ns, std::string_view name,
                                                        std::string_view json,
                                                        kube::Reflector::Text shared) const {
  return policies_read_.Get(
      ObjectKey(reflector.type(), ns, name), json,
      [&](std::string_view) -> std::shared_ptr<const crd::Policy> {
        Object parsed = Parsed(reflector, ns, name, json, shared);
        if (!parsed) return nullptr;
        auto policy = crd::ParsePolicy(*parsed);
        if (!policy) return nullptr;
        return std::make_shared<const crd::Policy>(std::move(*policy));
      },
      shared);
}

std::vector<std::shared_ptr<const crd::Policy>> Controller::PoliciesOf(
    std::string_view policy_server) const {
  std::vector<std::shared_ptr<const crd::Policy>> bound;
  for (const auto& reflector : policies_) {
    reflector->Visit("", [&](std::string_view ns, std::string_view name, std::string_view json) {
      auto policy = PolicyOf(*reflector, ns, name, json);
      if (policy && policy->policy_server == policy_server && !policy->meta.deleting) {
        bound.push_back(std::move(policy));
      }
    });
  }
  return bound;
}

std::vector<json::value> Controller::PodsOf(std::string_view policy_server) const {
  std::vector<json::value> pods;
  pods_->Visit(options_.cluster.deployments_namespace,
               [&](std::string_view ns, std::string_view name, std::string_view json) {
                 Object parsed = Parsed(*pods_, ns, name, json);
                 if (parsed && StringAt(*parsed, {"metadata", "labels", kPolicyServerLabel}) ==
                                   policy_server) {
                   pods.push_back(*parsed);
                 }
               });
  return pods;
}

Controller::Object Controller::CaSecret() const {
  return Cached(*secrets_, options_.cluster.deployments_namespace, kCaSecretName);
}

std::string Controller::CaBundle() const {
  const std::string& ns = options_.cluster.deployments_namespace;
  kube::Reflector::Text text = secrets_->Find(ns, kCaSecretName);
  if (!text) return {};
  std::shared_ptr<const std::string> bundle = ca_bundles_.Get(
      kCaSecretName, *text,
      [&](std::string_view) -> std::shared_ptr<const std::string> {
        Object secret = Parsed(*secrets_, ns, kCaSecretName, *text, text);
        if (!secret) return nullptr;
        return std::make_shared<const std::string>(certs::CaBundleOf(SecretData(*secret)));
      },
      text);
  return bundle ? *bundle : std::string();
}

void Controller::EnqueuePolicyServer(std::string_view name) {
  if (!name.empty()) queue_.Add(PolicyServerKey(name));
}

void Controller::EnqueuePoliciesOf(std::string_view policy_server) {
  for (crd::PolicyKind kind : crd::kAllPolicyKinds) {
    const kube::Reflector& informer = *policies_[static_cast<int>(kind)];
    informer.Visit(
        "", [&](std::string_view ns, std::string_view name, std::string_view json) {
          Object parsed = Parsed(informer, ns, name, json);
          if (parsed && StringAt(*parsed, {"spec", "policyServer"}) == policy_server) {
            queue_.Add(PolicyKey(kind, ns, name));
          }
        });
  }
}

void Controller::EnqueueDefaults() {
  if (!options_.defaults_config_map.empty()) queue_.Add("Defaults");
}

void Controller::EnqueueOwnedObject(std::string_view name) {
  if (name.starts_with(kObjectPrefix)) EnqueuePolicyServer(name.substr(kObjectPrefix.size()));
}

void Controller::EnqueueAll() {
  policy_servers_->Visit("", [this](std::string_view, std::string_view name, std::string_view) {
    EnqueuePolicyServer(name);
  });
  for (crd::PolicyKind kind : crd::kAllPolicyKinds) {
    policies_[static_cast<int>(kind)]->Visit(
        "", [&](std::string_view ns, std::string_view name, std::string_view) {
          queue_.Add(PolicyKey(kind, ns, name));
        });
  }
}

Result<Requeue> Controller::ReconcileDefaults() {
  Object config_map =
      Cached(*defaults_, options_.cluster.deployments_namespace, options_.defaults_config_map);
  if (!config_map) return Requeue{};  // none (yet): what was applied stays
  const json::value* data = FindKey(*config_map, "data");
  if (data == nullptr || !data->is_object()) return Requeue{};

  // The informer of each kind a default may be, and where its objects are.
  const auto informer_of = [&](std::string_view kind) -> kube::Reflector* {
    if (kind == kPolicyServerKind) return policy_servers_.get();
    if (auto policy_kind = crd::PolicyKindFromName(kind)) {
      return policies_[static_cast<int>(*policy_kind)].get();
    }
    return nullptr;
  };
  std::set<std::string> wanted;  // "<kind>/<ns>/<name>"
  std::string errors;
  for (const auto& [key, text] : data->get_object()) {
    if (!text.is_string()) continue;
    auto document = ParseYamlAsJson(text.get_string(), "invalid YAML in " + std::string(key));
    const std::string kind = document ? StringAt(*document, {"kind"}) : std::string();
    kube::Reflector* informer = document ? informer_of(kind) : nullptr;
    // Only Kubewarden's kinds: a default is not a way to create arbitrary objects.
    if (!document || !document->is_object() || informer == nullptr ||
        StringAt(*document, {"apiVersion"}) != crd::kApiVersion) {
      errors += (errors.empty() ? "" : "; ") + std::string(key) + ": " +
                (document ? "not a " + std::string(crd::kApiVersion) + " PolicyServer or policy"
                          : document.error().message);
      continue;
    }
    json::object& metadata = document->as_object()["metadata"].as_object();
    json::value& labels = metadata["labels"];
    if (!labels.is_object()) labels = json::object{};
    labels.as_object()[kManagedByLabel] = kManagedByDefaults;
    const std::string ns = StringAt(*document, {"metadata", "namespace"});
    const std::string name = StringAt(*document, {"metadata", "name"});
    wanted.insert(kind + "/" + ns + "/" + name);
    Object live = Cached(*informer, ns, name);
    auto applied = applier_->Ensure(*document, live ? &*live : nullptr);
    if (!applied) errors += (errors.empty() ? "" : "; ") + std::string(key) + ": " + applied.error().message;
  }
  // Defaults that left the ConfigMap go.
  for (std::string_view kind : {kPolicyServerKind, crd::KindName(crd::PolicyKind::kClusterAdmissionPolicy),
                                crd::KindName(crd::PolicyKind::kAdmissionPolicy),
                                crd::KindName(crd::PolicyKind::kClusterAdmissionPolicyGroup),
                                crd::KindName(crd::PolicyKind::kAdmissionPolicyGroup)}) {
    std::vector<std::pair<std::string, std::string>> stale;
    informer_of(kind)->Visit("", [&](std::string_view ns, std::string_view name,
                                     std::string_view json) {
      Object parsed = Parsed(*informer_of(kind), ns, name, json);
      if (parsed && StringAt(*parsed, {"metadata", "labels", kManagedByLabel}) == kManagedByDefaults &&
          !wanted.contains(std::string(kind) + "/" + std::string(ns) + "/" + std::string(name))) {
        stale.emplace_back(ns, name);
      }
    });
    for (const auto& [ns, name] : stale) {
      Object live = Cached(*informer_of(kind), ns, name);
      KW_TRY(applier_->EnsureDeleted(crd::kApiVersion, kind, ns, name, live ? &*live : nullptr));
    }
  }
  if (!errors.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "ConfigMap " + options_.defaults_config_map + ": " + errors);
  }
  return Requeue{};
}

Result<Requeue> Controller::ReconcileCa() {
  const Object live = CaSecret();
  const certs::SecretData current = live ? SecretData(*live) : certs::SecretData{};
  KW_ASSIGN_OR_RETURN(certs::CaRotation rotation, certs::RotateCa(current, options_.now()));
  if (rotation.changed) {
    spdlog::info("{} the root CA (Secret {}/{})", live ? "rotating" : "creating",
                 options_.cluster.deployments_namespace, kCaSecretName);
    json::value desired = json::object{
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"metadata", json::object{{"name", kCaSecretName},
                                  {"namespace", options_.cluster.deployments_namespace},
                                  {"labels", json::object{{"app.kubernetes.io/part-of",
                                                           "kubewarden"}}}}},
        {"type", "Opaque"},
        {"data", EncodeSecretData(rotation.data)}};
    KW_TRY(applier_->Ensure(desired, nullptr));
    // The informer brings the new CA back here; the rest is done with it in hand.
    return Requeue{};
  }
  const std::string& ns = options_.cluster.deployments_namespace;
  KW_TRY(EnsureServingSecret(
      kWebhookServerSecret, options_.webhook_service_name + "." + ns + ".svc",
      [&](const certs::IssuedCertificate& issued) -> json::value {
        return json::object{
            {"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata",
             json::object{{"name", kWebhookServerSecret},
                          {"namespace", ns},
                          {"labels", json::object{{"app.kubernetes.io/part-of", "kubewarden"}}},
                          {"annotations", json::object{{kCertFormatVersionAnnotation,
                                                        kCertFormatVersion}}}}},
            {"type", "kubernetes.io/tls"},
            {"data", json::object{{"tls.crt", Base64Encode(issued.cert_pem)},
                                  {"tls.key", Base64Encode(issued.key_pem)}}}};
      }));
  KW_TRY(EnsureOwnWebhooksTrust(rotation.ca_bundle));
  return Requeue{std::chrono::duration_cast<milliseconds>(options_.ca_check_interval)};
}

Result<void> Controller::EnsureServingSecret(
    std::string_view secret_name, std::string_view dns_name,
    const std::function<json::value(const certs::IssuedCertificate&)>& desired) {
  Object ca_secret = CaSecret();
  if (!ca_secret) return Fail(ErrorKind::kNotFound, "the root CA does not exist yet");
  certs::SecretData ca_data = SecretData(*ca_secret);
  certs::CertificateAuthority ca{ca_data[std::string(certs::kCaCertKey)],
                                 ca_data[std::string(certs::kCaKeyKey)]};
  Object live =
      Cached(*secrets_, options_.cluster.deployments_namespace, secret_name);
  const bool current_format =
      live && StringAt(*live, {"metadata", "annotations", kCertFormatVersionAnnotation}) ==
                  kCertFormatVersion;
  if (current_format &&
      !certs::NeedsReissue(SecretData(*live), ca.cert_pem, dns_name, options_.now())) {
    return {};
  }
  KW_ASSIGN_OR_RETURN(certs::IssuedCertificate issued,
                      certs::IssueServing(ca, dns_name, options_.now()));
  KW_TRY(applier_->Ensure(desired(issued), nullptr));
  return {};
}

Result<void> Controller::EnsureOwnWebhooksTrust(const std::string& bundle) {
  const std::string encoded = Base64Encode(bundle);
  for (auto [informer, name] :
       {std::pair{validating_webhooks_.get(), kOwnValidatingWebhooks},
        std::pair{mutating_webhooks_.get(), kOwnMutatingWebhooks}}) {
    Object live = Cached(*informer, "", name);
    if (!live) continue;  // not installed (a test, or webhooks disabled)
    json::value updated = *live;
    json::value* webhooks = updated.as_object().if_contains("webhooks");
    if (webhooks == nullptr || !webhooks->is_array()) continue;
    for (json::value& webhook : webhooks->as_array()) {
      if (!webhook.is_object()) continue;
      json::value& client_config = webhook.as_object()["clientConfig"];
      if (!client_config.is_object()) client_config = json::object{};
      client_config.as_object()["caBundle"] = encoded;
    }
    if (updated == *live) continue;
    KW_ASSIGN_OR_RETURN(kube::ResourceType type,
                        discovery_->Find(StringAt(updated, {"apiVersion"}),
                                         StringAt(updated, {"kind"})));
    KW_TRY(kube::Update(*client_, type, "", updated));
  }
  return {};
}

Result<Requeue> Controller::ReconcilePolicyServer(const std::string& name) {
  Object live = Cached(*policy_servers_, "", name);
  if (!live) return Requeue{};  // gone: what it owned is garbage-collected
  KW_ASSIGN_OR_RETURN(crd::PolicyServer server, crd::ParsePolicyServer(*live));
  const std::string now = Rfc3339(options_.now());
  const std::string& ns = options_.cluster.deployments_namespace;
  json::value status = server.status.is_object() ? server.status : json::object{};
  json::array conditions = ConditionsOf(status);

  if (server.meta.deleting) {
    // Its policies' webhooks must go before it does, or the API server would keep calling a
    // policy server that no longer exists.
    std::string waiting;
    for (const auto& policy : PoliciesOf(name)) {
      const std::string id = policy->UniqueName();
      if (validating_webhooks_->Find("", id) || mutating_webhooks_->Find("", id)) {
        waiting += (waiting.empty() ? "" : ", ") + id;
      }
    }
    SetCondition(conditions,
                 {"PolicyWebhooksCleanedUp", waiting.empty(),
                  waiting.empty() ? "ReconciliationSucceeded" : "ReconciliationFailed",
                  waiting.empty() ? "" : "Waiting for webhook cleanup of policies: " + waiting},
                 now);
    status.as_object()["conditions"] = conditions;
    KW_TRY(applier_->EnsureStatus(*live, status));
    if (!waiting.empty()) return Requeue{kWebhookCleanupPoll};
    if (server.meta.HasFinalizer(crd::kFinalizer) ||
        server.meta.HasFinalizer(crd::kLegacyFinalizer)) {
      KW_TRY(applier_->SetFinalizers(*live, FinalizersWithout(server.meta)));
    }
    return Requeue{};
  }
  if (!server.meta.HasFinalizer(crd::kFinalizer)) {
    // The defaulting webhook adds it; a PolicyServer created while it was down gets it here.
    KW_TRY(applier_->SetFinalizers(*live, FinalizersWith(server.meta)));
    return Requeue{};  // the update's event brings it back
  }

  const std::vector<std::shared_ptr<const crd::Policy>> policies = PoliciesOf(name);
  std::vector<const crd::Policy*> bound;
  for (const auto& policy : policies) bound.push_back(policy.get());

  // Each step records its condition; a failure stops the pass (later steps depend on it).
  Result<void> outcome;
  const auto step = [&](std::string_view condition, const std::function<Result<void>()>& work) {
    if (!outcome) return;
    outcome = work();
    SetCondition(conditions,
                 {condition, outcome.has_value(),
                  outcome ? "ReconciliationSucceeded" : "ReconciliationFailed",
                  outcome ? "" : outcome.error().message},
                 now);
  };
  std::string config_version;
  step("CARootSecretReconciled", [&]() -> Result<void> {
    if (!CaSecret()) return Fail(ErrorKind::kNotFound, "the root CA does not exist yet");
    return {};
  });
  step("CertSecretReconciled", [&] {
    const std::string object_name = PolicyServerObjectName(name);
    return EnsureServingSecret(object_name, object_name + "." + ns + ".svc",
                               [&](const certs::IssuedCertificate& issued) {
                                 return DesiredCertificateSecret(server, issued.cert_pem,
                                                                 issued.key_pem, options_.cluster);
                               });
  });
  step("ConfigMapReconciled", [&]() -> Result<void> {
    const std::string object_name = PolicyServerObjectName(name);
    Object current = Cached(*config_maps_, ns, object_name);
    KW_ASSIGN_OR_RETURN(std::optional<json::value> written,
                        applier_->Ensure(DesiredConfigMap(server, bound, options_.cluster),
                                         current ? &*current : nullptr));
    config_version = StringAt(written ? *written : *current, {"metadata", "resourceVersion"});
    return {};
  });
  step("PodDisruptionBudgetReconciled", [&]() -> Result<void> {
    const std::string object_name = PolicyServerObjectName(name);
    Object current = Cached(*budgets_, ns, object_name);
    std::optional<json::value> desired = DesiredPodDisruptionBudget(server, options_.cluster);
    if (!desired) {
      KW_TRY(applier_->EnsureDeleted("policy/v1", "PodDisruptionBudget", ns, object_name,
                                     current ? &*current : nullptr));
      return {};
    }
    KW_TRY(applier_->Ensure(*desired, current ? &*current : nullptr));
    return {};
  });
  const crd::RestartNeed restarts =
      crd::ReplicasNeedRestarts(PodsOf(name), options_.now(), options_.unreported_replica_grace);
  step("DeploymentReconciled", [&]() -> Result<void> {
    Object current =
        Cached(*deployments_, ns, PolicyServerObjectName(name));
    const ConfigRollout rollout =
        restarts.restarts ? ConfigRollout::kRestart : ConfigRollout::kLive;
    KW_TRY(applier_->Ensure(DesiredDeployment(server, config_version, options_.cluster, rollout),
                            current ? &*current : nullptr));
    return {};
  });
  step("ServiceReconciled", [&]() -> Result<void> {
    Object current = Cached(*services_, ns, PolicyServerObjectName(name));
    KW_TRY(applier_->Ensure(DesiredService(server, options_.cluster),
                            current ? &*current : nullptr));
    return {};
  });
  status.as_object()["conditions"] = conditions;
  KW_TRY(applier_->EnsureStatus(*live, status));
  if (!outcome) return std::unexpected(outcome.error());
  return Requeue{restarts.recheck_in};
}

Result<Requeue> Controller::ReconcilePolicy(crd::PolicyKind kind, const std::string& ns,
                                            const std::string& name) {
  kube::Reflector& informer = *policies_[static_cast<int>(kind)];
  kube::Reflector::Text text = informer.Find(ns, name);
  if (!text) return Requeue{};
  Object live = Parsed(informer, ns, name, *text, text);
  if (!live) return Requeue{};
  std::shared_ptr<const crd::Policy> read = PolicyOf(informer, ns, name, *text, text);
  if (!read) {  // unreadable: ParsePolicy says why
    KW_ASSIGN_OR_RETURN(crd::Policy parsed, crd::ParsePolicy(*live));
    read = std::make_shared<const crd::Policy>(std::move(parsed));
  }
  const crd::Policy& policy = *read;
  const std::string id = policy.UniqueName();
  const std::string now = Rfc3339(options_.now());
  const std::string& deployments_ns = options_.cluster.deployments_namespace;
  constexpr std::string_view kAdmission = "admissionregistration.k8s.io/v1";

  // Both kinds: `mutating` may have changed since the configuration was made.
  const auto delete_webhooks = [&]() -> Result<void> {
    Object validating = Cached(*validating_webhooks_, "", id);
    KW_TRY(applier_->EnsureDeleted(kAdmission, "ValidatingWebhookConfiguration", "", id,
                                   validating ? &*validating : nullptr));
    Object mutating = Cached(*mutating_webhooks_, "", id);
    KW_TRY(applier_->EnsureDeleted(kAdmission, "MutatingWebhookConfiguration", "", id,
                                   mutating ? &*mutating : nullptr));
    return {};
  };

  if (policy.meta.deleting) {
    KW_TRY(delete_webhooks());
    if (policy.meta.HasFinalizer(crd::kFinalizer) ||
        policy.meta.HasFinalizer(crd::kLegacyFinalizer)) {
      KW_TRY(applier_->SetFinalizers(*live, FinalizersWithout(policy.meta)));
    }
    return Requeue{};
  }
  if (!policy.meta.HasFinalizer(crd::kFinalizer)) {
    KW_TRY(applier_->SetFinalizers(*live, FinalizersWith(policy.meta)));
    return Requeue{};
  }

  json::value status = policy.status.is_object() ? policy.status : json::object{};
  json::object& fields = status.as_object();
  json::array conditions = ConditionsOf(status);
  const std::string previous = StringAt(status, {"policyStatus"});
  Requeue requeue;
  const auto set_active = [&](bool active) {
    SetCondition(conditions,
                 {"PolicyActive", active, "PolicyActive",
                  active ? "The policy webhook has been created"
                         : "The policy webhook has not been created"},
                 now);
  };

  Object server =
      policy.policy_server.empty() ? nullptr : Cached(*policy_servers_, "", policy.policy_server);
  const bool server_usable =
      server && StringAt(*server, {"metadata", "deletionTimestamp"}).empty();
  std::shared_ptr<const crd::ServedConfiguration> configuration;
  if (policy.policy_server.empty() || !server_usable) {
    KW_TRY(delete_webhooks());
    fields["policyStatus"] = policy.policy_server.empty() ? "unscheduled" : "scheduled";
    set_active(false);
  } else {
    configuration = ServedConfigurationOf(policy.policy_server);
    Object deployment =
        Cached(*deployments_, deployments_ns, PolicyServerObjectName(policy.policy_server));
    crd::RolloutState rollout;
    if (configuration && deployment) {
      std::vector<json::value> pods = PodsOf(policy.policy_server);
      rollout = crd::CheckRollout(id, *configuration, pods);
    } else {
      rollout.message = "The policy server is not deployed yet";
    }
    SetCondition(conditions,
                 {"PolicyUniquelyReachable", rollout.uniquely_reachable,
                  rollout.uniquely_reachable ? "LatestReplicaSetIsUniquelyReachable"
                                             : "LatestReplicaSetIsNotUniquelyReachable",
                  rollout.message},
                 now);
    // Beyond upstream: what the replicas say of the policy's load.
    if (rollout.uniquely_reachable) {
      SetCondition(conditions,
                   {"PolicyLoaded", rollout.load_error.empty() && rollout.stale_error.empty(),
                    !rollout.load_error.empty()    ? "LoadFailed"
                    : !rollout.stale_error.empty() ? "ServingLastGoodVersion"
                                                   : "Loaded",
                    !rollout.load_error.empty() ? rollout.load_error : rollout.stale_error},
                   now);
    }
    // A policy with nothing to serve answers as its failurePolicy says: with Ignore, no webhook
    // (the API server admits as it would for an unreachable webhook); with Fail, the webhook,
    // whose requests policy-server rejects with the load error.
    const bool fail_open = !rollout.load_error.empty() && policy.failure_policy == "Ignore";
    if (rollout.uniquely_reachable && !fail_open) {
      const std::string bundle = CaBundle();
      if (bundle.empty()) return Fail(ErrorKind::kNotFound, "the root CA does not exist yet");
      json::value desired = DesiredWebhookConfiguration(policy, bundle, options_.cluster);
      auto& webhooks = policy.mutating ? *mutating_webhooks_ : *validating_webhooks_;
      auto& other = policy.mutating ? *validating_webhooks_ : *mutating_webhooks_;
      Object current = Cached(webhooks, "", id);
      KW_TRY(applier_->Ensure(desired, current ? &*current : nullptr));
      Object stale = Cached(other, "", id);
      KW_TRY(applier_->EnsureDeleted(kAdmission,
                                     policy.mutating ? "ValidatingWebhookConfiguration"
                                                     : "MutatingWebhookConfiguration",
                                     "", id, stale ? &*stale : nullptr));
      fields["policyStatus"] = "active";
      set_active(true);
    } else if (fail_open) {
      KW_TRY(delete_webhooks());
      fields["policyStatus"] = "pending";
      set_active(false);
    } else {
      if (previous != "active") {
        fields["policyStatus"] = "pending";
        set_active(false);
      }
      requeue = options_.rollout_poll;
    }
    if (deployment && configuration) {
      const std::string deployed =
          StringAt(*deployment, {"metadata", "annotations", "kubewarden/config-version"});
      const std::string& version = configuration->resource_version;
      SetCondition(conditions,
                   {"PolicyServerConfigurationUpToDate", deployed == version,
                    deployed.empty()         ? "UnknownConfigurationVersion"
                    : deployed == version    ? "ConfigurationVersionMatch"
                                             : "ConfigurationVersionMismatch",
                    ""},
                   now);
    }
  }
  std::string mode = "unknown";
  if (configuration) {
    auto listed = configuration->modes.find(id);
    if (listed != configuration->modes.end()) mode = listed->second;
  }
  fields["mode"] = mode;
  fields["conditions"] = std::move(conditions);
  KW_TRY(applier_->EnsureStatus(*live, status));
  return requeue;
}

}  // namespace kw::controller
