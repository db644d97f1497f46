#include "ui/process.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "kube/resolve.h"
#include "server/http_server.h"
#include "server/stop_signals.h"
#include "ui/watcher.h"

namespace kw::ui {
namespace {

constexpr std::string_view kJson = "application/json";

struct Flags {
  std::string kubeconfig;
  std::string addr = "0.0.0.0";
  int port = 8080;
  std::string db = "compliance-ui.db";
  std::string web_root;
  int settle_seconds = 10;
  std::string log_level = "info";
};

// <directory of the executable>/../web: build/web in a build tree, /web in the image.
std::string DefaultWebRoot() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "web";
  return (exe.parent_path().parent_path() / "web").lexically_normal().string();
}

class Handler : public server::RequestHandler {
 public:
  Handler(const Api& api, const StaticFiles& files, const ReportWatcher& watcher)
      : api_(api), files_(files), watcher_(watcher) {}
  void Handle(server::HttpRequest request, server::Responder respond) override {
    WebAnswer routed = Route(server::http::to_string(request.method), request.target, api_, files_,
                          watcher_.ready());
    server::HttpResponse response{static_cast<server::http::status>(routed.status),
                                  std::move(routed.content_type), std::move(routed.body), {}};
    if (routed.no_cache) response.headers.emplace_back(server::http::field::cache_control, "no-cache");
    respond(std::move(response));
  }

 private:
  const Api& api_;
  const StaticFiles& files_;
  const ReportWatcher& watcher_;
};

Result<void> Serve(const Flags& flags) {
  const server::StopSignals stop_signals;  // before any thread starts
  KW_ASSIGN_OR_RETURN(std::unique_ptr<HistoryStore> history, HistoryStore::Open(flags.db));
  KW_ASSIGN_OR_RETURN(std::shared_ptr<kube::Client> client,
                      kube::ConnectToCluster({flags.kubeconfig, ""}));
  if (!client) {
    return Fail(ErrorKind::kInvalidArgument,
                "no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, or run in "
                "a pod");
  }
  spdlog::info("compliance-ui watching the reports of {}; history in {}; web root {}",
               client->config().origin, flags.db, flags.web_root);

  ReportIndex index;
  WatcherOptions watcher_options;
  watcher_options.settle = std::chrono::seconds(flags.settle_seconds);
  ReportWatcher watcher(client, index, history.get(), watcher_options);
  const Api api(index, history.get());
  const StaticFiles files(flags.web_root);

  server::HttpServerOptions http_options;
  http_options.io_threads = 2;
  server::HttpServer http(http_options);
  KW_ASSIGN_OR_RETURN(std::uint16_t port,
                      http.Listen(flags.addr, static_cast<std::uint16_t>(flags.port),
                                  std::make_shared<Handler>(api, files, watcher)));
  http.Start();
  spdlog::info("listening on {}:{}", flags.addr, port);

  const std::string signal = stop_signals.Wait();
  spdlog::info("SIG{} received: stopping", signal);
  http.Shutdown(std::chrono::seconds(5));
  return {};
}

}  // namespace

WebAnswer Route(std::string_view method, std::string_view target, const Api& api,
             const StaticFiles& files, bool ready) {
  if (method != "GET") {
    return {405, std::string(kJson), R"({"error":"only GET is served"})", false};
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok", false};
  if (path == "/readyz") {
    return ready ? WebAnswer{200, "text/plain; charset=utf-8", "ok", false}
                 : WebAnswer{503, "text/plain; charset=utf-8", "the reports are not listed yet", false};
  }
  if (path == "/api" || path.starts_with("/api/")) {
    ApiAnswer answer = api.Answer(target);
    return {answer.status, std::string(kJson), std::move(answer.body), false};
  }
  return files.Serve(target);
}

int RunComplianceUi(int argc, char** argv) {
  CLI::App app{"Shows the audit scanner's policy reports, and their history, in a web UI",
               "compliance-ui"};
  Flags flags;
  flags.web_root = DefaultWebRoot();
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "Kubeconfig (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  app.add_option("--addr", flags.addr, "Address to listen on")->capture_default_str();
  app.add_option("--port", flags.port, "Port to listen on")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--db", flags.db, "The history's SQLite file (:memory: keeps none)")
      ->capture_default_str();
  app.add_option("--web-root", flags.web_root, "The web app's files")->capture_default_str();
  app.add_option("--settle-seconds", flags.settle_seconds,
                 "Record a scan in the history once the reports have not changed for this long")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(spdlog::level::from_str(flags.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ\t%^%l%$\t%v", spdlog::pattern_time_type::utc);
  if (auto served = Serve(flags); !served) {
    std::cerr << "Error: " << served.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace kw::ui
