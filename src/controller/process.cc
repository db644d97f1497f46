#include "controller/process.h"

#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <random>

#include "controller/controller.h"
#include "kube/leader_election.h"
#include "kube/resolve.h"
#include "server/http_server.h"

namespace kw::controller {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using server::Responder;

constexpr std::string_view kLeaseName = "a4ddbf36.kubewarden.io";

HttpResponse Text(server::http::status status, std::string body) {
  return HttpResponse{status, "text/plain; charset=utf-8", std::move(body), {}};
}

// /healthz, /readyz (controller-runtime's probe paths).
class ProbeHandler : public server::RequestHandler {
 public:
  explicit ProbeHandler(const std::atomic<bool>& ready) : ready_(ready) {}
  void Handle(HttpRequest request, Responder respond) override {
    const std::string_view path = std::string_view(request.target).substr(
        0, std::string_view(request.target).find('?'));
    if (path == "/healthz") return respond(Text(server::http::status::ok, "ok"));
    if (path == "/readyz") {
      return respond(ready_ ? Text(server::http::status::ok, "ok")
                            : Text(server::http::status::internal_server_error, "not ready"));
    }
    respond(Text(server::http::status::not_found, "404 page not found"));
  }

 private:
  const std::atomic<bool>& ready_;
};

// Prometheus text: the reconcilers' activity.
class MetricsHandler : public server::RequestHandler {
 public:
  explicit MetricsHandler(const std::atomic<Controller*>& controller) : controller_(controller) {}
  void Handle(HttpRequest request, Responder respond) override {
    if (std::string_view(request.target).substr(0, 8) != "/metrics") {
      return respond(Text(server::http::status::not_found, "404 page not found"));
    }
    const Controller* controller = controller_.load();
    std::string body =
        "# HELP kubewarden_controller_writes_total Writes the controller made to the API server.\n"
        "# TYPE kubewarden_controller_writes_total counter\n"
        "kubewarden_controller_writes_total " +
        std::to_string(controller ? controller->writes() : 0) +
        "\n# HELP workqueue_depth Current depth of the work queue.\n"
        "# TYPE workqueue_depth gauge\nworkqueue_depth{name=\"kubewarden\"} " +
        std::to_string(controller ? controller->pending() : 0) + "\n";
    respond(HttpResponse{server::http::status::ok, "text/plain; version=0.0.4", std::move(body), {}});
  }

 private:
  const std::atomic<Controller*>& controller_;
};

std::string Identity() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", random(), random());
  return std::string(host) + "_" + suffix;
}

void SetUpLogging(const ProcessOptions& options) {
  const std::string& level = options.log_level;
  spdlog::level::level_enum spd = spdlog::level::info;
  if (level == "debug" || (!level.empty() && std::isdigit(static_cast<unsigned char>(level[0])) &&
                           level != "0")) {
    spd = spdlog::level::debug;
  } else if (level == "error") {
    spd = spdlog::level::err;
  } else if (level == "warn") {
    spd = spdlog::level::warn;
  }
  spdlog::set_level(spd);
  if (options.log_json) {
    spdlog::set_pattern(R"({"level":"%l","ts":"%Y-%m-%dT%H:%M:%S.%fZ","logger":"kubewarden-controller","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ\t%^%l%$\t%v", spdlog::pattern_time_type::utc);
  }
}

Result<void> Serve(const ProcessOptions& options) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  KW_ASSIGN_OR_RETURN(std::shared_ptr<kube::Client> client,
                      kube::ConnectToCluster({options.kubeconfig, ""}));
  if (!client) {
    return Fail(ErrorKind::kInvalidArgument,
                "no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, or run "
                "in a pod");
  }
  spdlog::info("kubewarden-controller {} managing namespace {} through {}", KW_VERSION,
               options.cluster.deployments_namespace, client->config().origin);

  std::atomic<bool> ready{false};
  std::atomic<Controller*> running{nullptr};
  server::HttpServer probes(server::HttpServerOptions{});
  KW_ASSIGN_OR_RETURN(auto health, ParseBindAddress(options.health_probe_bind_address));
  if (health) {
    KW_TRY(probes.Listen(health->first, static_cast<std::uint16_t>(health->second),
                         std::make_shared<ProbeHandler>(ready)));
  }
  KW_ASSIGN_OR_RETURN(auto metrics, ParseBindAddress(options.metrics_bind_address));
  if (metrics) {
    KW_TRY(probes.Listen(metrics->first, static_cast<std::uint16_t>(metrics->second),
                         std::make_shared<MetricsHandler>(running)));
  }
  probes.Start();

  ControllerOptions controller_options;
  controller_options.cluster = options.cluster;
  controller_options.webhook_service_name = options.webhook_service_name;
  std::unique_ptr<Controller> controller;
  std::mutex controller_mutex;
  std::atomic<bool> failed{false};
  const auto start = [&] {
    std::lock_guard lock(controller_mutex);
    controller = std::make_unique<Controller>(client, controller_options);
    auto started = controller->Start(std::chrono::steady_clock::now() + std::chrono::minutes(2));
    if (!started) {
      spdlog::error("cannot start the reconcilers: {}", started.error().message);
      failed = true;
      kill(getpid(), SIGTERM);
      return;
    }
    running = controller.get();
    ready = true;
    spdlog::info("reconcilers started");
  };
  const auto stop = [&] {
    std::lock_guard lock(controller_mutex);
    running = nullptr;
    if (controller) controller->Stop();
    controller.reset();
  };

  std::unique_ptr<kube::LeaderElector> elector;
  std::thread starter;
  if (options.leader_elect) {
    kube::LeaderElectionConfig election;
    election.ns = options.cluster.deployments_namespace;
    election.name = std::string(kLeaseName);
    election.identity = Identity();
    spdlog::info("campaigning for the Lease {}/{} as {}", election.ns, election.name,
                 election.identity);
    elector = std::make_unique<kube::LeaderElector>(
        client, election,
        kube::LeaderCallbacks{
            [&] {
              spdlog::info("became the leader");
              start();
            },
            [&] {
              // As controller-runtime: a replica that lost the Lease exits, and its restart
              // campaigns afresh, rather than risk two active reconcilers.
              if (running.load() != nullptr) {
                spdlog::error("lost the leader Lease: exiting");
                failed = true;
                kill(getpid(), SIGTERM);
              }
            }});
    ready = true;  // a standby replica is ready: it serves the webhooks
  } else {
    starter = std::thread(start);
  }

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  spdlog::info("received {}: stopping", sigabbrev_np(signal_number) ? sigabbrev_np(signal_number)
                                                                    : "a signal");
  if (starter.joinable()) starter.join();
  stop();
  elector.reset();  // releases the Lease
  probes.Shutdown(std::chrono::milliseconds(0));
  if (failed) return Fail(ErrorKind::kInternal, "stopped after a failure");
  return {};
}

}  // namespace

int RunController(const ProcessOptions& options) {
  SetUpLogging(options);
  auto served = Serve(options);
  if (!served) {
    spdlog::error("{}", served.error().message);
    return 1;
  }
  return 0;
}

}  // namespace kw::controller
