#include "server/policy_server.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "capabilities/capabilities.h"
#include "cli/log_format.h"
#include "engine/v8/v8_engine.h"
#include "kube/resolve.h"
#include "metrics/metrics.h"
#include "metrics/otlp_exporter.h"
#include "sandbox/sandbox.h"
#include "tracing/otlp_trace_exporter.h"
#include "server/api.h"
#include "server/config_map_follower.h"
#include "server/stop_signals.h"
#include "server/cert_reloader.h"
#include "server/daemon.h"
#include "server/http_server.h"
#include "server/logging.h"
#include "server/served_policies.h"
#include "server/slow_lane.h"
#include "server/process_limits.h"
#include "server/tls.h"
#include "server/worker_pool.h"

namespace kw::server {
namespace {

Result<void> CheckSupported(const Config& config) {
  if (!config.enable_metrics && config.metrics_port != 0) {
    spdlog::warn("--metrics-port is ignored without --enable-metrics");
  }
  if (config.enable_pprof) spdlog::warn("--enable-pprof is not supported yet and is ignored");
  return {};
}

// Binds, and releases at once, every port the server will listen on, so that a port in use (or
// refused: below 1024 without the privilege, an address not on this host) stops start-up before
// the policies load, which can take long, rather than after. Another process may still take a
// port in between: Listen then fails the same way, only later.
Result<void> CheckPortsAvailable(const Config& config) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  asio::ip::address ip = asio::ip::make_address(config.address, ec);
  if (ec) {
    return Fail(ErrorKind::kInvalidArgument,
                fmt::format("invalid bind address '{}' (--addr)", config.address));
  }
  asio::io_context io;
  for (const ListenerPort& listener : config.Listeners()) {
    if (listener.port == 0) continue;  // any free port: always available
    asio::ip::tcp::endpoint endpoint(ip, listener.port);
    asio::ip::tcp::acceptor acceptor(io);
    // SO_REUSEADDR as Listen sets it, so that the probe agrees with it (connections of a
    // previous run in TIME_WAIT do not count; a listening socket does).
    if (acceptor.open(endpoint.protocol(), ec) ||
        acceptor.set_option(asio::socket_base::reuse_address(true), ec) ||
        acceptor.bind(endpoint, ec)) {
      return Fail(ErrorKind::kIo, fmt::format("cannot listen on {}:{} ({}): {}", config.address,
                                              listener.port, listener.flag, ec.message()));
    }
  }
  return {};
}

// Running as root would give a guest that escaped V8 the whole machine in a container that
// does not drop it; the image runs as 65533.
Result<void> CheckNotRoot(const Config& config) {
  if (geteuid() != 0 || config.allow_root) return {};
  return Fail(ErrorKind::kPermissionDenied,
              "policy-server refuses to run as root (uid 0): run it as an unprivileged user, or "
              "pass --allow-root (KUBEWARDEN_ALLOW_ROOT=true) to run it as root anyway");
}

Result<void> ConfineProcess(const Config& config) {
  if (config.disable_seccomp) {
    spdlog::warn("--disable-seccomp: serving without the system-call filter");
    return {};
  }
  if (auto confined = sandbox::RestrictSystemCalls(); !confined) {
    return std::unexpected(confined.error().Wrap(
        "cannot confine the process (--disable-seccomp serves without the filter)"));
  }
  spdlog::info("system calls restricted by a seccomp filter (no programs, new listeners, ptrace, "
               "mounts, ...)");
  return {};
}

// The API's connection cap: --max-connections, but never more than the open-file limit allows
// (past it, accept() fails on the readiness port too).
std::size_t ApiConnectionLimit(const Config& config, const ConnectionLimits& limits,
                               std::uint64_t open_files) {
  if (config.max_connections == 0) return limits.api;
  if (config.max_connections > limits.api) {
    spdlog::warn("--max-connections {} is more than the open-file limit ({}) allows: serving at "
                 "most {} connections",
                 config.max_connections, open_files, limits.api);
    return limits.api;
  }
  return config.max_connections;
}

// `daemon`, when running as one, hears when the server is ready.
// The cluster context-aware policies read. A configuration that exists but cannot be used
// stops the server, as upstream, unless --ignore-kubernetes-connection-failure; none at all is
// not an error: the kubernetes capabilities then answer kube::kNoClientMessage.
Result<std::shared_ptr<capabilities::Cluster>> ConnectToCluster(const Config& config) {
  auto client = kube::ConnectToCluster({config.kubeconfig, ""});
  if (!client) {
    if (!config.ignore_kubernetes_connection_failure) {
      return std::unexpected(client.error().Wrap("cannot connect to Kubernetes"));
    }
    spdlog::warn("cannot connect to Kubernetes: {}; context-aware policies get no answers",
                 client.error().message);
    return std::make_shared<capabilities::Cluster>(nullptr);
  }
  if (*client) {
    spdlog::info("context-aware policies read the cluster at {}", (*client)->config().origin);
  } else {
    spdlog::info("no Kubernetes cluster configured: context-aware policies get no answers");
  }
  return std::make_shared<capabilities::Cluster>(std::move(*client));
}

Result<void> Serve(const Config& config, Daemon* daemon) {
  KW_TRY(CheckSupported(config));
  KW_TRY(CheckPortsAvailable(config));
  const std::uint64_t open_files = RaiseOpenFileLimit();
  const ConnectionLimits limits = DefaultConnectionLimits(open_files);
  TuneAllocatorForServing();

  const StopSignals stop_signals;  // before any thread starts

  std::shared_ptr<TlsContextHolder> tls;
  std::unique_ptr<CertReloader> cert_reloader;  // replaces tls's context when the files change
  if (config.tls()) {
    KW_ASSIGN_OR_RETURN(
        TlsMaterial material,
        ReadTlsMaterial({*config.cert_file, *config.key_file, config.client_ca_files}));
    KW_ASSIGN_OR_RETURN(TlsContextSharedPtr context, BuildTlsContext(material));
    tls = std::make_shared<TlsContextHolder>(std::move(context));
    cert_reloader = CertReloader::Start(std::move(material), tls);
  }

  // Declared before the pool, which records into them, so that they outlive it.
  std::unique_ptr<metrics::Registry> recorder;
  std::unique_ptr<metrics::OtlpExporter> exporter;
  if (config.enable_metrics) {
    recorder = std::make_unique<metrics::Registry>();
    KW_ASSIGN_OR_RETURN(auto otlp, metrics::OtlpExporterConfigFromEnvironment());
    if (otlp) {
      spdlog::info("exporting metrics over OTLP/HTTP to {} every {} ms", otlp->http.url,
                   otlp->interval.count());
      KW_ASSIGN_OR_RETURN(exporter, metrics::OtlpExporter::Start(*recorder, std::move(*otlp)));
    } else if (config.metrics_port == 0) {
      spdlog::warn("--enable-metrics without --metrics-port or OTEL_EXPORTER_OTLP_ENDPOINT: "
                   "metrics are recorded but not exported");
    }
  }

  // --log-fmt otlp: spans exported over OTLP/HTTP, logs as text (as upstream: §5.3).
  std::unique_ptr<tracing::OtlpTraceExporter> traces;
  if (config.log_format == LogFormat::kOtlp) {
    KW_ASSIGN_OR_RETURN(tracing::TraceExportConfig otlp, tracing::TraceExportConfigFromEnvironment());
    spdlog::info("exporting traces over OTLP/HTTP ({}) to {}",
                 otlp.protocol == tracing::ExportProtocol::kJson ? "http/json" : "http/protobuf",
                 otlp.http.url);
    KW_ASSIGN_OR_RETURN(traces, tracing::OtlpTraceExporter::Start(std::move(otlp), KW_VERSION));
  }

  KW_ASSIGN_OR_RETURN(std::unique_ptr<engine::Engine> engine, engine::CreateV8Engine());
  KW_ASSIGN_OR_RETURN(std::shared_ptr<capabilities::Cluster> cluster, ConnectToCluster(config));
  if (!config.policies_configmap.empty()) {
    if (!cluster->connected()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--policies-configmap needs a Kubernetes cluster (--kubeconfig, KUBECONFIG or "
                  "the pod's service account)");
    }
    if (config.pod_namespace.empty()) {
      return Fail(ErrorKind::kInvalidArgument,
                  "--policies-configmap needs --pod-namespace (KUBEWARDEN_POD_NAMESPACE)");
    }
  }
  KW_ASSIGN_OR_RETURN(loader::FetchSettings fetch, FetchSettingsOf(config));
  // Policies reach registries through the oci host capabilities as the server itself does.
  host::DispatcherSharedPtr dispatcher = capabilities::MakeDispatcher(
      {.cluster = cluster, .oci = capabilities::OciOptionsFrom(fetch)});
  KW_ASSIGN_OR_RETURN(std::unique_ptr<WorkerPool> pool,
                      WorkerPool::Start(*engine, dispatcher, config.EffectiveWorkers()));
  std::unique_ptr<SlowLane> slow_lane;
  if (config.slow_lane_threads > 0 && !config.disable_timeout_protection) {
    KW_ASSIGN_OR_RETURN(
        slow_lane,
        SlowLane::Start(*engine, dispatcher,
                        {.threads = config.slow_lane_threads,
                         .capacity = config.slow_lane_capacity,
                         .quiet = std::chrono::seconds(config.slow_lane_quiet_seconds)},
                        recorder.get()));
  }
  KW_ASSIGN_OR_RETURN(
      std::unique_ptr<ServedPolicies> policies,
      ServedPolicies::Load(config, std::move(fetch), *engine, *pool, recorder.get()));

  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(config.client_read_timeout_seconds * 1000));
  options.write_timeout = options.read_timeout;
  HttpServerOptions probe_options = options;
  options.max_connections = ApiConnectionLimit(config, limits, open_files);
  options.request_memory_limit = config.max_request_buffer_mib << 20;
  // Probes and scrapes send no bodies; their own caps keep them answering through an API flood.
  probe_options.max_connections = limits.probes;
  probe_options.request_memory_limit = 4u << 20;
  // The admission API is served by the pool's threads, which evaluate each request where they
  // read it (worker_pool.h).
  HttpServer server(options, pool->io());
  auto api = std::make_shared<ApiHandler>(
      *policies, *pool,
      ApiOptions{config.always_accept_admission_reviews_on_namespace, recorder.get(),
                 traces.get(), slow_lane.get()});
  KW_ASSIGN_OR_RETURN(std::uint16_t port, server.Listen(config.address, config.port, api, tls));
  // Readiness and metrics on a thread of their own: they answer while every worker is busy
  // (with a policy that runs until its timeout, say), and rendering many series takes
  // milliseconds that no worker should spend.
  HttpServer probes(probe_options);
  if (recorder && config.metrics_port != 0) {
    KW_ASSIGN_OR_RETURN(std::uint16_t metrics_port,
                        probes.Listen(config.address, config.metrics_port,
                                      std::make_shared<MetricsHandler>(*recorder)));
    spdlog::info("serving Prometheus metrics on {}:{}/metrics", config.address, metrics_port);
  }
  std::shared_ptr<ApiHandler> explain;
  if (config.enable_explain_endpoint) {
    explain = std::make_shared<ApiHandler>(
        *policies, *pool,
        ApiOptions{.always_accept_namespace = config.always_accept_admission_reviews_on_namespace,
                   .explain = true});
    spdlog::warn("serving /explain and /explain_raw on the readiness port {}: whoever reaches it "
                 "can run the policies and read their messages and patches",
                 config.readiness_probe_port);
  }
  KW_ASSIGN_OR_RETURN(std::uint16_t readiness_port,
                      probes.Listen(config.address, config.readiness_probe_port,
                                    std::make_shared<ReadinessHandler>(*policies, explain)));
  server.Start();
  probes.Start();
  std::unique_ptr<ConfigMapFollower> config_map_follower;
  if (!config.policies_configmap.empty()) {
    spdlog::info("following the policies of ConfigMap {}/{} through the Kubernetes API{}",
                 config.pod_namespace, config.policies_configmap,
                 config.pod_name.empty() ? "" : ", reporting on Pod " + config.pod_name);
    config_map_follower = std::make_unique<ConfigMapFollower>(
        cluster->shared_client(),
        ConfigMapFollowerOptions{config.pod_namespace, config.policies_configmap,
                                 config.pod_name},
        *policies);
  } else {
    policies->Follow();
  }
  // Last, once every listener is bound and the threads that follow changes are started: what
  // runs from here on (evaluation, reloads, fetches) needs none of what the filter refuses.
  KW_TRY(ConfineProcess(config));
  spdlog::info("policy-server {} listening on {}:{} ({}), readiness on port {}, {} workers",
               KW_VERSION, config.address, port,
               !tls ? "HTTP" : config.client_ca_files.empty() ? "HTTPS" : "HTTPS with mTLS",
               readiness_port, pool->threads());
  spdlog::info("serving at most {} API connections (open-file limit {}) and buffering at most {} "
               "MiB of their requests",
               options.max_connections, open_files, config.max_request_buffer_mib);
  if (daemon != nullptr) daemon->ReportReady();

