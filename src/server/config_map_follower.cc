#include "server/config_map_follower.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "crd/replica_report.h"
#include "kube/resources.h"

namespace kw::server {
namespace {

const kube::ResourceType kConfigMaps{"", "v1", "ConfigMap", "configmaps", true, {}};
const kube::ResourceType kPods{"", "v1", "Pod", "pods", true, {}};

}  // namespace

ConfigMapFollower::ConfigMapFollower(std::shared_ptr<const kube::Client> client,
                                     ConfigMapFollowerOptions options, ServedPolicies& policies)
    : client_(std::move(client)), options_(std::move(options)), policies_(policies) {
  kube::ReflectorOptions watch;
  watch.ns = options_.ns;
  watch.on_change = [this](std::string_view, std::string_view) {
    std::lock_guard lock(mutex_);
    pending_ = true;
    changed_.notify_all();
  };
  kube::Selectors selectors;
  selectors.field_selector = "metadata.name=" + options_.config_map;
  reflector_ = std::make_unique<kube::Reflector>(client_, kConfigMaps, std::move(selectors),
                                                 std::vector<std::string>{}, std::move(watch));
  thread_ = std::thread([this] { Run(); });
}

ConfigMapFollower::~ConfigMapFollower() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  reflector_.reset();
}

void ConfigMapFollower::Run() {
  // After a failed report, the latest version is looked at (and reported) again after a
  // backoff, new version or not.
  bool report_failed = false;
  std::chrono::milliseconds backoff{200};
  while (true) {
    {
      std::unique_lock lock(mutex_);
      const auto woken = [this] { return pending_ || stopping_; };
      if (report_failed) {
        changed_.wait_for(lock, backoff, woken);
      } else {
        changed_.wait(lock, woken);
      }
      if (stopping_) return;
      pending_ = false;
    }
    kube::Reflector::Text text = reflector_->Find(options_.ns, options_.config_map);
    if (!text) continue;  // not created yet, or deleted: keep serving what we have
    auto config_map = ParseJson(*text);
    if (!config_map) continue;
    const std::string version = StringAt(*config_map, {"metadata", "resourceVersion"});
    const json::value* data = FindKey(*config_map, "data");
    const std::string policies = data != nullptr ? StringAt(*data, {"policies.yml"}) : "";
    if (policies.empty()) {
      spdlog::warn("ConfigMap {}/{} has no policies.yml: still serving the policies in use",
                   options_.ns, options_.config_map);
      continue;
    }
    evaluator::EnvironmentSharedPtr served = policies_.ReloadText(
        policies, "ConfigMap " + options_.ns + "/" + options_.config_map + "@" + version);
    if (options_.pod_name.empty()) continue;
    auto reported = Report(version, *served);
    report_failed = !reported;
    if (reported) {
      backoff = std::chrono::milliseconds(200);
    } else {
      spdlog::warn("cannot report the served configuration on Pod {}/{}: {}", options_.ns,
                   options_.pod_name, reported.error().message);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }
}

Result<void> ConfigMapFollower::Report(const std::string& resource_version,
                                       const evaluator::Environment& environment) {
  crd::ReplicaReport report;
  report.config_map = options_.config_map;
  report.resource_version = resource_version;
  for (const evaluator::EnvironmentEntry& entry : environment.entries()) {
    if (!entry.error) continue;
    (entry.state() == evaluator::EntryState::kFailed ? report.errors
                                                      : report.stale)[entry.id] = *entry.error;
  }
  json::object patch{
      {"metadata",
       json::object{{"annotations", json::object{{crd::kServedConfigurationAnnotation,
                                                  crd::RenderReplicaReport(report)}}}}}};
  KW_TRY(kube::MergePatch(*client_, kPods, options_.ns, options_.pod_name, patch));
  return {};
}

}  // namespace kw::server
