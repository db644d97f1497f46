// The controller's own admission webhooks (crd/admission.h: defaulting and validation of the
// Kubewarden resources) over HTTPS, on every replica, leader or not.
//
// The serving certificate is the one the leader keeps in the Secret
// `kubewarden-webhook-server-cert` (controller.h's CA reconciliation, signed by kubewarden-ca):
// the server reads it through the API, starts listening once it exists, and picks up a renewed
// one within a minute, without dropping connections (new ones get the new certificate). Upstream
// mounts a Secret that Helm made; reading it through the API is what lets a plain
// `kubectl apply -k deploy/controller` work, with no Secret made beforehand.
//
// Reviews are answered on a pool of two threads, since validating a PolicyServer reads other
// objects from the API server (its image pull Secret, its Sigstore trust ConfigMap).
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/client.h"
#include "kube/discovery.h"
#include "server/http_server.h"
#include "server/tls.h"

namespace kw::controller {

struct WebhookServerOptions {
  std::string deployments_namespace = "kubewarden";
  std::string address = "0.0.0.0";
  int port = 9443;
};

class WebhookServer {
 public:
  WebhookServer(std::shared_ptr<const kube::Client> client, WebhookServerOptions options);
  ~WebhookServer();  // stops serving
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  bool serving() const;

 private:
  void FollowCertificate();
  // Reads the Secret; true when it holds a certificate the server now uses.
  bool LoadCertificate();

  const std::shared_ptr<const kube::Client> client_;
  const WebhookServerOptions options_;
  std::shared_ptr<kube::Discovery> discovery_;
  boost::asio::thread_pool reviews_{2};
  std::shared_ptr<server::TlsContextHolder> tls_;
  std::string loaded_;  // the certificate and key in use
  std::unique_ptr<server::HttpServer> http_;

  mutable std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  bool serving_ = false;
  std::thread follower_;
};

}  // namespace kw::controller
