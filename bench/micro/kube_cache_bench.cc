// The watch cache of context-aware policies, against a real API server (the double, in
// bench/context_aware.sh): how long the reflectors of pods, role bindings and namespaces take to
// fill from nothing, what they hold in memory, and what a kubernetes host call costs once warm.
//
//   kube_cache_bench KUBECONFIG [calls=100000]
//
// Not a Google Benchmark: the warm-up happens once per process, and the call latencies are
// reported as percentiles.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "capabilities/capabilities.h"
#include "capabilities/kubernetes.h"
#include "kube/resolve.h"

namespace {

using Clock = std::chrono::steady_clock;

long RssKib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kube_cache_bench KUBECONFIG [calls]\n");
    return 2;
  }
  const int calls = argc > 2 ? std::stoi(argv[2]) : 100000;
  auto client = kw::kube::ConnectToCluster({argv[1], ""});
  if (!client || !*client) {
    std::fprintf(stderr, "cannot connect: %s\n", client ? "no cluster" : client.error().message.c_str());
    return 1;
  }
  auto cluster = std::make_shared<kw::capabilities::Cluster>(*client);
  const long rss_before = RssKib();

  // The three caches fill at once, as when policies of a fresh server ask for them together.
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"v1", "Pod"}, {"rbac.authorization.k8s.io/v1", "RoleBinding"}, {"v1", "Namespace"}};
  const auto started = Clock::now();
  std::vector<std::future<std::pair<double, std::size_t>>> warming;
  for (const auto& [api_version, kind] : kinds) {
    warming.push_back(std::async(std::launch::async, [&, api_version, kind] {
      auto reflector = cluster->Reflector({api_version, kind, {}, {}}, Clock::now() + std::chrono::seconds(60));
      if (!reflector) {
        std::fprintf(stderr, "%s: %s\n", kind.c_str(), reflector.error().message.c_str());
        std::exit(1);
      }
      return std::make_pair(Millis(Clock::now() - started), (*reflector)->size());
    }));
  }
  std::size_t objects = 0;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    auto [ms, count] = warming[i].get();
    objects += count;
    std::printf("warm-up %-12s %6zu objects in %7.0f ms\n", kinds[i].second.c_str(), count, ms);
  }
  const double total_ms = Millis(Clock::now() - started);
  std::printf("warm-up all      %6zu objects in %7.0f ms, cache RSS +%.1f MiB (process %.1f MiB)\n",
              objects, total_ms, (RssKib() - rss_before) / 1024.0, RssKib() / 1024.0);

  // A granted policy listing the pods of one namespace, through the real dispatcher.
  auto dispatcher = kw::capabilities::MakeDispatcher({.cluster = cluster});
  auto grants = kw::host::HostCapabilities::AllowAll();
  grants.SetKubernetesResources({{"v1", "Pod"}});
  kw::host::CallContext context{"bench", &grants, std::nullopt};
  std::mt19937 random(1);
  std::vector<double> micros;
  micros.reserve(calls);
  std::size_t bytes = 0;
  for (int i = 0; i < calls; ++i) {
    const std::string payload = R"({"api_version":"v1","kind":"Pod","namespace":"ns-)" +
                                std::to_string(random() % 3000) + R"("})";
    const auto begin = Clock::now();
    auto answer = dispatcher->Call(context, "kubewarden", "kubernetes",
                                   "list_resources_by_namespace", payload);
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
    if (!answer) {
      std::fprintf(stderr, "call failed: %s\n", answer.error().message.c_str());
      return 1;
    }
    bytes += answer->size();
  }
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) { return micros[static_cast<std::size_t>(q * (micros.size() - 1))]; };
  std::printf("list_resources_by_namespace (host side, %d calls, %.1f KB answers): "
              "p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
              calls, bytes / 1024.0 / calls, at(0.5), at(0.99), at(0.999), micros.back());
  return 0;
}
