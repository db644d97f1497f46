#include "controller/webhook_server.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "base/base64.h"
#include "controller/match_conditions.h"
#include "crd/admission.h"
#include "crd/object_lookup.h"
#include "kube/resources.h"

namespace kw::controller {
namespace {

constexpr std::string_view kSecretName = "kubewarden-webhook-server-cert";

// ObjectLookup on the API server, for the validation of PolicyServers.
class ApiLookup : public crd::ObjectLookup {
 public:
  ApiLookup(std::shared_ptr<const kube::Client> client, std::shared_ptr<kube::Discovery> discovery)
      : client_(std::move(client)), discovery_(std::move(discovery)) {}

  Result<std::optional<json::value>> Get(std::string_view api_version, std::string_view kind,
                                         std::string_view ns, std::string_view name) override {
    KW_ASSIGN_OR_RETURN(kube::ResourceType type, discovery_->Find(api_version, kind));
    auto object = kube::Get(*client_, type, ns, name);
    if (!object) {
      if (object.error().kind == ErrorKind::kNotFound) return std::nullopt;
      return std::unexpected(object.error());
    }
    return std::move(*object);
  }

 private:
  const std::shared_ptr<const kube::Client> client_;
  const std::shared_ptr<kube::Discovery> discovery_;
};

class ReviewHandler : public server::RequestHandler {
 public:
  ReviewHandler(boost::asio::thread_pool& pool, std::shared_ptr<ApiLookup> lookup,
                crd::WebhookOptions options)
      : pool_(pool), lookup_(std::move(lookup)), options_(std::move(options)) {}

  void Handle(server::HttpRequest request, server::Responder respond) override {
    using server::http::status;
    if (request.body_too_large) {
      return respond({status::payload_too_large, "text/plain", "request body too large", {}});
    }
    if (request.method != server::http::verb::post) {
      return respond({status::method_not_allowed, "text/plain", "only POST is served", {}});
    }
    boost::asio::post(pool_, [this, request = std::move(request),
                              respond = std::move(respond)]() mutable {
      const std::string_view target = request.target;
      const std::string_view path = target.substr(0, target.find('?'));
      auto answer = crd::HandleAdmissionReview(path, request.body, *lookup_, options_);
      if (!answer) {
        respond({answer.error().kind == ErrorKind::kNotFound ? status::not_found
                                                             : status::bad_request,
                 "text/plain", answer.error().message, {}});
        return;
      }
      respond({status::ok, "application/json", std::move(*answer), {}});
    });
  }

 private:
  boost::asio::thread_pool& pool_;
  const std::shared_ptr<ApiLookup> lookup_;
  const crd::WebhookOptions options_;
};

}  // namespace

WebhookServer::WebhookServer(std::shared_ptr<const kube::Client> client,
                             WebhookServerOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  discovery_ = std::make_shared<kube::Discovery>(client_);
  follower_ = std::thread([this] { FollowCertificate(); });
}

WebhookServer::~WebhookServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  follower_.join();
  if (http_) http_->Shutdown(std::chrono::milliseconds(0));
  reviews_.join();
}

bool WebhookServer::serving() const {
  std::lock_guard lock(mutex_);
  return serving_;
}

bool WebhookServer::LoadCertificate() {
  const kube::ResourceType secrets{"", "v1", "Secret", "secrets", true, {}};
  auto secret = kube::Get(*client_, secrets, options_.deployments_namespace, kSecretName);
  if (!secret) {
    if (secret.error().kind != ErrorKind::kNotFound) {
      spdlog::warn("cannot read Secret {}/{}: {}", options_.deployments_namespace, kSecretName,
                   secret.error().message);
    }
    return false;
  }
  auto cert = Base64Decode(StringAt(*secret, {"data", "tls.crt"}));
  auto key = Base64Decode(StringAt(*secret, {"data", "tls.key"}));
  if (!cert || !key || cert->empty() || key->empty()) return false;
  if (*cert + *key == loaded_) return true;
  server::TlsMaterial material;
  material.files.cert_file = "Secret " + std::string(kSecretName) + " tls.crt";
  material.files.key_file = "Secret " + std::string(kSecretName) + " tls.key";
  material.cert_pem = *cert;
  material.key_pem = *key;
  auto context = server::BuildTlsContext(material);
  if (!context) {
    spdlog::error("the webhook certificate cannot be used: {}", context.error().message);
    return false;
  }
  loaded_ = *cert + *key;
  if (tls_) {
    tls_->Set(std::move(*context));
    spdlog::info("the webhook server certificate was renewed");
  } else {
    tls_ = std::make_shared<server::TlsContextHolder>(std::move(*context));
  }
  return true;
}

void WebhookServer::FollowCertificate() {
  auto lookup = std::make_shared<ApiLookup>(client_, discovery_);
  crd::WebhookOptions webhook_options;
  webhook_options.deployments_namespace = options_.deployments_namespace;
  webhook_options.compile_match_condition = CheckMatchCondition;
  while (true) {
    const bool loaded = LoadCertificate();
    if (loaded && !http_) {
      auto http = std::make_unique<server::HttpServer>(server::HttpServerOptions{});
      auto listening = http->Listen(
          options_.address, static_cast<std::uint16_t>(options_.port),
          std::make_shared<ReviewHandler>(reviews_, lookup, webhook_options), tls_);
      if (listening) {
        http->Start();
        http_ = std::move(http);
        spdlog::info("serving the admission webhooks on {}:{}", options_.address, *listening);
        std::lock_guard lock(mutex_);
        serving_ = true;
      } else {
        spdlog::error("cannot serve the admission webhooks: {}", listening.error().message);
      }
    }
    // Until it is serving, look often (the leader is making the certificate); then once a minute.
    std::unique_lock lock(mutex_);
    if (stop_.wait_for(lock, serving_ ? std::chrono::seconds(60) : std::chrono::seconds(1),
                       [this] { return stopping_; })) {
      return;
    }
  }
}

}  // namespace kw::controller