  spdlog::info("received {}: finishing the requests in progress, then exiting",
               stop_signals.Wait());
  config_map_follower.reset();  // a reload in progress needs the pool
  policies->StopFollowing();
  probes.Shutdown(std::chrono::milliseconds(0));
  server.Shutdown(kShutdownGracePeriod);
  if (slow_lane) slow_lane->Stop();
  pool->Stop();
  if (exporter) exporter->Stop();  // the last export, with every evaluation in
  if (traces) {
    traces->Shutdown();  // the spans still queued
    if (traces->dropped() > 0) {
      spdlog::warn("{} spans were dropped in all: the export queue was full", traces->dropped());
    }
  }
  spdlog::info("shut down");
  return {};
}

}  // namespace

int RunPolicyServer(const Config& config) {
  if (auto not_root = CheckNotRoot(config); !not_root) {
    cli::PrintError(not_root.error().message);
    return 1;
  }
  std::unique_ptr<Daemon> daemon;
  if (config.daemon) {
    auto detached = Daemonize({config.daemon_pid_file, config.daemon_stdout_file,
                               config.daemon_stderr_file});
    if (!detached) {
      cli::PrintError(detached.error().message);
      return 1;
    }
    daemon = std::move(*detached);
  }
  const auto fail = [&](const Error& error) {
    cli::PrintError(error.message);
    if (daemon) daemon->ReportFailure(error.message);
    return 1;
  };
  if (auto logging = SetUpLogging(config); !logging) return fail(logging.error());
  if (auto served = Serve(config, daemon.get()); !served) return fail(served.error());
  return 0;
}

}  // namespace kw::server
