#include "audit/cli.h"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <random>

#include "audit/scanner.h"
#include "kube/resolve.h"

namespace kw::audit {
namespace {

std::string NewRunUid() {
  std::random_device random;
  unsigned char bytes[16];
  for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(random());
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string uid;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) uid += '-';
    uid += kHex[bytes[i] >> 4];
    uid += kHex[bytes[i] & 0xf];
  }
  return uid;
}

Result<void> Execute(int argc, char** argv, bool& help) {
  CLI::App app{"Scans the resources of a cluster against the Kubewarden policies that audit them "
               "and writes the results as policy reports",
               "audit-scanner"};
  ScanOptions options;
  std::string log_level = "info";
  std::vector<std::string> ignored;
  bool insecure = false;
  std::string extra_ca, client_cert, client_key, report_kind = "policyreport", kubeconfig;
  bool disable_store = false;
  app.add_option("-n,--namespace", options.only_namespace, "Scan only this namespace");
  app.add_flag("-c,--cluster", options.only_cluster, "Scan only cluster-wide resources");
  app.add_option("-k,--kubewarden-namespace", options.kubewarden_namespace,
                 "The namespace of the policy servers' Services (never scanned)")
      ->capture_default_str();
  app.add_option("-u,--policy-server-url", options.policy_server_url,
                 "Send every audit request to <url>/audit/<policy> (e.g. a port-forward)");
  app.add_option("-l,--loglevel", log_level, "Log level: debug, info, warn, error");
  app.add_flag("-o,--output-scan", options.output_scan, "Log each report");
  app.add_option("-i,--ignore-namespaces", ignored, "Namespaces not to scan (repeat or comma-separate)")
      ->delimiter(',');
  app.add_flag("--insecure-ssl", insecure, "Do not verify the policy servers' certificates");
  app.add_option("-f,--extra-ca", extra_ca, "A PEM file of CAs trusted besides the system's");
  app.add_option("--client-cert", client_cert, "Client certificate (PEM) for mTLS");
  app.add_option("--client-key", client_key, "Client key (PEM) for mTLS");
  app.add_flag("--disable-store", disable_store, "Do not write reports");
  app.add_option("--parallel-namespaces", options.parallel_namespaces, "Namespaces scanned at once")
      ->capture_default_str();
  app.add_option("--parallel-resources", options.parallel_resources,
                 "Resources evaluated at once")
      ->capture_default_str();
  app.add_option("--parallel-policies", options.parallel_policies,
                 "Policies evaluated at once per resource")
      ->capture_default_str();
  unsigned timeout_seconds = 10;
  app.add_option("--policy-server-timeout", timeout_seconds,
                 "Seconds to wait for a policy server's answer to one request")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3600u));
  app.add_option("--page-size", options.page_size, "Items per list page")->capture_default_str();
  app.add_option("--report-kind", report_kind, "policyreport or openreports")
      ->capture_default_str();
  app.add_option("--policy", options.preview_policy,
                 "Preview: evaluate only this policy (whatever its state), write nothing, and "
                 "list what it would reject");
  // A scan is a burst of work that ends: the first one of a large cluster creates a report per
  // resource, and client-go's 5 QPS would make that hours. The API server's priority and
  // fairness queues what it cannot take; --kube-api-qps lowers it for a small control plane.
  kube::ClientOptions client_options;
  client_options.qps = 1000;
  client_options.burst = 2000;
  app.add_option("--kube-api-qps", client_options.qps,
                 "Requests per second to the Kubernetes API (reports written, pages listed)")
      ->capture_default_str();
  app.add_option("--kube-api-burst", client_options.burst, "Burst above --kube-api-qps")
      ->capture_default_str();
  app.add_option("--kubeconfig", kubeconfig, "Kubeconfig (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    help = true;
    return {};
  } catch (const CLI::ParseError& e) {
    return Fail(ErrorKind::kInvalidArgument, e.what());
  }
  if (report_kind == "openreports") {
    options.report_kind = ReportKind::kOpenReports;
  } else if (report_kind != "policyreport") {
    return Fail(ErrorKind::kInvalidArgument,
                "invalid --report-kind '" + report_kind + "': policyreport or openreports");
  }
  if (client_cert.empty() != client_key.empty()) {
    return Fail(ErrorKind::kInvalidArgument, "--client-cert and --client-key go together");
  }
  if (!options.only_namespace.empty() && options.only_cluster) {
    return Fail(ErrorKind::kInvalidArgument, "--namespace and --cluster exclude each other");
  }
  if (options.page_size == 0 || options.parallel_resources == 0 ||
      options.parallel_namespaces == 0 || options.parallel_policies == 0) {
    return Fail(ErrorKind::kInvalidArgument,
                "--page-size and --parallel-{namespaces,resources,policies} must be > 0");
  }
  options.request_timeout = std::chrono::seconds(timeout_seconds);
  options.store = !disable_store && options.preview_policy.empty();
  if (!options.preview_policy.empty()) options.preview_out = &std::cout;
  options.ignored_namespaces = std::move(ignored);
  // Logs on stderr: stdout is for what the scan shows (a preview's findings).
  spdlog::set_default_logger(spdlog::stderr_logger_mt("audit-scanner"));
  spdlog::set_level(log_level == "debug" ? spdlog::level::debug
                    : log_level == "warn" ? spdlog::level::warn
                    : log_level == "error" ? spdlog::level::err
                                           : spdlog::level::info);
  net::TlsOptions tls;
  tls.verify = !insecure;
  if (!extra_ca.empty()) tls.ca_file = extra_ca;
  if (!client_cert.empty()) {
    tls.client_certificate_file = client_cert;
    tls.client_key_file = client_key;
  }
  KW_ASSIGN_OR_RETURN(options.tls, net::TlsConfig::Create(tls));
  options.run_uid = NewRunUid();

  KW_ASSIGN_OR_RETURN(std::shared_ptr<kube::Client> client,
                      kube::ConnectToCluster({kubeconfig, ""}, client_options));
  if (!client) return Fail(ErrorKind::kInvalidArgument, "no Kubernetes cluster configured");
  spdlog::info("audit scan {} of {} starting", options.run_uid, client->config().origin);
  const auto started = std::chrono::steady_clock::now();
  KW_ASSIGN_OR_RETURN(ScanSummary summary, Scan(client, options));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(
      "audit scan {} done in {:.1f} s: {} resources ({:.0f}/s), reports: {} written, {} "
      "unchanged, {} deleted; results: {} pass, {} fail, {} error",
      options.run_uid, seconds, summary.resources, summary.resources / std::max(seconds, 1e-3),
      summary.reports_written, summary.reports_unchanged, summary.reports_deleted, summary.pass,
      summary.fail, summary.error);
  if (options.preview_out != nullptr) {
    std::cout << summary.resources << " resources evaluated: " << summary.pass << " admitted, "
              << summary.fail << " rejected, " << summary.error << " errors\n";
  }
  return {};
}

}  // namespace

int RunAuditScanner(int argc, char** argv) {
  bool help = false;
  auto executed = Execute(argc, argv, help);
  if (!executed) {
    std::cerr << "Error on cmd.Execute(): " << executed.error().message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace kw::audit
